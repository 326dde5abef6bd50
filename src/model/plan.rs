//! Planning machinery shared by every replicator's rule table: the output types
//! (`ClusterAcl`, `InternalTopic`, `DesiredState`), name selections (literal names, `*`,
//! prefixes) and their expansion into resource patterns, the generic rule row and its
//! evaluator, and the builder that deduplicates bindings (merging reasons) and sorts.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::acl::{AclBinding, Operation, PatternType, ResourceType, CLUSTER_RESOURCE_NAME};

/// The `cleanup.policy` every internal topic the provider creates carries.
pub const CLEANUP_POLICY: &str = "cleanup.policy";
/// The value of [`CLEANUP_POLICY`] for internal topics.
pub const COMPACT: &str = "compact";

/// Separates merged reasons of one binding.
pub const REASON_SEPARATOR: &str = "; ";

/// Which end of the flow a rule applies to. For Cluster Linking `Target` is the destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Side {
    Source,
    Target,
}

/// One desired ACL binding on one cluster (provider cluster key), with why it is needed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClusterAcl {
    pub cluster: String,
    pub binding: AclBinding,
    /// Every rule that needs this binding, joined by [`REASON_SEPARATOR`]; shared by the
    /// bindings one rule grants on one resource.
    pub reason: Arc<str>,
}

/// One internal topic the replicator needs, created by the provider when it is missing.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InternalTopic {
    pub cluster: String,
    pub name: String,
    pub partitions: i32,
    pub replication_factor: i16,
    /// Topic configs to set at creation and keep (always `cleanup.policy=compact`).
    pub configs: BTreeMap<String, String>,
    pub reason: String,
}

/// Everything a flow needs: ACLs sorted and unique by (cluster, binding), topics sorted and
/// unique by (cluster, name). Independent of the order of list inputs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DesiredState {
    pub acls: Vec<ClusterAcl>,
    pub topics: Vec<InternalTopic>,
}

/// A concrete resource pattern a rule grants on.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResourcePattern {
    pub resource_type: ResourceType,
    pub name: String,
    pub pattern_type: PatternType,
}

impl ResourcePattern {
    pub fn literal(resource_type: ResourceType, name: impl Into<String>) -> Self {
        ResourcePattern {
            resource_type,
            name: name.into(),
            pattern_type: PatternType::Literal,
        }
    }

    pub fn prefixed(resource_type: ResourceType, prefix: impl Into<String>) -> Self {
        ResourcePattern {
            resource_type,
            name: prefix.into(),
            pattern_type: PatternType::Prefixed,
        }
    }

    /// The CLUSTER resource (`kafka-cluster`).
    pub fn cluster() -> Self {
        Self::literal(ResourceType::Cluster, CLUSTER_RESOURCE_NAME)
    }

    /// Human wording for reasons: `topic orders`, `topics prefixed billing.`, `all topics`.
    pub fn describe(&self) -> String {
        let (one, many) = match self.resource_type {
            ResourceType::Topic => ("topic", "topics"),
            ResourceType::Group => ("group", "groups"),
            ResourceType::Cluster => ("cluster", "clusters"),
            ResourceType::TransactionalId => ("transactional id", "transactional ids"),
        };
        match self.pattern_type {
            PatternType::Literal if self.name == "*" => format!("all {many}"),
            PatternType::Literal => format!("{one} {}", self.name),
            PatternType::Prefixed => format!("{many} prefixed {}", self.name),
        }
    }
}

/// The wildcard that selects every topic or group in `topics` / `groups`.
pub const ALL_NAMES: &str = "*";

/// Topic or group names chosen by the user: literal names (`["*"]` = all) plus prefixes.
/// Stored sorted and deduplicated, so expansion does not depend on input order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NameSelection {
    names: Vec<String>,
    prefixes: Vec<String>,
}

impl NameSelection {
    pub fn new(names: &[String], prefixes: &[String]) -> Self {
        let sorted = |list: &[String]| {
            let mut list = list.to_vec();
            list.sort();
            list.dedup();
            list
        };
        NameSelection {
            names: sorted(names),
            prefixes: sorted(prefixes),
        }
    }

    /// `*` is among the names: everything is selected and the other entries add nothing.
    pub fn is_all(&self) -> bool {
        self.names.iter().any(|name| name == ALL_NAMES)
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty() && self.prefixes.is_empty()
    }

