"""Cross-check of `--metadata-lag-ms` with kafka-python 2.2.15: a topic and an ACL created
through the admin client are acknowledged at once (a second create of the topic already
fails: the controller has it), but Metadata and DescribeAcls answered by the nodes show them
only later. Reads right after the write; then waits on the condition with a bound.
"""

import time

from kafka import errors as Errors
from kafka.admin import (
    ACL,
    ACLFilter,
    ACLOperation,
    ACLPermissionType,
    ACLResourcePatternType,
    NewTopic,
    ResourcePattern,
    ResourcePatternFilter,
    ResourceType,
)

from test_conformance import SPEC, Broker

# Each node trails by 60-100% of the lag, so a read right after a write misses it.
LAG_MS = 3000
BOUND_S = 30


def eventually(condition):
    deadline = time.time() + BOUND_S
    while not condition():
        assert time.time() < deadline, f"not visible within {BOUND_S} s"
        time.sleep(0.05)


def test_writes_are_acknowledged_at_once_and_read_after_the_lag():
    broker = Broker({**SPEC["brokers"]["plaintext"], "metadata_lag_ms": LAG_MS})
    try:
        admin = broker.admin(None)
        admin.create_topics([NewTopic("late", 1, 3)])
        try:
            admin.create_topics([NewTopic("late", 1, 3)])
            raise AssertionError("the controller did not know the topic it had just created")
        except Errors.TopicAlreadyExistsError:
            pass
        assert "late" not in admin.list_topics()
        eventually(lambda: "late" in admin.list_topics())

        acl = ACL(
            "User:alice", "*", ACLOperation.READ, ACLPermissionType.ALLOW,
            ResourcePattern(ResourceType.TOPIC, "late"),
        )
        assert not admin.create_acls([acl])["failed"]
        everything = ACLFilter(
            principal=None, host=None, operation=ACLOperation.ANY, permission_type=ACLPermissionType.ANY,
            resource_pattern=ResourcePatternFilter(ResourceType.ANY, None, ACLResourcePatternType.ANY),
        )
        assert admin.describe_acls(everything)[0] == []
        eventually(lambda: len(admin.describe_acls(everything)[0]) == 1)
    finally:
        broker.close()
