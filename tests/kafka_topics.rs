//! Topic calls of the admin layer against the in-process test broker: describe (metadata),
//! create (configs, validate_only, per-topic errors), describe configs and incremental
//! alter configs, and topic authorization.

mod kafka_common;

use kafka_common::*;
use kafkamirror::kafka::config::SaslMechanism;
use kafkamirror::kafka::{
    ConfigChange, ConfigSource, KafkaError, NewTopic, TopicConfigAlteration, TopicDescription,
    TopicLookup,
};
use kafkamirror::model::acl::{AclBinding, Operation, PatternType, ResourceType};
use std::collections::BTreeMap;

fn new_topic(name: &str, partitions: Option<u32>, replication: Option<u32>) -> NewTopic {
    NewTopic {
        name: name.to_string(),
        partitions,
        replication_factor: replication,
        configs: BTreeMap::new(),
    }
}

fn compacted(name: &str) -> NewTopic {
    NewTopic {
        configs: BTreeMap::from([("cleanup.policy".to_string(), "compact".to_string())]),
        ..new_topic(name, Some(1), Some(3))
    }
}

fn error_names<T>(
    results: &[(String, Result<T, kafkamirror::kafka::BrokerError>)],
) -> Vec<(String, String)> {
    results
        .iter()
        .map(|(topic, r)| {
            let name = match r {
                Ok(_) => "OK".to_string(),
                Err(e) => e.name.clone(),
            };
            (topic.clone(), name)
        })
        .collect()
}

#[tokio::test]
async fn topics_are_created_in_one_request_and_described_from_metadata() {
    let broker = plaintext_broker(false).await;
    let admin = connect(&plaintext(&broker)).await;
    broker.hooks().reset_counts();
    let results = admin
        .create_topics(
            &[
                compacted("mm2-offsets.source.internal"),
                new_topic("orders", Some(6), Some(2)),
                new_topic("defaults", None, None),
            ],
            false,
        )
        .await
        .unwrap();
    assert_eq!(
        broker.hooks().count(api::CREATE_TOPICS),
        1,
        "one CreateTopics request"
    );
    let mut names = error_names(&results);
    names.sort();
    assert_eq!(
        names,
        [
            ("defaults".to_string(), "OK".to_string()),
            ("mm2-offsets.source.internal".to_string(), "OK".to_string()),
            ("orders".to_string(), "OK".to_string()),
        ]
    );

    let lookups = admin
        .describe_topics(&[
            "orders".to_string(),
            "mm2-offsets.source.internal".to_string(),
            "missing".to_string(),
        ])
        .await
        .unwrap();
    assert_eq!(
        lookups,
        vec![
            TopicLookup::Exists(TopicDescription {
                name: "orders".into(),
                partitions: 6,
                replication_factor: 2
            }),
            TopicLookup::Exists(TopicDescription {
                name: "mm2-offsets.source.internal".into(),
                partitions: 1,
                replication_factor: 3
            }),
            TopicLookup::Missing {
                name: "missing".into()
            },
        ]
    );
}

#[tokio::test]
async fn per_topic_errors_carry_kafka_error_names_and_messages() {
    let broker = plaintext_broker(false).await;
    let admin = connect(&plaintext(&broker)).await;
    admin
        .create_topics(&[new_topic("exists", Some(1), Some(1))], false)
        .await
        .unwrap();
    let bad_config = NewTopic {
        configs: BTreeMap::from([("cleanup.policy".to_string(), "sometimes".to_string())]),
        ..new_topic("bad-config", Some(1), Some(1))
    };
    let unknown_config = NewTopic {
        configs: BTreeMap::from([("no.such.config".to_string(), "1".to_string())]),
        ..new_topic("unknown-config", Some(1), Some(1))
    };
    let results = admin
        .create_topics(
            &[
                new_topic("exists", Some(1), Some(1)),
                new_topic("too-many-replicas", Some(1), Some(4)),
                bad_config,
                unknown_config,
                new_topic("fine", Some(1), Some(3)),
            ],
            false,
        )
        .await
        .unwrap();
    let by_topic: BTreeMap<_, _> = results.into_iter().collect();
    let failure = |topic: &str| by_topic[topic].clone().unwrap_err();
    assert_eq!(failure("exists").name, "TOPIC_ALREADY_EXISTS");
    let replicas = failure("too-many-replicas");
    assert_eq!(replicas.name, "INVALID_REPLICATION_FACTOR");
    assert!(!replicas.message.is_empty(), "the broker's message is kept");
    assert_eq!(failure("bad-config").name, "INVALID_CONFIG");
    assert_eq!(failure("unknown-config").name, "INVALID_CONFIG");
    assert_eq!(by_topic["fine"], Ok(()));
}

