//! The `kafka-testbroker` binary: its one ready line, the stats file and argument errors.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BINARY: &str = env!("CARGO_BIN_EXE_kafka-testbroker");

/// An ApiVersions v0 request frame (header v1, client id "cli-test").
fn api_versions_v0_frame() -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&18i16.to_be_bytes());
    body.extend_from_slice(&0i16.to_be_bytes());
    body.extend_from_slice(&1i32.to_be_bytes());
    body.extend_from_slice(&8i16.to_be_bytes());
    body.extend_from_slice(b"cli-test");
    let mut frame = (body.len() as i32).to_be_bytes().to_vec();
    frame.extend_from_slice(&body);
    frame
}

#[test]
fn prints_one_ready_line_and_writes_the_stats_file() {
    let dir = std::env::temp_dir().join(format!("kafka-testbroker-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let stats = dir.join("stats.json");
    let mut child = Command::new(BINARY)
        .args([
            "--listen",
            "127.0.0.1:0",
            "--nodes",
            "2",
            "--user",
            "admin:secret",
            "--super-user",
            "User:admin",
        ])
        .arg("--stats-file")
        .arg(&stats)
        .args(["--metadata-lag-ms", "0"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let address = line
        .trim()
        .strip_prefix("kafka-testbroker listening on ")
        .expect("the ready line")
        .to_string();

    let mut stream = TcpStream::connect(&address).unwrap();
    stream.write_all(&api_versions_v0_frame()).unwrap();
    let mut length = [0u8; 4];
    stream.read_exact(&mut length).unwrap();
    assert!(i32::from_be_bytes(length) > 0);

    let deadline = Instant::now() + Duration::from_secs(5);
    let counts = loop {
        let text = std::fs::read_to_string(&stats).unwrap_or_default();
        if text.contains("ApiVersions") || Instant::now() > deadline {
            break text;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(counts, r#"{"ApiVersions":1}"#);
    child.kill().unwrap();
    child.wait().unwrap();
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    assert!(rest.is_empty(), "exactly one line on stdout, then {rest:?}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn rejects_bad_arguments_with_usage() {
    let output = Command::new(BINARY)
        .args(["--listen", "127.0.0.1:0", "--user", "no-colon"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--user takes NAME:PASSWORD"));
    let output = Command::new(BINARY).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--listen is required"));
    let output = Command::new(BINARY)
        .args(["--listen", "127.0.0.1:0", "--metadata-lag-ms", "soon"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--metadata-lag-ms must be"));
}
