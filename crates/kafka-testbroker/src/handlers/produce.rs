//! Produce: per-partition checks in the order of Kafka's `KafkaApis.handleProduceRequest`
//! and `ReplicaManager.appendRecords` (Apache Kafka 3.9): WRITE on the topic
//! (TOPIC_AUTHORIZATION_FAILED), the partition known (UNKNOWN_TOPIC_OR_PARTITION), the record
//! set's shape (INVALID_RECORD), `acks` in {-1, 0, 1} (INVALID_REQUIRED_ACKS), then the
//! log's own checks (MESSAGE_TOO_LARGE, CORRUPT_MESSAGE, keys on compacted topics,
//! timestamps). Accepted batches get offsets from the partition's log end offset.
//!
//! acks=0 gets no response; if any partition failed the connection is closed instead, as
//! Kafka does so that the producer refreshes its metadata. With every replica always in
//! sync, acks=-1 and acks=1 answer alike and NOT_ENOUGH_REPLICAS never arises (Kafka's
//! effective min ISR is min(min.insync.replicas, replication factor)).

use super::{text, topic_name};
use crate::acl::{AclOperation, RequestContext, ResourceType};
use crate::batch::{self, AppendRules, Rejection, Validated};
use crate::state::Shared;
use bytes::Bytes;
use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::produce_response::{
    BatchIndexAndErrorMessage, PartitionProduceResponse, TopicProduceResponse,
};
use kafka_protocol::messages::{ProduceRequest, ProduceResponse};
use uuid::Uuid;

/// What the connection does with a Produce request.
pub(crate) enum ProduceReply {
    Respond(ProduceResponse),
    /// acks=0 and every partition succeeded: nothing is sent.
    Silent,
    /// acks=0 and some partition failed: the connection is closed.
    Close,
}

/// Milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// A partition whose records passed the request-level checks, waiting for the append.
struct Pending {
    topic: usize,
    partition: usize,
    topic_id: Uuid,
    index: i32,
    records: Bytes,
    rules: AppendRules,
}

fn failed(index: i32, error: ResponseError, message: Option<String>) -> PartitionProduceResponse {
    PartitionProduceResponse::default()
        .with_index(index)
        .with_error_code(error.code())
        .with_base_offset(-1)
        .with_error_message(message.map(text))
}

fn rejected(index: i32, rejection: Rejection) -> PartitionProduceResponse {
    failed(index, rejection.error, Some(rejection.message)).with_record_errors(
        rejection
            .record_errors
            .into_iter()
            .map(|(batch_index, message)| {
                BatchIndexAndErrorMessage::default()
                    .with_batch_index(batch_index)
                    .with_batch_index_error_message(Some(text(message)))
            })
            .collect(),
    )
}

/// The append rules a topic's effective configs give.
fn rules_of(
    state: &crate::state::ClusterState,
    overrides: &std::collections::BTreeMap<String, String>,
) -> AppendRules {
    let value = |name: &str| state.broker_configs.effective_topic_value(name, overrides);
    let number = |name: &str| value(name).and_then(|v| v.parse::<i64>().ok());
    AppendRules {
        max_message_bytes: number("max.message.bytes").map_or(1_048_588, |n| n.max(0) as usize),
        compacted: value("cleanup.policy")
            .is_some_and(|v| crate::configs::split_list(&v).contains(&"compact")),
        log_append_time: value("message.timestamp.type").as_deref() == Some("LogAppendTime"),
        timestamp_before_max_ms: number("message.timestamp.before.max.ms").unwrap_or(i64::MAX),
        timestamp_after_max_ms: number("message.timestamp.after.max.ms").unwrap_or(i64::MAX),
    }
}

pub(crate) fn produce(
    shared: &Shared,
    context: &RequestContext<'_>,
    request: ProduceRequest,
    version: i16,
    forced: Option<i16>,
) -> ProduceReply {
    let now = now_ms();
    let mut topics: Vec<TopicProduceResponse> = Vec::new();
    let mut pending = Vec::new();
    {
        let state = shared.read_view(context.node);
        for (t, topic) in request.topic_data.iter().enumerate() {
            let name = topic.name.0.to_string();
            let authorized = Shared::authorized_in(
                &shared.config,
                &state,
                context,
                AclOperation::Write,
                ResourceType::Topic,
                &name,
            );
            let stored = state.topics.get(&name);
            let mut partitions = Vec::new();
            for (p, data) in topic.partition_data.iter().enumerate() {
                let index = data.index;
                let records = data.records.clone().unwrap_or_default();
                let response = if let Some(code) = forced {
                    PartitionProduceResponse::default()
                        .with_index(index)
                        .with_error_code(code)
                        .with_base_offset(-1)
                } else if !authorized {
                    failed(index, ResponseError::TopicAuthorizationFailed, None)
                } else if !stored.is_some_and(|s| (0..s.partitions).contains(&index)) {
                    failed(index, ResponseError::UnknownTopicOrPartition, None)
                } else if !matches!(request.acks, -1..=1) {
                    failed(index, ResponseError::InvalidRequiredAcks, None)
                } else {
                    let stored = stored.expect("checked above");
                    pending.push(Pending {
                        topic: t,
                        partition: p,
                        topic_id: stored.id,
                        index,
                        records,
                        rules: rules_of(&state, &stored.configs),
                    });
                    PartitionProduceResponse::default().with_index(index)
                };
                partitions.push(response);
            }
            topics.push(
                TopicProduceResponse::default()
                    .with_name(topic_name(&name))
                    .with_partition_responses(partitions),
            );
        }
    }
    let validated: Vec<Result<Validated, Rejection>> = pending
        .iter()
        .map(|job| {
            let name = &request.topic_data[job.topic].name.0;
            batch::validate(
                version,
                &job.records,
                &job.rules,
                &format!("{name}-{}", job.index),
                now,
            )
        })
        .collect();
    let mut appended = false;
    {
        let mut logs = shared.logs();
        for (job, outcome) in pending.into_iter().zip(validated) {
            let slot = &mut topics[job.topic].partition_responses[job.partition];
            match outcome {
                Err(rejection) => *slot = rejected(job.index, rejection),
                Ok(valid) => {
                    let log = logs.partition(job.topic_id, job.index);
                    let append_time = job.rules.log_append_time.then_some(now);
                    let base_offset = log.append(&job.records, &valid, append_time);
                    appended = true;
                    *slot = PartitionProduceResponse::default()
                        .with_index(job.index)
                        .with_base_offset(base_offset)
                        .with_log_append_time_ms(append_time.unwrap_or(-1))
                        .with_log_start_offset(log.log_start_offset());
                }
            }
        }
    }
    if appended {
        shared.notify_appended();
    }
    if request.acks == 0 {
        let any_error = topics
            .iter()
            .flat_map(|t| &t.partition_responses)
            .any(|p| p.error_code != 0);
        return if any_error {
            ProduceReply::Close
        } else {
            ProduceReply::Silent
        };
    }
    ProduceReply::Respond(ProduceResponse::default().with_responses(topics))
}
