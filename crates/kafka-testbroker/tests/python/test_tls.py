"""Cross-check of the broker's TLS listener and OAUTHBEARER with kafka-python 2.2.15.

Certificates and tokens are made by the Rust test that runs this file
(tests/python_crosscheck.rs, with kafka_testbroker::pki) and passed in
$KAFKA_TESTBROKER_TLS_DIR: ca.pem, broker.pem/broker.key (for 127.0.0.1 and localhost),
client.pem/client.key (subject CN=terraform,OU=platform), other-client.pem/other-client.key
(CN=intruder), jwks.json and token.txt (an RS256 token for sub "svc-terraform").
"""

import os
import pathlib
import ssl
import subprocess

import pytest
from kafka import errors as Errors
from kafka.admin import ACLFilter, ACLOperation, ACLPermissionType, ACLResourcePatternType
from kafka.admin import KafkaAdminClient, ResourcePatternFilter, ResourceType
from kafka.sasl.oauth import AbstractTokenProvider

CRATE = pathlib.Path(__file__).resolve().parents[2]
BINARY = os.environ.get("KAFKA_TESTBROKER_BIN") or str(CRATE.parents[1] / "target" / "debug" / "kafka-testbroker")
TLS_DIR = os.environ.get("KAFKA_TESTBROKER_TLS_DIR")

pytestmark = pytest.mark.skipif(
    TLS_DIR is None, reason="run through `cargo test -p kafka-testbroker --test python_crosscheck`, which makes the certificates"
)


def path(name):
    return str(pathlib.Path(TLS_DIR) / name)


class Broker:
    def __init__(self, *extra):
        args = [BINARY, "--listen", "127.0.0.1:0", "--nodes", "1", "--tls-cert", path("broker.pem"),
                "--tls-key", path("broker.key"), *extra]
        self.process = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
        line = self.process.stdout.readline().strip()
        assert line.startswith("kafka-testbroker listening on "), f"unexpected first line {line!r}"
        self.bootstrap = line.rsplit(" ", 1)[1]

    def admin(self, **security):
        return KafkaAdminClient(bootstrap_servers=self.bootstrap, request_timeout_ms=10000,
                                ssl_cafile=path("ca.pem"), ssl_check_hostname=True, **security)

    def __enter__(self):
        return self

    def __exit__(self, *_):
        self.process.terminate()
        self.process.wait(timeout=10)


ANY_ACL = ACLFilter(
    principal=None, host=None, operation=ACLOperation.ANY, permission_type=ACLPermissionType.ANY,
    resource_pattern=ResourcePatternFilter(ResourceType.ANY, None, ACLResourcePatternType.ANY),
)


def describe_acls_error(admin):
    """The error DescribeAcls answered with (NoError when the principal may describe)."""
    try:
        admin.describe_acls(ANY_ACL)
        return Errors.NoError
    except Errors.KafkaError as error:
        return type(error)


def test_ssl_listener_serves_admin_requests():
    with Broker("--super-user", "User:ANONYMOUS") as broker:
        admin = broker.admin(security_protocol="SSL")
        assert describe_acls_error(admin) is Errors.NoError
        admin.close()


def test_sasl_ssl_listener_authenticates_scram_over_tls():
    with Broker("--user", "admin:admin-secret", "--super-user", "User:admin") as broker:
        admin = broker.admin(security_protocol="SASL_SSL", sasl_mechanism="SCRAM-SHA-512",
                             sasl_plain_username="admin", sasl_plain_password="admin-secret")
        assert describe_acls_error(admin) is Errors.NoError
        admin.close()


def test_mutual_tls_principal_is_the_certificate_subject_dn():
    with Broker("--tls-client-ca", path("ca.pem"), "--super-user", "User:CN=terraform,OU=platform") as broker:
        admin = broker.admin(security_protocol="SSL", ssl_certfile=path("client.pem"), ssl_keyfile=path("client.key"))
        assert describe_acls_error(admin) is Errors.NoError
        admin.close()
        other = broker.admin(security_protocol="SSL", ssl_certfile=path("other-client.pem"),
                             ssl_keyfile=path("other-client.key"))
        assert describe_acls_error(other) is Errors.ClusterAuthorizationFailedError
        other.close()


def test_mutual_tls_refuses_a_client_without_certificate():
    with Broker("--tls-client-ca", path("ca.pem"), "--super-user", "User:CN=terraform,OU=platform") as broker:
        with pytest.raises((Errors.KafkaError, ssl.SSLError), match="(?i)certificate required|NoBrokersAvailable"):
            broker.admin(security_protocol="SSL", api_version_auto_timeout_ms=3000).close()


class FileToken(AbstractTokenProvider):
    def __init__(self, name):
        self.name = name

    def token(self):
        return pathlib.Path(path(self.name)).read_text().strip()


def test_oauthbearer_over_tls_names_the_token_subject():
    with Broker("--oauth-jwks", path("jwks.json"), "--super-user", "User:svc-terraform") as broker:
        admin = broker.admin(security_protocol="SASL_SSL", sasl_mechanism="OAUTHBEARER",
                             sasl_oauth_token_provider=FileToken("token.txt"))
        assert describe_acls_error(admin) is Errors.NoError
        admin.close()
        with pytest.raises(Errors.KafkaError):
            broker.admin(security_protocol="SASL_SSL", sasl_mechanism="OAUTHBEARER",
                         sasl_oauth_token_provider=FileToken("expired-token.txt"),
                         api_version_auto_timeout_ms=3000).close()
