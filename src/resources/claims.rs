//! The claims record's I/O for one resource on one cluster, in the order
//! `model::ownership` argues for: read the claims (after the bindings), write this
//! resource's claims and the confirmed pre-existing markers before anything is created,
//! and after the deletes re-read the claims, re-create what gained a claim, then release.
//! The plan-time side checks the provider's rights on the claims topic and warns about
//! bindings and topics that leave the resource but stay for other claimants.

use foldhash::HashSet;
use std::collections::BTreeSet;
use std::sync::Arc;

use std::time::{Duration, Instant};

use super::read::{kafka_diagnostic, read_acls};
use super::rows::TopicRow;
use super::settle::{read_bound, read_until, wait_again};
use crate::clusters::Clusters;
use crate::kafka::claims::{ClaimsLog, LogPositions, LogRead, LogRecord};
use crate::kafka::{KafkaAdmin, KafkaError, NewTopic};
use crate::model::acl::AclBinding;
use crate::model::ownership::{
    claims_to_write, confirm_markers, orphans_after_release, plan_ownership,
    recreate_after_reverify, releases_after, ClaimRecord, Claimant, Claimed, Claims, ClaimsScope,
    KeptForOthers, OwnershipInput, OwnershipPlan,
};
use crate::model::plan::ClusterAcl;
use crate::model::reconcile::{comparable_binding, ClusterBinding};
use crate::model::timing::{claims_read_next, ClaimsReadNext, ClaimsTopicShown};
use tfplugin::{Ctx, Diagnostic, Diagnostics};

/// The claimant a resource's records name: its stable id and `<type> <id>` to read.
pub fn claimant(type_name: &str, resource_id: &str, claimant_id: &str) -> Claimant {
    Claimant {
        id: claimant_id.to_string(),
        name: format!("{type_name} {resource_id}"),
    }
}

/// Why the claims of a cluster could not be read.
#[derive(Debug)]
pub(super) enum ClaimsUnread {
    Kafka(KafkaError),
    /// The topic exists (the controller says so, or this resource recorded claims there)
    /// but the nodes asked did not list it, or its leader, within the cluster's timeout.
    NotShown {
        waited: Duration,
    },
}

impl std::fmt::Display for ClaimsUnread {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ClaimsUnread::Kafka(error) => error.fmt(f),
            ClaimsUnread::NotShown { waited } => write!(
                f,
                "the topic exists, but the brokers asked did not show it or its leader within \
                 {waited:?} (their metadata trails the controller); empty claims would let \
                 this resource delete what others still claim"
            ),
        }
    }
}

/// The claims of one cluster as of a read, and where that read ended: the next read of
/// the same log folds only what was appended since.
#[derive(Debug, Default)]
pub(super) struct ClaimsView {
    claims: Claims,
    next: LogPositions,
}

impl ClaimsView {
    /// Nothing read yet; the reads keep the claims of what `me` needs (`desired`, in
    /// compared form), records and claims here (the only objects its decisions ask about, see
    /// `ClaimsScope`).
    fn of(me: &str, desired: &[AclBinding], needs: &ClusterNeeds<'_>) -> ClaimsView {
        let bindings = desired
            .iter()
            .chain(needs.state_owned.iter().map(|(_, binding)| binding))
            .cloned()
            .map(Claimed::Binding);
        let topics = needs
            .desired_topics
            .iter()
            .chain(&needs.state_topics)
            .map(|name| Claimed::Topic(name.clone()));
        let objects: Vec<Claimed> = bindings.chain(topics).collect();
        ClaimsView {
            claims: Claims::scoped(ClaimsScope::new(me, &objects)),
            next: LogPositions::new(),
        }
    }
}

