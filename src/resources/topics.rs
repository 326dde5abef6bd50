//! Apply of one cluster's internal topics: create missing ones (adopting those that appear
//! meanwhile with the planned settings), fix managed configs, report size conflicts (never
//! recreate), delete them on destroy when asked and no other claimant needs them.

use super::read::{cancelled, existing_topic_row, kafka_diagnostic};
use super::rows::TopicRow;
use super::settle::{read_bound, read_topics_quietly, read_until, shown};
use crate::clusters::Clusters;
use crate::kafka::{ConfigChange, KafkaAdmin, NewTopic, TopicConfigAlteration};
use crate::model::outcome::{
    topics_after_apply, topics_left_after_delete, DeleteFailure, TopicLeft, TopicProgress,
};
use crate::model::ownership::adoptable;
use crate::model::plan::InternalTopic;
use crate::model::reconcile::reconcile_topics;
use crate::model::timing::unseen_topics;
use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};
use std::collections::{BTreeMap, BTreeSet};
use tfplugin::{Ctx, Diagnostic, Diagnostics};

/// Kafka's error for a topic that does not exist (`Errors.UNKNOWN_TOPIC_OR_PARTITION`).
const UNKNOWN_TOPIC_OR_PARTITION: &str = "UNKNOWN_TOPIC_OR_PARTITION";

/// Which recorded topics a destroy deletes.
pub(crate) enum TopicDeletes<'a> {
    None,
    /// Every recorded one (`ownership = "state"`).
    All,
    /// Those no other claimant needs (claims ownership).
    Only(HashSet<&'a str>),
}

/// What one cluster's topic apply did.
pub(crate) struct TopicsApplied {
    /// The topics as they exist, for the state.
    pub rows: BTreeSet<TopicRow>,
    /// Topics deleted (their recorded rows) and those whose delete failed.
    pub deleted: Vec<TopicRow>,
    pub failed_deletes: Vec<String>,
}

impl TopicsApplied {
    fn rows(rows: BTreeSet<TopicRow>) -> Self {
        TopicsApplied {
            rows,
            deleted: Vec::new(),
            failed_deletes: Vec::new(),
        }
    }
}

