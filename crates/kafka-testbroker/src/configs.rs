//! Topic and broker configuration definitions: Kafka's defaults, types, value validation and
//! the synonym chain DescribeConfigs reports (topic override, then broker settings, then the
//! broker default), modelled on Apache Kafka 3.9/4.0.

use std::collections::BTreeMap;

/// DescribeConfigs `config_type` codes (`ConfigEntry.ConfigType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigType {
    Boolean = 1,
    String = 2,
    Int = 3,
    Long = 5,
    Double = 6,
    List = 7,
}

/// DescribeConfigs `config_source` codes (`DescribeConfigsResponse.ConfigSource`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigSource {
    DynamicTopic = 1,
    DynamicBroker = 2,
    DynamicDefaultBroker = 3,
    StaticBroker = 4,
    Default = 5,
}

/// Extra value constraint beyond the type.
#[derive(Debug, Clone, Copy)]
enum Constraint {
    None,
    AtLeast(i64),
    /// For LIST: every element must be one of these; for STRING: the value must be one.
    OneOf(&'static [&'static str]),
    Ratio,
    /// `ConfigDef.between(min, max)`.
    Between(i64, i64),
    /// `CompressionType.GZIP.levelValidator()`: 1..=9 or -1.
    GzipLevel,
    /// `ThrottledReplicaListValidator`: `*` or `partition:broker` items.
    ThrottledReplicas,
    /// `remote.storage.enable`: true needs tiered storage, which this broker (like Kafka's
    /// default `remote.log.storage.system.enable=false`) does not have.
    RemoteStorage,
}

/// One topic-level config and the broker config it falls back to.
#[derive(Debug)]
pub struct TopicConfigDef {
    pub name: &'static str,
    pub config_type: ConfigType,
    constraint: Constraint,
    /// Broker configs consulted in order (e.g. log.retention.ms, .minutes, .hours).
    broker_synonyms: &'static [&'static str],
}

/// One broker config with its default and whether it can be changed dynamically.
#[derive(Debug)]
pub struct BrokerConfigDef {
    pub name: &'static str,
    pub config_type: ConfigType,
    /// Kafka's default, `None` when Kafka has none (e.g. log.retention.ms).
    pub default: Option<&'static str>,
    constraint: Constraint,
    pub dynamic: bool,
    pub sensitive: bool,
}

const COMPRESSION: &[&str] = &["uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"];

macro_rules! topic_def {
    ($name:literal, $ty:ident, $constraint:expr, [$($syn:literal),*]) => {
        TopicConfigDef { name: $name, config_type: ConfigType::$ty, constraint: $constraint, broker_synonyms: &[$($syn),*] }
    };
}

