//! In-process tests of the broker over real sockets with a minimal raw Kafka client:
//! protocol edges (ApiVersions fallback, trailing bytes, SASL framing), responses the
//! kafka-python cross-check cannot reach (v4+ CreateTopics, IncrementalAlterConfigs,
//! synonyms), and the test hooks.

use bytes::{Buf, BufMut, BytesMut};
use kafka_protocol::messages::create_acls_request::AclCreation;
use kafka_protocol::messages::create_topics_request::{CreatableTopic, CreatableTopicConfig};
use kafka_protocol::messages::describe_configs_request::DescribeConfigsResource;
use kafka_protocol::messages::incremental_alter_configs_request::{
    AlterConfigsResource, AlterableConfig,
};
use kafka_protocol::messages::metadata_request::MetadataRequestTopic;
use kafka_protocol::messages::*;
use kafka_protocol::protocol::Decodable;
mod common;

use common::{text, RawClient};
use kafka_testbroker::{
    AclOperation, AclPermission, AclRecord, BrokerConfig, PatternType, ResourceType, TestBroker,
};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use tokio::net::TcpStream;

fn new_topic(
    name: &str,
    partitions: i32,
    replication_factor: i16,
    configs: &[(&str, &str)],
) -> CreatableTopic {
    CreatableTopic::default()
        .with_name(TopicName(text(name)))
        .with_num_partitions(partitions)
        .with_replication_factor(replication_factor)
        .with_configs(
            configs
                .iter()
                .map(|(k, v)| {
                    CreatableTopicConfig::default()
                        .with_name(text(k))
                        .with_value(Some(text(v)))
                })
                .collect(),
        )
}

fn all_topics_metadata() -> MetadataRequest {
    MetadataRequest::default().with_topics(None)
}

fn super_anonymous() -> BrokerConfig {
    BrokerConfig {
        super_users: vec!["User:ANONYMOUS".into()],
        ..BrokerConfig::default()
    }
}

fn topic_read_acl(principal: &str, topic: &str) -> AclRecord {
    AclRecord {
        resource_type: ResourceType::Topic,
        name: topic.into(),
        pattern_type: PatternType::Literal,
        principal: principal.into(),
        host: "*".into(),
        operation: AclOperation::Read,
        permission: AclPermission::Allow,
    }
}

#[tokio::test]
async fn api_versions_with_an_unknown_version_answers_v0_unsupported_version() {
    let broker = TestBroker::start("127.0.0.1:0", BrokerConfig::default())
        .await
        .unwrap();
    let mut client = RawClient::connect(&broker).await;
    // ApiVersions v9 does not exist: the body is answered as v0 with a v0 response header.
    let mut frame = BytesMut::new();
    frame.put_i16(ApiKey::ApiVersions as i16);
    frame.put_i16(9);
    frame.put_i32(77);
    frame.put_i16(-1);
    client.write_frame(&frame).await.unwrap();
    let mut response = client.read_frame().await.unwrap();
    assert_eq!(response.get_i32(), 77);
    let body = ApiVersionsResponse::decode(&mut response, 0).unwrap();
    assert_eq!(body.error_code, 35, "UNSUPPORTED_VERSION");
    assert_eq!(body.api_keys.len(), 1);
    assert_eq!(
        (body.api_keys[0].api_key, body.api_keys[0].max_version),
        (ApiKey::ApiVersions as i16, 4)
    );
    broker.shutdown().await;
}

#[tokio::test]
async fn metadata_v13_tolerates_trailing_bytes_and_advertises_nodes_and_controller() {
    let broker = TestBroker::start(
        "127.0.0.1:0",
        BrokerConfig {
            nodes: 4,
            ..super_anonymous()
        },
    )
    .await
    .unwrap();
    broker.create_topic_direct("orders", 2, 3, BTreeMap::new());
    let mut client = RawClient::connect(&broker).await;
    let mut bytes = client
        .send(ApiKey::Metadata, 13, &all_topics_metadata(), &[0, 0, 0, 0])
        .await
        .unwrap();
    let metadata = MetadataResponse::decode(&mut bytes, 13).unwrap();
    assert_eq!(metadata.controller_id.0, 1);
    let ids: Vec<i32> = metadata.brokers.iter().map(|b| b.node_id.0).collect();
    assert_eq!(ids, vec![1, 2, 3, 4]);
    assert!(metadata
        .brokers
        .iter()
        .all(|b| b.port == i32::from(broker.addr().port())));
    assert_eq!(metadata.topics.len(), 1);
    assert_eq!(metadata.topics[0].partitions.len(), 2);
    assert_eq!(metadata.topics[0].partitions[0].replica_nodes.len(), 3);
    // v1 still works; a named unknown topic is UNKNOWN_TOPIC_OR_PARTITION.
    let request = MetadataRequest::default().with_topics(Some(vec![
        MetadataRequestTopic::default().with_name(Some(TopicName(text("nope")))),
    ]));
    let v1: MetadataResponse = client.call(ApiKey::Metadata, 1, &request).await;
    assert_eq!(v1.topics[0].error_code, 3);
    broker.shutdown().await;
}

