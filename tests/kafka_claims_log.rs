//! The claims record's log (`kafka::claims::ClaimsLog`) against the in-process test broker:
//! a read goes on from where the previous one ended, one that cannot starts over from the
//! log start and says so, and appends go out in Produce requests of the stated batch size.

mod kafka_common;

use kafka_common::*;
use kafkamirror::kafka::claims::{
    ClaimsLog, LogPositions, LogRead, LogRecord, LogSlice, CLAIMS_BATCH_RECORDS,
};
use kafkamirror::kafka::config::SaslMechanism;
use kafkamirror::kafka::{KafkaAdmin, KafkaError};

/// Kafka API keys of the log's requests.
const PRODUCE: i16 = 0;
const FETCH: i16 = 1;
const LIST_OFFSETS: i16 = 2;
/// Kafka's error code TOPIC_AUTHORIZATION_FAILED.
const TOPIC_AUTHORIZATION_FAILED: i16 = 29;

fn records(prefix: &str, count: usize) -> Vec<LogRecord> {
    (0..count)
        .map(|i| {
            let value = (i % 7 != 0).then(|| format!("claimant {i}").into_bytes());
            (format!("{prefix}-{i:06}").into_bytes(), value)
        })
        .collect()
}

async fn read(log: &ClaimsLog, admin: &KafkaAdmin, after: &LogPositions) -> LogSlice {
    match log.read(admin, after).await {
        Ok(LogRead::Records(slice)) => slice,
        other => panic!("read of {:?} after {after:?}: {other:?}", log.topic()),
    }
}

#[tokio::test]
async fn reads_go_on_from_the_last_read_and_appends_go_in_stated_batches() {
    let broker = secured_broker().await;
    let connection = sasl(&broker, SaslMechanism::ScramSha512, ADMIN, ADMIN_PASSWORD);
    let admin = connect(&connection).await;
    let log = ClaimsLog::new(&connection, "_kafkamirror_claims_log_test");
    log.ensure(&admin).await.expect("create the log's topic");

    let empty = read(&log, &admin, &LogPositions::new()).await;
    assert_eq!(
        empty,
        LogSlice {
            records: Vec::new(),
            next: LogPositions::from([(0, 0)]),
            from_start: false,
        }
    );

    // 4.5 batches of records: five Produce requests, whatever the producer's timing.
    let first = records("first", CLAIMS_BATCH_RECORDS * 9 / 2);
    broker.hooks().reset_counts();
    log.append(first.clone()).await.expect("append");
    assert_eq!(broker.hooks().count(PRODUCE), 5);

    broker.hooks().reset_counts();
    let whole = read(&log, &admin, &empty.next).await;
    assert_eq!(whole.records, first);
    assert_eq!(whole.next, LogPositions::from([(0, first.len() as i64)]));
    assert!(!whole.from_start);
    // librdkafka's watermark query asks for the log start and the end: two ListOffsets.
    assert_eq!(broker.hooks().count(LIST_OFFSETS), 2);
    // The records come in one Fetch, not one per batch written. librdkafka fetches again
    // when its queue is found empty, which happens when the reader drains the records before
    // the fetcher looks (timing): that Fetch is at the log end and finds nothing.
    let at_end = broker.hooks().fetches_at_log_end();
    assert_eq!(
        broker.hooks().count(FETCH) - at_end,
        1,
        "Fetch with records"
    );
    assert!(at_end <= 1, "{at_end} Fetch requests at the log end");

    let second = records("second", 3);
    log.append(second.clone()).await.expect("append");
    broker.hooks().reset_counts();
    let on = read(&log, &admin, &whole.next).await;
    let at_end = broker.hooks().fetches_at_log_end();
    assert_eq!(
        broker.hooks().count(FETCH) - at_end,
        1,
        "Fetch with records"
    );
    assert!(at_end <= 1, "{at_end} Fetch requests at the log end");
    assert_eq!(on.records, second, "only what was appended since");
    assert_eq!(
        on.next,
        LogPositions::from([(0, (first.len() + second.len()) as i64)])
    );
    assert!(!on.from_start);

    // Nothing new: no Fetch at all.
    broker.hooks().reset_counts();
    let nothing = read(&log, &admin, &on.next).await;
    assert_eq!((nothing.records.len(), nothing.from_start), (0, false));
    assert_eq!(broker.hooks().count(FETCH), 0);

    // Positions past the log's end (the topic made anew): the whole log, from its start.
    let past = LogPositions::from([(0, 10 * first.len() as i64)]);
    let again = read(&log, &admin, &past).await;
    assert!(again.from_start);
    assert_eq!(again.records, [first, second].concat());
    assert_eq!(again.next, on.next);

    // A refused Produce fails the append with the operation the topic lacks.
    broker
        .hooks()
        .inject_error(PRODUCE, TOPIC_AUTHORIZATION_FAILED, 100);
    match log.append(records("refused", 3)).await {
        Err(KafkaError::AuthorizationFailed {
            operation,
            resource,
            ..
        }) => assert_eq!(
            (operation.as_str(), resource.as_str()),
            ("WRITE", "TOPIC _kafkamirror_claims_log_test")
        ),
        other => panic!("append refused by the broker: {other:?}"),
    }
    broker.hooks().inject_error(PRODUCE, 0, 0);
}
