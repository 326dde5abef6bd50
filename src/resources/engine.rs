//! The reconcile/apply engine both resources share, and the generic [`FlowResource`] /
//! [`FlowDataSource`] that turn a [`Flow`] (schema + decode + pure planner) into a Terraform
//! resource and data source.
//!
//! State shape (both resources): the inputs (optional ones with their defaults filled in),
//! `id`, `acls` (the bindings this resource manages that exist, with their reason),
//! `preexisting_acls` (the subset that existed before the resource created them: never
//! deleted by it; owned = `acls - preexisting_acls`) and, for flows with topics,
//! `internal_topics` (as they exist: actual partitions, replication factor, cleanup.policy).
//!
//! Apply per cluster: read the managed principals' bindings, reconcile (set difference,
//! ownership, self-lockout guard), one CreateAcls and one DeleteAcls batch (split above
//! [`ACL_BATCH_LIMIT`]), then topics. Failures become diagnostics and the returned state
//! lists only what exists, so the next apply does the rest.

use super::rows::{AclRow, TopicRow};
use crate::kafka::{
    AclFilter, ConfigChange, KafkaAdmin, KafkaError, NewTopic, TopicConfigAlteration, TopicLookup,
};
use crate::model::plan::{ClusterAcl, DesiredState, InternalTopic};
use crate::model::reconcile::{
    comparable, reconcile_acls, reconcile_topics, ClusterBinding, ExistingTopic,
};
use crate::model::validate::InputError;
use crate::provider::ProviderState;
use crate::tfplugin::{
    ApplyRequest, Attr, AttributePath, Block, Ctx, DataSource, Diagnostic, Diagnostics, Field,
    Object, PlanRequest, Planned, Resource, Schema,
};
use async_trait::async_trait;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::marker::PhantomData;

/// Most bindings (or filters) per CreateAcls / DeleteAcls request. A binding takes well under
/// 600 bytes on the wire even with a 249-character name, so a full batch stays under 3 MB,
/// far below Kafka's default `socket.request.max.bytes` (100 MiB); flows above the limit are
/// split into several requests.
pub const ACL_BATCH_LIMIT: usize = 5_000;

/// The reason recorded for bindings adopted by `terraform import`.
pub const IMPORTED_REASON: &str =
    "adopted by terraform import (owned by this resource; the next apply sets the planned reason)";

pub const ID: Attr<String> = Attr::computed(
    "id",
    "Identifier of the flow, in the form accepted by `terraform import`.",
);
pub const ACLS: Attr<BTreeSet<AclRow>> = Attr::computed(
    "acls",
    "The ACL bindings the flow needs, one object per binding and cluster: `cluster` (provider \
     cluster key), `principal`, `host`, `resource_type` (TOPIC, GROUP, CLUSTER, \
     TRANSACTIONAL_ID), `resource_name`, `pattern_type` (LITERAL, PREFIXED), `operation`, \
     `permission` (ALLOW) and `reason` (the rule and spec row that require it). In resource \
     state: the bindings that exist on the clusters.",
);
pub const PREEXISTING_ACLS: Attr<BTreeSet<AclRow>> = Attr::computed(
    "preexisting_acls",
    "Bindings of `acls` that already existed on the cluster before this resource would have \
     created them (made by hand or by another tool). They are not owned: shrinking or \
     destroying this resource never deletes them. Bindings adopted with `terraform import` \
     are owned.",
);
pub const INTERNAL_TOPICS: Attr<BTreeSet<TopicRow>> = Attr::computed(
    "internal_topics",
    "The compacted internal topics the flow needs: `cluster`, `name`, `partitions`, \
     `replication_factor`, `configs` (e.g. cleanup.policy) and `reason`. In resource state: \
     the topics as they exist (actual partitions, replication factor and cleanup.policy), so \
     drift shows in the next plan.",
);

