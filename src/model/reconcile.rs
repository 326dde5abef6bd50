//! Reconcile, kafka-security-manager style: set differences between the desired state, what
//! the clusters hold and what the resource owns, grouped per cluster for batched admin calls.
//! Deletes only what the resource owns and refuses deletes that would lock the provider out.
//! Internal topics are created or their configs fixed; size mismatches are conflicts, never
//! deletes.

use foldhash::{HashMap, HashSet};
use std::collections::BTreeMap;
use std::fmt;
use std::hash::BuildHasher;

use super::acl::{AclBinding, Operation, Permission, ResourceType};
use super::plan::{ClusterAcl, InternalTopic};
use super::validate::normalize_principal;

/// A binding on one cluster (provider cluster key).
pub type ClusterBinding = (String, AclBinding);

/// The ACL changes of one apply, per cluster key, each list sorted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AclChanges {
    /// `desired - actual`: one CreateAcls batch per cluster.
    pub to_create: BTreeMap<String, Vec<ClusterAcl>>,
    /// `(owned_before - desired) ∩ actual`: one DeleteAcls batch per cluster.
    pub to_delete: BTreeMap<String, Vec<AclBinding>>,
    /// `desired ∩ actual - owned_before`: existed before the resource; never deleted by it.
    pub preexisting: BTreeMap<String, Vec<AclBinding>>,
}

/// A delete refused because it would take away the provider's own admin rights.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelfLockout {
    /// Each refused binding with its cluster key.
    pub bindings: Vec<ClusterBinding>,
}

impl fmt::Display for SelfLockout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "refusing to delete ACLs that grant the provider's own principal rights on the \
             CLUSTER resource: without DESCRIBE it could no longer read ACLs and without ALTER \
             it could no longer create or delete them, so it would lock itself out. Grant the \
             provider's principal these rights another way (or connect as another admin \
             principal) before removing them:"
        )?;
        for (cluster, binding) in &self.bindings {
            write!(f, "\n  cluster {cluster:?}: {binding}")?;
        }
        Ok(())
    }
}

impl std::error::Error for SelfLockout {}

fn group_by_cluster<T: Ord>(items: impl Iterator<Item = (String, T)>) -> BTreeMap<String, Vec<T>> {
    let mut grouped: BTreeMap<String, Vec<T>> = BTreeMap::new();
    for (cluster, item) in items {
        grouped.entry(cluster).or_default().push(item);
    }
    for list in grouped.values_mut() {
        list.sort();
    }
    grouped
}

/// A principal in the form bindings are compared in (normalised); strings that are not
/// `Type:name` compare as written.
pub fn comparable_principal(principal: &str) -> String {
    with_comparable(principal, str::to_string)
}

/// Most principals a thread remembers the comparable form of before it starts over.
const COMPARABLE_MEMO_LIMIT: usize = 1024;

/// Calls `f` with the comparable form of `principal`. The form is remembered per thread (a
/// pure function's memo: an apply compares tens of thousands of bindings of a handful of
/// principals).
fn with_comparable<T>(principal: &str, f: impl FnOnce(&str) -> T) -> T {
    thread_local! {
        static MEMO: std::cell::RefCell<HashMap<String, String>> =
            std::cell::RefCell::new(HashMap::default());
    }
    MEMO.with(|memo| {
        let mut memo = memo.borrow_mut();
        if let Some(found) = memo.get(principal) {
            return f(found);
        }
        let comparable = normalize_principal(principal).unwrap_or_else(|_| principal.to_string());
        let result = f(&comparable);
        if memo.len() >= COMPARABLE_MEMO_LIMIT {
            memo.clear();
        }
        memo.insert(principal.to_string(), comparable);
        result
    })
}

/// The form bindings are compared in: the principal normalised, so `User:SA-ABC` read back
/// from a cluster matches a planned `User:sa-abc`.
pub fn comparable(cluster: &str, binding: &AclBinding) -> ClusterBinding {
    into_comparable((cluster.to_string(), binding.clone()))
}

/// [`comparable`] of a binding the caller no longer needs, without copying it.
pub fn into_comparable((cluster, binding): ClusterBinding) -> ClusterBinding {
    (cluster, comparable_binding(binding))
}

/// The binding in the form bindings are compared in (see [`comparable`]).
pub fn comparable_binding(mut binding: AclBinding) -> AclBinding {
    if let Some(comparable) = with_comparable(&binding.principal, |comparable| {
        (comparable != binding.principal).then(|| comparable.to_string())
    }) {
        binding.principal = comparable;
    }
    binding
}

