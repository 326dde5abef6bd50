//! The MM2 table against spec sections 1 and 2: the full expected set for MM2's defaults,
//! then each input that changes the result as a precise delta, then a sweep over every
//! combination of the boolean flags checking invariants, determinism and scale.

use std::collections::BTreeSet;

use super::*;
use crate::model::acl::{Operation, PatternType, Permission, ResourceType};
use crate::model::plan::{InternalTopic, REASON_SEPARATOR};
use crate::model::test_support::{assert_same_grants, grant, grants, shuffled, strings, Grant};
use Operation::{
    Alter, AlterConfigs, Create, Describe, DescribeConfigs, IdempotentWrite, Read, Write,
};
use PatternType::{Literal, Prefixed};
use ResourceType::{Cluster, Group, Topic, TransactionalId};

const SOURCE: &str = "primary";
const TARGET: &str = "dr";
const MM2: &str = "User:mm2";

/// The example flow with MM2's defaults: topics `orders`, prefix `billing.`,
/// group `orders-app`.
fn example() -> Mm2Inputs {
    let mut inputs = Mm2Inputs::with_defaults(SOURCE, TARGET, MM2);
    inputs.topics = strings(&["orders"]);
    inputs.topic_prefixes = strings(&["billing."]);
    inputs.groups = strings(&["orders-app"]);
    inputs
}

fn on(
    cluster: &str,
    resource_type: ResourceType,
    name: &str,
    pattern: PatternType,
    ops: &[Operation],
) -> Vec<Grant> {
    ops.iter()
        .map(|&op| grant(cluster, MM2, resource_type, name, pattern, op))
        .collect()
}

/// Spec section 1 written out for `example()`, row by row.
fn expected_example() -> BTreeSet<Grant> {
    let (s, t) = (SOURCE, TARGET);
    [
        // 1.1 read replicated topics; 1.2 / 1.7 describe their configs
        on(s, Topic, "orders", Literal, &[Read, DescribeConfigs]),
        on(s, Topic, "billing.", Prefixed, &[Read, DescribeConfigs]),
        // 1.3 replicate heartbeats (and 1.2 for its remote copy)
        on(s, Topic, "heartbeats", Literal, &[Read, DescribeConfigs]),
        // 1.4 write, 1.5 create, 1.6 alter, 1.7 alter configs of remote topics
        on(
            t,
            Topic,
            "primary.orders",
            Literal,
            &[Write, Create, Alter, AlterConfigs],
        ),
        on(
            t,
            Topic,
            "primary.billing.",
            Prefixed,
            &[Write, Create, Alter, AlterConfigs],
        ),
        on(
            t,
            Topic,
            "primary.heartbeats",
            Literal,
            &[Write, Create, Alter, AlterConfigs],
        ),
        // 1.8 topic ACL sync
        on(s, Cluster, "kafka-cluster", Literal, &[Describe]),
        on(t, Cluster, "kafka-cluster", Literal, &[Alter]),
        // 1.9 offset-syncs topic on the source, named after the target alias
        on(
            s,
            Topic,
            "mm2-offset-syncs.dr.internal",
            Literal,
            &[Create, Write, Read],
        ),
        // 1.10 checkpoints: source groups; 1.11 checkpoints topic
        on(s, Group, "orders-app", Literal, &[Describe]),
        on(
            t,
            Topic,
            "primary.checkpoints.internal",
            Literal,
            &[Create, Write, Read],
        ),
        // 1.13 heartbeats on the target, and on the source for the reverse herder
        on(t, Topic, "heartbeats", Literal, &[Create, Write]),
        on(s, Topic, "heartbeats", Literal, &[Create, Write]),
        // 1.14 worker of herder primary->dr on dr
        on(t, Group, "primary-mm2", Literal, &[Read]),
        on(
            t,
            Topic,
            "mm2-configs.primary.internal",
            Literal,
            &[Create, Read, Write],
        ),
        on(
            t,
            Topic,
            "mm2-offsets.primary.internal",
            Literal,
            &[Create, Read, Write],
        ),
        on(
            t,
            Topic,
            "mm2-status.primary.internal",
            Literal,
            &[Create, Read, Write],
        ),
        // 1.14 worker of the reverse herder dr->primary on primary
        on(s, Group, "dr-mm2", Literal, &[Read]),
        on(
            s,
            Topic,
            "mm2-configs.dr.internal",
            Literal,
            &[Create, Read, Write],
        ),
        on(
            s,
            Topic,
            "mm2-offsets.dr.internal",
            Literal,
            &[Create, Read, Write],
        ),
        on(
            s,
            Topic,
            "mm2-status.dr.internal",
            Literal,
            &[Create, Read, Write],
        ),
    ]
    .into_iter()
    .flatten()
    .collect()
}

#[test]
fn defaults_match_spec_section_1() {
    let plan = plan_mm2(&example());
    assert_eq!(grants(&plan), expected_example());
    assert_eq!(plan.acls.len(), 51, "no duplicates: one entry per binding");
}

