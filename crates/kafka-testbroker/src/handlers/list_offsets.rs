//! ListOffsets v1+, after Kafka's `KafkaApis.handleListOffsetRequestV1AndAbove`,
//! `Partition.fetchOffsetForTimestamp` and `UnifiedLog.fetchOffsetByTimestamp` (Apache
//! Kafka 3.9): DESCRIBE on the topic (TOPIC_AUTHORIZATION_FAILED), duplicate partitions
//! (INVALID_REQUEST), special timestamps only from the version that defines them
//! (UNSUPPORTED_VERSION), the partition known (UNKNOWN_TOPIC_OR_PARTITION), the leader epoch;
//! then EARLIEST (-2) and EARLIEST_LOCAL (-4) answer the log start offset, LATEST (-1) the
//! high watermark (all replicas are in sync, so it is also the last stable offset),
//! MAX_TIMESTAMP (-3, KIP-734) the first record with the largest timestamp, LATEST_TIERED
//! (-5, KIP-1005) -1 as without remote storage, and a timestamp the first record at or
//! after it below the high watermark (else offset -1).

use super::topic_name;
use crate::acl::{AclOperation, RequestContext, ResourceType};
use crate::log::LEADER_EPOCH;
use crate::state::Shared;
use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::list_offsets_response::{
    ListOffsetsPartitionResponse, ListOffsetsTopicResponse,
};
use kafka_protocol::messages::{ListOffsetsRequest, ListOffsetsResponse};
use std::collections::HashMap;

const LATEST: i64 = -1;
const EARLIEST: i64 = -2;
const MAX_TIMESTAMP: i64 = -3;
const EARLIEST_LOCAL: i64 = -4;
const LATEST_TIERED: i64 = -5;

/// The first version that serves a special timestamp (`timestampMinSupportedVersion`).
fn min_version(timestamp: i64) -> Option<i16> {
    match timestamp {
        LATEST | EARLIEST => Some(1),
        MAX_TIMESTAMP => Some(7),
        EARLIEST_LOCAL => Some(8),
        LATEST_TIERED => Some(9),
        _ => None,
    }
}

fn error(index: i32, code: i16) -> ListOffsetsPartitionResponse {
    ListOffsetsPartitionResponse::default()
        .with_partition_index(index)
        .with_error_code(code)
}

pub(crate) fn list_offsets(
    shared: &Shared,
    context: &RequestContext<'_>,
    request: ListOffsetsRequest,
    version: i16,
    forced: Option<i16>,
) -> ListOffsetsResponse {
    let mut seen: HashMap<(String, i32), usize> = HashMap::new();
    for topic in &request.topics {
        for partition in &topic.partitions {
            *seen
                .entry((topic.name.0.to_string(), partition.partition_index))
                .or_default() += 1;
        }
    }
    let state = shared.read_view(context.node);
    let mut logs = None;
    let mut topics = Vec::new();
    for topic in &request.topics {
        let name = topic.name.0.to_string();
        let authorized = Shared::authorized_in(
            &shared.config,
            &state,
            context,
            AclOperation::Describe,
            ResourceType::Topic,
            &name,
        );
        let stored = state.topics.get(&name);
        let partitions = topic
            .partitions
            .iter()
            .map(|wanted| {
                let index = wanted.partition_index;
                let timestamp = wanted.timestamp;
                if let Some(code) = forced {
                    return error(index, code);
                }
                if !authorized {
                    return error(index, ResponseError::TopicAuthorizationFailed.code());
                }
                if seen[&(name.clone(), index)] > 1 {
                    return error(index, ResponseError::InvalidRequest.code());
                }
                if timestamp < 0 && min_version(timestamp).is_none_or(|min| version < min) {
                    return error(index, ResponseError::UnsupportedVersion.code());
                }
                let Some(stored) = stored.filter(|s| (0..s.partitions).contains(&index)) else {
                    return error(index, ResponseError::UnknownTopicOrPartition.code());
                };
                // The epoch never drops below 0, so no FENCED_LEADER_EPOCH.
                if wanted.current_leader_epoch > LEADER_EPOCH {
                    return error(index, ResponseError::UnknownLeaderEpoch.code());
                }
                let logs = logs.get_or_insert_with(|| shared.logs());
                let log = logs.partition(stored.id, index);
                let found = match timestamp {
                    EARLIEST | EARLIEST_LOCAL => Some((-1, log.log_start_offset(), LEADER_EPOCH)),
                    LATEST => Some((-1, log.high_watermark(), LEADER_EPOCH)),
                    LATEST_TIERED => Some((-1, -1, -1)),
                    MAX_TIMESTAMP => log
                        .max_timestamp()
                        .map(|(ts, offset)| (ts, offset, LEADER_EPOCH)),
                    _ => log
                        .offset_for_timestamp(timestamp)
                        .filter(|(_, offset)| *offset < log.high_watermark())
                        .map(|(ts, offset)| (ts, offset, LEADER_EPOCH)),
                };
                let response = ListOffsetsPartitionResponse::default().with_partition_index(index);
                match found {
                    Some((ts, offset, epoch)) => {
                        let response = response.with_timestamp(ts).with_offset(offset);
                        if version >= 4 {
                            response.with_leader_epoch(epoch)
                        } else {
                            response
                        }
                    }
                    None => response,
                }
            })
            .collect();
        topics.push(
            ListOffsetsTopicResponse::default()
                .with_name(topic_name(&name))
                .with_partitions(partitions),
        );
    }
    ListOffsetsResponse::default().with_topics(topics)
}