/// One replication flow type: its inputs, how they are read from Terraform values and the
/// pure planner. [`FlowResource`] and [`FlowDataSource`] do the rest.
pub trait Flow: Send + Sync + 'static {
    type Inputs: Send + Sync;

    /// Resource and data source type name.
    const TYPE_NAME: &'static str;
    const RESOURCE_DESCRIPTION: &'static str;
    const DATA_SOURCE_DESCRIPTION: &'static str;
    /// Whether the flow has internal topics (`internal_topics` attribute).
    const HAS_TOPICS: bool;
    /// The attributes that name provider cluster keys.
    const CLUSTER_ATTRIBUTES: &'static [&'static Attr<String>];
    /// What `terraform import` takes, e.g. `<source_cluster>:<target_cluster>:<principal>`.
    const IMPORT_ID_FORM: &'static str;

    /// Adds the input attributes shared by the resource and the data source.
    fn input_attributes(block: Block) -> Block;
    /// Adds the resource-only inputs (e.g. what destroy does).
    fn resource_attributes(block: Block) -> Block {
        block
    }
    /// Replaces null optional inputs with their defaults (unknown where they derive from an
    /// unknown value).
    fn fill_defaults(object: &mut Object);
    /// The inputs, `Unknown` when any is not known yet; `None` after a diagnostic.
    fn decode(object: &Object, diags: &mut Diagnostics) -> Option<Field<Self::Inputs>>;
    fn validate(inputs: &Self::Inputs) -> Vec<InputError>;
    fn plan(inputs: &Self::Inputs) -> DesiredState;
    /// The resource id, in the import form.
    fn id(inputs: &Self::Inputs) -> String;
    /// Inputs for an import id `(first cluster, second cluster, principal)`, with every other
    /// input at its default (topic selections empty).
    fn import_inputs(first_cluster: &str, second_cluster: &str, principal: &str) -> Object;
    /// Where a preflight error about a topic's replication factor belongs (flows with topics
    /// override this).
    fn replication_factor_path(_topic: &InternalTopic, _inputs: &Self::Inputs) -> AttributePath {
        AttributePath::root()
    }
    /// Whether destroy deletes the internal topics (resource state).
    fn delete_topics_on_destroy(_state: &Object) -> bool {
        false
    }
}

/// Maps the model's input errors to diagnostics on their attribute (and list element).
pub fn input_error_diagnostics(errors: Vec<InputError>, diags: &mut Diagnostics) {
    for error in errors {
        let mut path = AttributePath::attribute(error.attribute);
        if let Some(index) = error.index {
            path = path.index(index);
        }
        diags.push(Diagnostic::error("Invalid input", error.message).at(path));
    }
}

/// Reads input attributes one by one, remembering whether any was unknown.
pub struct InputReader<'a> {
    object: &'a Object,
    pub unknown: bool,
    pub failed: bool,
}

impl<'a> InputReader<'a> {
    pub fn new(object: &'a Object) -> Self {
        InputReader {
            object,
            unknown: false,
            failed: false,
        }
    }

    /// The value (`None` when null or unknown).
    pub fn get<T: crate::tfplugin::schema::AttrType>(
        &mut self,
        attr: &Attr<T>,
        diags: &mut Diagnostics,
    ) -> Option<T> {
        match diags.take(attr.get(self.object)) {
            None => {
                self.failed = true;
                None
            }
            Some(Field::Unknown) => {
                self.unknown = true;
                None
            }
            Some(Field::Null) => None,
            Some(Field::Known(value)) => Some(value),
        }
    }

    /// A string input naming one of an enumeration's values.
    pub fn parse<E: std::str::FromStr>(
        &mut self,
        attr: &Attr<String>,
        diags: &mut Diagnostics,
    ) -> Option<E>
    where
        E::Err: std::fmt::Display,
    {
        let text = self.get(attr, diags)?;
        match text.parse() {
            Ok(value) => Some(value),
            Err(error) => {
                diags.push(Diagnostic::error("Invalid value", format!("{error}")).at(attr.path()));
                self.failed = true;
                None
            }
        }
    }

    /// The outcome once every input was read: `Unknown` if one was unknown.
    pub fn finish<T>(&self, build: impl FnOnce() -> Option<T>) -> Option<Field<T>> {
        if self.failed {
            return None;
        }
        if self.unknown {
            return Some(Field::Unknown);
        }
        build().map(Field::Known)
    }
}

