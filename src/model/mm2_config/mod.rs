//! MirrorMaker 2's own configuration read into flows: a dedicated-mode
//! `connect-mirror-maker.properties` ([`properties`]) or a Strimzi `KafkaMirrorMaker2`
//! resource ([`strimzi`]) becomes one [`ConfiguredFlow`] per enabled flow, with MM2's topic
//! and group regexes compiled to ACL patterns ([`regex_cover`]) and the warnings a reviewer
//! needs. Pure: errors carry the line or YAML path they are about.
//!
//! MM2's defaults and key names follow Apache Kafka's `MirrorSourceConfig`,
//! `MirrorCheckpointConfig`, `MirrorHeartbeatConfig`, `MirrorConnectorConfig`,
//! `DefaultTopicFilter` and `DefaultGroupFilter` (connect/mirror).

pub mod properties;
pub mod regex_cover;
pub mod strimzi;

use regex_cover::{compile, split_list, Cover, NameKind, RegexError};
use std::fmt;

/// Where a setting or an error is in the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// 1-based line of a properties file.
    Line(usize),
    /// Path in a YAML/JSON document, e.g. `spec.mirrors[0].topicsPattern`.
    Path(String),
    /// The document as a whole.
    Document,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Line(line) => write!(f, "line {line}"),
            Location::Path(path) => write!(f, "{path}"),
            Location::Document => write!(f, "the document"),
        }
    }
}

/// Malformed or unsupported input, where it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{location}: {message}")]
pub struct ConfigError {
    pub location: Location,
    pub message: String,
}

impl ConfigError {
    pub fn new(location: Location, message: impl Into<String>) -> Self {
        ConfigError {
            location,
            message: message.into(),
        }
    }
}

/// One value of MM2's configuration and where it was set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    pub value: String,
    pub location: Location,
}

/// The MM2 connector (or the Connect worker) a setting is read for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Connector {
    Source,
    Checkpoint,
    Heartbeat,
    Worker,
}

/// How a parser answers for one flow `A->B`: the setting each connector sees (after MM2's
/// precedence) and whether the connector runs at all.
pub trait FlowSettings {
    fn get(&self, connector: Connector, key: &str) -> Option<Setting>;
    fn runs(&self, connector: Connector) -> bool;
}

/// How MM2 is deployed, with the Connect worker's names in Connect mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Deployment {
    Dedicated,
    Connect {
        group_id: String,
        config_topic: String,
        offset_topic: String,
        status_topic: String,
    },
}

/// One enabled flow, named as `kafkamirror_mm2_replication_permissions`'s inputs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfiguredFlow {
    pub source_alias: String,
    pub target_alias: String,
    pub topics: Vec<String>,
    pub topic_prefixes: Vec<String>,
    pub groups: Vec<String>,
    pub group_prefixes: Vec<String>,
    /// `default` or `identity`.
    pub replication_policy: &'static str,
    pub replication_policy_separator: String,
    pub emit_heartbeats: bool,
    pub replicate_heartbeats: bool,
    pub emit_checkpoints: bool,
    pub emit_offset_syncs: bool,
    /// `source` or `target`.
    pub offset_syncs_topic_location: String,
    pub sync_topic_configs: bool,
    pub sync_topic_acls: bool,
    pub sync_group_offsets: bool,
    pub exactly_once: bool,
    pub internal_topics_replication_factor: i64,
    pub remote_topics_replication_factor: i64,
    pub deployment: Deployment,
    /// What the ACLs allow beyond MM2's filters, and settings the resource cannot express.
    pub warnings: Vec<String>,
}

impl ConfiguredFlow {
    /// The key of the flow in the data source's `flows`: `<source>-><target>`.
    pub fn key(&self) -> String {
        format!("{}->{}", self.source_alias, self.target_alias)
    }
}

/// Every enabled flow of a configuration, in key order, and warnings about the
/// configuration as a whole (e.g. herders no flow covers).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mm2Config {
    pub flows: Vec<ConfiguredFlow>,
    pub warnings: Vec<String>,
}

pub const TOPICS_EXCLUDE_DEFAULT: &str = ".*[\\-\\.]internal, .*\\.replica, __.*";
pub const GROUPS_EXCLUDE_DEFAULT: &str = "console-consumer-.*, connect-.*, __.*";

const DEFAULT_POLICY: &str = "DefaultReplicationPolicy";
const IDENTITY_POLICY: &str = "IdentityReplicationPolicy";

