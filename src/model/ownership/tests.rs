//! The ownership decisions, table by table.

use super::*;
use crate::model::acl::{Operation, PatternType, ResourceType};
use crate::model::plan::{InternalTopic, CLEANUP_POLICY, COMPACT};
use crate::model::reconcile::ExistingTopic;
use foldhash::HashSetExt;
use std::collections::BTreeMap;

pub(super) fn binding(name: &str) -> AclBinding {
    AclBinding::allow(
        "User:mm2",
        ResourceType::Topic,
        name,
        PatternType::Literal,
        Operation::Write,
    )
}

pub(super) fn claimant(id: &str) -> Claimant {
    Claimant {
        id: id.to_string(),
        name: format!("flow {id}"),
    }
}

pub(super) fn claims_of(entries: &[(&Claimed, &str)]) -> Claims {
    let records: Vec<ClaimRecord> = entries
        .iter()
        .map(|(object, id)| match *id {
            PREEXISTING => preexisting_record(object),
            id => claim_record(object, &claimant(id)),
        })
        .collect();
    Claims::default().with(&records)
}

/// One binding `x` seen from claimant `m`; `o` is another claimant.
struct Case {
    name: &'static str,
    desired: bool,
    on_cluster: bool,
    state_owned: bool,
    claimed_by: &'static [&'static str],
    // Expected:
    writes: &'static [&'static str],
    create_also: bool,
    exclusive: bool,
    kept_for: &'static [&'static str],
    release: bool,
    preexisting: bool,
}

const CASES: &[Case] = &[
    Case {
        name: "new binding: claimed before it is created",
        desired: true,
        on_cluster: false,
        state_owned: false,
        claimed_by: &[],
        writes: &["m"],
        create_also: false,
        exclusive: false,
        kept_for: &[],
        release: false,
        preexisting: false,
    },
    Case {
        name: "made by hand: claimed and marked pre-existing",
        desired: true,
        on_cluster: true,
        state_owned: false,
        claimed_by: &[],
        writes: &["m", PREEXISTING],
        create_also: true,
        exclusive: false,
        kept_for: &[],
        release: false,
        preexisting: true,
    },
    Case {
        name: "a sibling's: claimed too, created again, not pre-existing",
        desired: true,
        on_cluster: true,
        state_owned: false,
        claimed_by: &["o"],
        writes: &["m"],
        create_also: true,
        exclusive: false,
        kept_for: &[],
        release: false,
        preexisting: false,
    },
    Case {
        name: "already ours: nothing to write",
        desired: true,
        on_cluster: true,
        state_owned: true,
        claimed_by: &["m"],
        writes: &[],
        create_also: false,
        exclusive: false,
        kept_for: &[],
        release: false,
        preexisting: false,
    },
    Case {
        name: "killed apply: our claim, no binding yet",
        desired: true,
        on_cluster: false,
        state_owned: false,
        claimed_by: &["m"],
        writes: &[],
        create_also: false,
        exclusive: false,
        kept_for: &[],
        release: false,
        preexisting: false,
    },
    Case {
        name: "upgraded state: owned in state, claimed now, no marker",
        desired: true,
        on_cluster: true,
        state_owned: true,
        claimed_by: &[],
        writes: &["m"],
        create_also: true,
        exclusive: false,
        kept_for: &[],
        release: false,
        preexisting: false,
    },
    Case {
        name: "marked binding stays pre-existing",
        desired: true,
        on_cluster: true,
        state_owned: false,
        claimed_by: &["m", PREEXISTING],
        writes: &[],
        create_also: false,
        exclusive: false,
        kept_for: &[],
        release: false,
        preexisting: true,
    },
    Case {
        name: "leaving, ours alone: deleted and released",
        desired: false,
        on_cluster: true,
        state_owned: true,
        claimed_by: &["m"],
        writes: &[],
        create_also: false,
        exclusive: true,
        kept_for: &[],
        release: true,
        preexisting: false,
    },
    Case {
        name: "leaving, a sibling needs it: kept and released",
        desired: false,
        on_cluster: true,
        state_owned: true,
        claimed_by: &["m", "o"],
        writes: &[],
        create_also: false,
        exclusive: false,
        kept_for: &["o"],
        release: true,
        preexisting: false,
    },
    Case {
        name: "leaving, pre-existing: kept",
        desired: false,
        on_cluster: true,
        state_owned: false,
        claimed_by: &["m", PREEXISTING],
        writes: &[],
        create_also: false,
        exclusive: false,
        kept_for: &[PREEXISTING],
        release: true,
        preexisting: false,
    },
    Case {
        name: "leaving, upgraded state: deleted, no claim to release",
        desired: false,
        on_cluster: true,
        state_owned: true,
        claimed_by: &[],
        writes: &[],
        create_also: false,
        exclusive: true,
        kept_for: &[],
        release: false,
        preexisting: false,
    },
    Case {
        name: "leaving, already gone, shared: released, nothing kept",
        desired: false,
        on_cluster: false,
        state_owned: true,
        claimed_by: &["m", "o"],
        writes: &[],
        create_also: false,
        exclusive: false,
        kept_for: &[],
        release: true,
        preexisting: false,
    },
    Case {
        name: "not ours, not needed: untouched",
        desired: false,
        on_cluster: true,
        state_owned: false,
        claimed_by: &["o"],
        writes: &[],
        create_also: false,
        exclusive: false,
        kept_for: &[],
        release: false,
        preexisting: false,
    },
];

