//! The canonical key of one ACL binding on one cluster, as the `acls` and `preexisting_acls`
//! maps of resource state (and the data sources' `acls`) are keyed: one plan line per
//! binding that reads like the ACL, parsed back into the binding by refresh, import, apply
//! and the state upgrade (state holds nothing else of the binding).
//!
//! Format: `<cluster> <principal> <permission> <operation> <resource_type> <pattern_type>
//! <resource_name>`, then ` @<host>` only when the host is not `*`; fields are separated by
//! one space, e.g. `dr User:mm2 ALLOW READ TOPIC LITERAL orders`. In the free-text fields
//! (cluster, principal, resource name, host) `%`, every whitespace and every control
//! character is written as `%XX` per UTF-8 byte (upper-case hex), and an empty field as a
//! lone `%`; everything else (unicode, `*`, `|`, `\`, `@` inside a field) stays as it is.
//! So a key has no space inside a field, distinct bindings always have distinct keys,
//! [`parse`] accepts exactly the keys [`key_of`] makes (one spelling per binding), and keys
//! sort field by field: one cluster's bindings together, within it one principal's.

use crate::model::acl::{AclBinding, UnknownName};
use crate::model::reconcile::comparable_principal;
use std::borrow::Cow;
use std::fmt;

/// The host every binding this provider plans uses, left out of keys.
const ANY_HOST: &str = "*";

/// What a text that is not a key lacks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyError {
    /// Not 7 fields, or 8 whose last is not `@<host>` (with a host other than `*`).
    Fields,
    /// A free-text field not written the way [`key_of`] writes it.
    Encoding(&'static str),
    /// An enumeration field that is not one of Kafka's names.
    Name(UnknownName),
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyError::Fields => f.write_str(
                "expected `<cluster> <principal> <permission> <operation> <resource_type> \
                 <pattern_type> <resource_name>`, then ` @<host>` when the host is not `*`",
            ),
            KeyError::Encoding(field) => write!(
                f,
                "the {field} is not percent-encoded as keys are (`%`, whitespace and control \
                 characters as %XX, an empty field as `%`)"
            ),
            KeyError::Name(error) => error.fmt(f),
        }
    }
}

fn needs_encoding(character: char) -> bool {
    character == '%' || character.is_whitespace() || character.is_control()
}

/// Appends `field` encoded as keys write free-text fields.
fn push_field(key: &mut String, field: &str) {
    if field.is_empty() {
        key.push('%');
        return;
    }
    if !field.chars().any(needs_encoding) {
        key.push_str(field);
        return;
    }
    for character in field.chars() {
        if needs_encoding(character) {
            let mut bytes = [0; 4];
            for byte in character.encode_utf8(&mut bytes).bytes() {
                key.push_str(&format!("%{byte:02X}"));
            }
        } else {
            key.push(character);
        }
    }
}

fn encoded(field: &str) -> Cow<'_, str> {
    if !field.is_empty() && !field.chars().any(needs_encoding) {
        return Cow::Borrowed(field);
    }
    let mut text = String::new();
    push_field(&mut text, field);
    Cow::Owned(text)
}

/// A free-text field decoded (borrowed when nothing was encoded); `None` unless `text` is
/// exactly how [`push_field`] writes what it decodes to.
fn decode_field(text: &str) -> Option<Cow<'_, str>> {
    if text == "%" {
        return Some(Cow::Borrowed(""));
    }
    if text.is_empty() {
        return None;
    }
    if !text.contains('%') {
        return (!text.chars().any(needs_encoding)).then_some(Cow::Borrowed(text));
    }
    let mut bytes = Vec::with_capacity(text.len());
    let mut rest = text.as_bytes();
    while let Some((&byte, tail)) = rest.split_first() {
        if byte == b'%' {
            let hex = tail.get(..2)?;
            if !hex
                .iter()
                .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(b))
            {
                return None;
            }
            bytes.push(u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?);
            rest = &tail[2..];
        } else {
            bytes.push(byte);
            rest = tail;
        }
    }
    let decoded = String::from_utf8(bytes).ok()?;
    (encoded(&decoded) == text).then_some(Cow::Owned(decoded))
}

/// The key of `binding` on `cluster`.
pub fn key_of(cluster: &str, binding: &AclBinding) -> String {
    key_of_fields([
        cluster,
        &binding.principal,
        binding.permission.as_str(),
        binding.operation.as_str(),
        binding.resource_type.as_str(),
        binding.pattern_type.as_str(),
        &binding.resource_name,
        &binding.host,
    ])
}

/// The key of a binding given as its texts, in key order: cluster, principal, permission,
/// operation, resource type, pattern type, resource name, host (the enumerations as Kafka
/// names them, written as they are).
pub fn key_of_fields(fields: [&str; 8]) -> String {
    let [cluster, principal, permission, operation, resource_type, pattern_type, name, host] =
        fields;
    let mut key = String::with_capacity(fields.iter().map(|field| field.len() + 1).sum());
    push_field(&mut key, cluster);
    key.push(' ');
    push_field(&mut key, principal);
    for name in [permission, operation, resource_type, pattern_type] {
        key.push(' ');
        key.push_str(name);
    }
    key.push(' ');
    push_field(&mut key, name);
    if host != ANY_HOST {
        key.push_str(" @");
        push_field(&mut key, host);
    }
    key
}

