//! Record batches (magic v2) as the broker receives and stores them: the header read in
//! place, the checks Kafka makes before appending (`ProduceRequest.validateRecords`,
//! `UnifiedLog.analyzeAndValidateRecords`, `LogValidator.validateBatch/validateRecord`,
//! Apache Kafka 3.9) and the in-place rewrites of `LogValidator.assignOffsetsNonCompressed`
//! (base offset, partition leader epoch, LogAppendTime). Compressed batches are checked at
//! the batch level only: this broker has no codecs, so their records are not looked into.

use bytes::Bytes;
use kafka_protocol::error::ResponseError;
use kafka_protocol::records::RecordBatchDecoder;

/// Bytes before the records of a v2 batch (`DefaultRecordBatch.RECORD_BATCH_OVERHEAD`).
pub(crate) const HEADER_LEN: usize = 61;
/// Base offset and length fields, not counted in `batchLength` (`LOG_OVERHEAD`).
const LOG_OVERHEAD: usize = 12;
const CRC_START: usize = 21;
const ATTR_TIMESTAMP_TYPE: i16 = 0x08;
const ATTR_CONTROL: i16 = 0x20;

/// The fixed header of one v2 record batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BatchHeader {
    pub base_offset: i64,
    /// Whole batch in bytes, including the 12-byte log overhead (`sizeInBytes`).
    pub size: usize,
    pub magic: i8,
    pub attributes: i16,
    pub last_offset_delta: i32,
    pub max_timestamp: i64,
    pub producer_id: i64,
    pub base_sequence: i32,
    pub records_count: i32,
}

impl BatchHeader {
    pub fn compressed(&self) -> bool {
        self.attributes & 0x07 != 0
    }
    pub fn compression_code(&self) -> i16 {
        self.attributes & 0x07
    }
    pub fn log_append_time(&self) -> bool {
        self.attributes & ATTR_TIMESTAMP_TYPE != 0
    }
    pub fn control(&self) -> bool {
        self.attributes & ATTR_CONTROL != 0
    }
}

/// Why a produced record set is refused: Kafka's error code, message and per-record errors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rejection {
    pub error: ResponseError,
    pub message: String,
    /// `(batch index of the record, message)`, as `ProduceResponse.record_errors`.
    pub record_errors: Vec<(i32, String)>,
}

impl Rejection {
    fn new(error: ResponseError, message: impl Into<String>) -> Self {
        Rejection {
            error,
            message: message.into(),
            record_errors: Vec::new(),
        }
    }
}

fn be_i64(b: &[u8], at: usize) -> i64 {
    i64::from_be_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}
fn be_i32(b: &[u8], at: usize) -> i32 {
    i32::from_be_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}
fn be_i16(b: &[u8], at: usize) -> i16 {
    i16::from_be_bytes(b[at..at + 2].try_into().expect("2 bytes"))
}

/// Reads the header of the batch at the start of `bytes`; `None` if the bytes are too short
/// for the header or for the length it declares (Kafka: CorruptRecordException).
pub(crate) fn read_header(bytes: &[u8]) -> Option<BatchHeader> {
    if bytes.len() < LOG_OVERHEAD + 5 {
        return None;
    }
    let length = be_i32(bytes, 8);
    let size = LOG_OVERHEAD.checked_add(usize::try_from(length).ok()?)?;
    let magic = bytes[16] as i8;
    if magic != 2 {
        // Only the magic byte is meaningful for older formats.
        return (size <= bytes.len()).then_some(BatchHeader {
            base_offset: be_i64(bytes, 0),
            size,
            magic,
            attributes: 0,
            last_offset_delta: 0,
            max_timestamp: -1,
            producer_id: -1,
            base_sequence: -1,
            records_count: 0,
        });
    }
    if size < HEADER_LEN || size > bytes.len() {
        return None;
    }
    Some(BatchHeader {
        base_offset: be_i64(bytes, 0),
        size,
        magic,
        attributes: be_i16(bytes, 21),
        last_offset_delta: be_i32(bytes, 23),
        max_timestamp: be_i64(bytes, 35),
        producer_id: be_i64(bytes, 43),
        base_sequence: be_i32(bytes, 53),
        records_count: be_i32(bytes, 57),
    })
}

