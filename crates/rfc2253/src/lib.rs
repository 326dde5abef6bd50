//! X.509 distinguished names as RFC 2253 writes them, the way Java's
//! `X500Principal.getName()` (its `RFC2253` format) does: the form Kafka's
//! `DefaultKafkaPrincipalBuilder` gives a TLS client under the `DEFAULT`
//! `ssl.principal.mapping.rules` (`User:` + this DN). The test broker names TLS clients with
//! it and the provider predicts its own principal with it, so both agree by construction.

use x509_cert::der::asn1::{Ia5StringRef, PrintableStringRef, TeletexStringRef, Utf8StringRef};
use x509_cert::der::{Decode, Encode, Tag, Tagged};
use x509_cert::name::Name;
use x509_cert::Certificate;

/// The subject DN of a DER certificate, or `None` when it does not parse.
pub fn subject_of_der(der: &[u8]) -> Option<String> {
    let cert = Certificate::from_der(der).ok()?;
    Some(rfc2253(&cert.tbs_certificate.subject))
}

/// The keywords RFC 2253 section 2.3 (and Java's `X500Principal.RFC2253`) use; every other
/// attribute type is written as its dotted OID with a `#`-hex DER value.
const KEYWORDS: [(&str, &str); 9] = [
    ("2.5.4.3", "CN"),
    ("2.5.4.7", "L"),
    ("2.5.4.8", "ST"),
    ("2.5.4.10", "O"),
    ("2.5.4.11", "OU"),
    ("2.5.4.6", "C"),
    ("2.5.4.9", "STREET"),
    ("0.9.2342.19200300.100.1.25", "DC"),
    ("0.9.2342.19200300.100.1.1", "UID"),
];

/// A DN as RFC 2253 writes it: RDNs in reverse of their encoded order, `,` between RDNs,
/// `+` within one, special characters escaped with `\`.
pub fn rfc2253(name: &Name) -> String {
    let mut out = String::new();
    for (i, rdn) in name.0.iter().rev().enumerate() {
        if i > 0 {
            out.push(',');
        }
        for (j, atv) in rdn.0.iter().enumerate() {
            if j > 0 {
                out.push('+');
            }
            let oid = atv.oid.to_string();
            let keyword = KEYWORDS.iter().find(|(o, _)| *o == oid).map(|(_, k)| *k);
            match (keyword, string_value(&atv.value)) {
                (Some(keyword), Some(value)) => {
                    out.push_str(keyword);
                    out.push('=');
                    escape_into(&mut out, value);
                }
                _ => {
                    out.push_str(&oid);
                    out.push_str("=#");
                    for byte in atv.value.to_der().unwrap_or_default() {
                        out.push_str(&format!("{byte:02X}"));
                    }
                }
            }
        }
    }
    out
}

fn string_value(value: &x509_cert::der::Any) -> Option<&str> {
    match value.tag() {
        Tag::PrintableString => PrintableStringRef::try_from(value).ok().map(|s| s.as_str()),
        Tag::Utf8String => Utf8StringRef::try_from(value).ok().map(|s| s.as_str()),
        Tag::Ia5String => Ia5StringRef::try_from(value).ok().map(|s| s.as_str()),
        Tag::TeletexString => TeletexStringRef::try_from(value).ok().map(|s| s.as_str()),
        _ => None,
    }
}

/// RFC 2253 section 2.4 escaping.
fn escape_into(out: &mut String, value: &str) {
    let last = value.chars().count().saturating_sub(1);
    for (i, c) in value.chars().enumerate() {
        match c {
            ',' | '+' | '"' | '\\' | '<' | '>' | ';' => {
                out.push('\\');
                out.push(c);
            }
            '#' if i == 0 => out.push_str("\\#"),
            ' ' if i == 0 || i == last => out.push_str("\\ "),
            _ => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cert_with(dn: rcgen::DistinguishedName) -> Vec<u8> {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name = dn;
        params.self_signed(&key).unwrap().der().to_vec()
    }

    #[test]
    fn the_subject_is_most_specific_first_with_escapes() {
        let mut dn = rcgen::DistinguishedName::new();
        dn.push(rcgen::DnType::OrganizationName, "Acme, Inc");
        dn.push(rcgen::DnType::OrganizationalUnitName, "platform");
        dn.push(rcgen::DnType::CommonName, "terraform");
        assert_eq!(
            subject_of_der(&cert_with(dn)).as_deref(),
            Some("CN=terraform,OU=platform,O=Acme\\, Inc")
        );
    }

    #[test]
    fn unlisted_attribute_types_are_dotted_oids_with_hex_values() {
        let mut dn = rcgen::DistinguishedName::new();
        dn.push(
            rcgen::DnType::CustomDnType(vec![1, 2, 840, 113549, 1, 9, 1]),
            rcgen::DnValue::Ia5String("a@b".try_into().unwrap()),
        );
        dn.push(rcgen::DnType::CommonName, "x");
        assert_eq!(
            subject_of_der(&cert_with(dn)).as_deref(),
            Some("CN=x,1.2.840.113549.1.9.1=#1603614062")
        );
    }
}
