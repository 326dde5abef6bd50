//! The topic admin calls: CreateTopics and DescribeConfigs (whose rust-rdkafka API drops the
//! Kafka error name and the broker's message per topic), DeleteTopics, DescribeTopics and
//! IncrementalAlterConfigs (which it lacks), and the copies of their results.

use std::ffi::{c_char, c_int};
use std::time::Duration;

use rdkafka::bindings as rd;
use rdkafka::client::{Client, ClientContext};

use super::acls::operation_from_rd;
use super::call::{batch, call, Api, CallSettings};
use super::failure::CallFailure;
use super::handles::{
    borrowed_error, c_ptr, c_string, code_outcome, owned, result_slice, ErrBuf, Objects,
    OwnedError, TopicCollection,
};
use crate::kafka::error::BrokerError;
use crate::kafka::topics::{
    ConfigChange, ConfigSource, ConfigValue, NewTopic, TopicConfigAlteration, TopicConfigs,
    TopicDescription, TopicOutcomes,
};
use crate::model::acl::Operation;

const CREATE_TOPICS: Api<*mut *const rd::rd_kafka_topic_result_t> = Api {
    op: rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_CREATETOPICS,
    event_type: rd::RD_KAFKA_EVENT_CREATETOPICS_RESULT,
    result: rd::rd_kafka_event_CreateTopics_result,
    items: rd::rd_kafka_CreateTopics_result_topics,
};

const DELETE_TOPICS: Api<*mut *const rd::rd_kafka_topic_result_t> = Api {
    op: rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_DELETETOPICS,
    event_type: rd::RD_KAFKA_EVENT_DELETETOPICS_RESULT,
    result: rd::rd_kafka_event_DeleteTopics_result,
    items: rd::rd_kafka_DeleteTopics_result_topics,
};

const DESCRIBE_TOPICS: Api<*mut *const rd::rd_kafka_TopicDescription_t> = Api {
    op: rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_DESCRIBETOPICS,
    event_type: rd::RD_KAFKA_EVENT_DESCRIBETOPICS_RESULT,
    result: rd::rd_kafka_event_DescribeTopics_result,
    items: rd::rd_kafka_DescribeTopics_result_topics,
};

const DESCRIBE_CONFIGS: Api<*mut *const rd::rd_kafka_ConfigResource_t> = Api {
    op: rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS,
    event_type: rd::RD_KAFKA_EVENT_DESCRIBECONFIGS_RESULT,
    result: rd::rd_kafka_event_DescribeConfigs_result,
    items: rd::rd_kafka_DescribeConfigs_result_resources,
};

const INCREMENTAL_ALTER_CONFIGS: Api<*mut *const rd::rd_kafka_ConfigResource_t> = Api {
    op: rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_INCREMENTALALTERCONFIGS,
    event_type: rd::RD_KAFKA_EVENT_INCREMENTALALTERCONFIGS_RESULT,
    result: rd::rd_kafka_event_IncrementalAlterConfigs_result,
    items: rd::rd_kafka_IncrementalAlterConfigs_result_resources,
};

/// One CreateTopics request for all `topics`; per topic, its name and outcome.
pub(crate) fn create_topics<C: ClientContext>(
    client: &Client<C>,
    topics: &[NewTopic],
    validate_only: bool,
    timeout: Duration,
    abort: &dyn Fn() -> Option<String>,
) -> Result<TopicOutcomes<()>, CallFailure> {
    let mut new_topics = Objects::new(rd::rd_kafka_NewTopic_destroy, topics.len());
    for topic in topics {
        add_new_topic(&mut new_topics, topic)?;
    }
    let settings = CallSettings {
        rk: client.native_ptr(),
        timeout,
        abort,
    };
    call(
        &CREATE_TOPICS,
        &settings,
        |options| {
            options.set_operation_timeout(timeout)?;
            options.set_validate_only(validate_only)
        },
        batch(rd::rd_kafka_CreateTopics, &mut new_topics.items),
        topic_result_outcome,
    )
}

