//! The schema layer's unit tests: one declaration gives schema and values, typed msgpack
//! reading and writing agrees with the value-tree codec byte for byte, errors land on paths.

use super::*;
use crate::codec;
use crate::value::{Number, Object, Value};
use std::collections::{BTreeMap, BTreeSet};

crate::tf_object! {
    struct Row {
        name: String,
        port: Option<i64>,
    }
}

const ROWS: Attr<BTreeSet<Row>> = Attr::computed("rows", "rows");
const COUNT: Attr<i64> = Attr::required("count", "count").requires_replace();

#[test]
fn one_declaration_gives_schema_and_values() {
    let block = Block::new("test").attr(&ROWS).attr(&COUNT);
    assert_eq!(
        block.value_type().to_json().to_string(),
        r#"["object",{"count":"number","rows":["set",["object",{"name":"string","port":"number"}]]}]"#
    );
    let mut object = Object::new();
    let rows = BTreeSet::from([Row {
        name: "a".into(),
        port: None,
    }]);
    ROWS.set(&mut object, &rows);
    assert_eq!(ROWS.get(&object).unwrap(), Field::Known(rows));
    assert_eq!(COUNT.get(&object).unwrap(), Field::Null);
    COUNT.set_unknown(&mut object);
    assert!(COUNT.get(&object).unwrap().is_unknown());
    object.insert("rows".into(), Value::set(vec![Value::Unknown]));
    assert!(
        ROWS.get(&object).unwrap().is_unknown(),
        "partly unknown reads as unknown"
    );
    assert!(COUNT.known(&object).is_err());
}

const ROW_MAP: Attr<BTreeMap<String, Row>> = Attr::computed("row_map", "rows by key");

fn row(name: &str, port: Option<i64>) -> Row {
    Row {
        name: name.into(),
        port,
    }
}

/// `put` writes msgpack directly; reading it back (typed or as a tree) gives the same rows.
#[test]
fn typed_msgpack_round_trips_and_matches_the_tree_codec() {
    let rows = BTreeMap::from([
        ("a".to_string(), row("a", Some(9092))),
        ("b".to_string(), row(&"b".repeat(300), None)),
    ]);
    let mut object = Object::new();
    ROW_MAP.put(&mut object, &rows);
    let Value::Encoded(bytes) = &object["row_map"] else {
        panic!("put did not encode")
    };
    assert!(bytes.len() <= rows.msgpack_len_bound());
    let tree = codec::decode_msgpack(bytes, &BTreeMap::<String, Row>::tf_type()).unwrap();
    assert_eq!(tree, rows.to_value());
    assert_eq!(ROW_MAP.get(&object).unwrap(), Field::Known(rows.clone()));
    assert_eq!(ROW_MAP.take_known(&mut object).unwrap(), Some(rows.clone()));
    assert_eq!(object["row_map"], Value::Null, "taken");
    // Encoded by the tree codec (fields in another order), read typed.
    let from_tree: Value = Value::Encoded(codec::encode_msgpack(&rows.to_value()).into());
    object.insert("row_map".into(), from_tree);
    assert_eq!(ROW_MAP.known(&object).unwrap(), Some(rows));
}

/// Map values alone, from an encoded map or (state upgraded from JSON) a tree.
#[test]
fn map_values_are_taken_without_their_keys() {
    let rows = BTreeMap::from([
        ("b".to_string(), row("second", None)),
        ("a".to_string(), row("first", Some(1))),
    ]);
    let mut object = Object::new();
    ROW_MAP.put(&mut object, &rows);
    let expected = vec![row("first", Some(1)), row("second", None)];
    assert_eq!(
        ROW_MAP.take_known_values(&mut object).unwrap(),
        Some(expected.clone())
    );
    assert_eq!(object["row_map"], Value::Null, "taken");
    ROW_MAP.set(&mut object, &rows);
    assert_eq!(
        ROW_MAP.take_known_values(&mut object).unwrap(),
        Some(expected)
    );
    assert_eq!(ROW_MAP.take_known_values(&mut object).unwrap(), None);
    let not_a_map = Value::Encoded(codec::encode_msgpack(&Value::string("x")).into());
    object.insert("row_map".into(), not_a_map);
    let error = ROW_MAP.take_known_values(&mut object).unwrap_err();
    assert_eq!(error.path, Some(ROW_MAP.path()));
}