#[tokio::test]
async fn create_topics_v7_reports_defaults_configs_and_ids_and_validate_only_creates_nothing() {
    let broker = TestBroker::start("127.0.0.1:0", super_anonymous())
        .await
        .unwrap();
    let mut client = RawClient::connect(&broker).await;
    let request = CreateTopicsRequest::default()
        .with_topics(vec![new_topic(
            "defaults",
            -1,
            -1,
            &[("cleanup.policy", "compact")],
        )])
        .with_validate_only(true);
    let response: CreateTopicsResponse = client.call(ApiKey::CreateTopics, 7, &request).await;
    let result = &response.topics[0];
    assert_eq!(
        (
            result.error_code,
            result.num_partitions,
            result.replication_factor
        ),
        (0, 1, 1)
    );
    let configs = result.configs.as_ref().unwrap();
    let policy = configs
        .iter()
        .find(|c| c.name.as_str() == "cleanup.policy")
        .unwrap();
    assert_eq!(
        (policy.value.as_deref(), policy.config_source),
        (Some("compact"), 1)
    );
    assert!(broker.topics().is_empty(), "validate_only must not create");

    let request = request.with_validate_only(false);
    let response: CreateTopicsResponse = client.call(ApiKey::CreateTopics, 7, &request).await;
    assert!(!response.topics[0].topic_id.is_nil());
    let topics = broker.topics();
    assert_eq!(
        (
            topics[0].name.as_str(),
            topics[0].partitions,
            topics[0].replication_factor
        ),
        ("defaults", 1, 1)
    );
    assert_eq!(
        topics[0].configs.get("cleanup.policy").map(String::as_str),
        Some("compact")
    );
    broker.shutdown().await;
}

#[tokio::test]
async fn describe_configs_v4_reports_synonyms_and_types() {
    let broker = TestBroker::start("127.0.0.1:0", super_anonymous())
        .await
        .unwrap();
    broker.create_topic_direct(
        "t",
        1,
        1,
        BTreeMap::from([("retention.ms".to_string(), "1000".to_string())]),
    );
    let mut client = RawClient::connect(&broker).await;
    let request = DescribeConfigsRequest::default()
        .with_include_synonyms(true)
        .with_resources(vec![DescribeConfigsResource::default()
            .with_resource_type(2)
            .with_resource_name(text("t"))
            .with_configuration_keys(Some(vec![text("retention.ms")]))]);
    let response: DescribeConfigsResponse = client.call(ApiKey::DescribeConfigs, 4, &request).await;
    let entry = &response.results[0].configs[0];
    assert_eq!(
        (
            entry.name.as_str(),
            entry.value.as_deref(),
            entry.config_source,
            entry.config_type
        ),
        ("retention.ms", Some("1000"), 1, 5)
    );
    let synonyms: Vec<(&str, Option<&str>, i8)> = entry
        .synonyms
        .iter()
        .map(|s| (s.name.as_str(), s.value.as_deref(), s.source))
        .collect();
    assert_eq!(
        synonyms,
        vec![
            ("retention.ms", Some("1000"), 1),
            ("log.retention.hours", Some("168"), 5)
        ]
    );
    broker.shutdown().await;
}

