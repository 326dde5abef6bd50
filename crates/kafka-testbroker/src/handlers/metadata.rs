//! Metadata: brokers (ids 1..N at the listener address, controller 1), topics with their
//! partitions, leaders and replicas, and the authorized-operations bit sets (KIP-430), as
//! Kafka's `KafkaApis.handleTopicMetadataRequest` answers them.

use super::{text, topic_name, validate_topic_name};
use crate::acl::{self, AclOperation, RequestContext, ResourceType};
use crate::state::{ClusterState, Shared, Topic};
use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::metadata_response::{
    MetadataResponseBroker, MetadataResponsePartition, MetadataResponseTopic,
};
use kafka_protocol::messages::*;
/// Bit set of the operations `context` may perform, for `*_authorized_operations`.
pub(super) fn authorized_operations(
    shared: &Shared,
    state: &ClusterState,
    context: &RequestContext<'_>,
    resource_type: ResourceType,
    name: &str,
) -> i32 {
    use AclOperation::*;
    let operations: &[AclOperation] = match resource_type {
        ResourceType::Cluster => &[
            Create,
            Alter,
            Describe,
            ClusterAction,
            DescribeConfigs,
            AlterConfigs,
            IdempotentWrite,
        ],
        _ => &[
            Read,
            Write,
            Create,
            Delete,
            Alter,
            Describe,
            DescribeConfigs,
            AlterConfigs,
        ],
    };
    operations
        .iter()
        .filter(|op| {
            Shared::authorized_in(&shared.config, state, context, **op, resource_type, name)
        })
        .fold(0, |bits, op| bits | (1 << op.code()))
}

pub(crate) fn metadata(
    shared: &Shared,
    context: &RequestContext<'_>,
    request: MetadataRequest,
    version: i16,
    forced: Option<i16>,
) -> MetadataResponse {
    let (host, port) = &shared.advertised;
    let brokers = (1..=shared.config.nodes)
        .map(|id| {
            MetadataResponseBroker::default()
                .with_node_id(BrokerId(id))
                .with_host(text(host.clone()))
                .with_port(*port)
        })
        .collect();
    let mut response = MetadataResponse::default()
        .with_brokers(brokers)
        .with_cluster_id(Some(text(shared.cluster_id.clone())))
        .with_controller_id(BrokerId(1));
    let state = shared.read_view(context.node);
    let describe_topic = |topic: &MetadataResponseTopic, name: &str, stored: &Topic| {
        let partitions = (0..stored.partitions)
            .map(|p| {
                let replicas: Vec<BrokerId> = stored.assignments[p as usize]
                    .iter()
                    .copied()
                    .map(BrokerId)
                    .collect();
                MetadataResponsePartition::default()
                    .with_partition_index(p)
                    .with_leader_id(replicas[0])
                    .with_leader_epoch(0)
                    .with_isr_nodes(replicas.clone())
                    .with_replica_nodes(replicas)
            })
            .collect();
        let mut topic = topic
            .clone()
            .with_topic_id(stored.id)
            .with_partitions(partitions)
            .with_is_internal(name.starts_with("__"));
        if version >= 8 && request.include_topic_authorized_operations {
            topic.topic_authorized_operations =
                authorized_operations(shared, &state, context, ResourceType::Topic, name);
        }
        topic
    };
    let mut topics = Vec::new();
    match &request.topics {
        None => {
            for (name, stored) in &state.topics {
                if Shared::authorized_in(
                    &shared.config,
                    &state,
                    context,
                    AclOperation::Describe,
                    ResourceType::Topic,
                    name,
                ) {
                    let base = MetadataResponseTopic::default().with_name(Some(topic_name(name)));
                    topics.push(describe_topic(&base, name, stored));
                }
            }
        }
        Some(requested) => {
            for wanted in requested {
                let name = match &wanted.name {
                    Some(name) => Some(name.0.to_string()),
                    None => state
                        .topics
                        .iter()
                        .find(|(_, t)| t.id == wanted.topic_id)
                        .map(|(n, _)| n.clone()),
                };
                let Some(name) = name else {
                    topics.push(
                        MetadataResponseTopic::default()
                            .with_topic_id(wanted.topic_id)
                            .with_error_code(ResponseError::UnknownTopicId.code()),
                    );
                    continue;
                };
                let base = MetadataResponseTopic::default().with_name(Some(topic_name(&name)));
                let code = if let Some(code) = forced {
                    code
                } else if !Shared::authorized_in(
                    &shared.config,
                    &state,
                    context,
                    AclOperation::Describe,
                    ResourceType::Topic,
                    &name,
                ) {
                    ResponseError::TopicAuthorizationFailed.code()
                } else if let Some(stored) = state.topics.get(&name) {
                    topics.push(describe_topic(&base, &name, stored));
                    continue;
                } else if validate_topic_name(&name).is_err() {
                    ResponseError::InvalidTopicException.code()
                } else {
                    ResponseError::UnknownTopicOrPartition.code()
                };
                topics.push(base.with_error_code(code));
            }
        }
    }
    if (8..=10).contains(&version) && request.include_cluster_authorized_operations {
        response.cluster_authorized_operations = authorized_operations(
            shared,
            &state,
            context,
            ResourceType::Cluster,
            acl::CLUSTER_RESOURCE_NAME,
        );
    }
    if version >= 13 {
        response.error_code = forced.unwrap_or(0);
    }
    response.with_topics(topics)
}