/// Topic configs the broker accepts: Kafka 3.9's `LogConfig` without those 4.0 removed
/// (`message.format.version`, `message.timestamp.difference.max.ms`,
/// `message.downconversion.enable`). Synonyms follow `ServerTopicConfigSynonyms`.
pub static TOPIC_CONFIGS: &[TopicConfigDef] = &[
    topic_def!(
        "cleanup.policy",
        List,
        Constraint::OneOf(&["compact", "delete"]),
        ["log.cleanup.policy"]
    ),
    topic_def!(
        "compression.type",
        String,
        Constraint::OneOf(COMPRESSION),
        ["compression.type"]
    ),
    topic_def!(
        "compression.gzip.level",
        Int,
        Constraint::GzipLevel,
        ["compression.gzip.level"]
    ),
    topic_def!(
        "compression.lz4.level",
        Int,
        Constraint::Between(1, 17),
        ["compression.lz4.level"]
    ),
    topic_def!(
        "compression.zstd.level",
        Int,
        Constraint::Between(-131072, 22),
        ["compression.zstd.level"]
    ),
    topic_def!(
        "delete.retention.ms",
        Long,
        Constraint::AtLeast(0),
        ["log.cleaner.delete.retention.ms"]
    ),
    topic_def!(
        "file.delete.delay.ms",
        Long,
        Constraint::AtLeast(0),
        ["log.segment.delete.delay.ms"]
    ),
    topic_def!(
        "flush.messages",
        Long,
        Constraint::AtLeast(1),
        ["log.flush.interval.messages"]
    ),
    topic_def!(
        "flush.ms",
        Long,
        Constraint::AtLeast(0),
        ["log.flush.interval.ms"]
    ),
    topic_def!(
        "index.interval.bytes",
        Int,
        Constraint::AtLeast(0),
        ["log.index.interval.bytes"]
    ),
    topic_def!(
        "follower.replication.throttled.replicas",
        List,
        Constraint::ThrottledReplicas,
        []
    ),
    topic_def!(
        "leader.replication.throttled.replicas",
        List,
        Constraint::ThrottledReplicas,
        []
    ),
    topic_def!(
        "local.retention.bytes",
        Long,
        Constraint::AtLeast(-2),
        ["log.local.retention.bytes"]
    ),
    topic_def!(
        "local.retention.ms",
        Long,
        Constraint::AtLeast(-2),
        ["log.local.retention.ms"]
    ),
    topic_def!(
        "max.compaction.lag.ms",
        Long,
        Constraint::AtLeast(1),
        ["log.cleaner.max.compaction.lag.ms"]
    ),
    topic_def!(
        "max.message.bytes",
        Int,
        Constraint::AtLeast(0),
        ["message.max.bytes"]
    ),
    topic_def!(
        "message.timestamp.after.max.ms",
        Long,
        Constraint::AtLeast(0),
        ["log.message.timestamp.after.max.ms"]
    ),
    topic_def!(
        "message.timestamp.before.max.ms",
        Long,
        Constraint::AtLeast(0),
        ["log.message.timestamp.before.max.ms"]
    ),
    topic_def!(
        "message.timestamp.type",
        String,
        Constraint::OneOf(&["CreateTime", "LogAppendTime"]),
        ["log.message.timestamp.type"]
    ),
    topic_def!(
        "min.cleanable.dirty.ratio",
        Double,
        Constraint::Ratio,
        ["log.cleaner.min.cleanable.ratio"]
    ),
    topic_def!(
        "min.compaction.lag.ms",
        Long,
        Constraint::AtLeast(0),
        ["log.cleaner.min.compaction.lag.ms"]
    ),
    topic_def!(
        "min.insync.replicas",
        Int,
        Constraint::AtLeast(1),
        ["min.insync.replicas"]
    ),
    topic_def!(
        "preallocate",
        Boolean,
        Constraint::None,
        ["log.preallocate"]
    ),
    topic_def!("remote.log.copy.disable", Boolean, Constraint::None, []),
    topic_def!(
        "remote.log.delete.on.disable",
        Boolean,
        Constraint::None,
        []
    ),
    topic_def!(
        "remote.storage.enable",
        Boolean,
        Constraint::RemoteStorage,
        []
    ),
    topic_def!(
        "retention.bytes",
        Long,
        Constraint::None,
        ["log.retention.bytes"]
    ),
    topic_def!(
        "retention.ms",
        Long,
        Constraint::AtLeast(-1),
        [
            "log.retention.ms",
            "log.retention.minutes",
            "log.retention.hours"
        ]
    ),
    topic_def!(
        "segment.bytes",
        Int,
        Constraint::AtLeast(1048576),
        ["log.segment.bytes"]
    ),
    topic_def!(
        "segment.index.bytes",
        Int,
        Constraint::AtLeast(4),
        ["log.index.size.max.bytes"]
    ),
    topic_def!(
        "segment.jitter.ms",
        Long,
        Constraint::AtLeast(0),
        ["log.roll.jitter.ms", "log.roll.jitter.hours"]
    ),
    topic_def!(
        "segment.ms",
        Long,
        Constraint::AtLeast(1),
        ["log.roll.ms", "log.roll.hours"]
    ),
    topic_def!(
        "unclean.leader.election.enable",
        Boolean,
        Constraint::None,
        ["unclean.leader.election.enable"]
    ),
];

macro_rules! broker_def {
    ($name:literal, $ty:ident, $default:expr, $constraint:expr, $dynamic:literal) => {
        BrokerConfigDef {
            name: $name,
            config_type: ConfigType::$ty,
            default: $default,
            constraint: $constraint,
            dynamic: $dynamic,
            sensitive: false,
        }
    };
}

