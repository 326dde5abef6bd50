//! Request handlers for the admin APIs, with Apache Kafka's (KRaft) validation order, error
//! codes and messages. Each takes the decoded request and returns the response body;
//! `forced` is an error code injected by the test hooks, answered without side effects.

use crate::acl::{
    self, AclFilter, AclOperation, AclPermission, AclRecord, PatternType, RequestContext,
    ResourceType,
};
use crate::configs::{self, ConfigSource, ResolvedValue};
use crate::state::{random_u128, ClusterState, Shared, Topic};
use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::create_acls_response::AclCreationResult;
use kafka_protocol::messages::create_partitions_response::CreatePartitionsTopicResult;
use kafka_protocol::messages::create_topics_request::CreatableTopic;
use kafka_protocol::messages::create_topics_response::{
    CreatableTopicConfigs, CreatableTopicResult,
};
use kafka_protocol::messages::delete_acls_response::{
    DeleteAclsFilterResult, DeleteAclsMatchingAcl,
};
use kafka_protocol::messages::delete_topics_response::DeletableTopicResult;
use kafka_protocol::messages::describe_acls_response::{AclDescription, DescribeAclsResource};
use kafka_protocol::messages::describe_configs_response::{
    DescribeConfigsResourceResult, DescribeConfigsResult, DescribeConfigsSynonym,
};
use kafka_protocol::messages::metadata_response::{
    MetadataResponseBroker, MetadataResponsePartition, MetadataResponseTopic,
};
use kafka_protocol::messages::*;
use kafka_protocol::protocol::StrBytes;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use uuid::Uuid;

pub(crate) mod fetch;
pub(crate) mod list_offsets;
pub(crate) mod produce;

/// DescribeConfigs / AlterConfigs resource type codes.
const CONFIG_RESOURCE_TOPIC: i8 = 2;
const CONFIG_RESOURCE_BROKER: i8 = 4;

/// Topic names longer than this are invalid (`Topic.MAX_NAME_LENGTH`).
const MAX_TOPIC_NAME_LENGTH: usize = 249;

fn text(s: impl Into<String>) -> StrBytes {
    StrBytes::from_string(s.into())
}

fn topic_name(s: &str) -> TopicName {
    TopicName(text(s))
}

/// An error code with Kafka's message for one item of a response.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ApiError {
    code: i16,
    message: Option<String>,
}

impl ApiError {
    fn new(error: ResponseError, message: impl Into<String>) -> Self {
        ApiError {
            code: error.code(),
            message: Some(message.into()),
        }
    }
    fn bare(code: i16) -> Self {
        ApiError {
            code,
            message: None,
        }
    }
    fn message(&self) -> Option<StrBytes> {
        self.message.clone().map(text)
    }
}

/// `Topic.validate`: the INVALID_TOPIC_EXCEPTION message for an illegal name.
pub(crate) fn validate_topic_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("Topic name is illegal, it can't be empty".into());
    }
    if name == "." || name == ".." {
        return Err("Topic name cannot be \".\" or \"..\"".into());
    }
    if name.len() > MAX_TOPIC_NAME_LENGTH {
        return Err(format!("Topic name is illegal, it can't be longer than {MAX_TOPIC_NAME_LENGTH} characters, topic name: {name}"));
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        return Err(format!(
            "Topic name \"{name}\" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'"
        ));
    }
    Ok(())
}

fn unknown_topic(name: &str) -> ApiError {
    ApiError::new(
        ResponseError::UnknownTopicOrPartition,
        format!("The topic '{name}' does not exist."),
    )
}

fn topic_authorization_failed() -> ApiError {
    ApiError::new(
        ResponseError::TopicAuthorizationFailed,
        "Authorization failed.",
    )
}

fn cluster_authorization_failed() -> ApiError {
    ApiError::new(
        ResponseError::ClusterAuthorizationFailed,
        "Cluster authorization failed.",
    )
}

/// Kafka's SECURITY_DISABLED messages differ: DescribeAcls says "on the broker".
fn security_disabled(operation: AclOperation) -> ApiError {
    let message = if operation == AclOperation::Describe {
        "No Authorizer is configured on the broker"
    } else {
        "No Authorizer is configured."
    };
    ApiError::new(ResponseError::SecurityDisabled, message)
}

/// Replica placement of one partition: `rf` consecutive brokers starting after the partition.
fn replicas(nodes: i32, partition: i32, replication_factor: i16) -> Vec<BrokerId> {
    (0..replication_factor as i32)
        .map(|r| BrokerId((partition + r) % nodes + 1))
        .collect()
}

