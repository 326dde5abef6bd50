//! Reading what the clusters hold (connections, bindings of principals, topics with
//! their managed configs) and the diagnostics shared by apply, refresh and preflight.

use super::rows::TopicRow;
use crate::clusters::Clusters;
use crate::kafka::{KafkaAdmin, KafkaError, TopicLookup};
use crate::model::acl::AclBinding;
use crate::model::reconcile::{ClusterBinding, ExistingTopic};
use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use tfplugin::{Ctx, Diagnostic, Diagnostics};

/// The provider's own principal on `cluster`, when known, for the self-lockout guard.
pub(crate) fn lockout_guard(provider: &Clusters, cluster: &str) -> HashMap<String, String> {
    provider
        .provider_principal(cluster)
        .map(|principal| HashMap::from_iter([(cluster.to_string(), principal)]))
        .unwrap_or_default()
}

pub(crate) fn principals_of<'a>(principals: impl Iterator<Item = &'a str>) -> Vec<String> {
    let unique: BTreeSet<&str> = principals.collect();
    unique.into_iter().map(str::to_string).collect()
}

/// What one cluster holds for the given principals, as comparable keys plus the bindings
/// exactly as the cluster holds them (for reconcile's delete filters). `expected_bindings`
/// (planned plus recorded; `None` when unknown) lets the admin layer read small answers in
/// one request per principal.
pub(crate) async fn read_acls(
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
pub(crate) async fn read_bindings(
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

/// What [`read_topics`] found on one cluster.
#[derive(Debug, Default)]
pub(crate) struct TopicsRead {
    /// The topics that exist, by (cluster key, name), with the managed configs they have.
    pub existing: HashMap<(String, String), ExistingTopic>,
    /// Existing topics whose configs Kafka did not describe (each reported as an error):
    /// unknown, so neither fixed nor recorded anew.
    pub unread: HashSet<String>,
}

/// The named topics that exist on one cluster, with the configs the provider manages. A
/// topic whose configs cannot be read is an error diagnostic naming it and Kafka's error.
pub(crate) async fn read_topics(
    admin: &KafkaAdmin,
    cluster: &str,
    names: &[String],
    managed_keys: &BTreeSet<String>,
    diags: &mut Diagnostics,
) -> Result<TopicsRead, KafkaError> {
    if names.is_empty() {
        return Ok(TopicsRead::default());
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
    let mut unread = HashSet::new();
    for (name, outcome) in admin.describe_topic_configs(&existing_names).await? {
        match outcome {
            Ok(described) => {
                let managed = described
                    .entries
                    .into_iter()
                    .filter(|(key, _)| managed_keys.contains(key))
                    .filter_map(|(key, entry)| entry.value.map(|value| (key, value)))
                    .collect();
                configs.insert(name, managed);
            }
            Err(error) => {
                diags.push(Diagnostic::error(
                    "Cannot read internal topic configs",
                    format!(
                        "cluster {cluster:?}: topic {name:?}: DescribeConfigs answered {error}"
                    ),
                ));
                unread.insert(name);
            }
        }
    }
    let existing = existing
        .into_iter()
        .filter(|topic| !unread.contains(&topic.name))
        .map(|topic| {
            let existing = ExistingTopic {
                partitions: i32::try_from(topic.partitions).unwrap_or(i32::MAX),
                replication_factor: i16::try_from(topic.replication_factor).unwrap_or(i16::MAX),
                configs: configs.remove(&topic.name).unwrap_or_default(),
            };
            ((cluster.to_string(), topic.name), existing)
        })
        .collect();
    Ok(TopicsRead { existing, unread })
}

/// The state row of an existing topic: actual sizes, actual values of the managed configs.
pub(crate) fn existing_topic_row(row: &TopicRow, existing: &ExistingTopic) -> TopicRow {
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

pub(crate) fn kafka_diagnostic(summary: &str, error: &KafkaError) -> Diagnostic {
    Diagnostic::error(summary, error.to_string())
}

pub(crate) fn cancelled(cluster: &str) -> Diagnostic {
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
pub(crate) async fn connect_all(
    ctx: &Ctx<'_, Clusters>,
    clusters: impl IntoIterator<Item = String>,
) -> Vec<(String, Result<Arc<KafkaAdmin>, Diagnostic>)> {
    let clusters: Vec<String> = clusters.into_iter().collect();
    let connections =
        futures_util::future::join_all(clusters.iter().map(|c| ctx.provider.admin(c))).await;
    clusters.into_iter().zip(connections).collect()
}
