//! ACL calls of the admin layer against the in-process test broker: batching, idempotent
//! create, filter semantics (spec section 4), per-binding errors, authorization and
//! SECURITY_DISABLED.

mod kafka_common;

use kafka_common::*;
use kafkamirror::kafka::config::SaslMechanism;
use kafkamirror::kafka::{AclFilter, KafkaError, PatternFilter, DESCRIBE_ANSWER_LIMIT};
use kafkamirror::model::acl::{AclBinding, Operation, PatternType, Permission, ResourceType};
use std::collections::BTreeSet;

fn topic_read(principal: &str, name: &str, pattern: PatternType) -> AclBinding {
    AclBinding::allow(
        principal,
        ResourceType::Topic,
        name,
        pattern,
        Operation::Read,
    )
}

fn set(bindings: impl IntoIterator<Item = AclBinding>) -> BTreeSet<AclBinding> {
    bindings.into_iter().collect()
}

#[tokio::test]
async fn many_bindings_are_created_in_one_request_and_create_is_idempotent() {
    let broker = secured_broker().await;
    let admin = admin_of(&broker).await;
    let bindings = vec![
        topic_read("User:mm2", "orders", PatternType::Literal),
        topic_read("User:mm2", "mm2-", PatternType::Prefixed),
        AclBinding::allow(
            "User:mm2",
            ResourceType::Cluster,
            "kafka-cluster",
            PatternType::Literal,
            Operation::Describe,
        ),
        AclBinding::allow(
            "User:mm2",
            ResourceType::Group,
            "mm2-group",
            PatternType::Literal,
            Operation::Read,
        ),
    ];
    broker.hooks().reset_counts();
    let results = admin.create_acls(&bindings).await.unwrap();
    assert_eq!(results, vec![Ok(()); 4]);
    assert_eq!(
        broker.hooks().count(api::CREATE_ACLS),
        1,
        "one CreateAcls request for 4 bindings"
    );

    let described = admin.describe_acls(&AclFilter::any()).await.unwrap();
    assert_eq!(set(described.clone()), set(bindings.clone()));

    // Creating the same bindings again succeeds and adds nothing.
    let again = admin.create_acls(&bindings).await.unwrap();
    assert_eq!(again, vec![Ok(()); 4]);
    assert_eq!(
        broker.acls().len(),
        bindings.len(),
        "the broker stores no duplicates"
    );
    assert_eq!(
        admin.describe_acls(&AclFilter::any()).await.unwrap().len(),
        described.len()
    );
}

#[tokio::test]
async fn delete_acls_sends_one_request_and_reports_what_each_filter_deleted() {
    let broker = secured_broker().await;
    let admin = admin_of(&broker).await;
    let keep = topic_read("User:other", "orders", PatternType::Literal);
    let first = topic_read("User:mm2", "orders", PatternType::Literal);
    let second = topic_read("User:mm2", "mm2-", PatternType::Prefixed);
    admin
        .create_acls(&[keep.clone(), first.clone(), second.clone()])
        .await
        .unwrap();

    broker.hooks().reset_counts();
    let nothing = AclFilter {
        resource_name: Some("no-such-topic".into()),
        ..AclFilter::any()
    };
    let results = admin
        .delete_acls(&[AclFilter::exact(&first), AclFilter::exact(&second), nothing])
        .await
        .unwrap();
    assert_eq!(
        broker.hooks().count(api::DELETE_ACLS),
        1,
        "one DeleteAcls request for 3 filters"
    );
    assert_eq!(
        results,
        vec![Ok(vec![first]), Ok(vec![second]), Ok(vec![])],
        "each filter reports exactly the bindings it deleted"
    );
    assert_eq!(
        admin.describe_acls(&AclFilter::any()).await.unwrap(),
        vec![keep]
    );
}

