//! The two Kafka clusters the resource end-to-end tests run against, `primary` (source) and
//! `dr` (target): by default two in-process test brokers (SASL SCRAM-SHA-512, authorizer on,
//! super user `User:admin`, 3 nodes), started once per test binary and shared by its tests;
//! with `KAFKAMIRROR_ACC_SOURCE_BOOTSTRAP` and `KAFKAMIRROR_ACC_TARGET_BOOTSTRAP` set (plus
//! `KAFKAMIRROR_ACC_SASL_MECHANISM` / `_USERNAME` / `_PASSWORD`, optional
//! `KAFKAMIRROR_ACC_REPLICATION_FACTOR`, default 3) real clusters. Tests isolate themselves
//! by unique principals, aliases and topic names ([`unique`]), so they can share clusters.
//!
//! Checks read the clusters, never Terraform state: broker snapshots for test brokers, the
//! provider's own admin layer (`kafkamirror::kafka`) for real clusters ([`eventually`] waits
//! for those to show what was written). [`lagging_clusters`] starts the test brokers with a
//! metadata lag.

use kafka_testbroker::{BrokerConfig, TestBroker};
use kafkamirror::kafka::config::{ClusterConnection, SaslMechanism, SaslSettings};
use kafkamirror::kafka::{AclFilter, KafkaAdmin, TopicLookup};
use kafkamirror::model::acl::AclBinding;
use kafkamirror::secret::Secret;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

/// Provider cluster keys of the two clusters.
pub const SOURCE: &str = "primary";
pub const TARGET: &str = "dr";

const TEST_BROKER_USER: &str = "admin";
const TEST_BROKER_PASSWORD: &str = "admin-secret-for-tests";

/// A topic as a cluster holds it: partitions, replication factor, topic-level cleanup.policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicState {
    pub partitions: i32,
    pub replication_factor: i16,
    pub cleanup_policy: Option<String>,
}

enum Backend {
    TestBrokers {
        source: TestBroker,
        target: TestBroker,
    },
    Real,
}

pub struct Clusters {
    runtime: tokio::runtime::Runtime,
    backend: Backend,
    bootstrap: BTreeMap<&'static str, String>,
    mechanism: String,
    username: String,
    password: String,
    replication_factor: i64,
}

/// The clusters of this test binary (started on first use).
pub fn clusters() -> &'static Clusters {
    static CLUSTERS: OnceLock<Clusters> = OnceLock::new();
    CLUSTERS.get_or_init(Clusters::start)
}

/// The clusters of this test binary with every test broker node's metadata up to `lag`
/// behind its controller (`TestBroker::set_metadata_lag`, as `--metadata-lag-ms`); real
/// clusters lag as they do. A binary uses this or [`clusters`], not both.
pub fn lagging_clusters(lag: Duration) -> &'static Clusters {
    static CLUSTERS: OnceLock<Clusters> = OnceLock::new();
    CLUSTERS.get_or_init(|| {
        let clusters = Clusters::start();
        if let Backend::TestBrokers { source, target } = &clusters.backend {
            source.set_metadata_lag(lag);
            target.set_metadata_lag(lag);
        }
        clusters
    })
}

/// Reads with `read` until it returns `expected` or 60 s have passed (real clusters answer
/// reads from metadata that trails their writes; test broker snapshots are the controller's
/// and current at once); returns the last read, for the caller to assert on.
pub fn eventually<T: PartialEq>(expected: &T, read: impl Fn() -> T) -> T {
    let bound = std::time::Instant::now() + Duration::from_secs(60);
    let mut wait = Duration::from_millis(50);
    loop {
        let value = read();
        if &value == expected || std::time::Instant::now() >= bound {
            return value;
        }
        std::thread::sleep(wait);
        wait = (wait * 2).min(Duration::from_secs(1));
    }
}

