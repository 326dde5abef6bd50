//! Apply of one cluster's ACLs: read the managed principals' bindings (again until the
//! recorded ones show: Kafka's metadata lags behind its writes), reconcile with ownership
//! (from state, or held alone per the claims record) and the self-lockout guard, one
//! CreateAcls and one DeleteAcls batch split above
//! [`ACL_BATCH_LIMIT`]; the returned record lists only the bindings that exist.

use super::read::{cancelled, kafka_diagnostic, lockout_guard, principals_of, read_acls};
use super::record::{keyed, Record};
use super::rows::AclRow;
use super::settle::{read_bound, read_until};
use crate::clusters::Clusters;
use crate::kafka::KafkaError;
use crate::kafka::{AclFilter, KafkaAdmin};
use crate::model::acl::AclBinding;
use crate::model::outcome::{acls_after_apply, AclProgress, AclsLeft};
use crate::model::plan::ClusterAcl;
use crate::model::reconcile::{comparable, reconcile_acls, ClusterBinding, DesiredKeys};
use crate::model::timing::unseen_bindings;
use foldhash::{HashSet, HashSetExt};
use tfplugin::{Ctx, Diagnostic, Diagnostics};

/// Most bindings (or filters) per CreateAcls / DeleteAcls request. A binding takes well under
/// 600 bytes on the wire even with a 249-character name, so a full batch stays under 3 MB,
/// far below Kafka's default `socket.request.max.bytes` (100 MiB); flows above the limit are
/// split into several requests.
pub const ACL_BATCH_LIMIT: usize = 5_000;

/// What an ownership record (the claims session) adds to one cluster's ACL apply.
pub(crate) struct SharedOwnership<'a> {
    /// Desired bindings that exist but were claimed in this apply: created again
    /// (idempotent), so a sibling's concurrent delete cannot leave them missing.
    pub create_also: Vec<&'a ClusterAcl>,
    /// Whether a desired binding counts as pre-existing by the claims record.
    pub is_preexisting: &'a (dyn Fn(&AclBinding) -> bool + Sync),
}

/// What one cluster's ACL apply did.
pub(crate) struct AclsApplied {
    pub record: Record,
    /// Deleted bindings, as the cluster held them.
    pub deleted: Vec<AclBinding>,
    /// Bindings whose delete failed or was not attempted.
    pub failed_deletes: Vec<AclBinding>,
}

/// The bindings the managed principals (desired and recorded) hold on one cluster: the
/// principals asked about, the expected answer size and what came back.
pub(crate) async fn read_cluster_acls(
    ctx: &Ctx<'_, Clusters>,
    admin: &KafkaAdmin,
    cluster: &str,
    desired: &[ClusterAcl],
    prior: &Record,
) -> (
    Vec<String>,
    Option<usize>,
    Result<HashSet<ClusterBinding>, KafkaError>,
) {
    let principals = principals_of(
        desired
            .iter()
            .map(|acl| acl.binding.principal.as_str())
            .chain(prior.acls.iter().map(|row| row.principal.as_str())),
    );
    let expected = Some(desired.len() + prior.acls.len());
    // The recorded bindings exist (their writes were acknowledged): read until all show.
    // Rows that do not parse are reported by the apply that follows.
    let recorded: Vec<ClusterBinding> = keyed(prior.acls.iter().cloned(), &mut Diagnostics::new())
        .into_iter()
        .map(|(key, _)| key)
        .collect();
    let read = read_until(
        ctx,
        read_bound(ctx, cluster),
        || read_acls(admin, cluster, &principals, expected),
        |actual| unseen_bindings(&recorded, &comparable_keys(actual)).is_empty(),
    );
    let actual = read.await;
    (principals, expected, actual)
}

