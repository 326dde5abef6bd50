//! Data source `kafkamirror_mm2_config`: MM2's own configuration (a dedicated-mode
//! properties file or a Strimzi `KafkaMirrorMaker2`) in, `flows` out, each named as
//! `kafkamirror_mm2_replication_permissions`'s inputs so a configuration can `for_each`
//! over them. Parsing is `model::mm2_config`; this file maps its results and errors.

use crate::clusters::Clusters;
use crate::model::mm2_config::{
    properties, strimzi, ConfigError, ConfiguredFlow, Deployment, Mm2Config,
};
use async_trait::async_trait;
use std::collections::BTreeMap;
use tfplugin::{Attr, Block, Ctx, DataSource, Diagnostic, Diagnostics, Field, Object, Schema};

tfplugin::tf_object! {
    /// One flow, its attributes named as the resource's inputs.
    pub struct FlowRow {
        pub source_alias: String,
        pub target_alias: String,
        pub topics: Vec<String>,
        pub topic_prefixes: Vec<String>,
        pub groups: Vec<String>,
        pub group_prefixes: Vec<String>,
        pub replication_policy: String,
        pub replication_policy_separator: String,
        pub emit_heartbeats: bool,
        pub replicate_heartbeats: bool,
        pub emit_checkpoints: bool,
        pub emit_offset_syncs: bool,
        pub offset_syncs_topic_location: String,
        pub sync_topic_configs: bool,
        pub sync_topic_acls: bool,
        pub sync_group_offsets: bool,
        pub exactly_once: bool,
        pub internal_topics_replication_factor: i64,
        pub remote_topics_replication_factor: i64,
        pub deployment: String,
        pub connect_group_id: Option<String>,
        pub connect_config_topic: Option<String>,
        pub connect_offset_topic: Option<String>,
        pub connect_status_topic: Option<String>,
    }
}

impl From<&ConfiguredFlow> for FlowRow {
    fn from(flow: &ConfiguredFlow) -> Self {
        let (deployment, group, configs, offsets, status) = match &flow.deployment {
            Deployment::Dedicated => ("dedicated", None, None, None, None),
            Deployment::Connect {
                group_id,
                config_topic,
                offset_topic,
                status_topic,
            } => (
                "connect",
                Some(group_id.clone()),
                Some(config_topic.clone()),
                Some(offset_topic.clone()),
                Some(status_topic.clone()),
            ),
        };
        FlowRow {
            source_alias: flow.source_alias.clone(),
            target_alias: flow.target_alias.clone(),
            topics: flow.topics.clone(),
            topic_prefixes: flow.topic_prefixes.clone(),
            groups: flow.groups.clone(),
            group_prefixes: flow.group_prefixes.clone(),
            replication_policy: flow.replication_policy.to_string(),
            replication_policy_separator: flow.replication_policy_separator.clone(),
            emit_heartbeats: flow.emit_heartbeats,
            replicate_heartbeats: flow.replicate_heartbeats,
            emit_checkpoints: flow.emit_checkpoints,
            emit_offset_syncs: flow.emit_offset_syncs,
            offset_syncs_topic_location: flow.offset_syncs_topic_location.clone(),
            sync_topic_configs: flow.sync_topic_configs,
            sync_topic_acls: flow.sync_topic_acls,
            sync_group_offsets: flow.sync_group_offsets,
            exactly_once: flow.exactly_once,
            internal_topics_replication_factor: flow.internal_topics_replication_factor,
            remote_topics_replication_factor: flow.remote_topics_replication_factor,
            deployment: deployment.to_string(),
            connect_group_id: group,
            connect_config_topic: configs,
            connect_offset_topic: offsets,
            connect_status_topic: status,
        }
    }
}

const PROPERTIES: Attr<String> = Attr::optional(
    "properties",
    "The text of a dedicated-mode `connect-mirror-maker.properties`, e.g. \
     `file(\"mm2.properties\")`. Exactly one of `properties` and `strimzi`.",
);
const STRIMZI: Attr<String> = Attr::optional(
    "strimzi",
    "The YAML or JSON text of a Strimzi `KafkaMirrorMaker2` resource \
     (`kafka.strimzi.io/v1beta2`: `spec.clusters`, `spec.connectCluster`, `spec.mirrors`).",
);
const ID: Attr<String> = Attr::computed("id", "The flow keys, comma-separated.");
const FLOWS: Attr<BTreeMap<String, FlowRow>> = Attr::computed(
    "flows",
    "Every enabled flow, keyed `<source_alias>-><target_alias>`. Each object's attributes are \
     named as `kafkamirror_mm2_replication_permissions`'s inputs (`source_alias`, \
     `target_alias`, `topics`, `topic_prefixes`, `groups`, `group_prefixes`, \
     `replication_policy`, `replication_policy_separator`, `emit_heartbeats`, \
     `replicate_heartbeats`, `emit_checkpoints`, `emit_offset_syncs`, \
     `offset_syncs_topic_location`, `sync_topic_configs`, `sync_topic_acls`, \
     `sync_group_offsets`, `exactly_once`, `internal_topics_replication_factor`, \
     `remote_topics_replication_factor`, `deployment`, `connect_group_id`, \
     `connect_config_topic`, `connect_offset_topic`, `connect_status_topic`; the `connect_*` \
     are null in dedicated mode), with MM2's `topics` / `groups` regexes already compiled to \
     LITERAL and PREFIXED covers and MM2's defaults filled in.",
);
const WARNINGS: Attr<BTreeMap<String, Vec<String>>> = Attr::computed(
    "warnings",
    "Per flow key: what the compiled covers allow beyond MM2's filters (ACLs cannot subtract \
     excludes or express suffixes), and MM2 settings the resource can express only \
     approximately (e.g. replication factors of -1). Warnings about the configuration as a \
     whole (herders no flow covers, keys naming unknown clusters) are plan warnings.",
);

