//! The metadata-lag model (`set_metadata_lag`, `--metadata-lag-ms`): a write is acknowledged
//! and validated against the controller's current state at once, while reads answered by a
//! node (Metadata, DescribeAcls, DescribeConfigs, the authorizer's decisions) see it only
//! after the node's lag. Each check reads right after the write (not yet visible), then
//! waits on the condition with a bound (visible).

mod common;

use common::{text, RawClient};
use kafka_protocol::messages::create_acls_request::AclCreation;
use kafka_protocol::messages::create_topics_request::CreatableTopic;
use kafka_protocol::messages::describe_configs_request::DescribeConfigsResource;
use kafka_protocol::messages::incremental_alter_configs_request::{
    AlterConfigsResource, AlterableConfig,
};
use kafka_protocol::messages::metadata_request::MetadataRequestTopic;
use kafka_protocol::messages::*;
use kafka_testbroker::{
    AclOperation, AclPermission, AclRecord, BrokerConfig, PatternType, ResourceType, TestBroker,
};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// Long enough that a read right after a write falls within every node's lag (each node
/// trails by at least 60% of it) even on a loaded machine.
const LAG: Duration = Duration::from_secs(3);
const BOUND: Duration = Duration::from_secs(30);

async fn lagging(config: BrokerConfig) -> TestBroker {
    let broker = TestBroker::start("127.0.0.1:0", config).await.unwrap();
    broker.set_metadata_lag(LAG);
    broker
}

fn super_anonymous() -> BrokerConfig {
    BrokerConfig {
        super_users: vec!["User:ANONYMOUS".into()],
        ..BrokerConfig::default()
    }
}

