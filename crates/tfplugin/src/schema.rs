//! Schemas, declared once per resource through typed descriptors.
//!
//! A resource declares each attribute as a constant [`Attr<T>`] (name, description, presence,
//! flags, and a Rust type that fixes the Terraform type). The same constant builds the schema
//! ([`Block::attr`]) and reads/writes values ([`Attr::get`], [`Attr::set`]), so a resource cannot
//! read an attribute under a different name or type than it declared. Objects inside
//! collections (e.g. a set of rows) are declared with [`tf_object!`](crate::tf_object),
//! which generates the Rust struct and its Terraform object type from one definition.

use super::codec::{self, MsgpackReader};
use super::diag::{AttributePath, Diagnostic};
use super::value::{Number, Object, Type, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::marker::PhantomData;

/// A resource, data source or provider schema with its version (for state upgrades).
#[derive(Debug, Clone)]
pub struct Schema {
    pub version: i64,
    pub block: Block,
}

/// An object in configuration: attributes and nested blocks.
#[derive(Debug, Clone, Default)]
pub struct Block {
    pub description: String,
    pub attributes: Vec<Attribute>,
    pub blocks: Vec<NestedBlock>,
}

#[derive(Debug, Clone)]
pub struct Attribute {
    pub name: String,
    pub ty: Type,
    pub description: String,
    pub presence: Presence,
    pub sensitive: bool,
    /// Set for a nested attribute (`rows = [{ ... }]` with per-field schema); `ty` is then the
    /// implied collection-of-objects type, which is how its values are encoded.
    pub nested: Option<NestedAttributes>,
}

/// The object schema of a nested attribute and how the objects are collected.
#[derive(Debug, Clone)]
pub struct NestedAttributes {
    /// `Single` (one object), `List`, `Set` or `Map`.
    pub nesting: Nesting,
    pub attributes: Vec<Attribute>,
}

/// One field of an object type declared with `tf_object!`.
pub struct ObjectField {
    pub name: &'static str,
    pub ty: Type,
    /// True for `Option<_>` fields: optional in a nested attribute, otherwise required.
    pub nullable: bool,
}

/// Who sets an attribute: the user (required/optional), the provider (computed), or either.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    Required,
    Optional,
    Computed,
    OptionalComputed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nesting {
    /// `tls { ... }`: at most one, the value is an object or null.
    Single,
    /// Repeated `x { }` blocks in order: a list of objects.
    List,
    /// Repeated unordered `x { }` blocks: a set of objects.
    Set,
    /// Labelled `x "key" { }` blocks: a map of objects.
    Map,
}

#[derive(Debug, Clone)]
pub struct NestedBlock {
    pub name: String,
    pub nesting: Nesting,
    pub block: Block,
    pub min_items: i64,
    pub max_items: i64,
}

impl Block {
    pub fn new(description: &str) -> Self {
        Block {
            description: description.to_string(),
            ..Block::default()
        }
    }

    pub fn attr<T: AttrType>(mut self, attr: &Attr<T>) -> Self {
        self.attributes.push(attr.schema());
        self
    }

    pub fn block(mut self, block: &BlockDecl) -> Self {
        self.blocks.push(block.schema());
        self
    }

    /// The object type of this block's values (what Terraform sends for it).
    pub fn value_type(&self) -> Type {
        let mut attributes: BTreeMap<String, Type> = self
            .attributes
            .iter()
            .map(|a| (a.name.clone(), a.ty.clone()))
            .collect();
        for nested in &self.blocks {
            let object = Box::new(nested.block.value_type());
            let ty = match nested.nesting {
                Nesting::Single => *object,
                Nesting::List => Type::List(object),
                Nesting::Set => Type::Set(object),
                Nesting::Map => Type::Map(object),
            };
            attributes.insert(nested.name.clone(), ty);
        }
        Type::Object(attributes)
    }
}

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
    /// `Option<T>` (null is `None`); [`Attr::get`] handles them at the top level. An error's
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
fn read_encoded<T: AttrType>(bytes: &[u8]) -> Result<T, Diagnostic> {
    let mut reader = MsgpackReader::new(bytes);
    let value = T::read_msgpack(&mut reader)?;
    reader
        .finish("Invalid attribute value")
        .map_err(|d| d.at(AttributePath::root()))?;
    Ok(value)
}

/// The entries of a msgpack map with values of type `T`, each made by `entry(key, value)`
/// (keys are borrowed from the input: no string is built for a key the caller drops).
fn read_map_entries<T: AttrType, E>(
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

/// A typed attribute: declares the schema entry and reads/writes the value.
pub struct Attr<T> {
    pub name: &'static str,
    pub description: &'static str,
    pub presence: Presence,
    pub sensitive: bool,
    pub requires_replace: bool,
    pub nested: bool,
    rust_type: PhantomData<fn() -> T>,
}

impl<T: AttrType> Attr<T> {
    const fn new(name: &'static str, description: &'static str, presence: Presence) -> Self {
        Attr {
            name,
            description,
            presence,
            sensitive: false,
            requires_replace: false,
            nested: false,
            rust_type: PhantomData,
        }
    }

    pub const fn required(name: &'static str, description: &'static str) -> Self {
        Self::new(name, description, Presence::Required)
    }

    pub const fn optional(name: &'static str, description: &'static str) -> Self {
        Self::new(name, description, Presence::Optional)
    }

    pub const fn computed(name: &'static str, description: &'static str) -> Self {
        Self::new(name, description, Presence::Computed)
    }

    pub const fn optional_computed(name: &'static str, description: &'static str) -> Self {
        Self::new(name, description, Presence::OptionalComputed)
    }

    /// Terraform hides the value in plan output and logs.
    pub const fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self
    }

    /// A change to this attribute means destroy-and-create; see [`Attr::replace_if_changed`].
    pub const fn requires_replace(mut self) -> Self {
        self.requires_replace = true;
        self
    }

    /// Declares the attribute as a nested attribute: `T` must be a `tf_object!` type or a
    /// list/set/map of one. Each field gets its own schema entry (computed when the attribute
    /// is computed; otherwise `Option` fields optional, the rest required).
    ///
    /// Caution: Terraform 1.0.3 crashes while rendering a plan that contains a computed nested
    /// attribute. For resources that must work with 1.0.x, leave this off: the attribute is
    /// then a typed `set(object)`, with the same values and the same Rust API.
    pub const fn nested(mut self) -> Self {
        self.nested = true;
        self
    }

    pub fn schema(&self) -> Attribute {
        let ty = T::tf_type();
        let nested = self.nested.then(|| {
            let nesting = match ty {
                Type::List(_) => Nesting::List,
                Type::Set(_) => Nesting::Set,
                Type::Map(_) => Nesting::Map,
                _ => Nesting::Single,
            };
            let fields = T::object_fields().unwrap_or_else(|| {
                panic!(
                    "attribute {} is declared nested but its type is not an object type",
                    self.name
                )
            });
            let attributes = fields
                .into_iter()
                .map(|field| Attribute {
                    name: field.name.to_string(),
                    ty: field.ty,
                    description: String::new(),
                    presence: match (self.presence, field.nullable) {
                        (Presence::Computed, _) => Presence::Computed,
                        (_, true) => Presence::Optional,
                        (_, false) => Presence::Required,
                    },
                    sensitive: false,
                    nested: None,
                })
                .collect();
            NestedAttributes {
                nesting,
                attributes,
            }
        });
        Attribute {
            name: self.name.to_string(),
            ty,
            description: self.description.to_string(),
            presence: self.presence,
            sensitive: self.sensitive,
            nested,
        }
    }

    /// The path of this attribute in a top-level object.
    pub fn path(&self) -> AttributePath {
        AttributePath::attribute(self.name)
    }

    /// Reads the attribute of a top-level object (resource config, plan or state).
    pub fn get(&self, object: &Object) -> Result<Field<T>, Diagnostic> {
        self.get_in(object, &AttributePath::root())
    }

    /// Reads the attribute of an object found at `base` (a nested block). A value that is
    /// only partly known (e.g. a list with one unknown element) reads as `Field::Unknown`.
    pub fn get_in(&self, object: &Object, base: &AttributePath) -> Result<Field<T>, Diagnostic> {
        match object.get(self.name).unwrap_or(&Value::Null) {
            Value::Null => Ok(Field::Null),
            Value::Encoded(bytes) => read_encoded(bytes)
                .map(Field::Known)
                .map_err(|d| d.under(&base.attr(self.name))),
            value if value.contains_unknown() => Ok(Field::Unknown),
            value => T::from_value(value)
                .map(Field::Known)
                .map_err(|d| d.under(&base.attr(self.name))),
        }
    }

    /// Moves a known value out of a top-level object (state being rewritten), leaving the
    /// attribute null: like [`Attr::known`] without copying.
    pub fn take_known(&self, object: &mut Object) -> Result<Option<T>, Diagnostic> {
        match object.get_mut(self.name).map(std::mem::take) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Encoded(bytes)) => read_encoded(&bytes)
                .map(Some)
                .map_err(|d| d.under(&self.path())),
            Some(value) if value.contains_unknown() => {
                Err(invalid_value(&T::tf_type(), &Value::Unknown).under(&self.path()))
            }
            Some(value) => T::from_owned_value(value)
                .map(Some)
                .map_err(|d| d.under(&self.path())),
        }
    }

    /// Like [`Attr::set`] for a large value, written straight to msgpack
    /// ([`Value::Encoded`]) without building a [`Value`] tree.
    pub fn put(&self, object: &mut Object, value: &T) {
        let mut encoded = Vec::with_capacity(value.msgpack_len_bound());
        value.write_msgpack(&mut encoded);
        object.insert(self.name.to_string(), Value::Encoded(encoded.into()));
    }

    /// Reads an attribute that must be known by now (apply, read): unknown is an error.
    pub fn known(&self, object: &Object) -> Result<Option<T>, Diagnostic> {
        match self.get(object)? {
            Field::Null => Ok(None),
            Field::Unknown => {
                Err(invalid_value(&T::tf_type(), &Value::Unknown).under(&self.path()))
            }
            Field::Known(value) => Ok(Some(value)),
        }
    }

    /// Reads a required attribute that must be known: null and unknown are errors.
    pub fn require(&self, object: &Object) -> Result<T, Diagnostic> {
        self.known(object)?
            .ok_or_else(|| invalid_value(&T::tf_type(), &Value::Null).under(&self.path()))
    }

    pub fn set(&self, object: &mut Object, value: &T) {
        object.insert(self.name.to_string(), value.to_value());
    }

    /// Sets the value, or null for `None`.
    pub fn set_optional(&self, object: &mut Object, value: Option<&T>) {
        object.insert(
            self.name.to_string(),
            value.map_or(Value::Null, T::to_value),
        );
    }

    /// Marks the attribute "known after apply" in a plan.
    pub fn set_unknown(&self, object: &mut Object) {
        object.insert(self.name.to_string(), Value::Unknown);
    }

    pub fn set_null(&self, object: &mut Object) {
        object.insert(self.name.to_string(), Value::Null);
    }

    /// Adds this attribute's path to `requires_replace` when it is flagged
    /// [`Attr::requires_replace`] and its value differs between prior state and plan.
    pub fn replace_if_changed(
        &self,
        prior: &Object,
        planned: &Object,
        out: &mut Vec<AttributePath>,
    ) {
        if self.requires_replace && prior.get(self.name) != planned.get(self.name) {
            out.push(self.path());
        }
    }
}

