//! The row objects both resources (and their data sources) expose: one `acls` row per ACL
//! binding on one cluster, one `internal_topics` row per topic, their map keys, and their
//! conversions to and from the model's [`ClusterAcl`] / [`InternalTopic`].
//!
//! The attributes are maps keyed by [`AclRow::key`] / [`TopicRow::key`] rather than sets:
//! Terraform compares map elements by key (linear) but set elements pairwise (quadratic).

use crate::model::acl::AclBinding;
use crate::model::plan::{ClusterAcl, InternalTopic};
use crate::model::reconcile::{comparable_principal, ClusterBinding};
use std::borrow::Cow;
use std::collections::BTreeMap;
use tfplugin::tf_object;
use tfplugin::{AttributePath, Diagnostic};

tf_object! {
    /// One ACL binding on one cluster and why it is needed.
    /// Fields in the order of [`AclRow::key`], so rows sort as their keys do and a map read
    /// from state becomes a set without reordering.
    pub struct AclRow {
        pub cluster: String,
        pub resource_type: String,
        pub pattern_type: String,
        pub resource_name: String,
        pub principal: String,
        pub host: String,
        pub operation: String,
        pub permission: String,
        pub reason: String,
    }
}

tf_object! {
    /// One internal topic on one cluster and why it is needed.
    pub struct TopicRow {
        pub cluster: String,
        pub name: String,
        pub partitions: i64,
        pub replication_factor: i64,
        pub configs: BTreeMap<String, String>,
        pub reason: String,
    }
}

/// Joins key fields with `|`; `\\` and `|` inside a field are escaped, so distinct rows
/// always get distinct keys whatever characters names and principals contain.
fn join_key_fields(fields: &[&str]) -> String {
    let mut key = String::with_capacity(fields.iter().map(|field| field.len() + 1).sum());
    for (index, field) in fields.iter().enumerate() {
        if index > 0 {
            key.push('|');
        }
        for character in field.chars() {
            if matches!(character, '\\' | '|') {
                key.push('\\');
            }
            key.push(character);
        }
    }
    key
}

/// The fields of a key made by [`join_key_fields`], unescaped (borrowed when nothing was
/// escaped); `None` for text no such key has (a dangling or unknown escape).
fn split_key_fields(key: &str) -> Option<Vec<Cow<'_, str>>> {
    let mut fields = Vec::new();
    let mut start = 0;
    let mut unescaped: Option<String> = None;
    let mut characters = key.char_indices();
    let finish = |start: usize, end: usize, unescaped: Option<String>| match unescaped {
        Some(text) => Cow::Owned(text),
        None => Cow::Borrowed(&key[start..end]),
    };
    while let Some((at, character)) = characters.next() {
        match character {
            '|' => {
                fields.push(finish(start, at, unescaped.take()));
                start = at + 1;
            }
            '\\' => {
                let (_, escaped @ ('\\' | '|')) = characters.next()? else {
                    return None;
                };
                unescaped
                    .get_or_insert_with(|| key[start..at].to_string())
                    .push(escaped);
            }
            other => {
                if let Some(text) = unescaped.as_mut() {
                    text.push(other);
                }
            }
        }
    }
    fields.push(finish(start, key.len(), unescaped));
    Some(fields)
}

/// Rows keyed the way the `acls`, `preexisting_acls` and `internal_topics` maps key them.
pub fn keyed_rows<R>(
    rows: impl IntoIterator<Item = R>,
    key: impl Fn(&R) -> String,
) -> BTreeMap<String, R> {
    rows.into_iter().map(|row| (key(&row), row)).collect()
}

impl AclRow {
    /// The row's key in the `acls` / `preexisting_acls` maps:
    /// `<cluster>|<resource_type>|<pattern_type>|<resource_name>|<principal>|<host>|<operation>|<permission>`.
    pub fn key(&self) -> String {
        join_key_fields(&[
            &self.cluster,
            &self.resource_type,
            &self.pattern_type,
            &self.resource_name,
            &self.principal,
            &self.host,
            &self.operation,
            &self.permission,
        ])
    }