/// Whether the stored CRC-32C matches the bytes from the attributes to the end.
fn crc_valid(batch: &[u8]) -> bool {
    let stored = u32::from_be_bytes(batch[17..21].try_into().expect("4 bytes"));
    crc32c::crc32c(&batch[CRC_START..]) == stored
}

/// Splits a record set into batch headers (`MemoryRecords.batches()`).
fn split(records: &[u8]) -> Result<Vec<BatchHeader>, Rejection> {
    let mut headers = Vec::new();
    let mut at = 0;
    while at < records.len() {
        let header = read_header(&records[at..]).ok_or_else(|| {
            Rejection::new(
                ResponseError::CorruptMessage,
                "Record batch is truncated or has an invalid length",
            )
        })?;
        at += header.size;
        headers.push(header);
    }
    Ok(headers)
}

/// What an accepted batch needs for the append.
#[derive(Debug, Clone)]
pub(crate) struct Validated {
    pub header: BatchHeader,
    /// `(offset delta, timestamp)` of every record, for timestamp lookups; empty for a
    /// compressed batch.
    pub timestamps: Vec<(i32, i64)>,
}

/// Topic settings the append checks depend on.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AppendRules {
    pub max_message_bytes: usize,
    pub compacted: bool,
    pub log_append_time: bool,
    pub timestamp_before_max_ms: i64,
    pub timestamp_after_max_ms: i64,
}

/// Checks one partition's record set of a Produce request of `version`, in Kafka's order.
pub(crate) fn validate(
    version: i16,
    records: &[u8],
    rules: &AppendRules,
    topic_partition: &str,
    now_ms: i64,
) -> Result<Validated, Rejection> {
    let invalid = |message: String| Rejection::new(ResponseError::InvalidRecord, message);
    // ProduceRequest.validateRecords (KafkaApis, before the append).
    let headers = split(records)?;
    let Some(first) = headers.first().copied() else {
        return Err(invalid(format!(
            "Produce requests with version {version} must have at least one record batch per partition"
        )));
    };
    if first.magic != 2 {
        return Err(invalid(format!(
            "Produce requests with version {version} are only allowed to contain record batches with magic version 2"
        )));
    }
    if version < 7 && first.compression_code() == 4 {
        return Err(Rejection::new(
            ResponseError::UnsupportedCompressionType,
            format!("Produce requests with version {version} are not allowed to use ZStandard compression"),
        ));
    }
    if headers.len() > 1 {
        return Err(invalid(format!(
            "Produce requests with version {version} are only allowed to contain exactly one record batch per partition"
        )));
    }
    let batch = &records[..first.size];
    // UnifiedLog.analyzeAndValidateRecords.
    if first.base_offset != 0 {
        return Err(invalid(format!(
            "The baseOffset of the record batch in the append to {topic_partition} should be 0, but it is {}",
            first.base_offset
        )));
    }
    if first.size > rules.max_message_bytes {
        return Err(Rejection::new(
            ResponseError::MessageTooLarge,
            format!(
                "The record batch size in the append to {topic_partition} is {} bytes which exceeds the maximum configured value of {}.",
                first.size, rules.max_message_bytes
            ),
        ));
    }
    if !crc_valid(batch) {
        return Err(Rejection::new(
            ResponseError::CorruptMessage,
            format!(
                "Record is corrupt (stored crc = {}) in topic partition {topic_partition}.",
                u32::from_be_bytes(batch[17..21].try_into().expect("4 bytes"))
            ),
        ));
    }
    // LogValidator.validateBatch.
    let last_offset = first.base_offset + i64::from(first.last_offset_delta);
    let count_from_offsets = last_offset - first.base_offset + 1;
    if count_from_offsets <= 0 {
        return Err(invalid(format!(
            "Batch has an invalid offset range: [{}, {last_offset}] in topic partition {topic_partition}",
            first.base_offset
        )));
    }
    if first.records_count <= 0 {
        return Err(invalid(format!(
            "Invalid reported count for record batch: {} in topic partition {topic_partition}",
            first.records_count
        )));
    }
    if count_from_offsets != i64::from(first.records_count) {
        return Err(invalid(format!(
            "Inconsistent batch offset range [{}, {last_offset}] and count of records {} in topic partition {topic_partition}",
            first.base_offset, first.records_count
        )));
    }
    if first.control() {
        return Err(invalid(format!(
            "Clients are not allowed to write control records in topic partition {topic_partition}"
        )));
    }
    if first.producer_id >= 0 && first.base_sequence < 0 {
        return Err(invalid(format!(
            "Invalid sequence number {} in record batch with producerId {} in topic partition {topic_partition}",
            first.base_sequence, first.producer_id
        )));
    }
    if first.compressed() {
        return Ok(Validated {
            header: first,
            timestamps: Vec::new(),
        });
    }
    // LogValidator.validateRecord: keys on compacted topics, then timestamps.
    let decoded = RecordBatchDecoder::decode(&mut Bytes::copy_from_slice(batch)).map_err(|e| {
        Rejection::new(
            ResponseError::CorruptMessage,
            format!("{e} in topic partition {topic_partition}"),
        )
    })?;
    let mut record_errors = Vec::new();
    let mut timestamp_error = false;
    let mut timestamps = Vec::with_capacity(decoded.records.len());
    for (index, record) in decoded.records.iter().enumerate() {
        let index = index as i32;
        timestamps.push(((record.offset - first.base_offset) as i32, record.timestamp));
        if rules.compacted && record.key.is_none() {
            record_errors.push((
                index,
                format!("Compacted topic cannot accept message without key in topic partition {topic_partition}"),
            ));
        } else if !rules.log_append_time && record.timestamp != -1 {
            let diff = now_ms.saturating_sub(record.timestamp);
            if diff > rules.timestamp_before_max_ms
                || diff.saturating_neg() > rules.timestamp_after_max_ms
            {
                timestamp_error = true;
                record_errors.push((
                    index,
                    format!(
                        "Timestamp {} of message with offset {} is out of range. The timestamp should be within [{}, {}]",
                        record.timestamp,
                        record.offset,
                        now_ms.saturating_sub(rules.timestamp_before_max_ms),
                        now_ms.saturating_add(rules.timestamp_after_max_ms)
                    ),
                ));
            }
        } else if first.log_append_time() {
            timestamp_error = true;
            record_errors.push((
                index,
                "Invalid timestamp type in message. Producer should not set timestamp type to LogAppendTime.".to_string(),
            ));
        }
    }
    if !record_errors.is_empty() {
        // LogValidator.processRecordErrors.
        let (error, message) = if timestamp_error {
            (
                ResponseError::InvalidTimestamp,
                "One or more records have been rejected due to invalid timestamp".to_string(),
            )
        } else {
            let shown: Vec<String> = record_errors
                .iter()
                .take(3)
                .map(|(i, m)| format!("RecordError(batchIndex={i}, message='{m}')"))
                .collect();
            (
                ResponseError::InvalidRecord,
                format!(
                    "One or more records have been rejected due to {} record errors in total, and only showing the first three errors at most: [{}]",
                    record_errors.len(),
                    shown.join(", ")
                ),
            )
        };
        return Err(Rejection {
            error,
            message,
            record_errors,
        });
    }
    Ok(Validated {
        header: first,
        timestamps,
    })
}