/// Broker configs the broker reports: the topic synonyms plus the settings that shape
/// topic creation.
pub static BROKER_CONFIGS: &[BrokerConfigDef] = &[
    broker_def!(
        "auto.create.topics.enable",
        Boolean,
        Some("true"),
        Constraint::None,
        false
    ),
    broker_def!(
        "compression.gzip.level",
        Int,
        Some("-1"),
        Constraint::GzipLevel,
        true
    ),
    broker_def!(
        "compression.lz4.level",
        Int,
        Some("9"),
        Constraint::Between(1, 17),
        true
    ),
    broker_def!(
        "compression.zstd.level",
        Int,
        Some("3"),
        Constraint::Between(-131072, 22),
        true
    ),
    broker_def!(
        "compression.type",
        String,
        Some("producer"),
        Constraint::OneOf(COMPRESSION),
        true
    ),
    broker_def!(
        "default.replication.factor",
        Int,
        Some("1"),
        Constraint::None,
        false
    ),
    broker_def!(
        "log.cleaner.delete.retention.ms",
        Long,
        Some("86400000"),
        Constraint::AtLeast(0),
        true
    ),
    broker_def!(
        "log.cleaner.max.compaction.lag.ms",
        Long,
        Some("9223372036854775807"),
        Constraint::AtLeast(1),
        true
    ),
    broker_def!(
        "log.cleaner.min.cleanable.ratio",
        Double,
        Some("0.5"),
        Constraint::Ratio,
        true
    ),
    broker_def!(
        "log.cleaner.min.compaction.lag.ms",
        Long,
        Some("0"),
        Constraint::AtLeast(0),
        true
    ),
    broker_def!(
        "log.cleanup.policy",
        List,
        Some("delete"),
        Constraint::OneOf(&["compact", "delete"]),
        true
    ),
    broker_def!(
        "log.flush.interval.messages",
        Long,
        Some("9223372036854775807"),
        Constraint::AtLeast(1),
        true
    ),
    broker_def!("log.flush.interval.ms", Long, None, Constraint::None, true),
    broker_def!(
        "log.index.interval.bytes",
        Int,
        Some("4096"),
        Constraint::AtLeast(0),
        true
    ),
    broker_def!(
        "log.index.size.max.bytes",
        Int,
        Some("10485760"),
        Constraint::AtLeast(4),
        true
    ),
    broker_def!(
        "log.local.retention.bytes",
        Long,
        Some("-2"),
        Constraint::AtLeast(-2),
        true
    ),
    broker_def!(
        "log.local.retention.ms",
        Long,
        Some("-2"),
        Constraint::AtLeast(-2),
        true
    ),
    broker_def!(
        "log.message.timestamp.after.max.ms",
        Long,
        Some("9223372036854775807"),
        Constraint::AtLeast(0),
        true
    ),
    broker_def!(
        "log.message.timestamp.before.max.ms",
        Long,
        Some("9223372036854775807"),
        Constraint::AtLeast(0),
        true
    ),
    broker_def!(
        "log.message.timestamp.type",
        String,
        Some("CreateTime"),
        Constraint::OneOf(&["CreateTime", "LogAppendTime"]),
        true
    ),
    broker_def!(
        "log.preallocate",
        Boolean,
        Some("false"),
        Constraint::None,
        true
    ),
    broker_def!(
        "log.retention.bytes",
        Long,
        Some("-1"),
        Constraint::None,
        true
    ),
    broker_def!(
        "log.retention.hours",
        Int,
        Some("168"),
        Constraint::None,
        false
    ),
    broker_def!("log.retention.minutes", Int, None, Constraint::None, false),
    broker_def!(
        "log.retention.ms",
        Long,
        None,
        Constraint::AtLeast(-1),
        true
    ),
    broker_def!(
        "log.roll.hours",
        Int,
        Some("168"),
        Constraint::AtLeast(1),
        false
    ),
    broker_def!(
        "log.roll.jitter.hours",
        Int,
        Some("0"),
        Constraint::AtLeast(0),
        false
    ),
    broker_def!("log.roll.jitter.ms", Long, None, Constraint::None, true),
    broker_def!("log.roll.ms", Long, None, Constraint::None, true),
    broker_def!(
        "log.segment.bytes",
        Int,
        Some("1073741824"),
        Constraint::AtLeast(14),
        true
    ),
    broker_def!(
        "log.segment.delete.delay.ms",
        Long,
        Some("60000"),
        Constraint::AtLeast(0),
        true
    ),
    broker_def!(
        "message.max.bytes",
        Int,
        Some("1048588"),
        Constraint::AtLeast(0),
        true
    ),
    broker_def!(
        "min.insync.replicas",
        Int,
        Some("1"),
        Constraint::AtLeast(1),
        true
    ),
    broker_def!(
        "num.partitions",
        Int,
        Some("1"),
        Constraint::AtLeast(1),
        false
    ),
    broker_def!(
        "unclean.leader.election.enable",
        Boolean,
        Some("false"),
        Constraint::None,
        true
    ),
];

