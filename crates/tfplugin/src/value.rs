//! A cty-like value model: Terraform's types and values as the protocol carries them, including
//! null and unknown ("known after apply") at any depth, and numbers of arbitrary size.

use prost::bytes::Bytes;
use std::collections::BTreeMap;
use std::fmt;

/// A Terraform type constraint (cty type). `Dynamic` is not supported by this provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Type {
    Bool,
    Number,
    String,
    List(Box<Type>),
    Set(Box<Type>),
    Map(Box<Type>),
    Object(BTreeMap<String, Type>),
}

impl Type {
    /// The JSON form Terraform expects in `Schema.Attribute.type`, e.g. `["set","string"]`.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::json;
        match self {
            Type::Bool => json!("bool"),
            Type::Number => json!("number"),
            Type::String => json!("string"),
            Type::List(element) => json!(["list", element.to_json()]),
            Type::Set(element) => json!(["set", element.to_json()]),
            Type::Map(element) => json!(["map", element.to_json()]),
            Type::Object(attributes) => {
                let fields: serde_json::Map<String, serde_json::Value> = attributes
                    .iter()
                    .map(|(name, ty)| (name.clone(), ty.to_json()))
                    .collect();
                json!(["object", fields])
            }
        }
    }

    /// A short name for error messages ("set of string").
    pub fn friendly_name(&self) -> String {
        match self {
            Type::Bool => "bool".into(),
            Type::Number => "number".into(),
            Type::String => "string".into(),
            Type::List(element) => format!("list of {}", element.friendly_name()),
            Type::Set(element) => format!("set of {}", element.friendly_name()),
            Type::Map(element) => format!("map of {}", element.friendly_name()),
            Type::Object(_) => "object".into(),
        }
    }
}

/// A number kept as canonical decimal text, so integers beyond 64 bits and exact decimals
/// survive a round trip and can be reported precisely when they do not fit.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Number(String);

impl Number {
    /// Parses decimal text (`-12`, `3.25`, `1e400`); `None` if it is not a number.
    pub fn parse(text: &str) -> Option<Number> {
        let body = text.strip_prefix('-').unwrap_or(text);
        let (mantissa, exponent) = match body.find(['e', 'E']) {
            Some(at) => (&body[..at], Some(&body[at + 1..])),
            None => (body, None),
        };
        let (whole, fraction) = match mantissa.split_once('.') {
            Some((whole, fraction)) => (whole, Some(fraction)),
            None => (mantissa, None),
        };
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        let exponent_ok = exponent.is_none_or(|e| digits(e.strip_prefix(['-', '+']).unwrap_or(e)));
        if !digits(whole) || !fraction.is_none_or(digits) || !exponent_ok {
            return None;
        }
        // Canonical form: no trailing fractional zeros, so 1.50 == 1.5 and 2.0 == 2.
        let mut canonical = text.to_string();
        if exponent.is_none() && fraction.is_some() {
            while canonical.ends_with('0') {
                canonical.pop();
            }
            if canonical.ends_with('.') {
                canonical.pop();
            }
            if canonical == "-0" {
                canonical = "0".into();
            }
        }
        Some(Number(canonical))
    }

    pub fn from_i64(value: i64) -> Number {
        Number(value.to_string())
    }

    /// A finite float in its shortest exact decimal form; `None` for NaN and infinities.
    pub fn from_f64(value: f64) -> Option<Number> {
        value
            .is_finite()
            .then(|| Number::parse(&value.to_string()))
            .flatten()
    }

    pub fn as_text(&self) -> &str {
        &self.0
    }

    /// The value as an integer, or a sentence saying why it is not one.
    pub fn to_i64(&self) -> Result<i64, String> {
        if let Ok(value) = self.0.parse::<i64>() {
            return Ok(value);
        }
        let is_whole = !self.0.contains(['.', 'e', 'E']);
        if is_whole {
            Err(format!(
                "{} is too large: whole numbers here must be between {} and {}",
                self.0,
                i64::MIN,
                i64::MAX
            ))
        } else {
            Err(format!("{} is not a whole number", self.0))
        }
    }

