//! What a resource's state records beyond its inputs: the `id`, `acls`,
//! `preexisting_acls`, `claimant` and `internal_topics` attributes (and how a claimant id is
//! derived), the [`Record`] of rows they hold
//! and the encoded rows as they came ([`RecordedRows`]).

use super::flow::Flow;
use super::rows::{keyed_rows, AclRow, TopicRow};
use crate::model::reconcile::{into_comparable, ClusterBinding};
use foldhash::HashSet;
use std::collections::{BTreeMap, BTreeSet};
use tfplugin::{Attr, Diagnostics, Object, Value};

pub const ID: Attr<String> = Attr::computed(
    "id",
    "Identifier of the flow, in the form accepted by `terraform import`.",
);
/// How `acls` keys are written, for the descriptions.
macro_rules! acl_key_format {
    () => {
        "`<cluster> <principal> <permission> <operation> <resource_type> <pattern_type> \
         <resource_name>`, followed by ` @<host>` when the host is not `*` (e.g. \
         `dr User:mm2 ALLOW READ TOPIC LITERAL orders`): `cluster` is the provider cluster \
         key, `permission` ALLOW, `resource_type` TOPIC, GROUP, CLUSTER or TRANSACTIONAL_ID, \
         `pattern_type` LITERAL or PREFIXED. In the cluster, principal, resource name and \
         host, `%`, whitespace and control characters are written `%XX` per UTF-8 byte and an \
         empty one as `%`, so fields never contain a space and every binding has one key"
    };
}

pub const ACLS: Attr<BTreeMap<String, String>> = Attr::computed(
    "acls",
    concat!(
        "The ACL bindings the flow needs, one map entry per binding and cluster (one plan \
         line each): the key names the binding, ",
        acl_key_format!(),
        "; the value is the reason (the rule and spec row that require it). In resource \
         state: the bindings that exist on the clusters. For one object per binding (to feed \
         another provider's ACL resource with `for_each`), read the data source of the same \
         name with the same inputs: its `acls` has the same keys."
    ),
);
pub const PREEXISTING_ACLS: Attr<BTreeMap<String, String>> = Attr::computed(
    "preexisting_acls",
    "Entries of `acls`, under the same keys and with the same reasons, whose bindings already \
     existed on the cluster before this resource would have created them (made by hand or by \
     another tool). They are not owned: shrinking or destroying this resource never deletes \
     them. Bindings adopted with `terraform import` are owned.",
);
/// The data sources' `acls`: one object per binding, under the keys resources use.
pub const DATA_ACLS: Attr<BTreeMap<String, AclRow>> = Attr::computed(
    "acls",
    concat!(
        "The ACL bindings the flow needs: a map with one object per binding and cluster, keyed \
         as the resource's `acls` are, ",
        acl_key_format!(),
        ". Each object has `cluster` (provider cluster key), `principal`, `host`, \
         `resource_type`, `resource_name`, `pattern_type`, `operation`, `permission` and \
         `reason` (the rule and spec row that require it), for `for_each` over another \
         provider's ACL resource."
    ),
);
/// `acls` and `preexisting_acls` as resource states stored them before keys were readable
/// (MM2 schema versions 0 to 3, cluster link 0 to 2): objects keyed
/// `<cluster>|<resource_type>|<pattern_type>|<resource_name>|<principal>|<host>|<operation>|<permission>`.
/// Read by the state upgrade only, which keeps the objects and derives the new keys from them.
pub const OBJECT_ACLS: Attr<BTreeMap<String, AclRow>> = Attr::computed("acls", "");
pub const OBJECT_PREEXISTING_ACLS: Attr<BTreeMap<String, AclRow>> =
    Attr::computed("preexisting_acls", "");
pub const CLAIMANT: Attr<String> = Attr::computed(
    "claimant",
    "This resource's id in the clusters' claims records (`claims_topic` of the provider's \
     `cluster` blocks), derived from the resource type and `id` when the resource is created \
     (or its state upgraded from schema version 0) and kept for the resource's life.",
);
pub const INTERNAL_TOPICS: Attr<BTreeMap<String, TopicRow>> = Attr::computed(
    "internal_topics",
    "The compacted internal topics the flow needs: a map keyed `<cluster>|<name>` whose \
     objects have `cluster`, `name`, `partitions`, `replication_factor`, `configs` (e.g. \
     cleanup.policy) and `reason`. In resource state: \
     the topics as they exist (actual partitions, replication factor and cleanup.policy), so \
     drift shows in the next plan.",
);

/// The claimant id of a resource: derived from its type and id (FNV-1a, 64 bits, hex), so
/// it is known at plan, equal in every plan and at apply, the same for a state upgraded from
/// version 0, and the same when a create killed before its state was saved runs again
/// (which then finds its own claims and owns what the killed run created). The id names
/// the clusters by their provider aliases and the principal, so flows differ by claimant;
/// two states declaring the very same flow (same aliases, principal and direction) share
/// one, which the docs state.
pub fn claimant_id(type_name: &str, id: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in type_name.bytes().chain([0]).chain(id.bytes()) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}

