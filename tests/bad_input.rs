//! Bad input never panics, and planning does not depend on input order: a fixed-seed,
//! fuzz-style generator throws random msgpack bytes, random schema-shaped values (unknown and
//! null anywhere, numbers out of range, floats where integers are wanted, wrong types) and
//! random JSON state at the DynamicValue decoders and at the provider's and every resource's
//! validation; random strings at every input validator; and shuffled list inputs at
//! `plan_mm2` / `plan_cluster_link`. Seeds are fixed, so a failure reproduces; the seed and
//! case number are in the panic message.

use kafkamirror::model::cluster_link::{plan_cluster_link, ClusterLinkInputs, LinkMode};
use kafkamirror::model::mm2::{
    plan_mm2, ConnectWorker, Mm2Deployment, Mm2Inputs, OffsetSyncsLocation, ReplicationPolicy,
};
use kafkamirror::model::topic_name::check_topic_name;
use kafkamirror::model::validate::{normalize_principal, validate_cluster_link, validate_mm2};
use kafkamirror::provider::KafkamirrorProvider;
use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use tfplugin::codec::{decode_json, decode_msgpack, encode_msgpack};
use tfplugin::{Diagnostics, Number, Provider, Type, Value};

/// SplitMix64: small, fast, and the same sequence on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    fn bytes(&mut self, max_len: usize) -> Vec<u8> {
        let len = self.below(max_len + 1);
        (0..len).map(|_| self.next() as u8).collect()
    }

    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i + 1);
            items.swap(i, j);
        }
    }

    /// Strings that stress validators: empty, very long, control characters, non-ASCII,
    /// separators, wildcards, and near-valid forms.
    fn nasty_string(&mut self) -> String {
        const FRAGMENTS: &[&str] = &[
            "User:",
            "Group:",
            "user:",
            ":",
            "::",
            "*",
            ".",
            "..",
            "-",
            "_",
            " ",
            "\t",
            "\n",
            "\u{0}",
            "\u{7f}",
            "\u{e9}",
            "\u{1F600}",
            "\u{202E}",
            "sa-",
            "SA-X",
            "007",
            "0",
            "orders",
            "mm2",
            "a",
            "Z",
            "9",
            "/",
            "\\",
            "\"",
            "'",
            "${x}",
            "%",
            "=",
            ",",
            ";",
            "kafka-cluster",
            "__consumer_offsets",
            "mm2-offsets.",
            "heartbeats",
        ];
        match self.below(10) {
            0 => String::new(),
            1 => "x".repeat(240 + self.below(20)),
            2 => String::from_utf8_lossy(&self.bytes(40)).into_owned(),
            _ => {
                let parts = 1 + self.below(6);
                (0..parts).map(|_| *self.pick(FRAGMENTS)).collect()
            }
        }
    }

    /// A legal topic-name fragment (for inputs that must be valid).
    fn topic_name(&mut self) -> String {
        const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCXYZ0123456789._-";
        let len = 1 + self.below(20);
        let name: String = (0..len).map(|_| *self.pick(CHARS) as char).collect();
        if name == "." || name == ".." {
            "dot".to_string()
        } else {
            name
        }
    }
}

/// Runs `case` for `cases` seeds, naming the seed of the first panic.
fn for_cases(label: &str, cases: u64, case: impl Fn(&mut Rng)) {
    for seed in 0..cases {
        let mut rng = Rng(seed.wrapping_mul(0x2545_F491_4F6C_DD1D) ^ 0x5DEE_CE66);
        if let Err(panic) = catch_unwind(AssertUnwindSafe(|| case(&mut rng))) {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            panic!("{label}: case {seed} panicked: {message}");
        }
    }
}

/// Every schema the provider serves: (name, object type, validator over a decoded object).
type Validator = Box<dyn Fn(&BTreeMap<String, Value>, &mut Diagnostics)>;