#[tokio::test]
async fn filters_follow_kafka_semantics() {
    let broker = secured_broker().await;
    let admin = admin_of(&broker).await;
    let literal = topic_read("User:a", "orders", PatternType::Literal);
    let wildcard = topic_read("User:a", "*", PatternType::Literal);
    let prefix = topic_read("User:a", "ord", PatternType::Prefixed);
    let prefixed_same_name = topic_read("User:a", "orders", PatternType::Prefixed);
    let unrelated_prefix = topic_read("User:a", "pay", PatternType::Prefixed);
    let other_literal = topic_read("User:a", "payments", PatternType::Literal);
    let any_user = topic_read("User:*", "orders", PatternType::Literal);
    let deny = AclBinding {
        permission: Permission::Deny,
        ..topic_read("User:b", "orders", PatternType::Literal)
    };
    let group = AclBinding::allow(
        "User:a",
        ResourceType::Group,
        "orders",
        PatternType::Literal,
        Operation::Read,
    );
    let all = vec![
        literal.clone(),
        wildcard.clone(),
        prefix.clone(),
        prefixed_same_name.clone(),
        unrelated_prefix.clone(),
        other_literal.clone(),
        any_user.clone(),
        deny.clone(),
        group.clone(),
    ];
    assert!(admin
        .create_acls(&all)
        .await
        .unwrap()
        .iter()
        .all(Result::is_ok));

    let on_orders = |pattern| AclFilter {
        resource_type: Some(ResourceType::Topic),
        resource_name: Some("orders".into()),
        pattern,
        ..AclFilter::any()
    };
    let describe = |filter: AclFilter| {
        let admin = &admin;
        async move { set(admin.describe_acls(&filter).await.unwrap()) }
    };

    // ANY: every pattern type, exact name.
    assert_eq!(
        describe(on_orders(PatternFilter::Any)).await,
        set([
            literal.clone(),
            prefixed_same_name.clone(),
            any_user.clone(),
            deny.clone()
        ])
    );
    // MATCH: the same name, LITERAL `*`, and prefixes of the name.
    assert_eq!(
        describe(on_orders(PatternFilter::Match)).await,
        set([
            literal.clone(),
            wildcard.clone(),
            prefix.clone(),
            prefixed_same_name.clone(),
            any_user.clone(),
            deny.clone()
        ])
    );
    // A concrete pattern type: exact type and name.
    assert_eq!(
        describe(on_orders(PatternFilter::Exact(PatternType::Literal))).await,
        set([literal.clone(), any_user.clone(), deny.clone()])
    );
    assert_eq!(
        describe(AclFilter {
            resource_name: Some("ord".into()),
            pattern: PatternFilter::Exact(PatternType::Prefixed),
            ..AclFilter::any()
        })
        .await,
        set([prefix.clone()])
    );
    // Principal compares as a plain string: `User:*` is not a wildcard in a filter.
    assert_eq!(
        describe(AclFilter::for_principal("User:*")).await,
        set([any_user.clone()])
    );
    // Resource type, permission and operation narrow the result.
    assert_eq!(
        describe(AclFilter {
            resource_type: Some(ResourceType::Group),
            ..AclFilter::any()
        })
        .await,
        set([group.clone()])
    );
    assert_eq!(
        describe(AclFilter {
            permission: Some(Permission::Deny),
            ..AclFilter::any()
        })
        .await,
        set([deny.clone()])
    );
    assert_eq!(
        describe(AclFilter {
            operation: Some(Operation::Write),
            ..AclFilter::any()
        })
        .await,
        set([])
    );
    // DeleteAcls uses the same matching: MATCH on `orders` removes what applies to it.
    let deleted = admin
        .delete_acls(&[on_orders(PatternFilter::Match)])
        .await
        .unwrap();
    assert_eq!(
        set(deleted.into_iter().next().unwrap().unwrap()),
        set([
            literal,
            wildcard,
            prefix,
            prefixed_same_name,
            any_user,
            deny
        ])
    );
    assert_eq!(
        describe(AclFilter::any()).await,
        set([unrelated_prefix, other_literal, group])
    );
}