/// `true`/`false` as Kafka's `ConfigDef` BOOLEAN parses it (anything else is an error).
fn boolean(setting: Option<Setting>, key: &str, default: bool) -> Result<bool, ConfigError> {
    let Some(setting) = setting else {
        return Ok(default);
    };
    match setting.value.trim().to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        other => Err(ConfigError::new(
            setting.location,
            format!("{key} = {other:?} is not a boolean (true or false)"),
        )),
    }
}

fn integer(setting: &Setting, key: &str) -> Result<i64, ConfigError> {
    setting.value.trim().parse().map_err(|_| {
        ConfigError::new(
            setting.location.clone(),
            format!("{key} = {:?} is not an integer", setting.value),
        )
    })
}

fn regex_error(location: Location, key: &str, error: RegexError) -> ConfigError {
    ConfigError::new(location, format!("{key}: {error}"))
}

/// Compiles one filter (`topics` / `groups` and its exclude) with MM2's defaults.
fn filter(
    settings: &dyn FlowSettings,
    connector: Connector,
    kind: NameKind,
    key: &str,
    default_exclude: &str,
) -> Result<Cover, ConfigError> {
    let exclude_key = format!("{key}.exclude");
    let include = settings.get(connector, key);
    let exclude = settings.get(connector, &exclude_key);
    let includes = include
        .as_ref()
        .map_or_else(|| vec![".*".to_string()], |s| split_list(&s.value));
    let excludes = split_list(exclude.as_ref().map_or(default_exclude, |s| &s.value));
    let location = |s: &Option<Setting>| {
        s.as_ref()
            .map_or(Location::Document, |s| s.location.clone())
    };
    // Each side parsed alone first, so an error names the setting it is in.
    compile(kind, &[], key, &excludes, &exclude_key)
        .map_err(|e| regex_error(location(&exclude), &exclude_key, e))?;
    compile(kind, &includes, key, &excludes, &exclude_key)
        .map_err(|e| regex_error(location(&include), key, e))
}