/// Creates the NewTopic for `topic`, with its configs, owned by `topics`.
fn add_new_topic(
    topics: &mut Objects<rd::rd_kafka_NewTopic_t>,
    topic: &NewTopic,
) -> Result<(), CallFailure> {
    let name = c_string(&topic.name)?;
    let partitions = topic.partitions.map_or(Ok(-1), c_int::try_from);
    let replication = topic.replication_factor.map_or(Ok(-1), c_int::try_from);
    let (Ok(partitions), Ok(replication)) = (partitions, replication) else {
        return Err(CallFailure::InvalidInput(format!(
            "topic {:?}: partitions and replication factor must fit a 32-bit integer",
            topic.name
        )));
    };
    let mut errstr = ErrBuf::new();
    // SAFETY: a NUL-terminated name that outlives the call (librdkafka copies it) and an
    // error buffer of the length passed; the topic returned is ours to destroy.
    let new_topic = unsafe {
        rd::rd_kafka_NewTopic_new(
            name.as_ptr(),
            partitions,
            replication,
            errstr.ptr(),
            errstr.len(),
        )
    };
    if new_topic.is_null() {
        return Err(CallFailure::InvalidInput(format!(
            "topic {:?}: {}",
            topic.name,
            errstr.text()
        )));
    }
    topics.push(new_topic);
    for (key, value) in &topic.configs {
        let (key_c, value_c) = (c_string(key)?, c_string(value)?);
        // SAFETY: a live NewTopic and NUL-terminated strings librdkafka copies.
        let code = unsafe {
            rd::rd_kafka_NewTopic_set_config(new_topic, key_c.as_ptr(), value_c.as_ptr())
        };
        if code != rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
            return Err(CallFailure::InvalidInput(format!(
                "topic {:?}: config {key:?} rejected by the client",
                topic.name
            )));
        }
    }
    Ok(())
}

/// One DeleteTopics request for the named topics; per topic, its outcome.
pub(crate) fn delete_topics<C: ClientContext>(
    client: &Client<C>,
    names: &[String],
    timeout: Duration,
    abort: &dyn Fn() -> Option<String>,
) -> Result<TopicOutcomes<()>, CallFailure> {
    let mut delete = Objects::new(rd::rd_kafka_DeleteTopic_destroy, names.len());
    for name in names {
        let name_c = c_string(name)?;
        // SAFETY: a NUL-terminated name librdkafka copies; the object is ours to destroy.
        delete.push(unsafe { rd::rd_kafka_DeleteTopic_new(name_c.as_ptr()) });
    }
    let settings = CallSettings {
        rk: client.native_ptr(),
        timeout,
        abort,
    };
    call(
        &DELETE_TOPICS,
        &settings,
        |options| options.set_operation_timeout(timeout),
        batch(rd::rd_kafka_DeleteTopics, &mut delete.items),
        topic_result_outcome,
    )
}

/// One IncrementalAlterConfigs request for the topics' changes; per topic, its outcome.
pub(crate) fn incremental_alter_topic_configs<C: ClientContext>(
    client: &Client<C>,
    alterations: &[TopicConfigAlteration],
    timeout: Duration,
    abort: &dyn Fn() -> Option<String>,
) -> Result<TopicOutcomes<()>, CallFailure> {
    let mut resources = config_resources(alterations.len());
    for alteration in alterations {
        let resource = resources.push(topic_config_resource(&alteration.topic)?);
        for change in &alteration.changes {
            add_incremental_config(resource, &alteration.topic, change)?;
        }
    }
    let settings = CallSettings {
        rk: client.native_ptr(),
        timeout,
        abort,
    };
    call(
        &INCREMENTAL_ALTER_CONFIGS,
        &settings,
        |_| Ok(()),
        batch(rd::rd_kafka_IncrementalAlterConfigs, &mut resources.items),
        config_resource_outcome,
    )
}

