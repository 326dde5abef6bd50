//! [`KafkaAdmin`]: a connected admin client for one cluster and its safe async API.
//!
//! Each call is one batched Kafka request (many bindings, filters or topics per request),
//! runs on a blocking thread (librdkafka waits block), and turns librdkafka's outcome into
//! typed errors: a whole request Kafka refused becomes a [`KafkaError`], a refused item an
//! `Err(BrokerError)` in the per-item results.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rdkafka::client::{Client, ClientContext};
use rdkafka::config::{ClientConfig, RDKafkaLogLevel};
use rdkafka::metadata::Metadata;
use rdkafka::types::{RDKafkaErrorCode, RDKafkaType};

use super::acl_filter::{AclFilter, PatternFilter};
use super::config::ClusterConnection;
use super::error::{BrokerError, KafkaError};
use super::ffi::{self, CallFailure, MainQueuePump};
use super::topics::{
    NewTopic, TopicConfigAlteration, TopicConfigs, TopicDescription, TopicLookup, TopicOutcomes,
};
use crate::model::acl::{
    AclBinding, Operation, PatternType, Permission, ResourceType, CLUSTER_RESOURCE_NAME,
};

/// Names the never-matching DeleteAcls filter of [`KafkaAdmin::confirm_empty_describe`];
/// it shows up under this name in broker audit logs.
const PROBE_NAME: &str = "kafkamirror-probe-matches-nothing";

/// How long one metadata attempt waits before the authentication check runs again.
const METADATA_ATTEMPT: Duration = Duration::from_millis(500);

/// The admin requests this layer sends, with what Kafka's authorizer checks for each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AdminCall {
    Metadata,
    CreateAcls,
    DescribeAcls,
    DeleteAcls,
    CreateTopics,
    DeleteTopics,
    DescribeConfigs,
    IncrementalAlterConfigs,
}

impl AdminCall {
    fn name(self) -> &'static str {
        match self {
            AdminCall::Metadata => "Metadata",
            AdminCall::CreateAcls => "CreateAcls",
            AdminCall::DescribeAcls => "DescribeAcls",
            AdminCall::DeleteAcls => "DeleteAcls",
            AdminCall::CreateTopics => "CreateTopics",
            AdminCall::DeleteTopics => "DeleteTopics",
            AdminCall::DescribeConfigs => "DescribeConfigs",
            AdminCall::IncrementalAlterConfigs => "IncrementalAlterConfigs",
        }
    }

    /// The ACL operation Kafka requires for this request (spec section 4).
    fn required_operation(self) -> &'static str {
        match self {
            AdminCall::Metadata | AdminCall::DescribeAcls => "DESCRIBE",
            AdminCall::CreateAcls | AdminCall::DeleteAcls => "ALTER",
            AdminCall::CreateTopics => "CREATE",
            AdminCall::DeleteTopics => "DELETE",
            AdminCall::DescribeConfigs => "DESCRIBE_CONFIGS",
            AdminCall::IncrementalAlterConfigs => "ALTER_CONFIGS",
        }
    }
}

/// What the client's callbacks have told us about the connection.
#[derive(Debug, Default)]
struct ClientHealth {
    authentication_failure: Option<String>,
    last_error: Option<String>,
}

/// The rdkafka client context: records authentication failures (so calls fail fast
/// instead of timing out) and the last other error (named when the cluster is unreachable).
#[derive(Debug, Default)]
struct AdminContext {
    health: Mutex<ClientHealth>,
}

impl AdminContext {
    fn health(&self) -> std::sync::MutexGuard<'_, ClientHealth> {
        self.health
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn authentication_failure(&self) -> Option<String> {
        self.health().authentication_failure.clone()
    }

    fn last_error(&self) -> Option<String> {
        self.health().last_error.clone()
    }
}

impl ClientContext for AdminContext {
    fn error(&self, error: rdkafka::error::KafkaError, reason: &str) {
        let mut health = self.health();
        let is_authentication = matches!(
            error.rdkafka_error_code(),
            Some(
                RDKafkaErrorCode::Authentication
                    | RDKafkaErrorCode::SaslAuthenticationFailed
                    | RDKafkaErrorCode::UnsupportedSASLMechanism
                    | RDKafkaErrorCode::IllegalSASLState
            )
        );
        if is_authentication {
            health.authentication_failure = Some(reason.to_string());
        } else {
            health.last_error = Some(reason.to_string());
        }
    }
}

