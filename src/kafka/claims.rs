//! [`ClaimsLog`]: one compacted topic read to its end (whole, or on from where a previous read
//! ended) and appended to, with rdkafka's safe producer and consumer. It moves opaque
//! key/value records (a `None` value is a tombstone); what they mean is the caller's business.
//!
//! - Appends are produced with `acks=all` and one request in flight, and [`ClaimsLog::append`]
//!   returns only once every record is acknowledged: an acknowledged record is below the
//!   high watermark, so every later read sees it (Kafka's `acks=all` contract, KIP-392 /
//!   the producer docs: the leader answers once every in-sync replica has the record).
//!   One Produce request per batch of at most [`CLAIMS_BATCH_RECORDS`] records and
//!   [`CLAIMS_BATCH_BYTES`] bytes.
//! - Reads assign every partition (a `BaseConsumer` with no group, no commits,
//!   `read_uncommitted`) from where the caller's previous read of this log ended, or from its
//!   log start, and stop at the high watermark each partition had when the read began: two
//!   ListOffsets per partition (log start and end) and, where records are new, one large
//!   Fetch per partition where the data allows. Reading on from a previous read gives the
//!   records a whole read would give after the ones already read: compaction only removes a
//!   record for a later one with its key.
//! - A read says when the node asked does not list the topic, or the reader knows no leader
//!   or offsets for a partition yet ([`LogRead`]): under metadata lag that is not "no
//!   records", and [`ClaimsLog::exists_at_controller`] asks the controller.
//! - [`ClaimsLog::ensure`] creates the topic (one partition, `cleanup.policy=compact`) when
//!   it does not exist.
//! - On an OAUTHBEARER cluster each producer and consumer gets a freshly fetched token before
//!   it connects, as the admin client does (they live for one read or append, well within a
//!   token's lifetime).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant, UNIX_EPOCH};

use rdkafka::client::{Client, ClientContext};
use rdkafka::config::{ClientConfig, FromClientConfigAndContext};
use rdkafka::consumer::{BaseConsumer, Consumer, DefaultConsumerContext};
use rdkafka::error::KafkaError as RdError;
use rdkafka::message::Message;
use rdkafka::producer::{BaseProducer, BaseRecord, DeliveryResult, Producer, ProducerContext};
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::{Offset, TopicPartitionList};

use super::admin::{client_config, redact, KafkaAdmin};
use super::config::ClusterConnection;
use super::error::{BrokerError, KafkaError};
use super::ffi::set_oauth_token;
use super::oauth::fetch_token;
use super::topics::{NewTopic, TopicLookup};
use crate::model::acl::Operation;
use crate::model::timing::AtController;
use crate::secret::Secret;

/// The topic configs a claims topic is created with.
pub const CLAIMS_TOPIC_CONFIGS: [(&str, &str); 1] = [("cleanup.policy", "compact")];

/// Largest fetch the reader asks for (per partition and per request): claims of 60 000
/// bindings take about 10 MB, so a whole claims topic usually comes in one Fetch.
const FETCH_MAX_BYTES: usize = 64 * 1024 * 1024;

/// Most records one Produce request carries (librdkafka's `batch.num.messages`).
pub const CLAIMS_BATCH_RECORDS: usize = 10_000;

/// Most bytes of records one Produce request carries (librdkafka's `batch.size`; Kafka's
/// default `max.message.bytes` of a topic is 1 048 588).
pub const CLAIMS_BATCH_BYTES: usize = 1_000_000;

/// One record: key and value (`None`: tombstone).
pub type LogRecord = (Vec<u8>, Option<Vec<u8>>);

/// Where a read ended: per partition, the offset the next read starts at (the high watermark
/// the partition had when the read began).
pub type LogPositions = BTreeMap<i32, i64>;

/// The records one read found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogSlice {
    /// In offset order per partition, partitions one after the other.
    pub records: Vec<LogRecord>,
    /// Where the next read continues.
    pub next: LogPositions,
    /// The records start at the log start although the read was asked to go on from
    /// positions: those did not fit the log any more (records below them were deleted, or
    /// the topic was made anew), so what earlier reads found no longer stands.
    pub from_start: bool,
}

/// What one read of the log found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogRead {
    /// The records from the positions asked (or the log start) to the high watermark.
    Records(LogSlice),
    /// The node the admin asked does not list the topic (absent, or not there yet).
    Unlisted,
    /// Listed, but the reader's node knows no leader or offsets of a partition yet.
    LeaderUnknown,
}

