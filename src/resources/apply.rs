//! Talking to the clusters for both resources: apply (per cluster: read the managed
//! principals' bindings, reconcile with ownership and the self-lockout guard, one CreateAcls
//! and one DeleteAcls batch split above [`ACL_BATCH_LIMIT`], then internal topics), refresh,
//! and the plan-time preflight. Failures become diagnostics naming cluster, binding or topic
//! and Kafka's error; the returned [`Record`] lists only what exists, so the next apply does
//! the rest.

use super::claims::{preflight_claims, ClaimsSession, ClusterNeeds};
use super::engine::{cluster_paths, Flow, ACLS, INTERNAL_TOPICS, PREEXISTING_ACLS};
use super::rows::{keyed_rows, AclRow, TopicRow};
use crate::kafka::{
    AclFilter, ConfigChange, KafkaAdmin, KafkaError, NewTopic, TopicConfigAlteration, TopicLookup,
};
use crate::model::acl::AclBinding;
use crate::model::ownership::{adoptable, Claimant};
use crate::model::plan::{ClusterAcl, DesiredState, InternalTopic};
use crate::model::reconcile::{
    comparable, comparable_binding, into_comparable, reconcile_acls, reconcile_topics,
    ClusterBinding, ExistingTopic,
};
use crate::provider::ProviderState;
use crate::tfplugin::{Attr, Ctx, Diagnostic, Diagnostics, Object, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;

/// Most bindings (or filters) per CreateAcls / DeleteAcls request. A binding takes well under
/// 600 bytes on the wire even with a 249-character name, so a full batch stays under 3 MB,
/// far below Kafka's default `socket.request.max.bytes` (100 MiB); flows above the limit are
/// split into several requests.
pub const ACL_BATCH_LIMIT: usize = 5_000;

/// What a resource's state records beyond its inputs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Record {
    pub acls: BTreeSet<AclRow>,
    pub preexisting: BTreeSet<AclRow>,
    pub topics: BTreeSet<TopicRow>,
}