/// Static broker settings of this test broker (source STATIC_BROKER_CONFIG): it never
/// auto-creates topics, so a Metadata request cannot create one behind a test's back.
pub fn static_broker_configs() -> BTreeMap<&'static str, &'static str> {
    BTreeMap::from([("auto.create.topics.enable", "false")])
}

/// The default of a topic config whose broker synonyms all lack a value, or that has none
/// (Kafka's `LogConfig` default): `flush.ms`, whose `log.flush.interval.ms` has no default,
/// and the topic-only configs.
pub fn topic_only_default(name: &str) -> Option<&'static str> {
    match name {
        "flush.ms" => Some("9223372036854775807"),
        "leader.replication.throttled.replicas" | "follower.replication.throttled.replicas" => {
            Some("")
        }
        "remote.storage.enable" | "remote.log.copy.disable" | "remote.log.delete.on.disable" => {
            Some("false")
        }
        _ => None,
    }
}

/// Looks up a topic config definition.
pub fn topic_config(name: &str) -> Option<&'static TopicConfigDef> {
    TOPIC_CONFIGS.iter().find(|d| d.name == name)
}

/// Looks up a broker config definition.
pub fn broker_config(name: &str) -> Option<&'static BrokerConfigDef> {
    BROKER_CONFIGS.iter().find(|d| d.name == name)
}

/// Validates a topic config name and value; the error is Kafka's INVALID_CONFIG message.
pub fn validate_topic_config(name: &str, value: &str) -> Result<(), String> {
    let def = topic_config(name).ok_or_else(|| format!("Unknown topic config name: {name}"))?;
    validate_value(name, value, def.config_type, def.constraint)
}

/// Validates a broker config value; the error is Kafka's INVALID_CONFIG message.
pub fn validate_broker_config(def: &BrokerConfigDef, value: &str) -> Result<(), String> {
    validate_value(def.name, value, def.config_type, def.constraint)
}

