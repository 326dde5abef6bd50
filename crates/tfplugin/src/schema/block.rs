//! The schema as Terraform receives it: blocks of attributes and nested blocks, each attribute
//! with its type and presence, and the object type a block's values have.

use crate::value::Type;
use std::collections::BTreeMap;

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

/// Blocks are built with [`Block::new`], then [`Block::attr`] per attribute (in
/// `schema/attr.rs`) and [`Block::block`] per nested block (in `schema/decl.rs`).
impl Block {
    pub fn new(description: &str) -> Self {
        Block {
            description: description.to_string(),
            ..Block::default()
        }
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
