//! Runs the kafka-python cross-check (`tests/python`, cases in `conformance/cases.json`)
//! against this build's `kafka-testbroker` binary. Python comes from `$KAFKAMIRROR_PYTHON`
//! (it must then work), else from the repository's `.tools/venv` made by `make tools`.
//! With neither it skips and says so, except under CI (`CI=true`, or `KAFKAMIRROR_REQUIRE_TF_PATH`
//! set as `.ci/run` does), where a skip would pass unseen: there it fails. The TLS and
//! OAUTHBEARER cases (`tests/python/test_tls.py`) get certificates and tokens made here.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Whether a missing prerequisite must fail the test instead of skipping it (the same rule as
/// the provider's tests, `tests/support/mod.rs` `skipping_is_failure`).
fn skipping_is_failure() -> bool {
    std::env::var("CI").is_ok_and(|ci| ci == "true" || ci == "1")
        || std::env::var_os("KAFKAMIRROR_REQUIRE_TF_PATH").is_some()
}

#[test]
fn kafka_python_sees_what_the_conformance_cases_expect() {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let python = match std::env::var_os("KAFKAMIRROR_PYTHON") {
        Some(python) => PathBuf::from(python),
        None => {
            let venv = crate_dir.join("../../.tools/venv/bin/python");
            if !venv.exists() {
                let reason =
                    "no Python with kafka-python: set KAFKAMIRROR_PYTHON or run `make tools`";
                assert!(
                    !skipping_is_failure(),
                    "the kafka-python cross-check must not be skipped under CI: {reason}"
                );
                // Straight to stderr, past the harness's capture: shown in a plain `cargo test`.
                let _ = writeln!(
                    std::io::stderr(),
                    "SKIPPED the kafka-python cross-check: {reason}"
                );
                return;
            }
            venv
        }
    };
    let tls_dir = std::env::temp_dir().join(format!("kafka-testbroker-tls-{}", std::process::id()));
    write_tls_material(&tls_dir);
    let status = Command::new(&python)
        .args(["-m", "pytest", "-q", "-p", "no:cacheprovider"])
        .arg(crate_dir.join("tests/python"))
        .env(
            "KAFKA_TESTBROKER_BIN",
            env!("CARGO_BIN_EXE_kafka-testbroker"),
        )
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("KAFKA_TESTBROKER_TLS_DIR", &tls_dir)
        .status()
        .unwrap_or_else(|error| panic!("cannot run {}: {error}", python.display()));
    let _ = std::fs::remove_dir_all(&tls_dir);
    assert!(
        status.success(),
        "kafka-python cross-check failed (see pytest output above)"
    );
}

/// The files `tests/python/test_tls.py` reads (its docstring lists them).
fn write_tls_material(dir: &Path) {
    use kafka_testbroker::pki::{TestCa, TokenSigner};
    std::fs::create_dir_all(dir).unwrap();
    let write = |name: &str, text: &str| std::fs::write(dir.join(name), text).unwrap();
    let ca = TestCa::new("kafka-testbroker test CA");
    write("ca.pem", &ca.cert_pem);
    let broker = ca.broker(&["127.0.0.1", "localhost"]);
    write("broker.pem", &broker.cert_pem);
    write("broker.key", &broker.key_pem);
    let client = ca.client(&[("OU", "platform"), ("CN", "terraform")]);
    write("client.pem", &client.cert_pem);
    write("client.key", &client.key_pem);
    let other = ca.client(&[("CN", "intruder")]);
    write("other-client.pem", &other.cert_pem);
    write("other-client.key", &other.key_pem);
    let signer = TokenSigner::new("test-key");
    write("jwks.json", signer.jwks());
    write(
        "token.txt",
        &signer.token("svc-terraform", 3600, serde_json::Value::Null),
    );
    write(
        "expired-token.txt",
        &signer.token("svc-terraform", -3600, serde_json::Value::Null),
    );
}
