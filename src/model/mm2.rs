//! MirrorMaker 2: the inputs of `kafkamirror_mm2_replication_permissions`, the permission
//! table (`MM2_RULES`, spec section 1 row by row), the internal-topic table
//! (`MM2_TOPICS`, spec section 2) and the pure planner `plan_mm2`.

use super::acl::{Operation, ResourceType};
use super::mm2_regexes::{group_selection, topic_selection};
use super::plan::{
    evaluate_rules, format_reason, input_names, DesiredState, DesiredStateBuilder, NameSelection,
    ResourcePattern, RuleContext, RuleRow, Side,
};

/// How MM2 names remote topics (`replication.policy.class`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ReplicationPolicy {
    /// `DefaultReplicationPolicy`: remote name `A<sep>topic`.
    #[default]
    Default,
    /// `IdentityReplicationPolicy`: remote name unchanged (heartbeats still get `A<sep>`).
    Identity,
}

/// Where the offset-syncs topic lives (`offset-syncs.topic.location`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum OffsetSyncsLocation {
    #[default]
    Source,
    Target,
}

input_names!(ReplicationPolicy { Default => "default", Identity => "identity" });
input_names!(OffsetSyncsLocation { Source => "source", Target => "target" });

/// How MM2 is deployed; changes internal topic names and partition defaults.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum Mm2Deployment {
    /// Apache Kafka's dedicated mode (`connect-mirror-maker.sh`): one Connect herder per
    /// flow plus a reverse herder whenever heartbeats are emitted.
    #[default]
    Dedicated,
    /// MM2 connectors on a Kafka Connect cluster that connects to the target (Strimzi-style).
    Connect(ConnectWorker),
    /// Aiven's managed MM2: dedicated mode with Aiven's partition and RF defaults
    /// (Apache topic names: the spec wins over the Aiven page on names).
    Aiven,
}

/// The Kafka Connect cluster MM2 runs on (Strimzi: set in the KafkaMirrorMaker2 resource).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ConnectWorker {
    /// `group.id`, e.g. `mirrormaker2-cluster`.
    pub group_id: String,
    /// `config.storage.topic`, e.g. `mirrormaker2-cluster-configs`.
    pub config_topic: String,
    /// `offset.storage.topic`, e.g. `mirrormaker2-cluster-offsets`.
    pub offset_topic: String,
    /// `status.storage.topic`, e.g. `mirrormaker2-cluster-status`.
    pub status_topic: String,
}

impl ConnectWorker {
    /// Strimzi's default names.
    pub fn strimzi_defaults() -> Self {
        ConnectWorker {
            group_id: "mirrormaker2-cluster".to_string(),
            config_topic: "mirrormaker2-cluster-configs".to_string(),
            offset_topic: "mirrormaker2-cluster-offsets".to_string(),
            status_topic: "mirrormaker2-cluster-status".to_string(),
        }
    }
}

/// The inputs of one MM2 flow `A->B`, with aliases already resolved (the glue puts the
/// cluster keys in when the user left them null). Defaults follow MM2's defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mm2Inputs {
    pub source_cluster: String,
    pub target_cluster: String,
    pub source_alias: String,
    pub target_alias: String,
    /// Used on both clusters unless overridden; `None` only when both overrides are set.
    pub principal: Option<String>,
    pub source_principal: Option<String>,
    pub target_principal: Option<String>,
    /// Literal topic names; `["*"]` = all topics.
    pub topics: Vec<String>,
    pub topic_prefixes: Vec<String>,
    /// MM2 `topics` values (comma-separated Java regexes), compiled to LITERAL/PREFIXED
    /// covers by `mm2_regexes::topic_selection`.
    pub topic_regexes: Vec<String>,
    /// Groups for checkpoints and offset sync; `["*"]` = all groups.
    pub groups: Vec<String>,
    pub group_prefixes: Vec<String>,
    /// MM2 `groups` values, compiled like `topic_regexes`.
    pub group_regexes: Vec<String>,
    pub replication_policy: ReplicationPolicy,
    /// `replication.policy.separator`.
    pub separator: String,
    pub emit_heartbeats: bool,
    pub replicate_heartbeats: bool,
    pub emit_checkpoints: bool,
    pub emit_offset_syncs: bool,
    pub offset_syncs_topic_location: OffsetSyncsLocation,
    pub sync_topic_configs: bool,
    pub sync_topic_acls: bool,
    pub sync_group_offsets: bool,
    pub exactly_once: bool,
    pub manage_internal_topics: bool,
    /// RF of the topics whose MM2/Connect config defaults to 3.
    pub internal_topics_replication_factor: i16,
    /// MM2's `replication.factor` (default 2): RF of remote topics such as `A.heartbeats`.
    pub remote_topics_replication_factor: i16,
    pub deployment: Mm2Deployment,
}

