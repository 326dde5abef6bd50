//! SASL server side: PLAIN and SCRAM-SHA-256/512 (RFC 5802 / RFC 7677) with stored salted
//! credentials, as Kafka's `PlainSaslServer` and `ScramSaslServer` do, and OAUTHBEARER
//! (RFC 7628) as Kafka's `OAuthBearerSaslServer` does, with tokens checked by [`crate::oauth`].

use crate::oauth::{parse_initial_response, Jwks};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256, Sha512};
use std::collections::BTreeMap;

/// Mechanisms the broker enables when it has users.
pub const PASSWORD_MECHANISMS: [&str; 3] = ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"];

/// The mechanism the broker enables when it has a JWKS.
pub const OAUTHBEARER: &str = "OAUTHBEARER";

/// Kafka's minimum (and kafka-storage's default) SCRAM iteration count.
const SCRAM_ITERATIONS: u32 = 4096;

/// Which SCRAM hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScramHash {
    Sha256,
    Sha512,
}

impl ScramHash {
    fn mechanism(self) -> &'static str {
        match self {
            ScramHash::Sha256 => "SCRAM-SHA-256",
            ScramHash::Sha512 => "SCRAM-SHA-512",
        }
    }

    fn hmac(self, key: &[u8], data: &[u8]) -> Vec<u8> {
        match self {
            ScramHash::Sha256 => {
                let mut mac =
                    Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
                mac.update(data);
                mac.finalize().into_bytes().to_vec()
            }
            ScramHash::Sha512 => {
                let mut mac =
                    Hmac::<Sha512>::new_from_slice(key).expect("HMAC takes any key length");
                mac.update(data);
                mac.finalize().into_bytes().to_vec()
            }
        }
    }

    fn hash(self, data: &[u8]) -> Vec<u8> {
        match self {
            ScramHash::Sha256 => Sha256::digest(data).to_vec(),
            ScramHash::Sha512 => Sha512::digest(data).to_vec(),
        }
    }

    /// RFC 5802 `Hi()` (PBKDF2 with HMAC of this hash, one block).
    fn salted_password(self, password: &str, salt: &[u8], iterations: u32) -> Vec<u8> {
        let mut block = salt.to_vec();
        block.extend_from_slice(&1u32.to_be_bytes());
        let mut u = self.hmac(password.as_bytes(), &block);
        let mut result = u.clone();
        for _ in 1..iterations {
            u = self.hmac(password.as_bytes(), &u);
            result.iter_mut().zip(&u).for_each(|(r, x)| *r ^= x);
        }
        result
    }
}

/// What the broker stores per user and mechanism (never the password itself).
#[derive(Clone)]
pub struct ScramCredential {
    salt: Vec<u8>,
    stored_key: Vec<u8>,
    server_key: Vec<u8>,
    iterations: u32,
}

impl ScramCredential {
    fn new(hash: ScramHash, password: &str) -> Self {
        let salt = random_bytes(16);
        let salted = hash.salted_password(password, &salt, SCRAM_ITERATIONS);
        let client_key = hash.hmac(&salted, b"Client Key");
        ScramCredential {
            stored_key: hash.hash(&client_key),
            server_key: hash.hmac(&salted, b"Server Key"),
            salt,
            iterations: SCRAM_ITERATIONS,
        }
    }
}

impl std::fmt::Debug for ScramCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ScramCredential(..)")
    }
}

fn random_bytes(n: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; n];
    getrandom::fill(&mut bytes).expect("the OS random source is available");
    bytes
}