/// Bit set of the operations `context` may perform, for `*_authorized_operations`.
fn authorized_operations(
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
    let state = shared.state();
    let describe_topic = |topic: &MetadataResponseTopic, name: &str, stored: &Topic| {
        let partitions = (0..stored.partitions)
            .map(|p| {
                let replicas = replicas(shared.config.nodes, p, stored.replication_factor);
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

/// The effective configs of a topic for CreateTopics v5+ and DescribeConfigs.
fn describe_topic_configs(
    state: &ClusterState,
    overrides: &BTreeMap<String, String>,
    keys: Option<&[StrBytes]>,
    synonyms: bool,
    version: i16,
) -> Vec<DescribeConfigsResourceResult> {
    configs::TOPIC_CONFIGS
        .iter()
        .filter(|def| keys.is_none_or(|keys| keys.iter().any(|k| k.as_str() == def.name)))
        .map(|def| {
            let chain = state.broker_configs.topic_synonyms(def, overrides, 1);
            let (value, source) = match chain.first() {
                Some(first) => (configs::topic_value_from_synonym(first), first.source),
                None => (
                    configs::topic_only_default(def.name).map(str::to_string),
                    ConfigSource::Default,
                ),
            };
            let mut entry = DescribeConfigsResourceResult::default()
                .with_name(text(def.name))
                .with_value(value.map(text))
                .with_config_source(source as i8)
                .with_read_only(false);
            if synonyms {
                entry.synonyms = synonym_entries(&chain);
            }
            if version >= 3 {
                entry.config_type = def.config_type as i8;
            }
            entry
        })
        .collect()
}

fn synonym_entries(chain: &[ResolvedValue]) -> Vec<DescribeConfigsSynonym> {
    chain
        .iter()
        .map(|s| {
            DescribeConfigsSynonym::default()
                .with_name(text(s.name.clone()))
                .with_value(s.value.clone().map(text))
                .with_source(s.source as i8)
        })
        .collect()
}

pub(crate) fn create_topics(
    shared: &Shared,
    context: &RequestContext<'_>,
    request: CreateTopicsRequest,
    version: i16,
    forced: Option<i16>,
) -> CreateTopicsResponse {
    let mut seen = BTreeMap::<String, usize>::new();
    for topic in &request.topics {
        *seen.entry(topic.name.0.to_string()).or_default() += 1;
    }
    let mut state = shared.state();
    let cluster_create = Shared::authorized_in(
        &shared.config,
        &state,
        context,
        AclOperation::Create,
        ResourceType::Cluster,
        acl::CLUSTER_RESOURCE_NAME,
    );
    let mut results: Vec<CreatableTopicResult> = Vec::new();
    let mut answered = BTreeSet::new();
    for topic in &request.topics {
        let name = topic.name.0.to_string();
        if !answered.insert(name.clone()) {
            continue;
        }
        let base = CreatableTopicResult::default().with_name(topic_name(&name));
        let outcome = if let Some(code) = forced {
            Err(ApiError::bare(code))
        } else if seen[&name] > 1 {
            Err(ApiError::new(
                ResponseError::InvalidRequest,
                "Duplicate topic name.",
            ))
        } else if !cluster_create
            && !Shared::authorized_in(
                &shared.config,
                &state,
                context,
                AclOperation::Create,
                ResourceType::Topic,
                &name,
            )
        {
            Err(topic_authorization_failed())
        } else {
            check_new_topic(shared, &state, topic)
        };
        match outcome {
            Err(error) => results.push(
                base.with_error_code(error.code)
                    .with_error_message(error.message()),
            ),
            Ok(new_topic) => {
                let mut result = base;
                if version >= 5 {
                    result.num_partitions = new_topic.partitions;
                    result.replication_factor = new_topic.replication_factor;
                    let describable = Shared::authorized_in(
                        &shared.config,
                        &state,
                        context,
                        AclOperation::DescribeConfigs,
                        ResourceType::Topic,
                        &name,
                    );
                    if describable {
                        let described =
                            describe_topic_configs(&state, &new_topic.configs, None, false, 1);
                        result.configs = Some(
                            described
                                .into_iter()
                                .map(|c| {
                                    CreatableTopicConfigs::default()
                                        .with_name(c.name)
                                        .with_value(c.value)
                                        .with_config_source(c.config_source)
                                })
                                .collect(),
                        );
                    } else {
                        result.topic_config_error_code =
                            ResponseError::TopicAuthorizationFailed.code();
                    }
                }
                if version >= 7 {
                    result.topic_id = new_topic.id;
                }
                if !request.validate_only {
                    state.topics.insert(name, new_topic);
                }
                results.push(result);
            }
        }
    }
    CreateTopicsResponse::default().with_topics(results)
}

/// KRaft `ReplicationControlManager.createTopics` checks, in Kafka's order.
fn check_new_topic(
    shared: &Shared,
    state: &ClusterState,
    topic: &CreatableTopic,
) -> Result<Topic, ApiError> {
    let name = topic.name.0.as_str();
    validate_topic_name(name)
        .map_err(|m| ApiError::new(ResponseError::InvalidTopicException, m))?;
    if state.topics.contains_key(name) {
        return Err(ApiError::new(
            ResponseError::TopicAlreadyExists,
            format!("Topic '{name}' already exists."),
        ));
    }
    let collision = name.replace('.', "_");
    if let Some(existing) = state
        .topics
        .keys()
        .find(|t| t.replace('.', "_") == collision)
    {
        return Err(ApiError::new(
            ResponseError::InvalidTopicException,
            format!("Topic '{name}' collides with existing topic: {existing}"),
        ));
    }
    let mut overrides = BTreeMap::new();
    for config in &topic.configs {
        let key = config.name.as_str();
        let Some(value) = &config.value else {
            return Err(ApiError::new(
                ResponseError::InvalidConfig,
                format!("Null value not supported for topic configs: {key}"),
            ));
        };
        configs::validate_topic_config(key, value)
            .map_err(|m| ApiError::new(ResponseError::InvalidConfig, m))?;
        overrides.insert(key.to_string(), value.to_string());
    }
    let (partitions, replication_factor) = if topic.assignments.is_empty() {
        let partitions = if topic.num_partitions == -1 {
            default_of("num.partitions")
        } else {
            topic.num_partitions
        };
        let replication_factor = if topic.replication_factor == -1 {
            default_of("default.replication.factor") as i16
        } else {
            topic.replication_factor
        };
        (partitions, replication_factor)
    } else {
        if topic.num_partitions != -1 || topic.replication_factor != -1 {
            return Err(ApiError::new(ResponseError::InvalidRequest, "Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time."));
        }
        let replication_factor = topic.assignments[0].broker_ids.len() as i16;
        for assignment in &topic.assignments {
            if let Some(bad) = assignment
                .broker_ids
                .iter()
                .find(|b| b.0 < 1 || b.0 > shared.config.nodes)
            {
                return Err(ApiError::new(ResponseError::InvalidReplicaAssignment, format!("The manual partition assignment includes broker {}, but no such broker is registered.", bad.0)));
            }
        }
        (topic.assignments.len() as i32, replication_factor)
    };
    if partitions <= 0 {
        return Err(ApiError::new(
            ResponseError::InvalidPartitions,
            "Number of partitions was set to an invalid non-positive value.",
        ));
    }
    if replication_factor <= 0 {
        return Err(ApiError::new(
            ResponseError::InvalidReplicationFactor,
            "Replication factor must be larger than 0, or -1 to use the default value.",
        ));
    }
    if replication_factor as i32 > shared.config.nodes {
        return Err(ApiError::new(
            ResponseError::InvalidReplicationFactor,
            format!(
                "Unable to replicate the partition {replication_factor} time(s): The target replication factor of {replication_factor} cannot be reached because only {} broker(s) are registered.",
                shared.config.nodes
            ),
        ));
    }
    Ok(Topic {
        id: Uuid::from_u128(random_u128()),
        partitions,
        replication_factor,
        configs: overrides,
    })
}

fn default_of(broker_config: &str) -> i32 {
    configs::broker_config(broker_config)
        .and_then(|d| d.default)
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
}

pub(crate) fn delete_topics(
    shared: &Shared,
    context: &RequestContext<'_>,
    request: DeleteTopicsRequest,
    version: i16,
    forced: Option<i16>,
) -> DeleteTopicsResponse {
    let mut state = shared.state();
    let wanted: Vec<(Option<String>, Uuid)> = if version >= 6 {
        request
            .topics
            .iter()
            .map(|t| (t.name.as_ref().map(|n| n.0.to_string()), t.topic_id))
            .collect()
    } else {
        request
            .topic_names
            .iter()
            .map(|n| (Some(n.0.to_string()), Uuid::nil()))
            .collect()
    };
    let mut results = Vec::new();
    for (name, id) in wanted {
        let name = name.or_else(|| {
            state
                .topics
                .iter()
                .find(|(_, t)| t.id == id)
                .map(|(n, _)| n.clone())
        });
        let Some(name) = name else {
            results.push(
                DeletableTopicResult::default()
                    .with_topic_id(id)
                    .with_error_code(ResponseError::UnknownTopicId.code()),
            );
            continue;
        };
        let base = DeletableTopicResult::default().with_name(Some(topic_name(&name)));
        let authorized = |op| {
            Shared::authorized_in(
                &shared.config,
                &state,
                context,
                op,
                ResourceType::Topic,
                &name,
            )
        };
        let error = if let Some(code) = forced {
            Some(ApiError::bare(code))
        } else if !authorized(AclOperation::Describe) || !authorized(AclOperation::Delete) {
            Some(topic_authorization_failed())
        } else if !state.topics.contains_key(&name) {
            Some(unknown_topic(&name))
        } else {
            None
        };
        match error {
            Some(error) => results.push(
                base.with_error_code(error.code)
                    .with_error_message(error.message()),
            ),
            None => {
                let removed = state.topics.remove(&name).expect("checked above");
                shared.logs().remove_topic(removed.id);
                results.push(base.with_topic_id(removed.id));
            }
        }
    }
    DeleteTopicsResponse::default().with_responses(results)
}

pub(crate) fn create_partitions(
    shared: &Shared,
    context: &RequestContext<'_>,
    request: CreatePartitionsRequest,
    _version: i16,
    forced: Option<i16>,
) -> CreatePartitionsResponse {
    let mut state = shared.state();
    let mut seen = BTreeMap::<String, usize>::new();
    for topic in &request.topics {
        *seen.entry(topic.name.0.to_string()).or_default() += 1;
    }
    let mut results = Vec::new();
    for topic in &request.topics {
        let name = topic.name.0.to_string();
        let error = if let Some(code) = forced {
            Some(ApiError::bare(code))
        } else if seen[&name] > 1 {
            Some(ApiError::new(
                ResponseError::InvalidRequest,
                "Duplicate topic in request.",
            ))
        } else if !Shared::authorized_in(
            &shared.config,
            &state,
            context,
            AclOperation::Alter,
            ResourceType::Topic,
            &name,
        ) {
            Some(topic_authorization_failed())
        } else {
            match state.topics.get(&name) {
                None => Some(unknown_topic(&name)),
                Some(existing) if topic.count < existing.partitions => Some(ApiError::new(
                    ResponseError::InvalidPartitions,
                    format!(
                        "Topic currently has {} partitions, which is higher than the requested {}.",
                        existing.partitions, topic.count
                    ),
                )),
                Some(existing) if topic.count == existing.partitions => Some(ApiError::new(
                    ResponseError::InvalidPartitions,
                    format!("Topic already has {} partition(s).", existing.partitions),
                )),
                Some(_) => None,
            }
        };
        let base = CreatePartitionsTopicResult::default().with_name(topic_name(&name));
        match error {
            Some(error) => results.push(
                base.with_error_code(error.code)
                    .with_error_message(error.message()),
            ),
            None => {
                if !request.validate_only {
                    state
                        .topics
                        .get_mut(&name)
                        .expect("checked above")
                        .partitions = topic.count;
                }
                results.push(base);
            }
        }
    }
    CreatePartitionsResponse::default().with_results(results)
}

/// Parses a BROKER config resource name: `None` for the cluster default (""), else the id.
fn broker_resource(shared: &Shared, name: &str) -> Result<Option<i32>, ApiError> {
    if name.is_empty() {
        return Ok(None);
    }
    match name.parse::<i32>() {
        Ok(id) if (1..=shared.config.nodes).contains(&id) => Ok(Some(id)),
        _ => Err(ApiError::new(
            ResponseError::InvalidRequest,
            format!("Unexpected broker id, expected 1 or empty string, but received {name}"),
        )),
    }
}

pub(crate) fn describe_configs(
    shared: &Shared,
    context: &RequestContext<'_>,
    request: DescribeConfigsRequest,
    version: i16,
    forced: Option<i16>,
) -> DescribeConfigsResponse {
    let state = shared.state();
    let mut results = Vec::new();
    for resource in &request.resources {
        let name = resource.resource_name.to_string();
        let base = DescribeConfigsResult::default()
            .with_resource_type(resource.resource_type)
            .with_resource_name(resource.resource_name.clone());
        let keys = resource.configuration_keys.as_deref();
        let outcome: Result<Vec<DescribeConfigsResourceResult>, ApiError> =
            match (forced, resource.resource_type) {
                (Some(code), _) => Err(ApiError::bare(code)),
                (None, CONFIG_RESOURCE_TOPIC) => {
                    if !Shared::authorized_in(
                        &shared.config,
                        &state,
                        context,
                        AclOperation::DescribeConfigs,
                        ResourceType::Topic,
                        &name,
                    ) {
                        Err(ApiError::bare(
                            ResponseError::TopicAuthorizationFailed.code(),
                        ))
                    } else if let Err(message) = validate_topic_name(&name) {
                        Err(ApiError::new(ResponseError::InvalidTopicException, message))
                    } else {
                        match state.topics.get(&name) {
                            None => Err(unknown_topic(&name)),
                            Some(topic) => Ok(describe_topic_configs(
                                &state,
                                &topic.configs,
                                keys,
                                request.include_synonyms,
                                version,
                            )),
                        }
                    }
                }
                (None, CONFIG_RESOURCE_BROKER) => {
                    if !Shared::authorized_in(
                        &shared.config,
                        &state,
                        context,
                        AclOperation::DescribeConfigs,
                        ResourceType::Cluster,
                        acl::CLUSTER_RESOURCE_NAME,
                    ) {
                        Err(ApiError::bare(
                            ResponseError::ClusterAuthorizationFailed.code(),
                        ))
                    } else {
                        broker_resource(shared, &name).map(|broker| {
                            describe_broker_configs(
                                &state,
                                broker,
                                keys,
                                request.include_synonyms,
                                version,
                            )
                        })
                    }
                }
                (None, other) => Err(ApiError::new(
                    ResponseError::InvalidRequest,
                    format!("Unsupported resource type: {other}"),
                )),
            };
        results.push(match outcome {
            Ok(configs) => base.with_configs(configs),
            Err(error) => base
                .with_error_code(error.code)
                .with_error_message(error.message()),
        });
    }
    DescribeConfigsResponse::default().with_results(results)
}

fn describe_broker_configs(
    state: &ClusterState,
    broker: Option<i32>,
    keys: Option<&[StrBytes]>,
    synonyms: bool,
    version: i16,
) -> Vec<DescribeConfigsResourceResult> {
    let dynamic = &state.broker_configs;
    configs::BROKER_CONFIGS
        .iter()
        .filter(|def| keys.is_none_or(|keys| keys.iter().any(|k| k.as_str() == def.name)))
        .filter_map(|def| {
            let chain = dynamic.broker_synonyms(def.name, broker);
            let chain: Vec<ResolvedValue> = match broker {
                // The cluster-default resource lists only dynamic default values.
                None => chain
                    .into_iter()
                    .filter(|s| s.source == ConfigSource::DynamicDefaultBroker)
                    .collect(),
                Some(_) => chain,
            };
            if broker.is_none() && chain.is_empty() {
                return None;
            }
            let (value, source) = chain.first().map_or((None, ConfigSource::Default), |s| {
                (s.value.clone(), s.source)
            });
            let mut entry = DescribeConfigsResourceResult::default()
                .with_name(text(def.name))
                .with_value(value.map(text))
                .with_config_source(source as i8)
                .with_read_only(!def.dynamic)
                .with_is_sensitive(def.sensitive);
            if synonyms {
                entry.synonyms = synonym_entries(&chain);
            }
            if version >= 3 {
                entry.config_type = def.config_type as i8;
            }
            Some(entry)
        })
        .collect()
}

/// One requested config change, in incremental form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ConfigOp {
    Set,
    Delete,
    Append,
    Subtract,
}

impl ConfigOp {
    fn from_code(code: i8) -> Option<Self> {
        Some(match code {
            0 => ConfigOp::Set,
            1 => ConfigOp::Delete,
            2 => ConfigOp::Append,
            3 => ConfigOp::Subtract,
            _ => return None,
        })
    }
}

/// A config resource and its changes, shared by AlterConfigs (replace: `replace_all`) and
/// IncrementalAlterConfigs.
struct ConfigChange {
    resource_type: i8,
    name: String,
    replace_all: bool,
    ops: Vec<(String, ConfigOp, Option<String>)>,
}

/// Applies (or only validates) one resource's config changes.
fn alter_resource(
    shared: &Shared,
    state: &mut ClusterState,
    context: &RequestContext<'_>,
    change: &ConfigChange,
    validate_only: bool,
) -> Result<(), ApiError> {
    let mut keys = BTreeSet::new();
    if change
        .ops
        .iter()
        .any(|(key, _, _)| !keys.insert(key.clone()))
    {
        return Err(ApiError::new(
            ResponseError::InvalidRequest,
            "Error due to duplicate config keys",
        ));
    }
    match change.resource_type {
        CONFIG_RESOURCE_TOPIC => {
            if !Shared::authorized_in(
                &shared.config,
                state,
                context,
                AclOperation::AlterConfigs,
                ResourceType::Topic,
                &change.name,
            ) {
                return Err(ApiError::bare(
                    ResponseError::TopicAuthorizationFailed.code(),
                ));
            }
            validate_topic_name(&change.name)
                .map_err(|m| ApiError::new(ResponseError::InvalidTopicException, m))?;
            let topic = state
                .topics
                .get(&change.name)
                .ok_or_else(|| unknown_topic(&change.name))?;
            let current = topic.configs.clone();
            let broker_configs = &state.broker_configs;
            let updated = apply_ops(
                change,
                &current,
                |key| configs::topic_config(key).map(|d| d.config_type),
                |key| {
                    let def = configs::topic_config(key)?;
                    broker_configs
                        .topic_synonyms(def, &BTreeMap::new(), 1)
                        .first()
                        .and_then(configs::topic_value_from_synonym)
                },
                configs::validate_topic_config,
            )?;
            if !validate_only {
                state
                    .topics
                    .get_mut(&change.name)
                    .expect("checked above")
                    .configs = updated;
            }
            Ok(())
        }
        CONFIG_RESOURCE_BROKER => {
            if !Shared::authorized_in(
                &shared.config,
                state,
                context,
                AclOperation::AlterConfigs,
                ResourceType::Cluster,
                acl::CLUSTER_RESOURCE_NAME,
            ) {
                return Err(ApiError::bare(
                    ResponseError::ClusterAuthorizationFailed.code(),
                ));
            }
            let broker = broker_resource(shared, &change.name)?;
            let not_dynamic: Vec<&str> = change
                .ops
                .iter()
                .filter(|(key, _, _)| configs::broker_config(key).is_some_and(|d| !d.dynamic))
                .map(|(key, _, _)| key.as_str())
                .collect();
            if !not_dynamic.is_empty() {
                return Err(ApiError::new(
                    ResponseError::InvalidRequest,
                    format!(
                        "Cannot update these configs dynamically: Set({})",
                        not_dynamic.join(", ")
                    ),
                ));
            }
            let current = match broker {
                Some(id) => state
                    .broker_configs
                    .per_broker
                    .get(&id)
                    .cloned()
                    .unwrap_or_default(),
                None => state.broker_configs.cluster_default.clone(),
            };
            let updated = apply_ops(
                change,
                &current,
                |key| configs::broker_config(key).map(|d| d.config_type),
                |key| {
                    configs::broker_config(key)
                        .and_then(|d| d.default)
                        .map(str::to_string)
                },
                |key, value| match configs::broker_config(key) {
                    Some(def) => configs::validate_broker_config(def, value),
                    None => Err(format!("Unknown broker config name: {key}")),
                },
            )?;
            if !validate_only {
                match broker {
                    Some(id) => {
                        state.broker_configs.per_broker.insert(id, updated);
                    }
                    None => state.broker_configs.cluster_default = updated,
                }
            }
            Ok(())
        }
        other => Err(ApiError::new(
            ResponseError::InvalidRequest,
            format!("Unsupported resource type: {other}"),
        )),
    }
}

/// Computes the new override map; the defaults of LIST configs seed APPEND/SUBTRACT.
fn apply_ops(
    change: &ConfigChange,
    current: &BTreeMap<String, String>,
    config_type: impl Fn(&str) -> Option<configs::ConfigType>,
    default_value: impl Fn(&str) -> Option<String>,
    validate: impl Fn(&str, &str) -> Result<(), String>,
) -> Result<BTreeMap<String, String>, ApiError> {
    let invalid_config = |m: String| ApiError::new(ResponseError::InvalidConfig, m);
    let mut updated = if change.replace_all {
        BTreeMap::new()
    } else {
        current.clone()
    };
    for (key, op, value) in &change.ops {
        let Some(kind) = config_type(key) else {
            // Unknown names: the validator produces Kafka's message.
            return Err(invalid_config(
                validate(key, value.as_deref().unwrap_or(""))
                    .expect_err("unknown config names never validate"),
            ));
        };
        match op {
            ConfigOp::Delete => {
                updated.remove(key);
            }
            ConfigOp::Set => {
                let Some(value) = value else {
                    return Err(ApiError::new(
                        ResponseError::InvalidRequest,
                        format!("Null value not supported for : {key}"),
                    ));
                };
                validate(key, value).map_err(invalid_config)?;
                updated.insert(key.clone(), value.clone());
            }
            ConfigOp::Append | ConfigOp::Subtract => {
                if kind != configs::ConfigType::List {
                    let verb = if *op == ConfigOp::Append {
                        "APPEND"
                    } else {
                        "SUBTRACT"
                    };
                    return Err(invalid_config(format!(
                        "Can't {verb} to key {key} because its type is not LIST."
                    )));
                }
                let existing = updated
                    .get(key)
                    .cloned()
                    .or_else(|| default_value(key))
                    .unwrap_or_default();
                let mut items: Vec<String> = configs::split_list(&existing)
                    .into_iter()
                    .map(str::to_string)
                    .collect();
                let given: Vec<String> = configs::split_list(value.as_deref().unwrap_or(""))
                    .into_iter()
                    .map(str::to_string)
                    .collect();
                if *op == ConfigOp::Append {
                    for item in given {
                        if !items.contains(&item) {
                            items.push(item);
                        }
                    }
                } else {
                    items.retain(|item| !given.contains(item));
                }
                let joined = items.join(",");
                validate(key, &joined).map_err(invalid_config)?;
                updated.insert(key.clone(), joined);
            }
        }
    }
    Ok(updated)
}

pub(crate) fn alter_configs(
    shared: &Shared,
    context: &RequestContext<'_>,
    request: AlterConfigsRequest,
    _version: i16,
    forced: Option<i16>,
) -> AlterConfigsResponse {
    let mut state = shared.state();
    let responses = request
        .resources
        .iter()
        .map(|resource| {
            let change = ConfigChange {
                resource_type: resource.resource_type,
                name: resource.resource_name.to_string(),
                replace_all: true,
                ops: resource
                    .configs
                    .iter()
                    .map(|c| {
                        (
                            c.name.to_string(),
                            ConfigOp::Set,
                            c.value.as_ref().map(|v| v.to_string()),
                        )
                    })
                    .collect(),
            };
            let outcome = match forced {
                Some(code) => Err(ApiError::bare(code)),
                None => alter_resource(shared, &mut state, context, &change, request.validate_only),
            };
            let base = alter_configs_response::AlterConfigsResourceResponse::default()
                .with_resource_type(resource.resource_type)
                .with_resource_name(resource.resource_name.clone());
            match outcome {
                Ok(()) => base,
                Err(error) => base
                    .with_error_code(error.code)
                    .with_error_message(error.message()),
            }
        })
        .collect();
    AlterConfigsResponse::default().with_responses(responses)
}

pub(crate) fn incremental_alter_configs(
    shared: &Shared,
    context: &RequestContext<'_>,
    request: IncrementalAlterConfigsRequest,
    _version: i16,
    forced: Option<i16>,
) -> IncrementalAlterConfigsResponse {
    let mut state = shared.state();
    let responses = request
        .resources
        .iter()
        .map(|resource| {
            let ops: Option<Vec<_>> = resource
                .configs
                .iter()
                .map(|c| {
                    ConfigOp::from_code(c.config_operation).map(|op| {
                        (
                            c.name.to_string(),
                            op,
                            c.value.as_ref().map(|v| v.to_string()),
                        )
                    })
                })
                .collect();
            let outcome = match (forced, ops) {
                (Some(code), _) => Err(ApiError::bare(code)),
                (None, None) => Err(ApiError::new(
                    ResponseError::InvalidRequest,
                    "Unknown config operation",
                )),
                (None, Some(ops)) => {
                    let change = ConfigChange {
                        resource_type: resource.resource_type,
                        name: resource.resource_name.to_string(),
                        replace_all: false,
                        ops,
                    };
                    alter_resource(shared, &mut state, context, &change, request.validate_only)
                }
            };
            let base = incremental_alter_configs_response::AlterConfigsResourceResponse::default()
                .with_resource_type(resource.resource_type)
                .with_resource_name(resource.resource_name.clone());
            match outcome {
                Ok(()) => base,
                Err(error) => base
                    .with_error_code(error.code)
                    .with_error_message(error.message()),
            }
        })
        .collect();
    IncrementalAlterConfigsResponse::default().with_responses(responses)
}

/// The whole-request gate of the ACL APIs: no authorizer, then the CLUSTER permission.
fn acl_api_gate(
    shared: &Shared,
    context: &RequestContext<'_>,
    operation: AclOperation,
    forced: Option<i16>,
) -> Result<(), ApiError> {
    if let Some(code) = forced {
        return Err(ApiError::bare(code));
    }
    if !shared.config.authorizer {
        return Err(security_disabled(operation));
    }
    if !shared.authorized(
        context,
        operation,
        ResourceType::Cluster,
        acl::CLUSTER_RESOURCE_NAME,
    ) {
        return Err(cluster_authorization_failed());
    }
    Ok(())
}

/// From this many bindings in one CreateAcls request on, the stored bindings are indexed in a
/// set for the duplicate check; below it a scan of the table is cheaper than copying it.
const ACL_INDEX_MIN_BATCH: usize = 32;

pub(crate) fn create_acls(
    shared: &Shared,
    context: &RequestContext<'_>,
    request: CreateAclsRequest,
    _version: i16,
    forced: Option<i16>,
) -> CreateAclsResponse {
    let results = match acl_api_gate(shared, context, AclOperation::Alter, forced) {
        Err(error) => request
            .creations
            .iter()
            .map(|_| {
                AclCreationResult::default()
                    .with_error_code(error.code)
                    .with_error_message(error.message())
            })
            .collect(),
        Ok(()) => {
            // One lock for the whole request. A large request indexes the stored bindings in a
            // set so it stays linear; a small one (e.g. one binding per request, as
            // one-resource-per-ACL tools send) scans the table instead of copying it each time.
            let mut state = shared.state();
            let mut stored: Option<HashSet<AclRecord>> = (request.creations.len()
                >= ACL_INDEX_MIN_BATCH)
                .then(|| state.acls.iter().cloned().collect());
            request
                .creations
                .iter()
                .map(|creation| {
                    let binding = AclRecord {
                        resource_type: ResourceType::from_code(creation.resource_type),
                        name: creation.resource_name.to_string(),
                        pattern_type: PatternType::from_code(creation.resource_pattern_type),
                        principal: creation.principal.to_string(),
                        host: creation.host.to_string(),
                        operation: AclOperation::from_code(creation.operation),
                        permission: AclPermission::from_code(creation.permission_type),
                    };
                    let outcome = match (
                        acl::validate_binding(&binding),
                        shared.hooks().binding_rejection(&binding.name),
                    ) {
                        (Err(message), _) => {
                            Err(ApiError::new(ResponseError::InvalidRequest, message))
                        }
                        (Ok(()), Some(code)) => Err(ApiError::bare(code)),
                        (Ok(()), None) => {
                            let is_new = match stored.as_mut() {
                                Some(index) => index.insert(binding.clone()),
                                None => !state.acls.contains(&binding),
                            };
                            if is_new {
                                state.acls.push(binding);
                            }
                            Ok(())
                        }
                    };
                    match outcome {
                        Ok(()) => AclCreationResult::default(),
                        Err(error) => AclCreationResult::default()
                            .with_error_code(error.code)
                            .with_error_message(error.message()),
                    }
                })
                .collect()
        }
    };
    CreateAclsResponse::default().with_results(results)
}

fn filter_from_wire(
    resource_type: i8,
    name: &Option<StrBytes>,
    pattern_type: i8,
    principal: &Option<StrBytes>,
    host: &Option<StrBytes>,
    operation: i8,
    permission: i8,
) -> AclFilter {
    AclFilter {
        resource_type: ResourceType::from_code(resource_type),
        name: name.as_ref().map(|s| s.to_string()),
        pattern_type: PatternType::from_code(pattern_type),
        principal: principal.as_ref().map(|s| s.to_string()),
        host: host.as_ref().map(|s| s.to_string()),
        operation: AclOperation::from_code(operation),
        permission: AclPermission::from_code(permission),
    }
}

pub(crate) fn describe_acls(
    shared: &Shared,
    context: &RequestContext<'_>,
    request: DescribeAclsRequest,
    _version: i16,
    forced: Option<i16>,
) -> DescribeAclsResponse {
    if let Err(error) = acl_api_gate(shared, context, AclOperation::Describe, forced) {
        return DescribeAclsResponse::default()
            .with_error_code(error.code)
            .with_error_message(error.message());
    }
    let filter = filter_from_wire(
        request.resource_type_filter,
        &request.resource_name_filter,
        request.pattern_type_filter,
        &request.principal_filter,
        &request.host_filter,
        request.operation,
        request.permission_type,
    );
    if let Err(message) = acl::validate_filter(&filter) {
        return DescribeAclsResponse::default()
            .with_error_code(ResponseError::InvalidRequest.code())
            .with_error_message(Some(text(message)));
    }
    let state = shared.state();
    let mut grouped: BTreeMap<(ResourceType, String, PatternType), Vec<AclDescription>> =
        BTreeMap::new();
    for binding in state
        .acls
        .iter()
        .filter(|b| acl::filter_matches(&filter, b))
    {
        grouped
            .entry((
                binding.resource_type,
                binding.name.clone(),
                binding.pattern_type,
            ))
            .or_default()
            .push(
                AclDescription::default()
                    .with_principal(text(binding.principal.clone()))
                    .with_host(text(binding.host.clone()))
                    .with_operation(binding.operation.code())
                    .with_permission_type(binding.permission.code()),
            );
    }
    let resources = grouped
        .into_iter()
        .map(|((resource_type, name, pattern_type), acls)| {
            DescribeAclsResource::default()
                .with_resource_type(resource_type.code())
                .with_resource_name(text(name))
                .with_pattern_type(pattern_type.code())
                .with_acls(acls)
        })
        .collect();
    DescribeAclsResponse::default().with_resources(resources)
}

pub(crate) fn delete_acls(
    shared: &Shared,
    context: &RequestContext<'_>,
    request: DeleteAclsRequest,
    _version: i16,
    forced: Option<i16>,
) -> DeleteAclsResponse {
    let results = match acl_api_gate(shared, context, AclOperation::Alter, forced) {
        Err(error) => request
            .filters
            .iter()
            .map(|_| {
                DeleteAclsFilterResult::default()
                    .with_error_code(error.code)
                    .with_error_message(error.message())
            })
            .collect(),
        Ok(()) => {
            // As in Kafka's AclControlManager.deleteAcls, every filter is matched against
            // the bindings as they were before the request, so a binding matched by two
            // filters is reported by both; the union is removed at the end.
            let mut state = shared.state();
            let mut removed = BTreeSet::new();
            let results = request
                .filters
                .iter()
                .map(|wire| {
                    let filter = filter_from_wire(
                        wire.resource_type_filter,
                        &wire.resource_name_filter,
                        wire.pattern_type_filter,
                        &wire.principal_filter,
                        &wire.host_filter,
                        wire.operation,
                        wire.permission_type,
                    );
                    if let Err(message) = acl::validate_filter(&filter) {
                        return DeleteAclsFilterResult::default()
                            .with_error_code(ResponseError::InvalidRequest.code())
                            .with_error_message(Some(text(message)));
                    }
                    let matching = state
                        .acls
                        .iter()
                        .filter(|b| acl::filter_matches(&filter, b))
                        .map(|b| {
                            removed.insert(b.clone());
                            DeleteAclsMatchingAcl::default()
                                .with_resource_type(b.resource_type.code())
                                .with_resource_name(text(b.name.clone()))
                                .with_pattern_type(b.pattern_type.code())
                                .with_principal(text(b.principal.clone()))
                                .with_host(text(b.host.clone()))
                                .with_operation(b.operation.code())
                                .with_permission_type(b.permission.code())
                        })
                        .collect();
                    DeleteAclsFilterResult::default().with_matching_acls(matching)
                })
                .collect();
            state.acls.retain(|b| !removed.contains(b));
            results
        }
    };
    DeleteAclsResponse::default().with_filter_results(results)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_names_follow_kafka_rules() {
        assert!(validate_topic_name("orders.v1_x-y").is_ok());
        assert!(validate_topic_name("").is_err());
        assert!(validate_topic_name("..").is_err());
        assert!(validate_topic_name("with space").is_err());
        assert!(validate_topic_name(&"a".repeat(250)).is_err());
        assert!(validate_topic_name(&"a".repeat(249)).is_ok());
    }

    #[test]
    fn replicas_spread_over_nodes() {
        assert_eq!(
            replicas(3, 2, 3),
            vec![BrokerId(3), BrokerId(1), BrokerId(2)]
        );
    }
}
