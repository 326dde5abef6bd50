//! Type-directed conversion between [`Value`] and the wire encodings: msgpack (every
//! DynamicValue Terraform sends or receives, with cty's extension for unknown values) and JSON
//! (raw state handed to UpgradeResourceState). Errors name the attribute path.
//!
//! Both directions stream: msgpack is read from and written to bytes directly, with no
//! intermediate tree, and an attribute path is only built when an error bubbles up through
//! it. A state can hold tens of thousands of rows, and each RPC carries it more than once:
//! the large attributes of a state can be kept encoded ([`Value::Encoded`]) and read into typed
//! values with [`MsgpackReader`] / written with the `write_*` functions, with no [`Value`] tree.

use super::diag::{AttributePath, Diagnostic, PathStep};
use super::value::{Number, Object, Type, Value};
use prost::bytes::Bytes;
use rmp::Marker;

/// cty encodes an unknown value as a msgpack extension; this is the plain, unrefined form.
const UNKNOWN_EXTENSION: i8 = 0;

/// A decoding error and the path to it, innermost step first (reversed once, at the top).
struct DecodeError {
    detail: String,
    steps: Vec<PathStep>,
}

impl DecodeError {
    fn new(detail: impl Into<String>) -> Self {
        DecodeError {
            detail: detail.into(),
            steps: Vec::new(),
        }
    }

    fn under(mut self, step: impl FnOnce() -> PathStep) -> Self {
        self.steps.push(step());
        self
    }

    /// As a diagnostic whose path is relative to the value read (for callers to put
    /// [`under`](Diagnostic::under) theirs), even when the error is at the value itself.
    fn into_relative_diagnostic(self, summary: &str) -> Diagnostic {
        let at_value = self.steps.is_empty();
        let diagnostic = self.into_diagnostic(summary);
        match at_value {
            true => diagnostic.at(AttributePath::root()),
            false => diagnostic,
        }
    }

    fn into_diagnostic(self, summary: &str) -> Diagnostic {
        let diagnostic = Diagnostic::error(summary, self.detail);
        if self.steps.is_empty() {
            return diagnostic;
        }
        let mut steps = self.steps;
        steps.reverse();
        diagnostic.at(AttributePath(steps))
    }
}

type Decoded<T> = Result<T, DecodeError>;

/// Decodes msgpack bytes as a value of `ty`.
pub fn decode_msgpack(bytes: &[u8], ty: &Type) -> Result<Value, Diagnostic> {
    decode_msgpack_skipping(bytes, ty, &[])
}

/// Like [`decode_msgpack`] for an object, but the named top-level attributes are stepped over
/// without being built and read as unknown: for values (a proposed or planned state) whose
/// computed attributes the resource replaces anyway.
pub fn decode_msgpack_skipping(
    bytes: &[u8],
    ty: &Type,
    skipped: &[&str],
) -> Result<Value, Diagnostic> {
    let top_level = TopLevel {
        skipped,
        ..TopLevel::default()
    };
    decode_top_level(bytes, ty, top_level)
}

/// Like [`decode_msgpack`] for an object, but the named top-level attributes, when they hold a
/// collection, are kept as [`Value::Encoded`] slices of `bytes` (no copy): for a state whose
/// large attributes typed code reads directly ([`crate::Attr::take_known`]). Their
/// structure is checked here; their types when they are read.
pub fn decode_msgpack_keeping(
    bytes: &Bytes,
    ty: &Type,
    kept: &[&str],
) -> Result<Value, Diagnostic> {
    let top_level = TopLevel {
        kept,
        source: Some(bytes),
        ..TopLevel::default()
    };
    decode_top_level(bytes, ty, top_level)
}

/// What happens to named top-level attributes of an object being decoded: skipped ones read
/// as unknown; kept ones are sliced out of `source`, the shared buffer being read.
#[derive(Clone, Copy, Default)]
struct TopLevel<'s> {
    skipped: &'s [&'s str],
    kept: &'s [&'s str],
    source: Option<&'s Bytes>,
}