#[tokio::test]
async fn incremental_alter_configs_set_delete_append_subtract() {
    let broker = TestBroker::start("127.0.0.1:0", super_anonymous())
        .await
        .unwrap();
    broker.create_topic_direct(
        "t",
        1,
        1,
        BTreeMap::from([("retention.ms".to_string(), "1000".to_string())]),
    );
    let mut client = RawClient::connect(&broker).await;
    let alter = |ops: Vec<(&str, i8, Option<&str>)>| {
        IncrementalAlterConfigsRequest::default().with_resources(vec![
            AlterConfigsResource::default()
                .with_resource_type(2)
                .with_resource_name(text("t"))
                .with_configs(
                    ops.into_iter()
                        .map(|(k, op, v)| {
                            AlterableConfig::default()
                                .with_name(text(k))
                                .with_config_operation(op)
                                .with_value(v.map(text))
                        })
                        .collect(),
                ),
        ])
    };
    let response: IncrementalAlterConfigsResponse = client
        .call(
            ApiKey::IncrementalAlterConfigs,
            1,
            &alter(vec![
                ("cleanup.policy", 2, Some("compact")),
                ("retention.ms", 1, None),
                ("min.insync.replicas", 0, Some("2")),
            ]),
        )
        .await;
    assert_eq!(response.responses[0].error_code, 0);
    let expected = BTreeMap::from([
        ("cleanup.policy".to_string(), "delete,compact".to_string()),
        ("min.insync.replicas".to_string(), "2".to_string()),
    ]);
    assert_eq!(broker.topics()[0].configs, expected);
    let response: IncrementalAlterConfigsResponse = client
        .call(
            ApiKey::IncrementalAlterConfigs,
            1,
            &alter(vec![("cleanup.policy", 3, Some("delete"))]),
        )
        .await;
    assert_eq!(response.responses[0].error_code, 0);
    assert_eq!(
        broker.topics()[0]
            .configs
            .get("cleanup.policy")
            .map(String::as_str),
        Some("compact")
    );
    let response: IncrementalAlterConfigsResponse = client
        .call(
            ApiKey::IncrementalAlterConfigs,
            1,
            &alter(vec![("retention.ms", 2, Some("5"))]),
        )
        .await;
    assert_eq!(
        response.responses[0].error_code, 40,
        "APPEND on a LONG is INVALID_CONFIG"
    );
    broker.shutdown().await;
}

#[tokio::test]
async fn sasl_listener_closes_connections_that_skip_authentication() {
    let config = BrokerConfig {
        users: vec![("alice".into(), "pw".into())],
        ..BrokerConfig::default()
    };
    let broker = TestBroker::start("127.0.0.1:0", config).await.unwrap();
    let mut client = RawClient::connect(&broker).await;
    let result = client
        .send(ApiKey::Metadata, 12, &all_topics_metadata(), &[])
        .await;
    assert!(
        result.is_err(),
        "Metadata before SASL must close the connection"
    );
    broker.shutdown().await;
}

#[tokio::test]
async fn sasl_principal_is_what_the_authorizer_sees() {
    let config = BrokerConfig {
        users: vec![("alice".into(), "pw".into())],
        ..BrokerConfig::default()
    };
    let broker = TestBroker::start("127.0.0.1:0", config).await.unwrap();
    broker.create_topic_direct("mine", 1, 1, BTreeMap::new());
    broker.create_topic_direct("theirs", 1, 1, BTreeMap::new());
    broker.add_acl(topic_read_acl("User:alice", "mine"));
    let mut client = RawClient::connect(&broker).await;
    assert_eq!(client.plain_login("alice", "pw").await.error_code, 0);
    let metadata: MetadataResponse = client
        .call(ApiKey::Metadata, 12, &all_topics_metadata())
        .await;
    let names: Vec<String> = metadata
        .topics
        .iter()
        .map(|t| t.name.as_ref().unwrap().0.to_string())
        .collect();
    assert_eq!(
        names,
        vec!["mine"],
        "READ implies DESCRIBE; no ACL on theirs hides it"
    );

    let mut wrong = RawClient::connect(&broker).await;
    let failed = wrong.plain_login("alice", "nope").await;
    assert_eq!(failed.error_code, 58);
    assert_eq!(
        failed.error_message.as_deref(),
        Some("Authentication failed: Invalid username or password")
    );
    assert!(
        wrong.is_closed().await,
        "the broker closes after an authentication failure"
    );
    broker.shutdown().await;
}