fn validate_value(
    name: &str,
    value: &str,
    config_type: ConfigType,
    constraint: Constraint,
) -> Result<(), String> {
    let invalid = |why: &str| format!("Invalid value {value} for configuration {name}: {why}");
    let trimmed = value.trim();
    let number: Option<f64> = match config_type {
        ConfigType::Int => Some(
            trimmed
                .parse::<i32>()
                .map_err(|_| invalid("Not a number of type INT"))? as f64,
        ),
        ConfigType::Long => Some(
            trimmed
                .parse::<i64>()
                .map_err(|_| invalid("Not a number of type LONG"))? as f64,
        ),
        ConfigType::Double => Some(
            trimmed
                .parse::<f64>()
                .map_err(|_| invalid("Not a number of type DOUBLE"))?,
        ),
        ConfigType::Boolean => {
            if !trimmed.eq_ignore_ascii_case("true") && !trimmed.eq_ignore_ascii_case("false") {
                return Err(invalid("Expected value to be either true or false"));
            }
            None
        }
        _ => None,
    };
    match constraint {
        Constraint::None => Ok(()),
        Constraint::Between(min, max) => match number {
            Some(n) if n < min as f64 => Err(invalid(&format!("Value must be at least {min}"))),
            Some(n) if n > max as f64 => Err(invalid(&format!("Value must be no more than {max}"))),
            _ => Ok(()),
        },
        Constraint::GzipLevel => match number {
            Some(n) if n > 9.0 || (n < 1.0 && n != -1.0) => {
                Err(invalid("Value must be between 1 and 9 or equal to -1"))
            }
            _ => Ok(()),
        },
        Constraint::ThrottledReplicas => {
            let items: Vec<&str> = value.split(',').map(str::trim).collect();
            let pair = |s: &str| {
                s.is_empty()
                    || s.split_once(':').is_some_and(|(p, b)| {
                        !p.is_empty()
                            && !b.is_empty()
                            && p.bytes().chain(b.bytes()).all(|c| c.is_ascii_digit())
                    })
            };
            if items.iter().all(|s| pair(s)) || items.concat() == "*" {
                Ok(())
            } else {
                Err(invalid(&format!("{name} must be the literal '*' or a list of replicas in the following format: [partitionId]:[brokerId],[partitionId]:[brokerId],...")))
            }
        }
        Constraint::RemoteStorage => {
            if trimmed.eq_ignore_ascii_case("true") {
                Err("Tiered Storage functionality is disabled in the broker. Topic cannot be configured with remote log storage.".to_string())
            } else {
                Ok(())
            }
        }
        Constraint::AtLeast(min) => match number {
            Some(n) if n < min as f64 => Err(invalid(&format!("Value must be at least {min}"))),
            _ => Ok(()),
        },
        Constraint::Ratio => match number {
            Some(n) if !(0.0..=1.0).contains(&n) => Err(invalid("Value must be no more than 1")),
            _ => Ok(()),
        },
        Constraint::OneOf(allowed) => {
            let items: Vec<&str> = if config_type == ConfigType::List {
                split_list(value)
            } else {
                vec![trimmed]
            };
            match items.iter().find(|item| !allowed.contains(item)) {
                None => Ok(()),
                Some(bad) if config_type == ConfigType::List => Err(format!(
                    "Invalid value {bad} for configuration {name}: String must be one of: {}",
                    allowed.join(", ")
                )),
                Some(_) => Err(invalid(&format!(
                    "String must be one of: {}",
                    allowed.join(", ")
                ))),
            }
        }
    }
}

/// Splits a LIST config value the way Kafka does (comma separated, trimmed, empty dropped).
pub fn split_list(value: &str) -> Vec<&str> {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect()
}

/// Where a value came from, for DescribeConfigs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedValue {
    pub name: String,
    pub value: Option<String>,
    pub source: ConfigSource,
}

/// Broker-level values for synonym resolution: dynamic per-broker, dynamic cluster default.
#[derive(Debug, Default, Clone)]
pub struct BrokerDynamicConfigs {
    pub per_broker: BTreeMap<i32, BTreeMap<String, String>>,
    pub cluster_default: BTreeMap<String, String>,
}

impl BrokerDynamicConfigs {
    /// The synonym chain of a broker config for one broker (or the cluster default when
    /// `broker` is `None`), most specific first.
    pub fn broker_synonyms(&self, name: &str, broker: Option<i32>) -> Vec<ResolvedValue> {
        let mut chain = Vec::new();
        let mut push = |value: Option<String>, source| {
            if let Some(value) = value {
                chain.push(ResolvedValue {
                    name: name.to_string(),
                    value: Some(value),
                    source,
                });
            }
        };
        if let Some(id) = broker {
            push(
                self.per_broker.get(&id).and_then(|m| m.get(name)).cloned(),
                ConfigSource::DynamicBroker,
            );
        }
        push(
            self.cluster_default.get(name).cloned(),
            ConfigSource::DynamicDefaultBroker,
        );
        push(
            static_broker_configs().get(name).map(|v| v.to_string()),
            ConfigSource::StaticBroker,
        );
        push(
            broker_config(name)
                .and_then(|d| d.default)
                .map(str::to_string),
            ConfigSource::Default,
        );
        chain
    }

