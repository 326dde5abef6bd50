//! Kafka's timing: the admin API is eventually consistent. A broker answers DescribeAcls,
//! Metadata and DescribeConfigs from its own copy of the metadata log, which trails the
//! controller, so a read right after a write may not show it yet (Kafka's `Admin` javadoc:
//! ACL changes "may take some time to be reflected", new topics may take seconds to appear).
//!
//! The rules: a write's own per-item result (CreateAcls, DeleteAcls, CreateTopics,
//! IncrementalAlterConfigs) is the controller's acknowledgement and is trusted, never read
//! back. A read that must show what is known to exist (recorded bindings and topics, a topic
//! whose create answered TOPIC_ALREADY_EXISTS) is repeated while it does not, with waits
//! that grow ([`next_wait`]), up to a bound (the cluster's `timeout_seconds`); what the last
//! read shows then stands (it was deleted meanwhile: drift).

use foldhash::{HashMap, HashSet};
use std::collections::BTreeMap;
use std::time::Duration;

use super::reconcile::{ClusterBinding, ExistingTopic};

/// The wait before the second read; each further wait doubles, up to [`MAX_WAIT`].
pub const FIRST_WAIT: Duration = Duration::from_millis(50);
/// The longest wait between two reads.
pub const MAX_WAIT: Duration = Duration::from_secs(1);

/// How long to wait before read number `attempt + 2` (after `attempt + 1` reads that did
/// not show what they must), `elapsed` since the first read began; `None` once `bound` is
/// reached. A wait never ends past the bound.
pub fn next_wait(attempt: u32, elapsed: Duration, bound: Duration) -> Option<Duration> {
    let remaining = bound.checked_sub(elapsed).filter(|r| !r.is_zero())?;
    let grown = FIRST_WAIT.saturating_mul(2u32.saturating_pow(attempt.min(16)));
    Some(grown.min(MAX_WAIT).min(remaining))
}

/// The bindings known to exist (comparable keys) that a read of what is `held` (comparable
/// keys) does not show.
pub fn unseen_bindings<'a>(
    known: impl IntoIterator<Item = &'a ClusterBinding>,
    held: &HashSet<ClusterBinding>,
) -> Vec<&'a ClusterBinding> {
    known
        .into_iter()
        .filter(|key| !held.contains(*key))
        .collect()
}

/// What a read of one cluster's topics showed: `existing` by (cluster, name), and `unread`,
/// the listed ones whose configs it could not describe (a node that does not know a topic
/// yet answers DescribeConfigs with UNKNOWN_TOPIC_OR_PARTITION while another lists it).
#[derive(Debug, Clone, Copy)]
pub struct TopicsShown<'a> {
    pub cluster: &'a str,
    pub existing: &'a HashMap<(String, String), ExistingTopic>,
    pub unread: &'a HashSet<String>,
}

impl TopicsShown<'_> {
    /// The topic `name` when it was found and its configs described.
    pub fn get(&self, name: &str) -> Option<&ExistingTopic> {
        if self.unread.contains(name) {
            return None;
        }
        self.existing
            .get(&(self.cluster.to_string(), name.to_string()))
    }
}

/// The topics known to exist that the read does not show with their configs.
pub fn unseen_topics<'a>(
    known: impl IntoIterator<Item = &'a str>,
    shown: TopicsShown<'_>,
) -> Vec<&'a str> {
    known
        .into_iter()
        .filter(|name| shown.get(name).is_none())
        .collect()
}

/// The recorded topics (by name: sizes and the values of their recorded configs) that the
/// read does not show as recorded: missing, undescribed, or with other sizes or values. A
/// refresh reads again while any is left, since the record was written from acknowledged
/// writes.
pub fn topics_not_as_recorded<'a>(
    recorded: &'a BTreeMap<String, ExistingTopic>,
    shown: TopicsShown<'_>,
) -> Vec<&'a str> {
    recorded
        .iter()
        .filter(|(name, expected)| {
            shown.get(name).is_none_or(|found| {
                found.partitions != expected.partitions
                    || found.replication_factor != expected.replication_factor
                    || expected
                        .configs
                        .iter()
                        .any(|(key, value)| found.configs.get(key) != Some(value))
            })
        })
        .map(|(name, _)| name.as_str())
        .collect()
}

/// What one read of a claims topic showed (`ClaimsLog::read`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimsTopicShown {
    /// Listed, and read to its high watermarks.
    Listed,
    /// The node asked does not list the topic.
    Unlisted,
    /// Listed by the admin's node, but the reader's node knows no leader or offsets yet.
    LeaderUnknown,
}