/// The fields of a key, still encoded: 7, the host (without `@`) an 8th when present.
fn split(key: &str) -> Result<Vec<&str>, KeyError> {
    let fields: Vec<&str> = key.split(' ').collect();
    match fields.len() {
        7 => Ok(fields),
        8 => {
            let mut fields = fields;
            match fields[7].strip_prefix('@') {
                Some(host) if host != ANY_HOST => {
                    fields[7] = host;
                    Ok(fields)
                }
                _ => Err(KeyError::Fields),
            }
        }
        _ => Err(KeyError::Fields),
    }
}

fn decoded<'k>(text: &'k str, field: &'static str) -> Result<Cow<'k, str>, KeyError> {
    decode_field(text).ok_or(KeyError::Encoding(field))
}

/// The cluster and binding a key names; exactly the keys [`key_of`] makes parse.
pub fn parse(key: &str) -> Result<(String, AclBinding), KeyError> {
    let fields = split(key)?;
    let name = KeyError::Name;
    let binding = AclBinding {
        principal: decoded(fields[1], "principal")?.into_owned(),
        permission: fields[2].parse().map_err(name)?,
        operation: fields[3].parse().map_err(name)?,
        resource_type: fields[4].parse().map_err(name)?,
        pattern_type: fields[5].parse().map_err(name)?,
        resource_name: decoded(fields[6], "resource name")?.into_owned(),
        host: match fields.get(7) {
            Some(host) => decoded(host, "host")?.into_owned(),
            None => ANY_HOST.to_string(),
        },
    };
    Ok((decoded(fields[0], "cluster")?.into_owned(), binding))
}

/// The cluster and principal a key names, without parsing the rest (refresh reads each
/// cluster's principals from the keys alone); `None` if the text is not split as keys are.
pub fn cluster_and_principal(key: &str) -> Option<(Cow<'_, str>, Cow<'_, str>)> {
    let fields = split(key).ok()?;
    Some((decode_field(fields[0])?, decode_field(fields[1])?))
}

