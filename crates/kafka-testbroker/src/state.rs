//! The broker's shared state: configuration, credentials, hooks, topics, ACLs and dynamic
//! broker configs, plus the authorization entry point the handlers use.

use crate::acl::{self, AclOperation, AclRecord, AuthorizerConfig, RequestContext, ResourceType};
use crate::configs::BrokerDynamicConfigs;
use crate::hooks::Hooks;
use crate::log::Logs;
use crate::sasl::Credentials;
use crate::BrokerConfig;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};
use uuid::Uuid;

/// A topic as the broker stores it.
#[derive(Debug, Clone)]
pub(crate) struct Topic {
    pub id: Uuid,
    pub partitions: i32,
    pub replication_factor: i16,
    /// Topic-level overrides only (DYNAMIC_TOPIC_CONFIG).
    pub configs: BTreeMap<String, String>,
}

/// Everything clients can change.
#[derive(Debug, Default)]
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
        let credentials = Credentials::new(&config.users);
        Shared {
            config,
            credentials,
            hooks: Hooks::default(),
            state: Mutex::new(ClusterState::default()),
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
        !self.config.users.is_empty()
    }

    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    pub fn hooks(&self) -> &Hooks {
        &self.hooks
    }

    pub fn state(&self) -> MutexGuard<'_, ClusterState> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
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

    /// Writes the request counts as a JSON object `{"ApiName": count}` to the stats file,
    /// atomically (temporary file, then rename).
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

    /// Whether the principal may perform `operation` on the resource; always true without
    /// an authorizer (Kafka performs no authorization then).
    pub fn authorized(
        &self,
        context: &RequestContext<'_>,
        operation: AclOperation,
        resource_type: ResourceType,
        name: &str,
    ) -> bool {
        if !self.config.authorizer {
            return true;
        }
        let state = self.state();
        Self::authorized_in(
            &self.config,
            &state,
            context,
            operation,
            resource_type,
            name,
        )
    }

    /// As [`Shared::authorized`], with the state already locked.
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
