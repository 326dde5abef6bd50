//! Partition logs: record batches appended per partition with broker-assigned offsets, read
//! back from an offset within a byte budget, and searched by timestamp, as Kafka's
//! `UnifiedLog`/`LogSegment` (Apache Kafka 3.9) do for one segment.
//!
//! Every replica is always in sync, so the high watermark is the log end offset. Nothing is
//! ever removed: the log start offset stays 0 and compaction never runs. Kafka compacts in
//! the background and never promises when, so a reader of a compacted topic may see
//! superseded records and tombstones; here it always sees all of them.

use crate::batch::{self, Validated};
use bytes::Bytes;
use kafka_protocol::records::RecordBatchDecoder;
use std::collections::HashMap;
use uuid::Uuid;

/// The leader epoch of every partition: leadership never moves.
pub(crate) const LEADER_EPOCH: i32 = 0;

#[derive(Debug, Clone)]
struct StoredBatch {
    position: usize,
    size: usize,
    base_offset: i64,
    last_offset: i64,
    max_timestamp: i64,
    /// `(offset, timestamp)` per record; empty for compressed batches.
    timestamps: Vec<(i64, i64)>,
}

/// One partition's log.
#[derive(Debug, Default, Clone)]
pub(crate) struct PartitionLog {
    data: Vec<u8>,
    batches: Vec<StoredBatch>,
    log_end_offset: i64,
}

/// A record as stored, for in-process assertions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRecord {
    pub partition: i32,
    pub offset: i64,
    pub timestamp: i64,
    pub key: Option<Vec<u8>>,
    /// `None` is a tombstone.
    pub value: Option<Vec<u8>>,
}

impl PartitionLog {
    pub fn log_start_offset(&self) -> i64 {
        0
    }

    /// The high watermark, equal to the log end offset (all replicas are in sync).
    pub fn high_watermark(&self) -> i64 {
        self.log_end_offset
    }

    /// Appends a validated batch; returns its base offset (`UnifiedLog.append` as leader).
    pub fn append(
        &mut self,
        records: &[u8],
        validated: &Validated,
        log_append_time: Option<i64>,
    ) -> i64 {
        let base_offset = self.log_end_offset;
        let position = self.data.len();
        let size = validated.header.size;
        self.data.extend_from_slice(&records[..size]);
        batch::assign(
            &mut self.data[position..],
            base_offset,
            LEADER_EPOCH,
            log_append_time,
        );
        let count = i64::from(validated.header.records_count);
        let timestamps = match log_append_time {
            Some(now) => (0..count).map(|i| (base_offset + i, now)).collect(),
            None => validated
                .timestamps
                .iter()
                .map(|(delta, ts)| (base_offset + i64::from(*delta), *ts))
                .collect(),
        };
        self.batches.push(StoredBatch {
            position,
            size,
            base_offset,
            last_offset: base_offset + count - 1,
            max_timestamp: log_append_time.unwrap_or(validated.header.max_timestamp),
            timestamps,
        });
        self.log_end_offset += count;
        base_offset
    }

    /// Whether a consumer may fetch from `offset` (`LocalLog.read`: within the log start
    /// and end offsets).
    pub fn in_range(&self, offset: i64) -> bool {
        (self.log_start_offset()..=self.log_end_offset).contains(&offset)
    }

    /// The bytes from the batch holding `offset` on, at most `max_bytes` of them, or the
    /// whole first batch when `min_one_message` (KIP-74). As in `LogSegment.read` the last
    /// batch may be cut short; clients discard a partial trailing batch.
    pub fn read(&self, offset: i64, max_bytes: usize, min_one_message: bool) -> Bytes {
        let first = self.batches.partition_point(|b| b.last_offset < offset);
        let Some(start) = self.batches.get(first) else {
            return Bytes::new();
        };
        let available = self.data.len() - start.position;
        let budget = if min_one_message {
            max_bytes.max(start.size)
        } else {
            max_bytes
        };
        let end = start.position + available.min(budget);
        Bytes::copy_from_slice(&self.data[start.position..end])
    }

    /// `UnifiedLog.fetchOffsetByTimestamp` for a timestamp >= 0: the first record whose
    /// timestamp is at least `target`, as `(timestamp, offset)`. A compressed batch's
    /// records are not indexed: it answers with its base offset and max timestamp.
    pub fn offset_for_timestamp(&self, target: i64) -> Option<(i64, i64)> {
        let batch = self.batches.iter().find(|b| b.max_timestamp >= target)?;
        if batch.timestamps.is_empty() {
            return Some((batch.max_timestamp, batch.base_offset));
        }
        batch
            .timestamps
            .iter()
            .find(|(_, ts)| *ts >= target)
            .map(|(offset, ts)| (*ts, *offset))
    }

    /// ListOffsets MAX_TIMESTAMP (KIP-734): the first record carrying the largest timestamp.
    pub fn max_timestamp(&self) -> Option<(i64, i64)> {
        let batch = self.batches.iter().filter(|b| b.max_timestamp >= 0).fold(
            None::<&StoredBatch>,
            |best, b| match best {
                Some(best) if best.max_timestamp >= b.max_timestamp => Some(best),
                _ => Some(b),
            },
        )?;
        let offset = batch
            .timestamps
            .iter()
            .find(|(_, ts)| *ts == batch.max_timestamp)
            .map_or(batch.base_offset, |(offset, _)| *offset);
        Some((batch.max_timestamp, offset))
    }

