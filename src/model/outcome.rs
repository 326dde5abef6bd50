//! What an apply leaves: from the plan, what the clusters held, what the resource owned and
//! which Kafka calls succeeded, the bindings and topics that exist afterwards and which of
//! them the resource owns. A failure halfway loses nothing: whatever exists is recorded, so
//! the next apply converges.
//!
//! Every binding set here is in comparable form ([`comparable`]); ownership before the apply
//! is an input, so it can come from state or from elsewhere.

use foldhash::{HashMap, HashSet};
use std::collections::BTreeMap;

use super::plan::{ClusterAcl, InternalTopic};
use super::reconcile::{
    comparable, AclChanges, ClusterBinding, DesiredKeys, ExistingTopic, TopicChanges,
};

/// Which of an apply's ACL writes Kafka accepted (comparable keys).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AclProgress {
    pub created: HashSet<ClusterBinding>,
    pub deleted: HashSet<ClusterBinding>,
}

impl AclProgress {
    /// Every planned create and delete succeeded.
    pub fn complete(changes: &AclChanges) -> Self {
        AclProgress {
            created: changes
                .to_create
                .values()
                .flatten()
                .map(|acl| comparable(&acl.cluster, &acl.binding))
                .collect(),
            deleted: changes
                .to_delete
                .iter()
                .flat_map(|(cluster, bindings)| bindings.iter().map(|b| comparable(cluster, b)))
                .collect(),
        }
    }
}

/// The bindings a resource records after an apply (or a refresh).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AclsLeft {
    /// Every recorded binding that exists.
    pub recorded: HashSet<ClusterBinding>,
    /// The part of `recorded` that existed before the resource and that it does not own.
    pub preexisting: HashSet<ClusterBinding>,
}

impl AclsLeft {
    /// What the resource owns: `recorded - preexisting`.
    pub fn owned(&self) -> HashSet<ClusterBinding> {
        self.recorded
            .difference(&self.preexisting)
            .cloned()
            .collect()
    }

    /// Nothing was written (a refused apply, a refresh): the recorded bindings that are still
    /// held, pre-existing ones among them.
    pub fn still_held(
        recorded: &HashSet<ClusterBinding>,
        preexisting: &HashSet<ClusterBinding>,
        held: &HashSet<ClusterBinding>,
    ) -> Self {
        AclsLeft {
            recorded: recorded.intersection(held).cloned().collect(),
            preexisting: preexisting.intersection(held).cloned().collect(),
        }
    }
}

/// What an ACL apply leaves, given what was held before (`actual`), what the resource owned
/// (`owned_before`), the changes [`reconcile_acls`](super::reconcile::reconcile_acls) planned
/// and which of them succeeded:
/// - desired bindings that were held or were created;
/// - owned bindings no longer desired that are still held because their delete failed or
///   was not attempted (still owned: the next plan shows their removal again);
/// - pre-existing: desired bindings held before that the resource did not own.
pub fn acls_after_apply(
    desired: &DesiredKeys<'_>,
    actual: &HashSet<ClusterBinding>,
    owned_before: &HashSet<ClusterBinding>,
    changes: &AclChanges,
    progress: &AclProgress,
) -> AclsLeft {
    let mut recorded: HashSet<ClusterBinding> = desired
        .keys()
        .filter(|key| actual.contains(*key) || progress.created.contains(*key))
        .cloned()
        .collect();
    recorded.extend(
        owned_before
            .iter()
            .filter(|key| {
                !desired.contains(key) && actual.contains(*key) && !progress.deleted.contains(*key)
            })
            .cloned(),
    );
    let preexisting = changes
        .preexisting
        .iter()
        .flat_map(|(cluster, bindings)| bindings.iter().map(|b| comparable(cluster, b)))
        .filter(|key| recorded.contains(key))
        .collect();
    AclsLeft {
        recorded,
        preexisting,
    }
}

