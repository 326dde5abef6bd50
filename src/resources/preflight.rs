//! The plan-time preflight against the clusters, so apply does not fail halfway:
//! reachability, authorizer, the provider's own rights, self-lockout, replication factor vs
//! brokers, conflicting internal topics and pre-existing bindings (a warning).

use super::flow::{cluster_paths, Flow};
use super::read::{
    connect_all, kafka_diagnostic, lockout_guard, principals_of, read_acls, read_topics,
};
use super::record::{keyed, owned_keys, Record};
use crate::clusters::Clusters;
use crate::kafka::KafkaError;
use crate::model::plan::{ClusterAcl, DesiredState, InternalTopic};
use crate::model::preflight::{acl_preflight, replication_shortfalls};
use crate::model::reconcile::{reconcile_topics, ClusterBinding};
use std::collections::BTreeSet;
use tfplugin::{Ctx, Diagnostic, Diagnostics, Object};

/// Plan-time checks against the clusters, so apply does not fail halfway: reachability,
/// authorizer, the provider's own rights, self-lockout, replication factor vs brokers,
/// conflicting internal topics, and pre-existing bindings (a warning).
pub(crate) async fn preflight<F: Flow>(
    ctx: &Ctx<'_, Clusters>,
    inputs: &F::Inputs,
    desired: &DesiredState,
    prior: Record,
    planned: &Object,
    diags: &mut Diagnostics,
) {
    let paths = cluster_paths::<F>(planned);
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
                // Ownership from state: `acls - preexisting_acls`.
                let owned = owned_keys(&recorded, diags);
                let guard = lockout_guard(ctx.provider, cluster);
                let recorded_preexisting: Vec<ClusterBinding> = keyed(recorded.preexisting, diags)
                    .into_iter()
                    .map(|(key, _)| key)
                    .collect();
                match acl_preflight(
                    &desired_acls,
                    &actual,
                    &owned,
                    &guard,
                    &recorded_preexisting,
                ) {
                    Err(lockout) => diags.push(Diagnostic::error(
                        "Refusing to lock the provider out",
                        lockout.to_string(),
                    )),
                    Ok(unrecorded) if unrecorded.is_empty() => {}
                    Ok(unrecorded) => {
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