#[tokio::test]
async fn lookups_by_principal_use_one_describe_per_principal_unless_the_answer_may_be_huge() {
    let broker = secured_broker().await;
    let admin = admin_of(&broker).await;
    let mm2 = topic_read("User:mm2", "orders", PatternType::Literal);
    let link = topic_read("User:link", "orders", PatternType::Literal);
    let other = topic_read("User:other", "orders", PatternType::Literal);
    admin
        .create_acls(&[mm2.clone(), link.clone(), other])
        .await
        .unwrap();
    let principals = vec![
        "User:mm2".to_string(),
        "User:link".to_string(),
        "User:none".to_string(),
    ];
    // A known, small answer: one DescribeAcls per principal.
    broker.hooks().reset_counts();
    let small = admin
        .describe_acls_of_principals(&principals, Some(DESCRIBE_ANSWER_LIMIT))
        .await
        .unwrap();
    assert_eq!(broker.hooks().count(api::DESCRIBE_ACLS), 3);
    // Possibly huge (or unknown) answers are split per resource type and operation:
    // librdkafka cannot parse very large answers.
    for expected in [Some(DESCRIBE_ANSWER_LIMIT + 1), None] {
        broker.hooks().reset_counts();
        let split = admin
            .describe_acls_of_principals(&principals, expected)
            .await
            .unwrap();
        let per_principal = (ResourceType::ALL.len() * Operation::ALL.len()) as u64;
        assert_eq!(broker.hooks().count(api::DESCRIBE_ACLS), 3 * per_principal);
        assert_eq!(split, small, "same answer either way");
    }
    assert_eq!(small["User:mm2"], vec![mm2]);
    assert_eq!(small["User:link"], vec![link]);
    assert_eq!(small["User:none"], vec![]);
}

#[tokio::test]
async fn per_binding_errors_carry_kafka_error_names_and_do_not_fail_the_batch() {
    let broker = secured_broker().await;
    let admin = admin_of(&broker).await;
    let good = topic_read("User:mm2", "orders", PatternType::Literal);
    let bad_cluster_name = AclBinding::allow(
        "User:mm2",
        ResourceType::Cluster,
        "not-kafka-cluster",
        PatternType::Literal,
        Operation::Describe,
    );
    let injected = topic_read("User:mm2", "rejected-topic", PatternType::Literal);
    // POLICY_VIOLATION (44) for one binding, injected by the broker's test hook.
    broker.hooks().reject_acl_bindings("rejected-", 44);
    let results = admin
        .create_acls(&[good.clone(), bad_cluster_name, injected])
        .await
        .unwrap();
    assert_eq!(results[0], Ok(()));
    let names: Vec<_> = results[1..]
        .iter()
        .map(|r| r.as_ref().unwrap_err().name.as_str())
        .collect();
    assert_eq!(names, ["INVALID_REQUEST", "POLICY_VIOLATION"]);
    assert_eq!(
        admin.describe_acls(&AclFilter::any()).await.unwrap(),
        vec![good]
    );
}

#[tokio::test]
async fn a_principal_without_cluster_acls_gets_authorization_errors() {
    let broker = secured_broker().await;
    let alice = connect(&sasl(
        &broker,
        SaslMechanism::ScramSha256,
        ALICE,
        ALICE_PASSWORD,
    ))
    .await;
    let binding = topic_read("User:mm2", "orders", PatternType::Literal);

    let err = alice
        .create_acls(std::slice::from_ref(&binding))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, KafkaError::AuthorizationFailed { alias, operation, resource, error_name }
            if alias == "primary" && operation == "ALTER" && resource == "CLUSTER kafka-cluster"
                && error_name == "CLUSTER_AUTHORIZATION_FAILED"),
        "{err:?}"
    );
    let err = alice.describe_acls(&AclFilter::any()).await.unwrap_err();
    assert!(
        matches!(&err, KafkaError::AuthorizationFailed { operation, .. } if operation == "DESCRIBE"),
        "{err:?}"
    );
    let err = alice
        .delete_acls(&[AclFilter::exact(&binding)])
        .await
        .unwrap_err();
    assert!(
        matches!(&err, KafkaError::AuthorizationFailed { operation, .. } if operation == "ALTER"),
        "{err:?}"
    );
    assert!(err.to_string().contains("not authorized"), "{err}");

    // Granting ALTER and DESCRIBE on the cluster lets alice manage ACLs.
    let admin = admin_of(&broker).await;
    let grants: Vec<_> = [Operation::Alter, Operation::Describe]
        .into_iter()
        .map(|op| {
            AclBinding::allow(
                "User:alice",
                ResourceType::Cluster,
                "kafka-cluster",
                PatternType::Literal,
                op,
            )
        })
        .collect();
    admin.create_acls(&grants).await.unwrap();
    assert_eq!(
        alice
            .create_acls(std::slice::from_ref(&binding))
            .await
            .unwrap(),
        vec![Ok(())]
    );
    assert!(alice
        .describe_acls(&AclFilter::any())
        .await
        .unwrap()
        .contains(&binding));
}

