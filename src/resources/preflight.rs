//! The plan-time preflight against the clusters, so apply does not fail halfway:
//! reachability, authorizer, the provider's own rights, self-lockout, replication factor vs
//! brokers, conflicting internal topics, pre-existing bindings (a warning), DENY bindings
//! that block an access the plan grants (`super::access_check`); for a destroy, what stays on
//! the clusters for other claimants (a warning).

use super::access_check::{check_cluster, deny_check};
use super::claims::{destroy_warning, preflight_claims, ClusterNeeds};
use super::flow::{cluster_paths, Flow};
use super::read::{
    connect_all, kafka_diagnostic, lockout_guard, principals_of, read_acls, read_topics,
};
use super::record::{keyed, owned_keys, Record};
use crate::clusters::Clusters;
use crate::kafka::KafkaError;
use crate::model::acl::AclBinding;
use crate::model::ownership::Claimant;
use crate::model::plan::{ClusterAcl, DesiredState, InternalTopic};
use crate::model::preflight::{acl_preflight, replication_shortfalls};
use crate::model::reconcile::{
    comparable, comparable_binding, reconcile_topics, ClusterBinding, DesiredKeys,
};
use foldhash::HashSet;
use std::collections::BTreeSet;
use tfplugin::{Ctx, Diagnostic, Diagnostics, Object};

/// What the plan-time checks compare.
pub(crate) struct Preflight<'a> {
    pub desired: &'a DesiredState,
    pub prior: Record,
    /// `None` for a resource not created yet (it holds no claims).
    pub claimant: Option<&'a Claimant>,
}