    /// The patterns for the names as they are: LITERAL `*` when all, else one LITERAL per
    /// name and one PREFIXED per prefix.
    pub fn patterns(&self, resource_type: ResourceType) -> Vec<ResourcePattern> {
        self.mapped_patterns(
            resource_type,
            &|name| name.to_string(),
            ResourcePattern::literal(resource_type, ALL_NAMES),
        )
    }

    /// The patterns after renaming every name and prefix with `rename` (e.g. a replication
    /// policy's remote name); `all` stands for the whole selection when it is `*`.
    pub fn mapped_patterns(
        &self,
        resource_type: ResourceType,
        rename: &dyn Fn(&str) -> String,
        all: ResourcePattern,
    ) -> Vec<ResourcePattern> {
        if self.is_all() {
            return vec![all];
        }
        let mut patterns: Vec<ResourcePattern> = self
            .names
            .iter()
            .map(|name| ResourcePattern::literal(resource_type, rename(name)))
            .chain(
                self.prefixes
                    .iter()
                    .map(|prefix| ResourcePattern::prefixed(resource_type, rename(prefix))),
            )
            .collect();
        patterns.sort();
        patterns.dedup();
        patterns
    }
}

/// Declares the Terraform spellings of an input enum: `as_str` and a `FromStr` whose error
/// lists the allowed values.
macro_rules! input_names {
    ($name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        impl $name {
            /// The Terraform attribute value.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::model::acl::UnknownName;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err($crate::model::acl::UnknownName {
                        kind: stringify!($name),
                        value: s.to_string(),
                        allowed: &[$($text),+],
                    }),
                }
            }
        }
    };
}
pub(crate) use input_names;

/// One row of a permission table: when `condition` holds, `grantee` gets `operations` on
/// every pattern `resource` expands to, on the `side` cluster. `reason` is a sentence with
/// `{resource}` where the pattern's wording goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleRow<Condition, Grantee, Resource> {
    /// Row reference in `shared/spec/permissions.md`, e.g. `1.4` (section 1, row 4).
    pub spec_row: &'static str,
    pub condition: Condition,
    pub side: Side,
    pub grantee: Grantee,
    pub resource: Resource,
    pub operations: &'static [Operation],
    pub reason: &'static str,
}

/// What a table's evaluation needs from the resolved inputs of one flow.
pub trait RuleContext {
    type Condition;
    type Grantee: Copy;
    type Resource;

    fn is_active(&self, condition: &Self::Condition) -> bool;
    /// The feature wording that opens every reason, naming the config key.
    fn feature_label(&self, condition: &Self::Condition) -> String;
    /// The provider cluster key of a side.
    fn cluster(&self, side: Side) -> &str;
    /// The principal of a grantee on a side; `None` when that optional principal is unset.
    fn principal(&self, grantee: Self::Grantee, side: Side) -> Option<&str>;
    fn expand(&self, resource: &Self::Resource) -> Vec<ResourcePattern>;
}

/// Evaluates a rule table into `out`.
pub fn evaluate_rules<Ctx: RuleContext>(
    rows: &[RuleRow<Ctx::Condition, Ctx::Grantee, Ctx::Resource>],
    context: &Ctx,
    out: &mut DesiredStateBuilder,
) {
    for row in rows {
        if !context.is_active(&row.condition) {
            continue;
        }
        let Some(principal) = context.principal(row.grantee, row.side) else {
            continue;
        };
        let cluster = context.cluster(row.side);
        let feature = context.feature_label(&row.condition);
        // In binding order within each resource, so a rule's grants over sorted names form
        // one sorted run (see `DesiredStateBuilder::finish`).
        let mut operations = row.operations.to_vec();
        operations.sort_unstable();
        for resource in context.expand(&row.resource) {
            let reason: Arc<str> =
                format_reason(&feature, row.reason, &resource.describe(), row.spec_row).into();
            for &operation in &operations {
                out.grant(cluster, principal, &resource, operation, &reason);
            }
        }
    }
}

/// `feature: sentence-with-resource [spec row]`.
pub fn format_reason(feature: &str, template: &str, resource: &str, spec_row: &str) -> String {
    format!(
        "{feature}: {} [spec {spec_row}]",
        template.replace("{resource}", resource)
    )
}

/// Collects bindings and topics, merging the reasons of duplicates, and sorts on `finish`.
#[derive(Debug, Default)]
pub struct DesiredStateBuilder {
    /// Every grant in the order it was made, duplicates included.
    grants: Vec<ClusterAcl>,
    topics: BTreeMap<(String, String), InternalTopic>,
}