#[test]
fn binding_ownership_decisions() {
    let me = claimant("m");
    let x = binding("x");
    let object = Claimed::Binding(x.clone());
    for case in CASES {
        let desired = if case.desired {
            vec![x.clone()]
        } else {
            vec![]
        };
        let actual: HashSet<_> = case.on_cluster.then(|| x.clone()).into_iter().collect();
        let owned: HashSet<_> = case.state_owned.then(|| x.clone()).into_iter().collect();
        let entries: Vec<(&Claimed, &str)> =
            case.claimed_by.iter().map(|id| (&object, *id)).collect();
        let claims = claims_of(&entries);
        let input = OwnershipInput {
            me: &me,
            desired: &desired,
            actual: &actual,
            state_owned: &owned,
            desired_topics: &BTreeSet::new(),
            state_topics: &BTreeSet::new(),
            delete_topics: false,
            claims: &claims,
        };
        let mut plan = plan_ownership(input);
        let claimed = claims_to_write(input);
        let markers = confirm_markers(&mut plan, &actual);
        let writes: Vec<String> = claimed
            .iter()
            .chain(&markers)
            .map(|record| {
                let (claimed, id) = parse_key(&record.key).unwrap();
                assert_eq!(claimed, object, "{}", case.name);
                assert!(
                    record.value.is_some(),
                    "{}: claims before creating are never tombstones",
                    case.name
                );
                id
            })
            .collect();
        assert_eq!(writes, case.writes, "{}", case.name);
        assert_eq!(
            plan.create_also == [x.clone()],
            case.create_also,
            "{}",
            case.name
        );
        assert_eq!(plan.exclusive.contains(&x), case.exclusive, "{}", case.name);
        let kept: Vec<String> = plan
            .kept_for_others
            .iter()
            .flat_map(|k| k.claimants.clone())
            .collect();
        let expected_kept: Vec<String> = case
            .kept_for
            .iter()
            .map(|id| match *id {
                PREEXISTING => PREEXISTING_NAME.to_string(),
                id => format!("flow {id} (claimant {id})"),
            })
            .collect();
        assert_eq!(kept, expected_kept, "{}", case.name);
        assert_eq!(
            plan.release == [object.clone()],
            case.release,
            "{}",
            case.name
        );
        assert_eq!(
            plan.preexisting.contains(&x),
            case.preexisting,
            "{}",
            case.name
        );
    }
}