/// Reads the claims of one cluster on from `view` (`ClaimsView::of`: the whole
/// compacted topic). A topic the node asked does not list is read again, within the
/// cluster's timeout, unless the controller says it does not exist
/// (`model::timing::claims_read_next`); `state_claims_here`: this resource's state records
/// what it would have claimed on this cluster. One validate-only CreateTopics at most per
/// call; the reads repeat with time, never with the number of claims.
async fn read_claims(
    ctx: &Ctx<'_, Clusters>,
    log: &ClaimsLog,
    admin: &KafkaAdmin,
    cluster: &str,
    state_claims_here: bool,
    view: ClaimsView,
) -> Result<ClaimsView, ClaimsUnread> {
    let bound = read_bound(ctx, cluster);
    let started = Instant::now();
    let mut at_controller = None;
    let mut attempt = 0;
    loop {
        let read = log
            .read(admin, &view.next)
            .await
            .map_err(ClaimsUnread::Kafka)?;
        let shown = match &read {
            LogRead::Records(_) => ClaimsTopicShown::Listed,
            LogRead::Unlisted => ClaimsTopicShown::Unlisted,
            LogRead::LeaderUnknown => ClaimsTopicShown::LeaderUnknown,
        };
        let mut next = claims_read_next(shown, at_controller, state_claims_here);
        if next == ClaimsReadNext::AskController {
            let answer = log
                .exists_at_controller(admin)
                .await
                .map_err(ClaimsUnread::Kafka)?;
            at_controller = Some(answer);
            next = claims_read_next(shown, at_controller, state_claims_here);
        }
        match (next, read) {
            (ClaimsReadNext::Use, LogRead::Records(slice)) => {
                let folded = if slice.from_start {
                    view.claims.emptied()
                } else {
                    view.claims
                };
                let claims = folded.extended(
                    slice
                        .records
                        .iter()
                        .map(|(key, value)| (key.as_slice(), value.as_deref())),
                );
                return Ok(ClaimsView {
                    claims,
                    next: slice.next,
                });
            }
            (ClaimsReadNext::Empty, _) => {
                return Ok(ClaimsView {
                    claims: view.claims.emptied(),
                    next: LogPositions::new(),
                })
            }
            _ => {
                if !wait_again(ctx, started, attempt, bound).await {
                    return Err(ClaimsUnread::NotShown {
                        waited: started.elapsed(),
                    });
                }
                attempt += 1;
            }
        }
    }
}

fn log_records(records: Vec<ClaimRecord>) -> Vec<LogRecord> {
    records
        .into_iter()
        .map(|record| (record.key, record.value))
        .collect()
}

fn claims_error(
    summary: &str,
    cluster: &str,
    log: &ClaimsLog,
    error: &dyn std::fmt::Display,
) -> Diagnostic {
    Diagnostic::error(
        summary,
        format!(
            "cluster {cluster:?}, claims topic {:?}: {error}. Nothing was created or deleted on \
             this cluster (run apply again once the claims topic is reachable)",
            log.topic()
        ),
    )
}

/// What one resource needs and records on one cluster (bindings in compared form).
pub(super) struct ClusterNeeds<'a> {
    pub cluster: &'a str,
    pub desired: &'a [ClusterAcl],
    pub actual: &'a HashSet<ClusterBinding>,
    pub state_owned: &'a HashSet<ClusterBinding>,
    pub desired_topics: BTreeSet<String>,
    pub state_topics: BTreeSet<String>,
    pub delete_topics: bool,
    /// The principals and expected size of the bindings read (for the markers' re-read).
    pub principals: &'a [String],
    pub expected_bindings: Option<usize>,
}

impl ClusterNeeds<'_> {
    /// The desired bindings in compared form.
    fn comparable_desired(&self) -> Vec<AclBinding> {
        self.desired
            .iter()
            .map(|acl| comparable_binding(acl.binding.clone()))
            .collect()
    }

    /// Whether the state records bindings or topics this resource would have claimed here.
    fn state_claims_here(&self) -> bool {
        !self.state_owned.is_empty() || !self.state_topics.is_empty()
    }
}

