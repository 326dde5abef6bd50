"""Cross-check of kafka-testbroker with a second, independent client: kafka-python 2.2.15.

Runs every case of ../../conformance/cases.json (format in conformance/README.md) that is
meant for the "python" client against a fresh `kafka-testbroker` process per case, through
kafka-python's KafkaAdminClient (and its BrokerConnection for the SASL `connect` op).
The binary comes from $KAFKA_TESTBROKER_BIN, else <repo>/target/debug/kafka-testbroker.
"""

import json
import os
import pathlib
import re
import socket
import subprocess

import pytest
from kafka import errors as Errors
from kafka.admin import (
    ACL,
    ACLFilter,
    ACLOperation,
    ACLPermissionType,
    ACLResourcePatternType,
    ConfigResource,
    ConfigResourceType,
    KafkaAdminClient,
    NewPartitions,
    NewTopic,
    ResourcePattern,
    ResourcePatternFilter,
    ResourceType,
)
from kafka.conn import BrokerConnection

CRATE = pathlib.Path(__file__).resolve().parents[2]
REPO = CRATE.parents[1]
SPEC = json.loads((CRATE / "conformance" / "cases.json").read_text())
BINARY = os.environ.get("KAFKA_TESTBROKER_BIN") or str(REPO / "target" / "debug" / "kafka-testbroker")

CONFIG_SOURCES = {
    0: "UNKNOWN",
    1: "DYNAMIC_TOPIC_CONFIG",
    2: "DYNAMIC_BROKER_CONFIG",
    3: "DYNAMIC_DEFAULT_BROKER_CONFIG",
    4: "STATIC_BROKER_CONFIG",
    5: "DEFAULT_CONFIG",
    6: "DYNAMIC_BROKER_LOGGER_CONFIG",
}

# "(topic='name', error_code=N" inside a kafka-python response repr.
TOPIC_CODE = re.compile(r"\(topic='([^']*)', error_code=(-?\d+)")


# Codes whose kafka-python name differs from Apache Kafka's `Errors` enum name.
KAFKA_NAMES = {0: "NONE", 17: "INVALID_TOPIC_EXCEPTION", 39: "INVALID_REPLICA_ASSIGNMENT"}


def error_name(code):
    """Apache Kafka's name for an error code, e.g. 36 -> TOPIC_ALREADY_EXISTS, 0 -> NONE."""
    return KAFKA_NAMES.get(code) or Errors.for_code(code).message


def type_name(error_type):
    """Kafka's name for a kafka-python error class or instance."""
    if not isinstance(error_type, type):
        error_type = type(error_type)
    return error_name(error_type.errno)


class Broker:
    """A kafka-testbroker process started with a profile from cases.json."""

    def __init__(self, profile):
        args = [BINARY, "--listen", "127.0.0.1:0", "--nodes", str(profile["nodes"])]
        for user, password in profile["users"]:
            args += ["--user", f"{user}:{password}"]
        for principal in profile["super_users"]:
            args += ["--super-user", principal]
        if not profile["authorizer"]:
            args.append("--no-authorizer")
        if profile.get("metadata_lag_ms"):
            args += ["--metadata-lag-ms", str(profile["metadata_lag_ms"])]
        self.profile = profile
        self.process = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
        line = self.process.stdout.readline().strip()
        assert line.startswith("kafka-testbroker listening on "), f"unexpected first line {line!r}"
        self.bootstrap = line.rsplit(" ", 1)[1]
        self.clients = {}

    def password(self, user):
        return dict((u, p) for u, p in self.profile["users"])[user]

    def admin(self, user):
        """A KafkaAdminClient for `user` (None: PLAINTEXT, or the profile's first user)."""
        if user is None and self.profile["users"]:
            user = self.profile["users"][0][0]
        if user not in self.clients:
            security = {}
            if user is not None:
                security = dict(
                    security_protocol="SASL_PLAINTEXT",
                    sasl_mechanism="SCRAM-SHA-256",
                    sasl_plain_username=user,
                    sasl_plain_password=self.password(user),
                )
            self.clients[user] = KafkaAdminClient(
                bootstrap_servers=self.bootstrap, request_timeout_ms=10000, client_id=f"conformance-{user}", **security
            )
        return self.clients[user]

    def close(self):
        for client in self.clients.values():
            client.close()
        self.process.terminate()
        self.process.wait(timeout=10)


