//! Certificates and tokens for tests, made at run time: a CA, broker and client certificates
//! (also expired ones and ones for another host name), and an RSA key that signs RS256 JWTs
//! with its JWKS document. Nothing here is used by the broker itself.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use base64::Engine;
use rcgen::{
    date_time_ymd, BasicConstraints, CertificateParams, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose, SanType,
};
use rsa::pkcs1v15::SigningKey;
use rsa::signature::{SignatureEncoding, Signer};
use rsa::traits::PublicKeyParts;
use rsa::RsaPrivateKey;
use std::time::{SystemTime, UNIX_EPOCH};

/// A PEM certificate and its PEM private key.
#[derive(Clone)]
pub struct CertAndKey {
    pub cert_pem: String,
    pub key_pem: String,
}

/// A certificate authority that issues broker and client certificates.
pub struct TestCa {
    issuer: Issuer<'static, KeyPair>,
    /// The CA certificate, PEM.
    pub cert_pem: String,
}

impl TestCa {
    /// A fresh CA named `CN=<name>`.
    pub fn new(name: &str) -> TestCa {
        let key = KeyPair::generate().expect("an ECDSA key");
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        params.distinguished_name = DistinguishedName::new();
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let cert = params.self_signed(&key).expect("a self-signed CA");
        TestCa {
            cert_pem: cert.pem(),
            issuer: Issuer::new(params, key),
        }
    }

    /// A broker certificate for these DNS names and IP addresses, valid now.
    pub fn broker(&self, names: &[&str]) -> CertAndKey {
        self.issue(names, None, ExtendedKeyUsagePurpose::ServerAuth, false)
    }

    /// A broker certificate for these names that expired in 2001.
    pub fn expired_broker(&self, names: &[&str]) -> CertAndKey {
        self.issue(names, None, ExtendedKeyUsagePurpose::ServerAuth, true)
    }

    /// A client certificate with this subject, given as `(type, value)` pairs in encoding
    /// order (RFC 2253 writes them reversed: `[("OU", "platform"), ("CN", "terraform")]`
    /// reads `CN=terraform,OU=platform`).
    pub fn client(&self, subject: &[(&str, &str)]) -> CertAndKey {
        self.issue(
            &[],
            Some(subject),
            ExtendedKeyUsagePurpose::ClientAuth,
            false,
        )
    }

    fn issue(
        &self,
        names: &[&str],
        subject: Option<&[(&str, &str)]>,
        usage: ExtendedKeyUsagePurpose,
        expired: bool,
    ) -> CertAndKey {
        let key = KeyPair::generate().expect("an ECDSA key");
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
        params.subject_alt_names = names
            .iter()
            .map(|name| match name.parse() {
                Ok(ip) => SanType::IpAddress(ip),
                Err(_) => SanType::DnsName((*name).try_into().expect("a DNS name")),
            })
            .collect();
        params.distinguished_name = DistinguishedName::new();
        match subject {
            Some(rdns) => {
                for (kind, value) in rdns {
                    let kind = match *kind {
                        "CN" => DnType::CommonName,
                        "OU" => DnType::OrganizationalUnitName,
                        "O" => DnType::OrganizationName,
                        "C" => DnType::CountryName,
                        "L" => DnType::LocalityName,
                        "ST" => DnType::StateOrProvinceName,
                        other => panic!("unsupported DN attribute {other}"),
                    };
                    params.distinguished_name.push(kind, *value);
                }
            }
            None => params.distinguished_name.push(
                DnType::CommonName,
                names.first().copied().unwrap_or("broker"),
            ),
        }
        params.extended_key_usages = vec![usage];
        if expired {
            params.not_before = date_time_ymd(2000, 1, 1);
            params.not_after = date_time_ymd(2001, 1, 1);
        }
        let cert = params
            .signed_by(&key, &self.issuer)
            .expect("a signed certificate");
        CertAndKey {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        }
    }
}

/// An RSA key that signs RS256 access tokens, with the JWKS a broker checks them against.
pub struct TokenSigner {
    key: SigningKey<rsa::sha2::Sha256>,
    kid: String,
    jwks: String,
}

impl TokenSigner {
    /// A fresh 2048-bit key with key id `kid`.
    pub fn new(kid: &str) -> TokenSigner {
        let private = RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).expect("an RSA key");
        let public = private.to_public_key();
        let jwks = serde_json::json!({"keys": [{
            "kty": "RSA",
            "use": "sig",
            "alg": "RS256",
            "kid": kid,
            "n": B64URL.encode(public.n().to_bytes_be()),
            "e": B64URL.encode(public.e().to_bytes_be()),
        }]})
        .to_string();
        TokenSigner {
            key: SigningKey::new(private),
            kid: kid.to_string(),
            jwks,
        }
    }

    /// The JWKS document (RFC 7517) holding the public key.
    pub fn jwks(&self) -> &str {
        &self.jwks
    }

    /// A signed token for `sub` that expires `lifetime_seconds` from now (negative: already
    /// expired), with `extra` claims merged in.
    pub fn token(&self, sub: &str, lifetime_seconds: i64, extra: serde_json::Value) -> String {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        let header = serde_json::json!({"alg": "RS256", "typ": "JWT", "kid": self.kid});
        let mut claims = serde_json::json!({"sub": sub, "iat": now, "exp": now + lifetime_seconds});
        if let (Some(claims), Some(extra)) = (claims.as_object_mut(), extra.as_object()) {
            claims.extend(extra.clone());
        }
        let signed = format!(
            "{}.{}",
            B64URL.encode(header.to_string()),
            B64URL.encode(claims.to_string())
        );
        let signature = self.key.sign(signed.as_bytes()).to_bytes();
        format!("{signed}.{}", B64URL.encode(signature))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth::Jwks;

    #[test]
    fn tokens_verify_with_their_jwks_until_they_expire() {
        let signer = TokenSigner::new("k1");
        let jwks = Jwks::parse(signer.jwks()).unwrap();
        let good = signer.token("svc-terraform", 300, serde_json::json!({"scope": "kafka"}));
        assert_eq!(jwks.validate(&good).as_deref(), Ok("User:svc-terraform"));
        let expired = signer.token("svc-terraform", -120, serde_json::Value::Null);
        assert_eq!(
            jwks.validate(&expired),
            Err("the token has expired".to_string())
        );
        let other = TokenSigner::new("k1").token("svc-terraform", 300, serde_json::Value::Null);
        assert_eq!(
            jwks.validate(&other),
            Err("no key of the JWKS verifies the token's signature".to_string())
        );
        let (signed, _) = good.rsplit_once('.').unwrap();
        let tampered = format!("{signed}.{}", B64URL.encode([0u8; 256]));
        assert!(jwks.validate(&tampered).is_err());
    }
}