/// The reason recorded for bindings adopted by `terraform import` that the plan of the
/// inputs the import id implies does not need.
pub const IMPORTED_REASON: &str =
    "adopted by terraform import (owned by this resource; the planned reason is recorded once its bindings change)";

/// Whether the recorded rows are the planned ones (`planned` has no duplicate keys), except
/// that a recorded row adopted by import ([`IMPORTED_REASON`]) matches a planned row of the
/// same binding whatever its reason: a reason alone does not make a change.
pub(crate) fn same_acl_rows(
    recorded: &BTreeSet<AclRow>,
    mut planned: impl ExactSizeIterator<Item = AclRow>,
) -> bool {
    let imported: HashSet<String> = recorded
        .iter()
        .filter(|row| row.reason == IMPORTED_REASON)
        .map(AclRow::key)
        .collect();
    recorded.len() == planned.len()
        && planned.all(|row| recorded.contains(&row) || imported.contains(&row.key()))
}

/// What a resource's state records beyond its inputs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Record {
    pub acls: BTreeSet<AclRow>,
    pub preexisting: BTreeSet<AclRow>,
    pub topics: BTreeSet<TopicRow>,
}

impl Record {
    /// Moves the rows out of a state or plan object (leaving those attributes null).
    pub(crate) fn take(object: &mut Object, diags: &mut Diagnostics) -> Option<Record> {
        let acls = take_acl_rows(&ACLS, object, diags)?;
        let preexisting = take_acl_rows(&PREEXISTING_ACLS, object, diags)?;
        // Flows without topics have no such attribute: `take_known_values` reads it as absent.
        let topics = diags
            .take(INTERNAL_TOPICS.take_known_values(object))?
            .unwrap_or_default()
            .into_iter()
            .collect();
        Some(Record {
            acls,
            preexisting,
            topics,
        })
    }

    /// Writes the rows into a state object, keyed the way the maps key them.
    pub(crate) fn write<F: Flow>(self, object: &mut Object) {
        ACLS.put(object, &reasons_by_key(self.acls));
        PREEXISTING_ACLS.put(object, &reasons_by_key(self.preexisting));
        if F::HAS_TOPICS {
            INTERNAL_TOPICS.put(object, &keyed_rows(self.topics, TopicRow::key));
        }
    }

    /// Whether a binding row was adopted by import without a planned reason.
    pub(crate) fn has_imported_rows(&self) -> bool {
        self.acls.iter().any(|row| row.reason == IMPORTED_REASON)
    }

    /// The rows split by cluster, moved rather than copied.
    pub(crate) fn into_clusters(self) -> BTreeMap<String, Record> {
        let mut acls = group_by_cluster(self.acls, |row| &row.cluster);
        let mut preexisting = group_by_cluster(self.preexisting, |row| &row.cluster);
        let mut topics = group_by_cluster(self.topics, |row| &row.cluster);
        let clusters: BTreeSet<String> = (acls.keys().chain(preexisting.keys()))
            .chain(topics.keys())
            .cloned()
            .collect();
        clusters
            .into_iter()
            .map(|cluster| {
                let record = Record {
                    acls: acls.remove(&cluster).unwrap_or_default(),
                    preexisting: preexisting.remove(&cluster).unwrap_or_default(),
                    topics: topics.remove(&cluster).unwrap_or_default(),
                };
                (cluster, record)
            })
            .collect()
    }

    pub(crate) fn merge(&mut self, mut other: Record) {
        self.acls.append(&mut other.acls);
        self.preexisting.append(&mut other.preexisting);
        self.topics.append(&mut other.topics);
    }
}

/// The rows of an `acls` / `preexisting_acls` map of a state or plan object, moved out of it
/// (the attribute left null): each key parsed ([`AclRow::from_key`]), its value the reason.
/// Keys that do not parse are reported (on them) and the rows are `None`.
pub(crate) fn take_acl_rows(
    attr: &Attr<BTreeMap<String, String>>,
    object: &mut Object,
    diags: &mut Diagnostics,
) -> Option<BTreeSet<AclRow>> {
    let entries = diags.take(attr.take_known(object))?.unwrap_or_default();
    let path = attr.path();
    let mut rows = BTreeSet::new();
    let mut valid = true;
    for (key, reason) in entries {
        match AclRow::from_key(&key, reason, &path) {
            Ok(row) => {
                rows.insert(row);
            }
            Err(diagnostic) => {
                valid = false;
                diags.push(diagnostic);
            }
        }
    }
    valid.then_some(rows)
}

