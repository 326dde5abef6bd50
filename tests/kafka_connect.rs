//! Connecting with the admin layer: SASL mechanisms, wrong passwords (authentication errors,
//! not timeouts, and no secrets in messages), unreachable clusters and invalid TLS settings.
//! How long these take is the benchmark's business, not these tests'.

mod kafka_common;

use kafka_common::*;
use kafkamirror::kafka::config::{ClusterConnection, SaslMechanism, TlsSettings};
use kafkamirror::kafka::{KafkaAdmin, KafkaError};
use std::time::Duration;

#[tokio::test]
async fn every_sasl_mechanism_connects() {
    let broker = secured_broker().await;
    for mechanism in SaslMechanism::ALL {
        let admin = KafkaAdmin::connect(&sasl(&broker, *mechanism, ALICE, ALICE_PASSWORD)).await;
        assert!(admin.is_ok(), "{mechanism:?}: {:?}", admin.err());
    }
}

#[tokio::test]
async fn a_wrong_password_is_an_authentication_error_not_a_timeout() {
    let broker = secured_broker().await;
    for mechanism in SaslMechanism::ALL {
        let connection = sasl(&broker, *mechanism, ADMIN, "wrong-password-42");
        assert_eq!(connection.timeout, TIMEOUT);
        let err = KafkaAdmin::connect(&connection).await.unwrap_err();
        // Only the client's authentication report ends the wait this way: had it been
        // missed, connect would have waited out the timeout and answered Unreachable.
        assert!(
            matches!(&err, KafkaError::AuthenticationFailed { alias, .. } if alias == "primary"),
            "{mechanism:?}: {err:?}"
        );
        let text = format!("{err} {err:?}");
        assert!(!text.contains("wrong-password-42"), "{text}");
    }
}

#[tokio::test]
async fn an_unknown_user_fails_with_an_authentication_error() {
    let broker = secured_broker().await;
    let err = KafkaAdmin::connect(&sasl(&broker, SaslMechanism::ScramSha256, "mallory", "x"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, KafkaError::AuthenticationFailed { .. }),
        "{err:?}"
    );
}

/// A local address nothing listens on.
fn closed_port_address() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap().to_string();
    drop(listener);
    address
}

#[tokio::test]
async fn an_unreachable_cluster_is_named_within_the_timeout() {
    let address = closed_port_address();
    let connection = ClusterConnection {
        alias: "backup".into(),
        bootstrap_servers: vec![address.clone()],
        tls: None,
        sasl: None,
        timeout: Duration::from_secs(3),
    };
    let err = KafkaAdmin::connect(&connection).await.unwrap_err();
    match &err {
        KafkaError::Unreachable {
            alias,
            bootstrap_servers,
            timeout,
            ..
        } => {
            assert_eq!(alias, "backup");
            assert_eq!(bootstrap_servers, &vec![address.clone()]);
            assert_eq!(*timeout, Duration::from_secs(3));
        }
        other => panic!("expected Unreachable, got {other:?}"),
    }
    let text = err.to_string();
    assert!(text.contains("backup") && text.contains(&address), "{text}");
}

#[tokio::test]
async fn tls_to_a_plaintext_listener_is_reported_unreachable_not_hung() {
    let broker = plaintext_broker(false).await;
    let connection = ClusterConnection {
        tls: Some(TlsSettings {
            insecure_skip_verify: true,
            ..TlsSettings::default()
        }),
        timeout: Duration::from_secs(3),
        ..plaintext(&broker)
    };
    // A guard against a hang, not a measurement: connect gives up after its own timeout.
    let err = tokio::time::timeout(Duration::from_secs(120), KafkaAdmin::connect(&connection))
        .await
        .expect("connect returns instead of hanging")
        .unwrap_err();
    assert!(matches!(err, KafkaError::Unreachable { .. }), "{err:?}");
}

#[tokio::test]
async fn malformed_pem_settings_are_invalid_settings_without_the_key() {
    let connection = ClusterConnection {
        alias: "primary".into(),
        bootstrap_servers: vec!["127.0.0.1:9".into()],
        tls: Some(TlsSettings {
            ca_cert_pem: Some("not a certificate".into()),
            client_cert_pem: Some("not a certificate either".into()),
            client_key_pem: Some(kafkamirror::secret::Secret::new("PRIVATE-KEY-MATERIAL")),
            insecure_skip_verify: false,
        }),
        sasl: None,
        timeout: Duration::from_secs(3),
    };
    let err = KafkaAdmin::connect(&connection).await.unwrap_err();
    assert!(matches!(err, KafkaError::InvalidSettings { .. }), "{err:?}");
    let text = format!("{err} {err:?}");
    assert!(!text.contains("PRIVATE-KEY-MATERIAL"), "{text}");
}