fn schemas() -> Vec<(String, Type, Validator)> {
    let provider = KafkamirrorProvider;
    let mut out: Vec<(String, Type, Validator)> = vec![(
        "provider".to_string(),
        provider.schema().block.value_type(),
        Box::new(|config, diags| KafkamirrorProvider.validate(config, diags)),
    )];
    for resource in provider.resources() {
        let ty = resource.schema().block.value_type();
        out.push((
            resource.type_name().to_string(),
            ty,
            Box::new(move |config, diags| resource.validate(config, diags)),
        ));
    }
    for data_source in provider.data_sources() {
        let ty = data_source.schema().block.value_type();
        out.push((
            data_source.type_name().to_string(),
            ty,
            Box::new(move |config, diags| data_source.validate(config, diags)),
        ));
    }
    out
}

/// Numbers a schema attribute may receive: integers at and past the i64/i16 limits, huge
/// and tiny exponents, fractions (floats where integers are wanted), negative zero.
fn random_number(rng: &mut Rng) -> Number {
    const TEXTS: &[&str] = &[
        "0",
        "-1",
        "1",
        "30",
        "3600",
        "3601",
        "32767",
        "32768",
        "-32769",
        "2147483648",
        "9223372036854775807",
        "9223372036854775808",
        "-9223372036854775809",
        "18446744073709551616",
        "123456789012345678901234567890",
        "1.5",
        "-0.0",
        "0.1",
        "1e400",
        "1e-400",
        "-1e19",
        "2.0",
    ];
    match rng.below(3) {
        0 => Number::from_i64(rng.next() as i64),
        1 => Number::from_f64(f64::from_bits(rng.next())).unwrap_or_else(|| Number::from_i64(0)),
        _ => {
            let text: &&str = rng.pick(TEXTS);
            Number::parse(text).expect("fixture numbers parse")
        }
    }
}

/// A value of `ty`, with null and unknown at any depth.
fn random_value(rng: &mut Rng, ty: &Type, depth: usize) -> Value {
    match rng.below(8) {
        0 => return Value::Null,
        1 => return Value::Unknown,
        _ => {}
    }
    let elements = |rng: &mut Rng| if depth > 3 { 0 } else { rng.below(4) };
    match ty {
        Type::Bool => Value::Bool(rng.chance(2)),
        Type::Number => Value::Number(random_number(rng)),
        Type::String => Value::String(rng.nasty_string()),
        Type::List(element) => {
            let n = elements(rng);
            Value::List(
                (0..n)
                    .map(|_| random_value(rng, element, depth + 1))
                    .collect(),
            )
        }
        Type::Set(element) => {
            let n = elements(rng);
            Value::set(
                (0..n)
                    .map(|_| random_value(rng, element, depth + 1))
                    .collect(),
            )
        }
        Type::Map(element) => {
            let n = elements(rng);
            Value::Map(
                (0..n)
                    .map(|_| (rng.nasty_string(), random_value(rng, element, depth + 1)))
                    .collect(),
            )
        }
        Type::Object(attributes) => Value::Object(
            attributes
                .iter()
                .map(|(name, ty)| (name.clone(), random_value(rng, ty, depth + 1)))
                .collect(),
        ),
    }
}

/// An object of `ty` whose every attribute is unknown (the plan-time worst case).
fn all_unknown(ty: &Type) -> BTreeMap<String, Value> {
    let Type::Object(attributes) = ty else {
        panic!("schemas are objects")
    };
    attributes
        .keys()
        .map(|name| (name.clone(), Value::Unknown))
        .collect()
}

/// Any msgpack value, ignoring the schema (wrong types, nesting, extensions, bad keys).
fn random_msgpack(rng: &mut Rng, depth: usize) -> rmpv::Value {
    use rmpv::Value as M;
    let leaf = depth > 3;
    match rng.below(if leaf { 9 } else { 12 }) {
        0 => M::Nil,
        1 => M::Boolean(rng.chance(2)),
        2 => M::from(rng.next() as i64),
        3 => M::from(rng.next()),
        4 => M::F64(f64::from_bits(rng.next())),
        5 => M::F32(f32::from_bits(rng.next() as u32)),
        6 => M::from(rng.nasty_string()),
        7 => M::Binary(rng.bytes(8)),
        8 => M::Ext(rng.next() as i8, rng.bytes(4)),
        9 => M::Array(
            (0..rng.below(4))
                .map(|_| random_msgpack(rng, depth + 1))
                .collect(),
        ),
        _ => M::Map(
            (0..rng.below(4))
                .map(|_| {
                    let key = if rng.chance(3) {
                        random_msgpack(rng, depth + 1)
                    } else {
                        M::from(rng.nasty_string())
                    };
                    (key, random_msgpack(rng, depth + 1))
                })
                .collect(),
        ),
    }
}