/// What every call needs, shared with the blocking threads that run the calls.
struct Shared {
    client: Arc<Client<AdminContext>>,
    alias: String,
    bootstrap_servers: Vec<String>,
    timeout: Duration,
}

/// A connected admin client for one cluster.
pub struct KafkaAdmin {
    // Declared first so it stops (and drops its client handle) before the client goes.
    _pump: MainQueuePump,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for KafkaAdmin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KafkaAdmin")
            .field("alias", &self.shared.alias)
            .field("bootstrap_servers", &self.shared.bootstrap_servers)
            .finish_non_exhaustive()
    }
}

/// Most bindings [`KafkaAdmin::describe_acls_of_principals`] expects in one DescribeAcls
/// answer before it splits the request: a quarter of the ~200 000 at which librdkafka 2.12.1's
/// answer parser overflowed its thread stack here.
pub const DESCRIBE_ANSWER_LIMIT: usize = 50_000;

impl KafkaAdmin {
    /// Builds the client and checks, within the connection's timeout, that a broker answers
    /// a Metadata request with these credentials.
    pub async fn connect(connection: &ClusterConnection) -> Result<KafkaAdmin, KafkaError> {
        let invalid = |message: String| KafkaError::InvalidSettings {
            alias: connection.alias.clone(),
            message: redact(&message, connection),
        };
        if connection.bootstrap_servers.is_empty() {
            return Err(invalid("bootstrap_servers is empty".to_string()));
        }
        let config = client_config(connection);
        let native_config = config
            .create_native_config()
            .map_err(|e| invalid(e.to_string()))?;
        let client = Client::new(
            &config,
            native_config,
            RDKafkaType::RD_KAFKA_PRODUCER,
            AdminContext::default(),
        )
        .map_err(|e| invalid(e.to_string()))?;
        let client = Arc::new(client);
        let pump = MainQueuePump::start(client.clone()).map_err(|e| invalid(e.to_string()))?;
        let admin = KafkaAdmin {
            _pump: pump,
            shared: Arc::new(Shared {
                client,
                alias: connection.alias.clone(),
                bootstrap_servers: connection.bootstrap_servers.clone(),
                timeout: connection.timeout,
            }),
        };
        admin.metadata().await?;
        Ok(admin)
    }

    /// The provider's name for this cluster.
    pub fn alias(&self) -> &str {
        &self.shared.alias
    }

    /// Creates all `bindings` in one CreateAcls request. Results are in the order of
    /// `bindings`; an existing identical binding is a success (Kafka's create is idempotent).
    pub async fn create_acls(
        &self,
        bindings: &[AclBinding],
    ) -> Result<Vec<Result<(), BrokerError>>, KafkaError> {
        if bindings.is_empty() {
            return Ok(Vec::new());
        }
        let input = bindings.to_vec();
        let results = self
            .run(AdminCall::CreateAcls, move |client, timeout, abort| {
                ffi::create_acls(client, &input, timeout, abort)
            })
            .await?;
        self.per_item(AdminCall::CreateAcls, bindings.len(), results)
    }

    /// The bindings matching `filter` (one DescribeAcls request). Bindings whose operation or
    /// resource type the model does not know (e.g. CLUSTER_ACTION) are left out: the provider
    /// never manages them.
    pub async fn describe_acls(&self, filter: &AclFilter) -> Result<Vec<AclBinding>, KafkaError> {
        let filter = filter.clone();
        let bindings = self
            .run(AdminCall::DescribeAcls, move |client, timeout, abort| {
                ffi::describe_acls(client, &filter, timeout, abort)
            })
            .await?;
        if bindings.is_empty() {
            self.confirm_empty_describe().await?;
        }
        Ok(bindings)
    }