class CapturingConnection(BrokerConnection):
    """Remembers the error the connection was first closed with (e.g. SASL failure)."""

    closed_with = None

    def close(self, error=None):
        if error is not None and self.closed_with is None:
            self.closed_with = error
        super().close(error)


def build(cls, fields, validate):
    """Builds a kafka-python ACL object; validate=False skips its local checks so the
    broker's validation is exercised (for `client_may_reject` steps)."""
    if validate:
        return cls(**fields)
    obj = cls.__new__(cls)
    obj.__dict__.update(fields)
    return obj


def acl_binding(binding, validate=True):
    pattern = build(
        ResourcePattern,
        dict(
            resource_type=ResourceType[binding["resource_type"]],
            resource_name=binding["name"],
            pattern_type=ACLResourcePatternType[binding["pattern_type"]],
        ),
        validate,
    )
    return build(
        ACL,
        dict(
            principal=binding["principal"],
            host=binding["host"],
            operation=ACLOperation[binding["operation"]],
            permission_type=ACLPermissionType[binding["permission"]],
            resource_pattern=pattern,
        ),
        validate,
    )


def acl_filter(spec):
    pattern = ResourcePatternFilter(
        ResourceType[spec["resource_type"]], spec["name"], ACLResourcePatternType[spec["pattern_type"]]
    )
    return ACLFilter(
        principal=spec["principal"],
        host=spec["host"],
        operation=ACLOperation[spec["operation"]],
        permission_type=ACLPermissionType[spec["permission"]],
        resource_pattern=pattern,
    )


def binding_key(acl):
    """A kafka-python ACL (or a cases.json binding) as a comparable tuple."""
    if isinstance(acl, dict):
        return tuple(acl[k] for k in ("resource_type", "name", "pattern_type", "principal", "host", "operation", "permission"))
    pattern = acl.resource_pattern
    return (
        pattern.resource_type.name,
        pattern.resource_name,
        pattern.pattern_type.name,
        acl.principal,
        acl.host,
        acl.operation.name,
        acl.permission_type.name,
    )


def topic_codes(call):
    """Per-topic error names of a topic admin call; kafka-python raises on the first
    error, with the full response in the message."""
    try:
        response = call()
    except Errors.KafkaError as error:
        return {topic: error_name(int(code)) for topic, code in TOPIC_CODE.findall(str(error))}
    return {topic: error_name(int(code)) for topic, code in TOPIC_CODE.findall(repr(response))}


def config_resource(step, configs=None):
    kind = ConfigResourceType[step["resource_type"]]
    return ConfigResource(kind, step["name"], configs=configs)