/// A msgpack value that mostly follows `ty` and is random in places: close enough to the
/// schema to reach deep decoder paths.
fn mostly_typed_msgpack(rng: &mut Rng, ty: &Type, depth: usize) -> rmpv::Value {
    if rng.chance(12) {
        return random_msgpack(rng, depth);
    }
    match ty {
        Type::Object(attributes) => {
            let mut entries = Vec::new();
            for (name, ty) in attributes {
                // Some attributes are left out (they decode as null).
                if !rng.chance(5) {
                    entries.push((
                        rmpv::Value::from(name.as_str()),
                        mostly_typed_msgpack(rng, ty, depth + 1),
                    ));
                }
            }
            rmpv::Value::Map(entries)
        }
        Type::List(element) | Type::Set(element) => rmpv::Value::Array(
            (0..rng.below(3))
                .map(|_| mostly_typed_msgpack(rng, element, depth + 1))
                .collect(),
        ),
        Type::Map(element) => rmpv::Value::Map(
            (0..rng.below(3))
                .map(|_| {
                    (
                        rmpv::Value::from(rng.nasty_string()),
                        mostly_typed_msgpack(rng, element, depth + 1),
                    )
                })
                .collect(),
        ),
        Type::Number | Type::Bool | Type::String => random_msgpack(rng, depth + 3),
    }
}

fn write_msgpack(value: &rmpv::Value) -> Vec<u8> {
    let mut bytes = Vec::new();
    rmpv::encode::write_value(&mut bytes, value).expect("msgpack into a Vec");
    bytes
}

/// Decodes and, when the result is an object, validates it like Terraform's calls would.
fn decode_and_validate(bytes: &[u8], ty: &Type, validate: &Validator) {
    if let Ok(Value::Object(object)) = decode_msgpack(bytes, ty) {
        validate(&object, &mut Diagnostics::new());
    }
}

#[test]
fn random_msgpack_bytes_never_panic_the_decoder() {
    let schemas = schemas();
    for_cases("random bytes", 3000, |rng| {
        let (_, ty, validate) = rng.pick(&schemas);
        let mut bytes = rng.bytes(64);
        // Half the time start with a map header so the object path is reached.
        if rng.chance(2) && !bytes.is_empty() {
            bytes[0] = 0x80 | (bytes[0] & 0x0f);
        }
        decode_and_validate(&bytes, ty, validate);
        // Truncations of a valid encoding.
        let valid = encode_msgpack(&random_value(rng, ty, 0));
        let cut = rng.below(valid.len() + 1);
        decode_and_validate(&valid[..cut], ty, validate);
    });
}

#[test]
fn random_structured_msgpack_never_panics_decoder_or_validation() {
    let schemas = schemas();
    for_cases("structured msgpack", 3000, |rng| {
        let (_, ty, validate) = rng.pick(&schemas);
        let bytes = write_msgpack(&mostly_typed_msgpack(rng, ty, 0));
        decode_and_validate(&bytes, ty, validate);
    });
}

