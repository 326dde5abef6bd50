//! Fetch for consumers, after Kafka's `KafkaApis.handleFetchRequest` and
//! `ReplicaManager.fetchMessages/readFromLog` (Apache Kafka 3.9): topic ids from v13
//! (UNKNOWN_TOPIC_ID), READ on the topic (TOPIC_AUTHORIZATION_FAILED), the partition known
//! (UNKNOWN_TOPIC_OR_PARTITION), the leader epoch (UNKNOWN_LEADER_EPOCH), the offset within
//! the log (OFFSET_OUT_OF_RANGE); data from the batch holding the fetch offset, limited by
//! the partition and response `max_bytes` except that the first partition with data returns
//! at least one whole batch (KIP-74). Without enough data (`min_bytes`) the answer waits up
//! to `max_wait_ms` for appends, as Kafka's DelayedFetch does.
//!
//! Fetch sessions (KIP-227) are never created: the broker answers session id 0, as a Kafka
//! broker does whose session cache is full, so clients keep sending full fetches; an
//! incremental fetch of an unknown session is FETCH_SESSION_ID_NOT_FOUND. Follower fetches
//! are not modelled (there are no followers).

use super::topic_name;
use crate::acl::{AclOperation, RequestContext, ResourceType};
use crate::log::LEADER_EPOCH;
use crate::state::Shared;
use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::fetch_response::{FetchableTopicResponse, PartitionData};
use kafka_protocol::messages::{FetchRequest, FetchResponse};
use std::time::Duration;
use uuid::Uuid;

/// Session epoch meaning "full fetch, close any session" (`FetchMetadata.FINAL_EPOCH`).
const FINAL_EPOCH: i32 = -1;
const INITIAL_EPOCH: i32 = 0;

fn partition_error(index: i32, code: i16) -> PartitionData {
    PartitionData::default()
        .with_partition_index(index)
        .with_error_code(code)
        .with_high_watermark(-1)
        .with_last_stable_offset(-1)
        .with_log_start_offset(-1)
        .with_aborted_transactions(None)
}

/// A partition that passed the metadata and authorization checks.
struct Readable {
    topic: usize,
    partition: usize,
    topic_id: Uuid,
}

/// One pass over the request: the response, how many record bytes it holds, whether it
/// must be sent now (some partition read failed, or nothing is readable), and whether every
/// partition asked was readable and fetched at its high watermark (nothing to return yet).
struct Pass {
    response: FetchResponse,
    bytes: usize,
    settled: bool,
    at_log_end: bool,
}