impl DesiredStateBuilder {
    pub fn grant(
        &mut self,
        cluster: &str,
        principal: &str,
        resource: &ResourcePattern,
        operation: Operation,
        reason: &Arc<str>,
    ) {
        let binding = AclBinding::allow(
            principal,
            resource.resource_type,
            &resource.name,
            resource.pattern_type,
            operation,
        );
        self.grants.push(ClusterAcl {
            cluster: cluster.to_string(),
            binding,
            reason: Arc::clone(reason),
        });
    }

    /// Adds a compacted internal topic; a second request for the same topic keeps the first
    /// sizing and adds its reason.
    pub fn topic(
        &mut self,
        cluster: &str,
        name: &str,
        partitions: i32,
        replication_factor: i16,
        reason: &str,
    ) {
        let entry = self
            .topics
            .entry((cluster.to_string(), name.to_string()))
            .or_insert_with(|| InternalTopic {
                cluster: cluster.to_string(),
                name: name.to_string(),
                partitions,
                replication_factor,
                configs: BTreeMap::from([(CLEANUP_POLICY.to_string(), COMPACT.to_string())]),
                reason: String::new(),
            });
        if entry.reason.is_empty() {
            entry.reason = reason.to_string();
        } else if !entry
            .reason
            .split(REASON_SEPARATOR)
            .any(|known| known == reason)
        {
            entry.reason.push_str(REASON_SEPARATOR);
            entry.reason.push_str(reason);
        }
    }

    /// The grants sorted by (cluster, binding), each binding once with its distinct reasons
    /// in the order they were granted.
    pub fn finish(self) -> DesiredState {
        let mut grants = self.grants;
        // A rule grants over names in sorted order, so the grants are a few sorted runs,
        // about one per rule: the stable sort finds and merges them, linear in the number of
        // grants for a given rule table (a sorted map would compare long shared-prefix names
        // at every insertion). Stable, so duplicates stay in grant order.
        grants.sort_by(|a, b| (&a.cluster, &a.binding).cmp(&(&b.cluster, &b.binding)));
        // Duplicates are merged in place: a second list as long as the grants would be the
        // largest allocation of a plan.
        grants.dedup_by(|duplicate, kept| {
            let same = duplicate.cluster == kept.cluster && duplicate.binding == kept.binding;
            let known =
                || (kept.reason.split(REASON_SEPARATOR)).any(|reason| reason == &*duplicate.reason);
            if same && !known() {
                kept.reason = [&*kept.reason, &*duplicate.reason]
                    .join(REASON_SEPARATOR)
                    .into();
            }
            same
        });
        DesiredState {
            acls: grants,
            topics: self.topics.into_values().collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn star_selects_everything_and_swallows_other_entries() {
        let selection = NameSelection::new(&strings(&["orders", "*"]), &strings(&["billing."]));
        assert!(selection.is_all());
        assert_eq!(
            selection.patterns(ResourceType::Topic),
            vec![ResourcePattern::literal(ResourceType::Topic, "*")]
        );
    }

    #[test]
    fn names_become_literals_and_prefixes_prefixed() {
        let selection = NameSelection::new(
            &strings(&["payments", "orders", "orders"]),
            &strings(&["billing."]),
        );
        assert_eq!(
            selection.patterns(ResourceType::Topic),
            vec![
                ResourcePattern::prefixed(ResourceType::Topic, "billing."),
                ResourcePattern::literal(ResourceType::Topic, "orders"),
                ResourcePattern::literal(ResourceType::Topic, "payments"),
            ]
        );
    }

    #[test]
    fn duplicate_grants_merge_reasons_once() {
        let mut builder = DesiredStateBuilder::default();
        let topic = ResourcePattern::literal(ResourceType::Topic, "orders");
        let (first, second): (Arc<str>, Arc<str>) = ("first".into(), "second".into());
        builder.grant("a", "User:x", &topic, Operation::Read, &first);
        builder.grant("a", "User:x", &topic, Operation::Read, &second);
        builder.grant("a", "User:x", &topic, Operation::Read, &first);
        let state = builder.finish();
        assert_eq!(state.acls.len(), 1);
        assert_eq!(&*state.acls[0].reason, "first; second");
    }

    #[test]
    fn describe_words_patterns() {
        assert_eq!(
            ResourcePattern::prefixed(ResourceType::Topic, "billing.").describe(),
            "topics prefixed billing."
        );
        assert_eq!(
            ResourcePattern::literal(ResourceType::Group, "*").describe(),
            "all groups"
        );
        assert_eq!(
            ResourcePattern::cluster().describe(),
            "cluster kafka-cluster"
        );
    }
}