#[tokio::test]
async fn validate_only_checks_everything_and_creates_nothing() {
    let broker = plaintext_broker(false).await;
    let admin = connect(&plaintext(&broker)).await;
    let results = admin
        .create_topics(
            &[
                compacted("checked"),
                new_topic("too-many-replicas", Some(1), Some(4)),
            ],
            true,
        )
        .await
        .unwrap();
    let by_topic: BTreeMap<_, _> = results.into_iter().collect();
    assert_eq!(by_topic["checked"], Ok(()));
    assert!(
        broker.topics().is_empty(),
        "validate_only created {:?}",
        broker.topics()
    );
    assert_eq!(
        by_topic["too-many-replicas"].clone().unwrap_err().name,
        "INVALID_REPLICATION_FACTOR"
    );
    assert_eq!(
        admin
            .describe_topics(&["checked".to_string()])
            .await
            .unwrap(),
        vec![TopicLookup::Missing {
            name: "checked".into()
        }]
    );
}

#[tokio::test]
async fn configs_are_described_with_their_source_and_altered_incrementally() {
    let broker = plaintext_broker(false).await;
    let admin = connect(&plaintext(&broker)).await;
    admin
        .create_topics(
            &[compacted("status"), new_topic("plain", Some(1), Some(1))],
            false,
        )
        .await
        .unwrap();

    broker.hooks().reset_counts();
    let configs = admin
        .describe_topic_configs(&["status".to_string(), "plain".to_string()])
        .await
        .unwrap();
    assert_eq!(broker.hooks().count(api::DESCRIBE_CONFIGS), 1);
    let configs: BTreeMap<_, _> = configs
        .into_iter()
        .map(|(topic, r)| (topic, r.unwrap()))
        .collect();
    let policy = &configs["status"].entries["cleanup.policy"];
    assert_eq!(policy.value.as_deref(), Some("compact"));
    assert_eq!(policy.source, ConfigSource::DynamicTopic);
    assert!(!policy.is_default);
    let default_policy = &configs["plain"].entries["cleanup.policy"];
    assert_eq!(default_policy.value.as_deref(), Some("delete"));
    assert!(default_policy.is_default);
    assert_ne!(default_policy.source, ConfigSource::DynamicTopic);

    broker.hooks().reset_counts();
    let results = admin
        .alter_topic_configs(&[
            TopicConfigAlteration {
                topic: "status".into(),
                changes: vec![
                    ConfigChange::Set {
                        name: "retention.ms".into(),
                        value: "3600000".into(),
                    },
                    ConfigChange::Delete {
                        name: "cleanup.policy".into(),
                    },
                ],
            },
            TopicConfigAlteration {
                topic: "plain".into(),
                changes: vec![ConfigChange::Set {
                    name: "cleanup.policy".into(),
                    value: "compact".into(),
                }],
            },
        ])
        .await
        .unwrap();
    assert_eq!(broker.hooks().count(api::INCREMENTAL_ALTER_CONFIGS), 1);
    assert!(results.iter().all(|(_, r)| r.is_ok()), "{results:?}");

    let after: BTreeMap<_, _> = admin
        .describe_topic_configs(&["status".to_string(), "plain".to_string()])
        .await
        .unwrap()
        .into_iter()
        .map(|(topic, r)| (topic, r.unwrap()))
        .collect();
    let status = &after["status"].entries;
    assert_eq!(status["retention.ms"].value.as_deref(), Some("3600000"));
    assert_eq!(status["retention.ms"].source, ConfigSource::DynamicTopic);
    assert!(
        status["cleanup.policy"].is_default,
        "deleted override falls back to the default"
    );
    assert_eq!(
        after["plain"].entries["cleanup.policy"].value.as_deref(),
        Some("compact")
    );
}