    /// The bindings of each principal, for refresh and drift detection.
    ///
    /// Requests per principal, all in flight at once: each answer holds only that
    /// principal's bindings, so the cost follows what the provider manages (a few
    /// principals) rather than every ACL on the cluster, which one ANY filter with
    /// client-side filtering would transfer on each refresh.
    ///
    /// `expected_bindings` is how many bindings the caller expects these principals to hold
    /// (e.g. the planned plus the recorded ones). Up to [`DESCRIBE_ANSWER_LIMIT`] each
    /// principal is read with one filter (one request). Above it, or when the caller cannot
    /// tell (`None`, e.g. import), each principal's bindings are read with one filter per
    /// resource type and operation the model knows (the others are left out anyway), because
    /// librdkafka 2.12.1 parses a DescribeAcls answer with `alloca` per binding on its main
    /// thread's stack: an answer of about 200 000 bindings overflows that stack and crashes
    /// the process (seen with one MM2 flow of 50 000 topics). Split this way, one answer
    /// holds the bindings of one resource type and operation, e.g. WRITE on each literal
    /// topic of a flow.
    pub async fn describe_acls_of_principals(
        &self,
        principals: &[String],
        expected_bindings: Option<usize>,
    ) -> Result<BTreeMap<String, Vec<AclBinding>>, KafkaError> {
        let split = expected_bindings.is_none_or(|count| count > DESCRIBE_ANSWER_LIMIT);
        let mut pending = Vec::new();
        for principal in principals {
            let filters: Vec<AclFilter> = if split {
                ResourceType::ALL
                    .iter()
                    .flat_map(|resource_type| {
                        Operation::ALL.iter().map(|operation| AclFilter {
                            resource_type: Some(*resource_type),
                            operation: Some(*operation),
                            ..AclFilter::for_principal(principal)
                        })
                    })
                    .collect()
            } else {
                vec![AclFilter::for_principal(principal)]
            };
            for filter in filters {
                let task = self.spawn(move |client, timeout, abort| {
                    ffi::describe_acls(client, &filter, timeout, abort)
                });
                pending.push((principal.clone(), task));
            }
        }
        let mut by_principal: BTreeMap<String, Vec<AclBinding>> = principals
            .iter()
            .map(|principal| (principal.clone(), Vec::new()))
            .collect();
        for (principal, task) in pending {
            let bindings = join(task)
                .await
                .map_err(|failure| self.whole_failure(AdminCall::DescribeAcls, failure, &[]))?;
            by_principal.entry(principal).or_default().extend(bindings);
        }
        if by_principal.values().any(Vec::is_empty) {
            self.confirm_empty_describe().await?;
        }
        Ok(by_principal)
    }

    /// Makes sure an empty DescribeAcls answer means "no bindings".
    ///
    /// librdkafka 2.12.1 ignores DescribeAcls' top-level error code, so a request Kafka refused
    /// (CLUSTER_AUTHORIZATION_FAILED, SECURITY_DISABLED) arrives as an empty list. Two probes
    /// tell the cases apart: a DeleteAcls whose filter matches nothing (it reports
    /// SECURITY_DISABLED per filter, and success proves ALTER on the cluster, which implies
    /// DESCRIBE), then, only for a principal without ALTER, the cluster operations Metadata
    /// says it may perform. A filter Kafka itself rejects (INVALID_REQUEST) still reads as
    /// "no bindings": librdkafka leaves nothing to tell it apart by.
    async fn confirm_empty_describe(&self) -> Result<(), KafkaError> {
        match self.delete_acls_probe(AdminCall::DescribeAcls).await? {
            Ok(()) => Ok(()),
            Err(error) if error.name == "CLUSTER_AUTHORIZATION_FAILED" => {
                let operations = self
                    .run(AdminCall::DescribeAcls, ffi::cluster_authorized_operations)
                    .await?;
                if operations.contains(&Operation::Describe) {
                    Ok(())
                } else {
                    Err(self.classify(AdminCall::DescribeAcls, error, &[]))
                }
            }
            Err(error) => Err(self.classify(AdminCall::DescribeAcls, error, &[])),
        }
    }

    /// Sends one DeleteAcls whose filter matches nothing (so it deletes nothing) and returns
    /// Kafka's answer for that filter; failures are reported as part of `call`.
    async fn delete_acls_probe(
        &self,
        call: AdminCall,
    ) -> Result<Result<(), BrokerError>, KafkaError> {
        let probe = vec![AclFilter {
            resource_type: Some(ResourceType::Topic),
            resource_name: Some(PROBE_NAME.to_string()),
            pattern: PatternFilter::Exact(PatternType::Literal),
            principal: Some(format!("User:{PROBE_NAME}")),
            host: Some(PROBE_NAME.to_string()),
            operation: Some(Operation::Read),
            permission: Some(Permission::Deny),
        }];
        let results = self
            .run(call, move |client, timeout, abort| {
                ffi::delete_acls(client, &probe, timeout, abort)
            })
            .await?;
        match results.into_iter().next() {
            Some(outcome) => Ok(outcome.map(drop)),
            None => Err(KafkaError::UnexpectedResponse {
                alias: self.shared.alias.clone(),
                operation: call.name(),
                message: "no result for the DeleteAcls probe".to_string(),
            }),
        }
    }

