//! In-process tests of Produce, Fetch and ListOffsets over real sockets, for what neither
//! client library shows: acks=0 (no answer; a failure closes the connection), Fetch by topic
//! id (v13+) and by name (v4), sessions, the long poll, ListOffsets' special timestamps and
//! their versions, LogAppendTime, and the hooks' injected errors.

mod common;

use bytes::{Bytes, BytesMut};
use common::{text, RawClient};
use kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use kafka_protocol::messages::list_offsets_request::{ListOffsetsPartition, ListOffsetsTopic};
use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kafka_protocol::messages::*;
use kafka_protocol::records::{
    Compression, Record, RecordBatchDecoder, RecordBatchEncoder, RecordEncodeOptions, TimestampType,
};
use kafka_testbroker::{BrokerConfig, TestBroker};
use std::collections::BTreeMap;

async fn broker() -> TestBroker {
    TestBroker::start(
        "127.0.0.1:0",
        BrokerConfig {
            super_users: vec!["User:ANONYMOUS".into()],
            ..BrokerConfig::default()
        },
    )
    .await
    .unwrap()
}

/// One uncompressed batch of keyed records at `timestamp`.
fn batch(keys: &[&str], timestamp: i64) -> Bytes {
    let records: Vec<Record> = keys
        .iter()
        .enumerate()
        .map(|(i, key)| Record {
            transactional: false,
            control: false,
            delete_horizon: false,
            partition_leader_epoch: -1,
            producer_id: -1,
            producer_epoch: -1,
            timestamp_type: TimestampType::Creation,
            offset: i as i64,
            sequence: i as i32,
            timestamp,
            key: Some(Bytes::copy_from_slice(key.as_bytes())),
            value: Some(Bytes::from_static(b"value")),
            headers: Default::default(),
        })
        .collect();
    let mut buf = BytesMut::new();
    let options = RecordEncodeOptions {
        version: 2,
        compression: Compression::None,
    };
    RecordBatchEncoder::encode(&mut buf, &records, &options).unwrap();
    buf.freeze()
}

fn produce(topic: &str, partition: i32, records: Bytes, acks: i16) -> ProduceRequest {
    ProduceRequest::default()
        .with_acks(acks)
        .with_timeout_ms(5000)
        .with_topic_data(vec![TopicProduceData::default()
            .with_name(TopicName(text(topic)))
            .with_partition_data(vec![PartitionProduceData::default()
                .with_index(partition)
                .with_records(Some(records))])])
}

fn list_offsets(topic: &str, partition: i32, timestamp: i64) -> ListOffsetsRequest {
    ListOffsetsRequest::default()
        .with_replica_id(BrokerId(-1))
        .with_topics(vec![ListOffsetsTopic::default()
            .with_name(TopicName(text(topic)))
            .with_partitions(vec![ListOffsetsPartition::default()
                .with_partition_index(partition)
                .with_current_leader_epoch(-1)
                .with_timestamp(timestamp)])])
}

/// `(error, timestamp, offset)` of the single partition answered.
async fn offsets(
    client: &mut RawClient,
    version: i16,
    request: &ListOffsetsRequest,
) -> (i16, i64, i64) {
    let response: ListOffsetsResponse = client.call(ApiKey::ListOffsets, version, request).await;
    let p = &response.topics[0].partitions[0];
    (p.error_code, p.timestamp, p.offset)
}

fn fetch_by_id(topic_id: uuid::Uuid, offset: i64, max_wait_ms: i32) -> FetchRequest {
    FetchRequest::default()
        .with_replica_id(BrokerId(-1))
        .with_max_wait_ms(max_wait_ms)
        .with_min_bytes(1)
        .with_max_bytes(1 << 20)
        .with_session_epoch(-1)
        .with_topics(vec![FetchTopic::default()
            .with_topic_id(topic_id)
            .with_partitions(vec![FetchPartition::default()
                .with_partition(0)
                .with_current_leader_epoch(-1)
                .with_fetch_offset(offset)
                .with_partition_max_bytes(1 << 20)])])
}

