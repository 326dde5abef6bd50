//! Reading what the clusters hold (connections, bindings of principals, topics with
//! their managed configs) and the diagnostics shared by apply, refresh and preflight.

use super::rows::TopicRow;
use crate::clusters::Clusters;
use crate::kafka::{KafkaAdmin, KafkaError, TopicLookup};
use crate::model::acl::AclBinding;
use crate::model::reconcile::{ClusterBinding, ExistingTopic};
use crate::model::timing::TopicsRead;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;
use tfplugin::{Ctx, Diagnostic};

/// The provider's own principal on `cluster`, when known, for the self-lockout guard.
pub(crate) fn lockout_guard(provider: &Clusters, cluster: &str) -> HashMap<String, String> {
    provider
        .provider_principal(cluster)
        .map(|principal| HashMap::from([(cluster.to_string(), principal)]))
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

/// The named topics that exist on one cluster, with the configs the provider manages.
pub(crate) async fn read_topics(
    admin: &KafkaAdmin,
    cluster: &str,
    names: &[String],
    managed_keys: &BTreeSet<String>,
) -> Result<HashMap<(String, String), ExistingTopic>, KafkaError> {
    Ok(read_cluster_topics(admin, names, managed_keys)
        .await?
        .found
        .into_iter()
        .map(|(name, topic)| ((cluster.to_string(), name), topic))
        .collect())
}

/// [`read_topics`] by name, telling apart the found topics whose configs could not be
/// described (their managed configs then read as unset).
pub(crate) async fn read_cluster_topics(
    admin: &KafkaAdmin,
    names: &[String],
    managed_keys: &BTreeSet<String>,
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
    let mut read = TopicsRead::default();
    for topic in existing {
        let described = configs.remove(&topic.name);
        if described.is_none() {
            read.undescribed.insert(topic.name.clone());
        }
        let existing = ExistingTopic {
            partitions: i32::try_from(topic.partitions).unwrap_or(i32::MAX),
            replication_factor: i16::try_from(topic.replication_factor).unwrap_or(i16::MAX),
            configs: described.unwrap_or_default(),
        };
        read.found.insert(topic.name, existing);
    }
    Ok(read)
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
