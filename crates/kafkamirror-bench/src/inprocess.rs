//! The measurements that need no Terraform: planning time as the topic list grows (is the rule
//! table linear?), and applying the same ACL set through the admin layer in one batched
//! CreateAcls per cluster versus one CreateAcls per binding, against in-process test brokers.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use futures_util::stream::{self, StreamExt, TryStreamExt};
use kafka_testbroker::{BrokerConfig, TestBroker};
use kafkamirror::kafka::config::{ClusterConnection, SaslMechanism, SaslSettings};
use kafkamirror::kafka::KafkaAdmin;
use kafkamirror::model::acl::AclBinding;
use kafkamirror::model::mm2::{plan_mm2, Mm2Inputs};
use kafkamirror::resources::acls::ACL_BATCH_LIMIT;
use kafkamirror::secret::Secret;

use crate::brokers::{ADMIN_PASSWORD, ADMIN_USER};
use crate::flows::topic_names;

/// Requests in flight at once in the per-binding run: Terraform's default `-parallelism`,
/// which bounds how many one-ACL resources it creates concurrently.
pub const PER_BINDING_CONCURRENCY: usize = 10;

/// The MM2 flow the in-process measurements plan: the bench's flow with `topics` topics.
pub fn mm2_inputs(topics: usize) -> Mm2Inputs {
    Mm2Inputs {
        topics: topic_names(topics),
        groups: vec!["orders-app".to_string()],
        ..Mm2Inputs::with_defaults("source", "target", "User:mm2")
    }
}

/// Median wall times of `plan_mm2` for `small` and for `large` topics over `repetitions`
/// runs each, alternating the two so drift in machine load hits both alike.
pub fn median_plan_times(small: usize, large: usize, repetitions: usize) -> (Duration, Duration) {
    let inputs = [mm2_inputs(small), mm2_inputs(large)];
    let mut times: [Vec<Duration>; 2] = [Vec::new(), Vec::new()];
    for _ in 0..repetitions {
        for (which, inputs) in inputs.iter().enumerate() {
            let started = Instant::now();
            let planned = plan_mm2(inputs);
            times[which].push(started.elapsed());
            std::hint::black_box(planned);
        }
    }
    let [mut small_times, mut large_times] = times;
    (median(&mut small_times), median(&mut large_times))
}

/// The middle value (upper middle for an even count). Panics on an empty list.
pub fn median(values: &mut [Duration]) -> Duration {
    values.sort();
    values[values.len() / 2]
}

/// One way of creating the ACL set: requests sent and time taken, over both clusters.
#[derive(Debug, Clone, Copy)]
pub struct AclApplyCost {
    pub create_acls_requests: u64,
    pub elapsed: Duration,
}

/// The same bindings applied batched and per binding, each on fresh brokers.
#[derive(Debug, Clone, Copy)]
pub struct AdminComparison {
    pub bindings: usize,
    pub batched: AclApplyCost,
    pub per_binding: AclApplyCost,
}

/// Applies the MM2 flow's ACLs for `topics` topics both ways.
pub async fn compare_batched_with_per_binding(topics: usize) -> Result<AdminComparison, String> {
    let mut by_cluster: BTreeMap<String, Vec<AclBinding>> = BTreeMap::new();
    for acl in plan_mm2(&mm2_inputs(topics)).acls {
        by_cluster.entry(acl.cluster).or_default().push(acl.binding);
    }
    let bindings = by_cluster.values().map(Vec::len).sum();
    let batched = apply_acls(&by_cluster, bindings).await?;
    let per_binding = apply_acls(&by_cluster, 1).await?;
    Ok(AdminComparison {
        bindings,
        batched,
        per_binding,
    })
}

