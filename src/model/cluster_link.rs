//! Confluent Cluster Linking: the inputs of `kafkamirror_cluster_link_acls`, the permission
//! table (`CLUSTER_LINK_RULES`, spec section 3 row by row, unverified rows marked in their
//! reason) and the pure planner `plan_cluster_link`. Shares the planning machinery of
//! `model::plan` with MirrorMaker 2.

use super::acl::{Operation, ResourceType};
use super::plan::{
    evaluate_rules, input_names, ClusterAcl, DesiredState, DesiredStateBuilder, NameSelection,
    ResourcePattern, RuleContext, RuleRow, Side,
};

/// Which side opens the link's connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum LinkMode {
    /// The destination connects to the source (the usual link).
    #[default]
    DestinationInitiated,
    /// The source connects out to the destination (`connection.mode=OUTBOUND` on the source).
    SourceInitiated,
    /// Each cluster mirrors to the other.
    Bidirectional,
}

input_names!(LinkMode {
    DestinationInitiated => "destination_initiated",
    SourceInitiated => "source_initiated",
    Bidirectional => "bidirectional",
});

/// The inputs of one cluster link `source -> destination`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterLinkInputs {
    pub source_cluster: String,
    pub destination_cluster: String,
    pub link_mode: LinkMode,
    /// The link credential.
    pub link_principal: String,
    /// The destination brokers' principal; needed for consumer offset sync and ACL sync.
    pub destination_broker_principal: Option<String>,
    /// Optional: who creates links and mirror topics and promotes / fails them over.
    pub operator_principal: Option<String>,
    /// Mirror topics; `["*"]` = all.
    pub topics: Vec<String>,
    pub topic_prefixes: Vec<String>,
    pub consumer_offset_sync: bool,
    /// Groups whose offsets are synced; `["*"]` = all.
    pub groups: Vec<String>,
    pub group_prefixes: Vec<String>,
    pub acl_sync: bool,
}

impl ClusterLinkInputs {
    /// A destination-initiated link with every optional feature off.
    pub fn with_defaults(
        source_cluster: &str,
        destination_cluster: &str,
        link_principal: &str,
    ) -> Self {
        ClusterLinkInputs {
            source_cluster: source_cluster.to_string(),
            destination_cluster: destination_cluster.to_string(),
            link_mode: LinkMode::DestinationInitiated,
            link_principal: link_principal.to_string(),
            destination_broker_principal: None,
            operator_principal: None,
            topics: Vec::new(),
            topic_prefixes: Vec::new(),
            consumer_offset_sync: false,
            groups: Vec::new(),
            group_prefixes: Vec::new(),
            acl_sync: false,
        }
    }
}

/// When a row applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LinkCondition {
    /// Every link.
    Always,
    /// `consumer_offset_sync` (`consumer.offset.sync.enable`).
    ConsumerOffsetSync,
    /// `acl_sync` (`acl.sync.enable`).
    AclSync,
    /// Source-initiated or bidirectional links.
    SourceInitiated,
    /// Bidirectional links: the reverse direction mirrors from the destination.
    Bidirectional,
    /// Bidirectional links with consumer offset sync.
    BidirectionalOffsetSync,
    /// Bidirectional links with ACL sync.
    BidirectionalAclSync,
}

/// Who a row grants to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LinkGrantee {
    /// `link_principal`, the link credential.
    Link,
    /// `destination_broker_principal`.
    DestinationBrokers,
    /// `operator_principal` (rows skipped when unset).
    Operator,
}

/// Resource-name generators of the cluster-link table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LinkResource {
    /// The mirror topics (same names on both clusters): LITERAL / PREFIXED / `*`.
    MirrorTopics,
    /// The groups whose offsets are synced.
    Groups,
    /// CLUSTER `kafka-cluster`.
    Cluster,
}

/// One row of [`CLUSTER_LINK_RULES`].
pub type LinkRule = RuleRow<LinkCondition, LinkGrantee, LinkResource>;

/// Marks rows the spec lists as not verified from a primary source.
pub const UNVERIFIED: &str = "(not verified from a primary source)";

const fn rule(
    spec_row: &'static str,
    condition: LinkCondition,
    side: Side,
    grantee: LinkGrantee,
    resource: LinkResource,
    operations: &'static [Operation],
    reason: &'static str,
) -> LinkRule {
    RuleRow {
        spec_row,
        condition,
        side,
        grantee,
        resource,
        operations,
        reason,
    }
}

// Short names so each table row fits on two lines.
use LinkCondition as C;
use LinkGrantee::{DestinationBrokers, Link, Operator};
use LinkResource as R;
use Operation::{Alter, AlterConfigs, Create, Describe, DescribeConfigs, Read};
use Side::{Source as S, Target as D};

