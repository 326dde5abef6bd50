//! Opening a [`KafkaAdmin`]: the OAUTHBEARER token first (a refused client is reported at
//! once), then the client and one Metadata request within the timeout. An authentication
//! or definitive TLS failure ends the wait at once; a TLS failure is then explained by
//! [`tls_probe`] in the terms of the provider's `tls` block.

use std::sync::{Arc, Weak};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rdkafka::client::Client;
use rdkafka::types::RDKafkaType;

#[cfg(test)]
use super::client::is_definitive_tls_failure;
use super::client::{client_config, redact, AdminContext, Shared};
use super::KafkaAdmin;
use crate::kafka::config::{ClusterConnection, OAuthSettings};
use crate::kafka::error::KafkaError;
use crate::kafka::ffi::{self, MainQueuePump};
use crate::kafka::oauth::{fetch_token, AccessToken};
use crate::kafka::{principal, tls_probe};

/// How long before expiry a token is replaced: a fifth of its lifetime (librdkafka refreshes
/// at 80 % too), at least this much.
const MIN_REFRESH_MARGIN: Duration = Duration::from_secs(10);

/// How long a failed refresh waits before the next attempt.
const REFRESH_RETRY: Duration = Duration::from_secs(10);

impl KafkaAdmin {
    /// Builds the client and checks, within the connection's timeout, that a broker answers
    /// a Metadata request with these credentials.
    pub async fn connect(connection: &ClusterConnection) -> Result<KafkaAdmin, KafkaError> {
        let invalid = |message: String| KafkaError::InvalidSettings {
            alias: connection.alias.clone(),
            message: redact(&message, connection),
        };
        if connection.bootstrap_servers.is_empty() {
            return Err(invalid("bootstrap_servers is empty".to_string()));
        }
        let token =
            match &connection.oauth {
                Some(oauth) => Some(fetch_token(oauth, connection.timeout).await.map_err(
                    |error| KafkaError::OAuthFailed {
                        alias: connection.alias.clone(),
                        bootstrap_servers: connection.bootstrap_servers.clone(),
                        message: redact(&error.to_string(), connection),
                    },
                )?),
                None => None,
            };
        let config = client_config(connection);
        let native_config = config
            .create_native_config()
            .map_err(|e| invalid(e.to_string()))?;
        let client = Client::new(
            &config,
            native_config,
            RDKafkaType::RD_KAFKA_PRODUCER,
            AdminContext::default(),
        )
        .map_err(|e| invalid(e.to_string()))?;
        let client = Arc::new(client);
        let token_refresh = match (&connection.oauth, &token) {
            (Some(oauth), Some(token)) => {
                hand_over(&client, oauth, token).map_err(invalid)?;
                Some(TokenRefresh::start(
                    Arc::downgrade(&client),
                    oauth.clone(),
                    token.expires_at,
                    connection.timeout,
                ))
            }
            _ => None,
        };
        let pump = MainQueuePump::start(client.clone()).map_err(|e| invalid(e.to_string()))?;
        let principal = connection
            .principal
            .clone()
            .or_else(|| token.as_ref().map(|t| format!("User:{}", t.subject)))
            .or_else(|| principal::of_settings(connection));
        let admin = KafkaAdmin {
            _pump: pump,
            _token_refresh: token_refresh,
            shared: Arc::new(Shared {
                client,
                alias: connection.alias.clone(),
                bootstrap_servers: connection.bootstrap_servers.clone(),
                timeout: connection.timeout,
                credentials: credentials(connection),
            }),
            principal,
        };
        match admin.metadata().await {
            Ok(_) => Ok(admin),
            Err(error) => match (admin.shared.client.context().tls_failure(), &connection.tls) {
                (Some(reason), Some(tls)) => {
                    let server = failing_server(&reason)
                        .unwrap_or_else(|| connection.bootstrap_servers[0].clone());
                    let diagnosed = tls_probe::diagnose(tls, &server, connection.timeout).await;
                    Err(KafkaError::TlsFailed {
                        alias: connection.alias.clone(),
                        bootstrap_servers: connection.bootstrap_servers.clone(),
                        reason: match diagnosed {
                            Some(failure) => format!("{server}: {failure}"),
                            None => redact(&reason, connection),
                        },
                    })
                }
                _ => Err(error),
            },
        }
    }