impl Mm2Inputs {
    /// A flow with MM2's defaults: aliases = cluster keys, all features MM2 enables by
    /// default, group offset sync and exactly-once off, dedicated deployment.
    pub fn with_defaults(source_cluster: &str, target_cluster: &str, principal: &str) -> Self {
        Mm2Inputs {
            source_cluster: source_cluster.to_string(),
            target_cluster: target_cluster.to_string(),
            source_alias: source_cluster.to_string(),
            target_alias: target_cluster.to_string(),
            principal: Some(principal.to_string()),
            source_principal: None,
            target_principal: None,
            topics: Vec::new(),
            topic_prefixes: Vec::new(),
            topic_regexes: Vec::new(),
            groups: Vec::new(),
            group_prefixes: Vec::new(),
            group_regexes: Vec::new(),
            replication_policy: ReplicationPolicy::Default,
            separator: ".".to_string(),
            emit_heartbeats: true,
            replicate_heartbeats: true,
            emit_checkpoints: true,
            emit_offset_syncs: true,
            offset_syncs_topic_location: OffsetSyncsLocation::Source,
            sync_topic_configs: true,
            sync_topic_acls: true,
            sync_group_offsets: false,
            exactly_once: false,
            manage_internal_topics: true,
            internal_topics_replication_factor: 3,
            remote_topics_replication_factor: 2,
            deployment: Mm2Deployment::Dedicated,
        }
    }

    /// The principal MM2 uses on the source cluster.
    pub fn effective_source_principal(&self) -> Option<&str> {
        self.source_principal
            .as_deref()
            .or(self.principal.as_deref())
    }

    /// The principal MM2 uses on the target cluster.
    pub fn effective_target_principal(&self) -> Option<&str> {
        self.target_principal
            .as_deref()
            .or(self.principal.as_deref())
    }

    /// Dedicated mode (Apache or Aiven) runs a reverse herder `B->A` for heartbeats.
    fn runs_reverse_herder(&self) -> bool {
        self.emit_heartbeats && !matches!(self.deployment, Mm2Deployment::Connect(_))
    }
}

/// When a row applies. Each names the MM2 config key that switches it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mm2Condition {
    /// Replication itself.
    Always,
    /// `heartbeats.replication.enabled`.
    ReplicateHeartbeats,
    /// `sync.topic.configs.enabled`.
    SyncTopicConfigs,
    /// `sync.topic.configs.enabled` on the replicated heartbeats topic.
    SyncHeartbeatsConfigs,
    /// `sync.topic.acls.enabled`.
    SyncTopicAcls,
    /// `emit.offset-syncs.enabled` with `offset-syncs.topic.location=source`.
    OffsetSyncsOnSource,
    /// `emit.offset-syncs.enabled` with `offset-syncs.topic.location=target`.
    OffsetSyncsOnTarget,
    /// `emit.checkpoints.enabled`.
    EmitCheckpoints,
    /// `sync.group.offsets.enabled`.
    SyncGroupOffsets,
    /// `emit.heartbeats.enabled` (herder `A->B` writes to B).
    EmitHeartbeats,
    /// `emit.heartbeats.enabled` in dedicated mode: the reverse herder `B->A` writes to A.
    ReverseHerderHeartbeats,
    /// The Connect worker of herder `A->B` (dedicated) or the Connect cluster (Connect mode).
    Worker,
    /// The Connect worker of the reverse herder `B->A` (dedicated mode, heartbeats on).
    ReverseHerderWorker,
    /// `exactly.once.source.support=enabled`.
    ExactlyOnce,
}