/// Rows as the `acls` / `preexisting_acls` maps hold them: key to reason.
pub(crate) fn reasons_by_key(rows: impl IntoIterator<Item = AclRow>) -> BTreeMap<String, String> {
    rows.into_iter()
        .map(|row| (row.key(), row.reason))
        .collect()
}

/// The row attributes of a state as they came (still encoded: cloning them is cheap), to
/// answer with when the rows do not change instead of encoding them again.
pub(crate) struct RecordedRows(pub(crate) Object);

impl RecordedRows {
    pub(crate) fn of(object: &Object) -> Self {
        let names = [ACLS.name, PREEXISTING_ACLS.name, INTERNAL_TOPICS.name];
        RecordedRows(
            names
                .into_iter()
                .filter_map(|name| Some((name.to_string(), object.get(name)?.clone())))
                .collect(),
        )
    }

    pub(crate) fn restore(self, object: &mut Object) {
        object.extend(self.0);
    }

    /// The encoded length of one attribute as it came (0 when absent or not encoded).
    pub(crate) fn encoded_len(&self, name: &str) -> usize {
        self.0.get(name).and_then(Value::encoded_len).unwrap_or(0)
    }

    /// Whether `planned` holds the same `acls` (and `internal_topics`) bytes: rows are
    /// written as Terraform writes them, so equal rows usually are equal bytes.
    pub(crate) fn encodes_same<F: Flow>(&self, planned: &Object) -> bool {
        let same = |name: &str| {
            matches!((self.0.get(name), planned.get(name)),
                (Some(recorded), Some(planned)) if recorded.same_encoding(planned))
        };
        same(ACLS.name) && (!F::HAS_TOPICS || same(INTERNAL_TOPICS.name))
    }
}

/// Sorted rows grouped by cluster: each group is collected in order, so its set is built in
/// one pass instead of by one insertion (and search) per row.
pub(crate) fn group_by_cluster<R: Ord>(
    rows: BTreeSet<R>,
    cluster: impl Fn(&R) -> &String,
) -> BTreeMap<String, BTreeSet<R>> {
    let mut groups: BTreeMap<String, Vec<R>> = BTreeMap::new();
    for row in rows {
        match groups.get_mut(cluster(&row)) {
            Some(group) => group.push(row),
            None => {
                groups.insert(cluster(&row).clone(), vec![row]);
            }
        }
    }
    groups
        .into_iter()
        .map(|(cluster, group)| (cluster, group.into_iter().collect()))
        .collect()
}

/// A row's comparable key; a row that does not parse is reported.
pub(crate) fn row_key(row: &AclRow, diags: &mut Diagnostics) -> Option<ClusterBinding> {
    diags
        .take(row.cluster_binding(&ACLS.path()))
        .map(into_comparable)
}

/// Rows as `(comparable key, row)`; rows that do not parse are reported once.
pub(crate) fn keyed(
    rows: impl IntoIterator<Item = AclRow>,
    diags: &mut Diagnostics,
) -> Vec<(ClusterBinding, AclRow)> {
    rows.into_iter()
        .filter_map(|row| Some((row_key(&row, diags)?, row)))
        .collect()
}

/// What the record owns: `acls - preexisting_acls`, as comparable keys.
pub(crate) fn owned_keys(record: &Record, diags: &mut Diagnostics) -> HashSet<ClusterBinding> {
    let preexisting: HashSet<ClusterBinding> = record
        .preexisting
        .iter()
        .filter_map(|row| row_key(row, diags))
        .collect();
    record
        .acls
        .iter()
        .filter_map(|row| row_key(row, diags))
        .filter(|key| !preexisting.contains(key))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::acl::{AclBinding, Operation, PatternType, ResourceType};

    fn row(topic: &str, reason: &str) -> AclRow {
        let binding = AclBinding::allow(
            "User:mm2",
            ResourceType::Topic,
            topic,
            PatternType::Literal,
            Operation::Read,
        );
        AclRow::new("dr", &binding, reason)
    }

    #[test]
    fn only_reasons_adopted_by_import_give_way_to_the_planned_ones() {
        let planned = || vec![row("a", "rule"), row("b", "rule")].into_iter();
        let cases = [
            ("same rows", vec![row("a", "rule"), row("b", "rule")], true),
            (
                "imported reason",
                vec![row("a", IMPORTED_REASON), row("b", "rule")],
                true,
            ),
            (
                "another reason",
                vec![row("a", "old rule"), row("b", "rule")],
                false,
            ),
            ("a row fewer", vec![row("a", IMPORTED_REASON)], false),
            (
                "another binding",
                vec![row("a", IMPORTED_REASON), row("c", IMPORTED_REASON)],
                false,
            ),
        ];
        for (case, recorded, same) in cases {
            let recorded: BTreeSet<AclRow> = recorded.into_iter().collect();
            assert_eq!(same_acl_rows(&recorded, planned()), same, "{case}");
        }
    }
}
