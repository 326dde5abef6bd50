//! The Rust types that stand for Terraform types ([`AttrType`]: strings, bools, whole numbers,
//! options, lists, sets, maps, and the objects of `tf_object!`), how each reads and writes
//! values and msgpack, and [`Field`], what reading an attribute finds.

use super::block::ObjectField;
use crate::codec::{self, MsgpackReader};
use crate::diag::{AttributePath, Diagnostic};
use crate::value::{Number, Type, Value};
use std::collections::{BTreeMap, BTreeSet};

/// A value read from configuration, plan or state: absent, not known until apply, or known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field<T> {
    Null,
    Unknown,
    Known(T),
}

impl<T> Field<T> {
    pub fn known(self) -> Option<T> {
        match self {
            Field::Known(value) => Some(value),
            _ => None,
        }
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self, Field::Unknown)
    }
}

/// A Rust type that stands for a Terraform type: how to describe, read and write it.
pub trait AttrType: Sized {
    /// Whether null is a valid value (only for `Option<T>`).
    const NULLABLE: bool = false;

    fn tf_type() -> Type;

    /// For object types (and collections of them): the fields, used to declare nested attributes.
    fn object_fields() -> Option<Vec<ObjectField>> {
        None
    }

    /// Reads a value of [`AttrType::tf_type`]. Null and unknown are errors here, except for
    /// `Option<T>` (null is `None`); [`Attr::get`](crate::Attr::get) handles them at the top level. An error's
    /// path is relative to `value`: callers put it [`under`](Diagnostic::under) theirs, so no
    /// path is built while reading succeeds (state rows are read by the ten thousand).
    fn from_value(value: &Value) -> Result<Self, Diagnostic>;
    fn to_value(&self) -> Value;

    /// Like [`AttrType::from_value`], taking the value apart instead of copying it.
    fn from_owned_value(value: Value) -> Result<Self, Diagnostic> {
        Self::from_value(&value)
    }

    /// Reads a value of this type straight from msgpack (a [`Value::Encoded`] attribute), with
    /// the same results and errors as [`AttrType::from_owned_value`] of the decoded value.
    /// Types with many instances in a state read without building a [`Value`].
    fn read_msgpack(reader: &mut MsgpackReader<'_>) -> Result<Self, Diagnostic> {
        Self::from_owned_value(reader.read_value(&Self::tf_type())?)
    }

    /// Writes the value as msgpack; the counterpart of [`AttrType::read_msgpack`].
    fn write_msgpack(&self, out: &mut Vec<u8>) {
        codec::write_msgpack(out, &self.to_value());
    }

    /// At least the bytes [`AttrType::write_msgpack`] writes, for types written in bulk (0 for
    /// the others): the buffer of a large value is sized once instead of grown by doubling.
    fn msgpack_len_bound(&self) -> usize {
        0
    }
}

/// The largest msgpack header of a string, array or map.
pub const MSGPACK_HEADER_BOUND: usize = 5;

/// Reads a whole [`Value::Encoded`] as a `T`.
pub(super) fn read_encoded<T: AttrType>(bytes: &[u8]) -> Result<T, Diagnostic> {
    let mut reader = MsgpackReader::new(bytes);
    let value = T::read_msgpack(&mut reader)?;
    reader
        .finish("Invalid attribute value")
        .map_err(|d| d.at(AttributePath::root()))?;
    Ok(value)
}

/// The entries of a msgpack map with values of type `T`, each made by `entry(key, value)`
/// (keys are borrowed from the input: no string is built for a key the caller drops).
pub(super) fn read_map_entries<T: AttrType, E>(
    reader: &mut MsgpackReader<'_>,
    mut entry: impl FnMut(&str, T) -> E,
) -> Result<Vec<E>, Diagnostic> {
    let Some(count) = reader.next_map_len() else {
        // Not a map: the tree reader reports it (or reads null/unknown, which are errors here).
        let ty = BTreeMap::<String, T>::tf_type();
        let value = reader.read_value(&ty)?;
        return Err(invalid_value(&ty, &value));
    };
    let mut entries = Vec::with_capacity(count);
    for _ in 0..count {
        let Some(key) = reader.next_str() else {
            return Err(
                Diagnostic::error("Invalid attribute value", "a map key is not a string")
                    .at(AttributePath::root()),
            );
        };
        let item = T::read_msgpack(reader).map_err(|d| d.under(&AttributePath::root().key(key)))?;
        entries.push(entry(key, item));
    }
    Ok(entries)
}