/// The key with its principal in comparable form ([`comparable_principal`]), as [`key_of`]
/// makes it of a [`comparable_binding`]: borrowed when the principal already is in that
/// form; `None` if the text is not split as keys are.
///
/// [`comparable_binding`]: crate::model::reconcile::comparable_binding
pub fn comparable_key(key: &str) -> Option<Cow<'_, str>> {
    let fields = split(key).ok()?;
    let principal = decode_field(fields[1])?;
    let comparable = comparable_principal(&principal);
    if comparable == principal {
        return Some(Cow::Borrowed(key));
    }
    let mut rewritten = String::with_capacity(key.len());
    rewritten.push_str(fields[0]);
    rewritten.push(' ');
    push_field(&mut rewritten, &comparable);
    rewritten.push_str(&key[fields[0].len() + 1 + fields[1].len()..]);
    Some(Cow::Owned(rewritten))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::acl::{Operation, PatternType, Permission, ResourceType};

    fn binding(principal: &str, name: &str, host: &str) -> AclBinding {
        AclBinding {
            resource_type: ResourceType::Group,
            resource_name: name.to_string(),
            pattern_type: PatternType::Prefixed,
            principal: principal.to_string(),
            host: host.to_string(),
            operation: Operation::Read,
            permission: Permission::Allow,
        }
    }

    #[test]
    fn keys_read_like_the_acl_and_escape_what_would_split_them() {
        let cases = [
            (
                "dr",
                "User:mm2",
                "orders",
                "*",
                "dr User:mm2 ALLOW READ GROUP PREFIXED orders",
            ),
            (
                "dr",
                "User:*",
                "*",
                "*",
                "dr User:* ALLOW READ GROUP PREFIXED *",
            ),
            (
                "dr",
                "User:CN=a b,O=x",
                "g 1",
                "*",
                "dr User:CN=a%20b,O=x ALLOW READ GROUP PREFIXED g%201",
            ),
            (
                "d|r",
                "User:a|b\\c",
                "g\\|1",
                "*",
                "d|r User:a|b\\c ALLOW READ GROUP PREFIXED g\\|1",
            ),
            (
                "dr",
                "User:ü",
                "grüße-日本",
                "*",
                "dr User:ü ALLOW READ GROUP PREFIXED grüße-日本",
            ),
            (
                "dr",
                "User:x",
                "100%",
                "*",
                "dr User:x ALLOW READ GROUP PREFIXED 100%25",
            ),
            (
                "",
                "User:x",
                "",
                "*",
                "% User:x ALLOW READ GROUP PREFIXED %",
            ),
            (
                "dr",
                "User:x",
                "t",
                "10.0.0.1",
                "dr User:x ALLOW READ GROUP PREFIXED t @10.0.0.1",
            ),
            (
                "dr",
                "User:x",
                "t",
                "",
                "dr User:x ALLOW READ GROUP PREFIXED t @%",
            ),
            (
                "dr",
                "User:x",
                "@t",
                "@",
                "dr User:x ALLOW READ GROUP PREFIXED @t @@",
            ),
            (
                "dr",
                "User:x",
                "a\tb\nc\u{a0}",
                "*",
                "dr User:x ALLOW READ GROUP PREFIXED a%09b%0Ac%C2%A0",
            ),
        ];
        for (cluster, principal, name, host, key) in cases {
            let binding = binding(principal, name, host);
            assert_eq!(key_of(cluster, &binding), key, "{binding}");
            assert_eq!(parse(key), Ok((cluster.to_string(), binding)), "{key}");
            let (read_cluster, read_principal) = cluster_and_principal(key).unwrap();
            assert_eq!(
                (read_cluster.as_ref(), read_principal.as_ref()),
                (cluster, principal)
            );
        }
    }

    #[test]
    fn distinct_bindings_get_distinct_keys_whatever_their_text() {
        let texts = [
            "", " ", "%", "%20", "a b", "a", "b", "*", "@", "@*", "|", "\\", "a%b",
        ];
        let mut keys = std::collections::HashSet::new();
        let mut count = 0;
        for principal in texts {
            for name in texts {
                for host in ["*", "", " ", "@", "h"] {
                    count += 1;
                    let key = key_of("dr", &binding(principal, name, host));
                    assert!(keys.insert(key.clone()), "{key} twice");
                    assert_eq!(parse(&key).unwrap().1, binding(principal, name, host));
                }
            }
        }
        assert_eq!(keys.len(), count);
    }

    #[test]
    fn only_the_keys_made_parse() {
        for broken in [
            "dr User:x ALLOW READ GROUP PREFIXED",
            "dr User:x ALLOW READ GROUP PREFIXED t @*",
            "dr User:x ALLOW READ GROUP PREFIXED t h",
            "dr User:x ALLOW READ GROUP PREFIXED t @h extra",
            "dr User:x ALLOW READ GROUP PREFIXED t  ",
            "dr  User:x ALLOW READ GROUP PREFIXED t",
            "dr User:x ALLOW READ GROUP PREFIXED %41",
            "dr User:x ALLOW READ GROUP PREFIXED %2",
            "dr User:x ALLOW READ GROUP PREFIXED %zz",
            "dr User:x ALLOW READ GROUP PREFIXED %c2%a0",
            "dr User:x ALLOW READ GROUP PREFIXED %FF",
            "dr User:x ALLOW READ GROUP PREFIXED a\u{a0}b",
            "dr User:x ALLOW read GROUP PREFIXED t",
            "dr User:x ALLOW READ GROUPS PREFIXED t",
            "dr|GROUP|PREFIXED|t|User:x|*|READ|ALLOW",
        ] {
            assert!(parse(broken).is_err(), "{broken:?} parsed");
        }
        assert!(matches!(
            parse("dr User:x ALLOW READ GROUP SUFFIXED t"),
            Err(KeyError::Name(_))
        ));
    }

    #[test]
    fn keys_sort_by_cluster_then_principal() {
        let mut keys: Vec<String> = [
            ("dr2", "User:a", "t"),
            ("dr", "User:b", "a"),
            ("dr", "User:a", "z"),
            ("dr", "User:a b", "t"),
            ("dr", "User:ab", "t"),
        ]
        .iter()
        .map(|(cluster, principal, name)| key_of(cluster, &binding(principal, name, "*")))
        .collect();
        keys.sort();
        let order: Vec<(String, String)> = keys
            .iter()
            .map(|key| {
                let (cluster, binding) = parse(key).unwrap();
                (cluster, binding.principal)
            })
            .collect();
        let expected = [
            ("dr", "User:a"),
            ("dr", "User:a b"),
            ("dr", "User:ab"),
            ("dr", "User:b"),
            ("dr2", "User:a"),
        ];
        let expected: Vec<(String, String)> = expected
            .iter()
            .map(|(c, p)| (c.to_string(), p.to_string()))
            .collect();
        assert_eq!(order, expected);
    }

    #[test]
    fn comparable_keys_are_the_keys_of_comparable_bindings() {
        for principal in [
            "User:mm2",
            "User:SA-ABC123",
            "User:00042",
            "user:u-XYZ",
            "User:a b",
        ] {
            let binding = binding(principal, "t", "10.0.0.1");
            let key = key_of("d r", &binding);
            let comparable = crate::model::reconcile::comparable_binding(binding.clone());
            assert_eq!(
                comparable_key(&key).unwrap(),
                key_of("d r", &comparable),
                "{principal}"
            );
        }
        assert!(matches!(
            comparable_key("dr User:mm2 ALLOW READ TOPIC LITERAL t"),
            Some(Cow::Borrowed(_))
        ));
        assert_eq!(comparable_key("dr|TOPIC"), None);
    }
}
