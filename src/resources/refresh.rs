//! Refresh: keeps the recorded rows that still exist and the topics as they exist now,
//! decoding rows only when a recorded binding is gone. Reads are repeated (bounded) while
//! they do not show what the state records, since Kafka's metadata lags behind its writes.

use super::acl_key;
use super::read::{connect_all, existing_topic_row, kafka_diagnostic, read_bindings};
use super::record::{
    group_by_cluster, keyed, Record, RecordedRows, ACLS, INTERNAL_TOPICS, PREEXISTING_ACLS,
};
use super::rows::{AclRow, TopicRow};
use super::settle::{read_bound, read_topics_quietly, read_until, shown};
use crate::clusters::Clusters;
use crate::kafka::KafkaError;
use crate::model::acl::AclBinding;
use crate::model::outcome::AclsLeft;
use crate::model::reconcile::{comparable_binding, ClusterBinding, ExistingTopic};
use crate::model::timing::topics_not_as_recorded;
use foldhash::HashSet;
use std::collections::{BTreeMap, BTreeSet};
use tfplugin::{Ctx, Diagnostic, Diagnostics, Object};

/// What refresh found.
pub(crate) enum Refreshed {
    /// Every recorded binding still exists and every recorded topic is as recorded: the
    /// state stands as it came (its ACL rows were not even decoded).
    Unchanged,
    /// The recorded rows that still exist (or could not be checked); topics as they are now.
    Changed(Record),
}

/// The recorded bindings of one cluster as the state's map keys name them, and their
/// principals (what DescribeAcls is asked about).
#[derive(Default)]
pub(crate) struct RecordedKeys<'a> {
    keys: Vec<&'a str>,
    principals: BTreeSet<String>,
}

/// The keys of `acls` and `preexisting_acls` by cluster, read without parsing a whole key
/// nor reading a reason; a key that is not one [`AclRow::key`] makes (a state edited by
/// hand) is an error on it.
pub(crate) fn recorded_keys(
    state: &Object,
) -> Result<BTreeMap<String, RecordedKeys<'_>>, Diagnostic> {
    let mut by_cluster: BTreeMap<String, RecordedKeys<'_>> = BTreeMap::new();
    for attr in [&ACLS, &PREEXISTING_ACLS] {
        for key in attr.known_keys(state)? {
            let Some((cluster, principal)) = acl_key::cluster_and_principal(key) else {
                return Err(Diagnostic::error(
                    "Invalid ACL key in state",
                    format!("{key:?} is not an ACL key: {}", acl_key::KeyError::Fields),
                )
                .at(attr.path().key(key)));
            };
            if !by_cluster.contains_key(cluster.as_ref()) {
                by_cluster.insert(cluster.to_string(), RecordedKeys::default());
            }
            let recorded = by_cluster
                .get_mut(cluster.as_ref())
                .expect("inserted above");
            recorded.keys.push(key);
            if !recorded.principals.contains(principal.as_ref()) {
                recorded.principals.insert(principal.into_owned());
            }
        }
    }
    Ok(by_cluster)
}

/// Whether every recorded key of `cluster` names a binding it holds (`held` in comparable
/// form; the fast path: no row decoded). Recorded keys compare with their principal in
/// comparable form too.
fn all_recorded_held(cluster: &str, recorded: &[&str], held: &[AclBinding]) -> bool {
    let held_keys: HashSet<String> = held
        .iter()
        .map(|binding| AclRow::key_of(cluster, binding))
        .collect();
    recorded
        .iter()
        .all(|key| acl_key::comparable_key(key).is_some_and(|key| held_keys.contains(key.as_ref())))
}

/// A recorded topic row as the topic it records.
fn recorded_topic(row: &TopicRow) -> ExistingTopic {
    ExistingTopic {
        partitions: i32::try_from(row.partitions).unwrap_or(i32::MAX),
        replication_factor: i16::try_from(row.replication_factor).unwrap_or(i16::MAX),
        configs: row.configs.clone(),
    }
}