/// The user database: plain passwords for PLAIN, salted credentials for SCRAM, the token
/// signing keys for OAUTHBEARER.
#[derive(Clone, Default)]
pub struct Credentials {
    plain: BTreeMap<String, String>,
    scram256: BTreeMap<String, ScramCredential>,
    scram512: BTreeMap<String, ScramCredential>,
    jwks: Option<Jwks>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("users", &self.plain.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Credentials {
    /// Builds credentials for every user and mechanism, and OAUTHBEARER with `jwks`.
    pub fn new(users: &[(String, String)], jwks: Option<Jwks>) -> Self {
        let mut credentials = Credentials {
            jwks,
            ..Credentials::default()
        };
        for (user, password) in users {
            credentials.plain.insert(user.clone(), password.clone());
            credentials.scram256.insert(
                user.clone(),
                ScramCredential::new(ScramHash::Sha256, password),
            );
            credentials.scram512.insert(
                user.clone(),
                ScramCredential::new(ScramHash::Sha512, password),
            );
        }
        credentials
    }

    /// The mechanisms these credentials enable, in the order the handshake lists them.
    pub fn mechanisms(&self) -> Vec<&'static str> {
        let mut mechanisms = Vec::new();
        if !self.plain.is_empty() {
            mechanisms.extend(PASSWORD_MECHANISMS);
        }
        if self.jwks.is_some() {
            mechanisms.push(OAUTHBEARER);
        }
        mechanisms
    }

    fn scram(&self, hash: ScramHash, user: &str) -> Option<&ScramCredential> {
        match hash {
            ScramHash::Sha256 => self.scram256.get(user),
            ScramHash::Sha512 => self.scram512.get(user),
        }
    }
}

/// Result of feeding one client token to the server.
#[derive(Debug, PartialEq, Eq)]
pub enum SaslStep {
    /// Send these bytes and wait for the next token.
    Challenge(Vec<u8>),
    /// Authenticated as this principal; send these final bytes.
    Done {
        principal: String,
        response: Vec<u8>,
    },
    /// SASL_AUTHENTICATION_FAILED with this message; the connection is then closed.
    Failed(String),
}

/// One connection's SASL exchange.
#[derive(Debug)]
pub enum SaslSession {
    Plain,
    OAuthBearer,
    /// The token was refused with this message; the client's `\x01` ends the exchange.
    OAuthBearerRefused(String),
    ScramFirst(ScramHash),
    ScramFinal {
        hash: ScramHash,
        user: String,
        nonce: String,
        auth_prefix: String,
        credential: ScramCredential,
    },
}

impl SaslSession {
    /// Starts an exchange for a mechanism name, `None` unless `credentials` enable it.
    pub fn start(credentials: &Credentials, mechanism: &str) -> Option<Self> {
        if !credentials.mechanisms().contains(&mechanism) {
            return None;
        }
        match mechanism {
            "PLAIN" => Some(SaslSession::Plain),
            "SCRAM-SHA-256" => Some(SaslSession::ScramFirst(ScramHash::Sha256)),
            "SCRAM-SHA-512" => Some(SaslSession::ScramFirst(ScramHash::Sha512)),
            OAUTHBEARER => Some(SaslSession::OAuthBearer),
            _ => None,
        }
    }