/// A compacted topic on one cluster, read to its end and appended to.
pub struct ClaimsLog {
    alias: String,
    topic: String,
    config: ClientConfig,
    timeout: Duration,
    connection: ClusterConnection,
}

impl std::fmt::Debug for ClaimsLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClaimsLog")
            .field("alias", &self.alias)
            .field("topic", &self.topic)
            .finish_non_exhaustive()
    }
}

/// Counts the records acknowledged and keeps the first delivery error.
#[derive(Default)]
struct Deliveries {
    acknowledged: AtomicUsize,
    failed: Mutex<Option<RdError>>,
}

impl ClientContext for Deliveries {}

impl ProducerContext for Deliveries {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, _: ()) {
        match result {
            Ok(_) => {
                self.acknowledged.fetch_add(1, Ordering::Relaxed);
            }
            Err((error, _)) => {
                let mut failed = self
                    .failed
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                failed.get_or_insert_with(|| error.clone());
            }
        }
    }
}

impl ClaimsLog {
    /// The log `topic` on the cluster `connection` reaches (nothing connects yet).
    pub fn new(connection: &ClusterConnection, topic: &str) -> ClaimsLog {
        ClaimsLog {
            alias: connection.alias.clone(),
            topic: topic.to_string(),
            config: client_config(connection),
            timeout: connection.timeout,
            connection: connection.clone(),
        }
    }