fn decode_top_level(bytes: &[u8], ty: &Type, top_level: TopLevel<'_>) -> Result<Value, Diagnostic> {
    let mut reader = MsgpackReader::new(bytes);
    let value = reader
        .value(ty, top_level)
        .map_err(|err| err.into_diagnostic("Invalid value from Terraform"))?;
    reader.finish("Invalid value from Terraform")?;
    Ok(value)
}

/// A cursor over msgpack bytes. Typed code ([`crate::AttrType::read_msgpack`]) reads
/// with the `next_*` methods, which consume an item only when it has the expected form, and
/// falls back to [`MsgpackReader::read_value`] for anything else (which also reports errors).
pub struct MsgpackReader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> MsgpackReader<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        MsgpackReader { bytes, at: 0 }
    }

    /// An error unless every byte has been read.
    pub fn finish(&self, summary: &str) -> Result<(), Diagnostic> {
        match self.bytes.len() - self.at {
            0 => Ok(()),
            left => Err(Diagnostic::error(
                summary,
                format!("{left} bytes follow the msgpack value"),
            )),
        }
    }

    /// Reads one value of `ty` as a tree.
    pub fn read_value(&mut self, ty: &Type) -> Result<Value, Diagnostic> {
        self.value(ty, TopLevel::default())
            .map_err(|err| err.into_relative_diagnostic("Invalid attribute value"))
    }

    /// Steps over one value.
    pub fn skip_value(&mut self) -> Result<(), Diagnostic> {
        self.skip()
            .map_err(|err| err.into_relative_diagnostic("Invalid attribute value"))
    }

    /// The next token if `accept` maps it to `Some`; otherwise nothing is consumed.
    fn next_if<T>(&mut self, accept: impl FnOnce(Token<'a>) -> Option<T>) -> Option<T> {
        let start = self.at;
        let accepted = self
            .marker()
            .and_then(|marker| self.token(marker))
            .ok()
            .and_then(accept);
        if accepted.is_none() {
            self.at = start;
        }
        accepted
    }

    /// The next item if it is a (UTF-8) string.
    pub fn next_str(&mut self) -> Option<&'a str> {
        self.next_if(|token| match token {
            Token::Str(bytes) => std::str::from_utf8(bytes).ok(),
            _ => None,
        })
    }

    /// The next item if it is an integer that fits `i64`.
    pub fn next_i64(&mut self) -> Option<i64> {
        self.next_if(|token| match token {
            Token::Int(i) => i64::try_from(i).ok(),
            _ => None,
        })
    }

    /// The next item's entry count if it is a map.
    pub fn next_map_len(&mut self) -> Option<usize> {
        self.next_if(|token| match token {
            Token::Map(n) => Some(n),
            _ => None,
        })
    }

    /// Consumes the next item if it is nil.
    pub fn next_nil(&mut self) -> bool {
        self.next_if(|token| matches!(token, Token::Nil).then_some(()))
            .is_some()
    }

    /// Whether the next item is an array or a map (the others are never kept encoded).
    fn next_is_collection(&self) -> bool {
        self.bytes.get(self.at).is_some_and(|byte| {
            matches!(
                Marker::from_u8(*byte),
                Marker::FixArray(_)
                    | Marker::Array16
                    | Marker::Array32
                    | Marker::FixMap(_)
                    | Marker::Map16
                    | Marker::Map32
            )
        })
    }

    fn take(&mut self, count: usize) -> Decoded<&'a [u8]> {
        let end = self
            .at
            .checked_add(count)
            .filter(|end| *end <= self.bytes.len())
            .ok_or_else(|| DecodeError::new("the msgpack value is truncated"))?;
        let taken = &self.bytes[self.at..end];
        self.at = end;
        Ok(taken)
    }

    fn array<const N: usize>(&mut self) -> Decoded<[u8; N]> {
        let mut out = [0; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn marker(&mut self) -> Decoded<Marker> {
        Ok(Marker::from_u8(self.array::<1>()?[0]))
    }

    fn length(&mut self, bytes: usize) -> Decoded<usize> {
        Ok(match bytes {
            1 => usize::from(self.array::<1>()?[0]),
            2 => usize::from(u16::from_be_bytes(self.array()?)),
            _ => u32::from_be_bytes(self.array()?) as usize,
        })
    }

    /// What follows a marker, as far as this provider's types go.
    fn token(&mut self, marker: Marker) -> Decoded<Token<'a>> {
        Ok(match marker {
            Marker::Null => Token::Nil,
            Marker::True => Token::Bool(true),
            Marker::False => Token::Bool(false),
            Marker::FixPos(n) => Token::Int(i128::from(n)),
            Marker::FixNeg(n) => Token::Int(i128::from(n)),
            Marker::U8 => Token::Int(i128::from(self.array::<1>()?[0])),
            Marker::U16 => Token::Int(i128::from(u16::from_be_bytes(self.array()?))),
            Marker::U32 => Token::Int(i128::from(u32::from_be_bytes(self.array()?))),
            Marker::U64 => Token::Int(i128::from(u64::from_be_bytes(self.array()?))),
            Marker::I8 => Token::Int(i128::from(i8::from_be_bytes(self.array()?))),
            Marker::I16 => Token::Int(i128::from(i16::from_be_bytes(self.array()?))),
            Marker::I32 => Token::Int(i128::from(i32::from_be_bytes(self.array()?))),
            Marker::I64 => Token::Int(i128::from(i64::from_be_bytes(self.array()?))),
            Marker::F32 => Token::Float(f64::from(f32::from_be_bytes(self.array()?))),
            Marker::F64 => Token::Float(f64::from_be_bytes(self.array()?)),
            Marker::FixStr(n) => Token::Str(self.take(usize::from(n))?),
            Marker::Str8 | Marker::Bin8 => {
                let n = self.length(1)?;
                Token::Str(self.take(n)?)
            }
            Marker::Str16 | Marker::Bin16 => {
                let n = self.length(2)?;
                Token::Str(self.take(n)?)
            }
            Marker::Str32 | Marker::Bin32 => {
                let n = self.length(4)?;
                Token::Str(self.take(n)?)
            }
            Marker::FixArray(n) => Token::Array(usize::from(n)),
            Marker::Array16 => Token::Array(self.length(2)?),
            Marker::Array32 => Token::Array(self.length(4)?),
            Marker::FixMap(n) => Token::Map(usize::from(n)),
            Marker::Map16 => Token::Map(self.length(2)?),
            Marker::Map32 => Token::Map(self.length(4)?),
            // Any extension is an unknown value (newer Terraform adds refinements; we ignore them).
            Marker::FixExt1 => self.extension(1)?,
            Marker::FixExt2 => self.extension(2)?,
            Marker::FixExt4 => self.extension(4)?,
            Marker::FixExt8 => self.extension(8)?,
            Marker::FixExt16 => self.extension(16)?,
            Marker::Ext8 => {
                let n = self.length(1)?;
                self.extension(n)?
            }
            Marker::Ext16 => {
                let n = self.length(2)?;
                self.extension(n)?
            }
            Marker::Ext32 => {
                let n = self.length(4)?;
                self.extension(n)?
            }
            Marker::Reserved => return Err(DecodeError::new("reserved msgpack marker 0xc1")),
        })
    }

    fn extension(&mut self, payload: usize) -> Decoded<Token<'a>> {
        self.take(1 + payload)?; // the type byte and the payload
        Ok(Token::Unknown)
    }

    fn string(&mut self) -> Decoded<&'a str> {
        let marker = self.marker()?;
        match self.token(marker)? {
            Token::Str(bytes) => std::str::from_utf8(bytes)
                .map_err(|_| DecodeError::new("a string is not valid UTF-8")),
            other => Err(DecodeError::new(format!(
                "expected a string key, got msgpack {}",
                other.kind()
            ))),
        }
    }

    /// Steps over one value.
    fn skip(&mut self) -> Decoded<()> {
        let marker = self.marker()?;
        match self.token(marker)? {
            Token::Array(n) => (0..n).try_for_each(|_| self.skip()),
            Token::Map(n) => (0..n * 2).try_for_each(|_| self.skip()),
            _ => Ok(()),
        }
    }

    /// `top_level` applies to this value's attributes if it is an object (not deeper).
    fn value(&mut self, ty: &Type, top_level: TopLevel<'_>) -> Decoded<Value> {
        let marker = self.marker()?;
        let token = self.token(marker)?;
        let mismatch = |token: &Token| {
            DecodeError::new(format!(
                "expected a {}, got msgpack {}",
                ty.friendly_name(),
                token.kind()
            ))
        };
        match (token, ty) {
            (Token::Nil, _) => Ok(Value::Null),
            (Token::Unknown, _) => Ok(Value::Unknown),
            (Token::Bool(b), Type::Bool) => Ok(Value::Bool(b)),
            (Token::Str(bytes), Type::String) => std::str::from_utf8(bytes)
                .map(Value::string)
                .map_err(|_| DecodeError::new("a string is not valid UTF-8")),
            (Token::Int(i), Type::Number) => Ok(Value::Number(
                Number::parse(&i.to_string()).expect("an integer is a number"),
            )),
            (Token::Float(f), Type::Number) => Number::from_f64(f)
                .map(Value::Number)
                .ok_or_else(|| DecodeError::new(format!("{f} is not a finite number"))),
            // cty writes numbers that fit neither i64 nor f64 as decimal strings.
            (token @ Token::Str(bytes), Type::Number) => std::str::from_utf8(bytes)
                .ok()
                .and_then(Number::parse)
                .map(Value::Number)
                .ok_or_else(|| mismatch(&token)),
            (Token::Array(n), Type::List(element)) => (0..n)
                .map(|i| {
                    self.value(element, TopLevel::default())
                        .map_err(|e| e.under(|| PathStep::Index(i as i64)))
                })
                .collect::<Decoded<_>>()
                .map(Value::List),
            // Set elements have no path step: Terraform cannot address them.
            (Token::Array(n), Type::Set(element)) => (0..n)
                .map(|_| self.value(element, TopLevel::default()))
                .collect::<Decoded<_>>()
                .map(Value::set),
            (Token::Map(n), Type::Map(element)) => {
                let mut map = Object::new();
                for _ in 0..n {
                    let key = self.string()?;
                    let item = self
                        .value(element, TopLevel::default())
                        .map_err(|e| e.under(|| PathStep::Key(key.to_string())))?;
                    map.insert(key.to_string(), item);
                }
                Ok(Value::Map(map))
            }
            (Token::Map(n), Type::Object(attributes)) => {
                let mut object: Object = attributes
                    .keys()
                    .map(|k| (k.clone(), Value::Null))
                    .collect();
                for _ in 0..n {
                    let key = self.string()?;
                    let Some((name, attribute_type)) = attributes.get_key_value(key) else {
                        return Err(DecodeError::new(format!("unexpected attribute {key:?}")));
                    };
                    let item = match top_level.source {
                        _ if top_level.skipped.contains(&key) => {
                            self.skip()?;
                            Value::Unknown
                        }
                        Some(source)
                            if top_level.kept.contains(&key) && self.next_is_collection() =>
                        {
                            let start = self.at;
                            self.skip()?;
                            Value::Encoded(source.slice(start..self.at))
                        }
                        _ => self
                            .value(attribute_type, TopLevel::default())
                            .map_err(|e| e.under(|| PathStep::Attribute(key.to_string())))?,
                    };
                    *object.get_mut(name).expect("every attribute was inserted") = item;
                }
                Ok(Value::Object(object))
            }
            (token, _) => Err(mismatch(&token)),
        }
    }
}