/// Values that follow the schema always decode to themselves, and validation of them (with
/// unknowns anywhere and out-of-range numbers) reports problems instead of panicking.
#[test]
fn schema_shaped_values_round_trip_and_validate_without_panic() {
    let schemas = schemas();
    for (name, ty, validate) in &schemas {
        let mut diags = Diagnostics::new();
        validate(&all_unknown(ty), &mut diags);
        assert!(
            !diags.has_errors(),
            "{name}: an all-unknown config must not be an error at validation: {diags:?}"
        );
    }
    for_cases("schema-shaped values", 2000, |rng| {
        let (name, ty, validate) = rng.pick(&schemas);
        let value = match random_value(rng, ty, 0) {
            Value::Object(object) => Value::Object(object),
            // The top level of a DynamicValue is always an object.
            _ => Value::Object(all_unknown(ty)),
        };
        let decoded = decode_msgpack(&encode_msgpack(&value), ty)
            .unwrap_or_else(|diag| panic!("{name}: a schema-shaped value failed: {diag:?}"));
        assert_eq!(decoded, value, "{name}: msgpack round trip");
        let Value::Object(object) = decoded else {
            unreachable!("decoded an object")
        };
        validate(&object, &mut Diagnostics::new());
    });
}

/// Out-of-range and fractional numbers in integer attributes are diagnostics.
#[test]
fn out_of_range_numbers_in_the_provider_config_are_errors() {
    for bad in ["0", "3601", "1.5", "9223372036854775808", "-1e19", "1e400"] {
        let cluster = Value::Object(BTreeMap::from([
            (
                "bootstrap_servers".to_string(),
                Value::List(vec![Value::string("a:9092")]),
            ),
            (
                "timeout_seconds".to_string(),
                Value::Number(Number::parse(bad).unwrap()),
            ),
            ("tls".to_string(), Value::Null),
            ("sasl".to_string(), Value::Null),
        ]));
        let config = BTreeMap::from([(
            "cluster".to_string(),
            Value::Map(BTreeMap::from([("primary".to_string(), cluster)])),
        )]);
        let mut diags = Diagnostics::new();
        KafkamirrorProvider.validate(&config, &mut diags);
        assert!(diags.has_errors(), "timeout_seconds = {bad} was accepted");
    }
}

fn random_json(rng: &mut Rng, depth: usize) -> serde_json::Value {
    use serde_json::json;
    match rng.below(if depth > 3 { 5 } else { 7 }) {
        0 => json!(null),
        1 => json!(rng.chance(2)),
        2 => serde_json::from_str(&random_number(rng).to_string()).unwrap_or(json!(0)),
        3 => json!(rng.nasty_string()),
        4 => json!(rng.next()),
        5 => serde_json::Value::Array(
            (0..rng.below(4))
                .map(|_| random_json(rng, depth + 1))
                .collect(),
        ),
        _ => serde_json::Value::Object(
            (0..rng.below(4))
                .map(|_| (rng.nasty_string(), random_json(rng, depth + 1)))
                .collect(),
        ),
    }
}

#[test]
fn random_json_state_never_panics_the_decoder() {
    let schemas = schemas();
    for_cases("json state", 2000, |rng| {
        let (_, ty, _) = rng.pick(&schemas);
        let text = match rng.below(3) {
            0 => String::from_utf8_lossy(&rng.bytes(64)).into_owned(),
            1 => random_json(rng, 0).to_string(),
            _ => {
                // A real state with one attribute replaced by random JSON.
                let mut state: serde_json::Value = match random_value(rng, ty, 0) {
                    Value::Object(object) => serde_json::Value::Object(
                        object
                            .keys()
                            .map(|k| (k.clone(), serde_json::Value::Null))
                            .collect(),
                    ),
                    _ => serde_json::json!({}),
                };
                if let Some(map) = state.as_object_mut() {
                    if let Some(key) = map.keys().next().cloned() {
                        map.insert(key, random_json(rng, 1));
                    }
                }
                state.to_string()
            }
        };
        let _ = decode_json(text.as_bytes(), ty);
    });
}

