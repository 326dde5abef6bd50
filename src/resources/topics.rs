//! Apply of one cluster's internal topics: create missing ones, fix managed configs,
//! report size conflicts (never recreate), delete them on destroy when asked.

use super::read::{cancelled, existing_topic_row, kafka_diagnostic, read_topics};
use super::rows::TopicRow;
use crate::clusters::Clusters;
use crate::kafka::{ConfigChange, KafkaAdmin, NewTopic, TopicConfigAlteration};
use crate::model::plan::InternalTopic;
use crate::model::reconcile::reconcile_topics;
use crate::tfplugin::{Ctx, Diagnostic, Diagnostics};
use std::collections::{BTreeMap, BTreeSet, HashSet};

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
    desired
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
        .collect()
}
