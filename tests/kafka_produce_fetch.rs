//! librdkafka (through the rdkafka crate's safe API) producing to and consuming from the test
//! broker: a BaseProducer with acks=all writes keyed records and a tombstone to a compacted
//! topic, a BaseConsumer assigned from the beginning reads them back up to the high
//! watermark from `fetch_watermarks`, and a principal without WRITE or READ is refused.

use kafka_testbroker::{
    AclOperation, AclPermission, AclRecord, BrokerConfig, PatternType, ResourceType, TestBroker,
};
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{BaseProducer, BaseRecord, DeliveryResult, Producer, ProducerContext};
use rdkafka::{ClientContext, Message, Offset, TopicPartitionList};
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(20);
const ADMIN: (&str, &str) = ("admin", "admin-secret");
const ALICE: (&str, &str) = ("alice", "alice-secret");

/// Collects delivery reports: `(partition, offset)` or the error.
#[derive(Default)]
struct Deliveries(Mutex<Vec<Result<(i32, i64), KafkaError>>>);

impl ClientContext for Deliveries {}

impl ProducerContext for Deliveries {
    type DeliveryOpaque = ();
    fn delivery(&self, result: &DeliveryResult<'_>, _: ()) {
        let report = match result {
            Ok(message) => Ok((message.partition(), message.offset())),
            Err((error, _)) => Err(error.clone()),
        };
        self.0.lock().unwrap().push(report);
    }
}

struct Fixture {
    runtime: tokio::runtime::Runtime,
    broker: Option<TestBroker>,
}

impl Fixture {
    fn start() -> Fixture {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let broker = runtime
            .block_on(TestBroker::start(
                "127.0.0.1:0",
                BrokerConfig {
                    users: vec![
                        (ADMIN.0.into(), ADMIN.1.into()),
                        (ALICE.0.into(), ALICE.1.into()),
                    ],
                    super_users: vec![format!("User:{}", ADMIN.0)],
                    ..BrokerConfig::default()
                },
            ))
            .unwrap();
        Fixture {
            runtime,
            broker: Some(broker),
        }
    }

    fn broker(&self) -> &TestBroker {
        self.broker.as_ref().unwrap()
    }

    fn config(&self, (user, password): (&str, &str)) -> ClientConfig {
        let mut config = ClientConfig::new();
        config
            .set("bootstrap.servers", self.broker().bootstrap())
            .set("security.protocol", "SASL_PLAINTEXT")
            .set("sasl.mechanism", "SCRAM-SHA-512")
            .set("sasl.username", user)
            .set("sasl.password", password);
        config
    }

    fn producer(&self, user: (&str, &str)) -> BaseProducer<Deliveries> {
        self.config(user)
            .set("acks", "all")
            .set("message.timeout.ms", "10000")
            .create_with_context(Deliveries::default())
            .expect("producer")
    }

    fn consumer(&self, user: (&str, &str)) -> BaseConsumer {
        self.config(user)
            // librdkafka's assign() needs a group.id; nothing is committed, and partitions
            // are assigned by the test, so no coordinator is ever used.
            .set("group.id", "claims-reader")
            .set("enable.auto.commit", "false")
            .set("fetch.wait.max.ms", "100")
            .create()
            .expect("consumer")
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        if let Some(broker) = self.broker.take() {
            self.runtime.block_on(broker.shutdown());
        }
    }
}

fn compacted(fixture: &Fixture, topic: &str, partitions: i32) {
    fixture.broker().create_topic_direct(
        topic,
        partitions,
        3,
        BTreeMap::from([("cleanup.policy".to_string(), "compact".to_string())]),
    );
}

fn send(producer: &BaseProducer<Deliveries>, topic: &str, key: &str, value: Option<&str>) {
    let record = BaseRecord::<str, str>::to(topic).key(key).partition(0);
    let record = match value {
        Some(value) => record.payload(value),
        None => record,
    };
    producer.send(record).map_err(|(e, _)| e).expect("queued");
}

/// Reads partition 0 of `topic` from the beginning up to (excluding) `end`.
fn read_to(consumer: &BaseConsumer, topic: &str, end: i64) -> Vec<(i64, String, Option<String>)> {
    let mut assignment = TopicPartitionList::new();
    assignment
        .add_partition_offset(topic, 0, Offset::Beginning)
        .unwrap();
    consumer.assign(&assignment).unwrap();
    let deadline = Instant::now() + TIMEOUT;
    let mut seen = Vec::new();
    while seen.last().is_none_or(|(offset, _, _)| offset + 1 < end) {
        assert!(Instant::now() < deadline, "read only {seen:?} before {end}");
        match consumer.poll(Duration::from_millis(200)) {
            None => continue,
            Some(Err(error)) => panic!("consumer error: {error}"),
            Some(Ok(message)) => seen.push((
                message.offset(),
                String::from_utf8(message.key().unwrap().to_vec()).unwrap(),
                message
                    .payload()
                    .map(|p| String::from_utf8(p.to_vec()).unwrap()),
            )),
        }
    }
    seen
}