/// Adds one change to a topic's ConfigResource.
fn add_incremental_config(
    resource: *mut rd::rd_kafka_ConfigResource_t,
    topic: &str,
    change: &ConfigChange,
) -> Result<(), CallFailure> {
    use rd::rd_kafka_AlterConfigOpType_t::*;
    let (name, op, value) = match change {
        ConfigChange::Set { name, value } => (
            name,
            RD_KAFKA_ALTER_CONFIG_OP_TYPE_SET,
            Some(c_string(value)?),
        ),
        ConfigChange::Delete { name } => (name, RD_KAFKA_ALTER_CONFIG_OP_TYPE_DELETE, None),
        ConfigChange::Append { name, value } => (
            name,
            RD_KAFKA_ALTER_CONFIG_OP_TYPE_APPEND,
            Some(c_string(value)?),
        ),
        ConfigChange::Subtract { name, value } => (
            name,
            RD_KAFKA_ALTER_CONFIG_OP_TYPE_SUBTRACT,
            Some(c_string(value)?),
        ),
    };
    let name_c = c_string(name)?;
    // SAFETY: a live ConfigResource and NULL or NUL-terminated strings librdkafka copies; an
    // error returned is ours, owned by `OwnedError`.
    let error = unsafe {
        rd::rd_kafka_ConfigResource_add_incremental_config(
            resource,
            name_c.as_ptr(),
            op,
            c_ptr(&value),
        )
    };
    if error.is_null() {
        return Ok(());
    }
    let error = OwnedError(error);
    let detail = borrowed_error(error.0)
        .map(|e| e.to_string())
        .unwrap_or_default();
    Err(CallFailure::InvalidInput(format!(
        "topic {topic:?}: config {name:?}: {detail}"
    )))
}

/// A topic's description and, when asked for, its authorized operations.
pub(crate) type DescribedTopic = (TopicDescription, Option<Vec<Operation>>);

/// One DescribeTopics request: librdkafka sends one Metadata request naming exactly
/// `names`, so Kafka answers each topic with its own error (TOPIC_AUTHORIZATION_FAILED for a
/// topic the principal may not DESCRIBE, UNKNOWN_TOPIC_OR_PARTITION for one that does not
/// exist). Per topic, in request order, its description or that error. `names` must be
/// distinct (librdkafka refuses duplicates).
/// With each topic's authorized operations (KIP-430: Metadata v8+ with
/// `include_topic_authorized_operations`) when `include_authorized_operations`; `None` when
/// not asked or not reported. Operations outside the model's vocabulary are left out.
pub(crate) fn describe_topics_with<C: ClientContext>(
    client: &Client<C>,
    names: &[String],
    include_authorized_operations: bool,
    timeout: Duration,
    abort: &dyn Fn() -> Option<String>,
) -> Result<TopicOutcomes<DescribedTopic>, CallFailure> {
    let names_c = names
        .iter()
        .map(|name| c_string(name))
        .collect::<Result<Vec<_>, _>>()?;
    let mut name_ptrs: Vec<*const c_char> = names_c.iter().map(|name| name.as_ptr()).collect();
    // SAFETY: `name_ptrs` holds `len` NUL-terminated names that outlive the call (librdkafka
    // copies them); the collection returned is ours to destroy.
    let topics = TopicCollection(unsafe {
        rd::rd_kafka_TopicCollection_of_topic_names(name_ptrs.as_mut_ptr(), name_ptrs.len())
    });
    let settings = CallSettings {
        rk: client.native_ptr(),
        timeout,
        abort,
    };
    call(
        &DESCRIBE_TOPICS,
        &settings,
        |options| {
            if include_authorized_operations {
                options.set_include_authorized_operations()
            } else {
                Ok(())
            }
        },
        |rk, options, queue| {
            // SAFETY: `topics` is a live collection; `rk`, options and queue come from `call`.
            unsafe { rd::rd_kafka_DescribeTopics(rk, topics.0, options, queue) }
        },
        if include_authorized_operations {
            described_with_operations
        } else {
            described_without_operations
        },
    )
}

