//! SASL/OAUTHBEARER tokens by the OAuth 2.0 client-credentials grant (RFC 6749 section 4.4):
//! one POST to the token endpoint, client authenticated with HTTP Basic (section 2.3.1), as
//! librdkafka's `sasl.oauthbearer.method=oidc` does. Tokens are fetched here, not by
//! librdkafka, so that the binary needs no libcurl, a refused client is reported at once as
//! such, and the token's `sub` (the principal Kafka's default validator names) is known to
//! the self-lockout guard.

use super::config::OAuthSettings;
use crate::secret::Secret;
use base64::engine::general_purpose::{STANDARD as B64, URL_SAFE_NO_PAD as B64URL};
use base64::Engine;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

/// Largest token endpoint answer read.
const MAX_ANSWER_BYTES: usize = 1 << 20;

/// A token to hand to librdkafka.
#[derive(Debug, Clone)]
pub struct AccessToken {
    pub value: Secret,
    /// The token's `sub` claim (librdkafka's and Kafka's principal name).
    pub subject: String,
    /// When the token expires (`exp`, else now + `expires_in`).
    pub expires_at: SystemTime,
}

/// Why no token was obtained. No variant carries the client secret or a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenError {
    /// `token_endpoint_url` is not an http(s) URL with a host.
    InvalidUrl(String),
    /// The endpoint could not be reached (connect, TLS or HTTP failure, or timeout).
    Unreachable(String),
    /// The endpoint refused: HTTP status and the OAuth `error` / `error_description`.
    Refused {
        status: u16,
        error: Option<String>,
        description: Option<String>,
    },
    /// The answer is not a usable token (no `access_token`, not a JWT with `sub`).
    BadAnswer(String),
}

impl std::fmt::Display for TokenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TokenError::InvalidUrl(message) => write!(f, "invalid token_endpoint_url: {message}"),
            TokenError::Unreachable(message) => {
                write!(f, "the token endpoint cannot be reached: {message}")
            }
            TokenError::Refused {
                status,
                error,
                description,
            } => {
                write!(f, "the token endpoint refused the client (HTTP {status}")?;
                if let Some(error) = error {
                    write!(f, ", {error}")?;
                }
                if let Some(description) = description {
                    write!(f, ": {description}")?;
                }
                f.write_str(")")
            }
            TokenError::BadAnswer(message) => {
                write!(f, "the token endpoint's answer is not usable: {message}")
            }
        }
    }
}

/// Fetches a token within `timeout`.
pub async fn fetch_token(
    settings: &OAuthSettings,
    timeout: Duration,
) -> Result<AccessToken, TokenError> {
    match tokio::time::timeout(timeout, fetch(settings)).await {
        Ok(result) => result,
        Err(_) => Err(TokenError::Unreachable(format!(
            "no answer within {timeout:?}"
        ))),
    }
}

async fn fetch(settings: &OAuthSettings) -> Result<AccessToken, TokenError> {
    let uri: http::Uri = settings
        .token_endpoint_url
        .parse()
        .map_err(|e: http::uri::InvalidUri| TokenError::InvalidUrl(e.to_string()))?;
    let https = match uri.scheme_str() {
        Some("https") => true,
        Some("http") => false,
        _ => {
            return Err(TokenError::InvalidUrl(
                "the scheme must be https or http".into(),
            ))
        }
    };
    let host = uri
        .host()
        .ok_or_else(|| TokenError::InvalidUrl("no host".into()))?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
    let tcp = TcpStream::connect((host.as_str(), port))
        .await
        .map_err(|e| TokenError::Unreachable(format!("{host}:{port}: {e}")))?;
    let request = request(settings, &uri)?;
    let (status, body) = if https {
        let connector = tokio_rustls::TlsConnector::from(tls_config(settings)?);
        let name = rustls::pki_types::ServerName::try_from(host.clone())
            .map_err(|e| TokenError::InvalidUrl(e.to_string()))?;
        let tls = connector
            .connect(name, tcp)
            .await
            .map_err(|e| TokenError::Unreachable(format!("TLS to {host}:{port}: {e}")))?;
        exchange(tls, request).await?
    } else {
        exchange(tcp, request).await?
    };
    answer(status, &body)
}

/// The form POST: `grant_type=client_credentials`, `scope` when set, Basic client auth.
fn request(
    settings: &OAuthSettings,
    uri: &http::Uri,
) -> Result<http::Request<Full<Bytes>>, TokenError> {
    let mut form = String::from("grant_type=client_credentials");
    if let Some(scope) = &settings.scope {
        form.push_str("&scope=");
        form.push_str(&form_encode(scope));
    }
    let credentials = format!(
        "{}:{}",
        form_encode(&settings.client_id),
        form_encode(settings.client_secret.expose())
    );
    let authority = uri.authority().map(|a| a.as_str()).unwrap_or_default();
    http::Request::post(uri.path_and_query().map_or("/", |p| p.as_str()))
        .header(http::header::HOST, authority)
        .header(http::header::ACCEPT, "application/json")
        .header(
            http::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        )
        .header(
            http::header::AUTHORIZATION,
            format!("Basic {}", B64.encode(credentials)),
        )
        .body(Full::new(Bytes::from(form)))
        .map_err(|e| TokenError::InvalidUrl(e.to_string()))
}

