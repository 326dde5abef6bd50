//! OAUTHBEARER token validation as Kafka's default broker-side handler does it (KIP-768,
//! `OAuthBearerValidatorCallbackHandler` with `ValidatorAccessTokenValidator`): the token is
//! a JWS whose signature verifies with a key of the configured JWKS, that carries an `exp`
//! not in the past (30 s of clock skew allowed, jose4j's setting there) and a non-empty `sub`.
//! The principal is `User:` + `sub` (`OAuthBearerSaslServer.getAuthorizationID`). Only RS256
//! keys are supported here.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use base64::Engine;
use ring::signature::{RsaPublicKeyComponents, RSA_PKCS1_2048_8192_SHA256};
use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds of clock skew tolerated on `exp`.
const CLOCK_SKEW_SECONDS: i64 = 30;

/// The RSA public keys of a JWKS document (RFC 7517), by `kid`.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Jwks {
    keys: Vec<(Option<String>, Vec<u8>, Vec<u8>)>,
}

impl std::fmt::Debug for Jwks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kids: Vec<_> = self.keys.iter().map(|(kid, _, _)| kid).collect();
        f.debug_struct("Jwks").field("kids", &kids).finish()
    }
}

impl Jwks {
    /// Parses a JWKS JSON document, keeping its `"kty": "RSA"` keys.
    pub fn parse(json: &str) -> Result<Jwks, String> {
        let doc: serde_json::Value =
            serde_json::from_str(json).map_err(|e| format!("JWKS is not JSON: {e}"))?;
        let keys = doc
            .get("keys")
            .and_then(|k| k.as_array())
            .ok_or("JWKS has no \"keys\" array")?;
        let mut parsed = Vec::new();
        for key in keys {
            if key.get("kty").and_then(|v| v.as_str()) != Some("RSA") {
                continue;
            }
            let part = |name: &str| {
                key.get(name)
                    .and_then(|v| v.as_str())
                    .and_then(|s| B64URL.decode(s).ok())
                    .ok_or(format!("JWKS RSA key without a base64url {name:?}"))
            };
            let kid = key.get("kid").and_then(|v| v.as_str()).map(str::to_string);
            parsed.push((kid, part("n")?, part("e")?));
        }
        if parsed.is_empty() {
            return Err("JWKS has no RSA key".to_string());
        }
        Ok(Jwks { keys: parsed })
    }

    /// The token's principal (`User:` + `sub`), or why it is refused.
    pub fn validate(&self, token: &str) -> Result<String, String> {
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err("the token is not a JWS in compact serialization".into());
        };
        let json = |part: &str| -> Result<serde_json::Value, String> {
            let bytes = B64URL.decode(part).map_err(|_| "malformed base64url")?;
            serde_json::from_slice(&bytes).map_err(|_| "malformed JSON".to_string())
        };
        let header = json(header)?;
        if header.get("alg").and_then(|v| v.as_str()) != Some("RS256") {
            return Err("the token's alg is not RS256".into());
        }
        let kid = header.get("kid").and_then(|v| v.as_str());
        let signature = B64URL
            .decode(signature)
            .map_err(|_| "malformed signature")?;
        let signed = token.rsplit_once('.').map_or("", |(signed, _)| signed);
        let verified = self
            .keys
            .iter()
            .filter(|(key_id, _, _)| kid.is_none() || key_id.as_deref() == kid)
            .any(|(_, n, e)| {
                RsaPublicKeyComponents { n, e }
                    .verify(&RSA_PKCS1_2048_8192_SHA256, signed.as_bytes(), &signature)
                    .is_ok()
            });
        if !verified {
            return Err("no key of the JWKS verifies the token's signature".into());
        }
        let claims = json(payload)?;
        let exp = claims
            .get("exp")
            .and_then(|v| v.as_i64())
            .ok_or("the token has no exp claim")?;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        if exp + CLOCK_SKEW_SECONDS <= now {
            return Err("the token has expired".into());
        }
        match claims.get("sub").and_then(|v| v.as_str()) {
            Some(sub) if !sub.trim().is_empty() => Ok(format!("User:{}", sub.trim())),
            _ => Err("the token has no sub claim".into()),
        }
    }
}

/// What a client's first OAUTHBEARER message (RFC 7628 section 3.1) carries.
#[derive(Debug, PartialEq, Eq)]
pub struct InitialResponse {
    pub authorization_id: String,
    pub token: String,
}

/// Parses `n,[a=authzid],\x01key=value\x01...auth=Bearer TOKEN\x01...\x01` as
/// `OAuthBearerClientInitialResponse` does.
pub fn parse_initial_response(message: &[u8]) -> Result<InitialResponse, String> {
    let text =
        std::str::from_utf8(message).map_err(|_| "Invalid OAUTHBEARER client first message")?;
    let invalid = || "Invalid OAUTHBEARER client first message".to_string();
    let rest = text.strip_prefix("n,").ok_or_else(invalid)?;
    let (authzid, rest) = rest.split_once(",\u{1}").ok_or_else(invalid)?;
    let authorization_id = match authzid {
        "" => String::new(),
        a => a.strip_prefix("a=").ok_or_else(invalid)?.to_string(),
    };
    let pairs = rest.strip_suffix('\u{1}').ok_or_else(invalid)?;
    let mut token = None;
    for pair in pairs.split('\u{1}').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').ok_or_else(invalid)?;
        if key == "auth" {
            let (scheme, value) = value.split_once(' ').ok_or_else(invalid)?;
            if !scheme.eq_ignore_ascii_case("bearer") {
                return Err(format!(
                    "Invalid scheme in OAUTHBEARER client first message: {scheme}"
                ));
            }
            token = Some(value.trim_start().to_string());
        }
    }
    Ok(InitialResponse {
        authorization_id,
        token: token.ok_or_else(invalid)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initial_response_with_extensions_and_authzid() {
        let parsed =
            parse_initial_response(b"n,a=svc,\x01traceId=1\x01auth=Bearer abc.def.ghi\x01\x01")
                .unwrap();
        assert_eq!(
            parsed,
            InitialResponse {
                authorization_id: "svc".into(),
                token: "abc.def.ghi".into()
            }
        );
        assert!(parse_initial_response(b"n,,\x01auth=Basic xyz\x01\x01").is_err());
        assert!(parse_initial_response(b"n,,\x01host=x\x01\x01").is_err());
    }

    #[test]
    fn jwks_without_rsa_keys_is_refused() {
        assert!(Jwks::parse(r#"{"keys":[{"kty":"EC","crv":"P-256"}]}"#).is_err());
        assert!(Jwks::parse("[]").is_err());
    }
}
