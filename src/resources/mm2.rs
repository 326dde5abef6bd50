//! `kafkamirror_mm2_replication_permissions` (resource and data source of the same name):
//! the schema of one MirrorMaker 2 flow `source -> target`, its decode into
//! [`Mm2Inputs`] and its import id. Planning is `model::plan_mm2`; everything else is the
//! shared engine.

use super::flow::{default_to, default_to_attribute, Flow, InputReader, UpgradeStep};
use crate::model::mm2::{
    plan_mm2, ConnectWorker, Mm2Deployment, Mm2Inputs, OffsetSyncsLocation, ReplicationPolicy,
};
use crate::model::mm2_regexes::mm2_warnings;
use crate::model::plan::{DesiredState, InternalTopic};
use crate::model::validate::{validate_mm2, InputError, Mm2Field};
use tfplugin::{Attr, AttributePath, Block, Diagnostic, Diagnostics, Field, Object};

const SOURCE_CLUSTER: Attr<String> = Attr::required(
    "source_cluster",
    "Provider cluster key (a `cluster` block label) of the cluster MM2 replicates from.",
);
const TARGET_CLUSTER: Attr<String> = Attr::required(
    "target_cluster",
    "Provider cluster key of the cluster MM2 replicates to. Must differ from `source_cluster`.",
);
const SOURCE_ALIAS: Attr<String> = Attr::optional_computed(
    "source_alias",
    "MM2's alias for the source cluster (the name in `clusters = ...`); prefixes remote topic \
     names under the default replication policy. Defaults to `source_cluster`.",
);
const TARGET_ALIAS: Attr<String> = Attr::optional_computed(
    "target_alias",
    "MM2's alias for the target cluster. Defaults to `target_cluster`.",
);
const PRINCIPAL: Attr<String> = Attr::optional(
    "principal",
    "The principal MM2 connects as, `Type:name` (e.g. `User:mm2`), on both clusters unless \
     `source_principal` / `target_principal` override it.",
);
const SOURCE_PRINCIPAL: Attr<String> = Attr::optional(
    "source_principal",
    "MM2's principal on the source cluster, when it differs from `principal`.",
);
const TARGET_PRINCIPAL: Attr<String> = Attr::optional(
    "target_principal",
    "MM2's principal on the target cluster, when it differs from `principal`.",
);
const TOPICS: Attr<Vec<String>> = Attr::optional_computed(
    "topics",
    "Literal names of the topics to replicate; `[\"*\"]` replicates all topics. Default `[]`; \
     `topics` and `topic_prefixes` must not both be empty.",
);
const TOPIC_PREFIXES: Attr<Vec<String>> = Attr::optional_computed(
    "topic_prefixes",
    "Prefixes of topics to replicate (PREFIXED bindings). Default `[]`.",
);
const TOPIC_REGEXES: Attr<Vec<String>> = Attr::optional(
    "topic_regexes",
    "MM2's `topics` value(s) as MM2 reads them: comma-separated Java regexes matched against \
     whole topic names, in HCL `[\"orders\\\\..*, payments\"]`. Each is compiled to the narrowest \
     LITERAL / PREFIXED cover (`orders\\..*` -> PREFIXED `orders.`) and added to `topics` / \
     `topic_prefixes`; a plan warning says what a cover allows beyond the regex when no exact \
     one exists (`.*-events` -> all topics). Unsupported syntax is an error. Rules and limits: \
     the Permissions reference guide.",
);
const GROUP_REGEXES: Attr<Vec<String>> = Attr::optional(
    "group_regexes",
    "MM2's `groups` value(s), compiled like `topic_regexes` and added to `groups` / \
     `group_prefixes`.",
);
const GROUPS: Attr<Vec<String>> = Attr::optional_computed(
    "groups",
    "Consumer groups whose offsets are checkpointed / synced; `[\"*\"]` = all. Default `[]`.",
);
const GROUP_PREFIXES: Attr<Vec<String>> = Attr::optional_computed(
    "group_prefixes",
    "Prefixes of consumer groups to checkpoint / sync. Default `[]`.",
);
const REPLICATION_POLICY: Attr<String> = Attr::optional_computed(
    "replication_policy",
    "`default` (DefaultReplicationPolicy: remote topics are named `<source_alias><separator>topic`) \
     or `identity` (IdentityReplicationPolicy: names unchanged). Default `default`.",
);
const SEPARATOR: Attr<String> = Attr::optional_computed(
    "replication_policy_separator",
    "MM2's `replication.policy.separator`. Default `.`.",
);
const EMIT_HEARTBEATS: Attr<bool> = Attr::optional_computed(
    "emit_heartbeats",
    "MM2's `emit.heartbeats.enabled`. Default true.",
);
const REPLICATE_HEARTBEATS: Attr<bool> = Attr::optional_computed(
    "replicate_heartbeats",
    "Whether the source's `heartbeats` topic is replicated (MM2 does by default). Default true.",
);
const EMIT_CHECKPOINTS: Attr<bool> = Attr::optional_computed(
    "emit_checkpoints",
    "MM2's `emit.checkpoints.enabled`. Default true.",
);
const EMIT_OFFSET_SYNCS: Attr<bool> = Attr::optional_computed(
    "emit_offset_syncs",
    "MM2's `emit.offset-syncs.enabled`. Default true.",
);
const OFFSET_SYNCS_TOPIC_LOCATION: Attr<String> = Attr::optional_computed(
    "offset_syncs_topic_location",
    "MM2's `offset-syncs.topic.location`: `source` or `target`. Default `source`.",
);
const SYNC_TOPIC_CONFIGS: Attr<bool> = Attr::optional_computed(
    "sync_topic_configs",
    "MM2's `sync.topic.configs.enabled`. Default true.",
);
const SYNC_TOPIC_ACLS: Attr<bool> = Attr::optional_computed(
    "sync_topic_acls",
    "MM2's `sync.topic.acls.enabled`. Default true.",
);
const SYNC_GROUP_OFFSETS: Attr<bool> = Attr::optional_computed(
    "sync_group_offsets",
    "MM2's `sync.group.offsets.enabled`. Default false.",
);
const EXACTLY_ONCE: Attr<bool> = Attr::optional_computed(
    "exactly_once",
    "MM2's `exactly.once.support = enabled` (transactional ids, idempotent writes). Default false.",
);
const MANAGE_INTERNAL_TOPICS: Attr<bool> = Attr::optional_computed(
    "manage_internal_topics",
    "Create MM2's compacted internal topics (configs, offsets, status, checkpoints, \
     offset-syncs, heartbeats) with the right settings instead of letting MM2 auto-create \
     them. Default true.",
);
const INTERNAL_RF: Attr<i64> = Attr::optional_computed(
    "internal_topics_replication_factor",
    "Replication factor of the internal topics whose MM2/Connect default is 3. Default 3; \
     checked against the broker count at plan time.",
);
const REMOTE_RF: Attr<i64> = Attr::optional_computed(
    "remote_topics_replication_factor",
    "MM2's `replication.factor` for remote topics such as `<source_alias>.heartbeats`. Default 2.",
);
const DEPLOYMENT: Attr<String> = Attr::optional_computed(
    "deployment",
    "How MM2 runs: `dedicated` (Apache `connect-mirror-maker.sh`, the default: per-flow herder \
     topics `mm2-configs.<alias>.internal` etc. and a reverse herder for heartbeats), `connect` \
     (MM2 connectors on a Kafka Connect cluster, Strimzi-style: the Connect worker's group and \
     topics below, on the target) or `aiven` (Aiven's managed MM2: dedicated names with \
     Aiven's partition and replication defaults).",
);
const CONNECT_GROUP_ID: Attr<String> = Attr::optional_computed(
    "connect_group_id",
    "For `deployment = \"connect\"`: the Connect worker's `group.id`. Default Strimzi's \
     `mirrormaker2-cluster`.",
);
const CONNECT_CONFIG_TOPIC: Attr<String> = Attr::optional_computed(
    "connect_config_topic",
    "For `deployment = \"connect\"`: `config.storage.topic`. Default \
     `mirrormaker2-cluster-configs`.",
);
const CONNECT_OFFSET_TOPIC: Attr<String> = Attr::optional_computed(
    "connect_offset_topic",
    "For `deployment = \"connect\"`: `offset.storage.topic`. Default \
     `mirrormaker2-cluster-offsets`.",
);
const CONNECT_STATUS_TOPIC: Attr<String> = Attr::optional_computed(
    "connect_status_topic",
    "For `deployment = \"connect\"`: `status.storage.topic`. Default \
     `mirrormaker2-cluster-status`.",
);
const DELETE_INTERNAL_TOPICS_ON_DESTROY: Attr<bool> = Attr::optional_computed(
    "delete_internal_topics_on_destroy",
    "Delete the internal topics (and MM2's stored offsets and checkpoints in them) on destroy. \
     Default false: destroy removes only the ACLs this resource owns.",
);