    /// Deletes with all `filters` in one DeleteAcls request. Results are in the order of
    /// `filters`: the bindings each filter deleted, or why Kafka refused it.
    pub async fn delete_acls(
        &self,
        filters: &[AclFilter],
    ) -> Result<Vec<Result<Vec<AclBinding>, BrokerError>>, KafkaError> {
        if filters.is_empty() {
            return Ok(Vec::new());
        }
        let input = filters.to_vec();
        let results = self
            .run(AdminCall::DeleteAcls, move |client, timeout, abort| {
                ffi::delete_acls(client, &input, timeout, abort)
            })
            .await?;
        self.per_item(AdminCall::DeleteAcls, filters.len(), results)
    }

    /// Checks that the connecting principal may manage ACLs (ALTER on the cluster, which
    /// implies DESCRIBE) with one DeleteAcls whose filter matches nothing: a cluster without
    /// authorizer answers [`KafkaError::SecurityDisabled`], a principal without ALTER
    /// [`KafkaError::AuthorizationFailed`]. Deletes nothing.
    pub async fn check_acl_admin_rights(&self) -> Result<(), KafkaError> {
        self.delete_acls_probe(AdminCall::DeleteAcls)
            .await?
            .map_err(|error| self.classify(AdminCall::DeleteAcls, error, &[]))
    }

    /// How many brokers the cluster's metadata lists (the upper bound for a replication
    /// factor), from one Metadata request.
    pub async fn broker_count(&self) -> Result<usize, KafkaError> {
        let shared = self.shared.clone();
        let task = tokio::task::spawn_blocking(move || {
            shared
                .client
                .fetch_metadata(None, shared.timeout)
                .map(|metadata| metadata.brokers().len())
                .map_err(|_| CallFailure::TimedOut)
        });
        join(task).await.map_err(|failure| match failure {
            CallFailure::TimedOut => self.unreachable(),
            other => self.whole_failure(AdminCall::Metadata, other, &[]),
        })
    }

    /// Every topic the principal may see, sorted by name, from one Metadata request.
    pub async fn list_topics(&self) -> Result<Vec<TopicDescription>, KafkaError> {
        let mut topics = self.metadata().await?;
        topics.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(topics)
    }

    /// Partitions and replication factor of each named topic, in the order of `names`, from
    /// one Metadata request naming exactly those topics (librdkafka's DescribeTopics), so
    /// Kafka reports each topic's own error as it does to other clients. A topic that does not
    /// exist is [`TopicLookup::Missing`]; one the principal may not DESCRIBE fails the call
    /// with [`KafkaError::AuthorizationFailed`] naming it (it may exist, so it must not be
    /// treated as missing); any other per-topic error fails it with [`KafkaError::Request`].
    pub async fn describe_topics(&self, names: &[String]) -> Result<Vec<TopicLookup>, KafkaError> {
        if names.is_empty() {
            return Ok(Vec::new());
        }
        // librdkafka refuses duplicate names; each distinct name is asked once.
        let distinct: Vec<String> = names
            .iter()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .cloned()
            .collect();
        let input = distinct.clone();
        let results = join(self.spawn(move |client, timeout, abort| {
            ffi::describe_topics(client, &input, timeout, abort)
        }))
        .await
        .map_err(|failure| match failure {
            CallFailure::TimedOut => self.unreachable(),
            CallFailure::Broker(error) if error.name == "_TIMED_OUT" => self.unreachable(),
            other => self.whole_failure(AdminCall::Metadata, other, &distinct),
        })?;
        let results = self.per_topic(AdminCall::Metadata, &distinct, results)?;
        let unauthorized: Vec<String> = results
            .iter()
            .filter(|(_, outcome)| {
                matches!(outcome, Err(error) if error.name == "TOPIC_AUTHORIZATION_FAILED")
            })
            .map(|(name, _)| name.clone())
            .collect();
        let mut known = BTreeMap::new();
        for (name, outcome) in results {
            match outcome {
                Ok(description) => {
                    known.insert(name, description);
                }
                Err(error) if error.name == "UNKNOWN_TOPIC_OR_PARTITION" => {}
                Err(error) if error.name == "TOPIC_AUTHORIZATION_FAILED" => {
                    return Err(self.classify(AdminCall::Metadata, error, &unauthorized));
                }
                Err(error) => {
                    return Err(KafkaError::Request {
                        alias: self.shared.alias.clone(),
                        operation: AdminCall::Metadata.name(),
                        error: BrokerError {
                            message: format!("topic {name:?}: {}", error.message),
                            name: error.name,
                        },
                    });
                }
            }
        }
        Ok(names
            .iter()
            .map(|name| match known.get(name) {
                Some(description) => TopicLookup::Exists(description.clone()),
                None => TopicLookup::Missing { name: name.clone() },
            })
            .collect())
    }