impl<T: AttrType> Attr<BTreeMap<String, T>> {
    /// Like [`Attr::take_known`] for a map, but only its values, in key order: no key strings
    /// are built (state rows whose keys are derived from the rows).
    pub fn take_known_values(&self, object: &mut Object) -> Result<Option<Vec<T>>, Diagnostic> {
        let bytes = match object.get(self.name) {
            Some(Value::Encoded(bytes)) => bytes.clone(),
            _ => {
                return Ok(self
                    .take_known(object)?
                    .map(|map| map.into_values().collect()))
            }
        };
        object.insert(self.name.to_string(), Value::Null);
        let mut reader = MsgpackReader::new(&bytes);
        read_map_entries(&mut reader, |_, item: T| item)
            .and_then(|items| {
                reader
                    .finish("Invalid attribute value")
                    .map_err(|d| d.at(AttributePath::root()))?;
                Ok(Some(items))
            })
            .map_err(|d| d.under(&self.path()))
    }

    /// Like [`Attr::put`] for a map given as its keys in order, each with what its value is
    /// made of: values are made, written and dropped one at a time, never all held at once.
    /// `capacity` is a guess of the encoded length (e.g. the prior state's).
    pub fn put_made<S>(
        &self,
        object: &mut Object,
        entries: &[(String, S)],
        make: impl Fn(&S) -> T,
        capacity: usize,
    ) {
        debug_assert!(entries.windows(2).all(|pair| pair[0].0 < pair[1].0));
        let mut encoded = Vec::with_capacity(capacity);
        codec::write_map_len(&mut encoded, entries.len());
        for (key, source) in entries {
            codec::write_str(&mut encoded, key);
            make(source).write_msgpack(&mut encoded);
        }
        object.insert(self.name.to_string(), Value::Encoded(encoded.into()));
    }