#[test]
fn topic_ownership_decisions() {
    let me = claimant("m");
    let topic = |name: &str| Claimed::Topic(name.to_string());
    let claims = claims_of(&[
        (&topic("mine"), "m"),
        (&topic("shared"), "m"),
        (&topic("shared"), "o"),
        (&topic("wanted"), "m"),
    ]);
    let desired: BTreeSet<String> = ["wanted".to_string(), "new".to_string()].into();
    let recorded: BTreeSet<String> = ["mine", "shared", "recorded-only", "wanted"]
        .map(String::from)
        .into();
    for delete_topics in [false, true] {
        let input = OwnershipInput {
            me: &me,
            desired: &[],
            actual: &HashSet::new(),
            state_owned: &HashSet::new(),
            desired_topics: &desired,
            state_topics: &recorded,
            delete_topics,
            claims: &claims,
        };
        let plan = plan_ownership(input);
        assert_eq!(
            claims_to_write(input),
            vec![claim_record(&topic("new"), &me)]
        );
        assert_eq!(
            plan.create_also_topics,
            ["new"],
            "newly claimed: created even if listed"
        );
        assert_eq!(plan.release, vec![topic("mine"), topic("shared")]);
        if delete_topics {
            assert_eq!(plan.topics_to_delete, ["mine", "recorded-only"]);
            assert_eq!(
                plan.kept_for_others,
                vec![KeptForOthers {
                    object: topic("shared"),
                    claimants: vec!["flow o (claimant o)".into()]
                }]
            );
        } else {
            assert!(plan.topics_to_delete.is_empty());
            assert!(plan.kept_for_others.is_empty());
        }
    }
}

#[test]
fn deleted_objects_that_gained_a_claim_are_created_again() {
    let x = Claimed::Binding(binding("x"));
    let y = Claimed::Binding(binding("y"));
    let t = Claimed::Topic("heartbeats".into());
    let reread = claims_of(&[(&x, "m"), (&y, "o"), (&t, PREEXISTING)]);
    assert_eq!(
        recreate_after_reverify(
            &OwnershipPlan::default(),
            &[x.clone(), y.clone(), t.clone()],
            &reread,
            "m"
        ),
        vec![y.clone(), t.clone()]
    );
    assert!(recreate_after_reverify(
        &OwnershipPlan::default(),
        std::slice::from_ref(&x),
        &Claims::default(),
        "m"
    )
    .is_empty());
    // A marker this apply releases itself (an imported binding) does not bring it back.
    let releasing = OwnershipPlan {
        marker_releases: vec![t.clone()],
        ..OwnershipPlan::default()
    };
    assert_eq!(
        recreate_after_reverify(&releasing, &[x, y.clone(), t], &reread, "m"),
        vec![y]
    );
}

#[test]
fn a_failed_delete_keeps_its_claim() {
    let x = Claimed::Binding(binding("x"));
    let y = Claimed::Binding(binding("y"));
    let plan = OwnershipPlan {
        release: vec![x.clone(), y.clone()],
        ..OwnershipPlan::default()
    };
    let failed: HashSet<Claimed> = HashSet::from_iter([y]);
    assert_eq!(
        releases_after(&plan, &failed, "m"),
        vec![release_record(&x, "m")]
    );
}

#[test]
fn topics_created_meanwhile_are_adopted_only_as_planned() {
    let planned = InternalTopic {
        cluster: "b".into(),
        name: "mm2-configs.a.internal".into(),
        partitions: 1,
        replication_factor: 3,
        configs: BTreeMap::from([(CLEANUP_POLICY.to_string(), COMPACT.to_string())]),
        reason: "test".into(),
    };
    let found = |partitions, rf, policy: Option<&str>| ExistingTopic {
        partitions,
        replication_factor: rf,
        configs: policy
            .map(|p| BTreeMap::from([(CLEANUP_POLICY.to_string(), p.to_string())]))
            .unwrap_or_default(),
    };
    assert_eq!(adoptable(&planned, &found(1, 3, Some(COMPACT))), Ok(()));
    assert_eq!(
        adoptable(&planned, &found(25, 3, Some("delete"))),
        Err(vec![
            "partitions: found 25, planned 1".to_string(),
            "cleanup.policy: found \"delete\", planned \"compact\"".to_string(),
        ])
    );
    assert_eq!(
        adoptable(&planned, &found(1, 1, None)),
        Err(vec![
            "replication factor: found 1, planned 3".to_string(),
            "cleanup.policy: found (unset), planned \"compact\"".to_string(),
        ])
    );
}