    /// The principal the brokers name this connection: the `principal` setting, else what
    /// Kafka's defaults give (the token's `sub`, the SASL user, the client certificate's DN).
    pub fn principal(&self) -> Option<&str> {
        self.principal.as_deref()
    }
}

/// What an authentication failure of this connection points at.
fn credentials(connection: &ClusterConnection) -> &'static str {
    if connection.oauth.is_some() {
        "the oauth block: the brokers refused the token issued to oauth.client_id (its audience, scope or signing key)"
    } else if connection.sasl.is_some() {
        "sasl.mechanism, sasl.username and sasl.password"
    } else {
        "tls.client_cert and tls.client_key"
    }
}

/// The `host:port` a librdkafka error names (`ssl://HOST:PORT/ID: ...`).
fn failing_server(reason: &str) -> Option<String> {
    let rest = reason.split("://").nth(1)?;
    let server = rest.split('/').next()?;
    server.contains(':').then(|| server.to_string())
}

/// Hands a token to librdkafka.
fn hand_over(
    client: &Client<AdminContext>,
    oauth: &OAuthSettings,
    token: &AccessToken,
) -> Result<(), String> {
    let expires_ms = token
        .expires_at
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    let extensions: Vec<(String, String)> = oauth
        .extensions
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    ffi::set_oauth_token(
        client,
        token.value.expose(),
        expires_ms,
        &token.subject,
        &extensions,
    )
}

/// A task that fetches a new token before the current one expires and hands it over; it
/// ends when the client is gone and is aborted on drop.
pub(super) struct TokenRefresh(tokio::task::JoinHandle<()>);

impl TokenRefresh {
    fn start(
        client: Weak<Client<AdminContext>>,
        oauth: OAuthSettings,
        mut expires_at: SystemTime,
        timeout: Duration,
    ) -> TokenRefresh {
        TokenRefresh(tokio::spawn(async move {
            loop {
                let lifetime = expires_at
                    .duration_since(SystemTime::now())
                    .unwrap_or_default();
                let margin = (lifetime / 5).max(MIN_REFRESH_MARGIN);
                tokio::time::sleep(lifetime.saturating_sub(margin)).await;
                let fetched = fetch_token(&oauth, timeout).await;
                let Some(client) = client.upgrade() else {
                    return;
                };
                match fetched
                    .map_err(|e| e.to_string())
                    .and_then(|token| hand_over(&client, &oauth, &token).map(|()| token.expires_at))
                {
                    Ok(next) => expires_at = next,
                    Err(error) => {
                        log::warn!("OAuth token refresh failed: {error}");
                        expires_at = SystemTime::now() + REFRESH_RETRY + MIN_REFRESH_MARGIN;
                    }
                }
            }
        }))
    }
}

impl Drop for TokenRefresh {
    fn drop(&mut self) {
        self.0.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn certificate_failures_and_alerts_are_definitive_other_tls_errors_not() {
        let cases = [
            ("ssl://h:1/bootstrap: SSL handshake failed: error:0A000086:SSL routines::certificate verify failed: broker certificate could not be verified", true),
            ("ssl://h:1/bootstrap: Receive failed: error:0A00045C:SSL routines::tlsv13 alert certificate required: SSL alert number 116", true),
            ("ssl://h:1/bootstrap: SSL handshake failed: Disconnected: connection closed by peer", false),
            ("ssl://h:1/bootstrap: SSL alert number 0", false),
            ("ssl://h:1/bootstrap: Connect to ipv4#127.0.0.1:1 failed: Connection refused", false),
        ];
        for (reason, definitive) in cases {
            assert_eq!(is_definitive_tls_failure(reason), definitive, "{reason}");
        }
        assert_eq!(
            failing_server("ssl://127.0.0.1:9093/1: Receive failed").as_deref(),
            Some("127.0.0.1:9093")
        );
        assert_eq!(failing_server("no server here"), None);
    }
}