/// Cluster Linking's ACLs, spec section 3 row by row (numbering in
/// `docs/guides/permissions-reference.md`: 3.1-3.3 the seed's broker table, 3.4-3.11 the
/// Confluent Cloud table, 3.12-3.14 the unverified rows, 3.15 the reverse direction of a
/// bidirectional link). Columns: spec row, condition, side (D = destination), grantee,
/// resource, operations, reason.
#[rustfmt::skip]
pub static CLUSTER_LINK_RULES: &[LinkRule] = &[
    rule("3.1", C::ConsumerOffsetSync, D, DestinationBrokers, R::MirrorTopics, &[Read],
        "destination brokers read mirror {resource} for consumer offset migration"),
    rule("3.2", C::ConsumerOffsetSync, D, DestinationBrokers, R::Groups, &[Read],
        "destination brokers commit migrated offsets of {resource}"),
    rule("3.3", C::ConsumerOffsetSync, D, DestinationBrokers, R::MirrorTopics, &[Alter],
        "destination brokers alter mirror {resource} (AlterMirrors)"),
    rule("3.4", C::Always, D, Operator, R::Cluster, &[Alter],
        "operator creates or modifies the cluster link on {resource}"),
    rule("3.5", C::Always, D, Operator, R::Cluster, &[Alter, AlterConfigs],
        "operator creates or modifies mirror topics on {resource}"),
    rule("3.5", C::Always, D, Operator, R::MirrorTopics, &[Create],
        "operator creates mirror {resource}"),
    rule("3.6", C::Always, D, Operator, R::Cluster, &[Describe],
        "operator lists mirror topics and their status on {resource}"),
    rule("3.7", C::Always, D, Operator, R::Cluster, &[Describe],
        "operator promotes or fails over mirror topics on {resource}"),
    rule("3.7", C::Always, D, Operator, R::MirrorTopics, &[Alter, Describe],
        "operator promotes or fails over mirror {resource}"),
    rule("3.8", C::Always, S, Link, R::MirrorTopics, &[Read, DescribeConfigs],
        "the link credential reads source {resource} and their configs"),
    rule("3.9", C::ConsumerOffsetSync, S, Link, R::MirrorTopics, &[Describe],
        "the link credential describes source {resource} to sync consumer offsets"),
    rule("3.9", C::ConsumerOffsetSync, S, Link, R::Groups, &[Describe],
        "the link credential reads the offsets of source {resource}"),
    rule("3.10", C::AclSync, S, Link, R::Cluster, &[Describe],
        "the link credential reads source ACLs on {resource} (DescribeAcls, the link needs acl.filters)"),
    rule("3.10", C::AclSync, D, DestinationBrokers, R::Cluster, &[Alter],
        "destination brokers create and delete the synced ACLs on {resource} (CreateAcls, DeleteAcls)"),
    rule("3.11", C::SourceInitiated, D, Link, R::Cluster, &[Alter],
        "the source-initiated link creates its destination half on {resource}"),
    rule("3.12", C::Always, D, Operator, R::Cluster, &[Describe],
        "operator lists and describes cluster links on {resource} (not verified from a primary source)"),
    rule("3.13", C::Always, D, Operator, R::Cluster, &[DescribeConfigs, AlterConfigs],
        "operator reads and changes cluster link configs on {resource} (not verified from a primary source)"),
    rule("3.14", C::SourceInitiated, S, Operator, R::Cluster, &[Alter],
        "operator creates the source half of the source-initiated link on {resource} (not verified from a primary source)"),
    rule("3.15", C::Bidirectional, D, Link, R::MirrorTopics, &[Read, DescribeConfigs],
        "the link credential reads {resource} and their configs on the destination (row 3.8 in reverse) (not verified from a primary source)"),
    rule("3.15", C::BidirectionalOffsetSync, D, Link, R::MirrorTopics, &[Describe],
        "the link credential describes {resource} on the destination to sync offsets (row 3.9 in reverse) (not verified from a primary source)"),
    rule("3.15", C::BidirectionalOffsetSync, D, Link, R::Groups, &[Describe],
        "the link credential reads the offsets of {resource} on the destination (row 3.9 in reverse) (not verified from a primary source)"),
    rule("3.15", C::BidirectionalAclSync, D, Link, R::Cluster, &[Describe],
        "the link credential reads ACLs on the destination {resource} (row 3.10 in reverse) (not verified from a primary source)"),
];

struct LinkContext<'a> {
    inputs: &'a ClusterLinkInputs,
    topics: NameSelection,
    groups: NameSelection,
}

