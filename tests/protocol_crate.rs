//! The Terraform plugin protocol crate (`crates/tfplugin`) stays a layer of its own: it depends
//! on no Kafka crate and names neither Kafka nor this provider, so it serves any provider and
//! the compiler keeps the protocol layer from reaching into the Kafka one.

use std::path::{Path, PathBuf};
use std::process::Command;

fn protocol_crate() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/tfplugin")
}

/// `cargo tree -p tfplugin -e normal,build --prefix none`: every crate the protocol layer
/// links or builds with, one per line.
#[test]
fn the_protocol_crate_depends_on_no_kafka_crate() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let output = Command::new(cargo)
        .args([
            "tree",
            "-p",
            "tfplugin",
            "-e",
            "normal,build",
            "--prefix",
            "none",
            "--locked",
            "--offline",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo tree runs");
    assert!(
        output.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let tree = String::from_utf8(output.stdout).expect("cargo tree prints UTF-8");
    let crates: Vec<&str> = tree.lines().filter(|line| !line.is_empty()).collect();
    assert!(
        crates
            .first()
            .is_some_and(|root| root.starts_with("tfplugin v")),
        "not the protocol crate's tree:\n{tree}"
    );
    assert!(
        crates.iter().any(|line| line.starts_with("tonic v")),
        "the tree lacks the crate's known dependencies, so it proves nothing:\n{tree}"
    );
    let kafka: Vec<&&str> = crates
        .iter()
        .filter(|line| line.to_ascii_lowercase().contains("kafka"))
        .collect();
    assert!(
        kafka.is_empty(),
        "the protocol crate depends on Kafka crates: {kafka:?}"
    );
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable directory") {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            files_under(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// Its sources, protocol definitions, manifest and README never mention Kafka or this provider
/// (whose name contains "kafka"): whatever is provider-specific is passed in (`ServeConfig`).
#[test]
fn the_protocol_crate_names_neither_kafka_nor_this_provider() {
    let mut files = Vec::new();
    files_under(&protocol_crate(), &mut files);
    assert!(files.iter().any(|path| path.ends_with("src/lib.rs")));
    let naming: Vec<String> = files
        .iter()
        .filter_map(|path| {
            let text = std::fs::read_to_string(path).ok()?;
            let lines: Vec<String> = text
                .lines()
                .enumerate()
                .filter(|(_, line)| line.to_ascii_lowercase().contains("kafka"))
                .map(|(number, line)| format!("{}:{}: {line}", path.display(), number + 1))
                .collect();
            (!lines.is_empty()).then(|| lines.join("\n"))
        })
        .collect();
    assert!(naming.is_empty(), "{}", naming.join("\n"));
}
