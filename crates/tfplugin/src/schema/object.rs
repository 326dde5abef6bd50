//! [`tf_object!`](crate::tf_object): a Rust struct that is also a Terraform object type, with
//! its value and msgpack conversions generated from the one definition; and the compile-time
//! field order it writes objects in.

/// The indices of `names` in byte order of the names (the order Terraform writes an
/// object's attributes in), computed at compile time for [`tf_object!`](crate::tf_object).
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
