//! Runs the kafka-python cross-check (`tests/python`, cases in `conformance/cases.json`)
//! against this build's `kafka-testbroker` binary. Python comes from `$KAFKAMIRROR_PYTHON`
//! (it must then work), else from the repository's `.tools/venv` made by `make tools`.
//! With neither it skips and says so, except under CI (`CI=true`, or `KAFKAMIRROR_REQUIRE_TF_PATH`
//! set as `.ci/run` does), where a skip would pass unseen: there it fails.

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
    let status = Command::new(&python)
        .args(["-m", "pytest", "-q", "-p", "no:cacheprovider"])
        .arg(crate_dir.join("tests/python"))
        .env(
            "KAFKA_TESTBROKER_BIN",
            env!("CARGO_BIN_EXE_kafka-testbroker"),
        )
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .status()
        .unwrap_or_else(|error| panic!("cannot run {}: {error}", python.display()));
    assert!(
        status.success(),
        "kafka-python cross-check failed (see pytest output above)"
    );
}
