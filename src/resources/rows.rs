//! The rows both resources and their data sources record: one [`AclRow`] per ACL binding on
//! one cluster (in resource state its [`AclRow::key`] mapped to its reason; the data
//! sources' `acls` objects), one `internal_topics` row per topic, their map keys, and their
//! conversions to and from the model's [`ClusterAcl`] / [`InternalTopic`].
//!
//! The attributes are maps keyed by [`AclRow::key`] / [`TopicRow::key`] rather than sets:
//! Terraform compares map elements by key (linear) but set elements pairwise (quadratic).

use super::acl_key;
use crate::model::acl::AclBinding;
use crate::model::plan::{ClusterAcl, InternalTopic};
use crate::model::reconcile::ClusterBinding;
use std::collections::BTreeMap;
use tfplugin::tf_object;
use tfplugin::{AttributePath, Diagnostic};

tf_object! {
    /// One ACL binding on one cluster and why it is needed: the data sources' `acls`
    /// objects, and in resource state a [`AclRow::key`] with its reason. Fields in the order
    /// of the key, so rows sort (nearly) as their keys do.
    pub struct AclRow {
        pub cluster: String,
        pub principal: String,
        pub permission: String,
        pub operation: String,
        pub resource_type: String,
        pub pattern_type: String,
        pub resource_name: String,
        pub host: String,
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

/// Rows keyed the way the `acls`, `preexisting_acls` and `internal_topics` maps key them.
pub fn keyed_rows<R>(
    rows: impl IntoIterator<Item = R>,
    key: impl Fn(&R) -> String,
) -> BTreeMap<String, R> {
    rows.into_iter().map(|row| (key(&row), row)).collect()
}

impl AclRow {
    /// The row's key in the `acls` / `preexisting_acls` maps ([`acl_key`]).
    pub fn key(&self) -> String {
        acl_key::key_of_fields([
            &self.cluster,
            &self.principal,
            &self.permission,
            &self.operation,
            &self.resource_type,
            &self.pattern_type,
            &self.resource_name,
            &self.host,
        ])
    }

    /// The key of the row [`AclRow::new`] makes of `binding` on `cluster`, built without it.
    pub fn key_of(cluster: &str, binding: &AclBinding) -> String {
        acl_key::key_of(cluster, binding)
    }

    /// The row a state map entry stands for: its key parsed, its value the reason; a key
    /// that is not one [`acl_key::key_of`] makes is a diagnostic on it under `path`.
    pub fn from_key(key: &str, reason: String, path: &AttributePath) -> Result<Self, Diagnostic> {
        match acl_key::parse(key) {
            Ok((cluster, binding)) => {
                let mut row = AclRow::new(&cluster, &binding, "");
                row.reason = reason;
                Ok(row)
            }
            Err(error) => Err(Diagnostic::error(
                "Invalid ACL key in state",
                format!("{key:?} is not an ACL key: {error}"),
            )
            .at(path.clone().key(key))),
        }
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
    fn rows_key_as_their_bindings_and_parse_back_from_their_key() {
        let binding = AclBinding::allow(
            "User:a b",
            ResourceType::Group,
            "g|1",
            PatternType::Literal,
            Operation::Read,
        );
        let row = AclRow::new("dr", &binding, "why");
        assert_eq!(row.key(), "dr User:a%20b ALLOW READ GROUP LITERAL g|1");
        assert_eq!(row.key(), AclRow::key_of("dr", &binding));
        let mut other_reason = row.clone();
        other_reason.reason = "another".into();
        assert_eq!(other_reason.key(), row.key());
        let path = AttributePath::attribute("acls");
        assert_eq!(
            AclRow::from_key(&row.key(), "why".into(), &path).unwrap(),
            row
        );
        let error = AclRow::from_key("dr|GROUP", "why".into(), &path).unwrap_err();
        assert_eq!(error.path, Some(path.key("dr|GROUP")));
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
}