/// The error for a value of the wrong shape or one that is null/unknown where it cannot be
/// (at the value itself: the caller puts it under the value's path).
pub fn invalid_value(expected: &Type, value: &Value) -> Diagnostic {
    let detail = match value {
        Value::Null => "a value is required".to_string(),
        Value::Unknown => "the value is not known yet; it can only be used once it is known".into(),
        other => format!("expected a {}, got {other:?}", expected.friendly_name()),
    };
    Diagnostic::error("Invalid attribute value", detail).at(AttributePath::root())
}

impl AttrType for String {
    fn tf_type() -> Type {
        Type::String
    }
    fn from_value(value: &Value) -> Result<Self, Diagnostic> {
        match value {
            Value::String(s) => Ok(s.clone()),
            other => Err(invalid_value(&Type::String, other)),
        }
    }
    fn to_value(&self) -> Value {
        Value::String(self.clone())
    }
    fn from_owned_value(value: Value) -> Result<Self, Diagnostic> {
        match value {
            Value::String(s) => Ok(s),
            other => Err(invalid_value(&Type::String, &other)),
        }
    }
    fn read_msgpack(reader: &mut MsgpackReader<'_>) -> Result<Self, Diagnostic> {
        match reader.next_str() {
            Some(text) => Ok(text.to_string()),
            None => Self::from_owned_value(reader.read_value(&Type::String)?),
        }
    }
    fn write_msgpack(&self, out: &mut Vec<u8>) {
        codec::write_str(out, self);
    }
    fn msgpack_len_bound(&self) -> usize {
        MSGPACK_HEADER_BOUND + self.len()
    }
}

impl AttrType for bool {
    fn tf_type() -> Type {
        Type::Bool
    }
    fn from_value(value: &Value) -> Result<Self, Diagnostic> {
        match value {
            Value::Bool(b) => Ok(*b),
            other => Err(invalid_value(&Type::Bool, other)),
        }
    }
    fn to_value(&self) -> Value {
        Value::Bool(*self)
    }
}

/// Whole numbers: floats and numbers beyond 64 bits are a diagnostic on the attribute.
impl AttrType for i64 {
    fn tf_type() -> Type {
        Type::Number
    }
    fn from_value(value: &Value) -> Result<Self, Diagnostic> {
        match value {
            Value::Number(n) => n
                .to_i64()
                .map_err(|why| Diagnostic::error("Invalid number", why).at(AttributePath::root())),
            other => Err(invalid_value(&Type::Number, other)),
        }
    }
    fn to_value(&self) -> Value {
        Value::Number(Number::from_i64(*self))
    }
    fn read_msgpack(reader: &mut MsgpackReader<'_>) -> Result<Self, Diagnostic> {
        match reader.next_i64() {
            Some(number) => Ok(number),
            None => Self::from_owned_value(reader.read_value(&Type::Number)?),
        }
    }
    fn write_msgpack(&self, out: &mut Vec<u8>) {
        codec::write_i64(out, *self);
    }
    fn msgpack_len_bound(&self) -> usize {
        9
    }
}

impl<T: AttrType> AttrType for Option<T> {
    const NULLABLE: bool = true;
    fn tf_type() -> Type {
        T::tf_type()
    }
    fn object_fields() -> Option<Vec<ObjectField>> {
        T::object_fields()
    }
    fn from_value(value: &Value) -> Result<Self, Diagnostic> {
        match value {
            Value::Null => Ok(None),
            other => T::from_value(other).map(Some),
        }
    }
    fn to_value(&self) -> Value {
        self.as_ref().map_or(Value::Null, T::to_value)
    }
    fn from_owned_value(value: Value) -> Result<Self, Diagnostic> {
        match value {
            Value::Null => Ok(None),
            other => T::from_owned_value(other).map(Some),
        }
    }
    fn read_msgpack(reader: &mut MsgpackReader<'_>) -> Result<Self, Diagnostic> {
        if reader.next_nil() {
            return Ok(None);
        }
        T::read_msgpack(reader).map(Some)
    }
    fn write_msgpack(&self, out: &mut Vec<u8>) {
        match self {
            Some(value) => value.write_msgpack(out),
            None => codec::write_nil(out),
        }
    }
    fn msgpack_len_bound(&self) -> usize {
        self.as_ref().map_or(1, T::msgpack_len_bound)
    }
}

