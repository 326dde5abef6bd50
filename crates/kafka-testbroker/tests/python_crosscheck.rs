//! Runs the kafka-python cross-check (`tests/python`, cases in `conformance/cases.json`)
//! against this build's `kafka-testbroker` binary. Python comes from `$KAFKAMIRROR_PYTHON`
//! (it must then work), else from the repository's `.tools/venv` made by `make tools`;
//! with neither, the test reports that it was skipped.

use std::path::{Path, PathBuf};
use std::process::Command;

#[test]
fn kafka_python_sees_what_the_conformance_cases_expect() {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let python = match std::env::var_os("KAFKAMIRROR_PYTHON") {
        Some(python) => PathBuf::from(python),
        None => {
            let venv = crate_dir.join("../../.tools/venv/bin/python");
            if !venv.exists() {
                eprintln!(
                    "kafka-python cross-check skipped: set KAFKAMIRROR_PYTHON or run `make tools`"
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