/// One msgpack item as far as its marker and fixed-size payload go.
enum Token<'a> {
    Nil,
    Unknown,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(&'a [u8]),
    Array(usize),
    Map(usize),
}

impl Token<'_> {
    fn kind(&self) -> &'static str {
        match self {
            Token::Nil => "nil",
            Token::Unknown => "extension",
            Token::Bool(_) => "bool",
            Token::Int(_) => "integer",
            Token::Float(_) => "float",
            Token::Str(_) => "string",
            Token::Array(_) => "array",
            Token::Map(_) => "map",
        }
    }
}

/// Encodes a value (whose shape follows its schema type) as msgpack.
pub fn encode_msgpack(value: &Value) -> Vec<u8> {
    // Sized up front: growing a buffer of tens of MB by doubling copies it and faults in
    // fresh pages each time.
    let mut bytes = Vec::with_capacity(encoded_size(value));
    write_msgpack(&mut bytes, value);
    bytes
}

/// The length of a msgpack header (marker and length bytes) for a collection or string of
/// `length` elements or bytes, given the largest length of its one-byte "fix" form.
fn header_size(length: usize, fix_limit: usize, has_8_bit_form: bool) -> usize {
    match length {
        n if n <= fix_limit => 1,
        n if has_8_bit_form && n <= 0xff => 2,
        n if n <= 0xffff => 3,
        _ => 5,
    }
}

