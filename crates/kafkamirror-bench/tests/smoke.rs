//! Runs `kafkamirror-bench --smoke` (N = 10, one apply pair, real Terraform on PATH) so the
//! tool cannot rot: it must finish, and the report must show what a working run shows.
//! Needs the workspace binaries next to the bench (`cargo test --workspace` builds them).

use std::path::PathBuf;
use std::process::Command;

#[test]
fn smoke_run_writes_a_report_with_counted_requests() {
    let bench = PathBuf::from(env!("CARGO_BIN_EXE_kafkamirror-bench"));
    let bin_dir = bench.parent().unwrap();
    for name in ["terraform-provider-kafkamirror", "kafka-testbroker"] {
        assert!(
            bin_dir.join(name).exists(),
            "{name} not built in {}: run `cargo test --workspace` (or `cargo build --workspace --bins`) first",
            bin_dir.display()
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("BENCHMARKS.md");
    let cli_config = dir.path().join("empty.tfrc");
    std::fs::write(&cli_config, "").unwrap();
    let run = Command::new(&bench)
        .arg("--smoke")
        .arg("--out")
        .arg(&out)
        .arg("--bin-dir")
        .arg(bin_dir)
        // The machine's CLI config must not leak into the run (the bench writes its own).
        .env("TF_CLI_CONFIG_FILE", &cli_config)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "bench failed\nstderr:\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let report = std::fs::read_to_string(&out).unwrap();
    assert!(report.contains("## N = 10 topics"), "{report}");
    assert!(report.contains("smoke mode"), "{report}");
    let first_apply = report
        .lines()
        .find(|l| l.starts_with("| first apply |"))
        .unwrap_or_else(|| panic!("no first apply row:\n{report}"));
    // Cells: step, source requests, target requests, ... Each resource (MM2 flow, cluster
    // link) sends at most one batched CreateAcls per cluster at this size.
    let cells: Vec<&str> = first_apply.split('|').map(str::trim).collect();
    for cell in &cells[2..4] {
        let create_acls = create_acls_requests(cell)
            .unwrap_or_else(|| panic!("no CreateAcls in {cell:?}: {first_apply}"));
        assert!((1..=2).contains(&create_acls), "{first_apply}");
    }
    assert!(!report.contains("was not empty"), "{report}");
    assert!(report.contains("median ratio"), "{report}");
}

/// The CreateAcls count in a requests cell like `5 (CreateAcls 2, Metadata 3)`.
fn create_acls_requests(cell: &str) -> Option<u64> {
    let (_, after) = cell.split_once("CreateAcls ")?;
    after
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}