/// Creates every cluster's bindings on a fresh broker per cluster, `batch_size` bindings per
/// CreateAcls request (at most [`PER_BINDING_CONCURRENCY`] requests in flight per cluster),
/// checks that every binding was accepted and stored, and counts the CreateAcls requests.
async fn apply_acls(
    by_cluster: &BTreeMap<String, Vec<AclBinding>>,
    batch_size: usize,
) -> Result<AclApplyCost, String> {
    let mut cost = AclApplyCost {
        create_acls_requests: 0,
        elapsed: Duration::ZERO,
    };
    for (alias, bindings) in by_cluster {
        let broker = TestBroker::start(
            "127.0.0.1:0",
            BrokerConfig {
                users: vec![(ADMIN_USER.to_string(), ADMIN_PASSWORD.to_string())],
                super_users: vec![format!("User:{ADMIN_USER}")],
                ..BrokerConfig::default()
            },
        )
        .await
        .map_err(|e| format!("cannot start an in-process broker: {e}"))?;
        let admin = connect_as_admin(alias, &broker.bootstrap()).await?;
        let before = create_acls_count(&broker);
        let started = Instant::now();
        let refused: usize = stream::iter(bindings.chunks(batch_size.max(1)))
            .map(|chunk| admin.create_acls(chunk))
            .buffer_unordered(PER_BINDING_CONCURRENCY)
            .map_ok(|results| results.iter().filter(|r| r.is_err()).count())
            .try_fold(0, |total, refused| async move { Ok(total + refused) })
            .await
            .map_err(|e| e.to_string())?;
        cost.elapsed += started.elapsed();
        cost.create_acls_requests += create_acls_count(&broker) - before;
        let stored = broker.acls().len();
        broker.shutdown().await;
        if refused > 0 || stored != bindings.len() {
            return Err(format!(
                "cluster {alias}: {refused} bindings refused, {stored} of {} stored",
                bindings.len()
            ));
        }
    }
    Ok(cost)
}

/// An admin client for one broker, as the bench's super user.
async fn connect_as_admin(alias: &str, bootstrap: &str) -> Result<KafkaAdmin, String> {
    KafkaAdmin::connect(&ClusterConnection {
        alias: alias.to_string(),
        bootstrap_servers: vec![bootstrap.to_string()],
        tls: None,
        sasl: Some(SaslSettings {
            mechanism: SaslMechanism::ScramSha256,
            username: ADMIN_USER.to_string(),
            password: Secret::new(ADMIN_PASSWORD),
        }),
        oauth: None,
        principal: None,
        timeout: Duration::from_secs(120),
    })
    .await
    .map_err(|e| e.to_string())
}

/// Creates every binding the bench's MM2 flow needs for `topics` topics on the two brokers
/// (`source` and `target` bootstrap addresses), in batches as the provider would; returns how
/// many bindings were created.
pub async fn seed_mm2_bindings(topics: usize, source: &str, target: &str) -> Result<usize, String> {
    let mut by_cluster: BTreeMap<String, Vec<AclBinding>> = BTreeMap::new();
    for acl in plan_mm2(&mm2_inputs(topics)).acls {
        by_cluster.entry(acl.cluster).or_default().push(acl.binding);
    }
    let mut created = 0;
    for (alias, bindings) in &by_cluster {
        let bootstrap = match alias.as_str() {
            "source" => source,
            "target" => target,
            other => return Err(format!("the bench's flow has no cluster {other:?}")),
        };
        let admin = connect_as_admin(alias, bootstrap).await?;
        for chunk in bindings.chunks(ACL_BATCH_LIMIT) {
            let results = admin.create_acls(chunk).await.map_err(|e| e.to_string())?;
            let refused = results.iter().filter(|r| r.is_err()).count();
            if refused > 0 {
                return Err(format!(
                    "cluster {alias}: {refused} seeded bindings refused"
                ));
            }
            created += chunk.len();
        }
    }
    Ok(created)
}

fn create_acls_count(broker: &TestBroker) -> u64 {
    broker
        .hooks()
        .counts()
        .get("CreateAcls")
        .copied()
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_takes_the_middle_value() {
        let ms = Duration::from_millis;
        assert_eq!(median(&mut [ms(5), ms(1), ms(3)]), ms(3));
        assert_eq!(median(&mut [ms(4), ms(1), ms(3), ms(2)]), ms(3));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn both_ways_store_the_same_bindings_with_the_expected_request_counts() {
        let comparison = compare_batched_with_per_binding(3).await.unwrap();
        assert!(comparison.bindings > 6, "{comparison:?}");
        assert_eq!(comparison.batched.create_acls_requests, 2, "{comparison:?}");
        assert_eq!(
            comparison.per_binding.create_acls_requests, comparison.bindings as u64,
            "{comparison:?}"
        );
    }
}