impl Record {
    /// Moves the rows out of a state or plan object (leaving those attributes null).
    pub(super) fn take(object: &mut Object, diags: &mut Diagnostics) -> Option<Record> {
        // Rows only: their keys are derived from them (`AclRow::key`, `TopicRow::key`).
        let mut rows = |attr: &Attr<BTreeMap<String, AclRow>>, diags: &mut Diagnostics| {
            diags
                .take(attr.take_known_values(object))
                .map(|rows| rows.unwrap_or_default().into_iter().collect())
        };
        let acls = rows(&ACLS, diags)?;
        let preexisting = rows(&PREEXISTING_ACLS, diags)?;
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
    pub(super) fn write<F: Flow>(self, object: &mut Object) {
        ACLS.put(object, &keyed_rows(self.acls, AclRow::key));
        PREEXISTING_ACLS.put(object, &keyed_rows(self.preexisting, AclRow::key));
        if F::HAS_TOPICS {
            INTERNAL_TOPICS.put(object, &keyed_rows(self.topics, TopicRow::key));
        }
    }

    /// The rows split by cluster, moved rather than copied.
    fn into_clusters(self) -> BTreeMap<String, Record> {
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

    fn merge(&mut self, mut other: Record) {
        self.acls.append(&mut other.acls);
        self.preexisting.append(&mut other.preexisting);
        self.topics.append(&mut other.topics);
    }
}

/// The row attributes of a state as they came (still encoded: cloning them is cheap), to
/// answer with when the rows do not change instead of encoding them again.
pub(super) struct RecordedRows(Object);

impl RecordedRows {
    pub(super) fn of(object: &Object) -> Self {
        let names = [ACLS.name, PREEXISTING_ACLS.name, INTERNAL_TOPICS.name];
        RecordedRows(
            names
                .into_iter()
                .filter_map(|name| Some((name.to_string(), object.get(name)?.clone())))
                .collect(),
        )
    }

    pub(super) fn restore(self, object: &mut Object) {
        object.extend(self.0);
    }

    /// The encoded length of one attribute as it came (0 when absent or not encoded).
    pub(super) fn encoded_len(&self, name: &str) -> usize {
        match self.0.get(name) {
            Some(Value::Encoded(bytes)) => bytes.len(),
            _ => 0,
        }
    }

    /// Whether `planned` holds the same `acls` (and `internal_topics`) bytes: rows are
    /// written as Terraform writes them, so equal rows usually are equal bytes.
    pub(super) fn encodes_same<F: Flow>(&self, planned: &Object) -> bool {
        let same = |name: &str| {
            matches!(
                (self.0.get(name), planned.get(name)),
                (Some(recorded @ Value::Encoded(_)), Some(planned)) if recorded == planned
            )
        };
        same(ACLS.name) && (!F::HAS_TOPICS || same(INTERNAL_TOPICS.name))
    }
}

/// Sorted rows grouped by cluster: each group is collected in order, so its set is built in
/// one pass instead of by one insertion (and search) per row.
fn group_by_cluster<R: Ord>(
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
fn row_key(row: &AclRow, diags: &mut Diagnostics) -> Option<ClusterBinding> {
    diags
        .take(row.cluster_binding(&ACLS.path()))
        .map(into_comparable)
}

/// Rows as `(comparable key, row)`; rows that do not parse are reported once.
fn keyed(
    rows: impl IntoIterator<Item = AclRow>,
    diags: &mut Diagnostics,
) -> Vec<(ClusterBinding, AclRow)> {
    rows.into_iter()
        .filter_map(|row| Some((row_key(&row, diags)?, row)))
        .collect()
}

/// What the record owns: `acls - preexisting_acls`, as comparable keys.
fn owned_keys(record: &Record, diags: &mut Diagnostics) -> HashSet<ClusterBinding> {
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

/// The provider's own principal on `cluster`, when known, for the self-lockout guard.
fn lockout_guard(provider: &ProviderState, cluster: &str) -> HashMap<String, String> {
    provider
        .provider_principal(cluster)
        .map(|principal| HashMap::from([(cluster.to_string(), principal)]))
        .unwrap_or_default()
}

fn principals_of<'a>(rows: impl Iterator<Item = &'a AclRow>) -> Vec<String> {
    rows.map(|row| row.principal.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// What one cluster holds for the given principals, as comparable keys plus the bindings
/// exactly as the cluster holds them (for reconcile's delete filters). `expected_bindings`
/// (planned plus recorded; `None` when unknown) lets the admin layer read small answers in
/// one request per principal.
pub(super) async fn read_acls(
    admin: &KafkaAdmin,
    cluster: &str,
    principals: &[String],
    expected_bindings: Option<usize>,
) -> Result<HashSet<ClusterBinding>, KafkaError> {
    let held = read_bindings(admin, principals, expected_bindings).await?;
    Ok(held
        .into_iter()
        .map(|binding| (cluster.to_string(), binding))
        .collect())
}

/// [`read_acls`] as a list of bindings exactly as the cluster holds them.
async fn read_bindings(
    admin: &KafkaAdmin,
    principals: &[String],
    expected_bindings: Option<usize>,
) -> Result<Vec<AclBinding>, KafkaError> {
    if principals.is_empty() {
        return Ok(Vec::new());
    }
    let held = admin
        .describe_acls_of_principals(principals, expected_bindings)
        .await?;
    Ok(held.into_values().flatten().collect())
}

/// The named topics that exist on one cluster, with the configs the provider manages.
async fn read_topics(
    admin: &KafkaAdmin,
    cluster: &str,
    names: &[String],
    managed_keys: &BTreeSet<String>,
) -> Result<HashMap<(String, String), ExistingTopic>, KafkaError> {
    if names.is_empty() {
        return Ok(HashMap::new());
    }
    let existing: Vec<_> = admin
        .describe_topics(names)
        .await?
        .into_iter()
        .filter_map(|lookup| match lookup {
            TopicLookup::Exists(description) => Some(description),
            TopicLookup::Missing { .. } => None,
        })
        .collect();
    let existing_names: Vec<String> = existing.iter().map(|t| t.name.clone()).collect();
    let mut configs: HashMap<String, BTreeMap<String, String>> = HashMap::new();
    for (name, outcome) in admin.describe_topic_configs(&existing_names).await? {
        if let Ok(described) = outcome {
            configs.insert(
                name,
                described
                    .entries
                    .into_iter()
                    .filter(|(key, _)| managed_keys.contains(key))
                    .filter_map(|(key, entry)| entry.value.map(|value| (key, value)))
                    .collect(),
            );
        }
    }
    Ok(existing
        .into_iter()
        .map(|topic| {
            let existing = ExistingTopic {
                partitions: i32::try_from(topic.partitions).unwrap_or(i32::MAX),
                replication_factor: i16::try_from(topic.replication_factor).unwrap_or(i16::MAX),
                configs: configs.remove(&topic.name).unwrap_or_default(),
            };
            ((cluster.to_string(), topic.name), existing)
        })
        .collect())
}

/// The state row of an existing topic: actual sizes, actual values of the managed configs.
fn existing_topic_row(row: &TopicRow, existing: &ExistingTopic) -> TopicRow {
    TopicRow {
        cluster: row.cluster.clone(),
        name: row.name.clone(),
        partitions: i64::from(existing.partitions),
        replication_factor: i64::from(existing.replication_factor),
        configs: row
            .configs
            .keys()
            .filter_map(|key| {
                existing
                    .configs
                    .get(key)
                    .map(|value| (key.clone(), value.clone()))
            })
            .collect(),
        reason: row.reason.clone(),
    }
}

pub(super) fn kafka_diagnostic(summary: &str, error: &KafkaError) -> Diagnostic {
    Diagnostic::error(summary, error.to_string())
}

fn cancelled(cluster: &str) -> Diagnostic {
    Diagnostic::error(
        "Cancelled",
        format!(
            "Terraform asked the provider to stop; cluster {cluster:?} was left as the state \
             records it (run apply again to finish)"
        ),
    )
}

/// Connects to the clusters concurrently, so unreachable clusters cost one timeout together
/// rather than one each. Connections are cached per provider process.
pub(super) async fn connect_all(
    ctx: &Ctx<'_, ProviderState>,
    clusters: impl IntoIterator<Item = String>,
) -> Vec<(String, Result<Arc<KafkaAdmin>, Diagnostic>)> {
    let clusters: Vec<String> = clusters.into_iter().collect();
    let connections =
        futures_util::future::join_all(clusters.iter().map(|c| ctx.provider.admin(c))).await;
    clusters.into_iter().zip(connections).collect()
}

/// The engine's view of one apply: what the flow wants and what the prior state records.
pub(super) struct ApplyPlan<'a> {
    pub desired_acls: &'a [ClusterAcl],
    pub desired_topics: &'a [InternalTopic],
    pub prior: Record,
    pub delete_topics: bool,
    /// Who this resource is in the clusters' claims records.
    pub claimant: Claimant,
}

/// Reconciles every cluster the flow touches (desired or recorded); returns the truthful
/// new record. Clusters are independent: one failing does not stop the others.
pub(super) async fn apply_flow(
    ctx: &Ctx<'_, ProviderState>,
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
        let cluster_record = apply_cluster(ctx, &admin, cluster_plan, diags).await;
        record.merge(cluster_record);
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

/// One cluster: read the bindings, then (claims ownership) the claims, and write this
/// resource's claims before anything is created; then the ACL and topic changes; then
/// (claims ownership) re-verify what was deleted and release (`model::ownership`).
async fn apply_cluster(
    ctx: &Ctx<'_, ProviderState>,
    admin: &KafkaAdmin,
    plan: ClusterPlan<'_>,
    diags: &mut Diagnostics,
) -> Record {
    let ClusterPlan { cluster, prior, .. } = plan;
    let desired_rows: Vec<AclRow> = plan.desired_acls.iter().map(AclRow::from).collect();
    let principals = principals_of(desired_rows.iter().chain(prior.acls.iter()));
    let expected = Some(desired_rows.len() + prior.acls.len());
    let actual = match read_acls(admin, cluster, &principals, expected).await {
        Ok(actual) => actual,
        Err(error) => {
            diags.push(kafka_diagnostic("Cannot read ACLs", &error));
            return prior.clone();
        }
    };
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
            match ClaimsSession::begin(log, admin, me, needs, diags).await {
                Some(session) => Some(session),
                None => return prior.clone(),
            }
        }
    };
    let owned = match &session {
        Some(session) => session.exclusive(),
        None => state_owned,
    };
    let acls = apply_cluster_acls(
        ctx,
        admin,
        cluster,
        plan.desired_acls,
        &actual,
        &owned,
        session.as_ref(),
        prior,
        diags,
    )
    .await;
    let topic_deletes = match (&session, plan.delete_topics) {
        (_, false) => TopicDeletes::None,
        (None, true) => TopicDeletes::All,
        (Some(session), true) => TopicDeletes::Only(session.topics_to_delete()),
    };
    let topics = apply_cluster_topics(
        ctx,
        admin,
        cluster,
        plan.desired_topics,
        &prior.topics,
        topic_deletes,
        diags,
    )
    .await;
    if let Some(session) = session {
        session
            .finish(
                admin,
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

/// What the ACL changes of one cluster did.
struct AclOutcome {
    record: Record,
    /// Deleted bindings, as the cluster held them.
    deleted: Vec<AclBinding>,
    failed_deletes: Vec<AclBinding>,
}

/// ACLs of one cluster: reconcile `actual` with what the resource `owned` (alone), one
/// create and one delete batch (chunked). With a claims session, the bindings newly claimed
/// are created too (idempotent) and pre-existing ones follow the claims record.
#[allow(clippy::too_many_arguments)]
async fn apply_cluster_acls(
    ctx: &Ctx<'_, ProviderState>,
    admin: &KafkaAdmin,
    cluster: &str,
    desired: &[ClusterAcl],
    actual: &HashSet<ClusterBinding>,
    owned_before: &HashSet<ClusterBinding>,
    session: Option<&ClaimsSession>,
    prior: &Record,
    diags: &mut Diagnostics,
) -> AclOutcome {
    let desired_rows: Vec<AclRow> = desired.iter().map(AclRow::from).collect();
    let actual_keys: HashSet<ClusterBinding> = actual
        .iter()
        .map(|(cluster, binding)| comparable(cluster, binding))
        .collect();
    let prior_acls = keyed(prior.acls.iter().cloned(), diags);
    let guard = lockout_guard(ctx.provider, cluster);
    let changes = match reconcile_acls(desired, actual, owned_before, &guard) {
        Ok(changes) => changes,
        Err(lockout) => {
            diags.push(Diagnostic::error(
                "Refusing to lock the provider out",
                lockout.to_string(),
            ));
            let record = Record {
                acls: prior_acls
                    .into_iter()
                    .filter(|(key, _)| actual_keys.contains(key))
                    .map(|(_, row)| row)
                    .collect(),
                preexisting: rows_existing(prior.preexisting.clone(), &actual_keys, diags),
                topics: BTreeSet::new(),
            };
            return AclOutcome {
                record,
                deleted: Vec::new(),
                failed_deletes: Vec::new(),
            };
        }
    };

    let mut created: HashSet<ClusterBinding> = HashSet::new();
    let mut to_create = changes.to_create.get(cluster).cloned().unwrap_or_default();
    if let Some(session) = session {
        to_create.extend(session.create_also(desired).into_iter().cloned());
    }
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
    let mut deleted_held: Vec<AclBinding> = Vec::new();
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
                            deleted_held.push(binding.clone());
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
    let preexisting = match session {
        // Pre-existing by the claims record: the marker read or written in this apply.
        Some(session) => desired
            .iter()
            .filter(|acl| {
                let key = comparable(&acl.cluster, &acl.binding);
                session.is_preexisting(&acl.binding)
                    && (actual_keys.contains(&key) || created.contains(&key))
            })
            .map(AclRow::from)
            .collect(),
        None => changes
            .preexisting
            .get(cluster)
            .into_iter()
            .flatten()
            .filter_map(|binding| {
                desired_by_key
                    .get(&comparable(cluster, binding))
                    .map(|acl| AclRow::from(*acl))
            })
            .collect(),
    };
    let failed_deletes = to_delete
        .into_iter()
        .filter(|binding| !deleted.contains(&comparable(cluster, binding)))
        .collect();
    AclOutcome {
        record: Record {
            acls,
            preexisting,
            topics: BTreeSet::new(),
        },
        deleted: deleted_held,
        failed_deletes,
    }
}

/// Which recorded topics a destroy deletes.
enum TopicDeletes<'a> {
    None,
    /// Every recorded one (`ownership = "state"`).
    All,
    /// Those no other claimant needs (claims ownership).
    Only(HashSet<&'a str>),
}

/// What the topic changes of one cluster did.
struct TopicOutcome {
    /// The topics as they exist, for the state.
    rows: BTreeSet<TopicRow>,
    deleted: Vec<TopicRow>,
    failed_deletes: Vec<String>,
}

impl TopicOutcome {
    fn rows(rows: BTreeSet<TopicRow>) -> TopicOutcome {
        TopicOutcome {
            rows,
            deleted: Vec::new(),
            failed_deletes: Vec::new(),
        }
    }
}

fn rows_existing(
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

/// Internal topics of one cluster: create missing ones with their configs (adopting those
/// created meanwhile with the planned settings), fix managed configs, report size
/// conflicts (never recreate). On destroy, delete the recorded ones `deletes` allows.
/// Returns the topics as they exist.
async fn apply_cluster_topics(
    ctx: &Ctx<'_, ProviderState>,
    admin: &KafkaAdmin,
    cluster: &str,
    desired: &[InternalTopic],
    prior: &BTreeSet<TopicRow>,
    deletes: TopicDeletes<'_>,
    diags: &mut Diagnostics,
) -> TopicOutcome {
    let doomed: Vec<&TopicRow> = match &deletes {
        TopicDeletes::None => Vec::new(),
        TopicDeletes::All => prior.iter().collect(),
        TopicDeletes::Only(names) => prior
            .iter()
            .filter(|row| names.contains(row.name.as_str()))
            .collect(),
    };
    if !matches!(deletes, TopicDeletes::None) {
        let names: Vec<String> = doomed.iter().map(|row| row.name.clone()).collect();
        if names.is_empty() {
            return TopicOutcome::rows(BTreeSet::new());
        }
        return match admin.delete_topics(&names).await {
            Ok(outcomes) => {
                let failed: HashSet<String> = outcomes
                    .into_iter()
                    .filter_map(|(name, outcome)| match outcome {
                        Ok(()) => None,
                        Err(error) if error.name == "UNKNOWN_TOPIC_OR_PARTITION" => None,
                        Err(error) => {
                            diags.push(Diagnostic::error(
                                "Cannot delete internal topic",
                                format!("cluster {cluster:?}: topic {name:?}: {error}"),
                            ));
                            Some(name)
                        }
                    })
                    .collect();
                let (kept, deleted): (Vec<&TopicRow>, Vec<&TopicRow>) = doomed
                    .into_iter()
                    .partition(|row| failed.contains(&row.name));
                TopicOutcome {
                    rows: kept.into_iter().cloned().collect(),
                    deleted: deleted.into_iter().cloned().collect(),
                    failed_deletes: failed.into_iter().collect(),
                }
            }
            Err(error) => {
                diags.push(kafka_diagnostic("Cannot delete internal topics", &error));
                TopicOutcome {
                    rows: doomed.iter().map(|row| (*row).clone()).collect(),
                    deleted: Vec::new(),
                    failed_deletes: names,
                }
            }
        };
    }
    if desired.is_empty() {
        return TopicOutcome::rows(BTreeSet::new());
    }
    if ctx.cancel.is_cancelled() {
        diags.push(cancelled(cluster));
        return TopicOutcome::rows(prior.clone());
    }
    let names: Vec<String> = desired.iter().map(|t| t.name.clone()).collect();
    let managed_keys: BTreeSet<String> = desired
        .iter()
        .flat_map(|t| t.configs.keys().cloned())
        .collect();
    let existing = match read_topics(admin, cluster, &names, &managed_keys).await {
        Ok(existing) => existing,
        Err(error) => {
            diags.push(kafka_diagnostic("Cannot read internal topics", &error));
            return TopicOutcome::rows(prior.clone());
        }
    };
    let changes = reconcile_topics(desired, &existing);
    let mut failed: HashSet<String> = HashSet::new();

    let new_topics: Vec<NewTopic> = changes
        .to_create
        .get(cluster)
        .into_iter()
        .flatten()
        .map(|topic| NewTopic {
            name: topic.name.clone(),
            partitions: u32::try_from(topic.partitions).ok(),
            replication_factor: u32::try_from(topic.replication_factor).ok(),
            configs: topic.configs.clone(),
        })
        .collect();
    let mut created: HashSet<String> = HashSet::new();
    let mut appeared: Vec<String> = Vec::new();
    match admin.create_topics(&new_topics, false).await {
        Ok(outcomes) => {
            for (name, outcome) in outcomes {
                match outcome {
                    Ok(()) => {
                        created.insert(name);
                    }
                    // Created meanwhile (a sibling resource, MM2 itself): adopted below
                    // when it has the planned settings.
                    Err(error) if error.name == "TOPIC_ALREADY_EXISTS" => appeared.push(name),
                    Err(error) => {
                        diags.push(Diagnostic::error(
                            "Cannot create internal topic",
                            format!("cluster {cluster:?}: topic {name:?}: {error}"),
                        ));
                        failed.insert(name);
                    }
                }
            }
        }
        Err(error) => {
            diags.push(kafka_diagnostic("Cannot create internal topics", &error));
            failed.extend(new_topics.iter().map(|t| t.name.clone()));
        }
    }
    if !appeared.is_empty() {
        adopt_appeared(admin, cluster, desired, &appeared, &managed_keys, diags)
            .await
            .into_iter()
            .for_each(|(name, adopted)| {
                if adopted {
                    created.insert(name);
                } else {
                    failed.insert(name);
                }
            });
    }

    let mut fixes: BTreeMap<String, Vec<ConfigChange>> = BTreeMap::new();
    for fix in changes.config_fixes.get(cluster).into_iter().flatten() {
        fixes
            .entry(fix.name.clone())
            .or_default()
            .push(ConfigChange::Set {
                name: fix.key.clone(),
                value: fix.expected.clone(),
            });
    }
    let alterations: Vec<TopicConfigAlteration> = fixes
        .into_iter()
        .map(|(topic, changes)| TopicConfigAlteration { topic, changes })
        .collect();
    let mut fixed: HashSet<String> = HashSet::new();
    match admin.alter_topic_configs(&alterations).await {
        Ok(outcomes) => {
            for (name, outcome) in outcomes {
                match outcome {
                    Ok(()) => {
                        fixed.insert(name);
                    }
                    Err(error) => diags.push(Diagnostic::error(
                        "Cannot fix internal topic config",
                        format!("cluster {cluster:?}: topic {name:?}: {error}"),
                    )),
                }
            }
        }
        Err(error) => diags.push(kafka_diagnostic(
            "Cannot fix internal topic configs",
            &error,
        )),
    }

    let needs_fix: HashSet<&str> = alterations.iter().map(|a| a.topic.as_str()).collect();
    let conflicting: HashSet<&str> = changes
        .conflicts
        .iter()
        .map(|conflict| conflict.name.as_str())
        .collect();
    for conflict in &changes.conflicts {
        diags.push(Diagnostic::error(
            "Internal topic conflicts with the plan",
            conflict.to_string(),
        ));
    }
    let rows = desired
        .iter()
        .filter_map(|topic| {
            let row = TopicRow::from(topic);
            match existing.get(&(cluster.to_string(), topic.name.clone())) {
                None if created.contains(&topic.name) => Some(row),
                None => None,
                // As it exists when its size conflicts or its config fix failed; otherwise
                // it now matches the plan.
                Some(found)
                    if conflicting.contains(topic.name.as_str())
                        || (needs_fix.contains(topic.name.as_str())
                            && !fixed.contains(&topic.name)) =>
                {
                    Some(existing_topic_row(&row, found))
                }
                Some(_) => Some(row),
            }
        })
        .filter(|row| !failed.contains(&row.name))
        .collect();
    TopicOutcome::rows(rows)
}

/// Topics whose CreateTopics found them existing (made between plan and apply): each is
/// adopted when it has the planned partitions, replication factor and managed configs, else
/// an error names both settings. Per topic, whether it was adopted.
async fn adopt_appeared(
    admin: &KafkaAdmin,
    cluster: &str,
    desired: &[InternalTopic],
    appeared: &[String],
    managed_keys: &BTreeSet<String>,
    diags: &mut Diagnostics,
) -> Vec<(String, bool)> {
    let found = match read_topics(admin, cluster, appeared, managed_keys).await {
        Ok(found) => found,
        Err(error) => {
            diags.push(kafka_diagnostic("Cannot read internal topics", &error));
            return appeared.iter().map(|name| (name.clone(), false)).collect();
        }
    };
    let planned: HashMap<&str, &InternalTopic> =
        desired.iter().map(|t| (t.name.as_str(), t)).collect();
    appeared
        .iter()
        .map(|name| {
            let adopted = match (
                planned.get(name.as_str()),
                found.get(&(cluster.to_string(), name.clone())),
            ) {
                (Some(topic), Some(existing)) => match adoptable(topic, existing) {
                    Ok(()) => true,
                    Err(differences) => {
                        diags.push(Diagnostic::error(
                            "Internal topic created meanwhile with other settings",
                            format!(
                                "cluster {cluster:?}: topic {name:?} was created by someone else \
                                 between plan and apply, with settings other than the plan's \
                                 ({}); the provider does not recreate topics: change it by hand \
                                 or adjust the inputs",
                                differences.join("; ")
                            ),
                        ));
                        false
                    }
                },
                _ => {
                    diags.push(Diagnostic::error(
                        "Cannot create internal topic",
                        format!(
                            "cluster {cluster:?}: topic {name:?}: TOPIC_ALREADY_EXISTS, yet it \
                             cannot be described"
                        ),
                    ));
                    false
                }
            };
            (name.clone(), adopted)
        })
        .collect()
}

/// What refresh found.
pub(super) enum Refreshed {
    /// Every recorded binding still exists and every recorded topic is as recorded: the
    /// state stands as it came (its ACL rows were not even decoded).
    Unchanged,
    /// The recorded rows that still exist (or could not be checked); topics as they are now.
    Changed(Record),
}

/// The recorded bindings of one cluster as the state's map keys name them, and their
/// principals (what DescribeAcls is asked about).
#[derive(Default)]
struct RecordedKeys<'a> {
    keys: Vec<&'a str>,
    principals: BTreeSet<String>,
}

/// The keys of `acls` and `preexisting_acls` by cluster, read without decoding a row; a key
/// that is not one [`AclRow::key`] makes (a state edited by hand) is an error on it.
fn recorded_keys(state: &Object) -> Result<BTreeMap<String, RecordedKeys<'_>>, Diagnostic> {
    let mut by_cluster: BTreeMap<String, RecordedKeys<'_>> = BTreeMap::new();
    for attr in [&ACLS, &PREEXISTING_ACLS] {
        for key in attr.known_keys(state)? {
            let Some((cluster, principal)) = AclRow::cluster_and_principal_of(key) else {
                return Err(Diagnostic::error(
                    "Invalid ACL row in state",
                    "the key is not <cluster>|<resource_type>|<pattern_type>|<resource_name>|\
                     <principal>|<host>|<operation>|<permission>",
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

/// Refresh: keeps the recorded rows that still exist; topics as they exist now. Each
/// cluster's bindings are read once; the recorded rows are decoded only when a recorded key
/// is not among the keys of what the cluster holds.
pub(super) async fn refresh(
    ctx: &Ctx<'_, ProviderState>,
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
        match read_bindings(&admin, &principals, expected).await {
            Ok(actual) => {
                let actual: Vec<AclBinding> = actual.into_iter().map(comparable_binding).collect();
                let actual_keys: HashSet<String> = actual
                    .iter()
                    .map(|binding| AclRow::key_of(&cluster, binding))
                    .collect();
                if !recorded_keys
                    .keys
                    .iter()
                    .all(|key| actual_keys.contains(*key))
                {
                    let comparable = actual
                        .into_iter()
                        .map(|binding| (cluster.clone(), binding))
                        .collect();
                    missing_keys.insert(cluster.clone(), comparable);
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
        match read_topics(&admin, &cluster, &names, &managed_keys).await {
            Ok(existing) => {
                let mut found: BTreeSet<TopicRow> = recorded_topics
                    .iter()
                    .filter_map(|row| {
                        existing
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
        let kept = |rows: BTreeSet<AclRow>, diags: &mut Diagnostics| -> BTreeSet<AclRow> {
            let (checked, unchecked): (Vec<AclRow>, Vec<AclRow>) = rows
                .into_iter()
                .partition(|row| missing_keys.contains_key(&row.cluster));
            keyed(checked, diags)
                .into_iter()
                .filter(|(key, _)| missing_keys[&key.0].contains(key))
                .map(|(_, row)| row)
                .chain(unchecked)
                .collect()
        };
        record.acls = kept(std::mem::take(&mut record.acls), diags);
        record.preexisting = kept(std::mem::take(&mut record.preexisting), diags);
    }
    Some(Refreshed::Changed(record))
}

/// What the plan-time checks compare.
pub(super) struct Preflight<'a> {
    pub desired: &'a DesiredState,
    pub prior: Record,
    /// `None` for a resource not created yet (it holds no claims).
    pub claimant: Option<&'a Claimant>,
}

/// Plan-time checks against the clusters, so apply does not fail halfway: reachability,
/// authorizer, the provider's own rights (on the cluster and on the claims topic),
/// self-lockout, replication factor vs brokers, conflicting internal topics, pre-existing
/// bindings and bindings kept for other claimants (warnings).
pub(super) async fn preflight<F: Flow>(
    ctx: &Ctx<'_, ProviderState>,
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
        let desired_rows: Vec<AclRow> = desired_acls.iter().map(AclRow::from).collect();
        let principals = principals_of(desired_rows.iter().chain(recorded.acls.iter()));
        let expected = Some(desired_rows.len() + recorded.acls.len());
        match read_acls(&admin, cluster, &principals, expected).await {
            Ok(actual) => {
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
                        match preflight_claims(&log, &admin, claimant, needs, diags).await {
                            Some(plan) => Some(plan),
                            None => continue,
                        }
                    }
                };
                let guard = lockout_guard(ctx.provider, cluster);
                let owned = match &ownership {
                    Some(plan) => plan
                        .exclusive
                        .iter()
                        .map(|binding| (cluster.clone(), binding.clone()))
                        .collect(),
                    None => owned,
                };
                match reconcile_acls(&desired_acls, &actual, &owned, &guard) {
                    Err(lockout) => diags.push(Diagnostic::error(
                        "Refusing to lock the provider out",
                        lockout.to_string(),
                    )),
                    Ok(changes) => {
                        // Bindings no claim names (claims ownership), or that the resource
                        // did not create (state ownership).
                        let found = match &ownership {
                            Some(plan) => plan.marker_candidates.clone(),
                            None => changes
                                .preexisting
                                .get(cluster)
                                .cloned()
                                .unwrap_or_default(),
                        };
                        let unrecorded: Vec<String> = found
                            .iter()
                            .filter(|binding| {
                                !recorded.preexisting.iter().any(|row| {
                                    row.binding(&ACLS.path()).is_ok_and(|b| {
                                        comparable(cluster, &b) == comparable(cluster, binding)
                                    })
                                })
                            })
                            .map(|binding| format!("  {binding}"))
                            .collect();
                        if !unrecorded.is_empty() {
                            diags.push(Diagnostic::warning(
                                "ACLs already exist",
                                format!(
                                    "cluster {cluster:?} already holds these bindings, not \
                                     created by this resource; they will be recorded in \
                                     preexisting_acls and never deleted by it:\n{}",
                                    unrecorded.join("\n")
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
                for topic in &topics {
                    let needed = usize::try_from(topic.replication_factor).unwrap_or(0);
                    if needed > brokers {
                        diags.push(
                            Diagnostic::error(
                                "Replication factor above the broker count",
                                format!(
                                    "topic {:?} needs replication factor {needed} but cluster \
                                     {cluster:?} has {brokers} broker(s); lower the replication \
                                     factor or add brokers",
                                    topic.name
                                ),
                            )
                            .at(F::replication_factor_path(topic, inputs)),
                        );
                    }
                }
            }
            Err(error) => diags.push(kafka_diagnostic("Cannot read brokers", &error)),
        }
        let names: Vec<String> = topics.iter().map(|t| t.name.clone()).collect();
        let managed: BTreeSet<String> = topics
            .iter()
            .flat_map(|t| t.configs.keys().cloned())
            .collect();
        match read_topics(&admin, cluster, &names, &managed).await {
            Ok(existing) => {
                let changes = reconcile_topics(&topics, &existing);
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