/// One input change and the exact bindings it adds and removes.
struct Delta {
    name: &'static str,
    change: fn(&mut Mm2Inputs),
    added: Vec<Grant>,
    removed: Vec<Grant>,
}

fn deltas() -> Vec<Delta> {
    let (s, t) = (SOURCE, TARGET);
    let remote = |ops: &[Operation]| {
        [
            on(t, Topic, "primary.orders", Literal, ops),
            on(t, Topic, "primary.billing.", Prefixed, ops),
        ]
        .concat()
    };
    let reverse_worker = [
        on(s, Group, "dr-mm2", Literal, &[Read]),
        on(
            s,
            Topic,
            "mm2-configs.dr.internal",
            Literal,
            &[Create, Read, Write],
        ),
        on(
            s,
            Topic,
            "mm2-offsets.dr.internal",
            Literal,
            &[Create, Read, Write],
        ),
        on(
            s,
            Topic,
            "mm2-status.dr.internal",
            Literal,
            &[Create, Read, Write],
        ),
    ]
    .concat();
    vec![
        Delta {
            name: "replicate_heartbeats = false (row 1.3)",
            change: |i| i.replicate_heartbeats = false,
            added: vec![],
            removed: [
                on(s, Topic, "heartbeats", Literal, &[Read, DescribeConfigs]),
                on(t, Topic, "primary.heartbeats", Literal, &[Write, Create, Alter, AlterConfigs]),
            ]
            .concat(),
        },
        Delta {
            name: "sync_topic_configs = false (row 1.7; 1.2 keeps DESCRIBE_CONFIGS)",
            change: |i| i.sync_topic_configs = false,
            added: vec![],
            removed: [
                remote(&[AlterConfigs]),
                on(t, Topic, "primary.heartbeats", Literal, &[AlterConfigs]),
            ]
            .concat(),
        },
        Delta {
            name: "sync_topic_acls = false (row 1.8)",
            change: |i| i.sync_topic_acls = false,
            added: vec![],
            removed: [
                on(s, Cluster, "kafka-cluster", Literal, &[Describe]),
                on(t, Cluster, "kafka-cluster", Literal, &[Alter]),
            ]
            .concat(),
        },
        Delta {
            name: "emit_offset_syncs = false (row 1.9)",
            change: |i| i.emit_offset_syncs = false,
            added: vec![],
            removed: on(s, Topic, "mm2-offset-syncs.dr.internal", Literal, &[Create, Write, Read]),
        },
        Delta {
            name: "offset_syncs_topic_location = target (row 1.9)",
            change: |i| i.offset_syncs_topic_location = OffsetSyncsLocation::Target,
            added: on(t, Topic, "mm2-offset-syncs.primary.internal", Literal, &[Create, Write, Read]),
            removed: on(s, Topic, "mm2-offset-syncs.dr.internal", Literal, &[Create, Write, Read]),
        },
        Delta {
            name: "emit_checkpoints = false (rows 1.10, 1.11)",
            change: |i| i.emit_checkpoints = false,
            added: vec![],
            removed: [
                on(s, Group, "orders-app", Literal, &[Describe]),
                on(t, Topic, "primary.checkpoints.internal", Literal, &[Create, Write, Read]),
            ]
            .concat(),
        },
        Delta {
            name: "sync_group_offsets = true (row 1.12)",
            change: |i| i.sync_group_offsets = true,
            added: [
                on(t, Group, "orders-app", Literal, &[Read, Describe]),
                remote(&[Read]),
            ]
            .concat(),
            removed: vec![],
        },
        Delta {
            name: "emit_heartbeats = false (row 1.13 and the reverse herder's 1.13 / 1.14)",
            change: |i| i.emit_heartbeats = false,
            added: vec![],
            removed: [
                on(t, Topic, "heartbeats", Literal, &[Create, Write]),
                on(s, Topic, "heartbeats", Literal, &[Create, Write]),
                reverse_worker.clone(),
            ]
            .concat(),
        },
        Delta {
            name: "exactly_once = true (row 1.15)",
            change: |i| i.exactly_once = true,
            added: [
                on(t, TransactionalId, "connect-cluster-primary-mm2", Literal, &[Write, Describe]),
                on(t, TransactionalId, "primary-mm2-", Prefixed, &[Write, Describe]),
            ]
            .concat(),
            removed: vec![],
        },
        Delta {
            name: "identity policy: remote names unchanged, heartbeats still prefixed (row 1.4)",
            change: |i| i.replication_policy = ReplicationPolicy::Identity,
            added: [
                on(t, Topic, "orders", Literal, &[Write, Create, Alter, AlterConfigs]),
                on(t, Topic, "billing.", Prefixed, &[Write, Create, Alter, AlterConfigs]),
            ]
            .concat(),
            removed: remote(&[Write, Create, Alter, AlterConfigs]),
        },
        Delta {
            name: "separator _ (KIP-690): remote, offset-syncs and checkpoints names; not mm2-* nor heartbeats",
            change: |i| i.separator = "_".to_string(),
            added: [
                on(t, Topic, "primary_orders", Literal, &[Write, Create, Alter, AlterConfigs]),
                on(t, Topic, "primary_billing.", Prefixed, &[Write, Create, Alter, AlterConfigs]),
                on(t, Topic, "primary_heartbeats", Literal, &[Write, Create, Alter, AlterConfigs]),
                on(s, Topic, "mm2-offset-syncs_dr_internal", Literal, &[Create, Write, Read]),
                on(t, Topic, "primary_checkpoints_internal", Literal, &[Create, Write, Read]),
            ]
            .concat(),
            removed: [
                remote(&[Write, Create, Alter, AlterConfigs]),
                on(t, Topic, "primary.heartbeats", Literal, &[Write, Create, Alter, AlterConfigs]),
                on(s, Topic, "mm2-offset-syncs.dr.internal", Literal, &[Create, Write, Read]),
                on(t, Topic, "primary.checkpoints.internal", Literal, &[Create, Write, Read]),
            ]
            .concat(),
        },
        Delta {
            name: "all topics, default policy: LITERAL * on the source, PREFIXED primary. on the target",
            change: |i| i.topics = strings(&["*", "orders"]),
            added: [
                on(s, Topic, "*", Literal, &[Read, DescribeConfigs]),
                on(t, Topic, "primary.", Prefixed, &[Write, Create, Alter, AlterConfigs]),
            ]
            .concat(),
            removed: [
                on(s, Topic, "orders", Literal, &[Read, DescribeConfigs]),
                on(s, Topic, "billing.", Prefixed, &[Read, DescribeConfigs]),
                remote(&[Write, Create, Alter, AlterConfigs]),
            ]
            .concat(),
        },
        Delta {
            name: "all topics, identity policy: LITERAL * on both",
            change: |i| {
                i.topics = strings(&["*"]);
                i.replication_policy = ReplicationPolicy::Identity;
            },
            added: [
                on(s, Topic, "*", Literal, &[Read, DescribeConfigs]),
                on(t, Topic, "*", Literal, &[Write, Create, Alter, AlterConfigs]),
            ]
            .concat(),
            removed: [
                on(s, Topic, "orders", Literal, &[Read, DescribeConfigs]),
                on(s, Topic, "billing.", Prefixed, &[Read, DescribeConfigs]),
                remote(&[Write, Create, Alter, AlterConfigs]),
            ]
            .concat(),
        },
        Delta {
            name: "all groups and a group prefix",
            change: |i| {
                i.groups = strings(&["*"]);
                i.group_prefixes = strings(&["app-"]);
            },
            added: on(s, Group, "*", Literal, &[Describe]),
            removed: on(s, Group, "orders-app", Literal, &[Describe]),
        },
        Delta {
            name: "aliases differ from cluster keys",
            change: |i| {
                i.source_alias = "A".to_string();
                i.target_alias = "B".to_string();
            },
            added: [
                on(t, Topic, "A.orders", Literal, &[Write, Create, Alter, AlterConfigs]),
                on(t, Topic, "A.billing.", Prefixed, &[Write, Create, Alter, AlterConfigs]),
                on(t, Topic, "A.heartbeats", Literal, &[Write, Create, Alter, AlterConfigs]),
                on(s, Topic, "mm2-offset-syncs.B.internal", Literal, &[Create, Write, Read]),
                on(t, Topic, "A.checkpoints.internal", Literal, &[Create, Write, Read]),
                on(t, Group, "A-mm2", Literal, &[Read]),
                on(t, Topic, "mm2-configs.A.internal", Literal, &[Create, Read, Write]),
                on(t, Topic, "mm2-offsets.A.internal", Literal, &[Create, Read, Write]),
                on(t, Topic, "mm2-status.A.internal", Literal, &[Create, Read, Write]),
                on(s, Group, "B-mm2", Literal, &[Read]),
                on(s, Topic, "mm2-configs.B.internal", Literal, &[Create, Read, Write]),
                on(s, Topic, "mm2-offsets.B.internal", Literal, &[Create, Read, Write]),
                on(s, Topic, "mm2-status.B.internal", Literal, &[Create, Read, Write]),
            ]
            .concat(),
            removed: [
                remote(&[Write, Create, Alter, AlterConfigs]),
                on(t, Topic, "primary.heartbeats", Literal, &[Write, Create, Alter, AlterConfigs]),
                on(s, Topic, "mm2-offset-syncs.dr.internal", Literal, &[Create, Write, Read]),
                on(t, Topic, "primary.checkpoints.internal", Literal, &[Create, Write, Read]),
                on(t, Group, "primary-mm2", Literal, &[Read]),
                on(t, Topic, "mm2-configs.primary.internal", Literal, &[Create, Read, Write]),
                on(t, Topic, "mm2-offsets.primary.internal", Literal, &[Create, Read, Write]),
                on(t, Topic, "mm2-status.primary.internal", Literal, &[Create, Read, Write]),
                reverse_worker.clone(),
            ]
            .concat(),
        },
        Delta {
            name: "Connect deployment: the Connect cluster's names, no reverse herder",
            change: |i| i.deployment = Mm2Deployment::Connect(ConnectWorker::strimzi_defaults()),
            added: [
                on(t, Group, "mirrormaker2-cluster", Literal, &[Read]),
                on(t, Topic, "mirrormaker2-cluster-configs", Literal, &[Create, Read, Write]),
                on(t, Topic, "mirrormaker2-cluster-offsets", Literal, &[Create, Read, Write]),
                on(t, Topic, "mirrormaker2-cluster-status", Literal, &[Create, Read, Write]),
            ]
            .concat(),
            removed: [
                on(t, Group, "primary-mm2", Literal, &[Read]),
                on(t, Topic, "mm2-configs.primary.internal", Literal, &[Create, Read, Write]),
                on(t, Topic, "mm2-offsets.primary.internal", Literal, &[Create, Read, Write]),
                on(t, Topic, "mm2-status.primary.internal", Literal, &[Create, Read, Write]),
                on(s, Topic, "heartbeats", Literal, &[Create, Write]),
                reverse_worker.clone(),
            ]
            .concat(),
        },
        Delta {
            name: "Connect deployment with exactly-once: transactional ids follow group.id",
            change: |i| {
                i.deployment = Mm2Deployment::Connect(ConnectWorker::strimzi_defaults());
                i.exactly_once = true;
            },
            added: [
                on(t, Group, "mirrormaker2-cluster", Literal, &[Read]),
                on(t, Topic, "mirrormaker2-cluster-configs", Literal, &[Create, Read, Write]),
                on(t, Topic, "mirrormaker2-cluster-offsets", Literal, &[Create, Read, Write]),
                on(t, Topic, "mirrormaker2-cluster-status", Literal, &[Create, Read, Write]),
                on(t, TransactionalId, "connect-cluster-mirrormaker2-cluster", Literal, &[Write, Describe]),
                on(t, TransactionalId, "mirrormaker2-cluster-", Prefixed, &[Write, Describe]),
            ]
            .concat(),
            removed: [
                on(t, Group, "primary-mm2", Literal, &[Read]),
                on(t, Topic, "mm2-configs.primary.internal", Literal, &[Create, Read, Write]),
                on(t, Topic, "mm2-offsets.primary.internal", Literal, &[Create, Read, Write]),
                on(t, Topic, "mm2-status.primary.internal", Literal, &[Create, Read, Write]),
                on(s, Topic, "heartbeats", Literal, &[Create, Write]),
                reverse_worker.clone(),
            ]
            .concat(),
        },
        Delta {
            name: "upstream_aliases = [up] (row 6.2): the chain's heartbeats",
            change: |i| i.upstream_aliases = strings(&["up", "up"]),
            added: [
                on(s, Topic, "up.heartbeats", Literal, &[Read, DescribeConfigs]),
                on(t, Topic, "primary.up.heartbeats", Literal, &[Create, Write, Alter, AlterConfigs]),
            ]
            .concat(),
            removed: vec![],
        },
        Delta {
            name: "upstream_aliases with sync_topic_configs = false: no ALTER_CONFIGS (rows 6.2, 1.7)",
            change: |i| {
                i.upstream_aliases = strings(&["up"]);
                i.sync_topic_configs = false;
            },
            added: [
                on(s, Topic, "up.heartbeats", Literal, &[Read, DescribeConfigs]),
                on(t, Topic, "primary.up.heartbeats", Literal, &[Create, Write, Alter]),
            ]
            .concat(),
            removed: [
                remote(&[AlterConfigs]),
                on(t, Topic, "primary.heartbeats", Literal, &[AlterConfigs]),
            ]
            .concat(),
        },
        Delta {
            name: "upstream_aliases without heartbeats replication: nothing to replicate (row 6.2)",
            change: |i| {
                i.upstream_aliases = strings(&["up"]);
                i.replicate_heartbeats = false;
            },
            added: vec![],
            removed: [
                on(s, Topic, "heartbeats", Literal, &[Read, DescribeConfigs]),
                on(t, Topic, "primary.heartbeats", Literal, &[Write, Create, Alter, AlterConfigs]),
            ]
            .concat(),
        },
        Delta {
            name: "idempotent_write = true (row 6.5): both clusters MM2 produces to",
            change: |i| i.idempotent_write = true,
            added: [
                on(t, Cluster, "kafka-cluster", Literal, &[IdempotentWrite]),
                on(s, Cluster, "kafka-cluster", Literal, &[IdempotentWrite]),
            ]
            .concat(),
            removed: vec![],
        },
        Delta {
            name: "Aiven deployment: same ACLs as Apache dedicated mode",
            change: |i| i.deployment = Mm2Deployment::Aiven,
            added: vec![],
            removed: vec![],
        },
    ]
}

