//! kafka-testbroker: a single-process broker that speaks the Kafka wire protocol for the
//! admin APIs kafkamirror uses (topics, configs, ACLs, SASL) with Apache Kafka's validation,
//! error codes and standard-authorizer semantics, plus hooks for fault injection.
//!
//! In-process use:
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use kafka_testbroker::{BrokerConfig, TestBroker};
//! let broker = TestBroker::start("127.0.0.1:0", BrokerConfig::default()).await?;
//! let bootstrap = broker.bootstrap(); // "127.0.0.1:PORT"
//! # let _ = bootstrap;
//! broker.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! Without an authorizer (`authorizer: false`) the ACL APIs answer SECURITY_DISABLED and no
//! request is authorization-checked (everything is allowed), as in Kafka with no
//! `authorizer.class.name`. ACL codes are Kafka's `i8` wire codes, see [`acl`].

pub mod acl;
mod batch;
mod configs;
mod handlers;
pub mod hooks;
mod lag;
mod log;
mod sasl;
mod server;
mod state;

pub use acl::{AclOperation, AclPermission, AclRecord, PatternType, ResourceType};
pub use hooks::Hooks;
pub use log::StoredRecord;

use state::{Shared, Topic};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// Largest request frame the broker accepts, Kafka's `socket.request.max.bytes` default; a
/// larger frame closes the connection, as in Kafka.
pub const MAX_REQUEST_BYTES: usize = 100 * 1024 * 1024;

/// How to run a broker. `Debug` masks the passwords.
#[derive(Clone, PartialEq, Eq)]
pub struct BrokerConfig {
    /// Brokers advertised in Metadata (ids 1..=nodes, all at the listener address).
    pub nodes: i32,
    /// SASL users `(name, password)`; non-empty makes the listener SASL_PLAINTEXT with
    /// PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512; empty means PLAINTEXT (`User:ANONYMOUS`).
    pub users: Vec<(String, String)>,
    /// Principals allowed everything, e.g. `"User:admin"`.
    pub super_users: Vec<String>,
    /// `false`: no authorizer (ACL APIs answer SECURITY_DISABLED, nothing is checked).
    pub authorizer: bool,
}

impl std::fmt::Debug for BrokerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let users: Vec<(&str, &str)> = self
            .users
            .iter()
            .map(|(name, _)| (name.as_str(), "***"))
            .collect();
        f.debug_struct("BrokerConfig")
            .field("nodes", &self.nodes)
            .field("users", &users)
            .field("super_users", &self.super_users)
            .field("authorizer", &self.authorizer)
            .finish()
    }
}

impl Default for BrokerConfig {
    fn default() -> Self {
        BrokerConfig {
            nodes: 3,
            users: Vec::new(),
            super_users: Vec::new(),
            authorizer: true,
        }
    }
}

/// A topic snapshot for assertions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicRecord {
    pub name: String,
    pub partitions: i32,
    pub replication_factor: i16,
    /// Replica broker ids per partition, as given in CreateTopics/CreatePartitions or placed
    /// by the broker; the first of each leads.
    pub assignments: Vec<Vec<i32>>,
    /// Topic-level overrides only.
    pub configs: BTreeMap<String, String>,
}

/// A running broker; dropping it without [`TestBroker::shutdown`] also stops accepting.
#[derive(Debug)]
pub struct TestBroker {
    shared: Arc<Shared>,
    addr: SocketAddr,
    accept_task: JoinHandle<()>,
}

impl TestBroker {
    /// Binds `listen` (e.g. `"127.0.0.1:0"`) and serves until shut down.
    pub async fn start(listen: &str, config: BrokerConfig) -> std::io::Result<TestBroker> {
        Self::start_with_stats(listen, config, None).await
    }