/// ACLs of one cluster: reconcile what it holds (`actual`, read by the caller), one create
/// and one delete batch (chunked). `owned_before` is what the resource may delete from
/// (comparable keys): owned per its state, or held alone per the claims record.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn apply_cluster_acls(
    ctx: &Ctx<'_, Clusters>,
    admin: &KafkaAdmin,
    cluster: &str,
    desired: &[ClusterAcl],
    prior: &Record,
    actual: &HashSet<ClusterBinding>,
    owned_before: &HashSet<ClusterBinding>,
    shared: Option<SharedOwnership<'_>>,
    diags: &mut Diagnostics,
) -> AclsApplied {
    let actual_keys = comparable_keys(actual);
    let prior_acls = keyed(prior.acls.iter().cloned(), diags);
    let prior_preexisting = keyed(prior.preexisting.iter().cloned(), diags);
    let guard = lockout_guard(ctx.provider, cluster);
    let desired_keys = DesiredKeys::of(desired);
    let changes = match reconcile_acls(&desired_keys, actual, owned_before, &guard) {
        Ok(changes) => changes,
        Err(lockout) => {
            diags.push(Diagnostic::error(
                "Refusing to lock the provider out",
                lockout.to_string(),
            ));
            let recorded = prior_acls.iter().map(|(key, _)| key.clone()).collect();
            let preexisting = prior_preexisting
                .iter()
                .map(|(key, _)| key.clone())
                .collect();
            let left = AclsLeft::still_held(&recorded, &preexisting, &actual_keys);
            return AclsApplied {
                record: rows_left(&left, &DesiredKeys::of(&[]), prior_acls, prior_preexisting),
                deleted: Vec::new(),
                failed_deletes: Vec::new(),
            };
        }
    };
    let mut to_create: Vec<ClusterAcl> =
        changes.to_create.get(cluster).cloned().unwrap_or_default();
    if let Some(shared) = &shared {
        to_create.extend(shared.create_also.iter().map(|acl| (*acl).clone()));
    }
    let to_delete = changes
        .to_delete
        .get(cluster)
        .map_or(&[][..], Vec::as_slice);
    let progress = AclProgress {
        created: create_acls(ctx, admin, cluster, &to_create, diags).await,
        deleted: delete_acls(ctx, admin, cluster, to_delete, diags).await,
    };
    let mut left = acls_after_apply(
        &desired_keys,
        &actual_keys,
        owned_before,
        &changes,
        &progress,
    );
    if let Some(shared) = &shared {
        // Desired bindings held alongside other claimants are not pre-existing: only those
        // the claims record marks so.
        left.preexisting
            .retain(|(_, binding)| (shared.is_preexisting)(binding));
    }
    let (deleted, failed_deletes) = to_delete
        .iter()
        .cloned()
        .partition(|binding| progress.deleted.contains(&comparable(cluster, binding)));
    AclsApplied {
        record: rows_left(&left, &desired_keys, prior_acls, prior_preexisting),
        deleted,
        failed_deletes,
    }
}

/// Bindings as held, in comparable form.
fn comparable_keys(held: &HashSet<ClusterBinding>) -> HashSet<ClusterBinding> {
    held.iter()
        .map(|(cluster, binding)| comparable(cluster, binding))
        .collect()
}

/// The state rows of what is left: desired bindings with their planned reason, the others
/// as recorded before.
fn rows_left(
    left: &AclsLeft,
    desired: &DesiredKeys<'_>,
    prior_acls: Vec<(ClusterBinding, AclRow)>,
    prior_preexisting: Vec<(ClusterBinding, AclRow)>,
) -> Record {
    // Rows are gathered, then each set is built in one go (sorted, not inserted one by one).
    let mut acls = Vec::with_capacity(left.recorded.len());
    let mut preexisting = Vec::new();
    for (acl, key) in desired.pairs() {
        if left.recorded.contains(key) {
            let row = AclRow::from(acl);
            if left.preexisting.contains(key) {
                preexisting.push(row.clone());
            }
            acls.push(row);
        }
    }
    // A desired key recorded comes from the desired row (with its planned reason).
    for (key, row) in prior_acls {
        if left.recorded.contains(&key) && !desired.contains(&key) {
            acls.push(row);
        }
    }
    for (key, row) in prior_preexisting {
        if left.preexisting.contains(&key) && !desired.contains(&key) {
            preexisting.push(row);
        }
    }
    Record {
        acls: acls.into_iter().collect(),
        preexisting: preexisting.into_iter().collect(),
        ..Record::default()
    }
}

/// Creates the bindings in batches; returns those Kafka accepted (comparable keys).
async fn create_acls(
    ctx: &Ctx<'_, Clusters>,
    admin: &KafkaAdmin,
    cluster: &str,
    to_create: &[ClusterAcl],
    diags: &mut Diagnostics,
) -> HashSet<ClusterBinding> {
    let mut created = HashSet::new();
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
                        Err(error) => {
                            diags.push(refused("Cannot create ACL", cluster, binding, &error))
                        }
                    }
                }
            }
            Err(error) => {
                diags.push(kafka_diagnostic("Cannot create ACLs", &error));
                break;
            }
        }
    }
    created
}

/// Deletes the bindings (exactly as held) in batches; returns those Kafka deleted.
async fn delete_acls(
    ctx: &Ctx<'_, Clusters>,
    admin: &KafkaAdmin,
    cluster: &str,
    to_delete: &[AclBinding],
    diags: &mut Diagnostics,
) -> HashSet<ClusterBinding> {
    let mut deleted = HashSet::new();
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
                        Err(error) => {
                            diags.push(refused("Cannot delete ACL", cluster, binding, &error))
                        }
                    }
                }
            }
            Err(error) => {
                diags.push(kafka_diagnostic("Cannot delete ACLs", &error));
                break;
            }
        }
    }
    deleted
}

fn refused(
    summary: &str,
    cluster: &str,
    binding: &AclBinding,
    error: &impl std::fmt::Display,
) -> Diagnostic {
    Diagnostic::error(
        summary,
        format!("cluster {cluster:?}: {binding}: Kafka refused it with {error}"),
    )
}