fn fetch_once(
    shared: &Shared,
    context: &RequestContext<'_>,
    request: &FetchRequest,
    version: i16,
    forced: Option<i16>,
) -> Pass {
    let mut topics = Vec::new();
    let mut readable = Vec::new();
    let mut asked = 0usize;
    {
        let state = shared.read_view(context.node);
        for (t, wanted) in request.topics.iter().enumerate() {
            let name = if version >= 13 {
                state
                    .topics
                    .iter()
                    .find(|(_, topic)| topic.id == wanted.topic_id)
                    .map(|(name, _)| name.clone())
            } else {
                Some(wanted.topic.0.to_string())
            };
            let stored = name.as_ref().and_then(|n| state.topics.get(n));
            let authorized = name.as_ref().is_some_and(|n| {
                Shared::authorized_in(
                    &shared.config,
                    &state,
                    context,
                    AclOperation::Read,
                    ResourceType::Topic,
                    n,
                )
            });
            let mut partitions = Vec::new();
            for (p, fetch) in wanted.partitions.iter().enumerate() {
                asked += 1;
                let index = fetch.partition;
                let error = if let Some(code) = forced {
                    Some(code)
                } else if name.is_none() {
                    Some(ResponseError::UnknownTopicId.code())
                } else if !authorized {
                    Some(ResponseError::TopicAuthorizationFailed.code())
                } else if !stored.is_some_and(|s| (0..s.partitions).contains(&index)) {
                    Some(ResponseError::UnknownTopicOrPartition.code())
                } else {
                    None
                };
                match error {
                    Some(code) => partitions.push(partition_error(index, code)),
                    None => {
                        readable.push(Readable {
                            topic: t,
                            partition: p,
                            topic_id: stored.expect("checked above").id,
                        });
                        partitions.push(PartitionData::default().with_partition_index(index));
                    }
                }
            }
            let mut topic = FetchableTopicResponse::default().with_partitions(partitions);
            match &name {
                Some(name) => {
                    topic.topic = topic_name(name);
                    topic.topic_id = stored.map_or(wanted.topic_id, |s| s.id);
                }
                None => topic.topic_id = wanted.topic_id,
            }
            topics.push(topic);
        }
    }
    let read_committed = request.isolation_level == 1;
    let mut remaining = request.max_bytes.max(0) as usize;
    let mut min_one_message = true;
    let mut total = 0usize;
    let mut read_error = false;
    let settled_empty = readable.is_empty();
    let mut at_log_end = !settled_empty && readable.len() == asked;
    {
        let mut logs = shared.logs();
        for slot in readable {
            let fetch = &request.topics[slot.topic].partitions[slot.partition];
            let response = &mut topics[slot.topic].partitions[slot.partition];
            let log = logs.partition(slot.topic_id, fetch.partition);
            // Partition.localLogWithEpochOrThrow (the epoch never drops below 0, so no
            // FENCED_LEADER_EPOCH), then LocalLog.read's range check.
            if fetch.current_leader_epoch > LEADER_EPOCH {
                *response =
                    partition_error(fetch.partition, ResponseError::UnknownLeaderEpoch.code());
                read_error = true;
                continue;
            }
            if !log.in_range(fetch.fetch_offset) {
                *response =
                    partition_error(fetch.partition, ResponseError::OffsetOutOfRange.code());
                read_error = true;
                continue;
            }
            let limit = (fetch.partition_max_bytes.max(0) as usize).min(remaining);
            let records = log.read(fetch.fetch_offset, limit, min_one_message);
            if !records.is_empty() {
                min_one_message = false;
            }
            remaining = remaining.saturating_sub(records.len());
            total += records.len();
            let high_watermark = log.high_watermark();
            at_log_end &= fetch.fetch_offset == high_watermark;
            *response = PartitionData::default()
                .with_partition_index(fetch.partition)
                .with_high_watermark(high_watermark)
                .with_last_stable_offset(high_watermark)
                .with_log_start_offset(log.log_start_offset())
                .with_aborted_transactions(read_committed.then(Vec::new))
                .with_records(Some(records));
        }
    }
    let response = FetchResponse::default()
        .with_session_id(0)
        .with_responses(topics);
    Pass {
        response,
        bytes: total,
        settled: read_error || settled_empty,
        at_log_end: at_log_end && !read_error,
    }
}

pub(crate) async fn fetch(
    shared: &Shared,
    context: &RequestContext<'_>,
    request: FetchRequest,
    version: i16,
    forced: Option<i16>,
) -> FetchResponse {
    // FetchManager.newContext: an incremental fetch needs a session this broker never made.
    let full = request.session_epoch == INITIAL_EPOCH || request.session_epoch == FINAL_EPOCH;
    if version >= 7 && !full {
        return FetchResponse::default()
            .with_error_code(ResponseError::FetchSessionIdNotFound.code())
            .with_session_id(0);
    }
    let deadline =
        tokio::time::Instant::now() + Duration::from_millis(request.max_wait_ms.max(0) as u64);
    let min_bytes = request.min_bytes.max(0) as usize;
    let mut appended = shared.append_signal();
    let mut shutdown = shared.shutdown_signal();
    let mut first = true;
    loop {
        appended.borrow_and_update();
        let pass = fetch_once(shared, context, &request, version, forced);
        if first && pass.at_log_end {
            shared.hooks().on_fetch_at_log_end();
            shared.write_stats();
        }
        first = false;
        let response = pass.response;
        if pass.settled || pass.bytes >= min_bytes || tokio::time::Instant::now() >= deadline {
            return response;
        }
        tokio::select! {
            _ = tokio::time::timeout_at(deadline, appended.changed()) => {}
            _ = shutdown.wait_for(|stopped| *stopped) => return response,
        }
    }
}