#[tokio::test]
async fn sasl_handshake_v0_uses_raw_tokens_and_unknown_mechanisms_are_refused() {
    let config = BrokerConfig {
        users: vec![("alice".into(), "pw".into())],
        super_users: vec!["User:alice".into()],
        ..BrokerConfig::default()
    };
    let broker = TestBroker::start("127.0.0.1:0", config).await.unwrap();
    let mut client = RawClient::connect(&broker).await;
    let handshake: SaslHandshakeResponse = client
        .call(
            ApiKey::SaslHandshake,
            0,
            &SaslHandshakeRequest::default().with_mechanism(text("PLAIN")),
        )
        .await;
    assert_eq!(handshake.error_code, 0);
    client.write_frame(b"\0alice\0pw").await.unwrap();
    assert!(client.read_frame().await.unwrap().is_empty());
    let metadata: MetadataResponse = client
        .call(ApiKey::Metadata, 12, &all_topics_metadata())
        .await;
    assert_eq!(metadata.brokers.len(), 3);

    let mut other = RawClient::connect(&broker).await;
    let refused: SaslHandshakeResponse = other
        .call(
            ApiKey::SaslHandshake,
            1,
            &SaslHandshakeRequest::default().with_mechanism(text("GSSAPI")),
        )
        .await;
    assert_eq!(refused.error_code, 33, "UNSUPPORTED_SASL_MECHANISM");
    let mechanisms: Vec<&str> = refused.mechanisms.iter().map(|m| m.as_str()).collect();
    assert_eq!(mechanisms, vec!["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]);
    assert!(other.is_closed().await);
    broker.shutdown().await;
}

fn acl_creation(name: &str) -> AclCreation {
    AclCreation::default()
        .with_resource_type(2)
        .with_resource_name(text(name))
        .with_resource_pattern_type(3)
        .with_principal(text("User:mm2"))
        .with_host(text("*"))
        .with_operation(3)
        .with_permission_type(3)
}

#[tokio::test]
async fn hooks_count_inject_errors_reject_bindings_delay_and_drop() {
    let broker = TestBroker::start("127.0.0.1:0", super_anonymous())
        .await
        .unwrap();
    let hooks = broker.hooks();
    let mut client = RawClient::connect(&broker).await;

    hooks.inject_error(ApiKey::CreateTopics as i16, 41, 1);
    let request = CreateTopicsRequest::default().with_topics(vec![new_topic("t", 1, 1, &[])]);
    let first: CreateTopicsResponse = client.call(ApiKey::CreateTopics, 4, &request).await;
    assert_eq!(first.topics[0].error_code, 41, "injected NOT_CONTROLLER");
    assert!(
        broker.topics().is_empty(),
        "an injected error has no side effects"
    );
    let second: CreateTopicsResponse = client.call(ApiKey::CreateTopics, 4, &request).await;
    assert_eq!(second.topics[0].error_code, 0);
    assert_eq!(hooks.count(ApiKey::CreateTopics as i16), 2);
    assert_eq!(hooks.counts().get("CreateTopics"), Some(&2));

    hooks.reject_acl_bindings("mm2-", 42);
    let request = CreateAclsRequest::default()
        .with_creations(vec![acl_creation("mm2-offsets"), acl_creation("orders")]);
    let response: CreateAclsResponse = client.call(ApiKey::CreateAcls, 1, &request).await;
    let codes: Vec<i16> = response.results.iter().map(|r| r.error_code).collect();
    assert_eq!(codes, vec![42, 0]);
    assert_eq!(broker.acls().len(), 1);

    hooks.delay(ApiKey::Metadata as i16, Duration::from_millis(300));
    let started = Instant::now();
    let _: MetadataResponse = client
        .call(ApiKey::Metadata, 12, &all_topics_metadata())
        .await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    hooks.delay(ApiKey::Metadata as i16, Duration::ZERO);

    hooks.reset_counts();
    assert!(hooks.counts().is_empty());
    hooks.drop_connection_after(1);
    let _: MetadataResponse = client
        .call(ApiKey::Metadata, 12, &all_topics_metadata())
        .await;
    assert!(
        client
            .send(ApiKey::Metadata, 12, &all_topics_metadata(), &[])
            .await
            .is_err(),
        "second request is dropped"
    );
    let mut fresh = RawClient::connect(&broker).await;
    let _: MetadataResponse = fresh
        .call(ApiKey::Metadata, 12, &all_topics_metadata())
        .await;
    assert_eq!(hooks.count(ApiKey::Metadata as i16), 3);
    broker.shutdown().await;
}

#[tokio::test]
async fn stats_file_holds_counts_after_each_request() {
    let dir = std::env::temp_dir().join(format!("kafka-testbroker-stats-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("stats.json");
    let broker = TestBroker::start_with_stats("127.0.0.1:0", super_anonymous(), Some(path.clone()))
        .await
        .unwrap();
    let mut client = RawClient::connect(&broker).await;
    let _: MetadataResponse = client
        .call(ApiKey::Metadata, 12, &all_topics_metadata())
        .await;
    let _: MetadataResponse = client
        .call(ApiKey::Metadata, 12, &all_topics_metadata())
        .await;
    let counts: BTreeMap<String, u64> =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(counts.get("Metadata"), Some(&2));
    broker.shutdown().await;
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn shutdown_closes_open_connections() {
    let broker = TestBroker::start("127.0.0.1:0", BrokerConfig::default())
        .await
        .unwrap();
    let mut client = RawClient::connect(&broker).await;
    let _: MetadataResponse = client
        .call(ApiKey::Metadata, 12, &all_topics_metadata())
        .await;
    let addr = broker.addr();
    broker.shutdown().await;
    assert!(client.is_closed().await);
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "the listener is gone"
    );
}
