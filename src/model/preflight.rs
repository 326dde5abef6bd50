//! The plan-time verdicts on what the clusters hold, so apply does not fail halfway: the
//! self-lockout refusal, the pre-existing bindings worth a warning, replication factors the
//! brokers cannot meet. Pure: the caller reads the clusters and reports the verdicts.

use foldhash::{HashMap, HashSet};

use super::plan::InternalTopic;
use super::reconcile::{comparable, reconcile_acls, ClusterBinding, DesiredKeys, SelfLockout};

/// The ACL verdict of one plan: the apply would lock the provider out, or it would go ahead
/// and find these bindings already held that the state does not yet record as pre-existing
/// (sorted by cluster, then binding). Linear: the recorded ones are hashed once. Same inputs as [`reconcile_acls`]; `recorded_preexisting` in
/// comparable form.
pub fn acl_preflight(
    desired: &DesiredKeys<'_>,
    actual: &HashSet<ClusterBinding>,
    owned_before: &HashSet<ClusterBinding>,
    provider_principals: &HashMap<String, String>,
    recorded_preexisting: &[ClusterBinding],
) -> Result<Vec<ClusterBinding>, SelfLockout> {
    let changes = reconcile_acls(desired, actual, owned_before, provider_principals)?;
    let recorded: HashSet<&ClusterBinding> = recorded_preexisting.iter().collect();
    Ok(changes
        .preexisting
        .into_iter()
        .flat_map(|(cluster, bindings)| {
            bindings
                .into_iter()
                .map(move |binding| (cluster.clone(), binding))
        })
        .filter(|(cluster, binding)| !recorded.contains(&comparable(cluster, binding)))
        .collect())
}

/// A topic whose replication factor exceeds the cluster's broker count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicationShortfall<'a> {
    pub topic: &'a InternalTopic,
    pub needed: usize,
    pub brokers: usize,
}

/// The topics of one cluster that need more replicas than it has brokers.
pub fn replication_shortfalls(
    topics: &[InternalTopic],
    brokers: usize,
) -> Vec<ReplicationShortfall<'_>> {
    topics
        .iter()
        .filter_map(|topic| {
            let needed = usize::try_from(topic.replication_factor).unwrap_or(0);
            (needed > brokers).then_some(ReplicationShortfall {
                topic,
                needed,
                brokers,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::acl::{
        AclBinding, Operation, PatternType, ResourceType, CLUSTER_RESOURCE_NAME,
    };
    use crate::model::plan::ClusterAcl;
    use foldhash::{HashMapExt, HashSetExt};
    use std::collections::BTreeMap;

    fn read(principal: &str, topic: &str) -> ClusterBinding {
        (
            "a".to_string(),
            AclBinding::allow(
                principal,
                ResourceType::Topic,
                topic,
                PatternType::Literal,
                Operation::Read,
            ),
        )
    }

    fn desired(key: &ClusterBinding) -> ClusterAcl {
        ClusterAcl {
            cluster: key.0.clone(),
            binding: key.1.clone(),
            reason: "test".into(),
        }
    }

    #[test]
    fn warns_only_about_preexisting_bindings_the_state_does_not_record() {
        let (new, recorded, by_hand, owned) = (
            read("User:mm2", "new"),
            read("User:mm2", "recorded"),
            read("User:MM2", "by-hand"),
            read("User:mm2", "owned"),
        );
        let plan: Vec<ClusterAcl> = [&new, &recorded, &by_hand, &owned]
            .into_iter()
            .map(desired)
            .collect();
        let held: HashSet<_> =
            HashSet::from_iter([recorded.clone(), by_hand.clone(), owned.clone()]);
        let verdict = acl_preflight(
            &DesiredKeys::of(&plan),
            &held,
            &HashSet::from_iter([owned.clone()]),
            &HashMap::new(),
            &[comparable(&recorded.0, &recorded.1)],
        )
        .unwrap();
        assert_eq!(verdict, vec![by_hand]);
    }

    #[test]
    fn sixty_thousand_recorded_preexisting_bindings_leave_one_to_warn_about() {
        let recorded: Vec<ClusterBinding> = (0..60_000)
            .map(|i| read("User:mm2", &format!("topic-{i}")))
            .collect();
        let by_hand = read("User:mm2", "by-hand");
        let plan: Vec<ClusterAcl> = recorded.iter().chain([&by_hand]).map(desired).collect();
        let held: HashSet<ClusterBinding> = recorded.iter().chain([&by_hand]).cloned().collect();
        let verdict = acl_preflight(
            &DesiredKeys::of(&plan),
            &held,
            &HashSet::new(),
            &HashMap::new(),
            &recorded,
        )
        .unwrap();
        assert_eq!(verdict, vec![by_hand]);
    }

    #[test]
    fn a_lockout_is_the_verdict_before_any_warning() {
        let admin_alter = (
            "a".to_string(),
            AclBinding::allow(
                "User:admin",
                ResourceType::Cluster,
                CLUSTER_RESOURCE_NAME,
                PatternType::Literal,
                Operation::Alter,
            ),
        );
        let by_hand = read("User:mm2", "by-hand");
        let held: HashSet<_> = HashSet::from_iter([admin_alter.clone(), by_hand.clone()]);
        let guard = HashMap::from_iter([("a".to_string(), "User:admin".to_string())]);
        let refused = acl_preflight(
            &DesiredKeys::of(&[desired(&by_hand)]),
            &held,
            &HashSet::from_iter([admin_alter.clone()]),
            &guard,
            &[],
        )
        .unwrap_err();
        assert_eq!(refused.bindings, vec![admin_alter]);
    }

    #[test]
    fn replication_factors_above_the_broker_count_are_shortfalls() {
        let topic = |name: &str, rf: i16| InternalTopic {
            cluster: "a".into(),
            name: name.into(),
            partitions: 1,
            replication_factor: rf,
            configs: BTreeMap::new(),
            reason: "test".into(),
        };
        let topics = vec![topic("one", 1), topic("three", 3), topic("five", 5)];
        let short: Vec<(&str, usize)> = replication_shortfalls(&topics, 3)
            .into_iter()
            .map(|s| (s.topic.name.as_str(), s.needed))
            .collect();
        assert_eq!(short, vec![("five", 5)]);
        assert_eq!(replication_shortfalls(&topics, 1).len(), 2);
    }
}