/// One object `x` that claimant `m` releases (recorded in its state) while `before` claim
/// it too; `after` claim it once every release is written.
struct OrphanCase {
    name: &'static str,
    topic: bool,
    delete_topics: bool,
    recorded: bool,
    before: &'static [&'static str],
    after: &'static [&'static str],
    orphan: bool,
}

const ORPHAN_CASES: &[OrphanCase] = &[
    OrphanCase {
        name: "binding: the other last claimant released it at the same moment",
        topic: false,
        delete_topics: false,
        recorded: true,
        before: &["o"],
        after: &[],
        orphan: true,
    },
    OrphanCase {
        name: "binding: the other claimant still needs it",
        topic: false,
        delete_topics: false,
        recorded: true,
        before: &["o"],
        after: &["o"],
        orphan: false,
    },
    OrphanCase {
        name: "binding: a new claimant claimed it meanwhile",
        topic: false,
        delete_topics: false,
        recorded: true,
        before: &["o"],
        after: &["q"],
        orphan: false,
    },
    OrphanCase {
        name: "binding: pre-existing, its marker stays",
        topic: false,
        delete_topics: false,
        recorded: false,
        before: &[PREEXISTING],
        after: &[PREEXISTING],
        orphan: false,
    },
    OrphanCase {
        name: "binding: held alone, deleted in step 4 (not kept, so no orphan)",
        topic: false,
        delete_topics: false,
        recorded: true,
        before: &[],
        after: &[],
        orphan: false,
    },
    OrphanCase {
        name: "topic deleted on destroy: the other last claimant released it too",
        topic: true,
        delete_topics: true,
        recorded: true,
        before: &["o"],
        after: &[],
        orphan: true,
    },
    OrphanCase {
        name: "topic deleted on destroy: the other claimant still needs it",
        topic: true,
        delete_topics: true,
        recorded: true,
        before: &["o"],
        after: &["o"],
        orphan: false,
    },
    OrphanCase {
        name: "topic kept on destroy: never deleted by this resource",
        topic: true,
        delete_topics: false,
        recorded: true,
        before: &["o"],
        after: &[],
        orphan: false,
    },
    OrphanCase {
        name: "topic claimed but not recorded: nothing to re-create it from",
        topic: true,
        delete_topics: true,
        recorded: false,
        before: &["m", "o"],
        after: &[],
        orphan: false,
    },
];

#[test]
fn orphans_after_release_are_what_this_resource_would_have_deleted() {
    let me = claimant("m");
    for case in ORPHAN_CASES {
        let (object, recorded_topics, state_owned) = if case.topic {
            let recorded: BTreeSet<String> =
                case.recorded.then(|| "x".to_string()).into_iter().collect();
            (Claimed::Topic("x".into()), recorded, HashSet::new())
        } else {
            let owned: HashSet<AclBinding> =
                case.recorded.then(|| binding("x")).into_iter().collect();
            (Claimed::Binding(binding("x")), BTreeSet::new(), owned)
        };
        let mut before: Vec<(&Claimed, &str)> = vec![(&object, "m")];
        before.extend(case.before.iter().map(|id| (&object, *id)));
        let actual: HashSet<AclBinding> = HashSet::from_iter([binding("x")]);
        let plan = plan_ownership(OwnershipInput {
            me: &me,
            desired: &[],
            actual: &actual,
            state_owned: &state_owned,
            desired_topics: &BTreeSet::new(),
            state_topics: &recorded_topics,
            delete_topics: case.delete_topics,
            claims: &claims_of(&before),
        });
        let after: Vec<(&Claimed, &str)> = case.after.iter().map(|id| (&object, *id)).collect();
        let orphans = orphans_after_release(&plan, &claims_of(&after), &recorded_topics);
        let expected = if case.orphan {
            vec![object.clone()]
        } else {
            vec![]
        };
        assert_eq!(orphans, expected, "{}", case.name);
    }
}