/// What the controller says of the claims topic: a validate-only CreateTopics answers
/// TOPIC_ALREADY_EXISTS from the controller's own state and creates nothing (KRaft:
/// `ReplicationControlManager.createTopics` checks `topicsByName`, then drops the records
/// when `validateOnly`; ZooKeeper mode: `ZkAdminManager.createTopics`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AtController {
    Exists,
    Absent,
    /// No answer that says (refused, or a retriable error).
    Unknown,
}

/// What to do after a read of the claims topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimsReadNext {
    /// Use the records read.
    Use,
    /// There are no claims: the topic does not exist.
    Empty,
    /// Ask the controller whether the topic exists (once per read of the claims).
    AskController,
    /// Read again after a wait, within the bound; past it, an error (never empty claims: a
    /// lagging node must not make a claimant believe a sibling claims nothing).
    ReadAgain,
}

/// The claims read's rule under metadata lag. A topic the reader's node does not list is
/// empty claims only when the controller says it does not exist, or, without an answer
/// from the controller, when this resource's state records nothing it would have claimed
/// there (`state_claims_here` false).
pub fn claims_read_next(
    shown: ClaimsTopicShown,
    at_controller: Option<AtController>,
    state_claims_here: bool,
) -> ClaimsReadNext {
    match (shown, at_controller) {
        (ClaimsTopicShown::Listed, _) => ClaimsReadNext::Use,
        (ClaimsTopicShown::LeaderUnknown, _) => ClaimsReadNext::ReadAgain,
        (ClaimsTopicShown::Unlisted, None) => ClaimsReadNext::AskController,
        (ClaimsTopicShown::Unlisted, Some(AtController::Exists)) => ClaimsReadNext::ReadAgain,
        (ClaimsTopicShown::Unlisted, Some(AtController::Absent)) => ClaimsReadNext::Empty,
        (ClaimsTopicShown::Unlisted, Some(AtController::Unknown)) => {
            if state_claims_here {
                ClaimsReadNext::ReadAgain
            } else {
                ClaimsReadNext::Empty
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::acl::{AclBinding, Operation, PatternType, ResourceType};

    #[test]
    fn claims_are_empty_only_when_the_topic_is_known_not_to_exist() {
        use AtController::{Absent, Exists, Unknown};
        use ClaimsReadNext::{AskController, Empty, ReadAgain, Use};
        use ClaimsTopicShown::{LeaderUnknown, Listed, Unlisted};
        for (name, shown, at_controller, state_claims_here, next) in [
            ("listed", Listed, None, true, Use),
            ("listed, new resource", Listed, None, false, Use),
            (
                "leader not known yet",
                LeaderUnknown,
                None,
                false,
                ReadAgain,
            ),
            (
                "unlisted: ask the controller",
                Unlisted,
                None,
                false,
                AskController,
            ),
            (
                "unlisted: ask even when expected",
                Unlisted,
                None,
                true,
                AskController,
            ),
            (
                "exists at the controller",
                Unlisted,
                Some(Exists),
                false,
                ReadAgain,
            ),
            ("exists, expected", Unlisted, Some(Exists), true, ReadAgain),
            (
                "absent at the controller",
                Unlisted,
                Some(Absent),
                false,
                Empty,
            ),
            // Removed by hand, or a state from before the claims record: nothing to protect.
            (
                "absent although recorded",
                Unlisted,
                Some(Absent),
                true,
                Empty,
            ),
            (
                "no answer, state claims here",
                Unlisted,
                Some(Unknown),
                true,
                ReadAgain,
            ),
            (
                "no answer, nothing claimed",
                Unlisted,
                Some(Unknown),
                false,
                Empty,
            ),
        ] {
            assert_eq!(
                claims_read_next(shown, at_controller, state_claims_here),
                next,
                "{name}"
            );
        }
    }

    #[test]
    fn waits_grow_then_stay_at_the_maximum_and_never_pass_the_bound() {
        let bound = Duration::from_secs(10);
        let ms = Duration::from_millis;
        for (attempt, elapsed, expected) in [
            (0, ms(0), Some(ms(50))),
            (1, ms(60), Some(ms(100))),
            (2, ms(200), Some(ms(200))),
            (4, ms(1_000), Some(ms(800))),
            (5, ms(2_000), Some(ms(1_000))),
            (40, ms(3_000), Some(ms(1_000))),
            (3, ms(9_900), Some(ms(100))),
            (3, ms(10_000), None),
            (0, ms(12_000), None),
        ] {
            assert_eq!(
                next_wait(attempt, elapsed, bound),
                expected,
                "attempt {attempt}, {elapsed:?} elapsed"
            );
        }
        assert_eq!(
            next_wait(0, ms(0), Duration::ZERO),
            None,
            "no bound: one read"
        );
    }

    fn key(topic: &str) -> ClusterBinding {
        (
            "dr".to_string(),
            AclBinding::allow(
                "User:mm2",
                ResourceType::Topic,
                topic,
                PatternType::Literal,
                Operation::Read,
            ),
        )
    }

    #[test]
    fn recorded_bindings_a_read_does_not_show_are_unseen() {
        let known = [key("a"), key("b"), key("c")];
        for (held, unseen) in [
            (vec!["a", "b", "c"], vec![]),
            (vec!["a", "b", "c", "other"], vec![]),
            (vec!["a"], vec!["b", "c"]),
            (vec![], vec!["a", "b", "c"]),
        ] {
            let held: HashSet<ClusterBinding> = held.into_iter().map(key).collect();
            let expected: Vec<ClusterBinding> = unseen.into_iter().map(key).collect();
            let got: Vec<ClusterBinding> = unseen_bindings(&known, &held)
                .into_iter()
                .cloned()
                .collect();
            assert_eq!(got, expected, "held {held:?}");
        }
    }

    fn topic(partitions: i32, policy: Option<&str>) -> ExistingTopic {
        ExistingTopic {
            partitions,
            replication_factor: 3,
            configs: policy
                .map(|p| BTreeMap::from([("cleanup.policy".to_string(), p.to_string())]))
                .unwrap_or_default(),
        }
    }

    /// A read of cluster "dr": the topics found, and those of them left undescribed.
    type Read = (HashMap<(String, String), ExistingTopic>, HashSet<String>);

    fn read(found: &[(&str, ExistingTopic)], undescribed: &[&str]) -> Read {
        (
            found
                .iter()
                .map(|(name, t)| (("dr".to_string(), name.to_string()), t.clone()))
                .collect(),
            undescribed.iter().map(|n| n.to_string()).collect(),
        )
    }

    fn shown(read: &Read) -> TopicsShown<'_> {
        TopicsShown {
            cluster: "dr",
            existing: &read.0,
            unread: &read.1,
        }
    }

    #[test]
    fn a_topic_is_shown_once_found_and_described() {
        let compact = topic(1, Some("compact"));
        for (name, read, unseen) in [
            (
                "found and described",
                read(&[("t", compact.clone())], &[]),
                vec![],
            ),
            ("not yet listed", read(&[], &[]), vec!["t"]),
            (
                "listed, configs unknown to the node asked",
                read(&[("t", compact.clone())], &["t"]),
                vec!["t"],
            ),
        ] {
            assert_eq!(unseen_topics(["t"], shown(&read)), unseen, "{name}");
        }
    }

    #[test]
    fn recorded_topics_are_read_again_until_shown_as_recorded() {
        let recorded = BTreeMap::from([("t".to_string(), topic(1, Some("compact")))]);
        for (name, read, differs) in [
            (
                "as recorded",
                read(&[("t", topic(1, Some("compact")))], &[]),
                false,
            ),
            (
                "unrecorded configs are not compared",
                read(
                    &[(
                        "t",
                        ExistingTopic {
                            configs: BTreeMap::from([
                                ("cleanup.policy".to_string(), "compact".to_string()),
                                ("retention.ms".to_string(), "1".to_string()),
                            ]),
                            ..topic(1, None)
                        },
                    )],
                    &[],
                ),
                false,
            ),
            ("missing", read(&[], &[]), true),
            (
                "undescribed",
                read(&[("t", topic(1, Some("compact")))], &["t"]),
                true,
            ),
            (
                "other size",
                read(&[("t", topic(2, Some("compact")))], &[]),
                true,
            ),
            (
                "older value",
                read(&[("t", topic(1, Some("delete")))], &[]),
                true,
            ),
            ("value not shown", read(&[("t", topic(1, None))], &[]), true),
        ] {
            assert_eq!(
                topics_not_as_recorded(&recorded, shown(&read)) == vec!["t"],
                differs,
                "{name}"
            );
        }
    }
}
