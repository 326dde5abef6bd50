//! The cluster-link table against spec section 3: the expected bindings for each mode and
//! flag, the unverified rows' marking, invariants over every combination, determinism.

use std::collections::BTreeSet;

use super::*;
use crate::model::acl::{Operation, PatternType, Permission, ResourceType};
use crate::model::plan::REASON_SEPARATOR;
use crate::model::test_support::{assert_same_grants, grant, grants, shuffled, strings, Grant};
use Operation::{Alter, AlterConfigs, Create, Describe, DescribeConfigs, Read};
use PatternType::{Literal, Prefixed};
use ResourceType::{Cluster, Group, Topic};

const SOURCE: &str = "onprem";
const DEST: &str = "cloud";
const LINK: &str = "User:link";
const BROKERS: &str = "User:kafka";
const OPS: &str = "User:ops";

fn example() -> ClusterLinkInputs {
    let mut inputs = ClusterLinkInputs::with_defaults(SOURCE, DEST, LINK);
    inputs.topics = strings(&["orders"]);
    inputs.topic_prefixes = strings(&["billing."]);
    inputs.groups = strings(&["app"]);
    inputs
}

fn on(cluster: &str, principal: &str, rt: ResourceType, ops: &[Operation]) -> Vec<Grant> {
    let names: &[(&str, PatternType)] = match rt {
        Topic => &[("orders", Literal), ("billing.", Prefixed)],
        Group => &[("app", Literal)],
        _ => &[("kafka-cluster", Literal)],
    };
    names
        .iter()
        .flat_map(|&(name, pattern)| {
            ops.iter()
                .map(move |&op| grant(cluster, principal, rt, name, pattern, op))
        })
        .collect()
}

struct Case {
    name: &'static str,
    change: fn(&mut ClusterLinkInputs),
    expected: Vec<Grant>,
}

fn cases() -> Vec<Case> {
    let (s, d) = (SOURCE, DEST);
    let mirroring = on(s, LINK, Topic, &[Read, DescribeConfigs]); // 3.8
    let operator = [
        on(d, OPS, Cluster, &[Alter, AlterConfigs, Describe]), // 3.4-3.7
        on(d, OPS, Topic, &[Create, Alter, Describe]),         // 3.5, 3.7
        on(d, OPS, Cluster, &[DescribeConfigs]),               // 3.13 (unverified)
    ]
    .concat();
    vec![
        Case {
            name: "destination-initiated, nothing optional: row 3.8 only",
            change: |_| {},
            expected: mirroring.clone(),
        },
        Case {
            name: "consumer offset sync: rows 3.1-3.3 and 3.9",
            change: |i| {
                i.consumer_offset_sync = true;
                i.destination_broker_principal = Some(BROKERS.to_string());
            },
            expected: [
                mirroring.clone(),
                on(d, BROKERS, Topic, &[Read, Alter]),
                on(d, BROKERS, Group, &[Read]),
                on(s, LINK, Topic, &[Describe]),
                on(s, LINK, Group, &[Describe]),
            ]
            .concat(),
        },
        Case {
            name: "ACL sync: row 3.10",
            change: |i| {
                i.acl_sync = true;
                i.destination_broker_principal = Some(BROKERS.to_string());
            },
            expected: [
                mirroring.clone(),
                on(s, LINK, Cluster, &[Describe]),
                on(d, BROKERS, Cluster, &[Alter]),
            ]
            .concat(),
        },
        Case {
            name: "broker principal alone adds nothing",
            change: |i| i.destination_broker_principal = Some(BROKERS.to_string()),
            expected: mirroring.clone(),
        },
        Case {
            name: "operator: rows 3.4-3.7, 3.12, 3.13",
            change: |i| i.operator_principal = Some(OPS.to_string()),
            expected: [mirroring.clone(), operator.clone()].concat(),
        },
        Case {
            name: "source-initiated: row 3.11",
            change: |i| i.link_mode = LinkMode::SourceInitiated,
            expected: [mirroring.clone(), on(d, LINK, Cluster, &[Alter])].concat(),
        },
        Case {
            name: "source-initiated with operator: rows 3.11 and 3.14",
            change: |i| {
                i.link_mode = LinkMode::SourceInitiated;
                i.operator_principal = Some(OPS.to_string());
            },
            expected: [
                mirroring.clone(),
                on(d, LINK, Cluster, &[Alter]),
                operator.clone(),
                on(s, OPS, Cluster, &[Alter]),
            ]
            .concat(),
        },
        Case {
            name: "bidirectional: row 3.11 and the reverse direction 3.15",
            change: |i| i.link_mode = LinkMode::Bidirectional,
            expected: [
                mirroring.clone(),
                on(d, LINK, Cluster, &[Alter]),
                on(d, LINK, Topic, &[Read, DescribeConfigs]),
            ]
            .concat(),
        },
        Case {
            name: "bidirectional with offset and ACL sync",
            change: |i| {
                i.link_mode = LinkMode::Bidirectional;
                i.consumer_offset_sync = true;
                i.acl_sync = true;
                i.destination_broker_principal = Some(BROKERS.to_string());
            },
            expected: [
                mirroring.clone(),
                on(d, LINK, Cluster, &[Alter, Describe]),
                on(d, LINK, Topic, &[Read, DescribeConfigs, Describe]),
                on(d, LINK, Group, &[Describe]),
                on(d, BROKERS, Topic, &[Read, Alter]),
                on(d, BROKERS, Group, &[Read]),
                on(d, BROKERS, Cluster, &[Alter]),
                on(s, LINK, Topic, &[Describe]),
                on(s, LINK, Group, &[Describe]),
                on(s, LINK, Cluster, &[Describe]),
            ]
            .concat(),
        },
    ]
}

