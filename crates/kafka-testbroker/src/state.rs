//! The broker's shared state: configuration, credentials, hooks, topics, ACLs and dynamic
//! broker configs (the controller's, always current), the nodes' lagging copies of them
//! ([`crate::lag`]), partition logs, plus the authorization entry point the handlers use.

use crate::acl::{self, AclOperation, AclRecord, AuthorizerConfig, RequestContext, ResourceType};
use crate::configs::BrokerDynamicConfigs;
use crate::hooks::Hooks;
use crate::lag::Replay;
use crate::log::Logs;
use crate::sasl::Credentials;
use crate::BrokerConfig;
use std::collections::BTreeMap;
use std::ops::{Deref, DerefMut};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// A topic as the broker stores it.
#[derive(Debug, Clone)]
pub(crate) struct Topic {
    pub id: Uuid,
    pub partitions: i32,
    pub replication_factor: i16,
    /// Replica broker ids per partition, the first the preferred leader (every broker is
    /// always up, so it leads).
    pub assignments: Vec<Vec<i32>>,
    /// Topic-level overrides only (DYNAMIC_TOPIC_CONFIG).
    pub configs: BTreeMap<String, String>,
}

/// Everything clients can change.
#[derive(Debug, Default, Clone)]
pub(crate) struct ClusterState {
    pub topics: BTreeMap<String, Topic>,
    /// In creation order, without duplicates.
    pub acls: Vec<AclRecord>,
    pub broker_configs: BrokerDynamicConfigs,
}

/// State shared by the listener, every connection and the in-process handle.
#[derive(Debug)]
pub(crate) struct Shared {
    pub config: BrokerConfig,
    credentials: Credentials,
    hooks: Hooks,
    state: Mutex<ClusterState>,
    /// Commits the nodes have not all applied yet; locked after `state`, never before.
    replay: Mutex<Replay<ClusterState>>,
    /// Spreads connections over the nodes.
    next_node: AtomicU32,
    /// Partition data, apart from the metadata; never locked while `state` is wanted.
    logs: Mutex<Logs>,
    /// Counts appends, so a waiting Fetch wakes when data arrives.
    appended: tokio::sync::watch::Sender<u64>,
    /// Locked while the file is written, so concurrent requests cannot interleave the
    /// temporary-file-then-rename steps (a lost rename left a stale count behind).
    stats_file: Option<Mutex<PathBuf>>,
    pub cluster_id: String,
    /// Host and port advertised in Metadata for every node.
    pub advertised: (String, i32),
    /// Flips to `true` when the broker shuts down; connections watch it.
    shutdown: tokio::sync::watch::Sender<bool>,
}

impl Shared {
    pub fn new(
        config: BrokerConfig,
        stats_file: Option<PathBuf>,
        advertised: (String, i32),
    ) -> Self {
        let credentials = Credentials::new(&config.users, config.oauth_jwks.clone());
        let nodes = config.nodes;
        Shared {
            config,
            credentials,
            hooks: Hooks::default(),
            state: Mutex::new(ClusterState::default()),
            replay: Mutex::new(Replay::new(nodes)),
            next_node: AtomicU32::new(0),
            logs: Mutex::new(Logs::default()),
            appended: tokio::sync::watch::Sender::new(0),
            stats_file: stats_file.map(Mutex::new),
            cluster_id: cluster_id(),
            advertised,
            shutdown: tokio::sync::watch::Sender::new(false),
        }
    }

    /// Tells every connection to close.
    pub fn begin_shutdown(&self) {
        self.shutdown.send_replace(true);
    }

    /// A receiver that changes when the broker shuts down.
    pub fn shutdown_signal(&self) -> tokio::sync::watch::Receiver<bool> {
        self.shutdown.subscribe()
    }

    pub fn sasl_enabled(&self) -> bool {
        !self.credentials.mechanisms().is_empty()
    }

    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    pub fn hooks(&self) -> &Hooks {
        &self.hooks
    }