#[test]
fn each_input_changes_exactly_its_rows() {
    let base = expected_example();
    for delta in deltas() {
        let mut inputs = example();
        (delta.change)(&mut inputs);
        let mut expected = base.clone();
        for removed in &delta.removed {
            assert!(
                expected.remove(removed),
                "{}: {removed:?} not in base",
                delta.name
            );
        }
        for added in delta.added {
            assert!(
                expected.insert(added.clone()),
                "{}: {added:?} already in base",
                delta.name
            );
        }
        let actual = grants(&plan_mm2(&inputs));
        assert_same_grants(delta.name, &expected, &actual);
    }
}

#[test]
fn upstream_heartbeats_follow_the_separator_and_keep_the_prefix_under_identity() {
    let mut inputs = example();
    inputs.upstream_aliases = strings(&["east", "west"]);
    inputs.separator = "-".to_string();
    inputs.replication_policy = ReplicationPolicy::Identity;
    let plan = plan_mm2(&inputs);
    let names = |cluster: &str, reason: &str| -> BTreeSet<String> {
        plan.acls
            .iter()
            .filter(|a| a.cluster == cluster && a.reason.contains(reason))
            .map(|a| a.binding.resource_name.clone())
            .collect()
    };
    assert_eq!(
        names(SOURCE, "[spec 6.2]"),
        BTreeSet::from(["east-heartbeats".to_string(), "west-heartbeats".to_string()])
    );
    // IdentityReplicationPolicy prefixes topics that look like heartbeats.
    assert_eq!(
        names(TARGET, "[spec 6.2]"),
        BTreeSet::from([
            "primary-east-heartbeats".to_string(),
            "primary-west-heartbeats".to_string()
        ])
    );
    let copies: BTreeSet<&str> = plan
        .topics
        .iter()
        .filter(|t| t.reason.contains("upstream heartbeats"))
        .map(|t| t.name.as_str())
        .collect();
    assert_eq!(
        copies,
        BTreeSet::from(["primary-east-heartbeats", "primary-west-heartbeats"])
    );
}

