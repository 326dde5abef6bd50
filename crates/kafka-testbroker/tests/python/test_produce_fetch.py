"""Cross-check of the broker's Produce, Fetch and ListOffsets with kafka-python 2.2.15's
KafkaProducer and KafkaConsumer: keyed records and tombstones on a compacted topic read back
from the beginning to the end offset (compaction is lazy, as in Kafka: superseded records and
tombstones are still there), acks 0/1/all, Kafka's errors (keyless records on a compacted
topic, offsets out of range, unknown partitions) and authorization (WRITE to produce, READ to
fetch, DESCRIBE to list offsets). Brokers come from the profiles of conformance/cases.json.
"""

import time

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka import errors as Errors
from kafka.admin import ACL, ACLOperation, ACLPermissionType, NewTopic, ResourcePattern, ResourceType

from kafka.protocol.list_offsets import ListOffsetsRequest

from test_conformance import SPEC, Broker, error_name

TIMEOUT_S = 20


@pytest.fixture
def broker():
    started = Broker(SPEC["brokers"]["sasl"])
    yield started
    started.close()


def security(broker, user):
    return dict(
        security_protocol="SASL_PLAINTEXT",
        sasl_mechanism="SCRAM-SHA-256",
        sasl_plain_username=user,
        sasl_plain_password=broker.password(user),
    )


def producer(broker, user="admin", **config):
    config = {"request_timeout_ms": 10000, "max_block_ms": 10000, **config}
    return KafkaProducer(bootstrap_servers=broker.bootstrap, **security(broker, user), **config)


def consumer(broker, user="admin", **config):
    return KafkaConsumer(
        bootstrap_servers=broker.bootstrap,
        group_id=None,
        enable_auto_commit=False,
        request_timeout_ms=10000,
        fetch_max_wait_ms=100,
        **security(broker, user),
        **config,
    )


def create(broker, name, partitions=1, configs=None):
    broker.admin("admin").create_topics([NewTopic(name, partitions, 3, topic_configs=configs or {})])


def read_all(reader, tp, end):
    """Records of `tp` from the beginning up to `end`, as (offset, key, value)."""
    reader.assign([tp])
    reader.seek_to_beginning(tp)
    seen = []
    deadline = time.time() + TIMEOUT_S
    # position() before the first poll spins in kafka-python 2.2.15: follow the offsets read.
    while not seen or seen[-1][0] + 1 < end:
        assert time.time() < deadline, f"read only {seen} before {end}"
        for records in reader.poll(timeout_ms=200).values():
            seen += [(r.offset, r.key, r.value) for r in records]
    return seen


def test_keyed_records_and_tombstones_are_read_back_from_the_beginning(broker):
    create(broker, "claims", configs={"cleanup.policy": "compact"})
    writer = producer(broker, acks="all")
    sent = [
        writer.send("claims", key=b"binding-a", value=b"flow-1", partition=0),
        writer.send("claims", key=b"binding-b", value=b"flow-1", partition=0),
        writer.send("claims", key=b"binding-a", value=None, partition=0),
    ]
    assert [f.get(timeout=TIMEOUT_S).offset for f in sent] == [0, 1, 2]
    writer.close()

    reader = consumer(broker)
    tp = TopicPartition("claims", 0)
    assert reader.beginning_offsets([tp]) == {tp: 0}
    end = reader.end_offsets([tp])[tp]
    assert end == 3
    assert read_all(reader, tp, end) == [
        (0, b"binding-a", b"flow-1"),
        (1, b"binding-b", b"flow-1"),
        (2, b"binding-a", None),
    ]
    reader.close()


def test_acks_one_appends_to_the_chosen_partition(broker):
    # acks=0 is covered by the in-process tests: kafka-python 2.2.15's producer queues an
    # acks=0 request but never writes it to the socket.
    create(broker, "events", partitions=2)
    one = producer(broker, acks=1)
    assert [one.send("events", key=b"k", value=v, partition=1).get(timeout=TIMEOUT_S).offset for v in (b"1", b"2")] == [0, 1]
    one.close()
    reader = consumer(broker)
    tp = TopicPartition("events", 1)
    assert reader.end_offsets([tp]) == {tp: 2}
    assert [value for _, _, value in read_all(reader, tp, 2)] == [b"1", b"2"]
    assert reader.end_offsets([TopicPartition("events", 0)]) == {TopicPartition("events", 0): 0}
    reader.close()