fn bindings_only(keys: &HashSet<ClusterBinding>) -> HashSet<AclBinding> {
    keys.iter().map(|(_, binding)| binding.clone()).collect()
}

/// One apply's claims on one cluster, between writing the claims and releasing.
pub(super) struct ClaimsSession {
    log: Arc<ClaimsLog>,
    me: Claimant,
    cluster: String,
    plan: OwnershipPlan,
    /// The claims as the first read found them; later reads go on from there.
    view: ClaimsView,
}

impl ClaimsSession {
    /// Steps 1-2 of the protocol: reads the claims, decides, confirms the pre-existing
    /// markers and writes the claims (acks=all). `None` after a diagnostic: nothing may be
    /// created or deleted on this cluster then.
    pub(super) async fn begin(
        ctx: &Ctx<'_, Clusters>,
        log: Arc<ClaimsLog>,
        admin: &KafkaAdmin,
        me: Claimant,
        needs: ClusterNeeds<'_>,
        diags: &mut Diagnostics,
    ) -> Option<ClaimsSession> {
        let cluster = needs.cluster;
        let state_claims_here = needs.state_claims_here();
        let desired = needs.comparable_desired();
        let view = match read_claims(
            ctx,
            &log,
            admin,
            cluster,
            state_claims_here,
            ClaimsView::of(&me.id, &desired, &needs),
        )
        .await
        {
            Ok(view) => view,
            Err(error) => {
                diags.push(claims_error(
                    "Cannot read the claims record",
                    cluster,
                    &log,
                    &error,
                ));
                return None;
            }
        };
        let actual = bindings_only(needs.actual);
        let state_owned = bindings_only(needs.state_owned);
        let input = OwnershipInput {
            me: &me,
            desired: &desired,
            actual: &actual,
            state_owned: &state_owned,
            desired_topics: &needs.desired_topics,
            state_topics: &needs.state_topics,
            delete_topics: needs.delete_topics,
            claims: &view.claims,
        };
        let mut plan = plan_ownership(input);
        let mut records = claims_to_write(input);
        if !plan.marker_candidates.is_empty() {
            // The candidates were held a moment ago: a node that trails the one read first
            // may not show them yet, so the re-read repeats (bounded) until it shows them all.
            // One deleted meanwhile is not shown by the last read and gets no marker.
            let candidates: HashSet<AclBinding> = plan.marker_candidates.iter().cloned().collect();
            let comparable = |held: &HashSet<ClusterBinding>| -> HashSet<AclBinding> {
                held.iter()
                    .map(|(_, binding)| comparable_binding(binding.clone()))
                    .collect()
            };
            let again = read_until(
                ctx,
                read_bound(ctx, cluster),
                || read_acls(admin, cluster, needs.principals, needs.expected_bindings),
                |held| candidates.is_subset(&comparable(held)),
            );
            match again.await {
                Ok(again) => {
                    records.extend(confirm_markers(&mut plan, &comparable(&again)));
                }
                Err(error) => {
                    diags.push(kafka_diagnostic("Cannot read ACLs", &error));
                    return None;
                }
            }
        }
        if !records.is_empty() {
            let written = match log.ensure(admin).await {
                Ok(()) => log.append(log_records(records)).await,
                Err(error) => Err(error),
            };
            if let Err(error) = written {
                diags.push(claims_error(
                    "Cannot write the claims record",
                    cluster,
                    &log,
                    &error,
                ));
                return None;
            }
        }
        Some(ClaimsSession {
            log,
            me,
            cluster: cluster.to_string(),
            plan,
            view,
        })
    }

    /// What reconcile may delete: no longer needed and claimed by no one else.
    pub(super) fn exclusive(&self) -> HashSet<ClusterBinding> {
        self.plan
            .exclusive
            .iter()
            .map(|binding| (self.cluster.clone(), binding.clone()))
            .collect()
    }