crate::tf_object! {
    /// Fields not in name order, with names that share prefixes.
    struct Unsorted {
        zeta: String,
        alpha_long: i64,
        alpha: Option<String>,
        mid: BTreeMap<String, String>,
    }
}

/// Objects are written with their attributes in name order, as the tree (and Terraform)
/// write them: the same value gives the same bytes either way.
#[test]
fn typed_objects_encode_like_the_tree_byte_for_byte() {
    assert_eq!(
        name_order::<4>(&["zeta", "alpha_long", "alpha", "mid"]),
        [2, 1, 3, 0]
    );
    let value = Unsorted {
        zeta: "z".repeat(40),
        alpha_long: 300,
        alpha: None,
        mid: BTreeMap::from([("k".to_string(), "v".to_string())]),
    };
    let mut typed = Vec::new();
    value.write_msgpack(&mut typed);
    assert_eq!(typed, codec::encode_msgpack(&value.to_value()));
    assert!(typed.len() <= value.msgpack_len_bound());
}

/// A map written from sources value by value encodes as the map itself.
#[test]
fn maps_made_entry_by_entry_encode_like_the_map() {
    let rows = BTreeMap::from([
        ("a".to_string(), row("first", Some(1))),
        ("b".to_string(), row("second", None)),
    ]);
    let sources: Vec<(String, (&str, Option<i64>))> = vec![
        ("a".to_string(), ("first", Some(1))),
        ("b".to_string(), ("second", None)),
    ];
    let (mut made, mut put) = (Object::new(), Object::new());
    ROW_MAP.put_made(&mut made, &sources, |(name, port)| row(name, *port), 0);
    ROW_MAP.put(&mut put, &rows);
    assert_eq!(made, put);
    assert_eq!(ROW_MAP.known(&made).unwrap(), Some(rows));
}

/// Map keys alone, borrowed, from an encoded map or a tree; anything else is an error.
#[test]
fn map_keys_are_read_without_their_values() {
    let rows = BTreeMap::from([
        ("b".to_string(), row("second", None)),
        ("a".to_string(), row("first", Some(1))),
    ]);
    let mut object = Object::new();
    assert_eq!(ROW_MAP.known_keys(&object), Ok(vec![]), "absent");
    ROW_MAP.put(&mut object, &rows);
    assert_eq!(ROW_MAP.known_keys(&object), Ok(vec!["a", "b"]));
    ROW_MAP.set(&mut object, &rows);
    assert_eq!(ROW_MAP.known_keys(&object), Ok(vec!["a", "b"]));
    ROW_MAP.set_null(&mut object);
    assert_eq!(ROW_MAP.known_keys(&object), Ok(vec![]));
    let encoded_null = Value::Encoded(codec::encode_msgpack(&Value::Null).into());
    object.insert("row_map".into(), encoded_null);
    assert_eq!(ROW_MAP.known_keys(&object), Ok(vec![]));
    ROW_MAP.set_unknown(&mut object);
    let error = ROW_MAP.known_keys(&object).unwrap_err();
    assert_eq!(error.path, Some(ROW_MAP.path()));
    assert!(error.detail.contains("map of object"), "{}", error.detail);
    let not_a_map = Value::Encoded(codec::encode_msgpack(&Value::string("x")).into());
    object.insert("row_map".into(), not_a_map);
    assert!(ROW_MAP.known_keys(&object).is_err());
    let mut encoded = Vec::new();
    rows.write_msgpack(&mut encoded);
    encoded.truncate(encoded.len() - 1);
    object.insert("row_map".into(), Value::Encoded(encoded.into()));
    assert!(ROW_MAP.known_keys(&object).is_err(), "truncated");
}