/// Plan-time checks against the clusters, so apply does not fail halfway: reachability,
/// authorizer, the provider's own rights (on the cluster and on the claims topic),
/// self-lockout, replication factor vs brokers, conflicting internal topics, pre-existing
/// bindings and bindings kept for other claimants (warnings).
pub(crate) async fn preflight<F: Flow>(
    ctx: &Ctx<'_, Clusters>,
    inputs: &F::Inputs,
    checks: Preflight<'_>,
    planned: &Object,
    diags: &mut Diagnostics,
) {
    let Preflight {
        desired,
        prior,
        claimant,
    } = checks;
    let paths = cluster_paths::<F>(planned);
    let deny_mode = diags.take(deny_check(planned)).unwrap_or_default();
    let mut prior_by_cluster = prior.into_clusters();
    // Unknown keys are reported on their attribute; pending ones are not known yet.
    let configured = paths
        .keys()
        .filter(|cluster| ctx.provider.cluster(cluster).is_ok())
        .cloned();
    for (cluster, connection) in connect_all(ctx, configured).await {
        let cluster = &cluster;
        let path = &paths[cluster];
        let admin = match connection {
            Ok(admin) => admin,
            Err(diagnostic) => {
                diags.push(diagnostic.at(path.clone()));
                continue;
            }
        };
        if let Err(error) = admin.check_acl_admin_rights().await {
            let diagnostic = match &error {
                KafkaError::SecurityDisabled { .. } => Diagnostic::error(
                    "Cluster has no authorizer",
                    format!("{error}. This resource manages ACLs, which need an authorizer."),
                ),
                KafkaError::AuthorizationFailed { .. } => Diagnostic::error(
                    "The provider's principal lacks the cluster permissions apply needs",
                    format!(
                        "{error}. Apply creates and deletes ACLs (CreateAcls/DeleteAcls need \
                         ALTER on the CLUSTER resource) and reads them (DescribeAcls needs \
                         DESCRIBE on the CLUSTER resource)."
                    ),
                ),
                _ => kafka_diagnostic("Cannot check the cluster", &error),
            };
            diags.push(diagnostic.at(path.clone()));
            continue;
        }
        let desired_acls: Vec<ClusterAcl> = desired
            .acls
            .iter()
            .filter(|acl| &acl.cluster == cluster)
            .cloned()
            .collect();
        let recorded = prior_by_cluster.remove(cluster).unwrap_or_default();
        let principals = principals_of(
            desired_acls
                .iter()
                .map(|acl| acl.binding.principal.as_str())
                .chain(recorded.acls.iter().map(|row| row.principal.as_str())),
        );
        let expected = Some(desired_acls.len() + recorded.acls.len());
        match read_acls(&admin, cluster, &principals, expected).await {
            Ok(actual) => {
                check_cluster(
                    &admin,
                    cluster,
                    &desired_acls,
                    &actual,
                    deny_mode,
                    path,
                    diags,
                )
                .await;
                // Ownership from state (`acls - preexisting_acls`), or what the resource
                // holds alone per the claims record.
                let owned = owned_keys(&recorded, diags);
                let ownership = match ctx.provider.claims_log(cluster) {
                    None => None,
                    Some(log) => {
                        let actual_keys: HashSet<ClusterBinding> = actual
                            .iter()
                            .map(|(cluster, binding)| comparable(cluster, binding))
                            .collect();
                        let needs = ClusterNeeds {
                            cluster,
                            desired: &desired_acls,
                            actual: &actual_keys,
                            state_owned: &owned,
                            desired_topics: desired
                                .topics
                                .iter()
                                .filter(|topic| &topic.cluster == cluster)
                                .map(|topic| topic.name.clone())
                                .collect(),
                            state_topics: recorded.topics.iter().map(|t| t.name.clone()).collect(),
                            delete_topics: false,
                            principals: &principals,
                            expected_bindings: expected,
                        };
                        // After a claims error (reported), the other checks still run, with
                        // ownership as the state records it.
                        preflight_claims(ctx, &log, &admin, claimant, needs, diags).await
                    }
                };
                let owned = match &ownership {
                    Some(plan) => plan
                        .exclusive
                        .iter()
                        .map(|binding| (cluster.clone(), binding.clone()))
                        .collect(),
                    None => owned,
                };
                let guard = lockout_guard(ctx.provider, cluster);
                let recorded_preexisting: Vec<ClusterBinding> = keyed(recorded.preexisting, diags)
                    .into_iter()
                    .map(|(key, _)| key)
                    .collect();
                match acl_preflight(
                    &DesiredKeys::of(&desired_acls),
                    &actual,
                    &owned,
                    &guard,
                    &recorded_preexisting,
                ) {
                    Err(lockout) => diags.push(Diagnostic::error(
                        "Refusing to lock the provider out",
                        lockout.to_string(),
                    )),
                    Ok(unrecorded) => {
                        // With the claims record, only bindings no claim names are found
                        // pre-existing (those a sibling claims are shared, not pre-existing).
                        let unrecorded: Vec<ClusterBinding> = match &ownership {
                            None => unrecorded,
                            Some(plan) => {
                                let unclaimed: HashSet<&AclBinding> =
                                    plan.marker_candidates.iter().collect();
                                unrecorded
                                    .into_iter()
                                    .filter(|(_, binding)| {
                                        unclaimed.contains(&comparable_binding(binding.clone()))
                                    })
                                    .collect()
                            }
                        };
                        if !unrecorded.is_empty() {
                            let listed: Vec<String> = unrecorded
                                .iter()
                                .map(|(_, binding)| format!("  {binding}"))
                                .collect();
                            diags.push(Diagnostic::warning(
                                "ACLs already exist",
                                format!(
                                    "cluster {cluster:?} already holds these bindings, not \
                                     created by this resource; they will be recorded in \
                                     preexisting_acls and never deleted by it:\n{}",
                                    listed.join("\n")
                                ),
                            ));
                        }
                    }
                }
            }
            Err(error) => diags.push(kafka_diagnostic("Cannot read ACLs", &error).at(path.clone())),
        }

        let topics: Vec<InternalTopic> = desired
            .topics
            .iter()
            .filter(|topic| &topic.cluster == cluster)
            .cloned()
            .collect();
        if topics.is_empty() {
            continue;
        }
        match admin.broker_count().await {
            Ok(brokers) => {
                for short in replication_shortfalls(&topics, brokers) {
                    diags.push(
                        Diagnostic::error(
                            "Replication factor above the broker count",
                            format!(
                                "topic {:?} needs replication factor {} but cluster {cluster:?} \
                                 has {} broker(s); lower the replication factor or add brokers",
                                short.topic.name, short.needed, short.brokers
                            ),
                        )
                        .at(F::replication_factor_path(short.topic, inputs)),
                    );
                }
            }
            Err(error) => diags.push(kafka_diagnostic("Cannot read brokers", &error)),
        }
        let names: Vec<String> = topics.iter().map(|t| t.name.clone()).collect();
        let managed: BTreeSet<String> = topics
            .iter()
            .flat_map(|t| t.configs.keys().cloned())
            .collect();
        match read_topics(&admin, cluster, &names, &managed, diags).await {
            Ok(read) => {
                let checked: Vec<InternalTopic> = topics
                    .into_iter()
                    .filter(|topic| !read.unread.contains(&topic.name))
                    .collect();
                let changes = reconcile_topics(&checked, &read.existing);
                for conflict in &changes.conflicts {
                    diags.push(Diagnostic::error(
                        "Internal topic conflicts with the plan",
                        conflict.to_string(),
                    ));
                }
                for fix in changes.config_fixes.get(cluster).into_iter().flatten() {
                    diags.push(Diagnostic::warning(
                        "Internal topic config will be corrected",
                        format!(
                            "cluster {cluster:?}: topic {:?} has {} = {}; apply sets it to {:?} \
                             with IncrementalAlterConfigs",
                            fix.name,
                            fix.key,
                            fix.actual
                                .as_deref()
                                .map_or("(unset)".to_string(), |v| format!("{v:?}")),
                            fix.expected
                        ),
                    ));
                }
            }
            Err(error) => diags.push(kafka_diagnostic("Cannot read internal topics", &error)),
        }
    }
}