/// A name no other test (or earlier run against real clusters) uses.
pub fn unique(prefix: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "{prefix}{:x}{}",
        (nanos % 0xffff_ffff) as u64,
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

impl Clusters {
    fn start() -> Clusters {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("tokio runtime");
        let source = std::env::var("KAFKAMIRROR_ACC_SOURCE_BOOTSTRAP").ok();
        let target = std::env::var("KAFKAMIRROR_ACC_TARGET_BOOTSTRAP").ok();
        if let (Some(source), Some(target)) = (source, target) {
            let env = |key: &str, default: &str| {
                std::env::var(key).unwrap_or_else(|_| default.to_string())
            };
            return Clusters {
                runtime,
                backend: Backend::Real,
                bootstrap: BTreeMap::from([(SOURCE, source), (TARGET, target)]),
                mechanism: env("KAFKAMIRROR_ACC_SASL_MECHANISM", "SCRAM-SHA-512"),
                username: env("KAFKAMIRROR_ACC_SASL_USERNAME", "admin"),
                password: env("KAFKAMIRROR_ACC_SASL_PASSWORD", ""),
                replication_factor: env("KAFKAMIRROR_ACC_REPLICATION_FACTOR", "3")
                    .parse()
                    .expect("KAFKAMIRROR_ACC_REPLICATION_FACTOR is a number"),
            };
        }
        let config = BrokerConfig {
            nodes: 3,
            users: vec![(TEST_BROKER_USER.into(), TEST_BROKER_PASSWORD.into())],
            super_users: vec![format!("User:{TEST_BROKER_USER}")],
            authorizer: true,
            ..BrokerConfig::default()
        };
        let (source, target) = runtime.block_on(async {
            (
                TestBroker::start("127.0.0.1:0", config.clone())
                    .await
                    .expect("source broker"),
                TestBroker::start("127.0.0.1:0", config)
                    .await
                    .expect("target broker"),
            )
        });
        Clusters {
            bootstrap: BTreeMap::from([(SOURCE, source.bootstrap()), (TARGET, target.bootstrap())]),
            backend: Backend::TestBrokers { source, target },
            runtime,
            mechanism: "SCRAM-SHA-512".into(),
            username: TEST_BROKER_USER.into(),
            password: TEST_BROKER_PASSWORD.into(),
            replication_factor: 3,
        }
    }

    /// The replication factor internal topics can use on these clusters.
    pub fn replication_factor(&self) -> i64 {
        self.replication_factor
    }

    /// The `provider "kafkamirror"` block for both clusters.
    pub fn provider_hcl(&self) -> String {
        let mut hcl = String::from("provider \"kafkamirror\" {\n");
        for (key, bootstrap) in &self.bootstrap {
            hcl.push_str(&format!(
                "  cluster \"{key}\" {{\n    bootstrap_servers = [\"{bootstrap}\"]\n    timeout_seconds = 20\n    sasl {{\n      mechanism = \"{}\"\n      username  = \"{}\"\n      password  = \"{}\"\n    }}\n  }}\n",
                self.mechanism, self.username, self.password
            ));
        }
        hcl.push_str("}\n");
        hcl
    }

    fn connection(&self, key: &str) -> ClusterConnection {
        ClusterConnection {
            alias: key.to_string(),
            bootstrap_servers: vec![self.bootstrap[key].clone()],
            tls: None,
            sasl: Some(SaslSettings {
                mechanism: SaslMechanism::parse(&self.mechanism).expect("SASL mechanism"),
                username: self.username.clone(),
                password: Secret::new(self.password.clone()),
            }),
            oauth: None,
            principal: None,
            timeout: Duration::from_secs(20),
        }
    }

    fn admin(&self, key: &str) -> KafkaAdmin {
        self.runtime
            .block_on(KafkaAdmin::connect(&self.connection(key)))
            .unwrap_or_else(|e| panic!("cannot connect to {key}: {e}"))
    }

    fn broker(&self, key: &str) -> Option<&TestBroker> {
        match &self.backend {
            Backend::TestBrokers { source, target } => {
                Some(if key == SOURCE { source } else { target })
            }
            Backend::Real => None,
        }
    }

    /// Every binding of `principals` on cluster `key`, read from the cluster.
    pub fn acls_of(&self, key: &str, principals: &BTreeSet<String>) -> BTreeSet<AclBinding> {
        if let Some(broker) = self.broker(key) {
            return broker
                .acls()
                .into_iter()
                .filter(|record| principals.contains(&record.principal))
                .map(|record| AclBinding {
                    resource_type: record.resource_type.to_string().parse().unwrap(),
                    resource_name: record.name,
                    pattern_type: record.pattern_type.to_string().parse().unwrap(),
                    principal: record.principal,
                    host: record.host,
                    operation: record.operation.to_string().parse().unwrap(),
                    permission: record.permission.to_string().parse().unwrap(),
                })
                .collect();
        }
        let admin = self.admin(key);
        principals
            .iter()
            .flat_map(|principal| {
                self.runtime
                    .block_on(admin.describe_acls(&AclFilter::for_principal(principal)))
                    .expect("describe ACLs")
            })
            .collect()
    }

    /// The named topics that exist on cluster `key`.
    pub fn topics(&self, key: &str, names: &[String]) -> BTreeMap<String, TopicState> {
        if let Some(broker) = self.broker(key) {
            return broker
                .topics()
                .into_iter()
                .filter(|topic| names.contains(&topic.name))
                .map(|topic| {
                    let state = TopicState {
                        partitions: topic.partitions,
                        replication_factor: topic.replication_factor,
                        cleanup_policy: topic.configs.get("cleanup.policy").cloned(),
                    };
                    (topic.name, state)
                })
                .collect();
        }
        let admin = self.admin(key);
        let existing: Vec<_> = self
            .runtime
            .block_on(admin.describe_topics(names))
            .expect("describe topics")
            .into_iter()
            .filter_map(|lookup| match lookup {
                TopicLookup::Exists(topic) => Some(topic),
                TopicLookup::Missing { .. } => None,
            })
            .collect();
        let names: Vec<String> = existing.iter().map(|t| t.name.clone()).collect();
        let configs: BTreeMap<String, Option<String>> = self
            .runtime
            .block_on(admin.describe_topic_configs(&names))
            .expect("describe configs")
            .into_iter()
            .map(|(name, outcome)| {
                let policy = outcome
                    .ok()
                    .and_then(|c| c.entries.get("cleanup.policy").cloned())
                    .and_then(|entry| entry.value);
                (name, policy)
            })
            .collect();
        existing
            .into_iter()
            .map(|topic| {
                let state = TopicState {
                    partitions: topic.partitions as i32,
                    replication_factor: topic.replication_factor as i16,
                    cleanup_policy: configs.get(&topic.name).cloned().flatten(),
                };
                (topic.name, state)
            })
            .collect()
    }

    /// Creates a binding out of band (as another tool would).
    pub fn create_acl(&self, key: &str, binding: &AclBinding) {
        let admin = self.admin(key);
        let results = self
            .runtime
            .block_on(admin.create_acls(std::slice::from_ref(binding)))
            .expect("create ACL");
        assert_eq!(results, vec![Ok(())]);
    }

    /// Deletes a binding out of band (drift).
    pub fn delete_acl(&self, key: &str, binding: &AclBinding) {
        let admin = self.admin(key);
        let results = self
            .runtime
            .block_on(admin.delete_acls(&[AclFilter::exact(binding)]))
            .expect("delete ACL");
        assert_eq!(results.len(), 1);
        assert_eq!(results[0].as_ref().expect("deleted").len(), 1, "{binding}");
    }
}