#[tokio::test]
async fn config_calls_report_per_topic_errors() {
    let broker = plaintext_broker(false).await;
    let admin = connect(&plaintext(&broker)).await;
    admin
        .create_topics(&[new_topic("real", Some(1), Some(1))], false)
        .await
        .unwrap();
    let described = admin
        .describe_topic_configs(&["real".to_string(), "ghost".to_string()])
        .await
        .unwrap();
    let described: BTreeMap<_, _> = described.into_iter().collect();
    assert!(described["real"].is_ok());
    assert_eq!(
        described["ghost"].as_ref().unwrap_err().name,
        "UNKNOWN_TOPIC_OR_PARTITION"
    );

    let altered = admin
        .alter_topic_configs(&[
            TopicConfigAlteration {
                topic: "ghost".into(),
                changes: vec![ConfigChange::Set {
                    name: "retention.ms".into(),
                    value: "1000".into(),
                }],
            },
            TopicConfigAlteration {
                topic: "real".into(),
                changes: vec![ConfigChange::Set {
                    name: "retention.ms".into(),
                    value: "not-a-number".into(),
                }],
            },
        ])
        .await
        .unwrap();
    let altered: BTreeMap<_, _> = altered.into_iter().collect();
    assert_eq!(
        altered["ghost"].as_ref().unwrap_err().name,
        "UNKNOWN_TOPIC_OR_PARTITION"
    );
    assert_eq!(altered["real"].as_ref().unwrap_err().name, "INVALID_CONFIG");
}

fn topic_describe(principal: &str, name: &str) -> AclBinding {
    AclBinding::allow(
        principal,
        ResourceType::Topic,
        name,
        PatternType::Literal,
        Operation::Describe,
    )
}

/// Kafka answers a Metadata request that names a topic the principal may not DESCRIBE with
/// TOPIC_AUTHORIZATION_FAILED (an all-topics request would silently leave it out): such a
/// topic is an authorization error naming it, never `Missing`, so apply does not try to create
/// a topic that exists.
#[tokio::test]
async fn describing_a_topic_without_describe_permission_is_an_authorization_error() {
    let broker = secured_broker().await;
    let admin = admin_of(&broker).await;
    let created = admin
        .create_topics(
            &[
                new_topic("secret", Some(1), Some(1)),
                new_topic("shared", Some(2), Some(3)),
            ],
            false,
        )
        .await
        .unwrap();
    assert!(
        created.iter().all(|(_, outcome)| outcome.is_ok()),
        "{created:?}"
    );
    let granted = admin
        .create_acls(&[
            topic_describe("User:alice", "shared"),
            topic_describe("User:alice", "gone"),
        ])
        .await
        .unwrap();
    assert!(granted.iter().all(Result::is_ok), "{granted:?}");
    let alice = connect(&sasl(&broker, SaslMechanism::Plain, ALICE, ALICE_PASSWORD)).await;

    let err = alice
        .describe_topics(&[
            "shared".to_string(),
            "secret".to_string(),
            "gone".to_string(),
        ])
        .await
        .unwrap_err();
    assert!(
        matches!(&err, KafkaError::AuthorizationFailed { operation, resource, error_name, .. }
            if operation == "DESCRIBE" && resource == "TOPIC secret"
                && error_name == "TOPIC_AUTHORIZATION_FAILED"),
        "{err:?}"
    );

    // Topics alice may describe: the existing one is described, the absent one is missing.
    let lookups = alice
        .describe_topics(&["gone".to_string(), "shared".to_string()])
        .await
        .unwrap();
    assert_eq!(
        lookups,
        vec![
            TopicLookup::Missing {
                name: "gone".into()
            },
            TopicLookup::Exists(TopicDescription {
                name: "shared".into(),
                partitions: 2,
                replication_factor: 3
            }),
        ]
    );
}

#[tokio::test]
async fn creating_topics_needs_create_permission() {
    let broker = secured_broker().await;
    let alice = connect(&sasl(&broker, SaslMechanism::Plain, ALICE, ALICE_PASSWORD)).await;
    let err = alice
        .create_topics(&[new_topic("orders", Some(1), Some(3))], false)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, KafkaError::AuthorizationFailed { operation, resource, error_name, .. }
            if operation == "CREATE" && resource == "TOPIC orders"
                && error_name == "TOPIC_AUTHORIZATION_FAILED"),
        "{err:?}"
    );
    // validate_only runs the authorization check too.
    let err = alice
        .create_topics(&[new_topic("orders", Some(1), Some(3))], true)
        .await
        .unwrap_err();
    assert!(
        matches!(err, KafkaError::AuthorizationFailed { .. }),
        "{err:?}"
    );

    let admin = admin_of(&broker).await;
    let results = admin
        .create_topics(&[new_topic("orders", Some(1), Some(3))], false)
        .await
        .unwrap();
    assert_eq!(results, vec![("orders".to_string(), Ok(()))]);
}
