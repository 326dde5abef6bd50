//! Cluster connections shared by every resource: the settings of each configured cluster
//! (by the alias of its provider `cluster "<alias>"` block), the admin clients opened on
//! first use and kept for the provider process, and the principal the provider connects as.
//! The provider fills a [`Clusters`] at configure; resources get it with every call.

use crate::kafka::claims::ClaimsLog;
use crate::kafka::config::ClusterConnection;
use crate::kafka::{principal, KafkaAdmin};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use tfplugin::Diagnostic;
use tokio::sync::OnceCell;

/// The claims topic a cluster block names when it sets none.
pub const DEFAULT_CLAIMS_TOPIC: &str = "_kafkamirror-claims";

/// Who owns the bindings and topics resources manage on one cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ownership {
    /// Shared by every resource and state through the compacted claims topic of that name.
    Claims(String),
    /// Each resource owns what its own state records (nothing written to the cluster).
    State,
}

/// The configured clusters by alias: what configure produces and every resource call gets.
#[derive(Debug, Default)]
pub struct Clusters {
    clusters: BTreeMap<String, ClusterConnection>,
    ownership: BTreeMap<String, Ownership>,
    /// Claims logs by alias, made on first use.
    claims: std::sync::Mutex<BTreeMap<String, Arc<ClaimsLog>>>,
    /// Aliases whose settings are not known yet (they depend on values known after apply).
    pending: BTreeSet<String>,
    admins: AdminCache,
}

/// Admin clients by alias: each cluster is connected on first use by a resource and the
/// outcome is kept for the rest of the provider process. A failed connect is kept too: every
/// later call gets the same diagnostic at once, so one plan waits for an unreachable cluster
/// once, not once per call (Terraform starts a provider process per command).
#[derive(Debug, Default)]
struct AdminCache(tokio::sync::Mutex<BTreeMap<String, Arc<AdminCell>>>);

type AdminCell = OnceCell<Result<Arc<KafkaAdmin>, Diagnostic>>;

impl Clusters {
    /// Adds a cluster whose settings are known.
    pub fn insert(&mut self, connection: ClusterConnection, ownership: Ownership) {
        self.pending.remove(&connection.alias);
        self.ownership.insert(connection.alias.clone(), ownership);
        self.clusters.insert(connection.alias.clone(), connection);
    }

    /// How ownership is kept on `alias` (`None` when it is not configured).
    pub fn ownership(&self, alias: &str) -> Option<&Ownership> {
        self.ownership.get(alias)
    }

    /// The claims log of `alias`; `None` when the cluster keeps per-resource (`state`)
    /// ownership or is not configured.
    pub fn claims_log(&self, alias: &str) -> Option<Arc<ClaimsLog>> {
        let Some(Ownership::Claims(topic)) = self.ownership.get(alias) else {
            return None;
        };
        let connection = self.clusters.get(alias)?;
        let mut logs = self
            .claims
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        Some(
            logs.entry(alias.to_string())
                .or_insert_with(|| Arc::new(ClaimsLog::new(connection, topic)))
                .clone(),
        )
    }

    /// Adds a cluster whose settings depend on values Terraform knows only after apply.
    pub fn insert_pending(&mut self, alias: &str) {
        self.pending.insert(alias.to_string());
    }

    /// The aliases with known settings and the pending ones (for logging).
    pub fn aliases(&self) -> (Vec<&str>, Vec<&str>) {
        (
            self.clusters.keys().map(String::as_str).collect(),
            self.pending.iter().map(String::as_str).collect(),
        )
    }

    /// The settings of cluster `alias`, or a diagnostic saying why they are not available.
    pub fn cluster(&self, alias: &str) -> Result<&ClusterConnection, Diagnostic> {
        if let Some(connection) = self.clusters.get(alias) {
            return Ok(connection);
        }
        if self.pending.contains(alias) {
            return Err(Diagnostic::error(
                "Cluster settings not known yet",
                format!("the settings of cluster {alias:?} depend on values Terraform will only know after apply"),
            ));
        }
        let known: Vec<&str> = self
            .clusters
            .keys()
            .chain(&self.pending)
            .map(String::as_str)
            .collect();
        Err(Diagnostic::error(
            "Unknown cluster",
            format!(
                "the provider has no cluster {alias:?}; configured clusters: {}",
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            ),
        ))
    }

    /// The connected admin client of cluster `alias`, connecting on first use (within the
    /// cluster's `timeout_seconds`; concurrent callers wait for the one attempt). Errors name
    /// the alias and its bootstrap servers.
    pub async fn admin(&self, alias: &str) -> Result<Arc<KafkaAdmin>, Diagnostic> {
        let connection = self.cluster(alias)?;
        let cell = self
            .admins
            .0
            .lock()
            .await
            .entry(alias.to_string())
            .or_default()
            .clone();
        cell.get_or_init(|| async {
            KafkaAdmin::connect(connection)
                .await
                .map(Arc::new)
                .map_err(|error| {
                    Diagnostic::error("Cannot connect to Kafka cluster", error.to_string())
                })
        })
        .await
        .clone()
    }

    /// The principal the provider connects to `alias` as, when it can be told: the
    /// cluster's `principal` setting, else Kafka's default for the settings (see
    /// [`crate::kafka::principal`]); with OAUTHBEARER the token's `sub`, known once connected.
    pub fn provider_principal(&self, alias: &str) -> Option<String> {
        let connection = self.clusters.get(alias)?;
        principal::of_settings(connection).or_else(|| {
            let admins = self.admins.0.try_lock().ok()?;
            let admin = admins.get(alias)?.get()?.as_ref().ok()?;
            admin.principal().map(str::to_string)
        })
    }

    /// Whether `alias` is configured but its settings are still unknown (plan time).
    pub fn is_pending(&self, alias: &str) -> bool {
        self.pending.contains(alias)
    }
}