/// [`topic_description_outcome`] with the topic's authorized operations.
///
/// # Safety
/// `item` must point to a topic description of an event that is still alive.
unsafe fn described_with_operations(
    item: *const rd::rd_kafka_TopicDescription_t,
) -> (String, Result<DescribedTopic, BrokerError>) {
    let (name, outcome) = topic_description_outcome(item);
    let outcome = outcome.map(|description| (description, topic_authorized_operations(item)));
    (name, outcome)
}

/// [`topic_description_outcome`] as a [`DescribedTopic`] without operations.
///
/// # Safety
/// `item` must point to a topic description of an event that is still alive.
unsafe fn described_without_operations(
    item: *const rd::rd_kafka_TopicDescription_t,
) -> (String, Result<DescribedTopic, BrokerError>) {
    let (name, outcome) = topic_description_outcome(item);
    (name, outcome.map(|description| (description, None)))
}

/// The authorized operations of a topic description; `None` when the broker sent none.
///
/// # Safety
/// `item` must point to a topic description of an event that is still alive.
unsafe fn topic_authorized_operations(
    item: *const rd::rd_kafka_TopicDescription_t,
) -> Option<Vec<Operation>> {
    let mut count = 0;
    let operations = rd::rd_kafka_TopicDescription_authorized_operations(item, &mut count);
    if operations.is_null() || count == 0 {
        return None;
    }
    Some(
        std::slice::from_raw_parts(operations, count)
            .iter()
            .filter_map(|op| operation_from_rd(*op))
            .collect(),
    )
}

/// One DescribeConfigs request for all `topics`; per topic (response order), its configs.
pub(crate) fn describe_topic_configs<C: ClientContext>(
    client: &Client<C>,
    topics: &[String],
    timeout: Duration,
    abort: &dyn Fn() -> Option<String>,
) -> Result<TopicOutcomes<TopicConfigs>, CallFailure> {
    let mut resources = config_resources(topics.len());
    for topic in topics {
        resources.push(topic_config_resource(topic)?);
    }
    let settings = CallSettings {
        rk: client.native_ptr(),
        timeout,
        abort,
    };
    call(
        &DESCRIBE_CONFIGS,
        &settings,
        |_| Ok(()),
        batch(rd::rd_kafka_DescribeConfigs, &mut resources.items),
        topic_configs_outcome,
    )
}

/// Owned ConfigResources.
fn config_resources(capacity: usize) -> Objects<rd::rd_kafka_ConfigResource_t> {
    Objects::new(rd::rd_kafka_ConfigResource_destroy, capacity)
}

/// One topic ConfigResource (for DescribeConfigs and IncrementalAlterConfigs).
fn topic_config_resource(topic: &str) -> Result<*mut rd::rd_kafka_ConfigResource_t, CallFailure> {
    let topic = c_string(topic)?;
    // SAFETY: a NUL-terminated name librdkafka copies; the resource is ours to destroy.
    Ok(unsafe {
        rd::rd_kafka_ConfigResource_new(
            rd::rd_kafka_ResourceType_t::RD_KAFKA_RESOURCE_TOPIC,
            topic.as_ptr(),
        )
    })
}

/// A topic's name and outcome from a CreateTopics or DeleteTopics result.
///
/// # Safety
/// `item` must point to a topic result of an event that is still alive.
unsafe fn topic_result_outcome(
    item: *const rd::rd_kafka_topic_result_t,
) -> (String, Result<(), BrokerError>) {
    let name = owned(rd::rd_kafka_topic_result_name(item));
    let outcome = code_outcome(rd::rd_kafka_topic_result_error(item), || {
        owned(rd::rd_kafka_topic_result_error_string(item))
    });
    (name, outcome)
}

/// A config resource's name and outcome from an IncrementalAlterConfigs or DescribeConfigs
/// result.
///
/// # Safety
/// `item` must point to a config resource of an event that is still alive.
unsafe fn config_resource_outcome(
    item: *const rd::rd_kafka_ConfigResource_t,
) -> (String, Result<(), BrokerError>) {
    let name = owned(rd::rd_kafka_ConfigResource_name(item));
    let outcome = code_outcome(rd::rd_kafka_ConfigResource_error(item), || {
        owned(rd::rd_kafka_ConfigResource_error_string(item))
    });
    (name, outcome)
}