/// Sets a null attribute to `value`.
pub fn default_to<T: crate::tfplugin::schema::AttrType>(
    object: &mut Object,
    attr: &Attr<T>,
    value: T,
) {
    if object.get(attr.name).is_none_or(|v| v.is_null()) {
        attr.set(object, &value);
    }
}

/// Sets a null string attribute to the value of another (unknown if that one is unknown).
pub fn default_to_attribute(object: &mut Object, attr: &Attr<String>, from: &Attr<String>) {
    if object.get(attr.name).is_none_or(|v| v.is_null()) {
        let value = object
            .get(from.name)
            .cloned()
            .unwrap_or(crate::tfplugin::Value::Null);
        object.insert(attr.name.to_string(), value);
    }
}

/// Checks the cluster keys the inputs name exist in the provider config.
fn check_cluster_keys<F: Flow>(provider: &ProviderState, object: &Object, diags: &mut Diagnostics) {
    for attr in F::CLUSTER_ATTRIBUTES {
        if let Some(Field::Known(alias)) = diags.take(attr.get(object)) {
            if !provider.is_pending(&alias) {
                if let Err(diagnostic) = provider.cluster(&alias) {
                    diags.push(diagnostic.at(attr.path()));
                }
            }
        }
    }
}

/// The attribute naming each cluster key, for diagnostics about a cluster.
fn cluster_paths<F: Flow>(object: &Object) -> BTreeMap<String, AttributePath> {
    let mut paths = BTreeMap::new();
    for attr in F::CLUSTER_ATTRIBUTES {
        if let Ok(Field::Known(alias)) = attr.get(object) {
            paths.entry(alias).or_insert_with(|| attr.path());
        }
    }
    paths
}

/// What a resource's state records beyond its inputs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Record {
    pub acls: BTreeSet<AclRow>,
    pub preexisting: BTreeSet<AclRow>,
    pub topics: BTreeSet<TopicRow>,
}

impl Record {
    fn read(object: &Object, diags: &mut Diagnostics) -> Option<Record> {
        let rows = |attr: &Attr<BTreeSet<AclRow>>, diags: &mut Diagnostics| {
            diags
                .take(attr.known(object))
                .map(Option::unwrap_or_default)
        };
        Some(Record {
            acls: rows(&ACLS, diags)?,
            preexisting: rows(&PREEXISTING_ACLS, diags)?,
            topics: match object.get(INTERNAL_TOPICS.name) {
                Some(_) => diags
                    .take(INTERNAL_TOPICS.known(object))?
                    .unwrap_or_default(),
                None => BTreeSet::new(),
            },
        })
    }

    fn write<F: Flow>(&self, object: &mut Object) {
        ACLS.set(object, &self.acls);
        PREEXISTING_ACLS.set(object, &self.preexisting);
        if F::HAS_TOPICS {
            INTERNAL_TOPICS.set(object, &self.topics);
        }
    }

    fn clusters(&self) -> BTreeSet<String> {
        self.acls
            .iter()
            .map(|row| row.cluster.clone())
            .chain(self.topics.iter().map(|row| row.cluster.clone()))
            .collect()
    }

    /// The rows of one cluster.
    fn of_cluster(&self, cluster: &str) -> Record {
        Record {
            acls: rows_of(&self.acls, cluster),
            preexisting: rows_of(&self.preexisting, cluster),
            topics: self
                .topics
                .iter()
                .filter(|row| row.cluster == cluster)
                .cloned()
                .collect(),
        }
    }

    fn merge(&mut self, other: Record) {
        self.acls.extend(other.acls);
        self.preexisting.extend(other.preexisting);
        self.topics.extend(other.topics);
    }
}

fn rows_of(rows: &BTreeSet<AclRow>, cluster: &str) -> BTreeSet<AclRow> {
    rows.iter()
        .filter(|row| row.cluster == cluster)
        .cloned()
        .collect()
}

