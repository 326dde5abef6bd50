//! [`Attr<T>`], the typed attribute descriptor: one constant declares an attribute's schema
//! entry and reads and writes its value (as a value tree or straight as msgpack).

use super::block::{Attribute, Block, NestedAttributes, Nesting, Presence};
use super::types::{invalid_value, read_encoded, read_map_entries, AttrType, Field};
use crate::codec::{self, MsgpackReader};
use crate::diag::{AttributePath, Diagnostic};
use crate::value::{Object, Type, Value};
use std::collections::BTreeMap;
use std::marker::PhantomData;

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

/// Building a block's schema from its [`Attr`] constants.
impl Block {
    pub fn attr<T: AttrType>(mut self, attr: &Attr<T>) -> Self {
        self.attributes.push(attr.schema());
        self
    }
}