#[test]
fn idempotent_write_goes_only_where_mm2_produces() {
    let cluster_grants = |inputs: &Mm2Inputs| -> BTreeSet<String> {
        plan_mm2(inputs)
            .acls
            .iter()
            .filter(|a| a.binding.operation == IdempotentWrite)
            .map(|a| {
                assert_eq!(a.binding.resource_type, Cluster);
                assert!(a.reason.contains("[spec 6.5]"), "{}", a.reason);
                a.cluster.clone()
            })
            .collect()
    };
    let mut inputs = example();
    assert!(cluster_grants(&inputs).is_empty(), "opt-in");
    inputs.idempotent_write = true;
    // Connect mode has no reverse herder; offset syncs on the target leave the source read-only.
    inputs.deployment = Mm2Deployment::Connect(ConnectWorker::strimzi_defaults());
    inputs.offset_syncs_topic_location = OffsetSyncsLocation::Target;
    assert_eq!(
        cluster_grants(&inputs),
        BTreeSet::from([TARGET.to_string()])
    );
    inputs.offset_syncs_topic_location = OffsetSyncsLocation::Source;
    assert_eq!(
        cluster_grants(&inputs),
        BTreeSet::from([SOURCE.to_string(), TARGET.to_string()])
    );
}

#[test]
fn source_and_target_principals_override_principal() {
    let mut inputs = example();
    inputs.source_principal = Some("User:src".to_string());
    inputs.target_principal = Some("User:dst".to_string());
    for acl in plan_mm2(&inputs).acls {
        let expected = if acl.cluster == SOURCE {
            "User:src"
        } else {
            "User:dst"
        };
        assert_eq!(acl.binding.principal, expected, "{}", acl.binding);
    }
}