    /// The keys of a known map, in key order, borrowed from the object: no value is read.
    /// Null or absent reads as no keys; an unknown value or one that is not a map of string
    /// keys is an error on the attribute.
    pub fn known_keys<'o>(&self, object: &'o Object) -> Result<Vec<&'o str>, Diagnostic> {
        let keys = match object.get(self.name).unwrap_or(&Value::Null) {
            Value::Null => Some(Vec::new()),
            Value::Map(map) => Some(map.keys().map(String::as_str).collect()),
            Value::Encoded(bytes) => encoded_map_keys(bytes),
            _ => None,
        };
        keys.ok_or_else(|| {
            let expected = BTreeMap::<String, T>::tf_type().friendly_name();
            Diagnostic::error(
                "Invalid attribute value",
                format!("expected a known {expected}"),
            )
            .at(self.path())
        })
    }
}

/// The keys of an encoded map (none for nil); `None` if the bytes are not one.
fn encoded_map_keys(bytes: &[u8]) -> Option<Vec<&str>> {
    let mut reader = MsgpackReader::new(bytes);
    if reader.next_nil() {
        return Some(Vec::new());
    }
    let count = reader.next_map_len()?;
    let mut keys = Vec::with_capacity(count);
    for _ in 0..count {
        keys.push(reader.next_str()?);
        reader.skip_value().ok()?;
    }
    reader.finish("").ok()?;
    Some(keys)
}

