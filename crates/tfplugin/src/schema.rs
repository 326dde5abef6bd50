//! Schemas, declared once per resource through typed descriptors.
//!
//! A resource declares each attribute as a constant [`Attr<T>`] (name, description, presence,
//! flags, and a Rust type that fixes the Terraform type). The same constant builds the schema
//! ([`Block::attr`]) and reads/writes values ([`Attr::get`], [`Attr::set`]), so a resource cannot
//! read an attribute under a different name or type than it declared. Objects inside
//! collections (e.g. a set of rows) are declared with [`tf_object!`](crate::tf_object),
//! which generates the Rust struct and its Terraform object type from one definition.
//!
//! - `block`: the schema types Terraform receives; `types`: [`AttrType`] and its impls;
//!   `attr`: [`Attr`]; `decl`: [`BlockDecl`]; `object`: [`tf_object!`](crate::tf_object).

mod attr;
mod block;
mod decl;
mod object;
mod types;

pub use attr::Attr;
pub use block::{
    Attribute, Block, NestedAttributes, NestedBlock, Nesting, ObjectField, Presence, Schema,
};
pub use decl::{BlockDecl, MapEntry};
pub use object::name_order;
pub use types::{invalid_value, AttrType, Field, MSGPACK_HEADER_BOUND};

#[cfg(test)]
mod tests;