/// Bytes [`write_msgpack`] writes for `value` (numbers are bounded above: at most 9 bytes or
/// their text).
fn encoded_size(value: &Value) -> usize {
    match value {
        Value::Null | Value::Bool(_) => 1,
        Value::Unknown => 3,
        Value::Encoded(bytes) => bytes.len(),
        Value::String(s) => header_size(s.len(), 31, true) + s.len(),
        Value::Number(n) => 9.max(5 + n.as_text().len()),
        Value::List(items) | Value::Set(items) => {
            header_size(items.len(), 15, false) + items.iter().map(encoded_size).sum::<usize>()
        }
        Value::Map(entries) | Value::Object(entries) => {
            header_size(entries.len(), 15, false)
                + entries
                    .iter()
                    .map(|(key, item)| {
                        header_size(key.len(), 31, true) + key.len() + encoded_size(item)
                    })
                    .sum::<usize>()
        }
    }
}

const INFALLIBLE: &str = "writing msgpack to a Vec cannot fail";

/// Writes `value` as msgpack (an encoded value as it is).
pub fn write_msgpack(out: &mut Vec<u8>, value: &Value) {
    use rmp::encode;
    match value {
        Value::Null => encode::write_nil(out).expect(INFALLIBLE),
        Value::Unknown => {
            encode::write_ext_meta(out, 1, UNKNOWN_EXTENSION).expect(INFALLIBLE);
            out.push(0);
        }
        Value::Encoded(bytes) => out.extend_from_slice(bytes),
        Value::Bool(b) => encode::write_bool(out, *b).expect(INFALLIBLE),
        Value::String(s) => write_str(out, s),
        Value::Number(n) => write_number(out, n),
        Value::List(items) | Value::Set(items) => {
            write_array_len(out, items.len());
            items.iter().for_each(|item| write_msgpack(out, item));
        }
        Value::Map(entries) | Value::Object(entries) => {
            write_map_len(out, entries.len());
            for (key, item) in entries {
                write_str(out, key);
                write_msgpack(out, item);
            }
        }
    }
}