/// Refresh: keeps the recorded rows that still exist; topics as they exist now. Each
/// cluster's bindings are read once; the recorded rows are decoded only when a recorded key
/// is not among the keys of what the cluster holds.
pub(crate) async fn refresh(
    ctx: &Ctx<'_, Clusters>,
    state: &mut Object,
    diags: &mut Diagnostics,
) -> Option<Refreshed> {
    let recorded = RecordedRows::of(state);
    let mut keys = diags.take(recorded_keys(&recorded.0))?;
    let recorded_topics: BTreeSet<TopicRow> = diags
        .take(INTERNAL_TOPICS.take_known_values(&mut recorded.0.clone()))?
        .unwrap_or_default()
        .into_iter()
        .collect();
    let mut topics_by_cluster = group_by_cluster(recorded_topics, |row| &row.cluster);
    let clusters: BTreeSet<String> = keys
        .keys()
        .chain(topics_by_cluster.keys())
        .cloned()
        .collect();
    // What the clusters whose recorded keys are not all found hold, as comparable keys.
    let mut missing_keys: BTreeMap<String, HashSet<ClusterBinding>> = BTreeMap::new();
    let mut topics = BTreeSet::new();
    let mut topics_changed = false;
    for (cluster, connection) in connect_all(ctx, clusters).await {
        let recorded_keys = keys.remove(&cluster).unwrap_or_default();
        let mut recorded_topics = topics_by_cluster.remove(&cluster).unwrap_or_default();
        let admin = match connection {
            Ok(admin) => admin,
            Err(diagnostic) => {
                diags.push(diagnostic);
                topics.append(&mut recorded_topics);
                continue;
            }
        };
        let principals: Vec<String> = recorded_keys.principals.into_iter().collect();
        let expected = Some(recorded_keys.keys.len());
        // Recorded rows come from acknowledged writes: read until they show (or the bound).
        let bound = read_bound(ctx, &cluster);
        let read = read_until(
            ctx,
            bound,
            || async {
                let held = read_bindings(&admin, &principals, expected).await?;
                Ok::<Vec<AclBinding>, KafkaError>(
                    held.into_iter().map(comparable_binding).collect(),
                )
            },
            |held| all_recorded_held(&cluster, &recorded_keys.keys, held),
        );
        match read.await {
            Ok(held) => {
                if !all_recorded_held(&cluster, &recorded_keys.keys, &held) {
                    let held = held
                        .into_iter()
                        .map(|binding| (cluster.clone(), binding))
                        .collect();
                    missing_keys.insert(cluster.clone(), held);
                }
            }
            // The recorded rows are kept: they cannot be checked now.
            Err(error) => diags.push(kafka_diagnostic("Cannot read ACLs", &error)),
        }
        let names: Vec<String> = recorded_topics.iter().map(|t| t.name.clone()).collect();
        let managed_keys: BTreeSet<String> = recorded_topics
            .iter()
            .flat_map(|t| t.configs.keys().cloned())
            .collect();
        let as_recorded: BTreeMap<String, ExistingTopic> = recorded_topics
            .iter()
            .map(|row| (row.name.clone(), recorded_topic(row)))
            .collect();
        let read = read_until(
            ctx,
            bound,
            || read_topics_quietly(&admin, &cluster, &names, &managed_keys),
            |(read, _)| topics_not_as_recorded(&as_recorded, shown(&cluster, read)).is_empty(),
        );
        match read.await {
            Ok((read, read_diags)) => {
                diags.extend(read_diags);
                // A topic whose configs could not be read stays as recorded.
                let mut found: BTreeSet<TopicRow> = recorded_topics
                    .iter()
                    .filter_map(|row| {
                        if read.unread.contains(&row.name) {
                            return Some(row.clone());
                        }
                        read.existing
                            .get(&(cluster.clone(), row.name.clone()))
                            .map(|found| existing_topic_row(row, found))
                    })
                    .collect();
                topics_changed |= found != recorded_topics;
                topics.append(&mut found);
            }
            Err(error) => {
                diags.push(kafka_diagnostic("Cannot read internal topics", &error));
                topics.append(&mut recorded_topics);
            }
        }
    }
    if missing_keys.is_empty() && !topics_changed {
        return Some(Refreshed::Unchanged);
    }
    let mut record = Record::take(state, diags)?;
    record.topics = topics;
    if !missing_keys.is_empty() {
        // Rows of the clusters read: those still held (the others could not be checked).
        let checked = |rows: &mut BTreeSet<AclRow>, diags: &mut Diagnostics| {
            let (checked, unchecked): (Vec<AclRow>, Vec<AclRow>) = std::mem::take(rows)
                .into_iter()
                .partition(|row| missing_keys.contains_key(&row.cluster));
            rows.extend(unchecked);
            keyed(checked, diags)
        };
        let acls = checked(&mut record.acls, diags);
        let preexisting = checked(&mut record.preexisting, diags);
        let held: HashSet<ClusterBinding> = missing_keys.into_values().flatten().collect();
        let left = AclsLeft::still_held(
            &acls.iter().map(|(key, _)| key.clone()).collect(),
            &preexisting.iter().map(|(key, _)| key.clone()).collect(),
            &held,
        );
        record.acls.extend(
            acls.into_iter()
                .filter(|(key, _)| left.recorded.contains(key))
                .map(|(_, row)| row),
        );
        record.preexisting.extend(
            preexisting
                .into_iter()
                .filter(|(key, _)| left.preexisting.contains(key))
                .map(|(_, row)| row),
        );
    }
    Some(Refreshed::Changed(record))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::acl::{Operation, PatternType, ResourceType};

    #[test]
    fn the_fast_path_finds_recorded_bindings_whatever_the_principals_spelling() {
        let binding = |principal: &str, topic: &str| {
            AclBinding::allow(
                principal,
                ResourceType::Topic,
                topic,
                PatternType::Literal,
                Operation::Read,
            )
        };
        for (recorded, held) in [
            ("User:mm2", "User:mm2"),
            ("User:sa-abc123", "User:sa-abc123"),
            ("User:SA-ABC123", "User:SA-ABC123"),
            ("User:SA-ABC123", "User:sa-abc123"),
            ("User:00042", "User:42"),
            ("user:u-XYZ", "User:u-xyz"),
        ] {
            let recorded_key = AclRow::key_of("dr", &binding(recorded, "orders"));
            let held_as = |topic: &str| comparable_binding(binding(held, topic));
            assert!(
                all_recorded_held(
                    "dr",
                    &[&recorded_key],
                    &[held_as("orders"), held_as("other")]
                ),
                "{recorded} recorded, {held} held"
            );
            assert!(
                !all_recorded_held("dr", &[&recorded_key], &[held_as("other")]),
                "{recorded}: a missing binding is missed"
            );
        }
    }
}