    /// The controller's state, for writes and in-process snapshots; a write through it is
    /// a commit the nodes apply after their lag.
    pub fn state(&self) -> StateGuard<'_> {
        StateGuard {
            guard: self
                .state
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
            replay: &self.replay,
            written: false,
        }
    }

    fn replay(&self) -> MutexGuard<'_, Replay<ClusterState>> {
        self.replay
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The state node `node` answers reads from: the controller's without lag, else the
    /// node's trailing copy.
    pub fn read_view(&self, node: i32) -> ReadView<'_> {
        let lagged = self.replay().view(node, Instant::now());
        match lagged {
            Some(state) => ReadView::Lagged(state),
            None => ReadView::Live(self.state()),
        }
    }

    /// Sets how far the nodes trail the controller; what is committed now is on every node.
    pub fn set_metadata_lag(&self, lag: Duration) {
        let state = self.state();
        let current = Arc::new(state.guard.clone());
        self.replay().set_lag(lag, current);
    }

    /// The node that serves a new connection (round-robin over 1..=nodes).
    pub fn connection_node(&self) -> i32 {
        let n = u32::try_from(self.config.nodes.max(1)).unwrap_or(1);
        (self.next_node.fetch_add(1, Ordering::Relaxed) % n) as i32 + 1
    }

    pub fn logs(&self) -> MutexGuard<'_, Logs> {
        self.logs
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Wakes waiting fetches after an append.
    pub fn notify_appended(&self) {
        self.appended.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// A receiver that changes after every append.
    pub fn append_signal(&self) -> tokio::sync::watch::Receiver<u64> {
        self.appended.subscribe()
    }

    /// Writes the request counts as a JSON object `{"ApiName": count}` ([`Hooks::counts`],
    /// with the Fetch requests at the log end) to the stats file, atomically (temporary file, then rename).
    pub fn write_stats(&self) {
        let Some(path) = &self.stats_file else {
            return;
        };
        let path = path.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let json = serde_json::to_string(&self.hooks.counts()).expect("a string map serializes");
        let temporary = path.with_extension("tmp");
        if let Err(error) =
            std::fs::write(&temporary, json).and_then(|()| std::fs::rename(&temporary, &*path))
        {
            eprintln!(
                "kafka-testbroker: cannot write stats file {}: {error}",
                path.display()
            );
        }
    }

    /// Whether the principal may perform `operation` on the resource as `state` holds the
    /// ACLs; always true without an authorizer (Kafka performs no authorization then).
    pub fn authorized_in(
        config: &BrokerConfig,
        state: &ClusterState,
        context: &RequestContext<'_>,
        operation: AclOperation,
        resource_type: ResourceType,
        name: &str,
    ) -> bool {
        !config.authorizer
            || acl::authorize(
                AuthorizerConfig {
                    super_users: &config.super_users,
                },
                &state.acls,
                context,
                operation,
                resource_type,
                name,
            )
    }
}

/// The locked controller state; mutable access marks a commit, recorded for the nodes'
/// replay when the guard is dropped.
pub(crate) struct StateGuard<'a> {
    guard: MutexGuard<'a, ClusterState>,
    replay: &'a Mutex<Replay<ClusterState>>,
    written: bool,
}

impl Deref for StateGuard<'_> {
    type Target = ClusterState;
    fn deref(&self) -> &ClusterState {
        &self.guard
    }
}

impl DerefMut for StateGuard<'_> {
    fn deref_mut(&mut self) -> &mut ClusterState {
        self.written = true;
        &mut self.guard
    }
}

impl Drop for StateGuard<'_> {
    fn drop(&mut self) {
        if !self.written {
            return;
        }
        let mut replay = self
            .replay
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if !replay.lag().is_zero() {
            replay.committed(Instant::now(), Arc::new(self.guard.clone()));
        }
    }
}

/// What a node answers reads from.
pub(crate) enum ReadView<'a> {
    Live(StateGuard<'a>),
    Lagged(Arc<ClusterState>),
}

impl Deref for ReadView<'_> {
    type Target = ClusterState;
    fn deref(&self) -> &ClusterState {
        match self {
            ReadView::Live(guard) => guard,
            ReadView::Lagged(state) => state,
        }
    }
}

/// The broker's own placement of `count` partitions from `start`: `rf` consecutive brokers
/// starting after the partition, so leaders and replicas spread over the nodes as Kafka's
/// `StripedReplicaPlacer` spreads them.
pub(crate) fn place(nodes: i32, start: i32, count: i32, rf: i16) -> Vec<Vec<i32>> {
    (start..start + count)
        .map(|p| (0..i32::from(rf)).map(|r| (p + r) % nodes + 1).collect())
        .collect()
}

/// A Kafka-style cluster id: 16 random bytes, URL-safe base64 without padding (22 chars).
fn cluster_id() -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(Uuid::from_u128(random_u128()).as_bytes())
}

pub(crate) fn random_u128() -> u128 {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the OS random source is available");
    u128::from_be_bytes(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placement_spreads_replicas_over_nodes() {
        assert_eq!(place(3, 2, 2, 3), vec![vec![3, 1, 2], vec![1, 2, 3]]);
    }
}