pub fn write_str(out: &mut Vec<u8>, text: &str) {
    rmp::encode::write_str(out, text).expect(INFALLIBLE);
}

pub fn write_i64(out: &mut Vec<u8>, number: i64) {
    rmp::encode::write_sint(out, number).expect(INFALLIBLE);
}

pub fn write_nil(out: &mut Vec<u8>) {
    rmp::encode::write_nil(out).expect(INFALLIBLE);
}

/// The header of a map (or object) of `entries` key/value pairs, which follow it.
pub fn write_map_len(out: &mut Vec<u8>, entries: usize) {
    rmp::encode::write_map_len(out, wire_length(entries)).expect(INFALLIBLE);
}

/// The header of an array (list or set) of `items` values, which follow it.
pub fn write_array_len(out: &mut Vec<u8>, items: usize) {
    rmp::encode::write_array_len(out, wire_length(items)).expect(INFALLIBLE);
}

fn wire_length(length: usize) -> u32 {
    u32::try_from(length).expect("msgpack collections hold at most 2^32-1 elements")
}

/// Like cty: an integer when it fits, a float when that is exact, otherwise decimal text.
fn write_number(out: &mut Vec<u8>, number: &Number) {
    use rmp::encode;
    let text = number.as_text();
    if let Ok(i) = text.parse::<i64>() {
        encode::write_sint(out, i).expect(INFALLIBLE);
    } else if let Ok(u) = text.parse::<u64>() {
        encode::write_uint(out, u).expect(INFALLIBLE);
    } else {
        let float = number.to_f64();
        if Number::from_f64(float).as_ref() == Some(number) {
            encode::write_f64(out, float).expect(INFALLIBLE);
        } else {
            write_str(out, text);
        }
    }
}