#[test]
fn validators_never_panic_on_random_strings() {
    for_cases("validators", 3000, |rng| {
        let text = rng.nasty_string();
        let _ = normalize_principal(&text);
        let _ = check_topic_name(&text);

        let mut mm2 = Mm2Inputs::with_defaults(&rng.nasty_string(), &rng.nasty_string(), &text);
        mm2.source_alias = rng.nasty_string();
        mm2.target_alias = rng.nasty_string();
        mm2.source_principal = rng.chance(2).then(|| rng.nasty_string());
        mm2.target_principal = rng.chance(2).then(|| rng.nasty_string());
        mm2.topics = (0..rng.below(4)).map(|_| rng.nasty_string()).collect();
        mm2.topic_prefixes = (0..rng.below(3)).map(|_| rng.nasty_string()).collect();
        mm2.groups = (0..rng.below(3)).map(|_| rng.nasty_string()).collect();
        mm2.group_prefixes = (0..rng.below(3)).map(|_| rng.nasty_string()).collect();
        mm2.separator = rng.nasty_string();
        mm2.internal_topics_replication_factor = rng.next() as i16;
        mm2.remote_topics_replication_factor = rng.next() as i16;
        if rng.chance(3) {
            mm2.deployment = Mm2Deployment::Connect(ConnectWorker {
                group_id: rng.nasty_string(),
                config_topic: rng.nasty_string(),
                offset_topic: rng.nasty_string(),
                status_topic: rng.nasty_string(),
            });
        }
        let _ = validate_mm2(&mm2);

        let mut link =
            ClusterLinkInputs::with_defaults(&rng.nasty_string(), &rng.nasty_string(), &text);
        link.destination_broker_principal = rng.chance(2).then(|| rng.nasty_string());
        link.operator_principal = rng.chance(2).then(|| rng.nasty_string());
        link.topics = (0..rng.below(4)).map(|_| rng.nasty_string()).collect();
        link.topic_prefixes = (0..rng.below(3)).map(|_| rng.nasty_string()).collect();
        link.groups = (0..rng.below(3)).map(|_| rng.nasty_string()).collect();
        link.group_prefixes = (0..rng.below(3)).map(|_| rng.nasty_string()).collect();
        link.consumer_offset_sync = rng.chance(2);
        link.acl_sync = rng.chance(2);
        let _ = validate_cluster_link(&link);
    });
}

fn random_names(rng: &mut Rng, max: usize, wildcard: bool) -> Vec<String> {
    let mut names: Vec<String> = (0..rng.below(max + 1)).map(|_| rng.topic_name()).collect();
    if wildcard && rng.chance(6) {
        names.push("*".to_string());
    }
    // Duplicates must not matter either.
    if !names.is_empty() && rng.chance(3) {
        let again = rng.pick(&names).clone();
        names.push(again);
    }
    names
}

fn random_valid_mm2(rng: &mut Rng) -> Mm2Inputs {
    let mut inputs = Mm2Inputs::with_defaults("primary", "dr", "User:mm2");
    inputs.source_alias = rng.topic_name();
    inputs.target_alias = format!("{}-t", inputs.source_alias);
    if rng.chance(3) {
        inputs.principal = None;
        inputs.source_principal = Some("User:mm2-src".to_string());
        inputs.target_principal = Some("User:mm2-dst".to_string());
    }
    inputs.topics = random_names(rng, 8, true);
    inputs.topic_prefixes = random_names(rng, 3, false);
    if inputs.topics.is_empty() && inputs.topic_prefixes.is_empty() {
        inputs.topics.push("orders".to_string());
    }
    inputs.groups = random_names(rng, 4, true);
    inputs.group_prefixes = random_names(rng, 2, false);
    inputs.replication_policy =
        *rng.pick(&[ReplicationPolicy::Default, ReplicationPolicy::Identity]);
    inputs.separator = rng.pick(&[".", "_", "-", "__"]).to_string();
    inputs.emit_heartbeats = rng.chance(2);
    inputs.replicate_heartbeats = rng.chance(2);
    inputs.emit_checkpoints = rng.chance(2);
    inputs.emit_offset_syncs = rng.chance(2);
    inputs.offset_syncs_topic_location =
        *rng.pick(&[OffsetSyncsLocation::Source, OffsetSyncsLocation::Target]);
    inputs.sync_topic_configs = rng.chance(2);
    inputs.sync_topic_acls = rng.chance(2);
    inputs.sync_group_offsets = rng.chance(2);
    inputs.exactly_once = rng.chance(2);
    inputs.manage_internal_topics = rng.chance(2);
    inputs.internal_topics_replication_factor = 1 + rng.below(5) as i16;
    inputs.remote_topics_replication_factor = 1 + rng.below(5) as i16;
    inputs.deployment = match rng.below(3) {
        0 => Mm2Deployment::Dedicated,
        1 => Mm2Deployment::Aiven,
        _ => Mm2Deployment::Connect(ConnectWorker::strimzi_defaults()),
    };
    inputs
}