/// The destroy plan's warnings (Terraform 1.3+): for each cluster with a claims record, what
/// stays because other claimants still need it. Never an error: a cluster that cannot be
/// read now is left to apply, which reports it.
pub(crate) async fn destroy_preflight(
    ctx: &Ctx<'_, Clusters>,
    prior: Record,
    me: &Claimant,
    delete_topics: bool,
    diags: &mut Diagnostics,
) {
    let mut by_cluster = prior.into_clusters();
    let clusters: Vec<String> = by_cluster
        .keys()
        .filter(|cluster| ctx.provider.claims_log(cluster).is_some())
        .cloned()
        .collect();
    for (cluster, connection) in connect_all(ctx, clusters).await {
        let (Ok(admin), Some(log)) = (connection, ctx.provider.claims_log(&cluster)) else {
            continue;
        };
        let recorded = by_cluster.remove(&cluster).unwrap_or_default();
        let principals = principals_of(recorded.acls.iter().map(|row| row.principal.as_str()));
        let expected = Some(recorded.acls.len());
        let Ok(actual) = read_acls(&admin, &cluster, &principals, expected).await else {
            continue;
        };
        let actual_keys: HashSet<ClusterBinding> = actual
            .iter()
            .map(|(cluster, binding)| comparable(cluster, binding))
            .collect();
        let mut quiet = Diagnostics::new();
        let owned = owned_keys(&recorded, &mut quiet);
        let needs = ClusterNeeds {
            cluster: &cluster,
            desired: &[],
            actual: &actual_keys,
            state_owned: &owned,
            desired_topics: BTreeSet::new(),
            state_topics: recorded.topics.iter().map(|t| t.name.clone()).collect(),
            delete_topics,
            principals: &principals,
            expected_bindings: expected,
        };
        if let Some(warning) = destroy_warning(ctx, &log, &admin, me, needs).await {
            diags.push(warning);
        }
    }
}