    /// A token for the log's own producer or consumer when the cluster uses OAUTHBEARER (each
    /// librdkafka client needs one handed over; see `crate::kafka::oauth`).
    async fn token(&self) -> Result<Option<Token>, KafkaError> {
        let Some(oauth) = &self.connection.oauth else {
            return Ok(None);
        };
        let token =
            fetch_token(oauth, self.timeout)
                .await
                .map_err(|error| KafkaError::OAuthFailed {
                    alias: self.alias.clone(),
                    bootstrap_servers: self.connection.bootstrap_servers.clone(),
                    message: redact(&error.to_string(), &self.connection),
                })?;
        Ok(Some(Token {
            expires_ms: token
                .expires_at
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as i64),
            value: token.value,
            subject: token.subject,
            extensions: oauth.extensions.clone().into_iter().collect(),
        }))
    }

    pub fn topic(&self) -> &str {
        &self.topic
    }

    /// Creates the topic when it does not exist (one partition, replication factor
    /// `min(3, brokers)`, compacted); one that appears meanwhile is fine.
    pub async fn ensure(&self, admin: &KafkaAdmin) -> Result<(), KafkaError> {
        let name = vec![self.topic.clone()];
        if let [TopicLookup::Exists(_)] = admin.describe_topics(&name).await?.as_slice() {
            return Ok(());
        }
        let brokers = admin.broker_count().await?;
        let topic = NewTopic {
            name: self.topic.clone(),
            partitions: Some(1),
            replication_factor: Some(u32::try_from(brokers.clamp(1, 3)).unwrap_or(1)),
            configs: CLAIMS_TOPIC_CONFIGS
                .iter()
                .map(|(key, value)| (key.to_string(), value.to_string()))
                .collect(),
        };
        for (_, outcome) in admin.create_topics(&[topic], false).await? {
            match outcome {
                Ok(()) => {}
                Err(error) if error.name == "TOPIC_ALREADY_EXISTS" => {}
                Err(error) if error.is_authorization_failure() => {
                    return Err(self.unauthorized(Operation::Create, &error.name));
                }
                Err(error) => {
                    return Err(KafkaError::Request {
                        alias: self.alias.clone(),
                        operation: "CreateTopics",
                        error,
                    })
                }
            }
        }
        Ok(())
    }

    /// Which of CREATE, READ, WRITE, DESCRIBE on the topic the connected principal lacks
    /// (from the topic's authorized operations, KIP-430; CREATE by a validate-only
    /// CreateTopics when the topic does not exist yet). Sorted, empty when all are granted.
    pub async fn missing_rights(&self, admin: &KafkaAdmin) -> Result<Vec<Operation>, KafkaError> {
        let needed = [Operation::Read, Operation::Write, Operation::Describe];
        match admin.topic_authorized_operations(&self.topic).await {
            Ok(Some(granted)) => Ok(needed
                .into_iter()
                .filter(|op| !granted.contains(op) && !granted.contains(&Operation::All))
                .collect()),
            // Not reported (an old broker): apply reports what it is refused.
            Ok(None) => Ok(Vec::new()),
            Err(KafkaError::AuthorizationFailed { .. }) => Ok(vec![Operation::Describe]),
            Err(KafkaError::Request { error, .. })
                if error.name == "UNKNOWN_TOPIC_OR_PARTITION" =>
            {
                let topic = NewTopic {
                    name: self.topic.clone(),
                    partitions: Some(1),
                    replication_factor: None,
                    configs: BTreeMap::new(),
                };
                match admin.create_topics(&[topic], true).await {
                    Ok(outcomes) => Ok(outcomes
                        .into_iter()
                        .filter(|(_, outcome)| {
                            matches!(outcome, Err(error) if error.is_authorization_failure())
                        })
                        .map(|_| Operation::Create)
                        .collect()),
                    Err(KafkaError::AuthorizationFailed { .. }) => Ok(vec![Operation::Create]),
                    Err(other) => Err(other),
                }
            }
            Err(other) => Err(other),
        }
    }

    /// Whether the controller holds the topic: a validate-only CreateTopics, which answers
    /// TOPIC_ALREADY_EXISTS from the controller's state and creates nothing (KRaft:
    /// `ReplicationControlManager.createTopics` marks existing names before any other check
    /// and returns no records when `validateOnly`; ZooKeeper mode: `ZkAdminManager`). A
    /// validation error of the would-be topic means it does not exist; a refusal or another
    /// error says nothing.
    pub async fn exists_at_controller(
        &self,
        admin: &KafkaAdmin,
    ) -> Result<AtController, KafkaError> {
        let topic = NewTopic {
            name: self.topic.clone(),
            partitions: Some(1),
            replication_factor: None,
            configs: BTreeMap::new(),
        };
        let outcomes = match admin.create_topics(&[topic], true).await {
            Ok(outcomes) => outcomes,
            Err(KafkaError::AuthorizationFailed { .. }) => return Ok(AtController::Unknown),
            Err(other) => return Err(other),
        };
        let Some((_, outcome)) = outcomes.into_iter().next() else {
            return Ok(AtController::Unknown);
        };
        Ok(match outcome {
            Ok(()) => AtController::Absent,
            Err(error) => match error.name.as_str() {
                "TOPIC_ALREADY_EXISTS" => AtController::Exists,
                "INVALID_REPLICATION_FACTOR"
                | "INVALID_PARTITIONS"
                | "INVALID_CONFIG"
                | "INVALID_REPLICA_ASSIGNMENT"
                | "POLICY_VIOLATION" => AtController::Absent,
                _ => AtController::Unknown,
            },
        })
    }

    /// The records from `after` (where an earlier read of this log ended; empty: the log
    /// start) to the high watermark, or why there is nothing to read yet ([`LogRead`]).
    pub async fn read(
        &self,
        admin: &KafkaAdmin,
        after: &LogPositions,
    ) -> Result<LogRead, KafkaError> {
        let name = vec![self.topic.clone()];
        let partitions = match admin.describe_topics(&name).await?.as_slice() {
            [TopicLookup::Exists(description)] => description.partitions,
            _ => return Ok(LogRead::Unlisted),
        };
        let mut config = self.config.clone();
        // librdkafka wants a group id for a consumer; with `assign` and no commits it never
        // contacts the group coordinator.
        config
            .set("group.id", "kafkamirror-claims-reader")
            .set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false")
            .set("isolation.level", "read_uncommitted")
            .set("enable.partition.eof", "false")
            // Fetch again only once what was fetched is consumed: the read stops at the high
            // watermark, so a prefetch past it would only wait out `fetch.wait.max.ms`.
            .set("queued.min.messages", "1")
            .set("fetch.max.bytes", FETCH_MAX_BYTES.to_string())
            .set("max.partition.fetch.bytes", FETCH_MAX_BYTES.to_string())
            .set(
                "receive.message.max.bytes",
                (FETCH_MAX_BYTES * 2).to_string(),
            );
        let topic = self.topic.clone();
        let timeout = self.timeout;
        let token = self.token().await?;
        let after = after.clone();
        let task = tokio::task::spawn_blocking(move || {
            read_partitions(&config, token.as_ref(), &topic, partitions, &after, timeout)
        });
        match task.await {
            Ok(result) => result.map_err(|failure| self.failure(failure)),
            Err(join) => Err(self.request_error("Fetch", "TASK_FAILED", join.to_string())),
        }
    }

    /// Appends `records` and returns once every one is acknowledged by all in-sync
    /// replicas. Records with the same key stay in order (one request in flight).
    pub async fn append(&self, records: Vec<LogRecord>) -> Result<(), KafkaError> {
        if records.is_empty() {
            return Ok(());
        }
        let mut config = self.config.clone();
        let timeout_ms = self.timeout.as_millis().max(1000);
        // Full batches leave at once; the last one waits for `flush`, which ignores
        // `linger.ms`, so no partial batch goes out while records are still being queued.
        let linger_ms = (timeout_ms / 2).min(500);
        config
            .set("acks", "all")
            .set("enable.idempotence", "false")
            .set("max.in.flight.requests.per.connection", "1")
            .set("linger.ms", linger_ms.to_string())
            .set("message.timeout.ms", timeout_ms.to_string())
            .set("batch.num.messages", CLAIMS_BATCH_RECORDS.to_string())
            .set("batch.size", CLAIMS_BATCH_BYTES.to_string())
            .set("queue.buffering.max.messages", "1000000");
        let topic = self.topic.clone();
        let timeout = self.timeout;
        let token = self.token().await?;
        let task = tokio::task::spawn_blocking(move || {
            produce(&config, token.as_ref(), &topic, records, timeout)
        });
        match task.await {
            Ok(result) => result.map_err(|failure| self.failure(failure)),
            Err(join) => Err(self.request_error("Produce", "TASK_FAILED", join.to_string())),
        }
    }

    fn unauthorized(&self, operation: Operation, error_name: &str) -> KafkaError {
        KafkaError::AuthorizationFailed {
            alias: self.alias.clone(),
            operation: operation.as_str().to_string(),
            resource: format!("TOPIC {}", self.topic),
            error_name: error_name.to_string(),
        }
    }

    fn request_error(&self, operation: &'static str, name: &str, message: String) -> KafkaError {
        KafkaError::Request {
            alias: self.alias.clone(),
            operation,
            error: BrokerError {
                name: name.to_string(),
                message: redact(&message, &self.connection),
            },
        }
    }

    fn failure(&self, failure: LogFailure) -> KafkaError {
        let (call, operation, error) = match failure {
            LogFailure::Client(message) => {
                return KafkaError::InvalidSettings {
                    alias: self.alias.clone(),
                    message: redact(&message, &self.connection),
                }
            }
            LogFailure::TimedOut(call) => {
                return KafkaError::Timeout {
                    alias: self.alias.clone(),
                    operation: call,
                    timeout: self.timeout,
                }
            }
            LogFailure::Kafka {
                call,
                operation,
                error,
            } => (call, operation, error),
        };
        match error.rdkafka_error_code() {
            Some(RDKafkaErrorCode::TopicAuthorizationFailed) => {
                self.unauthorized(operation, "TOPIC_AUTHORIZATION_FAILED")
            }
            Some(
                RDKafkaErrorCode::MessageTimedOut
                | RDKafkaErrorCode::OperationTimedOut
                | RDKafkaErrorCode::RequestTimedOut,
            ) => KafkaError::Timeout {
                alias: self.alias.clone(),
                operation: call,
                timeout: self.timeout,
            },
            Some(code) => self.request_error(call, &error_name(code), error.to_string()),
            None => self.request_error(call, "UNKNOWN", error.to_string()),
        }
    }
}