/// Which herder of a dedicated MM2 a worker resource belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Herder {
    /// `A->B`, runs against B (or the Connect cluster in Connect mode).
    Forward,
    /// `B->A`, runs against A (dedicated mode only).
    Reverse,
}

/// One of a Connect worker's three internal topics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WorkerTopic {
    Configs,
    Offsets,
    Status,
}

/// Resource-name generators of the MM2 table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mm2Resource {
    /// The replicated topics as named on the source (LITERAL / PREFIXED / `*`).
    SourceTopics,
    /// The replicated topics' remote names on the target, per replication policy.
    RemoteTopics,
    /// `heartbeats`.
    Heartbeats,
    /// The remote copy of heartbeats, `A<sep>heartbeats` under both policies.
    RemoteHeartbeats,
    /// The offset-syncs topic on the given side, named after the other side's alias:
    /// `mm2-offset-syncs<sep>B<sep>internal` on the source, `...<sep>A<sep>internal` on the target.
    OffsetSyncsTopicOn(Side),
    /// `A<sep>checkpoints<sep>internal`.
    CheckpointsTopic,
    /// The groups whose offsets are checkpointed / synced (LITERAL / PREFIXED / `*`).
    Groups,
    /// The Connect worker group (`A-mm2`, `B-mm2` or the Connect `group.id`).
    WorkerGroup(Herder),
    /// The Connect worker's configs, offsets and status topics.
    WorkerTopics(Herder),
    /// One of the worker topics.
    WorkerTopic(Herder, WorkerTopic),
    /// `connect-cluster-<group>` (LITERAL) and `<group>-` (PREFIXED).
    TransactionalIds,
    /// CLUSTER `kafka-cluster`.
    Cluster,
}

/// The principal a row grants to: MM2's principal on the row's side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Mm2Principal;

/// One row of [`MM2_RULES`].
pub type Mm2Rule = RuleRow<Mm2Condition, Mm2Principal, Mm2Resource>;

const fn rule(
    spec_row: &'static str,
    condition: Mm2Condition,
    side: Side,
    resource: Mm2Resource,
    operations: &'static [Operation],
    reason: &'static str,
) -> Mm2Rule {
    RuleRow {
        spec_row,
        condition,
        side,
        grantee: Mm2Principal,
        resource,
        operations,
        reason,
    }
}

// Short names so each table row fits on two lines.
use Herder::{Forward, Reverse};
use Mm2Condition as C;
use Mm2Resource as R;
use Operation::{AlterConfigs, Create, Describe, DescribeConfigs, Read, Write};
use Side::{Source as S, Target as T};