/// What `terraform import` adopts: every binding held (owned from then on), each with the
/// reason the plan of the inputs the import implies gives it, `None` when that plan does
/// not need it. `held` as the cluster holds it; compared in comparable form.
pub fn adopt<'a>(
    held: &'a HashSet<ClusterBinding>,
    implied: &'a [ClusterAcl],
) -> Vec<(&'a ClusterBinding, Option<&'a str>)> {
    let reasons: HashMap<ClusterBinding, &str> = implied
        .iter()
        .map(|acl| (comparable(&acl.cluster, &acl.binding), acl.reason.as_ref()))
        .collect();
    held.iter()
        .map(|key| (key, reasons.get(&comparable(&key.0, &key.1)).copied()))
        .collect()
}

/// How an internal topic is recorded after an apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TopicLeft<'a> {
    /// It exists as planned (created, or found matching, or its config fixed).
    AsPlanned,
    /// It exists but differs from the plan (a size conflict, or a config fix that failed):
    /// recorded as found, so the next plan shows the difference.
    AsFound(&'a ExistingTopic),
    /// It does not exist (its create failed or was not attempted).
    Absent,
}

/// Which of an apply's topic writes Kafka accepted (topic names).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TopicProgress {
    pub created: HashSet<String>,
    pub fixed: HashSet<String>,
    /// Topics whose create Kafka refused as TOPIC_ALREADY_EXISTS (created since they were
    /// read, e.g. by another resource of the same apply sharing MM2's herder topics), as
    /// read after that answer.
    pub raced: HashMap<String, ExistingTopic>,
}

/// What a topic apply leaves, per desired topic, from what existed, the planned changes
/// ([`reconcile_topics`](super::reconcile::reconcile_topics)) and which of them succeeded.
pub fn topics_after_apply<'a>(
    desired: &'a [InternalTopic],
    existing: &'a HashMap<(String, String), ExistingTopic>,
    changes: &TopicChanges,
    progress: &'a TopicProgress,
) -> Vec<(&'a InternalTopic, TopicLeft<'a>)> {
    let conflicting: HashSet<(&str, &str)> = changes
        .conflicts
        .iter()
        .map(|conflict| (conflict.cluster.as_str(), conflict.name.as_str()))
        .collect();
    let needs_fix: HashSet<(&str, &str)> = changes
        .config_fixes
        .iter()
        .flat_map(|(cluster, fixes)| {
            fixes
                .iter()
                .map(|fix| (cluster.as_str(), fix.name.as_str()))
        })
        .collect();
    desired
        .iter()
        .map(|topic| {
            let id = (topic.cluster.as_str(), topic.name.as_str());
            let left = match existing.get(&(topic.cluster.clone(), topic.name.clone())) {
                // Created by this apply: as planned, whatever a (lagging) read listed before.
                _ if progress.created.contains(&topic.name) => TopicLeft::AsPlanned,
                None => progress
                    .raced
                    .get(&topic.name)
                    .map_or(TopicLeft::Absent, TopicLeft::AsFound),
                Some(found)
                    if conflicting.contains(&id)
                        || (needs_fix.contains(&id) && !progress.fixed.contains(&topic.name)) =>
                {
                    TopicLeft::AsFound(found)
                }
                Some(_) => TopicLeft::AsPlanned,
            };
            (topic, left)
        })
        .collect()
}

/// Why a topic delete did not happen, as Kafka answered for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeleteFailure {
    /// The topic does not exist (Kafka's `UNKNOWN_TOPIC_OR_PARTITION`): it is gone.
    AlreadyGone,
    /// Any other error: the topic is still there.
    Other,
}

