//! The evaluator against Kafka's authorizer rules (spec section 4; `StandardAuthorizerData`
//! `findResult` and its unit tests `StandardAuthorizerTest`), one table per rule: DENY
//! precedence, the wildcard principal, pattern matching (LITERAL, PREFIXED, LITERAL `*`),
//! implied operations and their ALLOW-only asymmetry, hosts.

use super::*;
use Operation::{All, Alter, AlterConfigs, Create, Delete, Describe, DescribeConfigs, Read, Write};
use PatternType::{Literal, Prefixed};
use Permission::{Allow, Deny};
use ResourceType::{Group, Topic};

const MM2: &str = "User:mm2";

fn binding(
    permission: Permission,
    principal: &str,
    host: &str,
    operation: Operation,
    resource_type: ResourceType,
    pattern_type: PatternType,
    name: &str,
) -> AclBinding {
    AclBinding {
        resource_type,
        resource_name: name.to_string(),
        pattern_type,
        principal: principal.to_string(),
        host: host.to_string(),
        operation,
        permission,
    }
}

fn topic(
    permission: Permission,
    principal: &str,
    op: Operation,
    pattern: PatternType,
    name: &str,
) -> AclBinding {
    binding(permission, principal, "*", op, Topic, pattern, name)
}

fn access(operation: Operation, pattern_type: PatternType, name: &str) -> Access<'_> {
    Access {
        principal: MM2,
        operation,
        resource_type: Topic,
        pattern_type,
        resource_name: name,
    }
}

/// `Allowed`, `NotAllowed`, or the blocking bindings' indexes in `held` with their reach.
#[derive(Debug, PartialEq, Eq)]
enum Expect {
    Allowed,
    NotAllowed,
    Denied(Vec<(usize, Reach)>),
}

fn decide(held: &[AclBinding], access: &Access<'_>) -> Expect {
    match Authorizer::new(held).decide(access) {
        Verdict::Allowed => Expect::Allowed,
        Verdict::NotAllowed => Expect::NotAllowed,
        Verdict::Denied(blocking) => Expect::Denied(
            blocking
                .iter()
                .map(|b| {
                    let index = held.iter().position(|h| h == b.binding).unwrap();
                    (index, b.reach)
                })
                .collect(),
        ),
    }
}