/// MM2's ACLs, spec section 1 row by row. Columns: spec row, condition, cluster side,
/// resource, operations, reason (`{resource}` is replaced by the resource's wording).
#[rustfmt::skip]
pub static MM2_RULES: &[Mm2Rule] = &[
    rule("1.1", C::Always, S, R::SourceTopics, &[Read],
        "MM2 reads source {resource} (Fetch, ListOffsets, Metadata)"),
    rule("1.2", C::Always, S, R::SourceTopics, &[DescribeConfigs],
        "MM2 reads the configs of source {resource} before creating remote topics (DescribeConfigs)"),
    rule("1.2", C::ReplicateHeartbeats, S, R::Heartbeats, &[DescribeConfigs],
        "MM2 reads the configs of {resource} before creating its remote copy (DescribeConfigs)"),
    rule("1.3", C::ReplicateHeartbeats, S, R::Heartbeats, &[Read],
        "MM2 reads the upstream {resource} to replicate it (Fetch)"),
    rule("1.4", C::Always, T, R::RemoteTopics, &[Write],
        "MM2 writes remote {resource} (Produce)"),
    rule("1.4", C::ReplicateHeartbeats, T, R::RemoteHeartbeats, &[Write],
        "MM2 writes the remote copy of heartbeats, {resource} (Produce)"),
    rule("1.5", C::Always, T, R::RemoteTopics, &[Create],
        "MM2 creates remote {resource} (CreateTopics, topic-level CREATE instead of cluster-level)"),
    rule("1.5", C::ReplicateHeartbeats, T, R::RemoteHeartbeats, &[Create],
        "MM2 creates the remote copy of heartbeats, {resource} (CreateTopics)"),
    rule("1.6", C::Always, T, R::RemoteTopics, &[Operation::Alter],
        "MM2 adds partitions to remote {resource} when the source grows (CreatePartitions)"),
    rule("1.6", C::ReplicateHeartbeats, T, R::RemoteHeartbeats, &[Operation::Alter],
        "MM2 adds partitions to the remote copy of heartbeats, {resource} (CreatePartitions)"),
    rule("1.7", C::SyncTopicConfigs, S, R::SourceTopics, &[DescribeConfigs],
        "MM2 reads the configs of source {resource} to sync them (DescribeConfigs)"),
    rule("1.7", C::SyncTopicConfigs, T, R::RemoteTopics, &[AlterConfigs],
        "MM2 writes synced configs to remote {resource} (IncrementalAlterConfigs)"),
    rule("1.7", C::SyncHeartbeatsConfigs, T, R::RemoteHeartbeats, &[AlterConfigs],
        "MM2 writes synced configs to the remote copy of heartbeats, {resource} (IncrementalAlterConfigs)"),
    rule("1.8", C::SyncTopicAcls, S, R::Cluster, &[Describe],
        "MM2 reads the source topic ACLs on {resource} (DescribeAcls)"),
    rule("1.8", C::SyncTopicAcls, T, R::Cluster, &[Operation::Alter],
        "MM2 creates the copied topic ACLs on {resource} (CreateAcls)"),
    rule("1.9", C::OffsetSyncsOnSource, S, R::OffsetSyncsTopicOn(S), &[Create, Write, Read],
        "MM2 creates, writes and reads the offset-syncs {resource} (CreateTopics, Produce, Fetch)"),
    rule("1.9", C::OffsetSyncsOnTarget, T, R::OffsetSyncsTopicOn(T), &[Create, Write, Read],
        "MM2 creates, writes and reads the offset-syncs {resource} (CreateTopics, Produce, Fetch)"),
    rule("1.10", C::EmitCheckpoints, S, R::Groups, &[Describe],
        "MM2 lists source {resource} and reads their committed offsets (ListGroups, OffsetFetch)"),
    rule("1.11", C::EmitCheckpoints, T, R::CheckpointsTopic, &[Create, Write, Read],
        "MM2 creates, writes and reads the checkpoints {resource} (CreateTopics, Produce, Fetch)"),
    rule("1.12", C::SyncGroupOffsets, T, R::Groups, &[Read, Describe],
        "MM2 commits translated offsets for target {resource} (DescribeGroups, OffsetFetch, OffsetCommit)"),
    rule("1.12", C::SyncGroupOffsets, T, R::RemoteTopics, &[Read],
        "MM2 commits translated offsets on remote {resource} (OffsetCommit)"),
    rule("1.13", C::EmitHeartbeats, T, R::Heartbeats, &[Create, Write],
        "MM2 creates and writes {resource} on the target (CreateTopics, Produce)"),
    rule("1.13", C::ReverseHerderHeartbeats, S, R::Heartbeats, &[Create, Write],
        "the reverse herder creates and writes {resource} on the source (CreateTopics, Produce)"),
    rule("1.14", C::Worker, T, R::WorkerGroup(Forward), &[Read],
        "the Connect worker joins {resource} (JoinGroup, SyncGroup)"),
    rule("1.14", C::Worker, T, R::WorkerTopics(Forward), &[Create, Read, Write],
        "the Connect worker creates, reads and writes its internal {resource} (CreateTopics, Fetch, Produce)"),
    rule("1.14", C::ReverseHerderWorker, S, R::WorkerGroup(Reverse), &[Read],
        "the reverse herder's Connect worker joins {resource} (JoinGroup, SyncGroup)"),
    rule("1.14", C::ReverseHerderWorker, S, R::WorkerTopics(Reverse), &[Create, Read, Write],
        "the reverse herder's Connect worker creates, reads and writes its internal {resource} (CreateTopics, Fetch, Produce)"),
    rule("1.15", C::ExactlyOnce, T, R::TransactionalIds, &[Write, Describe],
        "the Connect worker and its tasks use {resource} for transactions (InitProducerId, EndTxn)"),
];