#[test]
fn producer_with_acks_all_and_consumer_from_the_beginning_see_every_record() {
    let fixture = Fixture::start();
    compacted(&fixture, "_kafkamirror-claims", 1);
    let producer = fixture.producer(ADMIN);
    send(
        &producer,
        "_kafkamirror-claims",
        "binding-a",
        Some("flow-1"),
    );
    send(
        &producer,
        "_kafkamirror-claims",
        "binding-b",
        Some("flow-1"),
    );
    send(&producer, "_kafkamirror-claims", "binding-a", None);
    producer.flush(TIMEOUT).expect("flushed");
    let reports = producer.context().0.lock().unwrap().clone();
    assert_eq!(
        reports.into_iter().map(|r| r.unwrap()).collect::<Vec<_>>(),
        vec![(0, 0), (0, 1), (0, 2)]
    );

    let consumer = fixture.consumer(ADMIN);
    let (low, high) = consumer
        .fetch_watermarks("_kafkamirror-claims", 0, TIMEOUT)
        .unwrap();
    assert_eq!((low, high), (0, 3));
    // Compaction is lazy, as in Kafka: the superseded record and the tombstone are read.
    assert_eq!(
        read_to(&consumer, "_kafkamirror-claims", high),
        vec![
            (0, "binding-a".to_string(), Some("flow-1".to_string())),
            (1, "binding-b".to_string(), Some("flow-1".to_string())),
            (2, "binding-a".to_string(), None),
        ]
    );
    let stored = fixture.broker().records("_kafkamirror-claims");
    assert_eq!(stored.len(), 3);
    assert_eq!(stored[2].key.as_deref(), Some(&b"binding-a"[..]));
    assert_eq!(stored[2].value, None);

    // A second producer appends after what is there.
    send(
        &producer,
        "_kafkamirror-claims",
        "binding-c",
        Some("flow-2"),
    );
    producer.flush(TIMEOUT).expect("flushed");
    let last = producer.context().0.lock().unwrap().last().cloned();
    assert_eq!(last.unwrap().unwrap(), (0, 3));
    assert_eq!(
        consumer
            .fetch_watermarks("_kafkamirror-claims", 0, TIMEOUT)
            .unwrap(),
        (0, 4)
    );
}

#[test]
fn produce_needs_write_and_fetch_needs_read_on_the_topic() {
    let fixture = Fixture::start();
    compacted(&fixture, "claims", 1);
    let producer = fixture.producer(ALICE);
    send(&producer, "claims", "k", Some("v"));
    producer.flush(TIMEOUT).expect("flushed");
    let reports = producer.context().0.lock().unwrap().clone();
    assert!(
        matches!(
            reports.as_slice(),
            [Err(KafkaError::MessageProduction(
                RDKafkaErrorCode::TopicAuthorizationFailed
            ))]
        ),
        "{reports:?}"
    );
    assert!(fixture.broker().records("claims").is_empty());

    // WRITE (which implies DESCRIBE) but no READ: produce and watermarks work, fetch is refused.
    fixture.broker().add_acl(AclRecord {
        resource_type: ResourceType::Topic,
        name: "claims".into(),
        pattern_type: PatternType::Literal,
        principal: format!("User:{}", ALICE.0),
        host: "*".into(),
        operation: AclOperation::Write,
        permission: AclPermission::Allow,
    });
    let producer = fixture.producer(ALICE);
    send(&producer, "claims", "k", Some("v"));
    producer.flush(TIMEOUT).expect("flushed");
    let reports = producer.context().0.lock().unwrap().clone();
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].clone().unwrap(), (0, 0));

    let consumer = fixture.consumer(ALICE);
    assert_eq!(
        consumer.fetch_watermarks("claims", 0, TIMEOUT).unwrap(),
        (0, 1)
    );
    let mut assignment = TopicPartitionList::new();
    assignment
        .add_partition_offset("claims", 0, Offset::Beginning)
        .unwrap();
    consumer.assign(&assignment).unwrap();
    let deadline = Instant::now() + TIMEOUT;
    let error = loop {
        assert!(Instant::now() < deadline, "no authorization error reported");
        match consumer.poll(Duration::from_millis(200)) {
            Some(Err(error)) => break error,
            Some(Ok(message)) => panic!("read without READ: offset {}", message.offset()),
            None => {}
        }
    };
    assert_eq!(
        error.rdkafka_error_code(),
        Some(RDKafkaErrorCode::TopicAuthorizationFailed),
        "{error}"
    );
}
