//! A small OAuth 2.0 token endpoint for tests (RFC 6749 section 4.4, client credentials):
//! `POST` with HTTP Basic client authentication answers `{"access_token": JWT, "token_type":
//! "Bearer", "expires_in": N}` signed by a [`TokenSigner`], or 401 `invalid_client` for a wrong
//! id or secret. Plain HTTP on a loopback port; one request per connection.

use crate::pki::TokenSigner;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// Token lifetime the endpoint grants.
const LIFETIME_SECONDS: i64 = 3600;

/// A running token endpoint; stops when dropped.
pub struct TokenEndpoint {
    url: String,
    issued: Arc<Mutex<Vec<String>>>,
    task: JoinHandle<()>,
}

struct Client {
    id: String,
    secret: String,
    /// The `sub` of the tokens issued to this client.
    subject: String,
    signer: TokenSigner,
}

impl TokenEndpoint {
    /// Serves tokens for `sub` = `subject` to the client `id`/`secret`.
    pub async fn start(
        signer: TokenSigner,
        id: &str,
        secret: &str,
        subject: &str,
    ) -> std::io::Result<TokenEndpoint> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}/oauth2/token", listener.local_addr()?);
        let client = Arc::new(Client {
            id: id.to_string(),
            secret: secret.to_string(),
            subject: subject.to_string(),
            signer,
        });
        let issued = Arc::new(Mutex::new(Vec::new()));
        let counter = issued.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let client = client.clone();
                let counter = counter.clone();
                tokio::spawn(async move {
                    let _ = serve(stream, &client, &counter).await;
                });
            }
        });
        Ok(TokenEndpoint { url, issued, task })
    }

    /// The URL for `token_endpoint_url`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The tokens issued so far, oldest first (tests search output for them).
    pub fn issued(&self) -> Vec<String> {
        self.issued
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

impl Drop for TokenEndpoint {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Reads one request (headers, then `Content-Length` bytes) and answers it.
async fn serve(
    mut stream: TcpStream,
    client: &Client,
    issued: &Mutex<Vec<String>>,
) -> std::io::Result<()> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    let header_end = loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        buffer.extend_from_slice(&chunk[..n]);
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
    };
    let head = String::from_utf8_lossy(&buffer[..header_end]).to_string();
    let header = |name: &str| {
        head.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim()
                .eq_ignore_ascii_case(name)
                .then(|| value.trim().to_string())
        })
    };
    let length: usize = header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    while buffer.len() < header_end + length {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        buffer.extend_from_slice(&chunk[..n]);
    }
    let form = String::from_utf8_lossy(&buffer[header_end..]).to_string();
    let authorized = header("authorization")
        .and_then(|v| v.strip_prefix("Basic ").map(str::to_string))
        .and_then(|v| B64.decode(v).ok())
        .and_then(|v| String::from_utf8(v).ok())
        .is_some_and(|pair| {
            pair == format!(
                "{}:{}",
                form_encode(&client.id),
                form_encode(&client.secret)
            )
        });
    let (status, body) = if !head.starts_with("POST ") {
        (
            "405 Method Not Allowed",
            r#"{"error":"invalid_request"}"#.to_string(),
        )
    } else if !form
        .split('&')
        .any(|kv| kv == "grant_type=client_credentials")
    {
        (
            "400 Bad Request",
            r#"{"error":"unsupported_grant_type"}"#.to_string(),
        )
    } else if !authorized {
        (
            "401 Unauthorized",
            r#"{"error":"invalid_client","error_description":"Invalid client credentials"}"#
                .to_string(),
        )
    } else {
        let scope = form
            .split('&')
            .find_map(|kv| kv.strip_prefix("scope="))
            .map(|s| s.replace('+', " "));
        let claims = match scope {
            Some(scope) => serde_json::json!({"scope": scope}),
            None => serde_json::Value::Null,
        };
        let token = client
            .signer
            .token(&client.subject, LIFETIME_SECONDS, claims);
        issued
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(token.clone());
        (
            "200 OK",
            serde_json::json!({"access_token": token, "token_type": "Bearer", "expires_in": LIFETIME_SECONDS})
                .to_string(),
        )
    };
    let answer = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(answer.as_bytes()).await?;
    stream.shutdown().await
}

/// RFC 6749 appendix B encoding, as clients apply it to the Basic credentials.
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