fn check(cases: &[(&str, Vec<AclBinding>, Access<'_>, Expect)]) {
    for (name, held, access, expected) in cases {
        assert_eq!(&decide(held, access), expected, "case {name:?}");
    }
}

#[test]
fn deny_wins_over_allow() {
    let allow = topic(Allow, MM2, Read, Literal, "orders");
    check(&[
        (
            "allow alone",
            vec![allow.clone()],
            access(Read, Literal, "orders"),
            Expect::Allowed,
        ),
        (
            "deny of the same operation beats the allow",
            vec![allow.clone(), topic(Deny, MM2, Read, Literal, "orders")],
            access(Read, Literal, "orders"),
            Expect::Denied(vec![(1, Reach::Every)]),
        ),
        (
            "deny ALL denies every operation",
            vec![allow.clone(), topic(Deny, MM2, All, Literal, "orders")],
            access(Read, Literal, "orders"),
            Expect::Denied(vec![(1, Reach::Every)]),
        ),
        (
            "ALLOW ALL on every topic does not help: the deny still wins",
            vec![
                topic(Allow, MM2, All, Literal, "*"),
                topic(Deny, MM2, Write, Literal, "orders"),
            ],
            access(Write, Literal, "orders"),
            Expect::Denied(vec![(1, Reach::Every)]),
        ),
        (
            "deny of another operation does not apply",
            vec![allow.clone(), topic(Deny, MM2, Write, Literal, "orders")],
            access(Read, Literal, "orders"),
            Expect::Allowed,
        ),
        (
            "deny of another resource type does not apply",
            vec![
                allow.clone(),
                binding(Deny, MM2, "*", Read, Group, Literal, "orders"),
            ],
            access(Read, Literal, "orders"),
            Expect::Allowed,
        ),
        (
            "no binding at all: Kafka's default is deny",
            vec![],
            access(Read, Literal, "orders"),
            Expect::NotAllowed,
        ),
    ]);
}

#[test]
fn the_wildcard_principal_applies_to_every_user() {
    let allow = topic(Allow, MM2, Read, Literal, "orders");
    check(&[
        (
            "User:* DENY beats the principal's ALLOW",
            vec![
                allow.clone(),
                topic(Deny, WILDCARD_PRINCIPAL, Read, Literal, "orders"),
            ],
            access(Read, Literal, "orders"),
            Expect::Denied(vec![(1, Reach::Every)]),
        ),
        (
            "User:* ALLOW allows",
            vec![topic(Allow, WILDCARD_PRINCIPAL, Read, Literal, "orders")],
            access(Read, Literal, "orders"),
            Expect::Allowed,
        ),
        (
            "another principal's DENY does not apply",
            vec![
                allow.clone(),
                topic(Deny, "User:other", Read, Literal, "orders"),
            ],
            access(Read, Literal, "orders"),
            Expect::Allowed,
        ),
        (
            "principals compare exactly (User:MM2 is someone else)",
            vec![
                allow.clone(),
                topic(Deny, "User:MM2", Read, Literal, "orders"),
            ],
            access(Read, Literal, "orders"),
            Expect::Allowed,
        ),
        (
            "only User:* is a wildcard, not Group:*",
            vec![
                allow.clone(),
                topic(Deny, "Group:*", Read, Literal, "orders"),
            ],
            access(Read, Literal, "orders"),
            Expect::Allowed,
        ),
    ]);
}

#[test]
fn patterns_match_as_kafka_matches_names() {
    let allow_all = topic(Allow, MM2, Read, Literal, "*");
    let deny = |pattern, name| topic(Deny, MM2, Read, pattern, name);
    check(&[
        (
            "LITERAL * deny blocks a literal topic",
            vec![allow_all.clone(), deny(Literal, "*")],
            access(Read, Literal, "orders"),
            Expect::Denied(vec![(1, Reach::Every)]),
        ),
        (
            "PREFIXED deny whose prefix starts the name",
            vec![allow_all.clone(), deny(Prefixed, "ord")],
            access(Read, Literal, "orders"),
            Expect::Denied(vec![(1, Reach::Every)]),
        ),
        (
            "PREFIXED deny equal to the whole name",
            vec![allow_all.clone(), deny(Prefixed, "orders")],
            access(Read, Literal, "orders"),
            Expect::Denied(vec![(1, Reach::Every)]),
        ),
        (
            "PREFIXED deny longer than the name does not match",
            vec![allow_all.clone(), deny(Prefixed, "orders.eu")],
            access(Read, Literal, "orders"),
            Expect::Allowed,
        ),
        (
            "LITERAL deny of another name does not match",
            vec![allow_all.clone(), deny(Literal, "order")],
            access(Read, Literal, "orders"),
            Expect::Allowed,
        ),
        (
            "a prefix access: a shorter prefix deny blocks all of it",
            vec![allow_all.clone(), deny(Prefixed, "bill")],
            access(Read, Prefixed, "billing."),
            Expect::Denied(vec![(1, Reach::Every)]),
        ),
        (
            "a prefix access: a longer prefix deny blocks some of it",
            vec![allow_all.clone(), deny(Prefixed, "billing.eu")],
            access(Read, Prefixed, "billing."),
            Expect::Denied(vec![(1, Reach::Some)]),
        ),
        (
            "a prefix access: a literal deny under the prefix blocks that topic",
            vec![allow_all.clone(), deny(Literal, "billing.eu")],
            access(Read, Prefixed, "billing."),
            Expect::Denied(vec![(1, Reach::Some)]),
        ),
        (
            "a prefix access: a literal deny elsewhere does not match",
            vec![allow_all.clone(), deny(Literal, "bill")],
            access(Read, Prefixed, "billing."),
            Expect::Allowed,
        ),
        (
            "all topics: any deny of the type blocks some, LITERAL * all",
            vec![
                allow_all.clone(),
                deny(Literal, "orders"),
                deny(Prefixed, "x"),
                deny(Literal, "*"),
            ],
            access(Read, Literal, "*"),
            Expect::Denied(vec![(3, Reach::Every), (1, Reach::Some), (2, Reach::Some)]),
        ),
        (
            "an ALLOW on one topic does not cover a prefix access",
            vec![topic(Allow, MM2, Read, Literal, "billing.eu")],
            access(Read, Prefixed, "billing."),
            Expect::NotAllowed,
        ),
        (
            "a shorter PREFIXED ALLOW covers a prefix access",
            vec![topic(Allow, MM2, Read, Prefixed, "bill")],
            access(Read, Prefixed, "billing."),
            Expect::Allowed,
        ),
        (
            "LITERAL * ALLOW covers all topics",
            vec![allow_all.clone()],
            access(Read, Literal, "*"),
            Expect::Allowed,
        ),
        (
            "a PREFIXED ALLOW does not cover all topics",
            vec![topic(Allow, MM2, Read, Prefixed, "a")],
            access(Read, Literal, "*"),
            Expect::NotAllowed,
        ),
    ]);
}

#[test]
fn implied_operations_apply_to_allow_only() {
    check(&[
        (
            "ALLOW READ implies DESCRIBE",
            vec![topic(Allow, MM2, Read, Literal, "orders")],
            access(Describe, Literal, "orders"),
            Expect::Allowed,
        ),
        (
            "ALLOW WRITE implies DESCRIBE",
            vec![topic(Allow, MM2, Write, Literal, "orders")],
            access(Describe, Literal, "orders"),
            Expect::Allowed,
        ),
        (
            "ALLOW DELETE implies DESCRIBE",
            vec![topic(Allow, MM2, Delete, Literal, "orders")],
            access(Describe, Literal, "orders"),
            Expect::Allowed,
        ),
        (
            "ALLOW ALTER implies DESCRIBE",
            vec![topic(Allow, MM2, Alter, Literal, "orders")],
            access(Describe, Literal, "orders"),
            Expect::Allowed,
        ),
        (
            "ALLOW CREATE does not imply DESCRIBE",
            vec![topic(Allow, MM2, Create, Literal, "orders")],
            access(Describe, Literal, "orders"),
            Expect::NotAllowed,
        ),
        (
            "ALLOW ALTER_CONFIGS implies DESCRIBE_CONFIGS",
            vec![topic(Allow, MM2, AlterConfigs, Literal, "orders")],
            access(DescribeConfigs, Literal, "orders"),
            Expect::Allowed,
        ),
        (
            "ALLOW DESCRIBE_CONFIGS does not imply ALTER_CONFIGS",
            vec![topic(Allow, MM2, DescribeConfigs, Literal, "orders")],
            access(AlterConfigs, Literal, "orders"),
            Expect::NotAllowed,
        ),
        (
            "ALLOW READ does not imply WRITE",
            vec![topic(Allow, MM2, Read, Literal, "orders")],
            access(Write, Literal, "orders"),
            Expect::NotAllowed,
        ),
        (
            "ALLOW ALL implies everything",
            vec![topic(Allow, MM2, All, Literal, "orders")],
            access(AlterConfigs, Literal, "orders"),
            Expect::Allowed,
        ),
        (
            "DENY READ does not deny the DESCRIBE that READ implies",
            vec![
                topic(Allow, MM2, Read, Literal, "orders"),
                topic(Deny, MM2, Read, Literal, "orders"),
            ],
            access(Describe, Literal, "orders"),
            Expect::Allowed,
        ),
        (
            "DENY ALTER_CONFIGS does not deny DESCRIBE_CONFIGS",
            vec![
                topic(Allow, MM2, AlterConfigs, Literal, "orders"),
                topic(Deny, MM2, AlterConfigs, Literal, "orders"),
            ],
            access(DescribeConfigs, Literal, "orders"),
            Expect::Allowed,
        ),
        (
            "DENY DESCRIBE denies DESCRIBE even when READ is allowed",
            vec![
                topic(Allow, MM2, Read, Literal, "orders"),
                topic(Deny, MM2, Describe, Literal, "orders"),
            ],
            access(Describe, Literal, "orders"),
            Expect::Denied(vec![(1, Reach::Every)]),
        ),
    ]);
}

#[test]
fn hosts_match_the_wildcard_or_the_client() {
    let allow = topic(Allow, MM2, Read, Literal, "orders");
    check(&[
        (
            "a DENY for one host blocks the clients of that host",
            vec![
                allow.clone(),
                binding(Deny, MM2, "10.0.0.7", Read, Topic, Literal, "orders"),
            ],
            access(Read, Literal, "orders"),
            Expect::Denied(vec![(1, Reach::Every)]),
        ),
        (
            "an ALLOW for one host does not cover a client from anywhere",
            vec![binding(
                Allow, MM2, "10.0.0.7", Read, Topic, Literal, "orders",
            )],
            access(Read, Literal, "orders"),
            Expect::NotAllowed,
        ),
        (
            "an ALLOW from host * does",
            vec![allow],
            access(Read, Literal, "orders"),
            Expect::Allowed,
        ),
    ]);
}

#[test]
fn the_same_deny_reached_twice_is_reported_once() {
    // LITERAL `*` with a LITERAL `*` access: reached as "matches every name" only once.
    let held = vec![
        topic(Allow, MM2, Read, Literal, "*"),
        topic(Deny, WILDCARD_PRINCIPAL, Read, Literal, "*"),
    ];
    assert_eq!(
        decide(&held, &access(Read, Literal, "*")),
        Expect::Denied(vec![(1, Reach::Every)])
    );
}

#[test]
fn a_planned_read_or_write_also_needs_the_describe_it_implies() {
    let read = topic(Allow, MM2, Read, Literal, "orders");
    let ops: Vec<Operation> = accesses_of(&read).map(|a| a.operation).collect();
    assert_eq!(ops, [Read, Describe]);
    let create = topic(Allow, MM2, Create, Literal, "orders");
    let ops: Vec<Operation> = accesses_of(&create).map(|a| a.operation).collect();
    assert_eq!(ops, [Create]);
}

#[test]
fn ten_thousand_topics_decide_by_lookup() {
    let held: Vec<AclBinding> = (0..10_000)
        .map(|i| topic(Allow, MM2, Read, Literal, &format!("topic-{i}")))
        .chain([topic(Deny, WILDCARD_PRINCIPAL, Read, Literal, "topic-42")])
        .collect();
    let authorizer = Authorizer::new(&held);
    let denied: Vec<usize> = (0..10_000)
        .filter(|i| {
            let name = format!("topic-{i}");
            matches!(
                authorizer.decide(&access(Read, Literal, &name)),
                Verdict::Denied(_)
            )
        })
        .collect();
    assert_eq!(denied, vec![42]);
}

#[test]
fn planned_bindings_are_checked_with_what_the_cluster_holds() {
    let planned: Vec<ClusterAcl> = [
        topic(Allow, MM2, Read, Literal, "orders"),
        topic(Allow, MM2, Read, Literal, "payments"),
        topic(Allow, MM2, Describe, Literal, "orders"),
    ]
    .into_iter()
    .map(|binding| ClusterAcl {
        cluster: "primary".into(),
        binding,
        reason: "replication: MM2 reads source topic [spec 1.1]".into(),
    })
    .collect();
    let held = vec![
        topic(Deny, WILDCARD_PRINCIPAL, Read, Literal, "orders"),
        topic(Deny, MM2, Describe, Literal, "payments"),
    ];
    let blocked: Vec<(String, usize)> = blocked_accesses(&planned, &held)
        .iter()
        .map(|b| match &b.verdict {
            Verdict::Denied(by) => (b.access.describe(), by.len()),
            other => panic!("{other:?}"),
        })
        .collect();
    // READ on orders is denied; the DESCRIBE it implies is not (and is checked once though two
    // planned bindings stand for it); the DESCRIBE READ on payments relies on is denied.
    assert_eq!(
        blocked,
        [
            ("READ by User:mm2 on topic orders".to_string(), 1),
            ("DESCRIBE by User:mm2 on topic payments".to_string(), 1),
        ]
    );
}

#[test]
fn without_a_deny_every_planned_access_is_allowed() {
    // What the shortcut of `blocked_accesses` rests on, decided access by access: planned
    // ALLOW bindings of every pattern, operation and host, with ALLOW bindings held.
    let mut planned = Vec::new();
    for (pattern, name) in [(Literal, "orders"), (Prefixed, "mm2-"), (Literal, "*")] {
        for operation in [
            Read,
            Write,
            Describe,
            Create,
            Alter,
            AlterConfigs,
            DescribeConfigs,
            Delete,
            All,
        ] {
            for host in ["*", "10.0.0.7"] {
                planned.push(binding(Allow, MM2, host, operation, Topic, pattern, name));
                planned.push(binding(Allow, MM2, host, operation, Group, pattern, name));
            }
        }
    }
    let planned: Vec<ClusterAcl> = planned
        .into_iter()
        .map(|binding| ClusterAcl {
            cluster: "primary".into(),
            binding,
            reason: "test".into(),
        })
        .collect();
    let held = [
        topic(Allow, WILDCARD_PRINCIPAL, Read, Prefixed, "m"),
        topic(Allow, "User:other", Write, Literal, "orders"),
    ];
    assert!(decide_every_access(&planned, held.iter().collect()).is_empty());
    assert!(blocked_accesses(&planned, &held).is_empty());
    // One DENY held: decided access by access again.
    let denied = [topic(Deny, MM2, Read, Literal, "orders")];
    assert!(!blocked_accesses(&planned, &denied).is_empty());
}
