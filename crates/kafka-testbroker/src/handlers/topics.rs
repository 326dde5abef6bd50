//! CreateTopics, DeleteTopics and CreatePartitions with the checks of KRaft's
//! `ReplicationControlManager` in Kafka's order (names, collisions, configs, partitions,
//! replication factors and manual assignments).

use super::configs::describe_topic_configs;
use super::{topic_authorization_failed, topic_name, unknown_topic, validate_topic_name, ApiError};
use crate::acl::{self, AclOperation, RequestContext, ResourceType};
use crate::configs::{self};
use crate::state::{place, random_u128, ClusterState, Shared, Topic};
use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::create_partitions_request::CreatePartitionsTopic;
use kafka_protocol::messages::create_partitions_response::CreatePartitionsTopicResult;
use kafka_protocol::messages::create_topics_request::CreatableTopic;
use kafka_protocol::messages::create_topics_response::{
    CreatableTopicConfigs, CreatableTopicResult,
};
use kafka_protocol::messages::delete_topics_response::DeletableTopicResult;
use kafka_protocol::messages::*;
use std::collections::{BTreeMap, BTreeSet};
use uuid::Uuid;
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
    let nodes = shared.config.nodes;
    let manual = if topic.assignments.is_empty() {
        None
    } else {
        Some(manual_assignments(topic, nodes)?)
    };
    let (partitions, replication_factor) = match &manual {
        Some(assignments) => (assignments.len() as i32, assignments[0].len() as i16),
        None => (
            if topic.num_partitions == -1 {
                default_of("num.partitions")
            } else {
                topic.num_partitions
            },
            if topic.replication_factor == -1 {
                default_of("default.replication.factor") as i16
            } else {
                topic.replication_factor
            },
        ),
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
    if replication_factor as i32 > nodes {
        return Err(ApiError::new(
            ResponseError::InvalidReplicationFactor,
            format!(
                "Unable to replicate the partition {replication_factor} time(s): The target replication factor of {replication_factor} cannot be reached because only {nodes} broker(s) are registered."
            ),
        ));
    }
    Ok(Topic {
        id: Uuid::from_u128(random_u128()),
        partitions,
        replication_factor,
        assignments: manual.unwrap_or_else(|| place(nodes, 0, partitions, replication_factor)),
        configs: overrides,
    })
}

/// `ReplicationControlManager.createTopic` with manual assignments (Kafka 3.9): both counts
/// must be -1, each partition once, each list valid, partition ids 0..n without gaps; the
/// lists are kept as given, in partition order.
fn manual_assignments(topic: &CreatableTopic, nodes: i32) -> Result<Vec<Vec<i32>>, ApiError> {
    if topic.replication_factor != -1 {
        return Err(ApiError::new(
            ResponseError::InvalidRequest,
            "A manual partition assignment was specified, but replication factor was not set to -1.",
        ));
    }
    if topic.num_partitions != -1 {
        return Err(ApiError::new(
            ResponseError::InvalidRequest,
            "A manual partition assignment was specified, but numPartitions was not set to -1.",
        ));
    }
    let mut parts: BTreeMap<i32, Vec<i32>> = BTreeMap::new();
    let mut replication_factor = None;
    for assignment in &topic.assignments {
        if parts.contains_key(&assignment.partition_index) {
            return Err(ApiError::new(
                ResponseError::InvalidReplicaAssignment,
                format!(
                    "Found multiple manual partition assignments for partition {}",
                    assignment.partition_index
                ),
            ));
        }
        let replicas: Vec<i32> = assignment.broker_ids.iter().map(|b| b.0).collect();
        validate_manual_assignment(&replicas, replication_factor, nodes)?;
        replication_factor = Some(replicas.len());
        parts.insert(assignment.partition_index, replicas);
    }
    if parts.keys().copied().ne(0..parts.len() as i32) {
        return Err(ApiError::new(
            ResponseError::InvalidReplicaAssignment,
            "partitions should be a consecutive 0-based integer sequence",
        ));
    }
    Ok(parts.into_values().collect())
}

/// `ReplicationControlManager.createPartitions` (Kafka 3.9): the replicas of the partitions
/// to add, as given (each list validated against the topic's replication factor) or placed.
fn new_partitions(
    name: &str,
    existing: &Topic,
    topic: &CreatePartitionsTopic,
    nodes: i32,
) -> Result<Vec<Vec<i32>>, ApiError> {
    let current = existing.partitions;
    if topic.count == current {
        return Err(ApiError::new(
            ResponseError::InvalidPartitions,
            format!("Topic already has {current} partition(s)."),
        ));
    }
    if topic.count < current {
        return Err(ApiError::new(
            ResponseError::InvalidPartitions,
            format!(
                "The topic {name} currently has {current} partition(s); {} would not be an increase.",
                topic.count
            ),
        ));
    }
    let additional = topic.count - current;
    let Some(assignments) = &topic.assignments else {
        return Ok(place(
            nodes,
            current,
            additional,
            existing.replication_factor,
        ));
    };
    if assignments.len() != additional as usize {
        return Err(ApiError::new(
            ResponseError::InvalidReplicaAssignment,
            format!(
                "Attempted to add {additional} additional partition(s), but only {} assignment(s) were specified.",
                assignments.len()
            ),
        ));
    }
    assignments
        .iter()
        .map(|assignment| {
            let replicas: Vec<i32> = assignment.broker_ids.iter().map(|b| b.0).collect();
            validate_manual_assignment(
                &replicas,
                Some(existing.replication_factor as usize),
                nodes,
            )?;
            Ok(replicas)
        })
        .collect()
}

/// `ReplicationControlManager.validateManualPartitionAssignment` (Kafka 3.9).
fn validate_manual_assignment(
    replicas: &[i32],
    replication_factor: Option<usize>,
    nodes: i32,
) -> Result<(), ApiError> {
    let invalid = |m: String| ApiError::new(ResponseError::InvalidReplicaAssignment, m);
    if replicas.is_empty() {
        return Err(invalid(
            "The manual partition assignment includes an empty replica list.".into(),
        ));
    }
    let mut sorted = replicas.to_vec();
    sorted.sort_unstable();
    let mut previous = None;
    for broker in sorted.iter().copied() {
        if !(1..=nodes).contains(&broker) {
            return Err(invalid(format!("The manual partition assignment includes broker {broker}, but no such broker is registered.")));
        }
        if previous == Some(broker) {
            return Err(invalid(format!(
                "The manual partition assignment includes the broker {broker} more than once."
            )));
        }
        previous = Some(broker);
    }
    match replication_factor {
        Some(expected) if expected != sorted.len() => Err(invalid(format!(
            "The manual partition assignment includes a partition with {} replica(s), but this is not consistent with previous partitions, which have {expected} replica(s).",
            sorted.len()
        ))),
        _ => Ok(()),
    }
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
            None
        };
        let added = match error {
            Some(error) => Err(error),
            None => match state.topics.get(&name) {
                None => Err(unknown_topic(&name)),
                Some(existing) => new_partitions(&name, existing, topic, shared.config.nodes),
            },
        };
        let base = CreatePartitionsTopicResult::default().with_name(topic_name(&name));
        match added {
            Err(error) => results.push(
                base.with_error_code(error.code)
                    .with_error_message(error.message()),
            ),
            Ok(added) => {
                if !request.validate_only {
                    let stored = state.topics.get_mut(&name).expect("checked above");
                    stored.partitions = topic.count;
                    stored.assignments.extend(added);
                }
                results.push(base);
            }
        }
    }
    CreatePartitionsResponse::default().with_results(results)
}