/// RFC 6749 appendix B: `application/x-www-form-urlencoded` encoding.
fn form_encode(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => {
                out.push(byte as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

fn tls_config(settings: &OAuthSettings) -> Result<Arc<rustls::ClientConfig>, TokenError> {
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    match &settings.ca_cert_pem {
        Some(pem) => {
            for cert in rustls::pki_types::CertificateDer::pem_slice_iter(pem.as_bytes()) {
                let cert =
                    cert.map_err(|e| TokenError::InvalidUrl(format!("oauth.ca_cert: {e}")))?;
                roots
                    .add(cert)
                    .map_err(|e| TokenError::InvalidUrl(format!("oauth.ca_cert: {e}")))?;
            }
        }
        None => {
            for cert in super::system_roots::system_roots() {
                // A system certificate rustls cannot use is skipped, as OpenSSL would.
                let _ = roots.add(cert);
            }
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TokenError::Unreachable(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// Sends one HTTP/1.1 request and reads the whole answer.
async fn exchange<S>(
    stream: S,
    request: http::Request<Full<Bytes>>,
) -> Result<(u16, Bytes), TokenError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let http_error = |e: hyper::Error| TokenError::Unreachable(format!("HTTP: {e}"));
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(http_error)?;
    let driver = tokio::spawn(connection);
    let response = sender.send_request(request).await.map_err(http_error)?;
    let status = response.status().as_u16();
    let body = http_body_util::Limited::new(response.into_body(), MAX_ANSWER_BYTES)
        .collect()
        .await
        .map_err(|e| TokenError::Unreachable(format!("HTTP: {e}")))?
        .to_bytes();
    driver.abort();
    Ok((status, body))
}

/// Reads a token endpoint answer (RFC 6749 sections 5.1 and 5.2).
fn answer(status: u16, body: &[u8]) -> Result<AccessToken, TokenError> {
    let json: Option<serde_json::Value> = serde_json::from_slice(body).ok();
    let field = |name: &str| {
        json.as_ref()
            .and_then(|j| j.get(name))
            .and_then(|v| v.as_str())
            .map(str::to_string)
    };
    if !(200..300).contains(&status) {
        return Err(TokenError::Refused {
            status,
            error: field("error"),
            description: field("error_description"),
        });
    }
    let token =
        field("access_token").ok_or_else(|| TokenError::BadAnswer("no access_token".into()))?;
    let claims = token
        .split('.')
        .nth(1)
        .and_then(|payload| B64URL.decode(payload.trim_end_matches('=')).ok())
        .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
        .ok_or_else(|| TokenError::BadAnswer("the access token is not a JWT".into()))?;
    let subject = claims
        .get("sub")
        .and_then(|v| v.as_str())
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| TokenError::BadAnswer("the access token has no sub claim".into()))?
        .to_string();
    let expires_at = match claims.get("exp").and_then(|v| v.as_u64()) {
        Some(exp) => UNIX_EPOCH + Duration::from_secs(exp),
        None => {
            let expires_in = json
                .as_ref()
                .and_then(|j| j.get("expires_in"))
                .and_then(|v| v.as_u64())
                .ok_or_else(|| TokenError::BadAnswer("neither exp nor expires_in".into()))?;
            SystemTime::now() + Duration::from_secs(expires_in)
        }
    };
    Ok(AccessToken {
        value: Secret::new(token),
        subject,
        expires_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(claims: serde_json::Value) -> String {
        format!(
            "{}.{}.sig",
            B64URL.encode(r#"{"alg":"RS256"}"#),
            B64URL.encode(claims.to_string())
        )
    }

    #[test]
    fn answers_become_tokens_or_typed_refusals() {
        let token = jwt(serde_json::json!({"sub": "svc", "exp": 4_000_000_000u64}));
        let ok = answer(
            200,
            serde_json::json!({"access_token": token})
                .to_string()
                .as_bytes(),
        )
        .unwrap();
        assert_eq!(ok.subject, "svc");
        assert_eq!(ok.value.expose(), token);
        assert_eq!(
            ok.expires_at,
            UNIX_EPOCH + Duration::from_secs(4_000_000_000)
        );

        let refused = answer(
            401,
            br#"{"error":"invalid_client","error_description":"bad secret"}"#,
        );
        assert_eq!(
            refused.unwrap_err(),
            TokenError::Refused {
                status: 401,
                error: Some("invalid_client".into()),
                description: Some("bad secret".into())
            }
        );
        assert!(matches!(
            answer(500, b"oops"),
            Err(TokenError::Refused {
                status: 500,
                error: None,
                ..
            })
        ));
        let no_sub = jwt(serde_json::json!({"exp": 4_000_000_000u64}));
        assert!(matches!(
            answer(
                200,
                serde_json::json!({"access_token": no_sub})
                    .to_string()
                    .as_bytes()
            ),
            Err(TokenError::BadAnswer(_))
        ));
        let opaque = serde_json::json!({"access_token": "opaque", "expires_in": 60}).to_string();
        assert!(matches!(
            answer(200, opaque.as_bytes()),
            Err(TokenError::BadAnswer(_))
        ));
    }

    #[test]
    fn form_encoding_escapes_reserved_characters() {
        assert_eq!(form_encode("a b:c/d+e%"), "a+b%3Ac%2Fd%2Be%25");
    }
}
