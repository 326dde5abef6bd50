//! Between the protobuf messages and this crate's types: decoding a request's values with the
//! schema (configs built, a resource's recomputed attributes skipped or kept encoded),
//! encoding answers, and schemas, diagnostics and attribute paths as protobuf.

use crate::codec::{
    decode_json, decode_msgpack, decode_msgpack_keeping, decode_msgpack_skipping, encode_msgpack,
};
use crate::diag::{AttributePath, Diagnostic, Diagnostics, PathStep, Severity};
use crate::proto::tfplugin6 as pb;
use crate::schema::{self, Nesting, Presence};
use crate::value::{Object, Value};
use prost::bytes::Bytes;

pub(super) fn decode_object(
    value: Option<&pb::DynamicValue>,
    schema: &schema::Schema,
) -> Result<Option<Object>, Diagnostic> {
    decode_object_as(value, schema, Large::Built)
}

/// What decoding does with a resource's [`Resource::recomputed_attributes`].
#[derive(Clone, Copy)]
pub(super) enum Large<'s> {
    /// Decoded like any attribute (configs).
    Built,
    /// Stepped over and read as unknown (proposed and planned states: the resource replaces them).
    Skipped(&'s [&'s str]),
    /// Kept encoded, sliced out of the request (prior and current states: the resource reads
    /// them typed).
    Kept(&'s [&'s str]),
}

pub(super) fn decode_object_as(
    value: Option<&pb::DynamicValue>,
    schema: &schema::Schema,
    large: Large<'_>,
) -> Result<Option<Object>, Diagnostic> {
    let ty = schema.block.value_type();
    let decoded = match value {
        None => Value::Null,
        Some(dv) if !dv.msgpack.is_empty() => match large {
            Large::Built => decode_msgpack(&dv.msgpack, &ty)?,
            Large::Skipped(names) => decode_msgpack_skipping(&dv.msgpack, &ty, names)?,
            Large::Kept(names) => decode_msgpack_keeping(&dv.msgpack, &ty, names)?,
        },
        Some(dv) if !dv.json.is_empty() => decode_json(&dv.json, &ty)?,
        Some(_) => Value::Null,
    };
    match decoded {
        Value::Null => Ok(None),
        Value::Object(object) => Ok(Some(object)),
        _ => Err(Diagnostic::error(
            "Invalid value from Terraform",
            "expected an object for the whole configuration or state",
        )),
    }
}

/// Decodes a value that must be present (config, proposed state).
pub(super) fn decode_required(
    value: Option<&pb::DynamicValue>,
    schema: &schema::Schema,
) -> Result<Object, Diagnostic> {
    decode_object(value, schema)?.ok_or_else(|| {
        Diagnostic::error("Invalid value from Terraform", "an expected value was null")
    })
}

pub(super) fn encode_object(object: Option<Object>) -> pb::DynamicValue {
    pb::DynamicValue {
        msgpack: encode_msgpack(&object.map_or(Value::Null, Value::Object)).into(),
        json: Bytes::new(),
    }
}

pub(super) fn diagnostics_to_proto(diags: Diagnostics) -> Vec<pb::Diagnostic> {
    diags
        .0
        .into_iter()
        .map(|d| pb::Diagnostic {
            severity: match d.severity {
                Severity::Error => pb::diagnostic::Severity::Error,
                Severity::Warning => pb::diagnostic::Severity::Warning,
            } as i32,
            summary: d.summary,
            detail: d.detail,
            attribute: d.path.map(path_to_proto),
        })
        .collect()
}

pub(super) fn path_to_proto(path: AttributePath) -> pb::AttributePath {
    use pb::attribute_path::step::Selector;
    pb::AttributePath {
        steps: path
            .0
            .into_iter()
            .map(|step| pb::attribute_path::Step {
                selector: Some(match step {
                    PathStep::Attribute(name) => Selector::AttributeName(name),
                    PathStep::Key(key) => Selector::ElementKeyString(key),
                    PathStep::Index(index) => Selector::ElementKeyInt(index),
                }),
            })
            .collect(),
    }
}

pub(super) fn schema_to_proto(schema: &schema::Schema) -> pb::Schema {
    pb::Schema {
        version: schema.version,
        block: Some(block_to_proto(&schema.block)),
    }
}

pub(super) fn attribute_to_proto(attribute: &schema::Attribute) -> pb::schema::Attribute {
    use pb::schema::object::NestingMode;
    // Terraform wants either a type or a nested object schema, never both.
    let (ty, nested_type) = match &attribute.nested {
        None => (attribute.ty.to_json().to_string().into_bytes(), None),
        Some(nested) => (
            Vec::new(),
            Some(pb::schema::Object {
                attributes: nested.attributes.iter().map(attribute_to_proto).collect(),
                nesting: match nested.nesting {
                    Nesting::Single => NestingMode::Single,
                    Nesting::List => NestingMode::List,
                    Nesting::Set => NestingMode::Set,
                    Nesting::Map => NestingMode::Map,
                } as i32,
            }),
        ),
    };
    pb::schema::Attribute {
        name: attribute.name.clone(),
        r#type: ty,
        nested_type,
        description: attribute.description.clone(),
        required: attribute.presence == Presence::Required,
        optional: matches!(
            attribute.presence,
            Presence::Optional | Presence::OptionalComputed
        ),
        computed: matches!(
            attribute.presence,
            Presence::Computed | Presence::OptionalComputed
        ),
        sensitive: attribute.sensitive,
        description_kind: pb::StringKind::Plain as i32,
        deprecated: false,
    }
}

pub(super) fn block_to_proto(block: &schema::Block) -> pb::schema::Block {
    pb::schema::Block {
        version: 0,
        description: block.description.clone(),
        description_kind: pb::StringKind::Plain as i32,
        deprecated: false,
        attributes: block.attributes.iter().map(attribute_to_proto).collect(),
        block_types: block
            .blocks
            .iter()
            .map(|b| {
                use pb::schema::nested_block::NestingMode;
                pb::schema::NestedBlock {
                    type_name: b.name.clone(),
                    block: Some(block_to_proto(&b.block)),
                    nesting: match b.nesting {
                        Nesting::Single => NestingMode::Single,
                        Nesting::List => NestingMode::List,
                        Nesting::Set => NestingMode::Set,
                        Nesting::Map => NestingMode::Map,
                    } as i32,
                    min_items: b.min_items,
                    max_items: b.max_items,
                }
            })
            .collect(),
    }
}