fn topic_id(client_metadata: &MetadataResponse, name: &str) -> uuid::Uuid {
    client_metadata
        .topics
        .iter()
        .find(|t| t.name.as_ref().is_some_and(|n| n.0.as_str() == name))
        .map(|t| t.topic_id)
        .unwrap()
}

#[tokio::test]
async fn acks_zero_is_not_answered_and_a_failed_one_closes_the_connection() {
    let broker = broker().await;
    broker.create_topic_direct("t", 1, 3, BTreeMap::new());
    let mut client = RawClient::connect(&broker).await;
    // No answer to acks=0: the next answer on the connection is the ListOffsets'.
    let mut request = produce("t", 0, batch(&["a"], 1), 0);
    client.correlation_id += 1;
    client
        .write_request(ApiKey::Produce, 9, &request)
        .await
        .unwrap();
    assert_eq!(
        offsets(&mut client, 7, &list_offsets("t", 0, -1)).await,
        (0, -1, 1)
    );
    // acks=0 to a missing partition: Kafka closes the connection instead of answering.
    request = produce("t", 5, batch(&["a"], 1), 0);
    client.correlation_id += 1;
    client
        .write_request(ApiKey::Produce, 9, &request)
        .await
        .unwrap();
    assert!(client.is_closed().await);
    assert_eq!(broker.records("t").len(), 1);
}

#[tokio::test]
async fn fetch_by_topic_id_waits_for_data_and_by_name_at_v4() {
    let broker = broker().await;
    broker.create_topic_direct("t", 1, 3, BTreeMap::new());
    let mut client = RawClient::connect(&broker).await;
    let metadata: MetadataResponse = client
        .call(
            ApiKey::Metadata,
            12,
            &MetadataRequest::default().with_topics(None),
        )
        .await;
    let id = topic_id(&metadata, "t");

    // A long poll at the end of the log returns once another client appends.
    let waiting = tokio::spawn({
        let mut reader = RawClient::connect(&broker).await;
        async move {
            let response: FetchResponse = reader
                .call(ApiKey::Fetch, 16, &fetch_by_id(id, 0, 30_000))
                .await;
            response
        }
    });
    let produced: ProduceResponse = client
        .call(
            ApiKey::Produce,
            9,
            &produce("t", 0, batch(&["a", "b"], 5), -1),
        )
        .await;
    assert_eq!(produced.responses[0].partition_responses[0].base_offset, 0);
    let fetched = waiting.await.unwrap();
    assert_eq!(fetched.session_id, 0);
    // The hooks count the Fetch requests that find the log's end apart (also in `Fetch`).
    broker.hooks().reset_counts();
    let again: FetchResponse = client.call(ApiKey::Fetch, 16, &fetch_by_id(id, 0, 0)).await;
    assert_eq!(again.responses[0].partitions[0].high_watermark, 2);
    let _: FetchResponse = client.call(ApiKey::Fetch, 16, &fetch_by_id(id, 2, 0)).await;
    assert_eq!(
        (broker.hooks().count(1), broker.hooks().fetches_at_log_end()),
        (2, 1),
        "a Fetch with records is not at the log end, one at the high watermark is"
    );
    assert_eq!(broker.hooks().counts().get("Fetch at log end"), Some(&1));
    broker.hooks().reset_counts();
    let partition = &fetched.responses[0].partitions[0];
    assert_eq!(fetched.responses[0].topic_id, id);
    assert_eq!((partition.error_code, partition.high_watermark), (0, 2));
    let mut records = partition.records.clone().unwrap();
    let set = RecordBatchDecoder::decode(&mut records).unwrap();
    assert_eq!(
        set.records.iter().map(|r| r.offset).collect::<Vec<_>>(),
        vec![0, 1]
    );

    // v4 names the topic; past the end is OFFSET_OUT_OF_RANGE, an unknown id UNKNOWN_TOPIC_ID.
    let mut by_name = fetch_by_id(id, 3, 0);
    by_name.topics[0].topic = TopicName(text("t"));
    let response: FetchResponse = client.call(ApiKey::Fetch, 4, &by_name).await;
    assert_eq!(response.responses[0].partitions[0].error_code, 1);
    let response: FetchResponse = client
        .call(
            ApiKey::Fetch,
            13,
            &fetch_by_id(uuid::Uuid::from_u128(7), 0, 0),
        )
        .await;
    assert_eq!(response.responses[0].partitions[0].error_code, 100);
    // An incremental fetch of a session the broker never created.
    let incremental = fetch_by_id(id, 0, 0)
        .with_session_id(42)
        .with_session_epoch(1);
    let response: FetchResponse = client.call(ApiKey::Fetch, 12, &incremental).await;
    assert_eq!(response.error_code, 70); // FETCH_SESSION_ID_NOT_FOUND
                                         // Errors are not the log's end.
    assert_eq!(broker.hooks().fetches_at_log_end(), 0);
}

