//! Connecting with the admin layer over TLS and SASL/OAUTHBEARER, against test brokers whose
//! certificates and token keys are made here: SASL_SSL with a CA, mutual TLS (the principal
//! is the certificate's DN), OAUTHBEARER through a local token endpoint, and each definitive
//! failure (unknown CA, host-name mismatch, expired certificate, missing client certificate,
//! refused OAuth client) reported with its own message well before the timeout.

mod kafka_common;

use kafka_common::*;
use kafka_testbroker::pki::{CertAndKey, TestCa, TokenSigner};
use kafka_testbroker::token_endpoint::TokenEndpoint;
use kafka_testbroker::{BrokerConfig, Jwks, TestBroker, TlsListener};
use kafkamirror::kafka::config::{ClusterConnection, OAuthSettings, SaslMechanism, TlsSettings};
use kafkamirror::kafka::{KafkaAdmin, KafkaError};
use kafkamirror::secret::Secret;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// Long, so that a failure reported "well under the timeout" is clearly not a timeout.
const LONG_TIMEOUT: Duration = Duration::from_secs(60);

const MTLS_PRINCIPAL: &str = "User:CN=terraform,OU=platform";

async fn tls_broker(
    cert: &CertAndKey,
    client_ca: Option<&str>,
    config: BrokerConfig,
) -> TestBroker {
    TestBroker::start(
        "127.0.0.1:0",
        BrokerConfig {
            nodes: 1,
            super_users: vec![format!("User:{ADMIN}"), MTLS_PRINCIPAL.into()],
            tls: Some(TlsListener {
                cert_pem: cert.cert_pem.clone(),
                key_pem: cert.key_pem.clone(),
                client_ca_pem: client_ca.map(str::to_string),
            }),
            ..config
        },
    )
    .await
    .expect("start TLS test broker")
}

fn over_tls(broker: &TestBroker, ca: &str, client: Option<&CertAndKey>) -> ClusterConnection {
    ClusterConnection {
        tls: Some(TlsSettings {
            ca_cert_pem: Some(ca.to_string()),
            client_cert_pem: client.map(|c| c.cert_pem.clone()),
            client_key_pem: client.map(|c| Secret::new(c.key_pem.clone())),
            insecure_skip_verify: false,
        }),
        timeout: LONG_TIMEOUT,
        ..plaintext(broker)
    }
}

/// Connects, expecting a failure well before the timeout; the error and its message.
async fn fails_fast(connection: &ClusterConnection) -> (KafkaError, String) {
    let started = Instant::now();
    let error = KafkaAdmin::connect(connection).await.unwrap_err();
    assert!(
        started.elapsed() < connection.timeout / 2,
        "reported only after {:?}: {error}",
        started.elapsed()
    );
    let message = error.to_string();
    (error, message)
}

#[tokio::test]
async fn sasl_ssl_with_a_ca_connects_and_a_wrong_password_is_an_authentication_error() {
    let ca = TestCa::new("test CA");
    let broker = tls_broker(
        &ca.broker(&["127.0.0.1", "localhost"]),
        None,
        BrokerConfig {
            users: vec![(ADMIN.to_string(), ADMIN_PASSWORD.to_string())],
            ..BrokerConfig::default()
        },
    )
    .await;
    let mut connection = over_tls(&broker, &ca.cert_pem, None);
    connection.sasl = sasl(&broker, SaslMechanism::ScramSha512, ADMIN, ADMIN_PASSWORD).sasl;
    let admin = KafkaAdmin::connect(&connection)
        .await
        .expect("SASL_SSL connects");
    assert_eq!(admin.principal(), Some("User:admin"));
    admin
        .describe_acls(&kafkamirror::kafka::AclFilter::any())
        .await
        .expect("DescribeAcls over SASL_SSL");

    connection.sasl = sasl(&broker, SaslMechanism::ScramSha512, ADMIN, "wrong-pw-77").sasl;
    let (error, message) = fails_fast(&connection).await;
    assert!(
        matches!(error, KafkaError::AuthenticationFailed { .. }),
        "{error:?}"
    );
    assert!(
        message.contains("sasl.username and sasl.password"),
        "{message}"
    );
    assert!(message.contains(&broker.bootstrap()), "{message}");
    assert!(!message.contains("wrong-pw-77"), "{message}");
}