#[test]
fn each_mode_and_flag_matches_spec_section_3() {
    for case in cases() {
        let mut inputs = example();
        (case.change)(&mut inputs);
        let expected: BTreeSet<Grant> = case.expected.into_iter().collect();
        let actual = grants(&plan_cluster_link(&inputs));
        assert_same_grants(case.name, &expected, &actual);
    }
}

#[test]
fn all_topics_and_groups_use_literal_star() {
    let mut inputs = example();
    inputs.topics = strings(&["*"]);
    inputs.groups = strings(&["*"]);
    inputs.consumer_offset_sync = true;
    inputs.destination_broker_principal = Some(BROKERS.to_string());
    let names: BTreeSet<_> = plan_cluster_link(&inputs)
        .acls
        .into_iter()
        .filter(|a| a.binding.resource_type != Cluster)
        .map(|a| (a.binding.resource_name, a.binding.pattern_type))
        .collect();
    assert_eq!(names, BTreeSet::from([("*".to_string(), Literal)]));
}

#[test]
fn unverified_rows_say_so_and_only_they() {
    let unverified_rows = ["3.12", "3.13", "3.14", "3.15"];
    for row in CLUSTER_LINK_RULES {
        assert_eq!(
            row.reason.contains(UNVERIFIED),
            unverified_rows.contains(&row.spec_row),
            "row {}: {}",
            row.spec_row,
            row.reason
        );
        assert!(!row.reason.contains(REASON_SEPARATOR), "{}", row.reason);
    }
    let mut inputs = example();
    inputs.operator_principal = Some(OPS.to_string());
    let plan = plan_cluster_link(&inputs);
    let reason = |op: Operation| {
        plan.acls
            .iter()
            .find(|a| a.binding.resource_type == Cluster && a.binding.operation == op)
            .map(|a| a.reason.clone())
            .unwrap()
    };
    // Only the unverified row 3.13 needs DESCRIBE_CONFIGS on the cluster.
    assert!(reason(DescribeConfigs).contains(UNVERIFIED));
    // ALTER_CONFIGS is needed by verified row 3.5 and unverified 3.13: both reasons kept.
    let alter_configs = reason(AlterConfigs);
    assert!(alter_configs.contains("[spec 3.5]") && alter_configs.contains(UNVERIFIED));
}

#[test]
fn invariants_over_every_combination() {
    for mode in [
        LinkMode::DestinationInitiated,
        LinkMode::SourceInitiated,
        LinkMode::Bidirectional,
    ] {
        for mask in 0..32u32 {
            let mut inputs = example();
            inputs.link_mode = mode;
            inputs.consumer_offset_sync = mask & 1 != 0;
            inputs.acl_sync = mask & 2 != 0;
            inputs.operator_principal = (mask & 4 != 0).then(|| OPS.to_string());
            inputs.destination_broker_principal = (mask & 8 != 0).then(|| BROKERS.to_string());
            if mask & 16 != 0 {
                inputs.topics = strings(&["*"]);
            }
            let plan = plan_cluster_link(&inputs);
            assert!(plan.topics.is_empty());
            for acl in &plan.acls {
                let b = &acl.binding;
                assert_ne!(b.operation, Operation::All, "{b}");
                assert_eq!(b.permission, Permission::Allow, "{b}");
                assert!(
                    acl.cluster == SOURCE || acl.cluster == DEST,
                    "{}",
                    acl.cluster
                );
                assert!([LINK, BROKERS, OPS].contains(&b.principal.as_str()), "{b}");
                assert!(!acl.reason.is_empty());
                for part in acl.reason.split(REASON_SEPARATOR) {
                    assert!(part.contains("[spec 3."), "{part}");
                }
                // Brokers only act on the destination; the operator only there too, except
                // creating the source half of an outbound link (row 3.14).
                if b.principal == BROKERS {
                    assert_eq!(acl.cluster, DEST, "{b}");
                }
                if b.principal == OPS && acl.cluster == SOURCE {
                    assert_ne!(mode, LinkMode::DestinationInitiated, "{b}");
                    assert_eq!((b.resource_type, b.operation), (Cluster, Alter), "{b}");
                }
            }
            // Mirroring (row 3.8) is in every plan.
            assert!(plan
                .acls
                .iter()
                .any(|a| a.cluster == SOURCE && a.binding.operation == Read));
        }
    }
}