fn random_valid_link(rng: &mut Rng) -> ClusterLinkInputs {
    let mut inputs = ClusterLinkInputs::with_defaults("onprem", "cloud", "User:link");
    inputs.link_mode = *rng.pick(&[
        LinkMode::DestinationInitiated,
        LinkMode::SourceInitiated,
        LinkMode::Bidirectional,
    ]);
    inputs.topics = random_names(rng, 8, true);
    inputs.topic_prefixes = random_names(rng, 3, false);
    if inputs.topics.is_empty() && inputs.topic_prefixes.is_empty() {
        inputs.topics.push("orders".to_string());
    }
    inputs.groups = random_names(rng, 4, true);
    inputs.group_prefixes = random_names(rng, 2, false);
    inputs.operator_principal = rng.chance(2).then(|| "User:operator".to_string());
    if rng.chance(2) {
        inputs.destination_broker_principal = Some("User:kafka".to_string());
        inputs.acl_sync = rng.chance(2);
        inputs.consumer_offset_sync = rng.chance(2);
        if inputs.consumer_offset_sync && inputs.groups.is_empty() {
            inputs.groups.push("*".to_string());
        }
    }
    inputs
}

/// Planning is a function of the inputs as sets: shuffling every list input (and planning
/// twice) gives the same desired state.
#[test]
fn planning_is_deterministic_and_independent_of_list_order() {
    for_cases("plan_mm2 order", 400, |rng| {
        let inputs = random_valid_mm2(rng);
        assert_eq!(
            validate_mm2(&inputs),
            vec![],
            "generator makes valid inputs"
        );
        let plan = plan_mm2(&inputs);
        assert_eq!(plan, plan_mm2(&inputs), "same inputs, same plan");
        let mut shuffled = inputs.clone();
        rng.shuffle(&mut shuffled.topics);
        rng.shuffle(&mut shuffled.topic_prefixes);
        rng.shuffle(&mut shuffled.groups);
        rng.shuffle(&mut shuffled.group_prefixes);
        assert_eq!(plan, plan_mm2(&shuffled), "shuffled lists: {inputs:?}");
    });
    for_cases("plan_cluster_link order", 400, |rng| {
        let inputs = random_valid_link(rng);
        assert_eq!(
            validate_cluster_link(&inputs),
            vec![],
            "generator makes valid inputs"
        );
        let plan = plan_cluster_link(&inputs);
        assert_eq!(plan, plan_cluster_link(&inputs), "same inputs, same plan");
        let mut shuffled = inputs.clone();
        rng.shuffle(&mut shuffled.topics);
        rng.shuffle(&mut shuffled.topic_prefixes);
        rng.shuffle(&mut shuffled.groups);
        rng.shuffle(&mut shuffled.group_prefixes);
        assert_eq!(
            plan,
            plan_cluster_link(&shuffled),
            "shuffled lists: {inputs:?}"
        );
    });
}

/// Planning invalid inputs (validation reports them first) still must not panic.
#[test]
fn planning_random_inputs_never_panics() {
    for_cases("plan random", 1000, |rng| {
        let mut mm2 = random_valid_mm2(rng);
        mm2.source_alias = rng.nasty_string();
        mm2.separator = rng.nasty_string();
        mm2.topics.push(rng.nasty_string());
        mm2.internal_topics_replication_factor = rng.next() as i16;
        let _ = plan_mm2(&mm2);
        let mut link = random_valid_link(rng);
        link.link_principal = rng.nasty_string();
        link.topic_prefixes.push(rng.nasty_string());
        let _ = plan_cluster_link(&link);
    });
}