    /// The synonym chain of a topic config: the topic override, then each broker synonym's
    /// chain in Kafka's order. Values of derived synonyms (hours, minutes) are converted
    /// to the topic's unit when they become the topic's value.
    pub fn topic_synonyms(
        &self,
        def: &TopicConfigDef,
        overrides: &BTreeMap<String, String>,
        broker: i32,
    ) -> Vec<ResolvedValue> {
        let mut chain = Vec::new();
        if let Some(value) = overrides.get(def.name) {
            chain.push(ResolvedValue {
                name: def.name.to_string(),
                value: Some(value.clone()),
                source: ConfigSource::DynamicTopic,
            });
        }
        for synonym in def.broker_synonyms {
            chain.extend(self.broker_synonyms(synonym, Some(broker)));
        }
        chain
    }
}

impl BrokerDynamicConfigs {
    /// A topic's effective value of config `name`: its override, else the broker settings
    /// behind it, else Kafka's topic default (what DescribeConfigs shows as the value).
    pub fn effective_topic_value(
        &self,
        name: &str,
        overrides: &BTreeMap<String, String>,
    ) -> Option<String> {
        let def = topic_config(name)?;
        match self.topic_synonyms(def, overrides, 1).first() {
            Some(first) => topic_value_from_synonym(first),
            None => topic_only_default(name).map(str::to_string),
        }
    }
}

/// Converts the winning synonym into the topic config's own unit (hours/minutes to ms).
pub fn topic_value_from_synonym(synonym: &ResolvedValue) -> Option<String> {
    let value = synonym.value.as_deref()?;
    let factor: i64 = if synonym.name.ends_with(".hours") {
        3_600_000
    } else if synonym.name.ends_with(".minutes") {
        60_000
    } else {
        return Some(value.to_string());
    };
    value.parse::<i64>().ok().map(|v| (v * factor).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates_values_like_kafka() {
        assert!(validate_topic_config("cleanup.policy", "compact,delete").is_ok());
        assert_eq!(
            validate_topic_config("cleanup.policy", "compakt"),
            Err("Invalid value compakt for configuration cleanup.policy: String must be one of: compact, delete".into())
        );
        assert_eq!(
            validate_topic_config("retention.ms", "-2"),
            Err(
                "Invalid value -2 for configuration retention.ms: Value must be at least -1".into()
            )
        );
        assert_eq!(
            validate_topic_config("retention.ms", "soon"),
            Err(
                "Invalid value soon for configuration retention.ms: Not a number of type LONG"
                    .into()
            )
        );
        assert!(validate_topic_config("min.insync.replicas", "0").is_err());
        assert_eq!(
            validate_topic_config("no.such.config", "1"),
            Err("Unknown topic config name: no.such.config".into())
        );
    }

    #[test]
    fn configs_added_in_kafka_3_validate_like_kafka() {
        assert!(validate_topic_config("compression.gzip.level", "-1").is_ok());
        assert!(validate_topic_config("compression.gzip.level", "0").is_err());
        assert!(validate_topic_config("compression.zstd.level", "-131072").is_ok());
        assert!(validate_topic_config("compression.lz4.level", "18").is_err());
        assert!(validate_topic_config("leader.replication.throttled.replicas", "*").is_ok());
        assert!(
            validate_topic_config("follower.replication.throttled.replicas", "0:1,1:2").is_ok()
        );
        assert!(validate_topic_config("leader.replication.throttled.replicas", "0-1").is_err());
        assert!(validate_topic_config("local.retention.ms", "-2").is_ok());
        assert!(validate_topic_config("local.retention.ms", "-3").is_err());
        assert!(validate_topic_config("message.timestamp.before.max.ms", "3600000").is_ok());
        assert!(validate_topic_config("remote.storage.enable", "false").is_ok());
        assert!(validate_topic_config("remote.storage.enable", "true")
            .unwrap_err()
            .starts_with("Tiered Storage functionality is disabled"));
    }

    #[test]
    fn retention_default_comes_from_log_retention_hours() {
        let dynamic = BrokerDynamicConfigs::default();
        let def = topic_config("retention.ms").unwrap();
        let chain = dynamic.topic_synonyms(def, &BTreeMap::new(), 1);
        assert_eq!(chain[0].name, "log.retention.hours");
        assert_eq!(chain[0].source, ConfigSource::Default);
        assert_eq!(
            topic_value_from_synonym(&chain[0]).as_deref(),
            Some("604800000")
        );
    }
}