#[test]
fn shuffled_list_inputs_give_identical_plans() {
    let mut inputs = example();
    inputs.topics = (0..30).map(|i| format!("t{i}")).collect();
    inputs.groups = (0..10).map(|i| format!("g{i}")).collect();
    inputs.group_prefixes = strings(&["team-a.", "team-b."]);
    inputs.consumer_offset_sync = true;
    inputs.destination_broker_principal = Some(BROKERS.to_string());
    let reference = plan_cluster_link(&inputs);
    for seed in 0..20 {
        let mut other = inputs.clone();
        other.topics = shuffled(&inputs.topics, seed);
        other.groups = shuffled(&inputs.groups, seed);
        other.group_prefixes = shuffled(&inputs.group_prefixes, seed);
        assert_eq!(plan_cluster_link(&other), reference, "seed {seed}");
    }
}

/// The rule table as rendered in `docs/guides/permissions-reference.md`, for mirror topics
/// `orders` and `billing.*` and group `app`.
fn reference_table() -> String {
    let mut inputs = example();
    inputs.destination_broker_principal = Some(BROKERS.to_string());
    inputs.operator_principal = Some(OPS.to_string());
    let context = LinkContext {
        inputs: &inputs,
        topics: NameSelection::new(&inputs.topics, &inputs.topic_prefixes),
        groups: NameSelection::new(&inputs.groups, &inputs.group_prefixes),
    };
    let mut out = String::from(
        "| Spec row | Feature | Cluster | Principal | Resource | Operations | Reason |\n\
         |---|---|---|---|---|---|---|\n",
    );
    for row in CLUSTER_LINK_RULES {
        let resources = context.expand(&row.resource);
        let operations: Vec<&str> = row.operations.iter().map(|op| op.as_str()).collect();
        let grantee = match row.grantee {
            LinkGrantee::Link => "`link_principal`",
            LinkGrantee::DestinationBrokers => "`destination_broker_principal`",
            LinkGrantee::Operator => "`operator_principal`",
        };
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} |\n",
            row.spec_row,
            context.feature_label(&row.condition),
            match row.side {
                Side::Source => "source",
                Side::Target => "destination",
            },
            grantee,
            resources
                .iter()
                .map(|r| format!("{} {} `{}`", r.resource_type, r.pattern_type, r.name))
                .collect::<Vec<_>>()
                .join("<br>"),
            operations.join(", "),
            row.reason.replace("{resource}", &resources[0].describe()),
        ));
    }
    out
}

#[test]
fn permissions_reference_lists_every_row() {
    let doc = include_str!("../../../docs/guides/permissions-reference.md");
    let table = reference_table();
    assert!(
        doc.contains(&table),
        "docs/guides/permissions-reference.md is out of date with CLUSTER_LINK_RULES; \
         the table should read:\n{table}"
    );
}

#[test]
fn link_mode_parses_its_terraform_names() {
    for mode in [
        LinkMode::DestinationInitiated,
        LinkMode::SourceInitiated,
        LinkMode::Bidirectional,
    ] {
        assert_eq!(mode.as_str().parse::<LinkMode>().unwrap(), mode);
    }
    assert!("outbound".parse::<LinkMode>().is_err());
}

#[test]
fn acl_sync_exposes_the_destination_bindings_to_the_link() {
    let mut inputs = ClusterLinkInputs::with_defaults("src", "dst", "User:link");
    inputs.topics = strings(&["orders"]);
    inputs.destination_broker_principal = Some("User:brokers".into());
    inputs.operator_principal = Some("User:ops".into());
    let plan = plan_cluster_link(&inputs);
    assert_eq!(acl_sync_pitfall(&inputs, &plan), None, "acl_sync off");

    inputs.acl_sync = true;
    let plan = plan_cluster_link(&inputs);
    let pitfall = acl_sync_pitfall(&inputs, &plan).unwrap();
    assert_eq!(pitfall.clusters, ["dst"]);
    let on_destination: Vec<&ClusterAcl> =
        plan.acls.iter().filter(|a| a.cluster == "dst").collect();
    assert!(!on_destination.is_empty());
    assert_eq!(pitfall.exposed, on_destination);

    inputs.link_mode = LinkMode::Bidirectional;
    let plan = plan_cluster_link(&inputs);
    let pitfall = acl_sync_pitfall(&inputs, &plan).unwrap();
    assert_eq!(pitfall.clusters, ["dst", "src"]);
    assert_eq!(
        pitfall.exposed.len(),
        plan.acls.len(),
        "both ends sync ACLs"
    );
}