    /// Every record of the uncompressed batches, in offset order.
    pub fn records(&self, partition: i32) -> Vec<StoredRecord> {
        let mut out = Vec::new();
        for stored in &self.batches {
            let mut bytes =
                Bytes::copy_from_slice(&self.data[stored.position..stored.position + stored.size]);
            let log_append_time = batch::read_header(&bytes).is_some_and(|h| h.log_append_time());
            let Ok(set) = RecordBatchDecoder::decode(&mut bytes) else {
                continue;
            };
            // A LogAppendTime batch's records all carry its max timestamp (KIP-32).
            out.extend(set.records.into_iter().map(|r| StoredRecord {
                partition,
                offset: r.offset,
                timestamp: if log_append_time {
                    stored.max_timestamp
                } else {
                    r.timestamp
                },
                key: r.key.map(|k| k.to_vec()),
                value: r.value.map(|v| v.to_vec()),
            }));
        }
        out
    }
}

/// All partition logs, keyed by topic id (a recreated topic starts empty) and partition.
#[derive(Debug, Default)]
pub(crate) struct Logs {
    partitions: HashMap<(Uuid, i32), PartitionLog>,
}

impl Logs {
    /// The log of a partition, created empty on first use.
    pub fn partition(&mut self, topic: Uuid, partition: i32) -> &mut PartitionLog {
        self.partitions.entry((topic, partition)).or_default()
    }

    /// Drops the logs of a deleted topic.
    pub fn remove_topic(&mut self, topic: Uuid) {
        self.partitions.retain(|(id, _), _| *id != topic);
    }

    /// Records of every partition of `topic`, by partition then offset.
    pub fn records(&self, topic: Uuid) -> Vec<StoredRecord> {
        let mut keys: Vec<i32> = self
            .partitions
            .keys()
            .filter(|(id, _)| *id == topic)
            .map(|(_, p)| *p)
            .collect();
        keys.sort_unstable();
        keys.into_iter()
            .flat_map(|p| self.partitions[&(topic, p)].records(p))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::tests::encode;
    use crate::batch::{validate, AppendRules};

    fn append(log: &mut PartitionLog, records: &[(Option<&str>, Option<&str>)], ts: i64) -> i64 {
        let bytes = encode(records, ts);
        let rules = AppendRules {
            max_message_bytes: usize::MAX,
            compacted: false,
            log_append_time: false,
            timestamp_before_max_ms: i64::MAX,
            timestamp_after_max_ms: i64::MAX,
        };
        let validated = validate(9, &bytes, &rules, "t-0", ts).unwrap();
        log.append(&bytes, &validated, None)
    }

    #[test]
    fn offsets_are_assigned_in_order_and_read_back() {
        let mut log = PartitionLog::default();
        assert_eq!(
            append(
                &mut log,
                &[(Some("a"), Some("1")), (Some("b"), Some("2"))],
                10
            ),
            0
        );
        assert_eq!(append(&mut log, &[(Some("a"), None)], 20), 2);
        assert_eq!(log.high_watermark(), 3);
        let records = log.records(0);
        assert_eq!(
            records.iter().map(|r| r.offset).collect::<Vec<_>>(),
            vec![0, 1, 2]
        );
        assert_eq!(records[2].value, None);
        // From offset 1: the batch holding it (base 0) comes first.
        let from_one = log.read(1, usize::MAX, true);
        assert_eq!(batch::read_header(&from_one).unwrap().base_offset, 0);
        let from_two = log.read(2, usize::MAX, true);
        assert_eq!(batch::read_header(&from_two).unwrap().base_offset, 2);
        assert!(log.read(3, usize::MAX, true).is_empty());
        assert!(log.in_range(3) && !log.in_range(4));
    }

    #[test]
    fn reads_respect_the_byte_budget_but_return_one_batch() {
        let mut log = PartitionLog::default();
        append(&mut log, &[(Some("a"), Some("1"))], 10);
        append(&mut log, &[(Some("b"), Some("2"))], 10);
        let first = batch::read_header(&log.read(0, usize::MAX, true))
            .unwrap()
            .size;
        assert_eq!(log.read(0, 1, true).len(), first);
        assert_eq!(log.read(0, 1, false).len(), 1);
        assert_eq!(log.read(0, first + 5, false).len(), first + 5);
    }

    #[test]
    fn timestamps_are_searched_like_kafka() {
        let mut log = PartitionLog::default();
        append(&mut log, &[(Some("a"), Some("1"))], 10);
        append(&mut log, &[(Some("b"), Some("2"))], 30);
        append(&mut log, &[(Some("c"), Some("3"))], 20);
        assert_eq!(log.offset_for_timestamp(15), Some((30, 1)));
        assert_eq!(log.offset_for_timestamp(31), None);
        assert_eq!(log.max_timestamp(), Some((30, 1)));
        assert_eq!(PartitionLog::default().max_timestamp(), None);
    }
}
