//! Apply of a whole flow: every cluster it touches (desired or recorded), each on its own
//! (one failing does not stop the others); failures become diagnostics naming cluster,
//! binding or topic and Kafka's error, and the returned [`Record`] lists only what exists,
//! so the next apply does the rest. Per cluster with claims ownership, the order is the one
//! `model::ownership` argues for: bindings read, claims read and written, creates and
//! deletes, re-verify, releases.

use super::acls::{apply_cluster_acls, read_cluster_acls, SharedOwnership};
use super::claims::{ClaimsSession, ClusterNeeds};
use super::read::{cancelled, connect_all, kafka_diagnostic};
use super::record::{owned_keys, Record};
use super::topics::{apply_cluster_topics, TopicDeletes};
use crate::clusters::Clusters;
use crate::kafka::KafkaAdmin;
use crate::model::acl::AclBinding;
use crate::model::ownership::Claimant;
use crate::model::plan::{ClusterAcl, InternalTopic};
use crate::model::reconcile::{comparable, ClusterBinding};
use foldhash::HashSet;
use std::collections::BTreeSet;
use tfplugin::{Ctx, Diagnostics};

/// The engine's view of one apply: what the flow wants and what the prior state records.
pub(crate) struct ApplyPlan<'a> {
    pub desired_acls: &'a [ClusterAcl],
    pub desired_topics: &'a [InternalTopic],
    pub prior: Record,
    pub delete_topics: bool,
    /// Who this resource is in the clusters' claims records.
    pub claimant: Claimant,
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
        let cluster_plan = ClusterPlan {
            cluster: &cluster,
            desired_acls: &desired_acls,
            desired_topics: &desired_topics,
            prior: &prior,
            delete_topics: plan.delete_topics,
            claimant: &plan.claimant,
        };
        record.merge(apply_cluster(ctx, &admin, cluster_plan, diags).await);
    }
    record
}

/// What one cluster's apply works from.
struct ClusterPlan<'a> {
    cluster: &'a str,
    desired_acls: &'a [ClusterAcl],
    desired_topics: &'a [InternalTopic],
    prior: &'a Record,
    delete_topics: bool,
    claimant: &'a Claimant,
}

/// One cluster: read the bindings, then (claims ownership) read the claims and write this
/// resource's before anything is created; the ACL and topic changes; then (claims
/// ownership) re-verify what was deleted and release what the resource no longer needs.
async fn apply_cluster(
    ctx: &Ctx<'_, Clusters>,
    admin: &KafkaAdmin,
    plan: ClusterPlan<'_>,
    diags: &mut Diagnostics,
) -> Record {
    let ClusterPlan { cluster, prior, .. } = plan;
    let (principals, expected, actual) =
        read_cluster_acls(ctx, admin, cluster, plan.desired_acls, prior).await;
    let actual = match actual {
        Ok(actual) => actual,
        Err(error) => {
            diags.push(kafka_diagnostic("Cannot read ACLs", &error));
            return prior.clone();
        }
    };
    // Ownership from state: `acls - preexisting_acls`.
    let state_owned = owned_keys(prior, diags);
    let session = match ctx.provider.claims_log(cluster) {
        None => None,
        Some(log) => {
            let actual_keys: HashSet<ClusterBinding> = actual
                .iter()
                .map(|(cluster, binding)| comparable(cluster, binding))
                .collect();
            let needs = ClusterNeeds {
                cluster,
                desired: plan.desired_acls,
                actual: &actual_keys,
                state_owned: &state_owned,
                desired_topics: plan.desired_topics.iter().map(|t| t.name.clone()).collect(),
                state_topics: prior.topics.iter().map(|t| t.name.clone()).collect(),
                delete_topics: plan.delete_topics,
                principals: &principals,
                expected_bindings: expected,
            };
            let me = plan.claimant.clone();
            match ClaimsSession::begin(ctx, log, admin, me, needs, diags).await {
                Some(session) => Some(session),
                // Without the claims written, nothing may be created or deleted here.
                None => return prior.clone(),
            }
        }
    };
    let owned = match &session {
        Some(session) => session.exclusive(),
        None => state_owned,
    };
    let is_preexisting = |binding: &AclBinding| {
        session
            .as_ref()
            .is_some_and(|session| session.is_preexisting(binding))
    };
    let shared = session.as_ref().map(|session| SharedOwnership {
        create_also: session.create_also(plan.desired_acls),
        is_preexisting: &is_preexisting,
    });
    let acls = apply_cluster_acls(
        ctx,
        admin,
        cluster,
        plan.desired_acls,
        prior,
        &actual,
        &owned,
        shared,
        diags,
    )
    .await;
    let deletes = match (&session, plan.delete_topics) {
        (_, false) => TopicDeletes::None,
        (None, true) => TopicDeletes::All,
        (Some(session), true) => TopicDeletes::Only(session.topics_to_delete()),
    };
    let create_also_topics = session
        .as_ref()
        .map(ClaimsSession::create_also_topics)
        .unwrap_or_default();
    let topics = apply_cluster_topics(
        ctx,
        admin,
        cluster,
        plan.desired_topics,
        &prior.topics,
        deletes,
        &create_also_topics,
        diags,
    )
    .await;
    if let Some(session) = session {
        session
            .finish(
                ctx,
                admin,
                &prior.topics,
                &acls.deleted,
                &acls.failed_deletes,
                &topics.deleted,
                &topics.failed_deletes,
                diags,
            )
            .await;
    }
    Record {
        topics: topics.rows,
        ..acls.record
    }
}
