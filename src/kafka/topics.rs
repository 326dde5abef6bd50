//! Topic values the admin layer reads and writes: what a topic looks like in metadata, what
//! to create, its configs and how to change them. Plain data, no client code.

use std::collections::BTreeMap;

use super::error::BrokerError;

/// Per-topic outcomes of a batched topic call: the topic name and what Kafka said about it.
pub type TopicOutcomes<T> = Vec<(String, Result<T, BrokerError>)>;

/// A topic as the cluster's metadata shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicDescription {
    pub name: String,
    pub partitions: usize,
    /// Replicas per partition (the largest replica set, should partitions differ).
    pub replication_factor: usize,
}

/// The answer for one requested topic name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TopicLookup {
    Exists(TopicDescription),
    /// Kafka answered UNKNOWN_TOPIC_OR_PARTITION: the topic does not exist.
    Missing {
        name: String,
    },
}

/// A topic to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTopic {
    pub name: String,
    /// `None` asks for the broker default (`num.partitions`).
    pub partitions: Option<u32>,
    /// `None` asks for the broker default (`default.replication.factor`).
    pub replication_factor: Option<u32>,
    pub configs: BTreeMap<String, String>,
}

/// Where a config value comes from (Kafka's DescribeConfigs `config_source`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConfigSource {
    /// Set on this topic.
    DynamicTopic,
    DynamicBroker,
    DynamicDefaultBroker,
    /// From the broker's server.properties.
    StaticBroker,
    /// Kafka's built-in default.
    Default,
    Unknown,
}

/// One config entry of a topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigValue {
    pub name: String,
    /// `None` for sensitive values (Kafka never returns them) and unset ones.
    pub value: Option<String>,
    pub source: ConfigSource,
    /// Whether the value is the default (not set on the topic).
    pub is_default: bool,
    pub is_sensitive: bool,
    pub is_read_only: bool,
}

/// All config entries of one topic, by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicConfigs {
    pub topic: String,
    pub entries: BTreeMap<String, ConfigValue>,
}

/// One change of an IncrementalAlterConfigs request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigChange {
    /// Set the key on the topic.
    Set { name: String, value: String },
    /// Remove the key from the topic so the default applies again.
    Delete { name: String },
    /// Add a value to a list config (e.g. `cleanup.policy`) unless present.
    Append { name: String, value: String },
    /// Remove a value from a list config.
    Subtract { name: String, value: String },
}

/// The changes for one topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicConfigAlteration {
    pub topic: String,
    pub changes: Vec<ConfigChange>,
}