/// The flow `source->target` as the resource's inputs, from the settings MM2 would use.
pub fn resolve_flow(
    source: &str,
    target: &str,
    settings: &dyn FlowSettings,
    deployment: Deployment,
) -> Result<ConfiguredFlow, ConfigError> {
    use Connector::{Checkpoint, Heartbeat, Source, Worker};
    let mut warnings = Vec::new();
    let topics = filter(
        settings,
        Source,
        NameKind::Topic,
        "topics",
        TOPICS_EXCLUDE_DEFAULT,
    )?;
    let groups = filter(
        settings,
        Checkpoint,
        NameKind::Group,
        "groups",
        GROUPS_EXCLUDE_DEFAULT,
    )?;
    let replication_policy = match settings.get(Source, "replication.policy.class") {
        None => "default",
        Some(setting) => {
            let class = setting.value.trim();
            let simple = class.rsplit('.').next().unwrap_or(class);
            match simple {
                DEFAULT_POLICY => "default",
                IDENTITY_POLICY => "identity",
                _ => {
                    return Err(ConfigError::new(
                        setting.location,
                        format!("replication.policy.class {class:?} is not supported: only DefaultReplicationPolicy and IdentityReplicationPolicy name remote topics in a way this provider knows"),
                    ))
                }
            }
        }
    };
    let separator = settings
        .get(Source, "replication.policy.separator")
        .map_or_else(|| ".".to_string(), |s| s.value);
    if let Some(setting) = settings.get(
        Source,
        "replication.policy.internal.topic.separator.enabled",
    ) {
        // KIP-949: internal topics then keep `.` while remote topics use the separator.
        if !boolean(
            Some(setting.clone()),
            "replication.policy.internal.topic.separator.enabled",
            true,
        )? && separator != "."
        {
            return Err(ConfigError::new(
                setting.location,
                "replication.policy.internal.topic.separator.enabled = false with a separator other than `.` names MM2's internal topics with `.` (KIP-949); the resource names them with the separator, so its ACLs would miss them",
            ));
        }
    }
    let runs_heartbeats = settings.runs(Heartbeat);
    let runs_checkpoints = settings.runs(Checkpoint);
    let emit_heartbeats = runs_heartbeats
        && boolean(
            settings.get(Heartbeat, "emit.heartbeats.enabled"),
            "emit.heartbeats.enabled",
            true,
        )?;
    let emit_checkpoints = runs_checkpoints
        && boolean(
            settings.get(Checkpoint, "emit.checkpoints.enabled"),
            "emit.checkpoints.enabled",
            true,
        )?;
    let sync_group_offsets = runs_checkpoints
        && boolean(
            settings.get(Checkpoint, "sync.group.offsets.enabled"),
            "sync.group.offsets.enabled",
            false,
        )?;
    let location = match settings.get(Source, "offset-syncs.topic.location") {
        None => "source".to_string(),
        Some(setting) => match setting.value.trim() {
            "source" | "target" => setting.value.trim().to_string(),
            other => {
                return Err(ConfigError::new(
                    setting.location,
                    format!("offset-syncs.topic.location = {other:?} is not source or target"),
                ))
            }
        },
    };
    let exactly_once = match settings.get(Worker, "exactly.once.source.support") {
        None => false,
        Some(setting) => match setting.value.trim().to_ascii_lowercase().as_str() {
            "enabled" | "preparing" => true,
            "disabled" => false,
            other => {
                return Err(ConfigError::new(
                    setting.location,
                    format!(
                    "exactly.once.source.support = {other:?} is not enabled, preparing or disabled"
                ),
                ))
            }
        },
    };
    let remote_rf = match settings.get(Source, "replication.factor") {
        None => 2,
        Some(setting) => integer(&setting, "replication.factor")?,
    };
    let mut internal = Vec::new();
    for (connector, key, used) in [
        (Source, "offset-syncs.topic.replication.factor", true),
        (
            Checkpoint,
            "checkpoints.topic.replication.factor",
            emit_checkpoints,
        ),
        (
            Heartbeat,
            "heartbeats.topic.replication.factor",
            emit_heartbeats,
        ),
        (Worker, "config.storage.replication.factor", true),
        (Worker, "offset.storage.replication.factor", true),
        (Worker, "status.storage.replication.factor", true),
    ] {
        if !used {
            continue;
        }
        if let Some(setting) = settings.get(connector, key) {
            internal.push((key, integer(&setting, key)?));
        }
    }
    let explicit: Vec<i64> = internal
        .iter()
        .map(|(_, rf)| *rf)
        .filter(|rf| *rf > 0)
        .collect();
    let internal_rf = explicit.iter().copied().max().unwrap_or(3);
    if internal.iter().any(|(_, rf)| *rf <= 0) {
        warnings.push(format!(
            "a replication factor of -1 (the broker's default) cannot be given to the resource: internal topics are created with {internal_rf}"
        ));
    }
    if explicit.iter().any(|rf| *rf != internal_rf) {
        let listed: Vec<String> = internal
            .iter()
            .map(|(k, rf)| format!("{k} = {rf}"))
            .collect();
        warnings.push(format!(
            "the resource gives all internal topics one replication factor ({internal_rf}); MM2's configuration sets {}",
            listed.join(", ")
        ));
    }
    let remote_rf = if remote_rf > 0 {
        remote_rf
    } else {
        warnings.push("replication.factor = -1 (the broker's default) cannot be given to the resource: remote topics it creates use 2".to_string());
        2
    };
    warnings.extend(topics.warnings.iter().cloned());
    warnings.extend(groups.warnings.iter().cloned());
    let selection = |cover: &Cover| {
        if cover.all {
            (vec!["*".to_string()], Vec::new())
        } else {
            (cover.literals.clone(), cover.prefixes.clone())
        }
    };
    let (topic_names, topic_prefixes) = selection(&topics);
    let (group_names, group_prefixes) = selection(&groups);
    if topics.is_empty() {
        warnings
            .push("MM2's topics filter matches no topic: the flow replicates nothing".to_string());
    }
    Ok(ConfiguredFlow {
        source_alias: source.to_string(),
        target_alias: target.to_string(),
        topics: topic_names,
        topic_prefixes,
        groups: group_names,
        group_prefixes,
        replication_policy,
        replication_policy_separator: separator,
        emit_heartbeats,
        replicate_heartbeats: boolean(
            settings.get(Source, "heartbeats.replication.enabled"),
            "heartbeats.replication.enabled",
            true,
        )?,
        emit_checkpoints,
        emit_offset_syncs: boolean(
            settings.get(Source, "emit.offset-syncs.enabled"),
            "emit.offset-syncs.enabled",
            true,
        )?,
        offset_syncs_topic_location: location,
        sync_topic_configs: boolean(
            settings.get(Source, "sync.topic.configs.enabled"),
            "sync.topic.configs.enabled",
            true,
        )?,
        sync_topic_acls: boolean(
            settings.get(Source, "sync.topic.acls.enabled"),
            "sync.topic.acls.enabled",
            true,
        )?,
        sync_group_offsets,
        exactly_once,
        internal_topics_replication_factor: internal_rf,
        remote_topics_replication_factor: remote_rf,
        deployment,
        warnings,
    })
}

#[cfg(test)]
mod tests;