    /// The operations the connected principal may perform on topic `name` (KIP-430, one
    /// Metadata request); `Ok(None)` when the broker does not report them. A topic that does
    /// not exist fails with [`KafkaError::Request`] naming `UNKNOWN_TOPIC_OR_PARTITION`; one
    /// the principal may not DESCRIBE with [`KafkaError::AuthorizationFailed`].
    pub async fn topic_authorized_operations(
        &self,
        name: &str,
    ) -> Result<Option<Vec<Operation>>, KafkaError> {
        let names = vec![name.to_string()];
        let input = names.clone();
        let results = join(self.spawn(move |client, timeout, abort| {
            ffi::describe_topics_with(client, &input, true, timeout, abort)
        }))
        .await
        .map_err(|failure| match failure {
            CallFailure::TimedOut => self.unreachable(),
            CallFailure::Broker(error) if error.name == "_TIMED_OUT" => self.unreachable(),
            other => self.whole_failure(AdminCall::Metadata, other, &names),
        })?;
        let results = self.per_topic(AdminCall::Metadata, &names, results)?;
        match results.into_iter().next() {
            Some((_, Ok((_, operations)))) => Ok(operations),
            Some((_, Err(error))) if error.is_authorization_failure() => {
                Err(self.classify(AdminCall::Metadata, error, &names))
            }
            Some((_, Err(error))) => Err(KafkaError::Request {
                alias: self.shared.alias.clone(),
                operation: AdminCall::Metadata.name(),
                error,
            }),
            None => Err(KafkaError::UnexpectedResponse {
                alias: self.shared.alias.clone(),
                operation: AdminCall::Metadata.name(),
                message: "no result for the topic".to_string(),
            }),
        }
    }

    /// Every config entry (value, source, default or not) of each topic, in one
    /// DescribeConfigs request.
    pub async fn describe_topic_configs(
        &self,
        topics: &[String],
    ) -> Result<TopicOutcomes<TopicConfigs>, KafkaError> {
        if topics.is_empty() {
            return Ok(Vec::new());
        }
        let input = topics.to_vec();
        let results = self
            .run_for_topics(
                AdminCall::DescribeConfigs,
                topics,
                move |client, timeout, abort| {
                    ffi::describe_topic_configs(client, &input, timeout, abort)
                },
            )
            .await?;
        self.per_topic(AdminCall::DescribeConfigs, topics, results)
    }

    /// Creates the topics in one CreateTopics request. With `validate_only`, Kafka runs every
    /// check (authorization, existence, configs, placement) and creates nothing.
    pub async fn create_topics(
        &self,
        topics: &[NewTopic],
        validate_only: bool,
    ) -> Result<TopicOutcomes<()>, KafkaError> {
        if topics.is_empty() {
            return Ok(Vec::new());
        }
        let names: Vec<String> = topics.iter().map(|t| t.name.clone()).collect();
        let input = topics.to_vec();
        let results = self
            .run_for_topics(
                AdminCall::CreateTopics,
                &names,
                move |client, timeout, abort| {
                    ffi::create_topics(client, &input, validate_only, timeout, abort)
                },
            )
            .await?;
        self.per_topic(AdminCall::CreateTopics, &names, results)
    }

    /// Deletes the named topics (and their data) in one DeleteTopics request.
    pub async fn delete_topics(&self, names: &[String]) -> Result<TopicOutcomes<()>, KafkaError> {
        if names.is_empty() {
            return Ok(Vec::new());
        }
        let input = names.to_vec();
        let results = self
            .run_for_topics(
                AdminCall::DeleteTopics,
                names,
                move |client, timeout, abort| ffi::delete_topics(client, &input, timeout, abort),
            )
            .await?;
        self.per_topic(AdminCall::DeleteTopics, names, results)
    }

    /// Applies set/delete changes to the topics' configs in one IncrementalAlterConfigs
    /// request; keys not mentioned keep their values.
    pub async fn alter_topic_configs(
        &self,
        alterations: &[TopicConfigAlteration],
    ) -> Result<TopicOutcomes<()>, KafkaError> {
        if alterations.is_empty() {
            return Ok(Vec::new());
        }
        let names: Vec<String> = alterations.iter().map(|a| a.topic.clone()).collect();
        let input = alterations.to_vec();
        let results = self
            .run_for_topics(
                AdminCall::IncrementalAlterConfigs,
                &names,
                move |client, timeout, abort| {
                    ffi::incremental_alter_topic_configs(client, &input, timeout, abort)
                },
            )
            .await?;
        self.per_topic(AdminCall::IncrementalAlterConfigs, &names, results)
    }