/// Decodes JSON (raw state as Terraform stored it) as a value of `ty`. Attributes the type
/// does not have are an error; attributes missing from the JSON are null.
pub fn decode_json(bytes: &[u8], ty: &Type) -> Result<Value, Diagnostic> {
    let raw: serde_json::Value = serde_json::from_slice(bytes).map_err(|err| {
        Diagnostic::error(
            "Invalid stored state",
            format!("the state JSON could not be read: {err}"),
        )
    })?;
    from_json(&raw, ty).map_err(|err| err.into_diagnostic("Invalid stored state"))
}

fn from_json(raw: &serde_json::Value, ty: &Type) -> Decoded<Value> {
    use serde_json::Value as Json;
    let mismatch = || DecodeError::new(format!("expected a {}, got {raw}", ty.friendly_name()));
    match (raw, ty) {
        (Json::Null, _) => Ok(Value::Null),
        (Json::Bool(b), Type::Bool) => Ok(Value::Bool(*b)),
        (Json::String(s), Type::String) => Ok(Value::string(s.as_str())),
        (Json::Number(n), Type::Number) => Number::parse(&n.to_string())
            .map(Value::Number)
            .ok_or_else(mismatch),
        (Json::String(s), Type::Number) => Number::parse(s).map(Value::Number).ok_or_else(mismatch),
        (Json::Array(items), Type::List(element)) => items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                from_json(item, element).map_err(|e| e.under(|| PathStep::Index(i as i64)))
            })
            .collect::<Decoded<_>>()
            .map(Value::List),
        (Json::Array(items), Type::Set(element)) => items
            .iter()
            .map(|item| from_json(item, element))
            .collect::<Decoded<_>>()
            .map(Value::set),
        (Json::Object(entries), Type::Map(element)) => entries
            .iter()
            .map(|(k, v)| {
                let item =
                    from_json(v, element).map_err(|e| e.under(|| PathStep::Key(k.clone())))?;
                Ok((k.clone(), item))
            })
            .collect::<Decoded<_>>()
            .map(Value::Map),
        (Json::Object(entries), Type::Object(attributes)) => {
            let mut object: Object = attributes
                .keys()
                .map(|k| (k.clone(), Value::Null))
                .collect();
            for (key, item) in entries {
                let Some(attribute_type) = attributes.get(key) else {
                    return Err(DecodeError::new(format!("unexpected attribute {key:?}")));
                };
                let item = from_json(item, attribute_type)
                    .map_err(|e| e.under(|| PathStep::Attribute(key.clone())))?;
                object.insert(key.clone(), item);
            }
            Ok(Value::Object(object))
        }
        _ => Err(mismatch()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn acl_type() -> Type {
        Type::Set(Box::new(Type::Object(BTreeMap::from([
            ("principal".to_string(), Type::String),
            ("operation".to_string(), Type::String),
        ]))))
    }

    fn object_type() -> Type {
        Type::Object(BTreeMap::from([
            ("id".to_string(), Type::String),
            ("count".to_string(), Type::Number),
            ("acls".to_string(), acl_type()),
            ("tags".to_string(), Type::Map(Box::new(Type::String))),
        ]))
    }

    fn acl(principal: &str, operation: &str) -> Value {
        Value::Object(BTreeMap::from([
            ("principal".to_string(), Value::string(principal)),
            ("operation".to_string(), Value::string(operation)),
        ]))
    }

    #[test]
    fn msgpack_round_trips_unknowns_nulls_and_nested_sets() {
        let value = Value::Object(BTreeMap::from([
            ("id".to_string(), Value::Unknown),
            ("count".to_string(), Value::Null),
            (
                "acls".to_string(),
                Value::set(vec![
                    acl("User:b", "READ"),
                    acl("User:a", "WRITE"),
                    Value::Unknown,
                ]),
            ),
            (
                "tags".to_string(),
                Value::Map(BTreeMap::from([("k".to_string(), Value::string("v"))])),
            ),
        ]));
        let bytes = encode_msgpack(&value);
        assert_eq!(decode_msgpack(&bytes, &object_type()).unwrap(), value);
    }

    #[test]
    fn the_size_estimate_bounds_the_encoding() {
        let long = "x".repeat(70_000);
        let value = Value::Object(BTreeMap::from([
            ("a".repeat(40), Value::string(&long)),
            ("n".to_string(), Value::Number(Number::parse("12").unwrap())),
            ("u".to_string(), Value::Unknown),
            ("l".to_string(), Value::List(vec![Value::string("y"); 300])),
        ]));
        let bytes = encode_msgpack(&value);
        assert!(bytes.len() <= encoded_size(&value));
        // Exact except for numbers (bounded above).
        assert!(encoded_size(&value) - bytes.len() < 10);
    }

    #[test]
    fn skipped_attributes_read_as_unknown_and_the_rest_decodes() {
        let value = Value::Object(BTreeMap::from([
            ("id".to_string(), Value::string("x")),
            ("count".to_string(), Value::Null),
            (
                "acls".to_string(),
                Value::set(vec![acl("User:b", "READ"), acl("User:a", "WRITE")]),
            ),
            (
                "tags".to_string(),
                Value::Map(BTreeMap::from([("k".to_string(), Value::string("v"))])),
            ),
        ]));
        let bytes = encode_msgpack(&value);
        let Value::Object(decoded) =
            decode_msgpack_skipping(&bytes, &object_type(), &["acls", "tags"]).unwrap()
        else {
            panic!("not an object")
        };
        assert_eq!(decoded["acls"], Value::Unknown);
        assert_eq!(decoded["tags"], Value::Unknown);
        assert_eq!(decoded["id"], Value::string("x"));
        // Trailing bytes after the value are an error, not ignored.
        let mut longer = bytes.clone();
        longer.push(0xc0);
        assert!(decode_msgpack(&longer, &object_type()).is_err());
        // So is a truncated value.
        assert!(decode_msgpack(&bytes[..bytes.len() - 1], &object_type()).is_err());
    }

    #[test]
    fn kept_collections_stay_encoded_as_slices_of_the_input() {
        let value = Value::Object(BTreeMap::from([
            ("id".to_string(), Value::string("x")),
            ("count".to_string(), Value::Null),
            ("acls".to_string(), Value::set(vec![acl("User:a", "READ")])),
            ("tags".to_string(), Value::Null),
        ]));
        let bytes = Bytes::from(encode_msgpack(&value));
        let decoded = decode_msgpack_keeping(&bytes, &object_type(), &["acls", "tags"]).unwrap();
        let Value::Object(object) = &decoded else {
            panic!("not an object")
        };
        let Value::Encoded(acls) = &object["acls"] else {
            panic!("acls not kept: {:?}", object["acls"])
        };
        // A slice of the input, which decodes to the same tree.
        assert!(bytes.as_ptr_range().contains(&acls.as_ptr()));
        assert_eq!(
            decode_msgpack(acls, &acl_type()).unwrap(),
            value_of(&value, "acls")
        );
        // Only collections are kept: null stays null.
        assert_eq!(object["tags"], Value::Null);
        assert_eq!(object["id"], Value::string("x"));
        // Written back, the object encodes to the same bytes.
        assert_eq!(encode_msgpack(&decoded), bytes.as_ref());
        // A kept attribute's structure is still checked.
        assert!(
            decode_msgpack_keeping(&bytes.slice(..bytes.len() - 1), &object_type(), &["acls"])
                .is_err()
        );
    }

    fn value_of(object: &Value, name: &str) -> Value {
        let Value::Object(object) = object else {
            panic!("not an object")
        };
        object[name].clone()
    }

    #[test]
    fn typed_reads_take_only_items_of_their_form() {
        let bytes = encode_msgpack(&Value::List(vec![
            Value::string("a"),
            Value::Number(Number::from_i64(-3)),
            Value::Null,
        ]));
        let mut reader = MsgpackReader::new(&bytes);
        assert_eq!(reader.next_map_len(), None, "an array is not a map");
        assert!(
            matches!(reader.read_value(&Type::Map(Box::new(Type::String))), Err(d) if d.detail.contains("expected a map of string"))
        );
        let mut reader = MsgpackReader::new(&bytes[1..]);
        assert_eq!(reader.next_i64(), None, "a string is not a number");
        assert_eq!(reader.next_str(), Some("a"));
        assert!(!reader.next_nil());
        assert_eq!(reader.next_i64(), Some(-3));
        assert!(reader.next_nil());
        reader.finish("test").unwrap();
    }

    #[test]
    fn unknown_is_ctys_extension_and_refined_unknowns_decode() {
        assert_eq!(encode_msgpack(&Value::Unknown), vec![0xd4, 0, 0]);
        // A refined unknown (extension 12 with a payload) is still just unknown to us.
        let refined = [0xc7, 0x03, 12, 0x81, 0x01, 0xc2];
        assert_eq!(
            decode_msgpack(&refined, &Type::String).unwrap(),
            Value::Unknown
        );
    }

    #[test]
    fn big_numbers_and_floats_survive() {
        for text in [
            "123456789012345678901234567890",
            "0.1",
            "-42",
            "18446744073709551615",
        ] {
            let number = Value::Number(Number::parse(text).unwrap());
            let decoded = decode_msgpack(&encode_msgpack(&number), &Type::Number).unwrap();
            assert_eq!(decoded, number, "{text}");
        }
    }

    #[test]
    fn type_mismatch_names_the_path() {
        let bad = encode_msgpack(&Value::Object(BTreeMap::from([(
            "tags".to_string(),
            Value::Map(BTreeMap::from([("k".to_string(), Value::Bool(true))])),
        )])));
        let err = decode_msgpack(&bad, &object_type()).unwrap_err();
        assert_eq!(err.path, Some(AttributePath::attribute("tags").key("k")));
    }

    #[test]
    fn json_state_decodes_with_missing_attributes_as_null() {
        let json = br#"{"id":"x","count":123456789012345678901234567890,"acls":[{"principal":"User:a","operation":"READ"}]}"#;
        let Value::Object(object) = decode_json(json, &object_type()).unwrap() else {
            panic!("not an object")
        };
        assert_eq!(object["tags"], Value::Null);
        assert_eq!(
            object["count"],
            Value::Number(Number::parse("123456789012345678901234567890").unwrap())
        );
        assert_eq!(object["acls"], Value::set(vec![acl("User:a", "READ")]));
        let err = decode_json(br#"{"nope":1}"#, &object_type()).unwrap_err();
        assert!(err.detail.contains("nope"));
    }
}
