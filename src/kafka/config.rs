//! How to reach one Kafka cluster: what the provider's `cluster` block turns into.

use crate::secret::Secret;
use std::collections::BTreeMap;
use std::time::Duration;

/// Connection settings for one cluster, keyed in the provider by `alias`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterConnection {
    /// The provider's cluster key, e.g. `primary`; named in every error about this cluster.
    pub alias: String,
    pub bootstrap_servers: Vec<String>,
    pub tls: Option<TlsSettings>,
    /// SASL with a password mechanism; at most one of `sasl` and `oauth` is set.
    pub sasl: Option<SaslSettings>,
    /// SASL/OAUTHBEARER with tokens from an OAuth token endpoint.
    pub oauth: Option<OAuthSettings>,
    /// The principal the brokers name this connection, when the user states it (brokers
    /// whose principal builder or mapping rules differ from Kafka's defaults).
    pub principal: Option<String>,
    /// Upper bound for connecting and for each admin request.
    pub timeout: Duration,
}

/// TLS to the brokers. PEM strings, not file paths (HCL's `file()` reads them).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TlsSettings {
    pub ca_cert_pem: Option<String>,
    pub client_cert_pem: Option<String>,
    pub client_key_pem: Option<Secret>,
    pub insecure_skip_verify: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SaslMechanism {
    Plain,
    ScramSha256,
    ScramSha512,
}

impl SaslMechanism {
    pub const ALL: &'static [SaslMechanism] = &[
        SaslMechanism::Plain,
        SaslMechanism::ScramSha256,
        SaslMechanism::ScramSha512,
    ];

    /// The name Kafka and librdkafka use (`sasl.mechanism`).
    pub fn as_str(self) -> &'static str {
        match self {
            SaslMechanism::Plain => "PLAIN",
            SaslMechanism::ScramSha256 => "SCRAM-SHA-256",
            SaslMechanism::ScramSha512 => "SCRAM-SHA-512",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|m| m.as_str() == name)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaslSettings {
    pub mechanism: SaslMechanism,
    pub username: String,
    pub password: Secret,
}

/// SASL/OAUTHBEARER by the OAuth client-credentials grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthSettings {
    pub token_endpoint_url: String,
    pub client_id: String,
    pub client_secret: Secret,
    pub scope: Option<String>,
    /// SASL extensions sent with the token (e.g. Confluent Cloud's `logicalCluster`).
    pub extensions: BTreeMap<String, String>,
    /// PEM CA certificate(s) for an https token endpoint; `None`: the system trust store.
    pub ca_cert_pem: Option<String>,
}