#[test]
fn reasons_name_feature_config_key_and_spec_row() {
    let plan = plan_mm2(&example());
    let reason_of = |cluster: &str, name: &str, op: Operation| {
        plan.acls
            .iter()
            .find(|a| {
                a.cluster == cluster && a.binding.resource_name == name && a.binding.operation == op
            })
            .map(|a| a.reason.to_string())
            .unwrap()
    };
    assert_eq!(
        reason_of(SOURCE, "orders", Read),
        "replication: MM2 reads source topic orders (Fetch, ListOffsets, Metadata) [spec 1.1]"
    );
    // Rows 1.2 and 1.7 need the same binding: one entry, both reasons.
    let merged = reason_of(SOURCE, "orders", DescribeConfigs);
    assert!(
        merged.contains("[spec 1.2]") && merged.contains("sync.topic.configs.enabled"),
        "{merged}"
    );
    assert_eq!(merged.split(REASON_SEPARATOR).count(), 2);
    let reverse = reason_of(SOURCE, "dr-mm2", Read);
    assert!(reverse.contains("reverse herder dr->primary"), "{reverse}");
}

fn topic(cluster: &str, name: &str, partitions: i32, rf: i16) -> (String, String, i32, i16) {
    (cluster.to_string(), name.to_string(), partitions, rf)
}