impl RuleContext for LinkContext<'_> {
    type Condition = LinkCondition;
    type Grantee = LinkGrantee;
    type Resource = LinkResource;

    fn is_active(&self, condition: &LinkCondition) -> bool {
        let inputs = self.inputs;
        let bidirectional = inputs.link_mode == LinkMode::Bidirectional;
        match condition {
            C::Always => true,
            C::ConsumerOffsetSync => inputs.consumer_offset_sync,
            C::AclSync => inputs.acl_sync,
            C::SourceInitiated => inputs.link_mode != LinkMode::DestinationInitiated,
            C::Bidirectional => bidirectional,
            C::BidirectionalOffsetSync => bidirectional && inputs.consumer_offset_sync,
            C::BidirectionalAclSync => bidirectional && inputs.acl_sync,
        }
    }

    fn feature_label(&self, condition: &LinkCondition) -> String {
        match condition {
            C::Always => "mirroring",
            C::ConsumerOffsetSync => "consumer offset sync (consumer.offset.sync.enable)",
            C::AclSync => "ACL sync (acl.sync.enable)",
            C::SourceInitiated => "source-initiated link (link.mode, connection.mode=OUTBOUND)",
            C::Bidirectional => "bidirectional link (link.mode=BIDIRECTIONAL)",
            C::BidirectionalOffsetSync => {
                "bidirectional link with consumer offset sync (link.mode=BIDIRECTIONAL, consumer.offset.sync.enable)"
            }
            C::BidirectionalAclSync => {
                "bidirectional link with ACL sync (link.mode=BIDIRECTIONAL, acl.sync.enable)"
            }
        }
        .to_string()
    }

    fn cluster(&self, side: Side) -> &str {
        match side {
            Side::Source => &self.inputs.source_cluster,
            Side::Target => &self.inputs.destination_cluster,
        }
    }

    fn principal(&self, grantee: LinkGrantee, _side: Side) -> Option<&str> {
        match grantee {
            Link => Some(&self.inputs.link_principal),
            DestinationBrokers => self.inputs.destination_broker_principal.as_deref(),
            Operator => self.inputs.operator_principal.as_deref(),
        }
    }

    fn expand(&self, resource: &LinkResource) -> Vec<ResourcePattern> {
        match resource {
            R::MirrorTopics => self.topics.patterns(ResourceType::Topic),
            R::Groups => self.groups.patterns(ResourceType::Group),
            R::Cluster => vec![ResourcePattern::cluster()],
        }
    }
}

/// The spec row of the ACL-sync pitfall (section 6, Cluster Linking: "ACL sync on a link
/// deletes destination bindings that match its `acl.filters` and are absent on the source").
pub const ACL_SYNC_DELETES_ROW: &str = "6.8";

/// With `acl_sync` on, the link deletes the bindings of the cluster it syncs onto that match
/// its `acl.filters` and are absent on the other cluster: the destination, and for a
/// bidirectional link the source too. These are this resource's bindings there, which must
/// stay outside the filters (`acl.filters` is link config the provider does not see).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AclSyncPitfall<'a> {
    /// Cluster keys the link syncs ACLs onto, destination first.
    pub clusters: Vec<&'a str>,
    /// This resource's bindings on those clusters, in plan order.
    pub exposed: Vec<&'a ClusterAcl>,
}

/// The ACL-sync pitfall of a plan, `None` when `acl_sync` is off.
pub fn acl_sync_pitfall<'a>(
    inputs: &'a ClusterLinkInputs,
    desired: &'a DesiredState,
) -> Option<AclSyncPitfall<'a>> {
    if !inputs.acl_sync {
        return None;
    }
    let mut clusters = vec![inputs.destination_cluster.as_str()];
    if inputs.link_mode == LinkMode::Bidirectional {
        clusters.push(&inputs.source_cluster);
    }
    let exposed = desired
        .acls
        .iter()
        .filter(|acl| clusters.contains(&acl.cluster.as_str()))
        .collect();
    Some(AclSyncPitfall { clusters, exposed })
}

/// Plans every ACL one cluster link needs. Pure and deterministic; Cluster Linking creates
/// no internal topics, so `topics` is empty.
pub fn plan_cluster_link(inputs: &ClusterLinkInputs) -> DesiredState {
    let context = LinkContext {
        inputs,
        topics: NameSelection::new(&inputs.topics, &inputs.topic_prefixes),
        groups: NameSelection::new(&inputs.groups, &inputs.group_prefixes),
    };
    let mut out = DesiredStateBuilder::default();
    evaluate_rules(CLUSTER_LINK_RULES, &context, &mut out);
    out.finish()
}

#[cfg(test)]
mod tests;