#[tokio::test]
async fn mutual_tls_connects_as_the_certificate_dn() {
    let ca = TestCa::new("test CA");
    let broker = tls_broker(
        &ca.broker(&["127.0.0.1"]),
        Some(&ca.cert_pem),
        BrokerConfig::default(),
    )
    .await;
    let client = ca.client(&[("OU", "platform"), ("CN", "terraform")]);
    let admin = KafkaAdmin::connect(&over_tls(&broker, &ca.cert_pem, Some(&client)))
        .await
        .expect("mutual TLS connects");
    assert_eq!(admin.principal(), Some(MTLS_PRINCIPAL));
    // The broker names the connection the same way: it is the super user, so ACL admin works.
    admin
        .check_acl_admin_rights()
        .await
        .expect("the DN principal is the super user");
}

#[tokio::test]
async fn each_tls_failure_is_reported_at_once_in_the_provider_terms() {
    let ca = TestCa::new("test CA");
    let other_ca = TestCa::new("other CA");
    let good = tls_broker(&ca.broker(&["127.0.0.1"]), None, BrokerConfig::default()).await;
    let wrong_host = tls_broker(
        &ca.broker(&["kafka.example.com"]),
        None,
        BrokerConfig::default(),
    )
    .await;
    let expired = tls_broker(
        &ca.expired_broker(&["127.0.0.1"]),
        None,
        BrokerConfig::default(),
    )
    .await;
    let mtls = tls_broker(
        &ca.broker(&["127.0.0.1"]),
        Some(&ca.cert_pem),
        BrokerConfig::default(),
    )
    .await;
    let cases = [
        (
            "unknown CA",
            over_tls(&good, &other_ca.cert_pem, None),
            "not signed by a CA in tls.ca_cert",
        ),
        (
            "host name",
            over_tls(&wrong_host, &ca.cert_pem, None),
            "not valid for host name \"127.0.0.1\"",
        ),
        (
            "expired",
            over_tls(&expired, &ca.cert_pem, None),
            "certificate has expired",
        ),
        (
            "no client certificate",
            over_tls(&mtls, &ca.cert_pem, None),
            "requires a client certificate (mutual TLS); set tls.client_cert and tls.client_key",
        ),
    ];
    for (name, connection, expected) in cases {
        let (error, message) = fails_fast(&connection).await;
        assert!(
            matches!(error, KafkaError::TlsFailed { .. }),
            "{name}: {error:?}"
        );
        assert!(message.contains(expected), "{name}: {message}");
        assert!(message.contains("cluster \"primary\""), "{name}: {message}");
        assert!(!message.contains("ssl.ca.location"), "{name}: {message}");
    }
}

#[tokio::test]
async fn oauthbearer_connects_with_a_token_from_the_endpoint_as_its_subject() {
    let signer = TokenSigner::new("kid-1");
    let jwks = Jwks::parse(signer.jwks()).unwrap();
    let endpoint = TokenEndpoint::start(signer, "terraform", "client-secret-9", "svc-terraform")
        .await
        .unwrap();
    let ca = TestCa::new("test CA");
    let broker = tls_broker(
        &ca.broker(&["127.0.0.1"]),
        None,
        BrokerConfig {
            oauth_jwks: Some(jwks),
            super_users: Vec::new(),
            ..BrokerConfig::default()
        },
    )
    .await;
    let oauth = |secret: &str| OAuthSettings {
        token_endpoint_url: endpoint.url().to_string(),
        client_id: "terraform".into(),
        client_secret: Secret::new(secret),
        scope: Some("kafka".into()),
        extensions: BTreeMap::from([("traceId".to_string(), "abc".to_string())]),
        ca_cert_pem: None,
    };
    let mut connection = over_tls(&broker, &ca.cert_pem, None);
    connection.oauth = Some(oauth("client-secret-9"));
    let admin = KafkaAdmin::connect(&connection)
        .await
        .expect("OAUTHBEARER connects");
    assert_eq!(admin.principal(), Some("User:svc-terraform"));
    assert_eq!(endpoint.issued().len(), 1);

    connection.oauth = Some(oauth("wrong-secret-5"));
    let (error, message) = fails_fast(&connection).await;
    assert!(matches!(error, KafkaError::OAuthFailed { .. }), "{error:?}");
    assert!(
        message.contains("invalid_client") && message.contains("oauth.client_id"),
        "{message}"
    );
    assert!(!message.contains("wrong-secret-5"), "{message}");
}
