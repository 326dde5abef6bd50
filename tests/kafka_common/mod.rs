//! Shared setup for the admin-layer integration tests: in-process test brokers and the
//! connection settings that reach them.

#![allow(dead_code)] // each test crate uses a different subset of these helpers

use kafka_testbroker::{BrokerConfig, TestBroker};
use kafkamirror::kafka::config::{ClusterConnection, SaslMechanism, SaslSettings};
use kafkamirror::kafka::KafkaAdmin;
use kafkamirror::secret::Secret;
use std::time::Duration;

pub const ADMIN: &str = "admin";
pub const ADMIN_PASSWORD: &str = "admin-secret";
pub const ALICE: &str = "alice";
pub const ALICE_PASSWORD: &str = "alice-secret";

/// Long enough that a fast failure is clearly not a timeout.
pub const TIMEOUT: Duration = Duration::from_secs(30);

/// Kafka API keys the tests count requests for.
pub mod api {
    pub const METADATA: i16 = 3;
    pub const CREATE_TOPICS: i16 = 19;
    pub const DESCRIBE_ACLS: i16 = 29;
    pub const CREATE_ACLS: i16 = 30;
    pub const DELETE_ACLS: i16 = 31;
    pub const DESCRIBE_CONFIGS: i16 = 32;
    pub const INCREMENTAL_ALTER_CONFIGS: i16 = 44;
}

/// A 3-node broker with SASL users `admin` (super user) and `alice`, and an authorizer.
pub async fn secured_broker() -> TestBroker {
    TestBroker::start(
        "127.0.0.1:0",
        BrokerConfig {
            nodes: 3,
            users: vec![
                (ADMIN.to_string(), ADMIN_PASSWORD.to_string()),
                (ALICE.to_string(), ALICE_PASSWORD.to_string()),
            ],
            super_users: vec![format!("User:{ADMIN}")],
            authorizer: true,
            ..BrokerConfig::default()
        },
    )
    .await
    .expect("start secured test broker")
}

/// A 3-node PLAINTEXT broker; `authorizer` decides whether the ACL APIs work.
pub async fn plaintext_broker(authorizer: bool) -> TestBroker {
    TestBroker::start(
        "127.0.0.1:0",
        BrokerConfig {
            nodes: 3,
            authorizer,
            ..BrokerConfig::default()
        },
    )
    .await
    .expect("start plaintext test broker")
}

pub fn plaintext(broker: &TestBroker) -> ClusterConnection {
    ClusterConnection {
        alias: "primary".to_string(),
        bootstrap_servers: vec![broker.bootstrap()],
        tls: None,
        sasl: None,
        oauth: None,
        principal: None,
        timeout: TIMEOUT,
    }
}

pub fn sasl(
    broker: &TestBroker,
    mechanism: SaslMechanism,
    user: &str,
    password: &str,
) -> ClusterConnection {
    ClusterConnection {
        sasl: Some(SaslSettings {
            mechanism,
            username: user.to_string(),
            password: Secret::new(password),
        }),
        ..plaintext(broker)
    }
}

pub async fn connect(connection: &ClusterConnection) -> KafkaAdmin {
    KafkaAdmin::connect(connection)
        .await
        .unwrap_or_else(|e| panic!("connect: {e}"))
}

/// The super user over SASL/SCRAM-SHA-512.
pub async fn admin_of(broker: &TestBroker) -> KafkaAdmin {
    connect(&sasl(
        broker,
        SaslMechanism::ScramSha512,
        ADMIN,
        ADMIN_PASSWORD,
    ))
    .await
}