/// A nested block declaration, e.g. a provider's labelled `endpoint "name" { }` blocks (map nesting).
pub struct BlockDecl {
    pub name: &'static str,
    pub nesting: Nesting,
    pub max_items: i64,
    /// Builds the nested block's own schema (its attributes are `Attr` constants too).
    pub block: fn() -> Block,
}

impl BlockDecl {
    pub const fn single(name: &'static str, block: fn() -> Block) -> Self {
        BlockDecl {
            name,
            nesting: Nesting::Single,
            max_items: 1,
            block,
        }
    }

    pub const fn map(name: &'static str, block: fn() -> Block) -> Self {
        BlockDecl {
            name,
            nesting: Nesting::Map,
            max_items: 0,
            block,
        }
    }

    pub const fn list(name: &'static str, block: fn() -> Block) -> Self {
        BlockDecl {
            name,
            nesting: Nesting::List,
            max_items: 0,
            block,
        }
    }

    pub fn schema(&self) -> NestedBlock {
        NestedBlock {
            name: self.name.to_string(),
            nesting: self.nesting,
            block: (self.block)(),
            min_items: 0,
            max_items: self.max_items,
        }
    }

    fn nested_object<'a>(
        value: &'a Value,
        path: &AttributePath,
    ) -> Result<Field<&'a Object>, Diagnostic> {
        match value {
            Value::Null => Ok(Field::Null),
            Value::Unknown => Ok(Field::Unknown),
            Value::Object(object) => Ok(Field::Known(object)),
            other => Err(invalid_value(&Type::Object(BTreeMap::new()), other).under(path)),
        }
    }

    /// A single-nested block inside `object` (at `base`): its object and path, if present.
    pub fn get_single<'a>(
        &self,
        object: &'a Object,
        base: &AttributePath,
    ) -> Result<Field<(&'a Object, AttributePath)>, Diagnostic> {
        let path = base.attr(self.name);
        let value = object.get(self.name).unwrap_or(&Value::Null);
        Ok(match Self::nested_object(value, &path)? {
            Field::Known(nested) => Field::Known((nested, path)),
            Field::Null => Field::Null,
            Field::Unknown => Field::Unknown,
        })
    }

    /// The entries of a map-nested block: key, object (or unknown), and the entry's path.
    pub fn get_map<'a>(
        &self,
        object: &'a Object,
        base: &AttributePath,
    ) -> Result<Field<Vec<MapEntry<'a>>>, Diagnostic> {
        let path = base.attr(self.name);
        match object.get(self.name).unwrap_or(&Value::Null) {
            Value::Null => Ok(Field::Null),
            Value::Unknown => Ok(Field::Unknown),
            Value::Map(entries) => entries
                .iter()
                .map(|(key, value)| {
                    let entry_path = path.key(key);
                    Ok(MapEntry {
                        key: key.as_str(),
                        object: Self::nested_object(value, &entry_path)?,
                        path: entry_path,
                    })
                })
                .collect::<Result<_, _>>()
                .map(Field::Known),
            other => Err(
                invalid_value(&Type::Map(Box::new(Type::Object(BTreeMap::new()))), other)
                    .under(&path),
            ),
        }
    }
}