    /// All topics the principal may see, from one Metadata request, retried in short attempts
    /// until the timeout so an authentication failure ends the wait early.
    async fn metadata(&self) -> Result<Vec<TopicDescription>, KafkaError> {
        let shared = self.shared.clone();
        let task = tokio::task::spawn_blocking(move || {
            let deadline = Instant::now() + shared.timeout;
            loop {
                let remaining = deadline.saturating_duration_since(Instant::now());
                let attempt = remaining.min(METADATA_ATTEMPT);
                let started = Instant::now();
                match shared.client.fetch_metadata(None, attempt) {
                    Ok(metadata) => return Ok(topics_from_metadata(&metadata)),
                    Err(_) => {
                        if let Some(reason) = shared.client.context().authentication_failure() {
                            return Err(CallFailure::Aborted(reason));
                        }
                        if remaining <= attempt {
                            return Err(CallFailure::TimedOut);
                        }
                        // An immediate failure (no broker up yet): do not spin.
                        if started.elapsed() < attempt {
                            std::thread::sleep(Duration::from_millis(100));
                        }
                    }
                }
            }
        });
        join(task).await.map_err(|failure| match failure {
            CallFailure::TimedOut => self.unreachable(),
            other => self.whole_failure(AdminCall::Metadata, other, &[]),
        })
    }

    /// Runs one blocking ffi call (see [`Self::spawn`]) and types its failure.
    async fn run<T, F>(&self, call: AdminCall, work: F) -> Result<T, KafkaError>
    where
        T: Send + 'static,
        F: FnOnce(
                &Client<AdminContext>,
                Duration,
                &dyn Fn() -> Option<String>,
            ) -> Result<T, CallFailure>
            + Send
            + 'static,
    {
        self.run_for_topics(call, &[], work).await
    }

    /// [`Self::run`] for a topic call, whose authorization errors name the topics.
    async fn run_for_topics<T, F>(
        &self,
        call: AdminCall,
        topics: &[String],
        work: F,
    ) -> Result<T, KafkaError>
    where
        T: Send + 'static,
        F: FnOnce(
                &Client<AdminContext>,
                Duration,
                &dyn Fn() -> Option<String>,
            ) -> Result<T, CallFailure>
            + Send
            + 'static,
    {
        join(self.spawn(work))
            .await
            .map_err(|failure| self.whole_failure(call, failure, topics))
    }

    /// Starts a blocking ffi call on a blocking thread; it aborts once the client reports an
    /// authentication failure.
    fn spawn<T, F>(&self, work: F) -> tokio::task::JoinHandle<Result<T, CallFailure>>
    where
        T: Send + 'static,
        F: FnOnce(
                &Client<AdminContext>,
                Duration,
                &dyn Fn() -> Option<String>,
            ) -> Result<T, CallFailure>
            + Send
            + 'static,
    {
        let shared = self.shared.clone();
        tokio::task::spawn_blocking(move || {
            let context = shared.client.context().clone();
            let abort = move || context.authentication_failure();
            work(&shared.client, shared.timeout, &abort)
        })
    }

    /// Checks a per-item result list: one result per item sent, and a request Kafka refused
    /// as a whole (every item failing for lack of authorization or an authorizer) becomes a
    /// whole-call error.
    fn per_item<T>(
        &self,
        call: AdminCall,
        sent: usize,
        results: Vec<Result<T, BrokerError>>,
    ) -> Result<Vec<Result<T, BrokerError>>, KafkaError> {
        if results.len() != sent {
            return Err(KafkaError::UnexpectedResponse {
                alias: self.shared.alias.clone(),
                operation: call.name(),
                message: format!("{} results for {sent} items", results.len()),
            });
        }
        if let Some(error) = refused_as_a_whole(results.iter()) {
            return Err(self.classify(call, error, &[]));
        }
        Ok(results)
    }