    /// The desired bindings to create although they exist (newly claimed here).
    pub(super) fn create_also<'a>(&self, desired: &'a [ClusterAcl]) -> Vec<&'a ClusterAcl> {
        let again: HashSet<&AclBinding> = self.plan.create_also.iter().collect();
        desired
            .iter()
            .filter(|acl| again.contains(&comparable_binding(acl.binding.clone())))
            .collect()
    }

    /// The desired topics to create although a read lists them (newly claimed here).
    pub(super) fn create_also_topics(&self) -> HashSet<&str> {
        self.plan
            .create_also_topics
            .iter()
            .map(String::as_str)
            .collect()
    }

    /// Desired bindings that existed before any claim (recorded in `preexisting_acls`).
    pub(super) fn is_preexisting(&self, binding: &AclBinding) -> bool {
        self.plan
            .preexisting
            .contains(&comparable_binding(binding.clone()))
    }

    /// The topics a destroy with `delete_topics` may delete (no other claimant).
    pub(super) fn topics_to_delete(&self) -> HashSet<&str> {
        self.plan
            .topics_to_delete
            .iter()
            .map(String::as_str)
            .collect()
    }

    /// Steps 5-6: after deletes, re-reads the claims and re-creates every deleted binding
    /// or topic that gained a claim meanwhile, then writes the releases (a failed delete
    /// keeps its claim). `deleted_acls` name bindings as the cluster held them. Returns
    /// whether every release was written.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn finish(
        mut self,
        ctx: &Ctx<'_, Clusters>,
        admin: &KafkaAdmin,
        recorded_topics: &BTreeSet<TopicRow>,
        deleted_acls: &[AclBinding],
        failed_acl_deletes: &[AclBinding],
        deleted_topics: &[TopicRow],
        failed_topic_deletes: &[String],
        diags: &mut Diagnostics,
    ) -> bool {
        let mut view = std::mem::take(&mut self.view);
        let cluster = self.cluster.as_str();
        if !deleted_acls.is_empty() || !deleted_topics.is_empty() {
            let deleted: Vec<Claimed> = deleted_acls
                .iter()
                .map(|binding| Claimed::Binding(comparable_binding(binding.clone())))
                .chain(
                    deleted_topics
                        .iter()
                        .map(|row| Claimed::Topic(row.name.clone())),
                )
                .collect();
            match read_claims(ctx, &self.log, admin, cluster, true, view).await {
                Ok(reread) => {
                    let again: HashSet<Claimed> =
                        recreate_after_reverify(&self.plan, &deleted, &reread.claims, &self.me.id)
                            .into_iter()
                            .collect();
                    recreate(admin, cluster, deleted_acls, deleted_topics, &again, diags).await;
                    view = reread;
                }
                Err(error) => {
                    diags.push(claims_error(
                        "Cannot re-read the claims record after deleting",
                        cluster,
                        &self.log,
                        &error,
                    ));
                    return false;
                }
            }
        }
        let failed: HashSet<Claimed> = failed_acl_deletes
            .iter()
            .map(|binding| Claimed::Binding(comparable_binding(binding.clone())))
            .chain(
                failed_topic_deletes
                    .iter()
                    .map(|name| Claimed::Topic(name.clone())),
            )
            .collect();
        let releases = releases_after(&self.plan, &failed, &self.me.id);
        let released = self.log.append(log_records(releases)).await;
        if released.is_ok() && !self.plan.kept_for_others.is_empty() {
            self.collect_orphans(ctx, admin, recorded_topics, view, diags)
                .await;
        }
        if let Err(error) = released {
            diags.push(Diagnostic::error(
                "Cannot release claims",
                format!(
                    "cluster {cluster:?}, claims topic {:?}: {error}. The claims stay, so the \
                     bindings and topics they name are kept; run apply again to release them",
                    self.log.topic()
                ),
            ));
            return false;
        }
        true
    }
}

