//! [`BlockDecl`], the descriptor of a nested block type (single, list or labelled map of
//! blocks), and reading the nested blocks of a configuration.

use super::block::{Block, NestedBlock, Nesting};
use super::types::{invalid_value, Field};
use crate::diag::{AttributePath, Diagnostic};
use crate::value::{Object, Type, Value};
use std::collections::BTreeMap;

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

/// Adding nested blocks to a block's schema.
impl Block {
    pub fn block(mut self, block: &BlockDecl) -> Self {
        self.blocks.push(block.schema());
        self
    }
}