fn topic_shapes(topics: &[InternalTopic]) -> BTreeSet<(String, String, i32, i16)> {
    topics
        .iter()
        .map(|t| topic(&t.cluster, &t.name, t.partitions, t.replication_factor))
        .collect()
}

fn expected_apache_topics() -> BTreeSet<(String, String, i32, i16)> {
    [
        topic(SOURCE, "mm2-offset-syncs.dr.internal", 1, 3),
        topic(SOURCE, "heartbeats", 1, 3),
        topic(SOURCE, "mm2-configs.dr.internal", 1, 3),
        topic(SOURCE, "mm2-offsets.dr.internal", 25, 3),
        topic(SOURCE, "mm2-status.dr.internal", 5, 3),
        topic(TARGET, "primary.checkpoints.internal", 1, 3),
        topic(TARGET, "heartbeats", 1, 3),
        topic(TARGET, "primary.heartbeats", 1, 2),
        topic(TARGET, "mm2-configs.primary.internal", 1, 3),
        topic(TARGET, "mm2-offsets.primary.internal", 25, 3),
        topic(TARGET, "mm2-status.primary.internal", 5, 3),
    ]
    .into()
}

#[test]
fn internal_topics_match_spec_section_2() {
    let plan = plan_mm2(&example());
    assert_eq!(topic_shapes(&plan.topics), expected_apache_topics());
    for t in &plan.topics {
        assert_eq!(
            t.configs.get("cleanup.policy").map(String::as_str),
            Some("compact")
        );
        assert!(t.reason.ends_with("[spec 2]"), "{}", t.reason);
    }
}

#[test]
fn internal_topic_replication_factor_and_management_switch() {
    let mut inputs = example();
    inputs.internal_topics_replication_factor = 1;
    inputs.remote_topics_replication_factor = 1;
    assert!(plan_mm2(&inputs)
        .topics
        .iter()
        .all(|t| t.replication_factor == 1));
    inputs.manage_internal_topics = false;
    let plan = plan_mm2(&inputs);
    assert!(plan.topics.is_empty());
    assert_eq!(
        grants(&plan),
        expected_example(),
        "ACLs do not depend on topic management"
    );
}

#[test]
fn aiven_profile_differs_only_in_sizing() {
    let mut inputs = example();
    inputs.deployment = Mm2Deployment::Aiven;
    let mut expected = expected_apache_topics();
    expected.remove(&topic(SOURCE, "mm2-offsets.dr.internal", 25, 3));
    expected.insert(topic(SOURCE, "mm2-offsets.dr.internal", 1, 3));
    expected.remove(&topic(TARGET, "primary.heartbeats", 1, 2));
    expected.insert(topic(TARGET, "primary.heartbeats", 1, 3));
    assert_eq!(topic_shapes(&plan_mm2(&inputs).topics), expected);
}

#[test]
fn connect_profile_topics() {
    let mut inputs = example();
    inputs.deployment = Mm2Deployment::Connect(ConnectWorker::strimzi_defaults());
    let expected: BTreeSet<_> = [
        topic(SOURCE, "mm2-offset-syncs.dr.internal", 1, 3),
        topic(TARGET, "primary.checkpoints.internal", 1, 3),
        topic(TARGET, "heartbeats", 1, 3),
        topic(TARGET, "primary.heartbeats", 1, 2),
        topic(TARGET, "mirrormaker2-cluster-configs", 1, 3),
        topic(TARGET, "mirrormaker2-cluster-offsets", 25, 3),
        topic(TARGET, "mirrormaker2-cluster-status", 5, 3),
    ]
    .into();
    assert_eq!(topic_shapes(&plan_mm2(&inputs).topics), expected);
}

/// The boolean flags, each with the MM2 config key its rows' reasons name.
/// Reaches one boolean flag of the inputs.
type FlagAccess = fn(&mut Mm2Inputs) -> &mut bool;

const FLAGS: &[(&str, FlagAccess)] = &[
    ("emit.heartbeats.enabled", |i| &mut i.emit_heartbeats),
    ("heartbeats.replication.enabled", |i| {
        &mut i.replicate_heartbeats
    }),
    ("emit.checkpoints.enabled", |i| &mut i.emit_checkpoints),
    ("emit.offset-syncs.enabled", |i| &mut i.emit_offset_syncs),
    ("sync.topic.configs.enabled", |i| &mut i.sync_topic_configs),
    ("sync.topic.acls.enabled", |i| &mut i.sync_topic_acls),
    ("sync.group.offsets.enabled", |i| &mut i.sync_group_offsets),
    ("exactly.once.source.support", |i| &mut i.exactly_once),
];