/// Rewrites an accepted batch for the log at `base_offset`: the base offset, the partition
/// leader epoch and, for LogAppendTime topics, the timestamp type and max timestamp (the
/// CRC is recomputed then, as `DefaultRecordBatch.setMaxTimestamp` does).
pub(crate) fn assign(
    batch: &mut [u8],
    base_offset: i64,
    leader_epoch: i32,
    log_append_time_ms: Option<i64>,
) {
    batch[0..8].copy_from_slice(&base_offset.to_be_bytes());
    batch[12..16].copy_from_slice(&leader_epoch.to_be_bytes());
    if let Some(now) = log_append_time_ms {
        let attributes = be_i16(batch, 21) | ATTR_TIMESTAMP_TYPE;
        batch[21..23].copy_from_slice(&attributes.to_be_bytes());
        batch[35..43].copy_from_slice(&now.to_be_bytes());
        let crc = crc32c::crc32c(&batch[CRC_START..]);
        batch[17..21].copy_from_slice(&crc.to_be_bytes());
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use bytes::BytesMut;
    use kafka_protocol::records::{
        Compression, Record, RecordBatchEncoder, RecordEncodeOptions, TimestampType,
    };

    /// An uncompressed v2 batch of `(key, value)` records at base offset 0.
    pub(crate) fn encode(records: &[(Option<&str>, Option<&str>)], timestamp: i64) -> Vec<u8> {
        let records: Vec<Record> = records
            .iter()
            .enumerate()
            .map(|(i, (key, value))| Record {
                transactional: false,
                control: false,
                delete_horizon: false,
                partition_leader_epoch: -1,
                producer_id: -1,
                producer_epoch: -1,
                timestamp_type: TimestampType::Creation,
                offset: i as i64,
                // Equal offset-minus-sequence keeps the records in one batch.
                sequence: i as i32,
                timestamp,
                key: key.map(|k| Bytes::copy_from_slice(k.as_bytes())),
                value: value.map(|v| Bytes::copy_from_slice(v.as_bytes())),
                headers: Default::default(),
            })
            .collect();
        let mut buf = BytesMut::new();
        RecordBatchEncoder::encode(
            &mut buf,
            &records,
            &RecordEncodeOptions {
                version: 2,
                compression: Compression::None,
            },
        )
        .expect("encodable");
        buf.to_vec()
    }

    fn rules() -> AppendRules {
        AppendRules {
            max_message_bytes: 1_048_588,
            compacted: true,
            log_append_time: false,
            timestamp_before_max_ms: i64::MAX,
            timestamp_after_max_ms: i64::MAX,
        }
    }

    #[test]
    fn a_keyed_batch_is_accepted_with_its_timestamps() {
        let batch = encode(&[(Some("a"), Some("1")), (Some("b"), None)], 1000);
        let validated = validate(9, &batch, &rules(), "t-0", 2000).unwrap();
        assert_eq!(validated.header.records_count, 2);
        assert_eq!(validated.timestamps, vec![(0, 1000), (1, 1000)]);
    }

    #[test]
    fn rejections_follow_kafka_order_and_codes() {
        let keyless = encode(&[(Some("a"), Some("1")), (None, Some("2"))], 1000);
        let rejected = validate(9, &keyless, &rules(), "t-0", 2000).unwrap_err();
        assert_eq!(rejected.error, ResponseError::InvalidRecord);
        assert_eq!(rejected.record_errors.len(), 1);
        assert_eq!(rejected.record_errors[0].0, 1);

        let mut corrupt = encode(&[(Some("a"), Some("1"))], 1000);
        let last = corrupt.len() - 1;
        corrupt[last] ^= 0xff;
        let rejected = validate(9, &corrupt, &rules(), "t-0", 2000).unwrap_err();
        assert_eq!(rejected.error, ResponseError::CorruptMessage);

        let batch = encode(&[(Some("a"), Some("1"))], 1000);
        let small = AppendRules {
            max_message_bytes: 10,
            ..rules()
        };
        let rejected = validate(9, &batch, &small, "t-0", 2000).unwrap_err();
        assert_eq!(rejected.error, ResponseError::MessageTooLarge);

        let two = [batch.clone(), batch.clone()].concat();
        let rejected = validate(9, &two, &rules(), "t-0", 2000).unwrap_err();
        assert_eq!(rejected.error, ResponseError::InvalidRecord);

        let rejected = validate(9, &[], &rules(), "t-0", 2000).unwrap_err();
        assert_eq!(rejected.error, ResponseError::InvalidRecord);

        let rejected = validate(9, &batch[..30], &rules(), "t-0", 2000).unwrap_err();
        assert_eq!(rejected.error, ResponseError::CorruptMessage);

        let mut offset = batch.clone();
        offset[7] = 5;
        let rejected = validate(9, &offset, &rules(), "t-0", 2000).unwrap_err();
        assert_eq!(rejected.error, ResponseError::InvalidRecord);
        assert!(
            rejected.message.contains("should be 0"),
            "{}",
            rejected.message
        );

        let strict = AppendRules {
            timestamp_before_max_ms: 500,
            ..rules()
        };
        let rejected = validate(9, &batch, &strict, "t-0", 2000).unwrap_err();
        assert_eq!(rejected.error, ResponseError::InvalidTimestamp);
    }

    #[test]
    fn assign_rewrites_offset_epoch_and_log_append_time() {
        let mut batch = encode(&[(Some("a"), Some("1"))], 1000);
        assign(&mut batch, 42, 0, Some(5000));
        let header = read_header(&batch).unwrap();
        assert_eq!(header.base_offset, 42);
        assert_eq!(header.max_timestamp, 5000);
        assert!(header.log_append_time());
        assert!(crc_valid(&batch));
    }
}
