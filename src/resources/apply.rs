//! Apply of a whole flow: every cluster it touches (desired or recorded), each on its own
//! (one failing does not stop the others); failures become diagnostics naming cluster,
//! binding or topic and Kafka's error, and the returned [`Record`] lists only what exists,
//! so the next apply does the rest.

use super::acls::apply_cluster_acls;
use super::read::{cancelled, connect_all};
use super::record::{owned_keys, Record};
use super::topics::apply_cluster_topics;
use crate::clusters::Clusters;
use crate::model::plan::{ClusterAcl, InternalTopic};
use std::collections::BTreeSet;
use tfplugin::{Ctx, Diagnostics};

/// The engine's view of one apply: what the flow wants and what the prior state records.
pub(crate) struct ApplyPlan<'a> {
    pub desired_acls: &'a [ClusterAcl],
    pub desired_topics: &'a [InternalTopic],
    pub prior: Record,
    pub delete_topics: bool,
}

/// Reconciles every cluster the flow touches (desired or recorded); returns the truthful
/// new record. Clusters are independent: one failing does not stop the others.
pub(crate) async fn apply_flow(
    ctx: &Ctx<'_, Clusters>,
    plan: ApplyPlan<'_>,
    diags: &mut Diagnostics,
) -> Record {
    let mut prior_by_cluster = plan.prior.into_clusters();
    let clusters: BTreeSet<String> = plan
        .desired_acls
        .iter()
        .map(|acl| acl.cluster.clone())
        .chain(plan.desired_topics.iter().map(|t| t.cluster.clone()))
        .chain(prior_by_cluster.keys().cloned())
        .collect();
    let mut record = Record::default();
    for (cluster, connection) in connect_all(ctx, clusters).await {
        let prior = prior_by_cluster.remove(&cluster).unwrap_or_default();
        if ctx.cancel.is_cancelled() {
            diags.push(cancelled(&cluster));
            record.merge(prior);
            continue;
        }
        let admin = match connection {
            Ok(admin) => admin,
            Err(diagnostic) => {
                diags.push(diagnostic);
                record.merge(prior);
                continue;
            }
        };
        let desired_acls: Vec<ClusterAcl> = plan
            .desired_acls
            .iter()
            .filter(|acl| acl.cluster == cluster)
            .cloned()
            .collect();
        let desired_topics: Vec<InternalTopic> = plan
            .desired_topics
            .iter()
            .filter(|topic| topic.cluster == cluster)
            .cloned()
            .collect();
        // Ownership from state: `acls - preexisting_acls`.
        let owned = owned_keys(&prior, diags);
        let mut cluster_record =
            apply_cluster_acls(ctx, &admin, &cluster, &desired_acls, &prior, &owned, diags).await;
        cluster_record.topics = apply_cluster_topics(
            ctx,
            &admin,
            &cluster,
            &desired_topics,
            &prior.topics,
            plan.delete_topics,
            diags,
        )
        .await;
        record.merge(cluster_record);
    }
    record
}