    /// [`Self::per_item`] for named topic results (one per distinct topic name).
    fn per_topic<T>(
        &self,
        call: AdminCall,
        topics: &[String],
        results: TopicOutcomes<T>,
    ) -> Result<TopicOutcomes<T>, KafkaError> {
        // Kafka answers once per distinct name (a duplicate gets INVALID_REQUEST).
        let distinct: BTreeSet<&String> = topics.iter().collect();
        if results.len() != distinct.len() {
            return Err(KafkaError::UnexpectedResponse {
                alias: self.shared.alias.clone(),
                operation: call.name(),
                message: format!("{} results for {} topics", results.len(), distinct.len()),
            });
        }
        if let Some(error) = refused_as_a_whole(results.iter().map(|(_, r)| r)) {
            return Err(self.classify(call, error, topics));
        }
        Ok(results)
    }

    /// No broker answered within the timeout: names the servers and the last transport error.
    fn unreachable(&self) -> KafkaError {
        KafkaError::Unreachable {
            alias: self.shared.alias.clone(),
            bootstrap_servers: self.shared.bootstrap_servers.clone(),
            timeout: self.shared.timeout,
            last_error: self.shared.client.context().last_error(),
        }
    }

    fn whole_failure(
        &self,
        call: AdminCall,
        failure: CallFailure,
        topics: &[String],
    ) -> KafkaError {
        let alias = self.shared.alias.clone();
        match failure {
            CallFailure::TimedOut => KafkaError::Timeout {
                alias,
                operation: call.name(),
                timeout: self.shared.timeout,
            },
            CallFailure::Aborted(message) => KafkaError::AuthenticationFailed { alias, message },
            CallFailure::InvalidInput(message) => KafkaError::InvalidInput {
                alias,
                operation: call.name(),
                message,
            },
            CallFailure::Broker(error) => self.classify(call, error, topics),
        }
    }

    /// Maps an error Kafka gave for a whole request to its typed error.
    fn classify(&self, call: AdminCall, error: BrokerError, topics: &[String]) -> KafkaError {
        let alias = self.shared.alias.clone();
        match error.name.as_str() {
            "SECURITY_DISABLED" => KafkaError::SecurityDisabled { alias },
            "_TIMED_OUT" => KafkaError::Timeout {
                alias,
                operation: call.name(),
                timeout: self.shared.timeout,
            },
            "_AUTHENTICATION" | "SASL_AUTHENTICATION_FAILED" => KafkaError::AuthenticationFailed {
                alias,
                message: error.message,
            },
            _ if error.is_authorization_failure() => {
                let resource = if error.name == "TOPIC_AUTHORIZATION_FAILED" && !topics.is_empty() {
                    format!("TOPIC {}", topics.join(", "))
                } else {
                    format!("CLUSTER {CLUSTER_RESOURCE_NAME}")
                };
                KafkaError::AuthorizationFailed {
                    alias,
                    operation: call.required_operation().to_string(),
                    resource,
                    error_name: error.name,
                }
            }
            _ => KafkaError::Request {
                alias,
                operation: call.name(),
                error,
            },
        }
    }
}

/// The error of a request Kafka refused as a whole: every item failed with the same
/// authorization or SECURITY_DISABLED error (CreateAcls and DeleteAcls report those per item).
fn refused_as_a_whole<'a, T: 'a>(
    mut results: impl Iterator<Item = &'a Result<T, BrokerError>>,
) -> Option<BrokerError> {
    let first = match results.next()? {
        Err(error) if error.is_authorization_failure() || error.name == "SECURITY_DISABLED" => {
            error.clone()
        }
        _ => return None,
    };
    results
        .all(|r| matches!(r, Err(e) if e.name == first.name))
        .then_some(first)
}

/// Waits for a blocking call; a panic in it is re-raised here.
async fn join<T>(task: tokio::task::JoinHandle<Result<T, CallFailure>>) -> Result<T, CallFailure> {
    match task.await {
        Ok(result) => result,
        Err(error) => std::panic::resume_unwind(error.into_panic()),
    }
}

fn topics_from_metadata(metadata: &Metadata) -> Vec<TopicDescription> {
    metadata
        .topics()
        .iter()
        .filter(|topic| topic.error().is_none())
        .map(|topic| TopicDescription {
            name: topic.name().to_string(),
            partitions: topic.partitions().len(),
            replication_factor: topic
                .partitions()
                .iter()
                .map(|p| p.replicas().len())
                .max()
                .unwrap_or(0),
        })
        .collect()
}