const DEDICATED: &str = "dedicated";
const CONNECT: &str = "connect";
const AIVEN: &str = "aiven";

pub struct Mm2Flow;

impl Flow for Mm2Flow {
    type Inputs = Mm2Inputs;

    const TYPE_NAME: &'static str = "kafkamirror_mm2_replication_permissions";
    const RESOURCE_DESCRIPTION: &'static str =
        "Every ACL and internal topic one MirrorMaker 2 flow `source -> target` needs on both \
         clusters, nothing broader, each with the reason it is needed. Apply reconciles the \
         clusters in batches; refresh detects ACLs deleted out of band; destroy removes only the \
         ACLs this resource created or imported (see `preexisting_acls`). Import id: \
         `<source_cluster>:<target_cluster>:<principal>`, e.g. `primary:dr:User:mm2`. Every rule \
         with its spec row, and how the `dedicated`, `connect` and `aiven` deployments differ in \
         topic names and partitions: the Permissions reference guide \
         (`docs/guides/permissions-reference.md`); failures and recovery: \
         `docs/guides/failure-modes.md`.";
    const DATA_SOURCE_DESCRIPTION: &'static str =
        "Computes the ACLs and internal topics of one MirrorMaker 2 flow without contacting any \
         cluster (works with an empty provider block), e.g. to apply them with another provider.";
    const HAS_TOPICS: bool = true;
    const CLUSTER_ATTRIBUTES: &'static [&'static Attr<String>] =
        &[&SOURCE_CLUSTER, &TARGET_CLUSTER];
    const IMPORT_ID_FORM: &'static str = "<source_cluster>:<target_cluster>:<principal>";

    fn input_attributes(block: Block) -> Block {
        block
            .attr(&SOURCE_CLUSTER)
            .attr(&TARGET_CLUSTER)
            .attr(&SOURCE_ALIAS)
            .attr(&TARGET_ALIAS)
            .attr(&PRINCIPAL)
            .attr(&SOURCE_PRINCIPAL)
            .attr(&TARGET_PRINCIPAL)
            .attr(&TOPICS)
            .attr(&TOPIC_PREFIXES)
            .attr(&TOPIC_REGEXES)
            .attr(&GROUPS)
            .attr(&GROUP_PREFIXES)
            .attr(&GROUP_REGEXES)
            .attr(&REPLICATION_POLICY)
            .attr(&SEPARATOR)
            .attr(&EMIT_HEARTBEATS)
            .attr(&REPLICATE_HEARTBEATS)
            .attr(&EMIT_CHECKPOINTS)
            .attr(&EMIT_OFFSET_SYNCS)
            .attr(&OFFSET_SYNCS_TOPIC_LOCATION)
            .attr(&SYNC_TOPIC_CONFIGS)
            .attr(&SYNC_TOPIC_ACLS)
            .attr(&SYNC_GROUP_OFFSETS)
            .attr(&EXACTLY_ONCE)
            .attr(&MANAGE_INTERNAL_TOPICS)
            .attr(&INTERNAL_RF)
            .attr(&REMOTE_RF)
            .attr(&DEPLOYMENT)
            .attr(&CONNECT_GROUP_ID)
            .attr(&CONNECT_CONFIG_TOPIC)
            .attr(&CONNECT_OFFSET_TOPIC)
            .attr(&CONNECT_STATUS_TOPIC)
    }

    fn resource_attributes(block: Block) -> Block {
        block.attr(&DELETE_INTERNAL_TOPICS_ON_DESTROY)
    }

    fn fill_defaults(object: &mut Object) {
        let defaults = Mm2Inputs::with_defaults("", "", "");
        let worker = ConnectWorker::strimzi_defaults();
        default_to_attribute(object, &SOURCE_ALIAS, &SOURCE_CLUSTER);
        default_to_attribute(object, &TARGET_ALIAS, &TARGET_CLUSTER);
        for list in [&TOPICS, &TOPIC_PREFIXES, &GROUPS, &GROUP_PREFIXES] {
            default_to(object, list, Vec::new());
        }
        default_to(
            object,
            &REPLICATION_POLICY,
            defaults.replication_policy.as_str().to_string(),
        );
        default_to(object, &SEPARATOR, defaults.separator.clone());
        for (attr, value) in [
            (&EMIT_HEARTBEATS, defaults.emit_heartbeats),
            (&REPLICATE_HEARTBEATS, defaults.replicate_heartbeats),
            (&EMIT_CHECKPOINTS, defaults.emit_checkpoints),
            (&EMIT_OFFSET_SYNCS, defaults.emit_offset_syncs),
            (&SYNC_TOPIC_CONFIGS, defaults.sync_topic_configs),
            (&SYNC_TOPIC_ACLS, defaults.sync_topic_acls),
            (&SYNC_GROUP_OFFSETS, defaults.sync_group_offsets),
            (&EXACTLY_ONCE, defaults.exactly_once),
            (&MANAGE_INTERNAL_TOPICS, defaults.manage_internal_topics),
        ] {
            default_to(object, attr, value);
        }
        default_to(
            object,
            &OFFSET_SYNCS_TOPIC_LOCATION,
            defaults.offset_syncs_topic_location.as_str().to_string(),
        );
        default_to(
            object,
            &INTERNAL_RF,
            i64::from(defaults.internal_topics_replication_factor),
        );
        default_to(
            object,
            &REMOTE_RF,
            i64::from(defaults.remote_topics_replication_factor),
        );
        default_to(object, &DEPLOYMENT, DEDICATED.to_string());
        default_to(object, &CONNECT_GROUP_ID, worker.group_id);
        default_to(object, &CONNECT_CONFIG_TOPIC, worker.config_topic);
        default_to(object, &CONNECT_OFFSET_TOPIC, worker.offset_topic);
        default_to(object, &CONNECT_STATUS_TOPIC, worker.status_topic);
        if object.contains_key(DELETE_INTERNAL_TOPICS_ON_DESTROY.name) {
            default_to(object, &DELETE_INTERNAL_TOPICS_ON_DESTROY, false);
        }
    }

    fn decode(object: &Object, diags: &mut Diagnostics) -> Option<Field<Mm2Inputs>> {
        let mut read = InputReader::new(object);
        let source_cluster = read.get(&SOURCE_CLUSTER, diags);
        let target_cluster = read.get(&TARGET_CLUSTER, diags);
        let source_alias = read.get(&SOURCE_ALIAS, diags);
        let target_alias = read.get(&TARGET_ALIAS, diags);
        let principal = read.get(&PRINCIPAL, diags);
        let source_principal = read.get(&SOURCE_PRINCIPAL, diags);
        let target_principal = read.get(&TARGET_PRINCIPAL, diags);
        let topics = read.get(&TOPICS, diags);
        let topic_prefixes = read.get(&TOPIC_PREFIXES, diags);
        let topic_regexes = read.get(&TOPIC_REGEXES, diags).unwrap_or_default();
        let groups = read.get(&GROUPS, diags);
        let group_prefixes = read.get(&GROUP_PREFIXES, diags);
        let group_regexes = read.get(&GROUP_REGEXES, diags).unwrap_or_default();
        let replication_policy = read.parse::<ReplicationPolicy>(&REPLICATION_POLICY, diags);
        let separator = read.get(&SEPARATOR, diags);
        let emit_heartbeats = read.get(&EMIT_HEARTBEATS, diags);
        let replicate_heartbeats = read.get(&REPLICATE_HEARTBEATS, diags);
        let emit_checkpoints = read.get(&EMIT_CHECKPOINTS, diags);
        let emit_offset_syncs = read.get(&EMIT_OFFSET_SYNCS, diags);
        let offset_syncs_location =
            read.parse::<OffsetSyncsLocation>(&OFFSET_SYNCS_TOPIC_LOCATION, diags);
        let sync_topic_configs = read.get(&SYNC_TOPIC_CONFIGS, diags);
        let sync_topic_acls = read.get(&SYNC_TOPIC_ACLS, diags);
        let sync_group_offsets = read.get(&SYNC_GROUP_OFFSETS, diags);
        let exactly_once = read.get(&EXACTLY_ONCE, diags);
        let manage_internal_topics = read.get(&MANAGE_INTERNAL_TOPICS, diags);
        let internal_rf = read.get(&INTERNAL_RF, diags);
        let remote_rf = read.get(&REMOTE_RF, diags);
        let deployment = read.get(&DEPLOYMENT, diags);
        let worker = ConnectWorker {
            group_id: read.get(&CONNECT_GROUP_ID, diags).unwrap_or_default(),
            config_topic: read.get(&CONNECT_CONFIG_TOPIC, diags).unwrap_or_default(),
            offset_topic: read.get(&CONNECT_OFFSET_TOPIC, diags).unwrap_or_default(),
            status_topic: read.get(&CONNECT_STATUS_TOPIC, diags).unwrap_or_default(),
        };
        let deployment = match deployment.as_deref() {
            None => None,
            Some(DEDICATED) => Some(Mm2Deployment::Dedicated),
            Some(CONNECT) => Some(Mm2Deployment::Connect(worker)),
            Some(AIVEN) => Some(Mm2Deployment::Aiven),
            Some(other) => {
                diags.push(
                    Diagnostic::error(
                        "Invalid value",
                        format!(
                            "deployment {other:?} is not one of {DEDICATED}, {CONNECT}, {AIVEN}"
                        ),
                    )
                    .at(DEPLOYMENT.path()),
                );
                read.failed = true;
                None
            }
        };
        let internal_rf = replication_factor(&INTERNAL_RF, internal_rf, &mut read, diags);
        let remote_rf = replication_factor(&REMOTE_RF, remote_rf, &mut read, diags);
        read.finish(|| {
            Some(Mm2Inputs {
                source_cluster: source_cluster?,
                target_cluster: target_cluster?,
                source_alias: source_alias?,
                target_alias: target_alias?,
                principal,
                source_principal,
                target_principal,
                topics: topics?,
                topic_prefixes: topic_prefixes?,
                topic_regexes,
                groups: groups?,
                group_prefixes: group_prefixes?,
                group_regexes,
                replication_policy: replication_policy?,
                separator: separator?,
                emit_heartbeats: emit_heartbeats?,
                replicate_heartbeats: replicate_heartbeats?,
                emit_checkpoints: emit_checkpoints?,
                emit_offset_syncs: emit_offset_syncs?,
                offset_syncs_topic_location: offset_syncs_location?,
                sync_topic_configs: sync_topic_configs?,
                sync_topic_acls: sync_topic_acls?,
                sync_group_offsets: sync_group_offsets?,
                exactly_once: exactly_once?,
                manage_internal_topics: manage_internal_topics?,
                internal_topics_replication_factor: internal_rf?,
                remote_topics_replication_factor: remote_rf?,
                deployment: deployment?,
            })
        })
    }

    type Field = Mm2Field;
    const FIELDS: &'static [Mm2Field] = &Mm2Field::ALL;

    fn attribute(field: Mm2Field) -> &'static str {
        match field {
            Mm2Field::SourceCluster => SOURCE_CLUSTER.name,
            Mm2Field::TargetCluster => TARGET_CLUSTER.name,
            Mm2Field::SourceAlias => SOURCE_ALIAS.name,
            Mm2Field::TargetAlias => TARGET_ALIAS.name,
            Mm2Field::Principal => PRINCIPAL.name,
            Mm2Field::SourcePrincipal => SOURCE_PRINCIPAL.name,
            Mm2Field::TargetPrincipal => TARGET_PRINCIPAL.name,
            Mm2Field::Topics => TOPICS.name,
            Mm2Field::TopicPrefixes => TOPIC_PREFIXES.name,
            Mm2Field::TopicRegexes => TOPIC_REGEXES.name,
            Mm2Field::Groups => GROUPS.name,
            Mm2Field::GroupPrefixes => GROUP_PREFIXES.name,
            Mm2Field::GroupRegexes => GROUP_REGEXES.name,
            Mm2Field::Separator => SEPARATOR.name,
            Mm2Field::InternalTopicsReplicationFactor => INTERNAL_RF.name,
            Mm2Field::RemoteTopicsReplicationFactor => REMOTE_RF.name,
            Mm2Field::ConnectGroupId => CONNECT_GROUP_ID.name,
            Mm2Field::ConnectConfigTopic => CONNECT_CONFIG_TOPIC.name,
            Mm2Field::ConnectOffsetTopic => CONNECT_OFFSET_TOPIC.name,
            Mm2Field::ConnectStatusTopic => CONNECT_STATUS_TOPIC.name,
        }
    }

    fn validate(inputs: &Mm2Inputs) -> Vec<InputError<Mm2Field>> {
        validate_mm2(inputs)
    }

    fn plan(inputs: &Mm2Inputs) -> DesiredState {
        plan_mm2(inputs)
    }

    fn warnings(inputs: &Mm2Inputs) -> Vec<(&'static str, InputError<Mm2Field>)> {
        mm2_warnings(inputs)
    }

    /// Version 1 added the regex inputs.
    const UPGRADE_STEPS: &'static [UpgradeStep] = &[UpgradeStep {
        added_attributes: &[TOPIC_REGEXES.name, GROUP_REGEXES.name],
    }];

    fn id(inputs: &Mm2Inputs) -> String {
        let principal = inputs
            .principal
            .as_deref()
            .or(inputs.source_principal.as_deref())
            .unwrap_or_default();
        format!(
            "{}:{}:{principal}",
            inputs.source_cluster, inputs.target_cluster
        )
    }

    fn import_inputs(source: &str, target: &str, principal: &str) -> Object {
        let mut object = Object::new();
        SOURCE_CLUSTER.set(&mut object, &source.to_string());
        TARGET_CLUSTER.set(&mut object, &target.to_string());
        PRINCIPAL.set(&mut object, &principal.to_string());
        SOURCE_PRINCIPAL.set_null(&mut object);
        TARGET_PRINCIPAL.set_null(&mut object);
        DELETE_INTERNAL_TOPICS_ON_DESTROY.set(&mut object, &false);
        object
    }

    fn replication_factor_path(topic: &InternalTopic, inputs: &Mm2Inputs) -> AttributePath {
        if topic.replication_factor == inputs.remote_topics_replication_factor
            && topic.replication_factor != inputs.internal_topics_replication_factor
        {
            REMOTE_RF.path()
        } else {
            INTERNAL_RF.path()
        }
    }

    fn delete_topics_on_destroy(state: &Object) -> bool {
        matches!(
            DELETE_INTERNAL_TOPICS_ON_DESTROY.get(state),
            Ok(Field::Known(true))
        )
    }
}

/// A replication factor input as Kafka's 16-bit value; out of range is a diagnostic.
fn replication_factor(
    attr: &Attr<i64>,
    value: Option<i64>,
    read: &mut InputReader<'_>,
    diags: &mut Diagnostics,
) -> Option<i16> {
    let value = value?;
    match i16::try_from(value) {
        Ok(rf) => Some(rf),
        Err(_) => {
            diags.push(
                Diagnostic::error(
                    "Invalid replication factor",
                    format!("{value} is out of range; Kafka replication factors are 1 to 32767"),
                )
                .at(attr.path()),
            );
            read.failed = true;
            None
        }
    }
}