fn sweep_inputs(
    mask: u32,
    deployment: &Mm2Deployment,
    policy: ReplicationPolicy,
    location: OffsetSyncsLocation,
    all_topics: bool,
) -> Mm2Inputs {
    let mut inputs = example();
    inputs.principal = None;
    inputs.source_principal = Some("User:src".to_string());
    inputs.target_principal = Some("User:dst".to_string());
    inputs.separator = "-".to_string();
    if all_topics {
        inputs.topics = strings(&["*"]);
    }
    for (bit, (_, flag)) in FLAGS.iter().enumerate() {
        *flag(&mut inputs) = mask & (1 << bit) != 0;
    }
    inputs.deployment = deployment.clone();
    inputs.replication_policy = policy;
    inputs.offset_syncs_topic_location = location;
    inputs
}

fn assert_invariants(inputs: &Mm2Inputs, plan: &DesiredState) {
    for acl in &plan.acls {
        let b = &acl.binding;
        assert_ne!(b.operation, Operation::All, "{b}");
        assert_eq!(b.permission, Permission::Allow, "{b}");
        assert_eq!(b.host, "*");
        let principal = match acl.cluster.as_str() {
            SOURCE => "User:src",
            TARGET => "User:dst",
            other => panic!("ACL on {other}, neither source nor target"),
        };
        assert_eq!(b.principal, principal, "{b}");
        assert!(!acl.reason.is_empty());
        for part in acl.reason.split(REASON_SEPARATOR) {
            assert!(part.contains("[spec 1."), "{part}");
        }
        // Remote topics (written by replication on the target) follow the policy.
        if acl.cluster == TARGET && acl.reason.contains("remote") && b.resource_type == Topic {
            let sep = &inputs.separator;
            let prefixed = b.resource_name.starts_with(&format!("primary{sep}"));
            match inputs.replication_policy {
                ReplicationPolicy::Default => assert!(prefixed, "{b}"),
                ReplicationPolicy::Identity => assert!(
                    prefixed == (b.resource_name == format!("primary{sep}heartbeats")),
                    "{b}"
                ),
            }
        }
    }
    for t in &plan.topics {
        assert!(t.cluster == SOURCE || t.cluster == TARGET);
        assert!(!t.reason.is_empty());
    }
}

/// Bindings / topics whose every reason names `key`: what switching that flag off removes.
fn only_for(plan: &DesiredState, key: &str) -> (BTreeSet<Grant>, BTreeSet<(String, String)>) {
    let mentions = |reason: &str| {
        reason
            .split(REASON_SEPARATOR)
            .all(|part| part.contains(key))
    };
    (
        plan.acls
            .iter()
            .filter(|a| mentions(&a.reason))
            .map(|a| (a.cluster.clone(), a.binding.clone()))
            .collect(),
        plan.topics
            .iter()
            .filter(|t| mentions(&t.reason))
            .map(|t| (t.cluster.clone(), t.name.clone()))
            .collect(),
    )
}

#[test]
fn sweep_over_all_flag_combinations() {
    let deployments = [
        Mm2Deployment::Dedicated,
        Mm2Deployment::Aiven,
        Mm2Deployment::Connect(ConnectWorker::strimzi_defaults()),
    ];
    let mut plans = 0;
    for deployment in &deployments {
        for policy in [ReplicationPolicy::Default, ReplicationPolicy::Identity] {
            for location in [OffsetSyncsLocation::Source, OffsetSyncsLocation::Target] {
                for all_topics in [false, true] {
                    for mask in 0..(1u32 << FLAGS.len()) {
                        let inputs = sweep_inputs(mask, deployment, policy, location, all_topics);
                        let plan = plan_mm2(&inputs);
                        plans += 1;
                        assert_invariants(&inputs, &plan);
                        if policy == ReplicationPolicy::Identity || all_topics {
                            continue;
                        }
                        // Disabling a feature removes exactly the entries only it needs.
                        for (bit, (key, flag)) in FLAGS.iter().enumerate() {
                            if mask & (1 << bit) == 0 {
                                continue;
                            }
                            let mut off = inputs.clone();
                            *flag(&mut off) = false;
                            let off_plan = plan_mm2(&off);
                            let (only_acls, only_topics) = only_for(&plan, key);
                            let expected_acls: BTreeSet<_> =
                                grants(&plan).difference(&only_acls).cloned().collect();
                            assert_eq!(
                                grants(&off_plan),
                                expected_acls,
                                "{key} off, mask {mask:b}"
                            );
                            let off_topics: BTreeSet<_> = off_plan
                                .topics
                                .iter()
                                .map(|t| (t.cluster.clone(), t.name.clone()))
                                .collect();
                            let expected_topics: BTreeSet<_> = plan
                                .topics
                                .iter()
                                .map(|t| (t.cluster.clone(), t.name.clone()))
                                .filter(|key| !only_topics.contains(key))
                                .collect();
                            assert_eq!(off_topics, expected_topics, "{key} off, mask {mask:b}");
                        }
                    }
                }
            }
        }
    }
    assert_eq!(plans, 3 * 2 * 2 * 2 * 256);
}

