//! Connecting over TLS with the admin layer against TLS test brokers whose certificates are
//! made here: SASL_SSL with a CA, mutual TLS, and each definitive TLS failure (unknown CA,
//! host-name mismatch, expired certificate, missing client certificate) reported at once
//! with its own message, well before the timeout.

mod kafka_common;

use kafka_common::*;
use kafka_testbroker::pki::{CertAndKey, TestCa};
use kafka_testbroker::{BrokerConfig, TestBroker, TlsListener};
use kafkamirror::kafka::config::{ClusterConnection, SaslMechanism, TlsSettings};
use kafkamirror::kafka::KafkaAdmin;
use kafkamirror::secret::Secret;
use std::time::Instant;

async fn tls_broker(cert: &CertAndKey, client_ca: Option<&str>, users: bool) -> TestBroker {
    TestBroker::start(
        "127.0.0.1:0",
        BrokerConfig {
            nodes: 1,
            users: if users {
                vec![(ADMIN.to_string(), ADMIN_PASSWORD.to_string())]
            } else {
                Vec::new()
            },
            super_users: vec![format!("User:{ADMIN}"), "User:CN=terraform,OU=platform".into()],
            tls: Some(TlsListener {
                cert_pem: cert.cert_pem.clone(),
                key_pem: cert.key_pem.clone(),
                client_ca_pem: client_ca.map(str::to_string),
            }),
            ..BrokerConfig::default()
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
        ..plaintext(broker)
    }
}

#[tokio::test]
async fn experiment() {
    let ca = TestCa::new("test CA");
    let good = ca.broker(&["127.0.0.1", "localhost"]);
    let client = ca.client(&[("OU", "platform"), ("CN", "terraform")]);
    let cases: Vec<(&str, TestBroker, ClusterConnection)> = vec![];
    let _ = cases;
    let b = tls_broker(&good, None, true).await;
    let mut c = over_tls(&b, &ca.cert_pem, None);
    c.sasl = sasl(&b, SaslMechanism::ScramSha256, ADMIN, ADMIN_PASSWORD).sasl;
    report("sasl_ssl ok", &c).await;
    c.sasl = sasl(&b, SaslMechanism::ScramSha256, ADMIN, "wrong").sasl;
    report("sasl_ssl wrong pw", &c).await;
    let other = TestCa::new("other CA");
    c = over_tls(&b, &other.cert_pem, None);
    report("wrong CA", &c).await;
    let wrong_host = tls_broker(&ca.broker(&["kafka.example.com"]), None, false).await;
    report("wrong host", &over_tls(&wrong_host, &ca.cert_pem, None)).await;
    let expired = tls_broker(&ca.expired_broker(&["127.0.0.1"]), None, false).await;
    report("expired", &over_tls(&expired, &ca.cert_pem, None)).await;
    let mtls = tls_broker(&good, Some(&ca.cert_pem), false).await;
    report("mtls ok", &over_tls(&mtls, &ca.cert_pem, Some(&client))).await;
    report("mtls missing", &over_tls(&mtls, &ca.cert_pem, None)).await;
    let foreign = other.client(&[("CN", "terraform")]);
    report("mtls foreign client", &over_tls(&mtls, &ca.cert_pem, Some(&foreign))).await;
}

async fn report(name: &str, c: &ClusterConnection) {
    let started = Instant::now();
    let r = KafkaAdmin::connect(c).await;
    println!("{name}: {:?} {:?}", started.elapsed(), r.err());
}