/// Internal topics of one cluster: create missing ones with their configs (adopting those
/// created meanwhile with the planned settings), fix managed configs, report size
/// conflicts (never recreate). `create_also`: listed topics newly claimed here, created
/// again unless they conflict (TOPIC_ALREADY_EXISTS while they exist; created when the
/// listing was a lagging node's and they were deleted meanwhile). On destroy, delete the
/// recorded ones `deletes` allows. Returns the topics as they exist.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn apply_cluster_topics(
    ctx: &Ctx<'_, Clusters>,
    admin: &KafkaAdmin,
    cluster: &str,
    desired: &[InternalTopic],
    prior: &BTreeSet<TopicRow>,
    deletes: TopicDeletes<'_>,
    create_also: &HashSet<&str>,
    diags: &mut Diagnostics,
) -> TopicsApplied {
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
            return TopicsApplied::rows(BTreeSet::new());
        }
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
                let (kept, deleted): (Vec<&TopicRow>, Vec<&TopicRow>) = doomed
                    .into_iter()
                    .partition(|row| left.contains(row.name.as_str()));
                TopicsApplied {
                    failed_deletes: kept.iter().map(|row| row.name.clone()).collect(),
                    rows: kept.into_iter().cloned().collect(),
                    deleted: deleted.into_iter().cloned().collect(),
                }
            }
            Err(error) => {
                diags.push(kafka_diagnostic("Cannot delete internal topics", &error));
                TopicsApplied {
                    rows: doomed.iter().map(|row| (*row).clone()).collect(),
                    deleted: Vec::new(),
                    failed_deletes: names,
                }
            }
        };
    }
    if desired.is_empty() {
        return TopicsApplied::rows(BTreeSet::new());
    }
    if ctx.cancel.is_cancelled() {
        diags.push(cancelled(cluster));
        return TopicsApplied::rows(prior.clone());
    }
    let names: Vec<String> = desired.iter().map(|t| t.name.clone()).collect();
    let managed_keys: BTreeSet<String> = desired
        .iter()
        .flat_map(|t| t.configs.keys().cloned())
        .collect();
    // A topic listed whose configs a node cannot describe yet (created a moment ago) is read
    // again, within the bound.
    let read = read_until(
        ctx,
        read_bound(ctx, cluster),
        || read_topics_quietly(admin, cluster, &names, &managed_keys),
        |(read, _)| read.unread.is_empty(),
    );
    let read = match read.await {
        Ok((read, read_diags)) => {
            diags.extend(read_diags);
            read
        }
        Err(error) => {
            diags.push(kafka_diagnostic("Cannot read internal topics", &error));
            return TopicsApplied::rows(prior.clone());
        }
    };
    // Topics whose configs could not be read are left alone and stay as recorded.
    let checked: Vec<InternalTopic> = desired
        .iter()
        .filter(|topic| !read.unread.contains(&topic.name))
        .cloned()
        .collect();
    let existing = read.existing;
    let changes = reconcile_topics(&checked, &existing);

    let conflicting: HashSet<&str> = changes
        .conflicts
        .iter()
        .map(|conflict| conflict.name.as_str())
        .collect();
    let listed_also: HashSet<&str> = checked
        .iter()
        .map(|topic| topic.name.as_str())
        .filter(|name| {
            create_also.contains(name)
                && !conflicting.contains(name)
                && existing.contains_key(&(cluster.to_string(), name.to_string()))
        })
        .collect();
    let new_topics: Vec<NewTopic> = changes
        .to_create
        .get(cluster)
        .into_iter()
        .flatten()
        .chain(
            checked
                .iter()
                .filter(|topic| listed_also.contains(topic.name.as_str())),
        )
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
                    // Listed and still there: as read.
                    Err(error)
                        if error.name == "TOPIC_ALREADY_EXISTS"
                            && listed_also.contains(name.as_str()) => {}
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

    // Created since they were read (the controller says they exist): read until they show,
    // then recorded as they exist.
    let raced_read = read_until(
        ctx,
        read_bound(ctx, cluster),
        || read_topics_quietly(admin, cluster, &raced, &managed_keys),
        |(read, _)| {
            unseen_topics(raced.iter().map(String::as_str), shown(cluster, read)).is_empty()
        },
    );
    let raced = match raced_read.await {
        Ok((raced_read, read_diags)) => {
            diags.extend(read_diags);
            raced_read
                .existing
                .into_iter()
                .map(|((_, name), topic)| (name, topic))
                .collect()
        }
        Err(error) => {
            diags.push(kafka_diagnostic("Cannot read internal topics", &error));
            HashMap::new()
        }
    };
    // Created meanwhile with settings other than the plan's: an error naming both (they are
    // recorded as they exist).
    for (name, found) in &raced {
        if let Some(topic) = desired.iter().find(|topic| &topic.name == name) {
            if let Err(differences) = adoptable(topic, found) {
                diags.push(Diagnostic::error(
                    "Internal topic created meanwhile with other settings",
                    format!(
                        "cluster {cluster:?}: topic {name:?} was created by someone else between \
                         plan and apply, with settings other than the plan's ({}); the provider \
                         does not recreate topics: change it by hand or adjust the inputs",
                        differences.join("; ")
                    ),
                ));
            }
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
    let rows = topics_after_apply(&checked, &existing, &changes, &progress)
        .into_iter()
        .filter_map(|(topic, left)| match left {
            TopicLeft::AsPlanned => Some(TopicRow::from(topic)),
            TopicLeft::AsFound(found) => Some(existing_topic_row(&TopicRow::from(topic), found)),
            TopicLeft::Absent => None,
        })
        .chain(
            prior
                .iter()
                .filter(|row| read.unread.contains(&row.name))
                .cloned(),
        )
        .collect();
    TopicsApplied::rows(rows)
}