#[tokio::test]
async fn acl_calls_without_an_authorizer_report_security_disabled() {
    let broker = plaintext_broker(false).await;
    let admin = connect(&plaintext(&broker)).await;
    let binding = topic_read("User:mm2", "orders", PatternType::Literal);
    for err in [
        admin
            .create_acls(std::slice::from_ref(&binding))
            .await
            .unwrap_err(),
        admin.describe_acls(&AclFilter::any()).await.unwrap_err(),
        admin
            .delete_acls(&[AclFilter::exact(&binding)])
            .await
            .unwrap_err(),
    ] {
        assert_eq!(
            err,
            KafkaError::SecurityDisabled {
                alias: "primary".into()
            }
        );
        assert!(err.to_string().contains("no authorizer"), "{err}");
    }
}

#[tokio::test]
async fn acls_work_over_plaintext_with_an_authorizer_and_every_sasl_mechanism() {
    // PLAINTEXT: the principal is User:ANONYMOUS, which is not a super user.
    let broker = plaintext_broker(true).await;
    let anonymous = connect(&plaintext(&broker)).await;
    let err = anonymous
        .describe_acls(&AclFilter::any())
        .await
        .unwrap_err();
    assert!(
        matches!(err, KafkaError::AuthorizationFailed { .. }),
        "{err:?}"
    );

    let broker = secured_broker().await;
    for mechanism in SaslMechanism::ALL {
        let admin = connect(&sasl(&broker, *mechanism, ADMIN, ADMIN_PASSWORD)).await;
        let binding = topic_read(
            &format!("User:{}", mechanism.as_str()),
            "orders",
            PatternType::Literal,
        );
        assert_eq!(
            admin
                .create_acls(std::slice::from_ref(&binding))
                .await
                .unwrap(),
            vec![Ok(())]
        );
        assert!(admin
            .describe_acls(&AclFilter::exact(&binding))
            .await
            .unwrap()
            .contains(&binding));
    }
}

#[tokio::test]
async fn a_slow_broker_yields_a_timeout_naming_the_call() {
    let broker = secured_broker().await;
    let mut connection = sasl(&broker, SaslMechanism::Plain, ADMIN, ADMIN_PASSWORD);
    connection.timeout = std::time::Duration::from_secs(2);
    let admin = connect(&connection).await;
    broker
        .hooks()
        .delay(api::DESCRIBE_ACLS, std::time::Duration::from_secs(6));
    let started = std::time::Instant::now();
    let err = admin.describe_acls(&AclFilter::any()).await.unwrap_err();
    assert!(
        matches!(
            &err,
            KafkaError::Timeout {
                operation: "DescribeAcls",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

/// librdkafka 2.12.1 drops DescribeAcls' error code, so the layer double-checks empty
/// answers; a principal that may DESCRIBE (but not ALTER) the cluster must still get an
/// honest empty list, not an authorization error.
#[tokio::test]
async fn an_empty_answer_for_a_describe_only_principal_is_not_an_error() {
    let broker = secured_broker().await;
    let admin = admin_of(&broker).await;
    let describe_cluster = AclBinding::allow(
        "User:alice",
        ResourceType::Cluster,
        "kafka-cluster",
        PatternType::Literal,
        Operation::Describe,
    );
    admin
        .create_acls(std::slice::from_ref(&describe_cluster))
        .await
        .unwrap();
    let alice = connect(&sasl(&broker, SaslMechanism::Plain, ALICE, ALICE_PASSWORD)).await;
    assert_eq!(
        alice
            .describe_acls(&AclFilter::for_principal("User:nobody"))
            .await
            .unwrap(),
        vec![]
    );
    let by_principal = alice
        .describe_acls_of_principals(&["User:nobody".to_string()], Some(1))
        .await
        .unwrap();
    assert_eq!(by_principal["User:nobody"], vec![]);
    // The same principal still cannot change ACLs.
    let err = alice.delete_acls(&[AclFilter::any()]).await.unwrap_err();
    assert!(
        matches!(err, KafkaError::AuthorizationFailed { .. }),
        "{err:?}"
    );
    assert_eq!(broker.acls().len(), 1, "the probe deleted nothing");
}