/// The desired bindings with their comparable keys, made once and shared by every decision
/// of one plan or apply ([`comparable`] copies each binding, and a large flow has tens of
/// thousands).
pub struct DesiredKeys<'a> {
    acls: &'a [ClusterAcl],
    /// `keys[i]` is the comparable key of `acls[i]`.
    keys: Vec<ClusterBinding>,
    /// Positions in `keys`, one per distinct key, hashed by the key.
    index: hashbrown::HashTable<usize>,
    hasher: foldhash::fast::RandomState,
}

impl<'a> DesiredKeys<'a> {
    pub fn of(acls: &'a [ClusterAcl]) -> DesiredKeys<'a> {
        let keys: Vec<ClusterBinding> = acls
            .iter()
            .map(|acl| comparable(&acl.cluster, &acl.binding))
            .collect();
        let hasher = foldhash::fast::RandomState::default();
        let mut index = hashbrown::HashTable::with_capacity(keys.len());
        for (position, key) in keys.iter().enumerate() {
            let hash = hasher.hash_one(key);
            if let hashbrown::hash_table::Entry::Vacant(slot) = index.entry(
                hash,
                |&at| keys[at] == *key,
                |&at| hasher.hash_one(&keys[at]),
            ) {
                slot.insert(position);
            }
        }
        DesiredKeys {
            acls,
            keys,
            index,
            hasher,
        }
    }

    pub fn acls(&self) -> &'a [ClusterAcl] {
        self.acls
    }

    /// Each desired binding with its comparable key, in the desired order.
    pub fn pairs(&self) -> impl Iterator<Item = (&'a ClusterAcl, &ClusterBinding)> + '_ {
        self.acls.iter().zip(&self.keys)
    }

    /// The comparable keys (a key desired twice comes twice).
    pub fn keys(&self) -> impl Iterator<Item = &ClusterBinding> + '_ {
        self.keys.iter()
    }

    /// Whether `key` (comparable form) is desired.
    pub fn contains(&self, key: &ClusterBinding) -> bool {
        self.index
            .find(self.hasher.hash_one(key), |&at| self.keys[at] == *key)
            .is_some()
    }
}

/// Whether deleting `binding` could remove `provider_principal`'s ALTER or DESCRIBE on the
/// cluster (directly, through ALL, or through the `User:*` wildcard).
fn locks_out(binding: &AclBinding, provider_principal: &str) -> bool {
    let grants_admin = binding.resource_type == ResourceType::Cluster
        && binding.permission == Permission::Allow
        && matches!(
            binding.operation,
            Operation::Alter | Operation::Describe | Operation::All
        );
    grants_admin
        && (binding.principal.trim() == "User:*"
            || comparable_principal(&binding.principal) == comparable_principal(provider_principal))
}

/// Plans the ACL changes. `actual` holds what the clusters hold for the managed principals,
/// `owned_before` what the resource created or adopted earlier (from state), and
/// `provider_principals` the provider's own connecting principal per cluster key (clusters
/// missing from it are not guarded). Principals compare in normalised form; deletions name
/// the binding exactly as the cluster holds it, so a DeleteAcls filter matches it.
pub fn reconcile_acls(
    desired: &DesiredKeys<'_>,
    actual: &HashSet<ClusterBinding>,
    owned_before: &HashSet<ClusterBinding>,
    provider_principals: &HashMap<String, String>,
) -> Result<AclChanges, SelfLockout> {
    let actual_by_key: HashMap<ClusterBinding, &ClusterBinding> = actual
        .iter()
        .map(|held| (comparable(&held.0, &held.1), held))
        .collect();
    let owned_keys: HashSet<ClusterBinding> = owned_before
        .iter()
        .map(|(cluster, binding)| comparable(cluster, binding))
        .collect();

    let to_create = group_by_cluster(
        desired
            .pairs()
            .filter(|(_, key)| !actual_by_key.contains_key(*key))
            .map(|(acl, _)| (acl.cluster.clone(), acl.clone())),
    );
    let deletions: Vec<ClusterBinding> = owned_keys
        .iter()
        .filter(|key| !desired.contains(key))
        .filter_map(|key| actual_by_key.get(key).map(|held| (*held).clone()))
        .collect();
    let mut refused: Vec<ClusterBinding> = deletions
        .iter()
        .filter(|(cluster, binding)| {
            provider_principals
                .get(cluster)
                .is_some_and(|principal| locks_out(binding, principal))
        })
        .cloned()
        .collect();
    if !refused.is_empty() {
        refused.sort();
        return Err(SelfLockout { bindings: refused });
    }
    let to_delete = group_by_cluster(deletions.into_iter());
    let preexisting = group_by_cluster(
        desired
            .pairs()
            .filter(|(_, key)| actual_by_key.contains_key(*key) && !owned_keys.contains(*key))
            .map(|(acl, _)| (acl.cluster.clone(), acl.binding.clone())),
    );
    Ok(AclChanges {
        to_create,
        to_delete,
        preexisting,
    })
}

