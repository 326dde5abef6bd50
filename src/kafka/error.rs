//! Errors of the Kafka admin layer: typed so callers can react (and users can act) on each
//! class, and always naming the cluster alias. No variant ever carries a password or key.

use std::fmt;
use std::time::Duration;

/// A failure Kafka reported for one item of a batched request (one ACL binding, one filter,
/// one topic): Kafka's error name (e.g. `INVALID_REPLICATION_FACTOR`) and the broker's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerError {
    /// Kafka's upper-case error name; librdkafka-local errors start with `_` (e.g. `_TIMED_OUT`).
    pub name: String,
    pub message: String,
}

impl BrokerError {
    /// Whether Kafka refused this item for lack of an ACL.
    pub fn is_authorization_failure(&self) -> bool {
        matches!(
            self.name.as_str(),
            "CLUSTER_AUTHORIZATION_FAILED"
                | "TOPIC_AUTHORIZATION_FAILED"
                | "GROUP_AUTHORIZATION_FAILED"
                | "TRANSACTIONAL_ID_AUTHORIZATION_FAILED"
        )
    }
}

impl fmt::Display for BrokerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.message.is_empty() {
            f.write_str(&self.name)
        } else {
            write!(f, "{}: {}", self.name, self.message)
        }
    }
}

impl BrokerError {
    /// A failure as librdkafka names it, under Kafka's name. librdkafka abbreviates a few
    /// broker error names (`UNKNOWN_TOPIC_OR_PART` for Kafka's `UNKNOWN_TOPIC_OR_PARTITION`);
    /// users, Kafka's docs and other clients use Kafka's, so those are renamed here.
    pub(crate) fn from_librdkafka(librdkafka_name: &str, message: String) -> Self {
        let name = match librdkafka_name {
            "UNKNOWN" => "UNKNOWN_SERVER_ERROR",
            "INVALID_MSG" => "CORRUPT_MESSAGE",
            "UNKNOWN_TOPIC_OR_PART" => "UNKNOWN_TOPIC_OR_PARTITION",
            "INVALID_MSG_SIZE" => "INVALID_FETCH_SIZE",
            "NOT_LEADER_FOR_PARTITION" => "NOT_LEADER_OR_FOLLOWER",
            "MSG_SIZE_TOO_LARGE" => "MESSAGE_TOO_LARGE",
            "STALE_CTRL_EPOCH" => "STALE_CONTROLLER_EPOCH",
            "TOPIC_EXCEPTION" => "INVALID_TOPIC_EXCEPTION",
            other => other,
        };
        BrokerError {
            name: name.to_string(),
            message,
        }
    }
}

/// Why a whole admin call against one cluster failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KafkaError {
    /// The connection settings cannot be turned into a client (e.g. a malformed PEM string).
    #[error("cluster {alias:?}: invalid connection settings: {message}")]
    InvalidSettings { alias: String, message: String },

    /// No broker answered within the configured timeout.
    #[error(
        "cluster {alias:?}: no broker reachable at {} within {timeout:?}{}; check bootstrap_servers, the network path and the TLS settings",
        bootstrap_servers.join(","),
        last_error.as_deref().map(|e| format!(" (last error: {e})")).unwrap_or_default()
    )]
    Unreachable {
        alias: String,
        bootstrap_servers: Vec<String>,
        timeout: Duration,
        /// The last transport error librdkafka reported, if any.
        last_error: Option<String>,
    },

    /// The brokers rejected the SASL credentials (reported by the client's error callback).
    #[error("cluster {alias:?} ({}): authentication failed: {message}; check {check}", bootstrap_servers.join(","))]
    AuthenticationFailed {
        alias: String,
        bootstrap_servers: Vec<String>,
        message: String,
        /// The settings to check, in the provider's terms (e.g. `sasl.username and sasl.password`).
        check: &'static str,
    },

    /// A TLS check failed: the broker's certificate (CA, host name, validity) or the client
    /// certificate the broker requires. Definitive: reported at once, not after the timeout.
    #[error("cluster {alias:?} ({}): TLS failed: {reason}", bootstrap_servers.join(","))]
    TlsFailed {
        alias: String,
        bootstrap_servers: Vec<String>,
        /// Which check, in the terms of the provider's `tls` block.
        reason: String,
    },

    /// No OAUTHBEARER token could be obtained from the token endpoint.
    #[error("cluster {alias:?} ({}): no OAuth token: {message}; check oauth.token_endpoint_url, oauth.client_id and oauth.client_secret", bootstrap_servers.join(","))]
    OAuthFailed {
        alias: String,
        bootstrap_servers: Vec<String>,
        message: String,
    },

    /// The authenticated principal lacks an ACL for the request.
    #[error("cluster {alias:?}: not authorized to {operation} on {resource} ({error_name}); grant the provider's principal this permission")]
    AuthorizationFailed {
        alias: String,
        /// The ACL operation Kafka checks, e.g. `ALTER`.
        operation: String,
        /// The resource it checks, e.g. `CLUSTER kafka-cluster` or `TOPIC orders`.
        resource: String,
        error_name: String,
    },

    /// The cluster has no authorizer, so ACLs cannot be listed or changed.
    #[error("cluster {alias:?}: the cluster has no authorizer configured (SECURITY_DISABLED), so ACLs cannot be managed; enable an authorizer (authorizer.class.name) on the brokers")]
    SecurityDisabled { alias: String },

    /// The request was sent but no answer came within the configured timeout.
    #[error("cluster {alias:?}: {operation} got no answer within {timeout:?}")]
    Timeout {
        alias: String,
        operation: &'static str,
        timeout: Duration,
    },

    /// An input cannot be sent (e.g. a name containing a NUL byte); nothing was sent.
    #[error("cluster {alias:?}: {operation}: invalid input: {message}")]
    InvalidInput {
        alias: String,
        operation: &'static str,
        message: String,
    },

    /// The answer does not fit the request (e.g. fewer results than items sent).
    #[error("cluster {alias:?}: {operation}: unexpected response: {message}")]
    UnexpectedResponse {
        alias: String,
        operation: &'static str,
        message: String,
    },

    /// Kafka refused the whole request for another reason.
    #[error("cluster {alias:?}: {operation} failed: {error}")]
    Request {
        alias: String,
        operation: &'static str,
        error: BrokerError,
    },
}

#[cfg(test)]
mod tests {
    use super::BrokerError;

    #[test]
    fn librdkafka_abbreviations_become_kafka_error_names() {
        let cases = [
            ("UNKNOWN_TOPIC_OR_PART", "UNKNOWN_TOPIC_OR_PARTITION"),
            ("TOPIC_EXCEPTION", "INVALID_TOPIC_EXCEPTION"),
            ("INVALID_REPLICATION_FACTOR", "INVALID_REPLICATION_FACTOR"),
            ("_TIMED_OUT", "_TIMED_OUT"),
        ];
        for (librdkafka, kafka) in cases {
            assert_eq!(
                BrokerError::from_librdkafka(librdkafka, String::new()).name,
                kafka
            );
        }
    }
}