impl ClaimsSession {
    /// Step 7, after the releases: deletes what this resource kept for other claimants and
    /// no claim names any more ([`orphans_after_release`]: bindings, and recorded topics a
    /// destroy deletes), then re-verifies as in step 5, so a claimant that appeared
    /// meanwhile gets them back. `recorded_topics` are the state's rows (what a deleted
    /// topic is re-created with); `view`: the claims as this apply last read them.
    async fn collect_orphans(
        &self,
        ctx: &Ctx<'_, Clusters>,
        admin: &KafkaAdmin,
        recorded_topics: &BTreeSet<TopicRow>,
        view: ClaimsView,
        diags: &mut Diagnostics,
    ) {
        let cluster = self.cluster.as_str();
        let view = match read_claims(ctx, &self.log, admin, cluster, true, view).await {
            Ok(view) => view,
            Err(error) => {
                diags.push(orphans_unread(cluster, &self.log, &error));
                return;
            }
        };
        let recorded: BTreeSet<String> =
            recorded_topics.iter().map(|row| row.name.clone()).collect();
        let orphans = orphans_after_release(&self.plan, &view.claims, &recorded);
        if orphans.is_empty() {
            return;
        }
        let bindings: Vec<AclBinding> = orphans
            .iter()
            .filter_map(|object| match object {
                Claimed::Binding(binding) => Some(binding.clone()),
                Claimed::Topic(_) => None,
            })
            .collect();
        let mut deleted_acls: Vec<AclBinding> = Vec::new();
        if !bindings.is_empty() {
            let filters: Vec<crate::kafka::AclFilter> = bindings
                .iter()
                .map(crate::kafka::AclFilter::exact)
                .collect();
            match admin.delete_acls(&filters).await {
                Ok(results) => deleted_acls.extend(
                    bindings
                        .iter()
                        .zip(results)
                        .filter(|(_, result)| result.is_ok())
                        .map(|(binding, _)| binding.clone()),
                ),
                Err(error) => diags.push(kafka_diagnostic("Cannot delete ACLs", &error)),
            }
        }
        let topic_rows: Vec<&TopicRow> = recorded_topics
            .iter()
            .filter(|row| orphans.contains(&Claimed::Topic(row.name.clone())))
            .collect();
        let mut deleted_topics: Vec<TopicRow> = Vec::new();
        if !topic_rows.is_empty() {
            let names: Vec<String> = topic_rows.iter().map(|row| row.name.clone()).collect();
            match admin.delete_topics(&names).await {
                Ok(outcomes) => {
                    for (name, outcome) in outcomes {
                        match outcome {
                            Ok(()) => deleted_topics.extend(
                                topic_rows
                                    .iter()
                                    .filter(|row| row.name == name)
                                    .map(|row| (*row).clone()),
                            ),
                            // Gone already: someone else collected it.
                            Err(error) if error.name == "UNKNOWN_TOPIC_OR_PARTITION" => {}
                            Err(error) => diags.push(Diagnostic::error(
                                "Cannot delete an internal topic no claimant needs any more",
                                format!("cluster {cluster:?}: topic {name:?}: {error}"),
                            )),
                        }
                    }
                }
                Err(error) => diags.push(kafka_diagnostic("Cannot delete internal topics", &error)),
            }
        }
        if deleted_acls.is_empty() && deleted_topics.is_empty() {
            return;
        }
        let reread = match read_claims(ctx, &self.log, admin, cluster, true, view).await {
            Ok(reread) => reread,
            Err(error) => {
                diags.push(claims_error(
                    "Cannot re-read the claims record after deleting",
                    cluster,
                    &self.log,
                    &error,
                ));
                return;
            }
        };
        let objects: Vec<Claimed> = deleted_acls
            .iter()
            .cloned()
            .map(Claimed::Binding)
            .chain(
                deleted_topics
                    .iter()
                    .map(|row| Claimed::Topic(row.name.clone())),
            )
            .collect();
        let again: HashSet<Claimed> =
            recreate_after_reverify(&self.plan, &objects, &reread.claims, "")
                .into_iter()
                .collect();
        recreate(
            admin,
            cluster,
            &deleted_acls,
            &deleted_topics,
            &again,
            diags,
        )
        .await;
    }
}

