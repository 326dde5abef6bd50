//! The librdkafka client of one cluster: its configuration (TLS, SASL), with secrets kept out
//! of the client's messages, the context that records what the client's callbacks report,
//! and [`Shared`], what every call needs.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rdkafka::client::{Client, ClientContext};
use rdkafka::config::{ClientConfig, RDKafkaLogLevel};
use rdkafka::types::RDKafkaErrorCode;

use crate::kafka::config::ClusterConnection;

/// What the client's callbacks have told us about the connection.
#[derive(Debug, Default)]
struct ClientHealth {
    authentication_failure: Option<String>,
    last_error: Option<String>,
}

/// The rdkafka client context: records authentication failures (so calls fail fast
/// instead of timing out) and the last other error (named when the cluster is unreachable).
#[derive(Debug, Default)]
pub(super) struct AdminContext {
    health: Mutex<ClientHealth>,
}

impl AdminContext {
    fn health(&self) -> std::sync::MutexGuard<'_, ClientHealth> {
        self.health
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(super) fn authentication_failure(&self) -> Option<String> {
        self.health().authentication_failure.clone()
    }

    pub(super) fn last_error(&self) -> Option<String> {
        self.health().last_error.clone()
    }
}

impl ClientContext for AdminContext {
    fn error(&self, error: rdkafka::error::KafkaError, reason: &str) {
        let mut health = self.health();
        let is_authentication = matches!(
            error.rdkafka_error_code(),
            Some(
                RDKafkaErrorCode::Authentication
                    | RDKafkaErrorCode::SaslAuthenticationFailed
                    | RDKafkaErrorCode::UnsupportedSASLMechanism
                    | RDKafkaErrorCode::IllegalSASLState
            )
        );
        if is_authentication {
            health.authentication_failure = Some(reason.to_string());
        } else {
            health.last_error = Some(reason.to_string());
        }
    }
}

/// What every call needs, shared with the blocking threads that run the calls.
pub(super) struct Shared {
    pub(super) client: Arc<Client<AdminContext>>,
    pub(super) alias: String,
    pub(super) bootstrap_servers: Vec<String>,
    pub(super) timeout: Duration,
}

/// The librdkafka configuration for a connection. Holds secrets: never format it.
pub(in crate::kafka) fn client_config(connection: &ClusterConnection) -> ClientConfig {
    let mut config = ClientConfig::new();
    let timeout_ms = connection.timeout.as_millis().max(1000).to_string();
    config
        .set("bootstrap.servers", connection.bootstrap_servers.join(","))
        .set("client.id", "terraform-provider-kafkamirror")
        .set("socket.connection.setup.timeout.ms", &timeout_ms)
        .set(
            "security.protocol",
            match (&connection.tls, &connection.sasl) {
                (None, None) => "plaintext",
                (Some(_), None) => "ssl",
                (None, Some(_)) => "sasl_plaintext",
                (Some(_), Some(_)) => "sasl_ssl",
            },
        )
        // Logs go to the main queue, which the pump drains without printing.
        .set_log_level(RDKafkaLogLevel::Error);
    if let Some(tls) = &connection.tls {
        if let Some(ca) = &tls.ca_cert_pem {
            config.set("ssl.ca.pem", ca);
        }
        if let Some(cert) = &tls.client_cert_pem {
            config.set("ssl.certificate.pem", cert);
        }
        if let Some(key) = &tls.client_key_pem {
            config.set("ssl.key.pem", key.expose());
        }
        if tls.insecure_skip_verify {
            config
                .set("enable.ssl.certificate.verification", "false")
                .set("ssl.endpoint.identification.algorithm", "none");
        }
    }
    if let Some(sasl) = &connection.sasl {
        config
            .set("sasl.mechanism", sasl.mechanism.as_str())
            .set("sasl.username", &sasl.username)
            .set("sasl.password", sasl.password.expose());
    }
    config
}

/// Replaces every secret of the connection that appears in `message` with `***`.
pub(in crate::kafka) fn redact(message: &str, connection: &ClusterConnection) -> String {
    let secrets = [
        connection.sasl.as_ref().map(|s| s.password.expose()),
        connection
            .tls
            .as_ref()
            .and_then(|t| t.client_key_pem.as_ref())
            .map(|k| k.expose()),
    ];
    secrets
        .into_iter()
        .flatten()
        .filter(|secret| !secret.is_empty())
        .fold(message.to_string(), |text, secret| {
            text.replace(secret, "***")
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kafka::config::{SaslMechanism, SaslSettings};
    use crate::secret::Secret;

    #[test]
    fn redact_hides_the_password_in_client_messages() {
        let connection = ClusterConnection {
            alias: "primary".into(),
            bootstrap_servers: vec!["localhost:9092".into()],
            tls: None,
            sasl: Some(SaslSettings {
                mechanism: SaslMechanism::Plain,
                username: "admin".into(),
                password: Secret::new("s3cr3t-pw"),
            }),
            timeout: Duration::from_secs(5),
        };
        let text = redact("Invalid value \"s3cr3t-pw\" for sasl.password", &connection);
        assert!(!text.contains("s3cr3t-pw"), "{text}");
    }
}
