//! Apply of one cluster's ACLs: read the managed principals' bindings, reconcile with
//! ownership and the self-lockout guard, one CreateAcls and one DeleteAcls batch split above
//! [`ACL_BATCH_LIMIT`]; the returned record lists only the bindings that exist.

use super::read::{cancelled, kafka_diagnostic, lockout_guard, principals_of, read_acls};
use super::record::{keyed, owned_keys, Record, ACLS};
use super::rows::AclRow;
use crate::clusters::Clusters;
use crate::kafka::{AclFilter, KafkaAdmin};
use crate::model::plan::ClusterAcl;
use crate::model::reconcile::{comparable, reconcile_acls, ClusterBinding};
use crate::tfplugin::{Ctx, Diagnostic, Diagnostics};
use std::collections::{BTreeSet, HashMap, HashSet};

/// Most bindings (or filters) per CreateAcls / DeleteAcls request. A binding takes well under
/// 600 bytes on the wire even with a 249-character name, so a full batch stays under 3 MB,
/// far below Kafka's default `socket.request.max.bytes` (100 MiB); flows above the limit are
/// split into several requests.
pub const ACL_BATCH_LIMIT: usize = 5_000;

/// ACLs of one cluster: read, reconcile, one create and one delete batch (chunked).
pub(crate) async fn apply_cluster_acls(
    ctx: &Ctx<'_, Clusters>,
    admin: &KafkaAdmin,
    cluster: &str,
    desired: &[ClusterAcl],
    prior: &Record,
    diags: &mut Diagnostics,
) -> Record {
    let keep_prior = Record {
        topics: BTreeSet::new(),
        ..prior.clone()
    };
    let desired_rows: Vec<AclRow> = desired.iter().map(AclRow::from).collect();
    let principals = principals_of(desired_rows.iter().chain(prior.acls.iter()));
    let expected = Some(desired_rows.len() + prior.acls.len());
    let actual = match read_acls(admin, cluster, &principals, expected).await {
        Ok(actual) => actual,
        Err(error) => {
            diags.push(kafka_diagnostic("Cannot read ACLs", &error));
            return keep_prior;
        }
    };
    let actual_keys: HashSet<ClusterBinding> = actual
        .iter()
        .map(|(cluster, binding)| comparable(cluster, binding))
        .collect();
    let prior_acls = keyed(prior.acls.iter().cloned(), diags);
    let owned_before = owned_keys(prior, diags);
    let guard = lockout_guard(ctx.provider, cluster);
    let changes = match reconcile_acls(desired, &actual, &owned_before, &guard) {
        Ok(changes) => changes,
        Err(lockout) => {
            diags.push(Diagnostic::error(
                "Refusing to lock the provider out",
                lockout.to_string(),
            ));
            return Record {
                acls: prior_acls
                    .into_iter()
                    .filter(|(key, _)| actual_keys.contains(key))
                    .map(|(_, row)| row)
                    .collect(),
                preexisting: rows_existing(prior.preexisting.clone(), &actual_keys, diags),
                topics: BTreeSet::new(),
            };
        }
    };

    let mut created: HashSet<ClusterBinding> = HashSet::new();
    let to_create = changes.to_create.get(cluster).cloned().unwrap_or_default();
    for chunk in to_create.chunks(ACL_BATCH_LIMIT) {
        if ctx.cancel.is_cancelled() {
            diags.push(cancelled(cluster));
            break;
        }
        let bindings: Vec<_> = chunk.iter().map(|acl| acl.binding.clone()).collect();
        match admin.create_acls(&bindings).await {
            Ok(results) => {
                for (binding, result) in bindings.iter().zip(results) {
                    match result {
                        Ok(()) => {
                            created.insert(comparable(cluster, binding));
                        }
                        Err(error) => diags.push(Diagnostic::error(
                            "Cannot create ACL",
                            format!(
                                "cluster {cluster:?}: {binding}: Kafka refused it with {error}"
                            ),
                        )),
                    }
                }
            }
            Err(error) => {
                diags.push(kafka_diagnostic("Cannot create ACLs", &error));
                break;
            }
        }
    }

    let mut deleted: HashSet<ClusterBinding> = HashSet::new();
    let to_delete = changes.to_delete.get(cluster).cloned().unwrap_or_default();
    for chunk in to_delete.chunks(ACL_BATCH_LIMIT) {
        if ctx.cancel.is_cancelled() {
            diags.push(cancelled(cluster));
            break;
        }
        let filters: Vec<AclFilter> = chunk.iter().map(AclFilter::exact).collect();
        match admin.delete_acls(&filters).await {
            Ok(results) => {
                for (binding, result) in chunk.iter().zip(results) {
                    match result {
                        Ok(_) => {
                            deleted.insert(comparable(cluster, binding));
                        }
                        Err(error) => diags.push(Diagnostic::error(
                            "Cannot delete ACL",
                            format!(
                                "cluster {cluster:?}: {binding}: Kafka refused it with {error}"
                            ),
                        )),
                    }
                }
            }
            Err(error) => {
                diags.push(kafka_diagnostic("Cannot delete ACLs", &error));
                break;
            }
        }
    }

    let desired_by_key: HashMap<ClusterBinding, &ClusterAcl> = desired
        .iter()
        .map(|acl| (comparable(&acl.cluster, &acl.binding), acl))
        .collect();
    let mut acls: BTreeSet<AclRow> = desired_rows
        .into_iter()
        .filter(|row| {
            row.cluster_binding(&ACLS.path())
                .map(|(c, b)| comparable(&c, &b))
                .is_ok_and(|key| actual_keys.contains(&key) || created.contains(&key))
        })
        .collect();
    // Owned bindings no longer desired whose delete failed: still there, still owned, so the
    // next plan shows them as removals again.
    acls.extend(
        prior_acls
            .into_iter()
            .filter(|(key, _)| {
                owned_before.contains(key)
                    && !desired_by_key.contains_key(key)
                    && actual_keys.contains(key)
                    && !deleted.contains(key)
            })
            .map(|(_, row)| row),
    );
    let preexisting = changes
        .preexisting
        .get(cluster)
        .into_iter()
        .flatten()
        .filter_map(|binding| {
            desired_by_key
                .get(&comparable(cluster, binding))
                .map(|acl| AclRow::from(*acl))
        })
        .collect();
    Record {
        acls,
        preexisting,
        topics: BTreeSet::new(),
    }
}

pub(crate) fn rows_existing(
    rows: BTreeSet<AclRow>,
    actual_keys: &HashSet<ClusterBinding>,
    diags: &mut Diagnostics,
) -> BTreeSet<AclRow> {
    keyed(rows, diags)
        .into_iter()
        .filter(|(key, _)| actual_keys.contains(key))
        .map(|(_, row)| row)
        .collect()
}