    /// Processes one client token.
    pub fn step(&mut self, credentials: &Credentials, token: &[u8]) -> SaslStep {
        match std::mem::replace(self, SaslSession::Plain) {
            SaslSession::Plain => plain_step(credentials, token),
            SaslSession::OAuthBearer => match oauth_step(credentials, token) {
                Ok(principal) => SaslStep::Done {
                    principal,
                    response: Vec::new(),
                },
                Err(OAuthRefusal::Token(detail)) => {
                    // Kafka answers a refused token with an RFC 7628 error challenge and
                    // fails once the client acknowledges it with `\x01`.
                    let message = r#"{"status":"invalid_token"}"#.to_string();
                    *self = SaslSession::OAuthBearerRefused(message.clone());
                    eprintln!("kafka-testbroker: OAUTHBEARER token refused: {detail}");
                    SaslStep::Challenge(message.into_bytes())
                }
                Err(OAuthRefusal::Exchange(message)) => SaslStep::Failed(message),
            },
            SaslSession::OAuthBearerRefused(message) => SaslStep::Failed(message),
            SaslSession::ScramFirst(hash) => match scram_first(hash, credentials, token) {
                Ok((next, challenge)) => {
                    *self = next;
                    SaslStep::Challenge(challenge)
                }
                Err(message) => SaslStep::Failed(message),
            },
            SaslSession::ScramFinal {
                hash,
                user,
                nonce,
                auth_prefix,
                credential,
            } => scram_final(hash, &user, &nonce, &auth_prefix, &credential, token),
        }
    }
}

fn plain_step(credentials: &Credentials, token: &[u8]) -> SaslStep {
    let text = String::from_utf8_lossy(token);
    let parts: Vec<&str> = text.split('\u{0}').collect();
    let [authzid, user, password] = parts.as_slice() else {
        return SaslStep::Failed("Invalid SASL/PLAIN response: expected 3 tokens".into());
    };
    if user.is_empty() {
        return SaslStep::Failed("Authentication failed: username not specified".into());
    }
    if !authzid.is_empty() && authzid != user {
        return SaslStep::Failed("Authentication failed: Client requested an authorization id that is different from username".into());
    }
    match credentials.plain.get(*user) {
        Some(expected) if expected == password => SaslStep::Done {
            principal: format!("User:{user}"),
            response: Vec::new(),
        },
        _ => SaslStep::Failed("Authentication failed: Invalid username or password".into()),
    }
}

/// Why an OAUTHBEARER client message was refused.
enum OAuthRefusal {
    /// The token failed validation (answered with an error challenge).
    Token(String),
    /// The message itself is wrong (the exchange fails at once).
    Exchange(String),
}

/// `OAuthBearerSaslServer.evaluateResponse` for a first message.
fn oauth_step(credentials: &Credentials, message: &[u8]) -> Result<String, OAuthRefusal> {
    let response = parse_initial_response(message).map_err(OAuthRefusal::Exchange)?;
    let jwks = credentials
        .jwks
        .as_ref()
        .ok_or_else(|| OAuthRefusal::Exchange("OAUTHBEARER is not enabled".into()))?;
    let principal = jwks
        .validate(&response.token)
        .map_err(OAuthRefusal::Token)?;
    let name = principal.strip_prefix("User:").unwrap_or(&principal);
    if !response.authorization_id.is_empty() && response.authorization_id != name {
        return Err(OAuthRefusal::Exchange(format!(
            "Authentication failed: Client requested an authorization id ({}) that is different from the token's principal name ({name})",
            response.authorization_id
        )));
    }
    Ok(principal)
}

/// Kafka's message for every SCRAM failure that is a `SaslException` (unknown user, bad
/// proof, malformed message): `SaslServerAuthenticator` replaces the detail with this.
fn scram_failed(hash: ScramHash) -> String {
    format!(
        "Authentication failed during authentication due to invalid credentials with SASL mechanism {}",
        hash.mechanism()
    )
}

/// Parses `gs2-header,n=user,r=nonce` and answers `r=nonce+server,s=salt,i=iterations`.
/// Unknown users fail here, as in Kafka's `ScramSaslServer`.
fn scram_first(
    hash: ScramHash,
    credentials: &Credentials,
    token: &[u8],
) -> Result<(SaslSession, Vec<u8>), String> {
    let text = std::str::from_utf8(token).map_err(|_| scram_failed(hash))?;
    let mut gs2 = text.splitn(3, ',');
    let (flag, authzid, bare) = (gs2.next(), gs2.next(), gs2.next());
    let (Some("n" | "y"), Some(authzid), Some(bare)) = (flag, authzid, bare) else {
        return Err(scram_failed(hash));
    };
    let attr = |key: &str| {
        bare.split(',')
            .find_map(|kv| kv.strip_prefix(key).map(str::to_string))
    };
    let (Some(user), Some(client_nonce)) = (attr("n="), attr("r=")) else {
        return Err(scram_failed(hash));
    };
    let user = user.replace("=2C", ",").replace("=3D", "=");
    let Some(credential) = credentials.scram(hash, &user).cloned() else {
        return Err(scram_failed(hash));
    };
    let authzid = authzid.strip_prefix("a=").unwrap_or(authzid);
    if !authzid.is_empty() && authzid != user {
        return Err("Authentication failed: Client requested an authorization id that is different from username".into());
    }
    let nonce = format!("{client_nonce}{}", B64.encode(random_bytes(18)));
    let server_first = format!(
        "r={nonce},s={},i={}",
        B64.encode(&credential.salt),
        credential.iterations
    );
    let auth_prefix = format!("{bare},{server_first}");
    Ok((
        SaslSession::ScramFinal {
            hash,
            user,
            nonce,
            auth_prefix,
            credential,
        },
        server_first.into_bytes(),
    ))
}

/// Checks `c=..,r=..,p=proof`, answers `v=server-signature`.
fn scram_final(
    hash: ScramHash,
    user: &str,
    nonce: &str,
    auth_prefix: &str,
    credential: &ScramCredential,
    token: &[u8],
) -> SaslStep {
    let failed = || SaslStep::Failed(scram_failed(hash));
    let Ok(text) = std::str::from_utf8(token) else {
        return failed();
    };
    let Some((without_proof, proof)) = text.rsplit_once(",p=") else {
        return failed();
    };
    let received_nonce = without_proof
        .split(',')
        .find_map(|kv| kv.strip_prefix("r="));
    if received_nonce != Some(nonce) {
        return failed();
    }
    let Ok(proof) = B64.decode(proof) else {
        return failed();
    };
    let auth_message = format!("{auth_prefix},{without_proof}");
    let client_signature = hash.hmac(&credential.stored_key, auth_message.as_bytes());
    if proof.len() != client_signature.len() {
        return failed();
    }
    let client_key: Vec<u8> = proof
        .iter()
        .zip(&client_signature)
        .map(|(p, s)| p ^ s)
        .collect();
    if hash.hash(&client_key) != credential.stored_key {
        return failed();
    }
    let server_signature = hash.hmac(&credential.server_key, auth_message.as_bytes());
    SaslStep::Done {
        principal: format!("User:{user}"),
        response: format!("v={}", B64.encode(server_signature)).into_bytes(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal SCRAM client (RFC 5802 section 3) to drive the server.
    fn scram_client(
        hash: ScramHash,
        credentials: &Credentials,
        user: &str,
        password: &str,
    ) -> SaslStep {
        let mut session = SaslSession::ScramFirst(hash);
        let client_first_bare = format!("n={user},r=clientnonce");
        let server_first =
            match session.step(credentials, format!("n,,{client_first_bare}").as_bytes()) {
                SaslStep::Challenge(server_first) => server_first,
                other => return other,
            };
        let server_first = String::from_utf8(server_first).unwrap();
        let attr = |k: &str| {
            server_first
                .split(',')
                .find_map(|kv| kv.strip_prefix(k))
                .unwrap()
                .to_string()
        };
        let (nonce, salt, iterations) = (
            attr("r="),
            B64.decode(attr("s=")).unwrap(),
            attr("i=").parse().unwrap(),
        );
        assert!(nonce.starts_with("clientnonce"));
        let salted = hash.salted_password(password, &salt, iterations);
        let client_key = hash.hmac(&salted, b"Client Key");
        let without_proof = format!("c=biws,r={nonce}");
        let auth_message = format!("{client_first_bare},{server_first},{without_proof}");
        let signature = hash.hmac(&hash.hash(&client_key), auth_message.as_bytes());
        let proof: Vec<u8> = client_key
            .iter()
            .zip(&signature)
            .map(|(a, b)| a ^ b)
            .collect();
        let step = session.step(
            credentials,
            format!("{without_proof},p={}", B64.encode(proof)).as_bytes(),
        );
        if let SaslStep::Done { response, .. } = &step {
            let expected = hash.hmac(&hash.hmac(&salted, b"Server Key"), auth_message.as_bytes());
            assert_eq!(
                response,
                &format!("v={}", B64.encode(expected)).into_bytes()
            );
        }
        step
    }

    #[test]
    fn scram_accepts_right_password_and_rejects_wrong_one() {
        let credentials = Credentials::new(&[("alice".into(), "s3cret".into())], None);
        for hash in [ScramHash::Sha256, ScramHash::Sha512] {
            assert!(
                matches!(scram_client(hash, &credentials, "alice", "s3cret"), SaslStep::Done { ref principal, .. } if principal == "User:alice")
            );
            assert!(matches!(
                scram_client(hash, &credentials, "alice", "wrong"),
                SaslStep::Failed(_)
            ));
            // Unknown users fail on the first message with Kafka's generic message.
            assert_eq!(
                scram_client(hash, &credentials, "mallory", "s3cret"),
                SaslStep::Failed(scram_failed(hash))
            );
        }
    }

    #[test]
    fn scram_rejects_an_authorization_id_other_than_the_user() {
        let credentials = Credentials::new(&[("alice".into(), "s3cret".into())], None);
        let mut session = SaslSession::ScramFirst(ScramHash::Sha256);
        let step = session.step(&credentials, b"n,a=bob,n=alice,r=nonce");
        assert_eq!(
            step,
            SaslStep::Failed("Authentication failed: Client requested an authorization id that is different from username".into())
        );
    }

    #[test]
    fn plain_checks_password() {
        let credentials = Credentials::new(&[("alice".into(), "s3cret".into())], None);
        assert!(matches!(
            plain_step(&credentials, b"\0alice\0s3cret"),
            SaslStep::Done { .. }
        ));
        assert_eq!(
            plain_step(&credentials, b"\0alice\0nope"),
            SaslStep::Failed("Authentication failed: Invalid username or password".into())
        );
    }
}