impl<T: AttrType> AttrType for Vec<T> {
    fn tf_type() -> Type {
        Type::List(Box::new(T::tf_type()))
    }
    fn object_fields() -> Option<Vec<ObjectField>> {
        T::object_fields()
    }
    fn from_value(value: &Value) -> Result<Self, Diagnostic> {
        match value {
            Value::List(items) => items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    T::from_value(item).map_err(|d| d.under(&AttributePath::root().index(i)))
                })
                .collect(),
            other => Err(invalid_value(&Self::tf_type(), other)),
        }
    }
    fn to_value(&self) -> Value {
        Value::List(self.iter().map(T::to_value).collect())
    }
}

impl<T: AttrType + Ord> AttrType for BTreeSet<T> {
    fn tf_type() -> Type {
        Type::Set(Box::new(T::tf_type()))
    }
    fn object_fields() -> Option<Vec<ObjectField>> {
        T::object_fields()
    }
    fn from_value(value: &Value) -> Result<Self, Diagnostic> {
        match value {
            // Set elements have no path step: Terraform cannot address them.
            Value::Set(items) => items.iter().map(T::from_value).collect(),
            other => Err(invalid_value(&Self::tf_type(), other)),
        }
    }
    fn to_value(&self) -> Value {
        Value::set(self.iter().map(T::to_value).collect())
    }
}

impl<T: AttrType> AttrType for BTreeMap<String, T> {
    fn tf_type() -> Type {
        Type::Map(Box::new(T::tf_type()))
    }
    fn object_fields() -> Option<Vec<ObjectField>> {
        T::object_fields()
    }
    fn from_value(value: &Value) -> Result<Self, Diagnostic> {
        match value {
            Value::Map(entries) => entries
                .iter()
                .map(|(k, v)| {
                    let item =
                        T::from_value(v).map_err(|d| d.under(&AttributePath::root().key(k)))?;
                    Ok((k.clone(), item))
                })
                .collect(),
            other => Err(invalid_value(&Self::tf_type(), other)),
        }
    }
    fn to_value(&self) -> Value {
        Value::Map(
            self.iter()
                .map(|(k, v)| (k.clone(), v.to_value()))
                .collect(),
        )
    }
    fn from_owned_value(value: Value) -> Result<Self, Diagnostic> {
        match value {
            Value::Map(entries) => entries
                .into_iter()
                .map(|(k, v)| match T::from_owned_value(v) {
                    Ok(item) => Ok((k, item)),
                    Err(d) => Err(d.under(&AttributePath::root().key(&k))),
                })
                .collect(),
            other => Err(invalid_value(&Self::tf_type(), &other)),
        }
    }
    fn read_msgpack(reader: &mut MsgpackReader<'_>) -> Result<Self, Diagnostic> {
        // Collected first: Terraform sends keys sorted, which BTreeMap builds from in one pass.
        let entries = read_map_entries(reader, |key, item: T| (key.to_string(), item))?;
        Ok(entries.into_iter().collect())
    }
    fn write_msgpack(&self, out: &mut Vec<u8>) {
        codec::write_map_len(out, self.len());
        for (key, item) in self {
            codec::write_str(out, key);
            item.write_msgpack(out);
        }
    }
    fn msgpack_len_bound(&self) -> usize {
        self.iter()
            .fold(MSGPACK_HEADER_BOUND, |bound, (key, item)| {
                bound + key.msgpack_len_bound() + item.msgpack_len_bound()
            })
    }
}