def test_small_fetch_limits_still_return_a_whole_first_batch(broker):
    create(broker, "large")
    writer = producer(broker, acks="all", linger_ms=0)
    values = [bytes([65 + i]) * 3000 for i in range(3)]
    for value in values:
        writer.send("large", key=b"k", value=value, partition=0).get(timeout=TIMEOUT_S)
    writer.close()
    reader = consumer(broker, fetch_max_bytes=100, max_partition_fetch_bytes=100)
    tp = TopicPartition("large", 0)
    assert [value for _, _, value in read_all(reader, tp, 3)] == values
    reader.close()


def test_a_keyless_record_on_a_compacted_topic_is_an_invalid_record(broker):
    create(broker, "compacted", configs={"cleanup.policy": "compact"})
    writer = producer(broker, acks="all", retries=0)
    with pytest.raises(Errors.InvalidRecordError):
        writer.send("compacted", value=b"no key", partition=0).get(timeout=TIMEOUT_S)
    writer.close()
    reader = consumer(broker)
    tp = TopicPartition("compacted", 0)
    assert reader.end_offsets([tp]) == {tp: 0}
    reader.close()


def test_fetching_past_the_end_is_offset_out_of_range(broker):
    create(broker, "short")
    writer = producer(broker, acks="all")
    writer.send("short", key=b"k", value=b"v", partition=0).get(timeout=TIMEOUT_S)
    writer.close()
    reader = consumer(broker, auto_offset_reset="none")
    tp = TopicPartition("short", 0)
    reader.assign([tp])
    reader.seek(tp, 5)
    deadline = time.time() + TIMEOUT_S
    with pytest.raises(Errors.OffsetOutOfRangeError):
        while time.time() < deadline:
            reader.poll(timeout_ms=200)
    reader.close()


def raw(reader, request):
    """Sends `request` through the consumer's client to any node; returns the response.
    kafka-python only asks for offsets of partitions its metadata lists and shows, so a raw
    request shows the broker's own answer."""
    client = reader._client
    node = client.least_loaded_node()
    deadline = time.time() + TIMEOUT_S
    while not client.ready(node):
        assert time.time() < deadline, "no connection"
        client.poll(timeout_ms=100)
    future = client.send(node, request)
    client.poll(future=future, timeout_ms=10000)
    return future.value


def list_offsets_code(reader, topic, partition):
    response = raw(reader, ListOffsetsRequest[1](-1, [(topic, [(partition, -1)])]))
    ((name, partitions),) = response.topics
    assert (name, partitions[0][0]) == (topic, partition)
    return error_name(partitions[0][1])


def test_an_unknown_partition_is_refused(broker):
    create(broker, "one-partition")
    reader = consumer(broker)
    assert list_offsets_code(reader, "one-partition", 7) == "UNKNOWN_TOPIC_OR_PARTITION"
    assert list_offsets_code(reader, "missing", 0) == "UNKNOWN_TOPIC_OR_PARTITION"
    reader.close()


def test_produce_needs_write_fetch_needs_read_list_offsets_needs_describe(broker):
    create(broker, "guarded")
    tp = TopicPartition("guarded", 0)
    alice = producer(broker, "alice", acks="all", retries=0, max_block_ms=3000)
    # Metadata already refuses the topic (no DESCRIBE): the producer reports the broker's
    # TOPIC_AUTHORIZATION_FAILED for it.
    with pytest.raises((Errors.TopicAuthorizationFailedError, Errors.KafkaTimeoutError)):
        alice.send("guarded", key=b"k", value=b"v", partition=0).get(timeout=TIMEOUT_S)
    alice.close()
    reader = consumer(broker, "alice")
    assert list_offsets_code(reader, "guarded", 0) == "TOPIC_AUTHORIZATION_FAILED"
    reader.close()

    admin = broker.admin("admin")
    write = ACL(
        "User:alice", "*", ACLOperation.WRITE, ACLPermissionType.ALLOW,
        ResourcePattern(ResourceType.TOPIC, "guarded"),
    )
    admin.create_acls([write])
    alice = producer(broker, "alice", acks="all", retries=0)
    assert alice.send("guarded", key=b"k", value=b"v", partition=0).get(timeout=TIMEOUT_S).offset == 0
    alice.close()
    reader = consumer(broker, "alice")
    assert reader.end_offsets([tp]) == {tp: 1}  # WRITE implies DESCRIBE
    reader.assign([tp])
    reader.seek_to_beginning(tp)
    deadline = time.time() + TIMEOUT_S
    with pytest.raises(Errors.TopicAuthorizationFailedError):
        while time.time() < deadline:
            reader.poll(timeout_ms=200)
    reader.close()