/// One labelled block of a map-nested block type.
pub struct MapEntry<'a> {
    pub key: &'a str,
    pub object: Field<&'a Object>,
    pub path: AttributePath,
}

/// The indices of `names` in byte order of the names (the order Terraform writes an
/// object's attributes in), computed at compile time for [`tf_object!`].
pub const fn name_order<const N: usize>(names: &[&str]) -> [usize; N] {
    let mut order = [0; N];
    let mut index = 0;
    while index < N {
        order[index] = index;
        index += 1;
    }
    // Insertion sort: a handful of fields, and `const fn` has no `sort`.
    let mut sorted = 1;
    while sorted < N {
        let mut at = sorted;
        while at > 0 && name_before(names[order[at]], names[order[at - 1]]) {
            let swapped = order[at];
            order[at] = order[at - 1];
            order[at - 1] = swapped;
            at -= 1;
        }
        sorted += 1;
    }
    order
}

/// `a < b` in byte order.
const fn name_before(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut at = 0;
    while at < a.len() && at < b.len() {
        if a[at] != b[at] {
            return a[at] < b[at];
        }
        at += 1;
    }
    a.len() < b.len()
}

/// Declares a struct that is also a Terraform object type (for sets/lists of objects).
///
/// ```
/// tfplugin::tf_object! {
///     /// One row of a computed `rules` set.
///     pub struct RuleRow {
///         pub name: String,
///         pub port: Option<i64>,
///     }
/// }
/// ```
#[macro_export]
macro_rules! tf_object {
    ($(#[$meta:meta])* $vis:vis struct $name:ident {
        $($(#[$field_meta:meta])* $field_vis:vis $field:ident : $field_type:ty),* $(,)?
    }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        $vis struct $name {
            $($(#[$field_meta])* $field_vis $field: $field_type),*
        }

        impl $crate::schema::AttrType for $name {
            fn tf_type() -> $crate::value::Type {
                $crate::value::Type::Object(::std::collections::BTreeMap::from([
                    $((stringify!($field).to_string(),
                       <$field_type as $crate::schema::AttrType>::tf_type())),*
                ]))
            }

            fn object_fields() -> Option<Vec<$crate::schema::ObjectField>> {
                Some(vec![
                    $($crate::schema::ObjectField {
                        name: stringify!($field),
                        ty: <$field_type as $crate::schema::AttrType>::tf_type(),
                        nullable: <$field_type as $crate::schema::AttrType>::NULLABLE,
                    }),*
                ])
            }

            fn from_value(
                value: &$crate::value::Value,
            ) -> Result<Self, $crate::diag::Diagnostic> {
                let $crate::value::Value::Object(object) = value else {
                    return Err($crate::schema::invalid_value(&Self::tf_type(), value));
                };
                let null = $crate::value::Value::Null;
                Ok($name {
                    $($field: <$field_type as $crate::schema::AttrType>::from_value(
                        object.get(stringify!($field)).unwrap_or(&null),
                    ).map_err(|d| d.under(&$crate::diag::AttributePath::attribute(stringify!($field))))?),*
                })
            }

            fn to_value(&self) -> $crate::value::Value {
                $crate::value::Value::Object(::std::collections::BTreeMap::from([
                    $((stringify!($field).to_string(),
                       $crate::schema::AttrType::to_value(&self.$field))),*
                ]))
            }

            fn from_owned_value(
                value: $crate::value::Value,
            ) -> Result<Self, $crate::diag::Diagnostic> {
                let $crate::value::Value::Object(mut object) = value else {
                    return Err($crate::schema::invalid_value(&Self::tf_type(), &value));
                };
                Ok($name {
                    $($field: <$field_type as $crate::schema::AttrType>::from_owned_value(
                        object.remove(stringify!($field)).unwrap_or_default(),
                    ).map_err(|d| d.under(&$crate::diag::AttributePath::attribute(stringify!($field))))?),*
                })
            }

            fn read_msgpack(
                reader: &mut $crate::codec::MsgpackReader<'_>,
            ) -> Result<Self, $crate::diag::Diagnostic> {
                use $crate::schema::AttrType;
                let Some(entries) = reader.next_map_len() else {
                    return Self::from_owned_value(reader.read_value(&Self::tf_type())?);
                };
                $(let mut $field: Option<$field_type> = None;)*
                for _ in 0..entries {
                    let Some(name) = reader.next_str() else {
                        return Err($crate::diag::Diagnostic::error(
                            "Invalid attribute value",
                            "an object attribute name is not a string",
                        )
                        .at($crate::diag::AttributePath::root()));
                    };
                    $(if name == stringify!($field) {
                        $field = Some(<$field_type as AttrType>::read_msgpack(reader).map_err(|d| {
                            d.under(&$crate::diag::AttributePath::attribute(stringify!($field)))
                        })?);
                        continue;
                    })*
                    // Like `from_value`: attributes the struct does not have are ignored.
                    reader.skip_value()?;
                }
                Ok($name {
                    $($field: match $field {
                        Some(value) => value,
                        // Absent reads as null, as in `from_value`.
                        None => <$field_type as AttrType>::from_owned_value(
                            $crate::value::Value::Null,
                        ).map_err(|d| d.under(&$crate::diag::AttributePath::attribute(stringify!($field))))?,
                    }),*
                })
            }

            /// Fields in name order, as Terraform writes objects, so rows it sent encode to
            /// the very same bytes.
            fn write_msgpack(&self, out: &mut Vec<u8>) {
                const NAMES: &[&str] = &[$(stringify!($field)),*];
                const ORDER: [usize; NAMES.len()] =
                    $crate::schema::name_order::<{ NAMES.len() }>(NAMES);
                let fields: [&dyn Fn(&mut Vec<u8>); NAMES.len()] = [$(
                    &|out: &mut Vec<u8>| {
                        $crate::codec::write_str(out, stringify!($field));
                        $crate::schema::AttrType::write_msgpack(&self.$field, out);
                    }
                ),*];
                $crate::codec::write_map_len(out, NAMES.len());
                for field in ORDER {
                    fields[field](out);
                }
            }

            fn msgpack_len_bound(&self) -> usize {
                use $crate::schema::{AttrType, MSGPACK_HEADER_BOUND};
                MSGPACK_HEADER_BOUND $(
                    + MSGPACK_HEADER_BOUND + stringify!($field).len()
                    + AttrType::msgpack_len_bound(&self.$field)
                )*
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