    /// The key of the row [`AclRow::new`] makes of `binding` on `cluster`, built without it.
    pub fn key_of(cluster: &str, binding: &AclBinding) -> String {
        join_key_fields(&[
            cluster,
            binding.resource_type.as_str(),
            binding.pattern_type.as_str(),
            &binding.resource_name,
            &binding.principal,
            &binding.host,
            binding.operation.as_str(),
            binding.permission.as_str(),
        ])
    }

    /// The planned bindings under their keys, in key order (each key once), to write the
    /// `acls` map from without making every row first.
    pub fn keys_of(acls: &[ClusterAcl]) -> Vec<(String, &ClusterAcl)> {
        let mut keyed: Vec<(String, &ClusterAcl)> = acls
            .iter()
            .map(|acl| (AclRow::key_of(&acl.cluster, &acl.binding), acl))
            .collect();
        keyed.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        keyed.dedup_by(|a, b| a.0 == b.0);
        keyed
    }

    /// The cluster and principal a key names; `None` if it is not a key [`AclRow::key`] makes.
    pub fn cluster_and_principal_of(key: &str) -> Option<(Cow<'_, str>, Cow<'_, str>)> {
        let fields = split_key_fields(key)?;
        let [cluster, _, _, _, principal, _, _, _]: [Cow<'_, str>; 8] = fields.try_into().ok()?;
        Some((cluster, principal))
    }

    /// The key with its principal in comparable form ([`comparable_principal`]), as
    /// [`AclRow::key_of`] makes it of a [`comparable_binding`]; borrowed when the principal
    /// is already in that form, `None` if it is not a key [`AclRow::key`] makes.
    ///
    /// [`comparable_binding`]: crate::model::reconcile::comparable_binding
    pub fn comparable_key(key: &str) -> Option<Cow<'_, str>> {
        let fields = split_key_fields(key)?;
        if fields.len() != 8 {
            return None;
        }
        let principal = comparable_principal(&fields[4]);
        if principal == fields[4] {
            return Some(Cow::Borrowed(key));
        }
        let mut fields: Vec<&str> = fields.iter().map(Cow::as_ref).collect();
        fields[4] = &principal;
        Some(Cow::Owned(join_key_fields(&fields)))
    }

    pub fn new(cluster: &str, binding: &AclBinding, reason: &str) -> Self {
        AclRow {
            cluster: cluster.to_string(),
            principal: binding.principal.clone(),
            host: binding.host.clone(),
            resource_type: binding.resource_type.as_str().to_string(),
            resource_name: binding.resource_name.clone(),
            pattern_type: binding.pattern_type.as_str().to_string(),
            operation: binding.operation.as_str().to_string(),
            permission: binding.permission.as_str().to_string(),
            reason: reason.to_string(),
        }
    }

    /// The binding this row stands for; a row edited by hand in state with an unknown
    /// enumeration name is a diagnostic on `path`.
    pub fn binding(&self, path: &AttributePath) -> Result<AclBinding, Diagnostic> {
        let invalid = |error: crate::model::acl::UnknownName| {
            Diagnostic::error("Invalid ACL row in state", error.to_string()).at(path.clone())
        };
        Ok(AclBinding {
            resource_type: self.resource_type.parse().map_err(invalid)?,
            resource_name: self.resource_name.clone(),
            pattern_type: self.pattern_type.parse().map_err(invalid)?,
            principal: self.principal.clone(),
            host: self.host.clone(),
            operation: self.operation.parse().map_err(invalid)?,
            permission: self.permission.parse().map_err(invalid)?,
        })
    }

    /// `(cluster, binding)`, the key reconcile works with.
    pub fn cluster_binding(&self, path: &AttributePath) -> Result<ClusterBinding, Diagnostic> {
        Ok((self.cluster.clone(), self.binding(path)?))
    }
}