/// The recorded topics a destroy leaves: those whose delete failed for a reason other than
/// the topic being gone already. `failures` is keyed by topic name.
pub fn topics_left_after_delete<'a>(
    recorded: impl IntoIterator<Item = &'a str>,
    failures: &BTreeMap<String, DeleteFailure>,
) -> HashSet<&'a str> {
    recorded
        .into_iter()
        .filter(|name| matches!(failures.get(*name), Some(DeleteFailure::Other)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::acl::{AclBinding, Operation, PatternType, ResourceType};
    use crate::model::plan::{CLEANUP_POLICY, COMPACT};
    use crate::model::reconcile::reconcile_acls;
    use foldhash::{HashMapExt, HashSetExt};

    fn read(principal: &str, topic: &str) -> ClusterBinding {
        (
            "a".to_string(),
            AclBinding::allow(
                principal,
                ResourceType::Topic,
                topic,
                PatternType::Literal,
                Operation::Read,
            ),
        )
    }

    fn desired(key: &ClusterBinding) -> ClusterAcl {
        ClusterAcl {
            cluster: key.0.clone(),
            binding: key.1.clone(),
            reason: "test".into(),
        }
    }

    fn set(keys: &[&ClusterBinding]) -> HashSet<ClusterBinding> {
        keys.iter().map(|key| (*key).clone()).collect()
    }

    /// One ACL apply case: which bindings are desired, held, owned, and which writes fail.
    struct AclCase {
        name: &'static str,
        desired: Vec<ClusterBinding>,
        held: Vec<ClusterBinding>,
        owned: Vec<ClusterBinding>,
        create_fails: Vec<ClusterBinding>,
        delete_fails: Vec<ClusterBinding>,
        recorded: Vec<ClusterBinding>,
        preexisting: Vec<ClusterBinding>,
    }

    #[test]
    fn acl_apply_records_exactly_what_exists_after_every_kind_of_partial_failure() {
        let (keep, new, gone, by_hand, dropped) = (
            read("User:mm2", "keep"),
            read("User:mm2", "new"),
            read("User:mm2", "gone"),
            read("User:mm2", "by-hand"),
            read("User:mm2", "dropped"),
        );
        let cases = [
            AclCase {
                name: "all writes succeed",
                desired: vec![keep.clone(), new.clone(), by_hand.clone()],
                held: vec![keep.clone(), by_hand.clone(), dropped.clone()],
                owned: vec![keep.clone(), dropped.clone()],
                create_fails: vec![],
                delete_fails: vec![],
                recorded: vec![keep.clone(), new.clone(), by_hand.clone()],
                preexisting: vec![by_hand.clone()],
            },
            AclCase {
                name: "a create fails: the binding is not recorded",
                desired: vec![keep.clone(), new.clone()],
                held: vec![keep.clone()],
                owned: vec![keep.clone()],
                create_fails: vec![new.clone()],
                delete_fails: vec![],
                recorded: vec![keep.clone()],
                preexisting: vec![],
            },
            AclCase {
                name: "a delete fails: the binding stays recorded and owned",
                desired: vec![keep.clone()],
                held: vec![keep.clone(), dropped.clone()],
                owned: vec![keep.clone(), dropped.clone()],
                create_fails: vec![],
                delete_fails: vec![dropped.clone()],
                recorded: vec![keep.clone(), dropped.clone()],
                preexisting: vec![],
            },
            AclCase {
                name: "an owned binding deleted by hand is created again",
                desired: vec![gone.clone()],
                held: vec![],
                owned: vec![gone.clone()],
                create_fails: vec![],
                delete_fails: vec![],
                recorded: vec![gone.clone()],
                preexisting: vec![],
            },
            AclCase {
                name: "an owned binding gone by hand and no longer desired is forgotten",
                desired: vec![],
                held: vec![],
                owned: vec![gone.clone()],
                create_fails: vec![],
                delete_fails: vec![],
                recorded: vec![],
                preexisting: vec![],
            },
            AclCase {
                name: "destroy with every delete failing keeps everything owned",
                desired: vec![],
                held: vec![keep.clone(), dropped.clone()],
                owned: vec![keep.clone(), dropped.clone()],
                create_fails: vec![],
                delete_fails: vec![keep.clone(), dropped.clone()],
                recorded: vec![keep.clone(), dropped.clone()],
                preexisting: vec![],
            },
        ];
        for case in cases {
            let plan: Vec<ClusterAcl> = case.desired.iter().map(desired).collect();
            let held = set(&case.held.iter().collect::<Vec<_>>());
            let owned = set(&case.owned.iter().collect::<Vec<_>>());
            let changes =
                reconcile_acls(&DesiredKeys::of(&plan), &held, &owned, &HashMap::new()).unwrap();
            let mut progress = AclProgress::complete(&changes);
            for key in &case.create_fails {
                progress.created.remove(key);
            }
            for key in &case.delete_fails {
                progress.deleted.remove(key);
            }
            let left =
                acls_after_apply(&DesiredKeys::of(&plan), &held, &owned, &changes, &progress);
            assert_eq!(
                left.recorded,
                set(&case.recorded.iter().collect::<Vec<_>>()),
                "{}",
                case.name
            );
            assert_eq!(
                left.preexisting,
                set(&case.preexisting.iter().collect::<Vec<_>>()),
                "{}",
                case.name
            );
        }
    }

    #[test]
    fn a_complete_apply_owns_what_was_owned_and_desired_plus_what_it_created() {
        let (keep, new, by_hand, dropped) = (
            read("User:mm2", "keep"),
            read("User:mm2", "new"),
            read("User:mm2", "by-hand"),
            read("User:mm2", "dropped"),
        );
        let plan: Vec<ClusterAcl> = [&keep, &new, &by_hand].into_iter().map(desired).collect();
        let held = set(&[&keep, &by_hand, &dropped]);
        let owned = set(&[&keep, &dropped]);
        let changes =
            reconcile_acls(&DesiredKeys::of(&plan), &held, &owned, &HashMap::new()).unwrap();
        let left = acls_after_apply(
            &DesiredKeys::of(&plan),
            &held,
            &owned,
            &changes,
            &AclProgress::complete(&changes),
        );
        assert_eq!(left.owned(), set(&[&keep, &new]));
    }

    #[test]
    fn a_preexisting_binding_stays_unowned_and_survives_shrinking() {
        let by_hand = read("User:mm2", "orders");
        let plan = vec![desired(&by_hand)];
        let held = set(&[&by_hand]);
        let first = reconcile_acls(
            &DesiredKeys::of(&plan),
            &held,
            &HashSet::new(),
            &HashMap::new(),
        )
        .unwrap();
        let left = acls_after_apply(
            &DesiredKeys::of(&plan),
            &held,
            &HashSet::new(),
            &first,
            &AclProgress::complete(&first),
        );
        assert_eq!(left.recorded, held);
        assert!(left.owned().is_empty());
        let shrunk =
            reconcile_acls(&DesiredKeys::of(&[]), &held, &left.owned(), &HashMap::new()).unwrap();
        assert!(shrunk.to_delete.is_empty());
    }

    #[test]
    fn principals_compare_normalised_when_ownership_is_carried_over() {
        let planned = read("User:SA-abc", "orders");
        let held = read("User:sa-abc", "orders");
        let plan = vec![desired(&planned)];
        let comparable_held: HashSet<ClusterBinding> =
            [comparable(&held.0, &held.1)].into_iter().collect();
        let owned: HashSet<ClusterBinding> =
            [comparable(&planned.0, &planned.1)].into_iter().collect();
        let changes = reconcile_acls(
            &DesiredKeys::of(&plan),
            &comparable_held,
            &owned,
            &HashMap::new(),
        )
        .unwrap();
        assert!(changes.to_create.is_empty() && changes.preexisting.is_empty());
        let left = acls_after_apply(
            &DesiredKeys::of(&plan),
            &comparable_held,
            &owned,
            &changes,
            &AclProgress::default(),
        );
        assert_eq!(left.owned(), comparable_held);
    }

    #[test]
    fn nothing_written_keeps_the_recorded_bindings_still_held() {
        let (kept, gone, by_hand) = (
            read("User:mm2", "kept"),
            read("User:mm2", "gone"),
            read("User:mm2", "by-hand"),
        );
        let left = AclsLeft::still_held(
            &set(&[&kept, &gone, &by_hand]),
            &set(&[&by_hand]),
            &set(&[&kept, &by_hand, &read("User:other", "x")]),
        );
        assert_eq!(left.recorded, set(&[&kept, &by_hand]));
        assert_eq!(left.preexisting, set(&[&by_hand]));
        assert_eq!(left.owned(), set(&[&kept]));
    }

    #[test]
    fn import_adopts_every_held_binding_with_the_reason_the_implied_plan_gives() {
        let (needed, spelled, extra) = (
            read("User:mm2", "needed"),
            read("User:SA-1", "spelled"),
            read("User:mm2", "legacy"),
        );
        let implied = vec![
            ClusterAcl {
                reason: "rule A".into(),
                ..desired(&needed)
            },
            ClusterAcl {
                reason: "rule B".into(),
                ..desired(&read("User:sa-1", "spelled"))
            },
            ClusterAcl {
                reason: "rule C".into(),
                ..desired(&read("User:mm2", "not-held"))
            },
        ];
        let held = set(&[&needed, &spelled, &extra]);
        let mut adopted: Vec<(&str, Option<&str>)> = adopt(&held, &implied)
            .into_iter()
            .map(|((_, binding), reason)| (binding.resource_name.as_str(), reason))
            .collect();
        adopted.sort();
        assert_eq!(
            adopted,
            vec![
                ("legacy", None),
                ("needed", Some("rule A")),
                ("spelled", Some("rule B")),
            ]
        );
    }

    fn topic(name: &str) -> InternalTopic {
        InternalTopic {
            cluster: "a".into(),
            name: name.into(),
            partitions: 1,
            replication_factor: 3,
            configs: BTreeMap::from([(CLEANUP_POLICY.to_string(), COMPACT.to_string())]),
            reason: "test".into(),
        }
    }

    fn found(partitions: i32, policy: &str) -> ExistingTopic {
        ExistingTopic {
            partitions,
            replication_factor: 3,
            configs: BTreeMap::from([(CLEANUP_POLICY.to_string(), policy.to_string())]),
        }
    }

    #[test]
    fn topic_apply_records_each_topic_as_it_exists() {
        let plan = vec![
            topic("created"),
            topic("create-failed"),
            topic("matching"),
            topic("fixed"),
            topic("fix-failed"),
            topic("conflicting"),
            topic("raced"),
            topic("listed-created"),
        ];
        let existing = HashMap::from_iter([
            // Listed with an old value by a lagging node, deleted meanwhile, created again.
            (("a".into(), "listed-created".into()), found(1, "delete")),
            (("a".into(), "matching".into()), found(1, COMPACT)),
            (("a".into(), "fixed".into()), found(1, "delete")),
            (("a".into(), "fix-failed".into()), found(1, "delete")),
            (("a".into(), "conflicting".into()), found(7, COMPACT)),
        ]);
        let changes = crate::model::reconcile::reconcile_topics(&plan, &existing);
        let progress = TopicProgress {
            created: HashSet::from_iter(["created".to_string(), "listed-created".to_string()]),
            fixed: HashSet::from_iter(["fixed".to_string()]),
            raced: HashMap::from_iter([("raced".to_string(), found(3, COMPACT))]),
        };
        let left: Vec<(&str, TopicLeft<'_>)> =
            topics_after_apply(&plan, &existing, &changes, &progress)
                .into_iter()
                .map(|(topic, left)| (topic.name.as_str(), left))
                .collect();
        let fix_failed = &existing[&("a".to_string(), "fix-failed".to_string())];
        let conflicting = &existing[&("a".to_string(), "conflicting".to_string())];
        assert_eq!(
            left,
            vec![
                ("created", TopicLeft::AsPlanned),
                ("create-failed", TopicLeft::Absent),
                ("matching", TopicLeft::AsPlanned),
                ("fixed", TopicLeft::AsPlanned),
                ("fix-failed", TopicLeft::AsFound(fix_failed)),
                ("conflicting", TopicLeft::AsFound(conflicting)),
                ("raced", TopicLeft::AsFound(&progress.raced["raced"])),
                ("listed-created", TopicLeft::AsPlanned),
            ]
        );
    }

    #[test]
    fn a_destroy_leaves_the_topics_whose_delete_failed_while_they_exist() {
        let failures = BTreeMap::from([
            ("gone".to_string(), DeleteFailure::AlreadyGone),
            ("refused".to_string(), DeleteFailure::Other),
        ]);
        let left = topics_left_after_delete(["deleted", "gone", "refused"], &failures);
        assert_eq!(left, HashSet::from_iter(["refused"]));
    }
}