/// Re-evaluates the condition until it holds, at most `BOUND` long.
macro_rules! eventually {
    ($condition:expr) => {{
        let deadline = Instant::now() + BOUND;
        while !$condition {
            assert!(Instant::now() < deadline, "not visible within {BOUND:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }};
}

fn metadata_of(topic: &str) -> MetadataRequest {
    MetadataRequest::default().with_topics(Some(vec![
        MetadataRequestTopic::default().with_name(Some(TopicName(text(topic))))
    ]))
}

async fn topic_error(client: &mut RawClient, topic: &str) -> i16 {
    let response: MetadataResponse = client.call(ApiKey::Metadata, 12, &metadata_of(topic)).await;
    response.topics[0].error_code
}

fn create(topic: &str) -> CreateTopicsRequest {
    CreateTopicsRequest::default()
        .with_timeout_ms(5000)
        .with_topics(vec![CreatableTopic::default()
            .with_name(TopicName(text(topic)))
            .with_num_partitions(1)
            .with_replication_factor(3)])
}

#[tokio::test]
async fn a_created_topic_is_in_metadata_only_after_the_lag_but_exists_for_writes_at_once() {
    let broker = lagging(super_anonymous()).await;
    let mut client = RawClient::connect(&broker).await;
    let created: CreateTopicsResponse = client.call(ApiKey::CreateTopics, 5, &create("t")).await;
    assert_eq!(created.topics[0].error_code, 0);
    assert_eq!(topic_error(&mut client, "t").await, 3); // UNKNOWN_TOPIC_OR_PARTITION
                                                        // The controller validates writes against its current state.
    let again: CreateTopicsResponse = client.call(ApiKey::CreateTopics, 5, &create("t")).await;
    assert_eq!(again.topics[0].error_code, 36); // TOPIC_ALREADY_EXISTS
    assert_eq!(broker.topics().len(), 1);
    eventually!(topic_error(&mut client, "t").await == 0);
}

#[tokio::test]
async fn created_acls_reach_describe_acls_after_the_lag() {
    let broker = lagging(super_anonymous()).await;
    let mut client = RawClient::connect(&broker).await;
    let creation = AclCreation::default()
        .with_resource_type(2)
        .with_resource_name(text("orders"))
        .with_resource_pattern_type(3)
        .with_principal(text("User:alice"))
        .with_host(text("*"))
        .with_operation(3)
        .with_permission_type(3);
    let created: CreateAclsResponse = client
        .call(
            ApiKey::CreateAcls,
            3,
            &CreateAclsRequest::default().with_creations(vec![creation]),
        )
        .await;
    assert_eq!(created.results[0].error_code, 0);
    let filter = DescribeAclsRequest::default()
        .with_resource_type_filter(1)
        .with_resource_name_filter(None)
        .with_principal_filter(None)
        .with_host_filter(None)
        .with_pattern_type_filter(1)
        .with_operation(1)
        .with_permission_type(1);
    let described: DescribeAclsResponse = client.call(ApiKey::DescribeAcls, 3, &filter).await;
    assert!(described.resources.is_empty());
    assert_eq!(broker.acls().len(), 1);
    eventually!({
        let described: DescribeAclsResponse = client.call(ApiKey::DescribeAcls, 3, &filter).await;
        described.resources.len() == 1
    });
}

#[tokio::test]
async fn the_authorizer_decides_on_the_acls_its_node_has() {
    // No super user: ANONYMOUS may describe the topic only through the new binding.
    let broker = lagging(BrokerConfig::default()).await;
    broker.create_topic_direct("guarded", 1, 3, BTreeMap::new());
    broker.add_acl(AclRecord {
        resource_type: ResourceType::Topic,
        name: "guarded".into(),
        pattern_type: PatternType::Literal,
        principal: "User:ANONYMOUS".into(),
        host: "*".into(),
        operation: AclOperation::Describe,
        permission: AclPermission::Allow,
    });
    let mut client = RawClient::connect(&broker).await;
    assert_eq!(topic_error(&mut client, "guarded").await, 29); // TOPIC_AUTHORIZATION_FAILED
    eventually!(topic_error(&mut client, "guarded").await == 0);
}

#[tokio::test]
async fn a_config_change_reaches_describe_configs_after_the_lag() {
    let broker = TestBroker::start("127.0.0.1:0", super_anonymous())
        .await
        .unwrap();
    broker.create_topic_direct("t", 1, 3, BTreeMap::new());
    // Set after the topic exists: what is committed when the lag is set is on every node.
    broker.set_metadata_lag(LAG);
    let mut client = RawClient::connect(&broker).await;
    let alter = IncrementalAlterConfigsRequest::default().with_resources(vec![
        AlterConfigsResource::default()
            .with_resource_type(2)
            .with_resource_name(text("t"))
            .with_configs(vec![AlterableConfig::default()
                .with_name(text("cleanup.policy"))
                .with_config_operation(0)
                .with_value(Some(text("compact")))]),
    ]);
    let altered: IncrementalAlterConfigsResponse = client
        .call(ApiKey::IncrementalAlterConfigs, 1, &alter)
        .await;
    assert_eq!(altered.responses[0].error_code, 0);
    let describe =
        DescribeConfigsRequest::default().with_resources(vec![DescribeConfigsResource::default()
            .with_resource_type(2)
            .with_resource_name(text("t"))
            .with_configuration_keys(Some(vec![text("cleanup.policy")]))]);
    let policy = |response: DescribeConfigsResponse| {
        response.results[0].configs[0]
            .value
            .as_ref()
            .map(|v| v.to_string())
    };
    let described: DescribeConfigsResponse =
        client.call(ApiKey::DescribeConfigs, 4, &describe).await;
    assert_eq!(policy(described).as_deref(), Some("delete"));
    assert_eq!(broker.topics()[0].configs["cleanup.policy"], "compact");
    eventually!({
        let described: DescribeConfigsResponse =
            client.call(ApiKey::DescribeConfigs, 4, &describe).await;
        policy(described).as_deref() == Some("compact")
    });
    // Back to no lag: every read is current at once.
    broker.set_metadata_lag(Duration::ZERO);
    broker.create_topic_direct("u", 1, 3, BTreeMap::new());
    assert_eq!(topic_error(&mut client, "u").await, 0);
}