#[test]
fn shuffled_list_inputs_give_identical_plans() {
    let mut inputs = example();
    inputs.topics = (0..40).map(|i| format!("topic-{i}")).collect();
    inputs.topic_prefixes = strings(&["billing.", "audit.", "x-"]);
    inputs.groups = (0..10).map(|i| format!("group-{i}")).collect();
    inputs.group_prefixes = strings(&["team-a.", "team-b."]);
    inputs.sync_group_offsets = true;
    let reference = plan_mm2(&inputs);
    for seed in 0..20 {
        let mut shuffled_inputs = inputs.clone();
        shuffled_inputs.topics = shuffled(&inputs.topics, seed);
        shuffled_inputs
            .topics
            .push(inputs.topics[seed as usize].clone());
        shuffled_inputs.topic_prefixes = shuffled(&inputs.topic_prefixes, seed);
        shuffled_inputs.groups = shuffled(&inputs.groups, seed);
        shuffled_inputs.group_prefixes = shuffled(&inputs.group_prefixes, seed);
        assert_eq!(plan_mm2(&shuffled_inputs), reference, "seed {seed}");
    }
}

#[test]
fn fifty_thousand_topics_plan() {
    let mut inputs = example();
    inputs.topic_prefixes.clear();
    inputs.topics = vec!["topic-0".to_string()];
    let one = plan_mm2(&inputs).acls.len();
    inputs.topics = (0..50_000).map(|i| format!("topic-{i}")).collect();
    let plan = plan_mm2(&inputs);
    // Per replicated topic: READ + DESCRIBE_CONFIGS on the source, WRITE + CREATE + ALTER +
    // ALTER_CONFIGS on its remote name.
    assert_eq!(plan.acls.len(), one + 6 * 49_999);
    assert!(
        plan.acls.windows(2).all(|pair| pair[0] < pair[1]),
        "sorted and unique"
    );
}

/// The rule tables as rendered in `docs/guides/permissions-reference.md`, for the example
/// flow `A->B` with topics `orders`, prefix `billing.` and group `orders-app`.
fn reference_tables() -> String {
    let mut inputs = Mm2Inputs::with_defaults("A", "B", "User:mm2");
    inputs.topics = strings(&["orders"]);
    inputs.topic_prefixes = strings(&["billing."]);
    inputs.groups = strings(&["orders-app"]);
    inputs.upstream_aliases = strings(&["U"]);
    let context = Mm2Context {
        inputs: &inputs,
        topics: NameSelection::new(&inputs.topics, &inputs.topic_prefixes),
        groups: NameSelection::new(&inputs.groups, &inputs.group_prefixes),
    };
    let side = |side: Side| match side {
        Side::Source => "source (A)",
        Side::Target => "target (B)",
    };
    let mut out = String::from(
        "| Spec row | Feature (MM2 config) | Cluster | Resource | Operations | Reason |\n\
         |---|---|---|---|---|---|\n",
    );
    for row in MM2_RULES {
        let resources = context.expand(&row.resource);
        let operations: Vec<&str> = row.operations.iter().map(|op| op.as_str()).collect();
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            row.spec_row,
            context.feature_label(&row.condition),
            side(row.side),
            resources
                .iter()
                .map(|r| format!("{} {} `{}`", r.resource_type, r.pattern_type, r.name))
                .collect::<Vec<_>>()
                .join("<br>"),
            operations.join(", "),
            row.reason.replace("{resource}", &resources[0].describe()),
        ));
    }
    out.push_str(
        "\n| Internal topic | Feature (MM2 config) | Cluster | Partitions | Replication factor |\n\
         |---|---|---|---|---|\n",
    );
    for row in MM2_TOPICS {
        let replication = match row.replication {
            TopicReplication::Internal => "`internal_topics_replication_factor` (3)",
            TopicReplication::Remote => "`remote_topics_replication_factor` (2)",
        };
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | {} |\n",
            context.expand(&row.topic)[0].name,
            context.feature_label(&row.condition),
            side(row.side),
            context.partitions(row.partitions, row.side),
            replication,
        ));
    }
    out
}

#[test]
fn permissions_reference_lists_every_row() {
    let doc = include_str!("../../../docs/guides/permissions-reference.md");
    let tables = reference_tables();
    for table in tables.split("\n\n") {
        assert!(
            doc.contains(table),
            "docs/guides/permissions-reference.md is out of date with MM2_RULES / MM2_TOPICS; \
             the MM2 tables should read:\n{tables}"
        );
    }
}

#[test]
fn input_enums_parse_their_terraform_names() {
    for policy in [ReplicationPolicy::Default, ReplicationPolicy::Identity] {
        assert_eq!(
            policy.as_str().parse::<ReplicationPolicy>().unwrap(),
            policy
        );
    }
    assert_eq!(
        "target".parse::<OffsetSyncsLocation>().unwrap(),
        OffsetSyncsLocation::Target
    );
    let err = "Identity".parse::<ReplicationPolicy>().unwrap_err();
    assert!(err.to_string().contains("default, identity"), "{err}");
}
