//! `make demo`'s script (scripts/demo.sh) run as a user runs it: two test brokers, plan, apply
//! and a no-change plan against this build's provider; afterwards no process it started is
//! left running. Processes are recognised by a marker in their environment, which every
//! descendant of the script inherits (a process that left the script's process group still
//! carries it).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

const MARKER_KEY: &str = "KAFKAMIRROR_DEMO_TEST_MARKER";
const TIMEOUT: Duration = Duration::from_secs(300);

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The provider binary of this test run and the `kafka-testbroker` binary beside it (built by
/// `cargo test --workspace`, which `make test` runs, for the broker crate's own CLI tests).
fn binaries() -> (PathBuf, PathBuf) {
    let provider = PathBuf::from(env!("CARGO_BIN_EXE_terraform-provider-kafkamirror"));
    let broker = provider.with_file_name("kafka-testbroker");
    assert!(
        broker.exists(),
        "{} is missing: run `cargo build -p kafka-testbroker` (make test builds it)",
        broker.display()
    );
    (provider, broker)
}

/// Pids and command lines of live processes whose environment holds `KEY=value`.
fn processes_with(key: &str, value: &str) -> Vec<(u32, String)> {
    let wanted = format!("{key}={value}");
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(environ) = std::fs::read(entry.path().join("environ")) else {
            continue; // exited meanwhile, or not ours to read
        };
        if environ
            .split(|b| *b == 0)
            .any(|var| var == wanted.as_bytes())
        {
            let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
            found.push((pid, String::from_utf8_lossy(&cmdline).replace('\0', " ")));
        }
    }
    found
}

#[test]
fn demo_runs_and_leaves_no_process_behind() {
    let (provider, broker) = binaries();
    let bin_dir = tempfile::tempdir().unwrap();
    for binary in [&provider, &broker] {
        std::os::unix::fs::symlink(binary, bin_dir.path().join(binary.file_name().unwrap()))
            .unwrap();
    }
    let marker = format!("demo-test-{}", std::process::id());
    let mut command = Command::new("bash");
    command
        .arg(repo().join("scripts/demo.sh"))
        .env("KAFKAMIRROR_BIN_DIR", bin_dir.path())
        .env(MARKER_KEY, &marker)
        .env_remove("TF_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let child = command.spawn().unwrap();
    let pgid = child.id();
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = sender.send(child.wait_with_output());
    });
    let output = match receiver.recv_timeout(TIMEOUT) {
        Ok(output) => output.unwrap(),
        Err(_) => {
            let _ = Command::new("kill")
                .args(["-9", "--", &format!("-{pgid}")])
                .status();
            panic!("scripts/demo.sh did not finish within {TIMEOUT:?} (killed)");
        }
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let leftovers = processes_with(MARKER_KEY, &marker);
    for (pid, _) in &leftovers {
        let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
    }
    assert!(
        output.status.success(),
        "scripts/demo.sh failed ({})\nstdout:\n{stdout}\nstderr:\n{stderr}",
        output.status
    );
    assert!(
        stdout.contains("==> test brokers: primary at 127.0.0.1:")
            && stdout.contains("==> demo done"),
        "the demo did not start its brokers and finish:\n{stdout}"
    );
    assert!(
        leftovers.is_empty(),
        "processes started by scripts/demo.sh outlived it: {leftovers:?}"
    );
}