/// An internal topic as read from a cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExistingTopic {
    pub partitions: i32,
    pub replication_factor: i16,
    /// The topic's effective configs (at least the keys the provider manages).
    pub configs: BTreeMap<String, String>,
}

/// A config of an existing topic to set with IncrementalAlterConfigs.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct TopicConfigFix {
    pub name: String,
    pub key: String,
    pub expected: String,
    /// `None` when the topic does not report the key.
    pub actual: Option<String>,
}

/// What differs on an existing topic that the provider will not change (no data is deleted).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum TopicMismatch {
    Partitions,
    ReplicationFactor,
}

/// An existing topic whose size differs from the plan; reported, never recreated.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct TopicConflict {
    pub cluster: String,
    pub name: String,
    pub mismatch: TopicMismatch,
    pub expected: i32,
    pub actual: i32,
}

impl fmt::Display for TopicConflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.mismatch {
            TopicMismatch::Partitions => "partitions",
            TopicMismatch::ReplicationFactor => "replication factor",
        };
        write!(
            f,
            "topic {:?} on cluster {:?} exists with {what} {} but the plan needs {}; the provider \
             does not recreate topics (that would delete data): change it by hand or adjust the inputs",
            self.name, self.cluster, self.actual, self.expected
        )
    }
}

/// The topic changes of one apply, per cluster key, each list sorted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TopicChanges {
    /// Missing topics: one CreateTopics batch per cluster.
    pub to_create: BTreeMap<String, Vec<InternalTopic>>,
    /// Existing topics with a wrong managed config (e.g. `cleanup.policy`).
    pub config_fixes: BTreeMap<String, Vec<TopicConfigFix>>,
    /// Existing topics with other partitions or replication factor.
    pub conflicts: Vec<TopicConflict>,
}