/// Rows as `(comparable key, row)`; rows that do not parse are reported once.
fn keyed(rows: &BTreeSet<AclRow>, diags: &mut Diagnostics) -> Vec<(ClusterBinding, AclRow)> {
    rows.iter()
        .filter_map(|row| {
            let (cluster, binding) = diags.take(row.cluster_binding(&ACLS.path()))?;
            Some((comparable(&cluster, &binding), row.clone()))
        })
        .collect()
}

fn principals_of<'a>(rows: impl Iterator<Item = &'a AclRow>) -> Vec<String> {
    rows.map(|row| row.principal.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// What one cluster holds for the given principals, as comparable keys plus the bindings
/// exactly as the cluster holds them (for reconcile's delete filters).
async fn read_acls(
    admin: &KafkaAdmin,
    cluster: &str,
    principals: &[String],
) -> Result<HashSet<ClusterBinding>, KafkaError> {
    if principals.is_empty() {
        return Ok(HashSet::new());
    }
    let held = admin.describe_acls_of_principals(principals).await?;
    Ok(held
        .into_values()
        .flatten()
        .map(|binding| (cluster.to_string(), binding))
        .collect())
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

fn kafka_diagnostic(summary: &str, error: &KafkaError) -> Diagnostic {
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

/// The engine's view of one apply: what the flow wants and what the prior state records.
struct ApplyPlan<'a> {
    desired_acls: &'a [ClusterAcl],
    desired_topics: &'a [InternalTopic],
    prior: &'a Record,
    delete_topics: bool,
}

/// Reconciles every cluster the flow touches (desired or recorded); returns the truthful
/// new record. Clusters are independent: one failing does not stop the others.
async fn apply_flow(
    ctx: &Ctx<'_, ProviderState>,
    plan: ApplyPlan<'_>,
    diags: &mut Diagnostics,
) -> Record {
    let clusters: BTreeSet<String> = plan
        .desired_acls
        .iter()
        .map(|acl| acl.cluster.clone())
        .chain(plan.desired_topics.iter().map(|t| t.cluster.clone()))
        .chain(plan.prior.clusters())
        .collect();
    let mut record = Record::default();
    for cluster in clusters {
        let prior = plan.prior.of_cluster(&cluster);
        if ctx.cancel.is_cancelled() {
            diags.push(cancelled(&cluster));
            record.merge(prior);
            continue;
        }
        let admin = match ctx.provider.admin(&cluster).await {
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
        let mut cluster_record =
            apply_cluster_acls(ctx, &admin, &cluster, &desired_acls, &prior, diags).await;
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

/// ACLs of one cluster: read, reconcile, one create and one delete batch (chunked).
async fn apply_cluster_acls(
    ctx: &Ctx<'_, ProviderState>,
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
    let actual = match read_acls(admin, cluster, &principals).await {
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
    let prior_acls = keyed(&prior.acls, diags);
    let preexisting_keys: HashSet<ClusterBinding> = keyed(&prior.preexisting, diags)
        .into_iter()
        .map(|(key, _)| key)
        .collect();
    let owned_before: HashSet<ClusterBinding> = prior_acls
        .iter()
        .filter(|(key, _)| !preexisting_keys.contains(key))
        .map(|(key, _)| key.clone())
        .collect();
    let provider_principals: HashMap<String, String> = ctx
        .provider
        .provider_principal(cluster)
        .map(|principal| HashMap::from([(cluster.to_string(), principal)]))
        .unwrap_or_default();
    let changes = match reconcile_acls(desired, &actual, &owned_before, &provider_principals) {
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
                preexisting: rows_existing(&prior.preexisting, &actual_keys, diags),
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

    let desired_keys: HashSet<ClusterBinding> = desired
        .iter()
        .map(|acl| comparable(&acl.cluster, &acl.binding))
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
                    && !desired_keys.contains(key)
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
            desired
                .iter()
                .find(|acl| comparable(cluster, &acl.binding) == comparable(cluster, binding))
                .map(AclRow::from)
        })
        .collect();
    Record {
        acls,
        preexisting,
        topics: BTreeSet::new(),
    }
}

fn rows_existing(
    rows: &BTreeSet<AclRow>,
    actual_keys: &HashSet<ClusterBinding>,
    diags: &mut Diagnostics,
) -> BTreeSet<AclRow> {
    keyed(rows, diags)
        .into_iter()
        .filter(|(key, _)| actual_keys.contains(key))
        .map(|(_, row)| row)
        .collect()
}

/// Internal topics of one cluster: create missing ones with their configs, fix managed
/// configs, report size conflicts (never recreate). On destroy with `delete_topics`, delete
/// the recorded ones. Returns the topics as they exist.
async fn apply_cluster_topics(
    ctx: &Ctx<'_, ProviderState>,
    admin: &KafkaAdmin,
    cluster: &str,
    desired: &[InternalTopic],
    prior: &BTreeSet<TopicRow>,
    delete_topics: bool,
    diags: &mut Diagnostics,
) -> BTreeSet<TopicRow> {
    if delete_topics {
        let names: Vec<String> = prior.iter().map(|row| row.name.clone()).collect();
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
                prior
                    .iter()
                    .filter(|row| failed.contains(&row.name))
                    .cloned()
                    .collect()
            }
            Err(error) => {
                diags.push(kafka_diagnostic("Cannot delete internal topics", &error));
                prior.clone()
            }
        };
    }
    if desired.is_empty() {
        return BTreeSet::new();
    }
    if ctx.cancel.is_cancelled() {
        diags.push(cancelled(cluster));
        return prior.clone();
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
            return prior.clone();
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
    match admin.create_topics(&new_topics, false).await {
        Ok(outcomes) => {
            for (name, outcome) in outcomes {
                match outcome {
                    Ok(()) => {
                        created.insert(name);
                    }
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
    desired
        .iter()
        .filter_map(|topic| {
            let row = TopicRow::from(topic);
            match existing.get(&(cluster.to_string(), topic.name.clone())) {
                None if created.contains(&topic.name) => Some(row),
                None => None,
                Some(found) => {
                    let mut actual = found.clone();
                    if fixed.contains(&topic.name) {
                        actual.configs.extend(topic.configs.clone());
                    }
                    if conflicting.contains(topic.name.as_str()) || !fixed.contains(&topic.name) {
                        Some(existing_topic_row(&row, &actual))
                    } else {
                        Some(row)
                    }
                }
            }
        })
        .filter(|row| !failed.contains(&row.name))
        .collect()
}

/// Refresh: keeps the recorded rows that still exist; topics as they exist now.
async fn refresh(ctx: &Ctx<'_, ProviderState>, prior: &Record, diags: &mut Diagnostics) -> Record {
    let mut record = Record::default();
    for cluster in prior.clusters() {
        let recorded = prior.of_cluster(&cluster);
        let admin = match ctx.provider.admin(&cluster).await {
            Ok(admin) => admin,
            Err(diagnostic) => {
                diags.push(diagnostic);
                record.merge(recorded);
                continue;
            }
        };
        let principals = principals_of(recorded.acls.iter());
        match read_acls(&admin, &cluster, &principals).await {
            Ok(actual) => {
                let keys: HashSet<ClusterBinding> =
                    actual.iter().map(|(c, b)| comparable(c, b)).collect();
                record
                    .acls
                    .extend(rows_existing(&recorded.acls, &keys, diags));
                record
                    .preexisting
                    .extend(rows_existing(&recorded.preexisting, &keys, diags));
            }
            Err(error) => {
                diags.push(kafka_diagnostic("Cannot read ACLs", &error));
                record.acls.extend(recorded.acls);
                record.preexisting.extend(recorded.preexisting);
            }
        }
        let names: Vec<String> = recorded.topics.iter().map(|t| t.name.clone()).collect();
        let managed_keys: BTreeSet<String> = recorded
            .topics
            .iter()
            .flat_map(|t| t.configs.keys().cloned())
            .collect();
        match read_topics(&admin, &cluster, &names, &managed_keys).await {
            Ok(existing) => record
                .topics
                .extend(recorded.topics.iter().filter_map(|row| {
                    existing
                        .get(&(cluster.clone(), row.name.clone()))
                        .map(|found| existing_topic_row(row, found))
                })),
            Err(error) => {
                diags.push(kafka_diagnostic("Cannot read internal topics", &error));
                record.topics.extend(recorded.topics);
            }
        }
    }
    record
}

/// Plan-time checks against the clusters, so apply does not fail halfway: reachability,
/// authorizer, the provider's own rights, self-lockout, replication factor vs brokers,
/// conflicting internal topics, and pre-existing bindings (a warning).
async fn preflight<F: Flow>(
    ctx: &Ctx<'_, ProviderState>,
    inputs: &F::Inputs,
    desired: &DesiredState,
    prior: &Record,
    planned: &Object,
    diags: &mut Diagnostics,
) {
    let paths = cluster_paths::<F>(planned);
    for (cluster, path) in &paths {
        if ctx.provider.cluster(cluster).is_err() {
            continue; // unknown keys are reported on the attribute, pending ones are unknown
        }
        let admin = match ctx.provider.admin(cluster).await {
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
        let recorded = prior.of_cluster(cluster);
        let desired_rows: Vec<AclRow> = desired_acls.iter().map(AclRow::from).collect();
        let principals = principals_of(desired_rows.iter().chain(recorded.acls.iter()));
        match read_acls(&admin, cluster, &principals).await {
            Ok(actual) => {
                let preexisting_keys: HashSet<ClusterBinding> = keyed(&recorded.preexisting, diags)
                    .into_iter()
                    .map(|(key, _)| key)
                    .collect();
                let owned: HashSet<ClusterBinding> = keyed(&recorded.acls, diags)
                    .into_iter()
                    .map(|(key, _)| key)
                    .filter(|key| !preexisting_keys.contains(key))
                    .collect();
                let guard: HashMap<String, String> = ctx
                    .provider
                    .provider_principal(cluster)
                    .map(|p| HashMap::from([(cluster.clone(), p)]))
                    .unwrap_or_default();
                match reconcile_acls(&desired_acls, &actual, &owned, &guard) {
                    Err(lockout) => diags.push(Diagnostic::error(
                        "Refusing to lock the provider out",
                        lockout.to_string(),
                    )),
                    Ok(changes) => {
                        let found = changes
                            .preexisting
                            .get(cluster)
                            .cloned()
                            .unwrap_or_default();
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

fn schema_of<F: Flow>(description: &str, resource: bool) -> Schema {
    let mut block = F::input_attributes(Block::new(description).attr(&ID));
    if resource {
        block = F::resource_attributes(block);
    }
    block = block.attr(&ACLS);
    if resource {
        block = block.attr(&PREEXISTING_ACLS);
    }
    if F::HAS_TOPICS {
        block = block.attr(&INTERNAL_TOPICS);
    }
    Schema { version: 0, block }
}

/// Validates known inputs (for ValidateResourceConfig / ValidateDataResourceConfig).
fn validate_config<F: Flow>(config: &Object, diags: &mut Diagnostics) {
    let mut object = config.clone();
    F::fill_defaults(&mut object);
    if let Some(Field::Known(inputs)) = F::decode(&object, diags) {
        input_error_diagnostics(F::validate(&inputs), diags);
    }
}

/// A [`Flow`] as a Terraform resource.
pub struct FlowResource<F>(PhantomData<F>);

impl<F: Flow> FlowResource<F> {
    pub fn new() -> Self {
        FlowResource(PhantomData)
    }
}

impl<F: Flow> Default for FlowResource<F> {
    fn default() -> Self {
        Self::new()
    }
}

#[async_trait]
impl<F: Flow> Resource<ProviderState> for FlowResource<F> {
    fn type_name(&self) -> &'static str {
        F::TYPE_NAME
    }

    fn schema(&self) -> Schema {
        schema_of::<F>(F::RESOURCE_DESCRIPTION, true)
    }

    fn validate(&self, config: &Object, diags: &mut Diagnostics) {
        validate_config::<F>(config, diags);
    }

    async fn plan(
        &self,
        ctx: Ctx<'_, ProviderState>,
        request: PlanRequest,
        diags: &mut Diagnostics,
    ) -> Option<Planned> {
        let mut planned = request.proposed;
        F::fill_defaults(&mut planned);
        check_cluster_keys::<F>(ctx.provider, &planned, diags);
        let prior = match &request.prior {
            Some(prior) => Record::read(prior, diags)?,
            None => Record::default(),
        };
        match F::decode(&planned, diags)? {
            Field::Known(inputs) => {
                let errors = F::validate(&inputs);
                if !errors.is_empty() {
                    input_error_diagnostics(errors, diags);
                    return None;
                }
                let desired = F::plan(&inputs);
                let acls: BTreeSet<AclRow> = desired.acls.iter().map(AclRow::from).collect();
                let topics: BTreeSet<TopicRow> =
                    desired.topics.iter().map(TopicRow::from).collect();
                ID.set(&mut planned, &F::id(&inputs));
                let changed = request.prior.is_none()
                    || prior.acls != acls
                    || (F::HAS_TOPICS && prior.topics != topics);
                ACLS.set(&mut planned, &acls);
                if F::HAS_TOPICS {
                    INTERNAL_TOPICS.set(&mut planned, &topics);
                }
                if changed {
                    PREEXISTING_ACLS.set_unknown(&mut planned);
                    if !diags.has_errors() {
                        preflight::<F>(&ctx, &inputs, &desired, &prior, &planned, diags).await;
                    }
                } else {
                    PREEXISTING_ACLS.set(&mut planned, &prior.preexisting);
                }
            }
            _ => {
                ID.set_unknown(&mut planned);
                ACLS.set_unknown(&mut planned);
                PREEXISTING_ACLS.set_unknown(&mut planned);
                if F::HAS_TOPICS {
                    INTERNAL_TOPICS.set_unknown(&mut planned);
                }
            }
        }
        Some(Planned {
            planned,
            requires_replace: Vec::new(),
        })
    }

    async fn apply(
        &self,
        ctx: Ctx<'_, ProviderState>,
        request: ApplyRequest,
        diags: &mut Diagnostics,
    ) -> Option<Object> {
        let prior = match &request.prior {
            Some(prior) => Record::read(prior, diags)?,
            None => Record::default(),
        };
        match request.planned {
            None => {
                // Destroy: delete what the resource owns (and topics when asked to).
                let state = request.prior?;
                let plan = ApplyPlan {
                    desired_acls: &[],
                    desired_topics: &[],
                    prior: &prior,
                    delete_topics: F::HAS_TOPICS && F::delete_topics_on_destroy(&state),
                };
                let left = apply_flow(&ctx, plan, diags).await;
                let owned_left = left.acls.iter().any(|row| !left.preexisting.contains(row));
                if !diags.has_errors() || (!owned_left && left.topics.is_empty()) {
                    return None;
                }
                let mut state = state;
                left.write::<F>(&mut state);
                Some(state)
            }
            Some(mut planned) => {
                let inputs = match F::decode(&planned, diags)? {
                    Field::Known(inputs) => inputs,
                    _ => {
                        diags.push(Diagnostic::error(
                            "Inputs not known at apply",
                            "every input must be known when the flow is applied",
                        ));
                        return None;
                    }
                };
                let desired = F::plan(&inputs);
                let plan = ApplyPlan {
                    desired_acls: &desired.acls,
                    desired_topics: if F::HAS_TOPICS { &desired.topics } else { &[] },
                    prior: &prior,
                    delete_topics: false,
                };
                let record = apply_flow(&ctx, plan, diags).await;
                ID.set(&mut planned, &F::id(&inputs));
                record.write::<F>(&mut planned);
                Some(planned)
            }
        }
    }

    async fn read(
        &self,
        ctx: Ctx<'_, ProviderState>,
        mut state: Object,
        diags: &mut Diagnostics,
    ) -> Option<Object> {
        let prior = Record::read(&state, diags)?;
        let record = refresh(&ctx, &prior, diags).await;
        record.write::<F>(&mut state);
        Some(state)
    }

    async fn import(
        &self,
        ctx: Ctx<'_, ProviderState>,
        id: &str,
        diags: &mut Diagnostics,
    ) -> Option<Object> {
        let mut parts = id.splitn(3, ':');
        let (Some(first), Some(second), Some(principal)) =
            (parts.next(), parts.next(), parts.next())
        else {
            diags.push(Diagnostic::error(
                "Invalid import id",
                format!("expected {}, got {id:?}", F::IMPORT_ID_FORM),
            ));
            return None;
        };
        if first.is_empty() || second.is_empty() || !principal.contains(':') {
            diags.push(Diagnostic::error(
                "Invalid import id",
                format!(
                    "expected {} (the principal as Type:name), got {id:?}",
                    F::IMPORT_ID_FORM
                ),
            ));
            return None;
        }
        // Every attribute null, then the inputs of the id and the defaults.
        let mut state: Object = self
            .schema()
            .block
            .attributes
            .iter()
            .map(|attribute| (attribute.name.clone(), crate::tfplugin::Value::Null))
            .collect();
        state.extend(F::import_inputs(first, second, principal));
        F::fill_defaults(&mut state);
        let mut record = Record::default();
        for cluster in [first, second] {
            let admin = match ctx.provider.admin(cluster).await {
                Ok(admin) => admin,
                Err(diagnostic) => {
                    diags.push(diagnostic);
                    return None;
                }
            };
            match read_acls(&admin, cluster, &[principal.to_string()]).await {
                Ok(actual) => record.acls.extend(
                    actual
                        .iter()
                        .map(|(cluster, binding)| AclRow::new(cluster, binding, IMPORTED_REASON)),
                ),
                Err(error) => {
                    diags.push(kafka_diagnostic("Cannot read ACLs", &error));
                    return None;
                }
            }
        }
        if F::HAS_TOPICS {
            if let Some(Field::Known(inputs)) = F::decode(&state, diags) {
                // The topics the flow would use with default inputs; refresh keeps those
                // that exist, with their actual settings.
                record.topics = F::plan(&inputs).topics.iter().map(TopicRow::from).collect();
            }
        }
        ID.set(&mut state, &id.to_string());
        record.write::<F>(&mut state);
        Some(state)
    }
}

/// A [`Flow`] as a Terraform data source: the planned sets, without contacting a cluster.
pub struct FlowDataSource<F>(PhantomData<F>);

impl<F: Flow> FlowDataSource<F> {
    pub fn new() -> Self {
        FlowDataSource(PhantomData)
    }
}

impl<F: Flow> Default for FlowDataSource<F> {
    fn default() -> Self {
        Self::new()
    }
}

#[async_trait]
impl<F: Flow> DataSource<ProviderState> for FlowDataSource<F> {
    fn type_name(&self) -> &'static str {
        F::TYPE_NAME
    }

    fn schema(&self) -> Schema {
        schema_of::<F>(F::DATA_SOURCE_DESCRIPTION, false)
    }

    fn validate(&self, config: &Object, diags: &mut Diagnostics) {
        validate_config::<F>(config, diags);
    }

    async fn read(
        &self,
        _ctx: Ctx<'_, ProviderState>,
        mut config: Object,
        diags: &mut Diagnostics,
    ) -> Option<Object> {
        F::fill_defaults(&mut config);
        let Field::Known(inputs) = F::decode(&config, diags)? else {
            diags.push(Diagnostic::error(
                "Inputs not known",
                "every input must be known when the data source is read",
            ));
            return None;
        };
        let errors = F::validate(&inputs);
        if !errors.is_empty() {
            input_error_diagnostics(errors, diags);
            return None;
        }
        let desired = F::plan(&inputs);
        ID.set(&mut config, &F::id(&inputs));
        ACLS.set(
            &mut config,
            &desired.acls.iter().map(AclRow::from).collect(),
        );
        if F::HAS_TOPICS {
            INTERNAL_TOPICS.set(
                &mut config,
                &desired.topics.iter().map(TopicRow::from).collect(),
            );
        }
        Some(config)
    }
}