/// How many partitions an internal topic gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TopicPartitions {
    One,
    /// Connect's `offset.storage.partitions` (25); Aiven uses 1 on the source cluster.
    WorkerOffsets,
    /// Connect's `status.storage.partitions` (5).
    WorkerStatus,
}

/// Which replication factor input an internal topic uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TopicReplication {
    /// `internal_topics_replication_factor` (the configs whose default is 3).
    Internal,
    /// `remote_topics_replication_factor` (MM2's `replication.factor`, default 2); the Aiven
    /// profile uses the internal RF instead.
    Remote,
}

/// One row of [`MM2_TOPICS`]: an internal topic to create when `condition` holds and
/// `manage_internal_topics` is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mm2TopicRow {
    pub condition: Mm2Condition,
    pub side: Side,
    pub topic: Mm2Resource,
    pub partitions: TopicPartitions,
    pub replication: TopicReplication,
    pub reason: &'static str,
}

const fn topic_row(
    condition: Mm2Condition,
    side: Side,
    topic: Mm2Resource,
    partitions: TopicPartitions,
    replication: TopicReplication,
    reason: &'static str,
) -> Mm2TopicRow {
    Mm2TopicRow {
        condition,
        side,
        topic,
        partitions,
        replication,
        reason,
    }
}

// Short names for the topic table.
use TopicPartitions::{One, WorkerOffsets, WorkerStatus};
use TopicReplication::{Internal, Remote};
use WorkerTopic::{Configs, Offsets, Status};

