//! Type-directed conversion between [`Value`] and the wire encodings: msgpack (every
//! DynamicValue Terraform sends or receives, with cty's extension for unknown values) and JSON
//! (raw state handed to UpgradeResourceState). Errors name the attribute path.

use super::diag::{AttributePath, Diagnostic};
use super::value::{Number, Object, Type, Value};
use rmpv::Value as Msgpack;

/// cty encodes an unknown value as a msgpack extension; this is the plain, unrefined form.
const UNKNOWN_EXTENSION: i8 = 0;

fn decode_error(path: &AttributePath, detail: String) -> Diagnostic {
    Diagnostic::error("Invalid value from Terraform", detail).at(path.clone())
}

/// Decodes msgpack bytes as a value of `ty`.
pub fn decode_msgpack(bytes: &[u8], ty: &Type) -> Result<Value, Diagnostic> {
    let mut reader = bytes;
    let raw = rmpv::decode::read_value(&mut reader).map_err(|err| {
        Diagnostic::error(
            "Invalid value from Terraform",
            format!("the msgpack value could not be read: {err}"),
        )
    })?;
    from_msgpack(&raw, ty, &AttributePath::root())
}

fn from_msgpack(raw: &Msgpack, ty: &Type, path: &AttributePath) -> Result<Value, Diagnostic> {
    let mismatch = || {
        decode_error(
            path,
            format!("expected a {}, got msgpack {raw}", ty.friendly_name()),
        )
    };
    match (raw, ty) {
        (Msgpack::Nil, _) => Ok(Value::Null),
        // Any extension is an unknown value (newer Terraform adds refinements; we ignore them).
        (Msgpack::Ext(_, _), _) => Ok(Value::Unknown),
        (Msgpack::Boolean(b), Type::Bool) => Ok(Value::Bool(*b)),
        (Msgpack::String(s), Type::String) => s
            .as_str()
            .map(Value::string)
            .ok_or_else(|| decode_error(path, "a string is not valid UTF-8".into())),
        (Msgpack::Integer(i), Type::Number) => Ok(Value::Number(
            Number::parse(&i.to_string()).ok_or_else(mismatch)?,
        )),
        (Msgpack::F32(f), Type::Number) => number_from_float(f64::from(*f), path),
        (Msgpack::F64(f), Type::Number) => number_from_float(*f, path),
        // cty writes numbers that fit neither i64 nor f64 as decimal strings.
        (Msgpack::String(s), Type::Number) => s
            .as_str()
            .and_then(Number::parse)
            .map(Value::Number)
            .ok_or_else(mismatch),
        (Msgpack::Array(items), Type::List(element)) => items
            .iter()
            .enumerate()
            .map(|(i, item)| from_msgpack(item, element, &path.index(i)))
            .collect::<Result<_, _>>()
            .map(Value::List),
        // Set elements have no path step: Terraform cannot address them.
        (Msgpack::Array(items), Type::Set(element)) => items
            .iter()
            .map(|item| from_msgpack(item, element, path))
            .collect::<Result<_, _>>()
            .map(Value::set),
        (Msgpack::Map(entries), Type::Map(element)) => {
            let mut map = Object::new();
            for (key, item) in entries {
                let key = key.as_str().ok_or_else(mismatch)?;
                map.insert(
                    key.to_string(),
                    from_msgpack(item, element, &path.key(key))?,
                );
            }
            Ok(Value::Map(map))
        }
        (Msgpack::Map(entries), Type::Object(attributes)) => {
            let mut object: Object = attributes
                .keys()
                .map(|k| (k.clone(), Value::Null))
                .collect();
            for (key, item) in entries {
                let key = key.as_str().ok_or_else(mismatch)?;
                let Some(attribute_type) = attributes.get(key) else {
                    return Err(decode_error(path, format!("unexpected attribute {key:?}")));
                };
                object.insert(
                    key.to_string(),
                    from_msgpack(item, attribute_type, &path.attr(key))?,
                );
            }
            Ok(Value::Object(object))
        }
        _ => Err(mismatch()),
    }
}

fn number_from_float(f: f64, path: &AttributePath) -> Result<Value, Diagnostic> {
    Number::from_f64(f)
        .map(Value::Number)
        .ok_or_else(|| decode_error(path, format!("{f} is not a finite number")))
}

/// Encodes a value (whose shape follows its schema type) as msgpack.
pub fn encode_msgpack(value: &Value) -> Vec<u8> {
    let mut bytes = Vec::new();
    rmpv::encode::write_value(&mut bytes, &to_msgpack(value))
        .expect("writing msgpack to a Vec cannot fail");
    bytes
}

fn to_msgpack(value: &Value) -> Msgpack {
    match value {
        Value::Null => Msgpack::Nil,
        Value::Unknown => Msgpack::Ext(UNKNOWN_EXTENSION, vec![0]),
        Value::Bool(b) => Msgpack::Boolean(*b),
        Value::String(s) => Msgpack::from(s.as_str()),
        Value::Number(n) => number_to_msgpack(n),
        Value::List(items) | Value::Set(items) => {
            Msgpack::Array(items.iter().map(to_msgpack).collect())
        }
        Value::Map(entries) | Value::Object(entries) => Msgpack::Map(
            entries
                .iter()
                .map(|(k, v)| (Msgpack::from(k.as_str()), to_msgpack(v)))
                .collect(),
        ),
    }
}

/// Like cty: an integer when it fits, a float when that is exact, otherwise decimal text.
fn number_to_msgpack(number: &Number) -> Msgpack {
    let text = number.as_text();
    if let Ok(i) = text.parse::<i64>() {
        return Msgpack::from(i);
    }
    if let Ok(u) = text.parse::<u64>() {
        return Msgpack::from(u);
    }
    let float = number.to_f64();
    if Number::from_f64(float).as_ref() == Some(number) {
        return Msgpack::F64(float);
    }
    Msgpack::from(text)
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
    from_json(&raw, ty, &AttributePath::root())
}

fn from_json(
    raw: &serde_json::Value,
    ty: &Type,
    path: &AttributePath,
) -> Result<Value, Diagnostic> {
    use serde_json::Value as Json;
    let mismatch = || {
        Diagnostic::error(
            "Invalid stored state",
            format!("expected a {}, got {raw}", ty.friendly_name()),
        )
        .at(path.clone())
    };
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
            .map(|(i, item)| from_json(item, element, &path.index(i)))
            .collect::<Result<_, _>>()
            .map(Value::List),
        (Json::Array(items), Type::Set(element)) => items
            .iter()
            .map(|item| from_json(item, element, path))
            .collect::<Result<_, _>>()
            .map(Value::set),
        (Json::Object(entries), Type::Map(element)) => entries
            .iter()
            .map(|(k, v)| Ok((k.clone(), from_json(v, element, &path.key(k))?)))
            .collect::<Result<_, _>>()
            .map(Value::Map),
        (Json::Object(entries), Type::Object(attributes)) => {
            let mut object: Object = attributes
                .keys()
                .map(|k| (k.clone(), Value::Null))
                .collect();
            for (key, item) in entries {
                let Some(attribute_type) = attributes.get(key) else {
                    return Err(Diagnostic::error(
                        "Invalid stored state",
                        format!("unexpected attribute {key:?}"),
                    )
                    .at(path.clone()));
                };
                object.insert(
                    key.clone(),
                    from_json(item, attribute_type, &path.attr(key))?,
                );
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