/// Why a blocking read or append failed, before it is typed with the cluster's alias.
enum LogFailure {
    Client(String),
    TimedOut(&'static str),
    Kafka {
        call: &'static str,
        /// The ACL operation the failing request needs on the topic.
        operation: Operation,
        error: RdError,
    },
}

/// librdkafka's error code as Kafka's upper-case name (`TopicAuthorizationFailed` ->
/// `TOPIC_AUTHORIZATION_FAILED`).
fn error_name(code: RDKafkaErrorCode) -> String {
    let debug = format!("{code:?}");
    let mut name = String::with_capacity(debug.len() + 8);
    for (index, character) in debug.chars().enumerate() {
        if character.is_ascii_uppercase() && index > 0 {
            name.push('_');
        }
        name.push(character.to_ascii_uppercase());
    }
    name
}

/// An OAUTHBEARER token for one of the log's clients.
struct Token {
    value: Secret,
    expires_ms: i64,
    subject: String,
    extensions: Vec<(String, String)>,
}

/// Hands `token` (if any) to a freshly made client before it connects.
fn hand_over<C: ClientContext>(
    client: &Client<C>,
    token: Option<&Token>,
) -> Result<(), LogFailure> {
    let Some(token) = token else {
        return Ok(());
    };
    set_oauth_token(
        client,
        token.value.expose(),
        token.expires_ms,
        &token.subject,
        &token.extensions,
    )
    .map_err(LogFailure::Client)
}

/// The watermark errors of a reader whose node does not know the partition or its leader
/// yet (its metadata trails the node that listed the topic). librdkafka's leader query
/// refreshes the metadata once and then gives up on a topic it does not list, with
/// `_UNKNOWN_PARTITION` (`rd_kafka_topic_partition_list_query_leaders`).
fn leader_unknown(error: &RdError) -> bool {
    matches!(
        error.rdkafka_error_code(),
        Some(
            RDKafkaErrorCode::UnknownTopicOrPartition
                | RDKafkaErrorCode::LeaderNotAvailable
                | RDKafkaErrorCode::NotLeaderForPartition
                | RDKafkaErrorCode::UnknownPartition
                | RDKafkaErrorCode::UnknownTopic
        )
    )
}

/// Where each partition's read starts, given its watermarks and the positions asked: from
/// the positions when every one lies within its partition's log (a partition they do not
/// name is read from its log start), else every partition from its log start (`true`).
fn read_starts(
    watermarks: &BTreeMap<i32, (i64, i64)>,
    after: &LogPositions,
) -> (BTreeMap<i32, i64>, bool) {
    let fits = after.iter().all(|(partition, position)| {
        watermarks
            .get(partition)
            .is_some_and(|&(low, high)| (low..=high).contains(position))
    });
    let starts = watermarks
        .iter()
        .map(|(&partition, &(low, _))| {
            let start = if fits {
                after.get(&partition).copied().unwrap_or(low)
            } else {
                low
            };
            (partition, start)
        })
        .collect();
    (starts, !fits)
}

fn read_partitions(
    config: &ClientConfig,
    token: Option<&Token>,
    topic: &str,
    partitions: usize,
    after: &LogPositions,
    timeout: Duration,
) -> Result<LogRead, LogFailure> {
    let consumer: BaseConsumer<DefaultConsumerContext> =
        BaseConsumer::from_config_and_context(config, DefaultConsumerContext)
            .map_err(|e| LogFailure::Client(e.to_string()))?;
    hand_over(consumer.client(), token)?;
    let kafka = |call, operation| {
        move |error| LogFailure::Kafka {
            call,
            operation,
            error,
        }
    };
    let partitions = i32::try_from(partitions).unwrap_or(i32::MAX);
    // ListOffsets needs DESCRIBE on the topic; Fetch needs READ.
    let mut watermarks = BTreeMap::new();
    for partition in 0..partitions {
        match consumer.fetch_watermarks(topic, partition, timeout) {
            Ok(found) => watermarks.insert(partition, found),
            Err(error) if leader_unknown(&error) => return Ok(LogRead::LeaderUnknown),
            Err(error) => return Err(kafka("ListOffsets", Operation::Describe)(error)),
        };
    }
    let (starts, from_start) = read_starts(&watermarks, after);
    let next: LogPositions = watermarks
        .iter()
        .map(|(&partition, &(_, high))| (partition, high))
        .collect();
    let mut ends = BTreeMap::new();
    let mut assignment = TopicPartitionList::new();
    for (&partition, &start) in &starts {
        let high = next[&partition];
        if high > start {
            ends.insert(partition, high);
            assignment
                .add_partition_offset(topic, partition, Offset::Offset(start))
                .map_err(kafka("Fetch", Operation::Read))?;
        }
    }
    let mut by_partition: BTreeMap<i32, Vec<LogRecord>> = BTreeMap::new();
    if ends.is_empty() {
        return Ok(LogRead::Records(LogSlice {
            records: Vec::new(),
            next,
            from_start,
        }));
    }
    consumer
        .assign(&assignment)
        .map_err(kafka("Fetch", Operation::Read))?;
    let deadline = Instant::now() + timeout;
    let mut open: BTreeMap<i32, i64> = ends.clone();
    while !open.is_empty() {
        let remaining = deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() {
            return Err(LogFailure::TimedOut("Fetch"));
        }
        let Some(polled) = consumer.poll(remaining.min(Duration::from_millis(500))) else {
            continue;
        };
        let message = polled.map_err(kafka("Fetch", Operation::Read))?;
        let partition = message.partition();
        let Some(&end) = open.get(&partition) else {
            continue;
        };
        if message.offset() < end {
            by_partition.entry(partition).or_default().push((
                message.key().unwrap_or_default().to_vec(),
                message.payload().map(<[u8]>::to_vec),
            ));
        }
        if message.offset() + 1 >= end {
            open.remove(&partition);
        }
    }
    Ok(LogRead::Records(LogSlice {
        records: by_partition.into_values().flatten().collect(),
        next,
        from_start,
    }))
}

fn produce(
    config: &ClientConfig,
    token: Option<&Token>,
    topic: &str,
    records: Vec<LogRecord>,
    timeout: Duration,
) -> Result<(), LogFailure> {
    let producer: BaseProducer<Deliveries> =
        BaseProducer::from_config_and_context(config, Deliveries::default())
            .map_err(|e| LogFailure::Client(e.to_string()))?;
    hand_over(producer.client(), token)?;
    let kafka = |error| LogFailure::Kafka {
        call: "Produce",
        operation: Operation::Write,
        error,
    };
    let deadline = Instant::now() + timeout;
    for (key, value) in &records {
        let mut record = BaseRecord::to(topic).key(key.as_slice());
        if let Some(value) = value {
            record = record.payload(value.as_slice());
        }
        loop {
            match producer.send(record) {
                Ok(()) => break,
                Err((RdError::MessageProduction(RDKafkaErrorCode::QueueFull), again))
                    if Instant::now() < deadline =>
                {
                    record = again;
                    producer.poll(Duration::from_millis(100));
                }
                Err((error, _)) => return Err(kafka(error)),
            }
        }
    }
    let remaining = deadline.saturating_duration_since(Instant::now());
    producer.flush(remaining).map_err(|error| match error {
        RdError::Flush(_) => LogFailure::TimedOut("Produce"),
        other => kafka(other),
    })?;
    let deliveries = producer.context();
    let failed = deliveries
        .failed
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .take();
    if let Some(error) = failed {
        return Err(kafka(error));
    }
    if deliveries.acknowledged.load(Ordering::Relaxed) < records.len() {
        return Err(LogFailure::TimedOut("Produce"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_goes_on_from_positions_inside_the_log_and_else_starts_over() {
        let watermarks = BTreeMap::from([(0, (0, 10)), (1, (4, 4))]);
        // (positions asked, starts, from the log start)
        type Case<'a> = (&'a [(i32, i64)], &'a [(i32, i64)], bool);
        let cases: [Case; 6] = [
            // First read: every partition from its log start.
            (&[], &[(0, 0), (1, 4)], false),
            // Going on; a partition the positions do not name starts at its log start.
            (&[(0, 7), (1, 4)], &[(0, 7), (1, 4)], false),
            (&[(0, 10)], &[(0, 10), (1, 4)], false),
            // Records below a position were deleted (log start moved past it).
            (&[(0, 7), (1, 2)], &[(0, 0), (1, 4)], true),
            // A position past the high watermark: the topic was made anew.
            (&[(0, 12)], &[(0, 0), (1, 4)], true),
            // A partition the log does not have any more.
            (&[(2, 1)], &[(0, 0), (1, 4)], true),
        ];
        for (after, starts, from_start) in cases {
            let after: LogPositions = after.iter().copied().collect();
            assert_eq!(
                read_starts(&watermarks, &after),
                (starts.iter().copied().collect(), from_start),
                "{after:?}"
            );
        }
    }

    #[test]
    fn error_codes_read_as_kafka_names() {
        assert_eq!(
            error_name(RDKafkaErrorCode::TopicAuthorizationFailed),
            "TOPIC_AUTHORIZATION_FAILED"
        );
        assert_eq!(
            error_name(RDKafkaErrorCode::NotEnoughReplicas),
            "NOT_ENOUGH_REPLICAS"
        );
    }
}