pub struct Mm2ConfigDataSource;

fn error_diagnostic(attr: &Attr<String>, error: &ConfigError) -> Diagnostic {
    Diagnostic::error(
        format!("Cannot read the MM2 configuration in {}", attr.name),
        error.to_string(),
    )
    .at(attr.path())
}

/// The one input given, `None` (with a diagnostic) when both or neither are.
fn chosen(
    config: &Object,
    diags: &mut Diagnostics,
) -> Option<(Field<String>, &'static Attr<String>)> {
    let properties = diags.take(PROPERTIES.get(config))?;
    let strimzi = diags.take(STRIMZI.get(config))?;
    match (properties, strimzi) {
        (Field::Null, Field::Null) | (Field::Known(_), Field::Known(_)) => {
            diags.push(Diagnostic::error(
                "Invalid input",
                "set exactly one of properties (dedicated-mode MM2) and strimzi (a KafkaMirrorMaker2 resource)",
            ).at(PROPERTIES.path()));
            None
        }
        (Field::Null, strimzi) => Some((strimzi, &STRIMZI)),
        (properties, _) => Some((properties, &PROPERTIES)),
    }
}

#[async_trait]
impl DataSource<Clusters> for Mm2ConfigDataSource {
    fn type_name(&self) -> &'static str {
        "kafkamirror_mm2_config"
    }

    fn schema(&self) -> Schema {
        Schema {
            version: 0,
            block: Block::new(
                "Reads MirrorMaker 2's own configuration, a dedicated-mode \
                 `connect-mirror-maker.properties` or a Strimzi `KafkaMirrorMaker2`, into one \
                 flow per enabled `source->target` pair, named as \
                 `kafkamirror_mm2_replication_permissions`'s inputs, so the permissions follow \
                 the configuration MM2 runs with instead of being retyped. Applies MM2's \
                 precedence (`A->B.x` over `x`) and defaults; compiles MM2's Java regexes to \
                 ACL patterns. Contacts no cluster. Guide: `docs/guides/from-mm2-configuration.md`.",
            )
            .attr(&PROPERTIES)
            .attr(&STRIMZI)
            .attr(&ID)
            .attr(&FLOWS)
            .attr(&WARNINGS),
        }
    }

    fn validate(&self, config: &Object, diags: &mut Diagnostics) {
        if let Some((Field::Known(text), attr)) = chosen(config, diags) {
            if let Err(error) = parse(attr, &text) {
                diags.push(error_diagnostic(attr, &error));
            }
        }
    }

    async fn read(
        &self,
        _ctx: Ctx<'_, Clusters>,
        mut config: Object,
        diags: &mut Diagnostics,
    ) -> Option<Object> {
        let (Field::Known(text), attr) = chosen(&config, diags)? else {
            diags.push(Diagnostic::error(
                "Inputs not known",
                "the MM2 configuration must be known when the data source is read",
            ));
            return None;
        };
        let parsed = match parse(attr, &text) {
            Ok(parsed) => parsed,
            Err(error) => {
                diags.push(error_diagnostic(attr, &error));
                return None;
            }
        };
        for warning in &parsed.warnings {
            diags.push(Diagnostic::warning("MM2 configuration", warning.clone()).at(attr.path()));
        }
        let flows: BTreeMap<String, FlowRow> = parsed
            .flows
            .iter()
            .map(|f| (f.key(), FlowRow::from(f)))
            .collect();
        let warnings: BTreeMap<String, Vec<String>> = parsed
            .flows
            .iter()
            .map(|f| (f.key(), f.warnings.clone()))
            .collect();
        let keys: Vec<&str> = flows.keys().map(String::as_str).collect();
        ID.set(&mut config, &keys.join(","));
        FLOWS.set(&mut config, &flows);
        WARNINGS.set(&mut config, &warnings);
        Some(config)
    }
}

fn parse(attr: &Attr<String>, text: &str) -> Result<Mm2Config, ConfigError> {
    if attr.name == STRIMZI.name {
        strimzi::parse(text)
    } else {
        properties::parse(text)
    }
}
