//! The ACL bindings an `acls` / `preexisting_acls` value of plan, state or data source JSON
//! names: resources map each binding's key to its reason, data sources to an object whose
//! fields must name the binding its key names.

use kafkamirror::model::acl::AclBinding;
use kafkamirror::resources::acl_key;
use serde_json::Value as Json;
use std::collections::{BTreeMap, BTreeSet};

/// `(cluster, binding)` of every entry of an `acls` value (either form).
pub fn acl_rows(value: &Json) -> BTreeSet<(String, AclBinding)> {
    acl_reasons(value).into_keys().collect()
}

/// `(cluster, binding)` of every entry of an `acls` value with its reason.
pub fn acl_reasons(value: &Json) -> BTreeMap<(String, AclBinding), String> {
    value
        .as_object()
        .unwrap_or_else(|| panic!("acls is not a map: {value}"))
        .iter()
        .map(|(key, entry)| {
            let parsed = acl_key::parse(key).unwrap_or_else(|e| panic!("{key:?}: {e}"));
            let reason = match entry {
                Json::String(reason) => reason.clone(),
                Json::Object(_) => {
                    let text = |field: &str| entry[field].as_str().unwrap().to_string();
                    let (cluster, binding) = &parsed;
                    assert_eq!(
                        (text("cluster"), text("principal"), text("host")),
                        (
                            cluster.clone(),
                            binding.principal.clone(),
                            binding.host.clone()
                        ),
                        "{key}"
                    );
                    assert_eq!(
                        [
                            text("resource_type"),
                            text("resource_name"),
                            text("pattern_type")
                        ],
                        [
                            binding.resource_type.to_string(),
                            binding.resource_name.clone(),
                            binding.pattern_type.to_string()
                        ],
                        "{key}"
                    );
                    assert_eq!(
                        [text("operation"), text("permission")],
                        [
                            binding.operation.to_string(),
                            binding.permission.to_string()
                        ],
                        "{key}"
                    );
                    text("reason")
                }
                other => panic!("{key}: neither a reason nor an object: {other}"),
            };
            (parsed, reason)
        })
        .collect()
}

/// Rewrites `acls` and `preexisting_acls` of a state instance's attributes as the provider
/// stored them before ACL keys were readable (MM2 schema versions 0 to 3, cluster link 0 to
/// 2): one object per binding, keyed `<cluster>|<resource_type>|<pattern_type>|
/// <resource_name>|<principal>|<host>|<operation>|<permission>` (`\` and `|` escaped).
pub fn as_object_rows(attributes: &mut serde_json::Map<String, Json>) {
    for attribute in ["acls", "preexisting_acls"] {
        let Some(value) = attributes.get(attribute) else {
            continue;
        };
        let rows: serde_json::Map<String, Json> = acl_reasons(value)
            .into_iter()
            .map(|((cluster, binding), reason)| {
                let fields = [
                    cluster.clone(),
                    binding.resource_type.to_string(),
                    binding.pattern_type.to_string(),
                    binding.resource_name.clone(),
                    binding.principal.clone(),
                    binding.host.clone(),
                    binding.operation.to_string(),
                    binding.permission.to_string(),
                ];
                let key: Vec<String> = fields
                    .iter()
                    .map(|field| field.replace('\\', "\\\\").replace('|', "\\|"))
                    .collect();
                let row = serde_json::json!({
                    "cluster": cluster,
                    "resource_type": fields[1],
                    "pattern_type": fields[2],
                    "resource_name": binding.resource_name,
                    "principal": binding.principal,
                    "host": binding.host,
                    "operation": fields[6],
                    "permission": fields[7],
                    "reason": reason,
                });
                (key.join("|"), row)
            })
            .collect();
        attributes.insert(attribute.to_string(), Json::Object(rows));
    }
}