/// The warning when the claims cannot be read after the releases: this resource is done,
/// but what its last sibling released at the same moment may stay unclaimed.
fn orphans_unread(cluster: &str, log: &ClaimsLog, error: &ClaimsUnread) -> Diagnostic {
    Diagnostic::warning(
        "Cannot read the claims record after releasing",
        format!(
            "cluster {cluster:?}, claims topic {:?}: {error}. This resource's claims are \
             released; a binding or topic another claimant released at the same moment may stay \
             on the cluster with no claim (the next resource to need it claims it as \
             pre-existing)",
            log.topic()
        ),
    )
}

/// Creates again the deleted bindings and topics in `again` (a sibling claimed them while
/// this apply deleted them).
async fn recreate(
    admin: &KafkaAdmin,
    cluster: &str,
    deleted_acls: &[AclBinding],
    deleted_topics: &[TopicRow],
    again: &HashSet<Claimed>,
    diags: &mut Diagnostics,
) {
    let bindings: Vec<AclBinding> = deleted_acls
        .iter()
        .filter(|binding| again.contains(&Claimed::Binding(comparable_binding((*binding).clone()))))
        .cloned()
        .collect();
    if !bindings.is_empty() {
        match admin.create_acls(&bindings).await {
            Ok(results) => {
                for (binding, result) in bindings.iter().zip(results) {
                    if let Err(error) = result {
                        diags.push(Diagnostic::error(
                            "Cannot re-create a binding another resource claimed meanwhile",
                            format!(
                                "cluster {cluster:?}: {binding}: Kafka refused it with {error}"
                            ),
                        ));
                    }
                }
            }
            Err(error) => diags.push(kafka_diagnostic(
                "Cannot re-create bindings another resource claimed meanwhile",
                &error,
            )),
        }
    }
    let topics: Vec<NewTopic> = deleted_topics
        .iter()
        .filter(|row| again.contains(&Claimed::Topic(row.name.clone())))
        .map(|row| NewTopic {
            name: row.name.clone(),
            partitions: u32::try_from(row.partitions).ok(),
            replication_factor: u32::try_from(row.replication_factor).ok(),
            configs: row.configs.clone(),
        })
        .collect();
    if !topics.is_empty() {
        match admin.create_topics(&topics, false).await {
            Ok(outcomes) => {
                for (name, outcome) in outcomes {
                    match outcome {
                        Ok(()) => {}
                        Err(error) if error.name == "TOPIC_ALREADY_EXISTS" => {}
                        Err(error) => diags.push(Diagnostic::error(
                            "Cannot re-create a topic another resource claimed meanwhile",
                            format!("cluster {cluster:?}: topic {name:?}: {error}"),
                        )),
                    }
                }
            }
            Err(error) => diags.push(kafka_diagnostic(
                "Cannot re-create topics another resource claimed meanwhile",
                &error,
            )),
        }
    }
}

/// The plan warning for objects leaving this resource that stay for other claimants.
pub(super) fn kept_warning(cluster: &str, kept: &[KeptForOthers]) -> Option<Diagnostic> {
    if kept.is_empty() {
        return None;
    }
    let mut claimants: BTreeSet<&str> = BTreeSet::new();
    let lines: Vec<String> = kept
        .iter()
        .map(|entry| {
            claimants.extend(entry.claimants.iter().map(String::as_str));
            format!(
                "  {} (claimed by {})",
                entry.object,
                entry.claimants.join(", ")
            )
        })
        .collect();
    Some(Diagnostic::warning(
        format!(
            "{} binding(s) or topic(s) leave this resource but stay on cluster {cluster:?}: still \
             claimed by {}",
            kept.len(),
            claimants.into_iter().collect::<Vec<_>>().join(", ")
        ),
        format!(
            "this resource releases its claim; the cluster keeps them because other claimants \
             in its claims record still need them:\n{}",
            lines.join("\n")
        ),
    ))
}