/// Typed reads report what the tree reads report, on the same path.
#[test]
fn typed_msgpack_errors_name_the_key_and_field() {
    let bad = Value::Map(BTreeMap::from([(
        "k1".to_string(),
        Value::Object(BTreeMap::from([
            ("name".to_string(), Value::Number(Number::from_i64(1))),
            ("port".to_string(), Value::Null),
        ])),
    )]));
    let mut object = Object::new();
    object.insert(
        "row_map".into(),
        Value::Encoded(codec::encode_msgpack(&bad).into()),
    );
    let error = ROW_MAP.take_known(&mut object).unwrap_err();
    assert_eq!(error.path.unwrap().to_string(), "row_map[\"k1\"].name");
    assert!(
        error.detail.contains("expected a string"),
        "{}",
        error.detail
    );
    // A missing required field reads as null, as from a tree.
    let missing = Value::Map(BTreeMap::from([(
        "k1".to_string(),
        Value::Object(BTreeMap::from([("port".to_string(), Value::Null)])),
    )]));
    object.insert(
        "row_map".into(),
        Value::Encoded(codec::encode_msgpack(&missing).into()),
    );
    let error = ROW_MAP.known(&object).unwrap_err();
    assert_eq!(error.path.unwrap().to_string(), "row_map[\"k1\"].name");
    assert!(
        error.detail.contains("a value is required"),
        "{}",
        error.detail
    );
    // An unknown inside a kept value is an error, not a partly known read.
    let unknown = Value::Map(BTreeMap::from([("k1".to_string(), Value::Unknown)]));
    object.insert(
        "row_map".into(),
        Value::Encoded(codec::encode_msgpack(&unknown).into()),
    );
    assert!(ROW_MAP
        .known(&object)
        .unwrap_err()
        .detail
        .contains("not known yet"));
}

#[test]
fn nested_attribute_declares_its_fields() {
    const OPTIONAL_ROWS: Attr<Vec<Row>> = Attr::optional("rows", "rows").nested();
    let nested = OPTIONAL_ROWS.schema().nested.expect("nested");
    assert_eq!(nested.nesting, Nesting::List);
    let presence: Vec<(String, Presence)> = nested
        .attributes
        .iter()
        .map(|a| (a.name.clone(), a.presence))
        .collect();
    assert_eq!(
        presence,
        [
            ("name".to_string(), Presence::Required),
            ("port".to_string(), Presence::Optional)
        ]
    );
    let computed = ROWS.nested().schema().nested.expect("nested");
    assert_eq!(computed.nesting, Nesting::Set);
    assert!(computed
        .attributes
        .iter()
        .all(|a| a.presence == Presence::Computed));
}

#[test]
fn float_where_integer_wanted_is_a_diagnostic_on_the_path() {
    let object = Object::from([(
        "count".to_string(),
        Value::Number(Number::parse("1.5").unwrap()),
    )]);
    let err = COUNT.get(&object).unwrap_err();
    assert_eq!(err.path, Some(COUNT.path()));
    assert!(err.detail.contains("not a whole number"));
}

#[test]
fn replace_only_when_flagged_attribute_changes() {
    let prior = Object::from([("count".to_string(), Value::Number(Number::from_i64(1)))]);
    let mut planned = prior.clone();
    let mut paths = Vec::new();
    COUNT.replace_if_changed(&prior, &planned, &mut paths);
    assert!(paths.is_empty());
    COUNT.set(&mut planned, &2);
    COUNT.replace_if_changed(&prior, &planned, &mut paths);
    assert_eq!(paths, vec![COUNT.path()]);
}