/// MM2's internal topics, spec section 2 (all `cleanup.policy=compact`).
#[rustfmt::skip]
pub static MM2_TOPICS: &[Mm2TopicRow] = &[
    topic_row(C::OffsetSyncsOnSource, S, R::OffsetSyncsTopicOn(S), One, Internal,
        "offset-syncs {resource} (offset-syncs.topic.replication.factor)"),
    topic_row(C::OffsetSyncsOnTarget, T, R::OffsetSyncsTopicOn(T), One, Internal,
        "offset-syncs {resource} (offset-syncs.topic.replication.factor)"),
    topic_row(C::EmitCheckpoints, T, R::CheckpointsTopic, One, Internal,
        "checkpoints {resource} (checkpoints.topic.replication.factor)"),
    topic_row(C::EmitHeartbeats, T, R::Heartbeats, One, Internal,
        "{resource} written by herder A->B (heartbeats.topic.replication.factor)"),
    topic_row(C::ReverseHerderHeartbeats, S, R::Heartbeats, One, Internal,
        "{resource} written by the reverse herder B->A (heartbeats.topic.replication.factor)"),
    topic_row(C::ReplicateHeartbeats, T, R::RemoteHeartbeats, One, Remote,
        "remote copy of heartbeats, {resource} (replication.factor)"),
    topic_row(C::Worker, T, R::WorkerTopic(Forward, Configs), One, Internal,
        "Connect config {resource}, one partition (config.storage.replication.factor)"),
    topic_row(C::Worker, T, R::WorkerTopic(Forward, Offsets), WorkerOffsets, Internal,
        "Connect offsets {resource} (offset.storage.partitions, offset.storage.replication.factor)"),
    topic_row(C::Worker, T, R::WorkerTopic(Forward, Status), WorkerStatus, Internal,
        "Connect status {resource} (status.storage.partitions, status.storage.replication.factor)"),
    topic_row(C::ReverseHerderWorker, S, R::WorkerTopic(Reverse, Configs), One, Internal,
        "reverse herder's Connect config {resource}, one partition (config.storage.replication.factor)"),
    topic_row(C::ReverseHerderWorker, S, R::WorkerTopic(Reverse, Offsets), WorkerOffsets, Internal,
        "reverse herder's Connect offsets {resource} (offset.storage.partitions, offset.storage.replication.factor)"),
    topic_row(C::ReverseHerderWorker, S, R::WorkerTopic(Reverse, Status), WorkerStatus, Internal,
        "reverse herder's Connect status {resource} (status.storage.partitions, status.storage.replication.factor)"),
];

/// Name of the topic MM2 emits heartbeats to.
pub const HEARTBEATS_TOPIC: &str = "heartbeats";

/// The resolved view of one flow that the tables are evaluated against.
struct Mm2Context<'a> {
    inputs: &'a Mm2Inputs,
    topics: NameSelection,
    groups: NameSelection,
}

impl Mm2Context<'_> {
    fn alias(&self, side: Side) -> &str {
        match side {
            Side::Source => &self.inputs.source_alias,
            Side::Target => &self.inputs.target_alias,
        }
    }

    /// `A<sep>name`: DefaultReplicationPolicy's remote name (also identity's for heartbeats).
    fn prefixed_with_source_alias(&self, name: &str) -> String {
        format!(
            "{}{}{}",
            self.inputs.source_alias, self.inputs.separator, name
        )
    }

    fn remote_name(&self, name: &str) -> String {
        match self.inputs.replication_policy {
            ReplicationPolicy::Default => self.prefixed_with_source_alias(name),
            ReplicationPolicy::Identity => name.to_string(),
        }
    }

    /// The alias a herder's worker is named after (`A-mm2` for `A->B`).
    fn herder_source_alias(&self, herder: Herder) -> &str {
        match herder {
            Forward => self.alias(S),
            Reverse => self.alias(T),
        }
    }

    fn worker_group(&self, herder: Herder) -> String {
        match (&self.inputs.deployment, herder) {
            (Mm2Deployment::Connect(worker), Forward) => worker.group_id.clone(),
            _ => format!("{}-mm2", self.herder_source_alias(herder)),
        }
    }

    fn worker_topic(&self, herder: Herder, which: WorkerTopic) -> String {
        if let (Mm2Deployment::Connect(worker), Forward) = (&self.inputs.deployment, herder) {
            return match which {
                Configs => worker.config_topic.clone(),
                Offsets => worker.offset_topic.clone(),
                Status => worker.status_topic.clone(),
            };
        }
        let kind = match which {
            Configs => "configs",
            Offsets => "offsets",
            Status => "status",
        };
        // Connect topics always use `.`, whatever the separator.
        format!("mm2-{kind}.{}.internal", self.herder_source_alias(herder))
    }

    fn topic_literal(name: impl Into<String>) -> Vec<ResourcePattern> {
        vec![ResourcePattern::literal(ResourceType::Topic, name)]
    }

    fn partitions(&self, partitions: TopicPartitions, side: Side) -> i32 {
        match partitions {
            One => 1,
            WorkerStatus => 5,
            WorkerOffsets => match (&self.inputs.deployment, side) {
                (Mm2Deployment::Aiven, Side::Source) => 1,
                _ => 25,
            },
        }
    }

    fn replication_factor(&self, replication: TopicReplication) -> i16 {
        match (replication, &self.inputs.deployment) {
            (Internal, _) | (Remote, Mm2Deployment::Aiven) => {
                self.inputs.internal_topics_replication_factor
            }
            (Remote, _) => self.inputs.remote_topics_replication_factor,
        }
    }
}