/// Plan-time check of the claims record on one cluster: the provider's rights on the
/// claims topic (an error naming cluster, topic and the missing operations), then the
/// "still claimed by" warning for what leaves the resource. `me` is `None` for a resource
/// not created yet (it holds no claims). Returns the ownership decisions apply would start
/// from, or `None` after an error diagnostic.
pub(super) async fn preflight_claims(
    ctx: &Ctx<'_, Clusters>,
    log: &ClaimsLog,
    admin: &KafkaAdmin,
    me: Option<&Claimant>,
    needs: ClusterNeeds<'_>,
    diags: &mut Diagnostics,
) -> Option<OwnershipPlan> {
    let cluster = needs.cluster;
    match log.missing_rights(admin).await {
        Ok(missing) if missing.is_empty() => {}
        Ok(missing) => {
            let names: Vec<&str> = missing.iter().map(|op| op.as_str()).collect();
            diags.push(Diagnostic::error(
                "The provider's principal lacks rights on the claims topic",
                format!(
                    "cluster {cluster:?}: the provider's principal may not {} on topic {:?}, the \
                     claims record that shares ownership of bindings and topics between \
                     resources and states. Grant it CREATE, READ, WRITE and DESCRIBE on that \
                     topic (or set ownership = \"state\" in the cluster block, see the docs)",
                    names.join(", "),
                    log.topic()
                ),
            ));
            return None;
        }
        Err(error) => {
            diags.push(claims_error(
                "Cannot check the claims topic",
                cluster,
                log,
                &error,
            ));
            return None;
        }
    }
    let desired = needs.comparable_desired();
    let read = read_claims(
        ctx,
        log,
        admin,
        cluster,
        needs.state_claims_here(),
        ClaimsView::of(me.map_or("", |me| me.id.as_str()), &desired, &needs),
    );
    let claims = match read.await {
        Ok(view) => view.claims,
        Err(error) => {
            diags.push(claims_error(
                "Cannot read the claims record",
                cluster,
                log,
                &error,
            ));
            return None;
        }
    };
    // A resource not created yet claims nothing: no record names an empty id.
    let unborn = Claimant {
        id: String::new(),
        name: String::new(),
    };
    let plan = plan_ownership(OwnershipInput {
        me: me.unwrap_or(&unborn),
        desired: &desired,
        actual: &bindings_only(needs.actual),
        state_owned: &bindings_only(needs.state_owned),
        desired_topics: &needs.desired_topics,
        state_topics: &needs.state_topics,
        delete_topics: needs.delete_topics,
        claims: &claims,
    });
    if let Some(warning) = kept_warning(cluster, &plan.kept_for_others) {
        diags.push(warning);
    }
    Some(plan)
}

/// The "still claimed by" warning for destroying a resource on one cluster; `None` when
/// nothing stays for others or the claims cannot be read now (apply reports that).
pub(super) async fn destroy_warning(
    ctx: &Ctx<'_, Clusters>,
    log: &ClaimsLog,
    admin: &KafkaAdmin,
    me: &Claimant,
    needs: ClusterNeeds<'_>,
) -> Option<Diagnostic> {
    let claims = read_claims(
        ctx,
        log,
        admin,
        needs.cluster,
        needs.state_claims_here(),
        ClaimsView::of(&me.id, &[], &needs),
    )
    .await
    .ok()?
    .claims;
    let plan = plan_ownership(OwnershipInput {
        me,
        desired: &[],
        actual: &bindings_only(needs.actual),
        state_owned: &bindings_only(needs.state_owned),
        desired_topics: &needs.desired_topics,
        state_topics: &needs.state_topics,
        delete_topics: needs.delete_topics,
        claims: &claims,
    });
    kept_warning(needs.cluster, &plan.kept_for_others)
}