/// Plans the topic changes; `actual` maps (cluster key, topic name) to what exists.
pub fn reconcile_topics(
    desired: &[InternalTopic],
    actual: &HashMap<(String, String), ExistingTopic>,
) -> TopicChanges {
    let mut to_create = Vec::new();
    let mut config_fixes = Vec::new();
    let mut conflicts = Vec::new();
    for topic in desired {
        let Some(existing) = actual.get(&(topic.cluster.clone(), topic.name.clone())) else {
            to_create.push((topic.cluster.clone(), topic.clone()));
            continue;
        };
        for (key, expected) in &topic.configs {
            let found = existing.configs.get(key);
            if found != Some(expected) {
                config_fixes.push((
                    topic.cluster.clone(),
                    TopicConfigFix {
                        name: topic.name.clone(),
                        key: key.clone(),
                        expected: expected.clone(),
                        actual: found.cloned(),
                    },
                ));
            }
        }
        let mut conflict = |mismatch, expected: i32, actual: i32| {
            if expected != actual {
                conflicts.push(TopicConflict {
                    cluster: topic.cluster.clone(),
                    name: topic.name.clone(),
                    mismatch,
                    expected,
                    actual,
                });
            }
        };
        conflict(
            TopicMismatch::Partitions,
            topic.partitions,
            existing.partitions,
        );
        conflict(
            TopicMismatch::ReplicationFactor,
            i32::from(topic.replication_factor),
            i32::from(existing.replication_factor),
        );
    }
    conflicts.sort();
    TopicChanges {
        to_create: group_by_cluster(to_create.into_iter()),
        config_fixes: group_by_cluster(config_fixes.into_iter()),
        conflicts,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::acl::{PatternType, CLUSTER_RESOURCE_NAME};
    use crate::model::plan::{CLEANUP_POLICY, COMPACT};
    use foldhash::HashMapExt;

    fn topic_read(principal: &str, topic: &str) -> AclBinding {
        AclBinding::allow(
            principal,
            ResourceType::Topic,
            topic,
            PatternType::Literal,
            Operation::Read,
        )
    }

    fn cluster_op(principal: &str, operation: Operation) -> AclBinding {
        AclBinding::allow(
            principal,
            ResourceType::Cluster,
            CLUSTER_RESOURCE_NAME,
            PatternType::Literal,
            operation,
        )
    }

    fn desired(cluster: &str, binding: &AclBinding) -> ClusterAcl {
        ClusterAcl {
            cluster: cluster.to_string(),
            binding: binding.clone(),
            reason: "test".into(),
        }
    }

    #[test]
    fn desired_keys_pair_each_binding_with_its_comparable_key() {
        // A principal compares normalised; the same binding desired twice is one key.
        let upper = topic_read("User:SA-ABC", "t");
        let plain = topic_read("User:mm2", "t");
        let acls = [
            desired("a", &upper),
            desired("b", &plain),
            desired("b", &plain),
        ];
        let keys = DesiredKeys::of(&acls);
        let pairs: Vec<(&ClusterAcl, &ClusterBinding)> = keys.pairs().collect();
        assert_eq!(pairs.len(), 3);
        for (acl, key) in pairs {
            assert_eq!(*key, comparable(&acl.cluster, &acl.binding));
        }
        assert_eq!(keys.keys().count(), 3);
        assert!(keys.contains(&comparable("a", &upper)));
        assert!(keys.contains(&comparable("a", &topic_read("User:sa-abc", "t"))));
        assert!(
            !keys.contains(&comparable("a", &plain)),
            "keyed by cluster too"
        );
        assert!(!DesiredKeys::of(&[]).contains(&comparable("b", &plain)));
    }

    fn key(cluster: &str, binding: &AclBinding) -> ClusterBinding {
        (cluster.to_string(), binding.clone())
    }

    #[test]
    fn creates_missing_deletes_owned_and_keeps_preexisting() {
        let wanted = topic_read("User:mm2", "wanted");
        let missing = topic_read("User:mm2", "missing");
        let by_hand = topic_read("User:mm2", "by-hand");
        let dropped_owned = topic_read("User:mm2", "dropped");
        let dropped_foreign = topic_read("User:mm2", "foreign");
        let owned_gone = topic_read("User:mm2", "gone");
        let plan = vec![
            desired("a", &wanted),
            desired("a", &missing),
            desired("b", &by_hand),
        ];
        let actual: HashSet<_> = HashSet::from_iter([
            key("a", &wanted),
            key("b", &by_hand),
            key("a", &dropped_owned),
            key("a", &dropped_foreign),
        ]);
        let owned: HashSet<_> = HashSet::from_iter([
            key("a", &wanted),
            key("a", &dropped_owned),
            key("a", &owned_gone),
        ]);
        let changes =
            reconcile_acls(&DesiredKeys::of(&plan), &actual, &owned, &HashMap::new()).unwrap();
        assert_eq!(
            changes.to_create,
            BTreeMap::from([("a".to_string(), vec![desired("a", &missing)])])
        );
        assert_eq!(
            changes.to_delete,
            BTreeMap::from([("a".to_string(), vec![dropped_owned.clone()])])
        );
        assert_eq!(
            changes.preexisting,
            BTreeMap::from([("b".to_string(), vec![by_hand.clone()])])
        );
    }

    #[test]
    fn refuses_to_delete_the_providers_cluster_rights() {
        let owned: HashSet<_> = HashSet::from_iter([
            key("a", &cluster_op("User:admin", Operation::Alter)),
            key("a", &topic_read("User:admin", "t")),
        ]);
        let providers = HashMap::from_iter([("a".to_string(), " user:admin".to_string())]);
        let err = reconcile_acls(&DesiredKeys::of(&[]), &owned, &owned, &providers).unwrap_err();
        assert_eq!(
            err.bindings,
            vec![key("a", &cluster_op("User:admin", Operation::Alter))]
        );
        assert!(err.to_string().contains("lock itself out"), "{err}");

        for operation in [Operation::Describe, Operation::All] {
            let owned: HashSet<_> =
                HashSet::from_iter([key("a", &cluster_op("User:*", operation))]);
            assert!(reconcile_acls(&DesiredKeys::of(&[]), &owned, &owned, &providers).is_err());
        }
    }

    #[test]
    fn other_principals_and_other_clusters_are_not_guarded() {
        let providers = HashMap::from_iter([("a".to_string(), "User:admin".to_string())]);
        let owned: HashSet<_> = HashSet::from_iter([
            key("a", &cluster_op("User:mm2", Operation::Alter)),
            key("b", &cluster_op("User:admin", Operation::Alter)),
            key("a", &cluster_op("User:admin", Operation::Create)),
        ]);
        let changes = reconcile_acls(&DesiredKeys::of(&[]), &owned, &owned, &providers).unwrap();
        assert_eq!(changes.to_delete.values().map(Vec::len).sum::<usize>(), 3);
    }

    #[test]
    fn principals_compare_normalised_and_deletes_name_the_held_binding() {
        let planned = topic_read("User:sa-abc", "orders");
        let held = topic_read("user:SA-ABC", "orders");
        let held_old = topic_read("USER:SA-ABC", "old");
        let owned: HashSet<_> = HashSet::from_iter([
            key("a", &planned),
            key("a", &topic_read("User:sa-abc", "old")),
        ]);
        let actual: HashSet<_> = HashSet::from_iter([key("a", &held), key("a", &held_old)]);
        let changes = reconcile_acls(
            &DesiredKeys::of(&[desired("a", &planned)]),
            &actual,
            &owned,
            &HashMap::new(),
        )
        .unwrap();
        assert!(changes.to_create.is_empty());
        assert!(changes.preexisting.is_empty());
        assert_eq!(
            changes.to_delete,
            BTreeMap::from([("a".to_string(), vec![held_old])])
        );
    }

    fn internal(cluster: &str, name: &str, partitions: i32, rf: i16) -> InternalTopic {
        InternalTopic {
            cluster: cluster.to_string(),
            name: name.to_string(),
            partitions,
            replication_factor: rf,
            configs: BTreeMap::from([(CLEANUP_POLICY.to_string(), COMPACT.to_string())]),
            reason: "test".into(),
        }
    }

    fn existing(partitions: i32, rf: i16, policy: Option<&str>) -> ExistingTopic {
        ExistingTopic {
            partitions,
            replication_factor: rf,
            configs: policy
                .map(|p| BTreeMap::from([(CLEANUP_POLICY.to_string(), p.to_string())]))
                .unwrap_or_default(),
        }
    }

    #[test]
    fn topics_are_created_fixed_or_reported() {
        let plan = vec![
            internal("a", "missing", 1, 3),
            internal("a", "fine", 1, 3),
            internal("a", "delete-policy", 1, 3),
            internal("b", "no-policy", 1, 3),
            internal("b", "too-small", 25, 3),
        ];
        let actual = HashMap::from_iter([
            (("a".into(), "fine".into()), existing(1, 3, Some(COMPACT))),
            (
                ("a".into(), "delete-policy".into()),
                existing(1, 3, Some("delete")),
            ),
            (("b".into(), "no-policy".into()), existing(1, 3, None)),
            (
                ("b".into(), "too-small".into()),
                existing(1, 2, Some(COMPACT)),
            ),
        ]);
        let changes = reconcile_topics(&plan, &actual);
        assert_eq!(
            changes.to_create,
            BTreeMap::from([("a".to_string(), vec![internal("a", "missing", 1, 3)])])
        );
        let fix = |name: &str, actual: Option<&str>| TopicConfigFix {
            name: name.to_string(),
            key: CLEANUP_POLICY.to_string(),
            expected: COMPACT.to_string(),
            actual: actual.map(str::to_string),
        };
        assert_eq!(
            changes.config_fixes,
            BTreeMap::from([
                ("a".to_string(), vec![fix("delete-policy", Some("delete"))]),
                ("b".to_string(), vec![fix("no-policy", None)]),
            ])
        );
        let kinds: Vec<_> = changes
            .conflicts
            .iter()
            .map(|c| (c.name.as_str(), c.mismatch, c.expected, c.actual))
            .collect();
        assert_eq!(
            kinds,
            vec![
                ("too-small", TopicMismatch::Partitions, 25, 1),
                ("too-small", TopicMismatch::ReplicationFactor, 3, 2),
            ]
        );
        assert!(changes.conflicts[0]
            .to_string()
            .contains("does not recreate"));
    }
}