#[tokio::test]
async fn list_offsets_special_timestamps_and_log_append_time() {
    let broker = broker().await;
    broker.create_topic_direct(
        "appended",
        1,
        3,
        BTreeMap::from([("message.timestamp.type".into(), "LogAppendTime".into())]),
    );
    broker.create_topic_direct("created", 1, 3, BTreeMap::new());
    let mut client = RawClient::connect(&broker).await;
    for (keys, ts) in [(vec!["a"], 100), (vec!["b", "c"], 300), (vec!["d"], 200)] {
        let _: ProduceResponse = client
            .call(
                ApiKey::Produce,
                9,
                &produce("created", 0, batch(&keys, ts), 1),
            )
            .await;
    }
    assert_eq!(
        offsets(&mut client, 7, &list_offsets("created", 0, -2)).await,
        (0, -1, 0)
    );
    assert_eq!(
        offsets(&mut client, 7, &list_offsets("created", 0, -1)).await,
        (0, -1, 4)
    );
    assert_eq!(
        offsets(&mut client, 7, &list_offsets("created", 0, -3)).await,
        (0, 300, 1)
    );
    assert_eq!(
        offsets(&mut client, 7, &list_offsets("created", 0, 150)).await,
        (0, 300, 1)
    );
    assert_eq!(
        offsets(&mut client, 7, &list_offsets("created", 0, 301)).await,
        (0, -1, -1)
    );
    // MAX_TIMESTAMP exists from v7 on, LATEST_TIERED from v9 (-1: no remote storage).
    assert_eq!(
        offsets(&mut client, 6, &list_offsets("created", 0, -3))
            .await
            .0,
        35
    );
    assert_eq!(
        offsets(&mut client, 9, &list_offsets("created", 0, -5)).await,
        (0, -1, -1)
    );
    // A partition asked for twice is INVALID_REQUEST.
    let mut twice = list_offsets("created", 0, -1);
    let again = twice.topics[0].partitions[0].clone();
    twice.topics[0].partitions.push(again);
    assert_eq!(offsets(&mut client, 7, &twice).await.0, 42);

    // LogAppendTime: the broker's clock replaces the producer's timestamp.
    let produced: ProduceResponse = client
        .call(
            ApiKey::Produce,
            9,
            &produce("appended", 0, batch(&["a"], 1), -1),
        )
        .await;
    let append_time = produced.responses[0].partition_responses[0].log_append_time_ms;
    assert!(append_time > 1, "{append_time}");
    assert_eq!(broker.records("appended")[0].timestamp, append_time);
}

#[tokio::test]
async fn injected_errors_answer_every_partition() {
    let broker = broker().await;
    broker.create_topic_direct("t", 1, 3, BTreeMap::new());
    let mut client = RawClient::connect(&broker).await;
    broker.hooks().inject_error(ApiKey::Produce as i16, 6, 1);
    let produced: ProduceResponse = client
        .call(ApiKey::Produce, 9, &produce("t", 0, batch(&["a"], 1), -1))
        .await;
    assert_eq!(produced.responses[0].partition_responses[0].error_code, 6);
    assert!(broker.records("t").is_empty());
    broker
        .hooks()
        .inject_error(ApiKey::ListOffsets as i16, 6, 1);
    assert_eq!(
        offsets(&mut client, 7, &list_offsets("t", 0, -1)).await.0,
        6
    );
}
