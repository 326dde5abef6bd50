//! Apply of one cluster's internal topics: create missing ones, fix managed configs,
//! report size conflicts (never recreate), delete them on destroy when asked.

use super::read::{cancelled, existing_topic_row, kafka_diagnostic, read_topics};
use super::rows::TopicRow;
use crate::clusters::Clusters;
use crate::kafka::{ConfigChange, KafkaAdmin, NewTopic, TopicConfigAlteration};
use crate::model::outcome::{
    topics_after_apply, topics_left_after_delete, DeleteFailure, TopicLeft, TopicProgress,
};
use crate::model::plan::InternalTopic;
use crate::model::reconcile::reconcile_topics;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use tfplugin::{Ctx, Diagnostic, Diagnostics};

/// Kafka's error for a topic that does not exist (`Errors.UNKNOWN_TOPIC_OR_PARTITION`).
const UNKNOWN_TOPIC_OR_PARTITION: &str = "UNKNOWN_TOPIC_OR_PARTITION";

/// Internal topics of one cluster: create missing ones with their configs, fix managed
/// configs, report size conflicts (never recreate). On destroy with `delete_topics`, delete
/// the recorded ones. Returns the topics as they exist.
pub(crate) async fn apply_cluster_topics(
    ctx: &Ctx<'_, Clusters>,
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
                let failures: BTreeMap<String, DeleteFailure> = outcomes
                    .into_iter()
                    .filter_map(|(name, outcome)| {
                        let error = outcome.err()?;
                        if error.name == UNKNOWN_TOPIC_OR_PARTITION {
                            return Some((name, DeleteFailure::AlreadyGone));
                        }
                        diags.push(Diagnostic::error(
                            "Cannot delete internal topic",
                            format!("cluster {cluster:?}: topic {name:?}: {error}"),
                        ));
                        Some((name, DeleteFailure::Other))
                    })
                    .collect();
                let left = topics_left_after_delete(names.iter().map(String::as_str), &failures);
                prior
                    .iter()
                    .filter(|row| left.contains(row.name.as_str()))
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
    let mut raced: Vec<String> = Vec::new();
    match admin.create_topics(&new_topics, false).await {
        Ok(outcomes) => {
            for (name, outcome) in outcomes {
                match outcome {
                    Ok(()) => {
                        created.insert(name);
                    }
                    Err(error) if error.name == "TOPIC_ALREADY_EXISTS" => raced.push(name),
                    Err(error) => {
                        diags.push(Diagnostic::error(
                            "Cannot create internal topic",
                            format!("cluster {cluster:?}: topic {name:?}: {error}"),
                        ));
                    }
                }
            }
        }
        Err(error) => {
            diags.push(kafka_diagnostic("Cannot create internal topics", &error));
        }
    }

    // Created since they were read: recorded as they exist.
    let raced = match read_topics(admin, cluster, &raced, &managed_keys).await {
        Ok(found) => found
            .into_iter()
            .map(|((_, name), topic)| (name, topic))
            .collect(),
        Err(error) => {
            diags.push(kafka_diagnostic("Cannot read internal topics", &error));
            HashMap::new()
        }
    };

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

    for conflict in &changes.conflicts {
        diags.push(Diagnostic::error(
            "Internal topic conflicts with the plan",
            conflict.to_string(),
        ));
    }
    let progress = TopicProgress {
        created,
        fixed,
        raced,
    };
    topics_after_apply(desired, &existing, &changes, &progress)
        .into_iter()
        .filter_map(|(topic, left)| match left {
            TopicLeft::AsPlanned => Some(TopicRow::from(topic)),
            TopicLeft::AsFound(found) => Some(existing_topic_row(&TopicRow::from(topic), found)),
            TopicLeft::Absent => None,
        })
        .collect()
}