impl RuleContext for Mm2Context<'_> {
    type Condition = Mm2Condition;
    type Grantee = Mm2Principal;
    type Resource = Mm2Resource;

    fn is_active(&self, condition: &Mm2Condition) -> bool {
        let inputs = self.inputs;
        match condition {
            C::Always | C::Worker => true,
            C::ReplicateHeartbeats => inputs.replicate_heartbeats,
            C::SyncTopicConfigs => inputs.sync_topic_configs,
            C::SyncHeartbeatsConfigs => inputs.sync_topic_configs && inputs.replicate_heartbeats,
            C::SyncTopicAcls => inputs.sync_topic_acls,
            C::OffsetSyncsOnSource => {
                inputs.emit_offset_syncs
                    && inputs.offset_syncs_topic_location == OffsetSyncsLocation::Source
            }
            C::OffsetSyncsOnTarget => {
                inputs.emit_offset_syncs
                    && inputs.offset_syncs_topic_location == OffsetSyncsLocation::Target
            }
            C::EmitCheckpoints => inputs.emit_checkpoints,
            C::SyncGroupOffsets => inputs.sync_group_offsets,
            C::EmitHeartbeats => inputs.emit_heartbeats,
            C::ReverseHerderHeartbeats | C::ReverseHerderWorker => inputs.runs_reverse_herder(),
            C::ExactlyOnce => inputs.exactly_once,
        }
    }

    fn feature_label(&self, condition: &Mm2Condition) -> String {
        let (a, b) = (self.alias(S), self.alias(T));
        match condition {
            C::Always => "replication".to_string(),
            C::ReplicateHeartbeats => "heartbeats replication (heartbeats.replication.enabled)".to_string(),
            C::SyncTopicConfigs => "topic config sync (sync.topic.configs.enabled)".to_string(),
            C::SyncHeartbeatsConfigs => "topic config sync of replicated heartbeats (sync.topic.configs.enabled, heartbeats.replication.enabled)".to_string(),
            C::SyncTopicAcls => "topic ACL sync (sync.topic.acls.enabled)".to_string(),
            C::OffsetSyncsOnSource => "offset syncs (emit.offset-syncs.enabled, offset-syncs.topic.location=source)".to_string(),
            C::OffsetSyncsOnTarget => "offset syncs (emit.offset-syncs.enabled, offset-syncs.topic.location=target)".to_string(),
            C::EmitCheckpoints => "checkpoints (emit.checkpoints.enabled)".to_string(),
            C::SyncGroupOffsets => "group offset sync (sync.group.offsets.enabled)".to_string(),
            C::EmitHeartbeats => format!("heartbeats of herder {a}->{b} (emit.heartbeats.enabled)"),
            C::ReverseHerderHeartbeats => format!("heartbeats of reverse herder {b}->{a} (emit.heartbeats.enabled, dedicated mode)"),
            C::Worker => match self.inputs.deployment {
                Mm2Deployment::Connect(_) => "Kafka Connect worker (group.id, config/offset/status.storage.topic)".to_string(),
                _ => format!("Connect worker of herder {a}->{b} (dedicated mode)"),
            },
            C::ReverseHerderWorker => format!("Connect worker of reverse herder {b}->{a} (emit.heartbeats.enabled, dedicated mode)"),
            C::ExactlyOnce => "exactly-once (exactly.once.source.support=enabled)".to_string(),
        }
    }

    fn cluster(&self, side: Side) -> &str {
        match side {
            Side::Source => &self.inputs.source_cluster,
            Side::Target => &self.inputs.target_cluster,
        }
    }

    fn principal(&self, _grantee: Mm2Principal, side: Side) -> Option<&str> {
        match side {
            Side::Source => self.inputs.effective_source_principal(),
            Side::Target => self.inputs.effective_target_principal(),
        }
    }

    fn expand(&self, resource: &Mm2Resource) -> Vec<ResourcePattern> {
        let sep = &self.inputs.separator;
        match *resource {
            R::SourceTopics => self.topics.patterns(ResourceType::Topic),
            R::RemoteTopics => {
                let all = match self.inputs.replication_policy {
                    ReplicationPolicy::Default => ResourcePattern::prefixed(
                        ResourceType::Topic,
                        self.prefixed_with_source_alias(""),
                    ),
                    ReplicationPolicy::Identity => {
                        ResourcePattern::literal(ResourceType::Topic, "*")
                    }
                };
                self.topics.mapped_patterns(
                    ResourceType::Topic,
                    &|name| self.remote_name(name),
                    all,
                )
            }
            R::Heartbeats => Self::topic_literal(HEARTBEATS_TOPIC),
            R::RemoteHeartbeats => {
                Self::topic_literal(self.prefixed_with_source_alias(HEARTBEATS_TOPIC))
            }
            R::OffsetSyncsTopicOn(side) => {
                let other = match side {
                    Side::Source => self.alias(T),
                    Side::Target => self.alias(S),
                };
                Self::topic_literal(format!("mm2-offset-syncs{sep}{other}{sep}internal"))
            }
            R::CheckpointsTopic => {
                Self::topic_literal(format!("{}{sep}checkpoints{sep}internal", self.alias(S)))
            }
            R::Groups => self.groups.patterns(ResourceType::Group),
            R::WorkerGroup(herder) => vec![ResourcePattern::literal(
                ResourceType::Group,
                self.worker_group(herder),
            )],
            R::WorkerTopics(herder) => [Configs, Offsets, Status]
                .into_iter()
                .map(|which| {
                    ResourcePattern::literal(ResourceType::Topic, self.worker_topic(herder, which))
                })
                .collect(),
            R::WorkerTopic(herder, which) => Self::topic_literal(self.worker_topic(herder, which)),
            R::TransactionalIds => {
                let group = self.worker_group(Forward);
                vec![
                    ResourcePattern::literal(
                        ResourceType::TransactionalId,
                        format!("connect-cluster-{group}"),
                    ),
                    ResourcePattern::prefixed(ResourceType::TransactionalId, format!("{group}-")),
                ]
            }
            R::Cluster => vec![ResourcePattern::cluster()],
        }
    }
}

/// Plans every ACL and internal topic one MM2 flow needs. Pure and deterministic.
pub fn plan_mm2(inputs: &Mm2Inputs) -> DesiredState {
    let context = Mm2Context {
        inputs,
        topics: topic_selection(inputs),
        groups: group_selection(inputs),
    };
    let mut out = DesiredStateBuilder::default();
    evaluate_rules(MM2_RULES, &context, &mut out);
    if inputs.manage_internal_topics {
        for row in MM2_TOPICS {
            if !context.is_active(&row.condition) {
                continue;
            }
            let cluster = context.cluster(row.side);
            let feature = context.feature_label(&row.condition);
            for topic in context.expand(&row.topic) {
                let reason = format_reason(&feature, row.reason, &topic.describe(), "2");
                out.topic(
                    cluster,
                    &topic.name,
                    context.partitions(row.partitions, row.side),
                    context.replication_factor(row.replication),
                    &reason,
                );
            }
        }
    }
    out.finish()
}

#[cfg(test)]
mod tests;