/// A topic's name and configs (or the error Kafka gave for it) from a DescribeConfigs result.
///
/// # Safety
/// `item` must point to a config resource of an event that is still alive.
unsafe fn topic_configs_outcome(
    item: *const rd::rd_kafka_ConfigResource_t,
) -> (String, Result<TopicConfigs, BrokerError>) {
    let (topic, outcome) = config_resource_outcome(item);
    if let Err(error) = outcome {
        return (topic, Err(error));
    }
    let mut entry_count = 0;
    let entries = result_slice(
        rd::rd_kafka_ConfigResource_configs(item, &mut entry_count),
        entry_count,
    );
    let entries = entries
        .iter()
        .map(|entry| {
            let value = config_value_from_rd(*entry);
            (value.name.clone(), value)
        })
        .collect();
    (topic.clone(), Ok(TopicConfigs { topic, entries }))
}

/// A topic's name and description (or the error Kafka gave for it) from a DescribeTopics
/// result.
///
/// # Safety
/// `item` must point to a topic description of an event that is still alive.
unsafe fn topic_description_outcome(
    item: *const rd::rd_kafka_TopicDescription_t,
) -> (String, Result<TopicDescription, BrokerError>) {
    let name = owned(rd::rd_kafka_TopicDescription_name(item));
    let error = rd::rd_kafka_TopicDescription_error(item);
    let failed = !error.is_null()
        && rd::rd_kafka_error_code(error) != rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR;
    if let Some(error) = borrowed_error(error).filter(|_| failed) {
        return (name, Err(error));
    }
    let mut partition_count = 0;
    let partitions = result_slice(
        rd::rd_kafka_TopicDescription_partitions(item, &mut partition_count),
        partition_count,
    );
    let replication_factor = partitions
        .iter()
        .map(|partition| {
            let mut replica_count = 0;
            rd::rd_kafka_TopicPartitionInfo_replicas(*partition, &mut replica_count);
            replica_count
        })
        .max()
        .unwrap_or(0);
    let description = TopicDescription {
        name: name.clone(),
        partitions: partitions.len(),
        replication_factor,
    };
    (name, Ok(description))
}

fn config_source_from_rd(value: rd::rd_kafka_ConfigSource_t) -> ConfigSource {
    use rd::rd_kafka_ConfigSource_t::*;
    match value {
        RD_KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG => ConfigSource::DynamicTopic,
        RD_KAFKA_CONFIG_SOURCE_DYNAMIC_BROKER_CONFIG => ConfigSource::DynamicBroker,
        RD_KAFKA_CONFIG_SOURCE_DYNAMIC_DEFAULT_BROKER_CONFIG => ConfigSource::DynamicDefaultBroker,
        RD_KAFKA_CONFIG_SOURCE_STATIC_BROKER_CONFIG => ConfigSource::StaticBroker,
        RD_KAFKA_CONFIG_SOURCE_DEFAULT_CONFIG => ConfigSource::Default,
        _ => ConfigSource::Unknown,
    }
}

/// Copies one config entry out of a DescribeConfigs result.
///
/// # Safety
/// `entry` must point to a config entry of a result that is still alive.
unsafe fn config_value_from_rd(entry: *const rd::rd_kafka_ConfigEntry_t) -> ConfigValue {
    let value = rd::rd_kafka_ConfigEntry_value(entry);
    ConfigValue {
        name: owned(rd::rd_kafka_ConfigEntry_name(entry)),
        value: (!value.is_null()).then(|| owned(value)),
        source: config_source_from_rd(rd::rd_kafka_ConfigEntry_source(entry)),
        is_default: rd::rd_kafka_ConfigEntry_is_default(entry) != 0,
        is_sensitive: rd::rd_kafka_ConfigEntry_is_sensitive(entry) != 0,
        is_read_only: rd::rd_kafka_ConfigEntry_is_read_only(entry) != 0,
    }
}