def run_step(broker, step):
    """Runs one step and returns what kafka-python observed, in the `expect` shape."""
    op = step["op"]
    if op == "connect":
        host, port = broker.bootstrap.rsplit(":", 1)
        conn = CapturingConnection(
            host,
            int(port),
            socket.AF_INET,
            security_protocol="SASL_PLAINTEXT",
            sasl_mechanism=step["mechanism"],
            sasl_plain_username=step["user"],
            sasl_plain_password=step["password"],
            request_timeout_ms=5000,
        )
        connected = conn.connect_blocking(5)
        conn.close()
        if connected:
            return "NONE"
        return type_name(conn.closed_with) if conn.closed_with is not None else "NOT_CONNECTED"
    admin = broker.admin(step.get("as"))
    if op == "create_topics":
        topics = [
            NewTopic(
                t["name"],
                t.get("partitions", -1),
                t.get("replication_factor", -1),
                replica_assignments=(
                    {int(p): replicas for p, replicas in t["assignments"].items()} if "assignments" in t else None
                ),
                topic_configs=t.get("configs", {}),
            )
            for t in step["topics"]
        ]
        return topic_codes(lambda: admin.create_topics(topics, validate_only=step.get("validate_only", False)))
    if op == "delete_topics":
        return topic_codes(lambda: admin.delete_topics(step["topics"]))
    if op == "create_partitions":
        assignments = step.get("assignments", {})
        wanted = {name: NewPartitions(count, assignments.get(name)) for name, count in step["topics"].items()}
        return topic_codes(lambda: admin.create_partitions(wanted))
    if op == "list_topics":
        return {"topics": sorted(admin.list_topics())}
    if op == "describe_topics":
        described = {}
        for topic in admin.describe_topics(step["topics"]):
            partitions = topic["partitions"]
            described[topic["topic"]] = {
                "error": error_name(topic["error_code"]),
                "partitions": len(partitions),
                "replication_factor": len(partitions[0]["replicas"]) if partitions else 0,
            }
            if "replicas" in step["expect"].get(topic["topic"], {}):
                by_index = sorted(partitions, key=lambda p: p["partition"])
                described[topic["topic"]]["replicas"] = [p["replicas"] for p in by_index]
                described[topic["topic"]]["leaders"] = [p["leader"] for p in by_index]
        return described
    if op == "describe_configs":
        (response,) = admin.describe_configs([config_resource(step)])
        ((code, _message, _type, _name, entries),) = response.resources
        result = {"error": error_name(code)}
        wanted = step["expect"].get("configs")
        if wanted is not None:
            by_name = {e[0]: {"value": e[1], "source": CONFIG_SOURCES[e[3]]} for e in entries}
            result["configs"] = {key: by_name.get(key) for key in wanted}
        return result
    if op == "alter_configs":
        response = admin.alter_configs([config_resource(step, step["configs"])])
        ((code, _message, _type, _name),) = response.resources
        return {"error": error_name(code)}
    if op == "create_acls":
        validate = not step.get("client_may_reject", False)
        acls = [acl_binding(b, validate) for b in step["bindings"]]
        outcome = admin.create_acls(acls)
        failed = {id(acl): error for acl, error in outcome["failed"]}
        return [type_name(failed[id(acl)]) if id(acl) in failed else "NONE" for acl in acls]
    if op == "describe_acls":
        try:
            acls, error = admin.describe_acls(acl_filter(step["filter"]))
        except Errors.BrokerResponseError as error:
            return {"error": type_name(error)}
        result = {"error": type_name(error)}
        if "bindings" in step["expect"]:
            result["bindings"] = sorted(binding_key(a) for a in acls)
        if "count" in step["expect"]:
            result["count"] = len(acls)
        return result
    if op == "delete_acls":
        results = admin.delete_acls([acl_filter(f) for f in step["filters"]])
        return [
            {"error": type_name(error), "deleted": sorted(binding_key(acl) for acl, _ in matched)}
            for _filter, matched, error in results
        ]
    raise AssertionError(f"operation {op} is not supported by the kafka-python runner")


def expected_shape(step):
    """`expect` normalised like run_step's result (bindings as sorted tuples)."""
    expect = step["expect"]
    if step["op"] == "describe_acls" and "bindings" in expect:
        return {**expect, "bindings": sorted(binding_key(b) for b in expect["bindings"])}
    if step["op"] == "delete_acls":
        return [{**r, "deleted": sorted(binding_key(b) for b in r["deleted"])} for r in expect]
    return expect


CASES = [case for case in SPEC["cases"] if "python" in case.get("clients", ["python"])]


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_case(case):
    broker = Broker(SPEC["brokers"][case["broker"]])
    try:
        for index, step in enumerate(case["steps"]):
            observed = run_step(broker, step)
            assert observed == expected_shape(step), f"step {index} ({step['op']}) of {case['name']}"
    finally:
        broker.close()


def test_every_case_is_checked_by_some_runner():
    """Guards the data file: every case names known clients and at least one step."""
    for case in SPEC["cases"]:
        assert set(case.get("clients", ["python", "rdkafka"])) <= {"python", "rdkafka"}, case["name"]
        assert case["steps"], case["name"]
        assert case["broker"] in SPEC["brokers"], case["name"]