    /// The nearest float (big numbers lose precision; only for encoding).
    pub fn to_f64(&self) -> f64 {
        self.0.parse().unwrap_or(f64::NAN)
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A value of some [`Type`]. Sets are kept sorted and free of duplicates, so equal sets compare
/// equal whatever order Terraform sent them in.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum Value {
    #[default]
    Null,
    Unknown,
    Bool(bool),
    Number(Number),
    String(String),
    List(Vec<Value>),
    Set(Vec<Value>),
    Map(BTreeMap<String, Value>),
    Object(BTreeMap<String, Value>),
    /// A known collection still in its msgpack encoding: a state's large attributes, which
    /// typed code reads and writes directly (`Attr::take_known`, `Attr::put`) with no tree
    /// in between. Equal values compare equal only in the same encoding.
    Encoded(Bytes),
}

impl Value {
    pub fn set(mut elements: Vec<Value>) -> Value {
        elements.sort();
        elements.dedup();
        Value::Set(elements)
    }

    pub fn string(text: impl Into<String>) -> Value {
        Value::String(text.into())
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// True when the value or anything inside it is unknown (never for [`Value::Encoded`]: only
    /// known values are kept encoded, and reading one rejects unknowns).
    pub fn contains_unknown(&self) -> bool {
        match self {
            Value::Unknown => true,
            Value::List(items) | Value::Set(items) => items.iter().any(Value::contains_unknown),
            Value::Map(entries) | Value::Object(entries) => {
                entries.values().any(Value::contains_unknown)
            }
            _ => false,
        }
    }

    /// The length of the msgpack encoding of a value still encoded ([`Value::Encoded`]);
    /// `None` for a decoded one. A size hint for writing a value like it.
    pub fn encoded_len(&self) -> Option<usize> {
        match self {
            Value::Encoded(bytes) => Some(bytes.len()),
            _ => None,
        }
    }

    /// Whether `self`, still encoded, and `other` are the very same bytes: the same value,
    /// told without decoding either. `false` proves nothing (a decoded value, or another
    /// encoding of an equal value).
    pub fn same_encoding(&self, other: &Value) -> bool {
        matches!((self, other), (Value::Encoded(a), Value::Encoded(b)) if a == b)
    }
}

/// The attributes of an object value: a resource's state, config or plan, or a nested block.
pub type Object = BTreeMap<String, Value>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_canonical_and_precise() {
        assert_eq!(
            Number::parse("1.50").unwrap(),
            Number::parse("1.5").unwrap()
        );
        assert_eq!(Number::parse("2.0").unwrap().to_i64(), Ok(2));
        assert!(Number::parse("1.5")
            .unwrap()
            .to_i64()
            .unwrap_err()
            .contains("not a whole number"));
        let big = Number::parse("123456789012345678901234567890").unwrap();
        assert!(big.to_i64().unwrap_err().contains("too large"));
        assert_eq!(big.as_text(), "123456789012345678901234567890");
        assert!(Number::parse("1e400").is_some());
        assert!(Number::parse("12a").is_none());
        assert!(Number::parse("").is_none());
        assert_eq!(Number::from_f64(0.25).unwrap().as_text(), "0.25");
    }

    #[test]
    fn sets_ignore_order_and_duplicates() {
        let a = Value::set(vec![
            Value::string("b"),
            Value::string("a"),
            Value::string("a"),
        ]);
        let b = Value::set(vec![Value::string("a"), Value::string("b")]);
        assert_eq!(a, b);
    }

    #[test]
    fn encoded_values_compare_by_their_bytes_without_decoding() {
        let encoded = Value::Encoded(Bytes::from_static(&[0x81, 0xa1, b'a', 0x01]));
        assert_eq!(encoded.encoded_len(), Some(4));
        assert!(encoded.same_encoding(&encoded.clone()));
        let other = Value::Encoded(Bytes::from_static(&[0x80]));
        assert!(!encoded.same_encoding(&other));
        let decoded = Value::Map(BTreeMap::from([(
            "a".to_string(),
            Value::Number(Number::from_i64(1)),
        )]));
        assert_eq!(decoded.encoded_len(), None);
        assert!(!encoded.same_encoding(&decoded) && !decoded.same_encoding(&decoded));
    }

    #[test]
    fn type_json_matches_terraform() {
        let ty = Type::Set(Box::new(Type::Object(
            [("name".to_string(), Type::String)].into_iter().collect(),
        )));
        assert_eq!(
            ty.to_json().to_string(),
            r#"["set",["object",{"name":"string"}]]"#
        );
    }
}