    /// As [`TestBroker::start`], also writing the request counts as JSON
    /// (`{"ApiName": count}`) to `stats_file` after every request.
    pub async fn start_with_stats(
        listen: &str,
        config: BrokerConfig,
        stats_file: Option<PathBuf>,
    ) -> std::io::Result<TestBroker> {
        if config.nodes < 1 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "nodes must be at least 1",
            ));
        }
        let listener = TcpListener::bind(listen).await?;
        let addr = listener.local_addr()?;
        let host = if addr.ip().is_unspecified() {
            "127.0.0.1".to_string()
        } else {
            addr.ip().to_string()
        };
        let shared = Arc::new(Shared::new(
            config,
            stats_file,
            (host, i32::from(addr.port())),
        ));
        shared.write_stats();
        let accept_task = tokio::spawn(server::accept_loop(listener, shared.clone()));
        Ok(TestBroker {
            shared,
            addr,
            accept_task,
        })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `"HOST:PORT"` for a client's bootstrap servers.
    pub fn bootstrap(&self) -> String {
        format!("{}:{}", self.shared.advertised.0, self.addr.port())
    }

    /// Makes the nodes trail the controller by up to `lag` (`--metadata-lag-ms`, see the
    /// README): writes are acknowledged once committed, reads (Metadata, DescribeAcls,
    /// DescribeConfigs, the data APIs' topic lookups and authorization) see them up to
    /// `lag` later, depending on the node serving the connection. `Duration::ZERO` (the
    /// default) makes every read current again. What is committed now is on every node.
    /// The in-process snapshots ([`TestBroker::acls`], [`TestBroker::topics`]) always show
    /// the controller's state.
    pub fn set_metadata_lag(&self, lag: std::time::Duration) {
        self.shared.set_metadata_lag(lag);
    }

    /// Request counts and fault injection.
    pub fn hooks(&self) -> &Hooks {
        self.shared.hooks()
    }

    /// Stops accepting connections and closes the open ones.
    pub async fn shutdown(mut self) {
        self.shared.begin_shutdown();
        self.accept_task.abort();
        let _ = (&mut self.accept_task).await;
    }

    /// All stored ACL bindings, in creation order.
    pub fn acls(&self) -> Vec<AclRecord> {
        self.shared.state().acls.clone()
    }

    /// All topics, by name.
    pub fn topics(&self) -> Vec<TopicRecord> {
        self.shared
            .state()
            .topics
            .iter()
            .map(|(name, t)| TopicRecord {
                name: name.clone(),
                partitions: t.partitions,
                replication_factor: t.replication_factor,
                assignments: t.assignments.clone(),
                configs: t.configs.clone(),
            })
            .collect()
    }

    /// Every record produced to `topic` (uncompressed batches), by partition then offset;
    /// empty for an unknown topic. Nothing is compacted away.
    pub fn records(&self, topic: &str) -> Vec<StoredRecord> {
        let id = self.shared.state().topics.get(topic).map(|t| t.id);
        id.map_or_else(Vec::new, |id| self.shared.logs().records(id))
    }

    /// Stores a binding without a client (no validation; an identical binding is not duplicated).
    pub fn add_acl(&self, binding: AclRecord) {
        let mut state = self.shared.state();
        if !state.acls.contains(&binding) {
            state.acls.push(binding);
        }
    }

    /// Removes a stored binding without a client, as an out-of-band change would; whether
    /// it was there.
    pub fn remove_acl(&self, binding: &AclRecord) -> bool {
        let mut state = self.shared.state();
        let before = state.acls.len();
        state.acls.retain(|stored| stored != binding);
        state.acls.len() != before
    }

    /// Creates (or replaces) a topic without a client.
    pub fn create_topic_direct(
        &self,
        name: &str,
        partitions: i32,
        replication_factor: i16,
        configs: BTreeMap<String, String>,
    ) {
        let topic = Topic {
            id: uuid::Uuid::from_u128(state::random_u128()),
            partitions,
            replication_factor,
            assignments: state::place(self.shared.config.nodes, 0, partitions, replication_factor),
            configs,
        };
        self.shared.state().topics.insert(name.to_string(), topic);
    }
}

impl Drop for TestBroker {
    fn drop(&mut self) {
        self.shared.begin_shutdown();
        self.accept_task.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_masks_passwords() {
        let config = BrokerConfig {
            users: vec![("alice".into(), "s3cret".into())],
            ..BrokerConfig::default()
        };
        let shown = format!("{config:?}");
        assert!(
            shown.contains("alice") && !shown.contains("s3cret"),
            "{shown}"
        );
    }
}