/// The librdkafka configuration for a connection. Holds secrets: never format it.
pub(super) fn client_config(connection: &ClusterConnection) -> ClientConfig {
    let mut config = ClientConfig::new();
    let timeout_ms = connection.timeout.as_millis().max(1000).to_string();
    config
        .set("bootstrap.servers", connection.bootstrap_servers.join(","))
        .set("client.id", "terraform-provider-kafkamirror")
        .set("socket.connection.setup.timeout.ms", &timeout_ms)
        .set(
            "security.protocol",
            match (&connection.tls, &connection.sasl) {
                (None, None) => "plaintext",
                (Some(_), None) => "ssl",
                (None, Some(_)) => "sasl_plaintext",
                (Some(_), Some(_)) => "sasl_ssl",
            },
        )
        // Logs go to the main queue, which the pump drains without printing.
        .set_log_level(RDKafkaLogLevel::Error);
    if let Some(tls) = &connection.tls {
        if let Some(ca) = &tls.ca_cert_pem {
            config.set("ssl.ca.pem", ca);
        }
        if let Some(cert) = &tls.client_cert_pem {
            config.set("ssl.certificate.pem", cert);
        }
        if let Some(key) = &tls.client_key_pem {
            config.set("ssl.key.pem", key.expose());
        }
        if tls.insecure_skip_verify {
            config
                .set("enable.ssl.certificate.verification", "false")
                .set("ssl.endpoint.identification.algorithm", "none");
        }
    }
    if let Some(sasl) = &connection.sasl {
        config
            .set("sasl.mechanism", sasl.mechanism.as_str())
            .set("sasl.username", &sasl.username)
            .set("sasl.password", sasl.password.expose());
    }
    config
}

/// Replaces every secret of the connection that appears in `message` with `***`.
pub(super) fn redact(message: &str, connection: &ClusterConnection) -> String {
    let secrets = [
        connection.sasl.as_ref().map(|s| s.password.expose()),
        connection
            .tls
            .as_ref()
            .and_then(|t| t.client_key_pem.as_ref())
            .map(|k| k.expose()),
    ];
    secrets
        .into_iter()
        .flatten()
        .filter(|secret| !secret.is_empty())
        .fold(message.to_string(), |text, secret| {
            text.replace(secret, "***")
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kafka::config::{SaslMechanism, SaslSettings};
    use crate::secret::Secret;

    fn error(name: &str) -> BrokerError {
        BrokerError {
            name: name.to_string(),
            message: String::new(),
        }
    }

    #[test]
    fn a_request_is_refused_as_a_whole_only_when_every_item_has_the_same_refusal() {
        let denied: Vec<Result<(), BrokerError>> =
            vec![Err(error("CLUSTER_AUTHORIZATION_FAILED")); 2];
        assert_eq!(
            refused_as_a_whole(denied.iter()).map(|e| e.name),
            Some("CLUSTER_AUTHORIZATION_FAILED".to_string())
        );
        let mixed = [Err(error("CLUSTER_AUTHORIZATION_FAILED")), Ok(())];
        assert_eq!(refused_as_a_whole(mixed.iter()), None);
        let invalid: Vec<Result<(), BrokerError>> = vec![Err(error("INVALID_REQUEST"))];
        assert_eq!(refused_as_a_whole(invalid.iter()), None);
    }

    fn assert_send<T: Send>(_: &T) {}

    /// The provider's gRPC handlers hold the client across awaits on a multi-thread runtime.
    #[test]
    fn the_client_and_its_futures_can_cross_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<KafkaAdmin>();
        fn futures_are_send(admin: &KafkaAdmin) {
            assert_send(&admin.create_acls(&[]));
            assert_send(&admin.describe_acls(&AclFilter::any()));
            assert_send(&admin.describe_acls_of_principals(&[], None));
            assert_send(&admin.delete_acls(&[]));
            assert_send(&admin.list_topics());
            assert_send(&admin.describe_topics(&[]));
            assert_send(&admin.describe_topic_configs(&[]));
            assert_send(&admin.create_topics(&[], false));
            assert_send(&admin.alter_topic_configs(&[]));
        }
        let _ = futures_are_send;
    }

    #[test]
    fn redact_hides_the_password_in_client_messages() {
        let connection = ClusterConnection {
            alias: "primary".into(),
            bootstrap_servers: vec!["localhost:9092".into()],
            tls: None,
            sasl: Some(SaslSettings {
                mechanism: SaslMechanism::Plain,
                username: "admin".into(),
                password: Secret::new("s3cr3t-pw"),
            }),
            timeout: Duration::from_secs(5),
        };
        let text = redact("Invalid value \"s3cr3t-pw\" for sasl.password", &connection);
        assert!(!text.contains("s3cr3t-pw"), "{text}");
    }
}