impl From<&ClusterAcl> for AclRow {
    fn from(acl: &ClusterAcl) -> Self {
        AclRow::new(&acl.cluster, &acl.binding, &acl.reason)
    }
}

impl TopicRow {
    /// The row's key in the `internal_topics` map: `<cluster>|<name>`.
    pub fn key(&self) -> String {
        join_key_fields(&[&self.cluster, &self.name])
    }
}

impl From<&InternalTopic> for TopicRow {
    fn from(topic: &InternalTopic) -> Self {
        TopicRow {
            cluster: topic.cluster.clone(),
            name: topic.name.clone(),
            partitions: i64::from(topic.partitions),
            replication_factor: i64::from(topic.replication_factor),
            configs: topic.configs.clone(),
            reason: topic.reason.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::acl::{Operation, PatternType, ResourceType};

    #[test]
    fn acl_row_round_trips_to_the_binding() {
        let binding = AclBinding::allow(
            "User:mm2",
            ResourceType::TransactionalId,
            "mm2-",
            PatternType::Prefixed,
            Operation::Write,
        );
        let row = AclRow::new("dr", &binding, "why");
        assert_eq!(row.resource_type, "TRANSACTIONAL_ID");
        assert_eq!(row.binding(&AttributePath::root()).unwrap(), binding);
        let mut broken = row.clone();
        broken.operation = "read".into();
        let error = broken
            .binding(&AttributePath::attribute("acls"))
            .unwrap_err();
        assert!(error.detail.contains("READ"), "{}", error.detail);
    }

    #[test]
    fn keys_name_every_identifying_field_and_escape_separators() {
        let binding = AclBinding::allow(
            "User:a|b",
            ResourceType::Group,
            "g\\1",
            PatternType::Literal,
            Operation::Read,
        );
        let row = AclRow::new("dr", &binding, "why");
        assert_eq!(row.key(), "dr|GROUP|LITERAL|g\\\\1|User:a\\|b|*|READ|ALLOW");
        let mut other_reason = row.clone();
        other_reason.reason = "another".into();
        assert_eq!(other_reason.key(), row.key());
        let mut shifted = row.clone();
        shifted.resource_name = "g\\1|User:a".into();
        shifted.principal = "b".into();
        assert_ne!(shifted.key(), row.key());
        let topic = TopicRow {
            cluster: "dr".into(),
            name: "mm2-configs.src.internal".into(),
            partitions: 1,
            replication_factor: 3,
            configs: BTreeMap::new(),
            reason: "why".into(),
        };
        assert_eq!(topic.key(), "dr|mm2-configs.src.internal");
    }

    #[test]
    fn keys_made_from_bindings_split_back_into_cluster_and_principal() {
        for (cluster, principal, name) in [
            ("dr", "User:mm2", "orders"),
            ("d|r", "User:a|b\\c", "g\\|1"),
            ("", "User:x", ""),
        ] {
            let binding = AclBinding::allow(
                principal,
                ResourceType::Topic,
                name,
                PatternType::Prefixed,
                Operation::Describe,
            );
            let key = AclRow::key_of(cluster, &binding);
            assert_eq!(key, AclRow::new(cluster, &binding, "why").key());
            let (read_cluster, read_principal) = AclRow::cluster_and_principal_of(&key).unwrap();
            assert_eq!(
                (read_cluster.as_ref(), read_principal.as_ref()),
                (cluster, principal)
            );
        }
        let plain = "dr|TOPIC|LITERAL|t|User:mm2|*|READ|ALLOW";
        assert!(matches!(
            AclRow::cluster_and_principal_of(plain),
            Some((Cow::Borrowed("dr"), Cow::Borrowed("User:mm2")))
        ));
        for broken in [
            "dr|TOPIC",
            "a\\x|b|c|d|e|f|g|h",
            "a|b|c|d|e|f|g|h\\",
            "a|b|c|d|e|f|g|h|i",
        ] {
            assert_eq!(AclRow::cluster_and_principal_of(broken), None, "{broken}");
        }
    }
}
