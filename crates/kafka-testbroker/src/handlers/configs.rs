//! DescribeConfigs, AlterConfigs and IncrementalAlterConfigs for TOPIC and BROKER resources
//! (`ConfigAdminManager`/`ControllerConfigurationValidator` behaviour): values, sources and
//! synonyms; both alter APIs go through one path (AlterConfigs is a SET of every given key
//! after dropping all overrides).

use super::{text, unknown_topic, validate_topic_name, ApiError};
use crate::acl::{self, AclOperation, RequestContext, ResourceType};
use crate::configs::{self, ConfigSource, ResolvedValue};
use crate::state::{ClusterState, Shared};
use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::describe_configs_response::{
    DescribeConfigsResourceResult, DescribeConfigsResult, DescribeConfigsSynonym,
};
use kafka_protocol::messages::*;
use kafka_protocol::protocol::StrBytes;
use std::collections::{BTreeMap, BTreeSet};
/// DescribeConfigs / AlterConfigs resource type codes.
const CONFIG_RESOURCE_TOPIC: i8 = 2;
const CONFIG_RESOURCE_BROKER: i8 = 4;

/// The effective configs of a topic for CreateTopics v5+ and DescribeConfigs.
pub(super) fn describe_topic_configs(
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
    let state = shared.read_view(context.node);
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

/// The one path of both alter APIs: each resource's change (or why it cannot be read) is
/// applied in request order under one lock; the outcomes come back in the same order.
fn alter_all(
    shared: &Shared,
    context: &RequestContext<'_>,
    changes: Vec<Result<ConfigChange, ApiError>>,
    validate_only: bool,
    forced: Option<i16>,
) -> Vec<Result<(), ApiError>> {
    let mut state = shared.state();
    changes
        .into_iter()
        .map(|change| match forced {
            Some(code) => Err(ApiError::bare(code)),
            None => alter_resource(shared, &mut state, context, &change?, validate_only),
        })
        .collect()
}

/// `(error code, message)` of one resource's outcome.
fn outcome_fields(outcome: Result<(), ApiError>) -> (i16, Option<StrBytes>) {
    outcome.err().map_or((0, None), |e| (e.code, e.message()))
}

/// AlterConfigs: every override of the resource is dropped, then each given key is SET.
pub(crate) fn alter_configs(
    shared: &Shared,
    context: &RequestContext<'_>,
    request: AlterConfigsRequest,
    _version: i16,
    forced: Option<i16>,
) -> AlterConfigsResponse {
    let changes = request
        .resources
        .iter()
        .map(|resource| {
            Ok(ConfigChange {
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
            })
        })
        .collect();
    let outcomes = alter_all(shared, context, changes, request.validate_only, forced);
    let responses = request
        .resources
        .iter()
        .zip(outcomes)
        .map(|(resource, outcome)| {
            let (code, message) = outcome_fields(outcome);
            alter_configs_response::AlterConfigsResourceResponse::default()
                .with_resource_type(resource.resource_type)
                .with_resource_name(resource.resource_name.clone())
                .with_error_code(code)
                .with_error_message(message)
        })
        .collect();
    AlterConfigsResponse::default().with_responses(responses)
}

/// IncrementalAlterConfigs (KIP-339): SET, DELETE, APPEND and SUBTRACT per key.
pub(crate) fn incremental_alter_configs(
    shared: &Shared,
    context: &RequestContext<'_>,
    request: IncrementalAlterConfigsRequest,
    _version: i16,
    forced: Option<i16>,
) -> IncrementalAlterConfigsResponse {
    let changes = request
        .resources
        .iter()
        .map(|resource| {
            let ops = resource
                .configs
                .iter()
                .map(|c| {
                    ConfigOp::from_code(c.config_operation)
                        .map(|op| {
                            (
                                c.name.to_string(),
                                op,
                                c.value.as_ref().map(|v| v.to_string()),
                            )
                        })
                        .ok_or_else(|| {
                            ApiError::new(ResponseError::InvalidRequest, "Unknown config operation")
                        })
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok(ConfigChange {
                resource_type: resource.resource_type,
                name: resource.resource_name.to_string(),
                replace_all: false,
                ops,
            })
        })
        .collect();
    let outcomes = alter_all(shared, context, changes, request.validate_only, forced);
    let responses = request
        .resources
        .iter()
        .zip(outcomes)
        .map(|(resource, outcome)| {
            let (code, message) = outcome_fields(outcome);
            incremental_alter_configs_response::AlterConfigsResourceResponse::default()
                .with_resource_type(resource.resource_type)
                .with_resource_name(resource.resource_name.clone())
                .with_error_code(code)
                .with_error_message(message)
        })
        .collect();
    IncrementalAlterConfigsResponse::default().with_responses(responses)
}
