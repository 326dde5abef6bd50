//! scripts/release.sh refuses a release it cannot build whole: a target whose C compiler and
//! linker is missing, or a platform it has no toolchain for, stops it before anything is
//! built, naming the target and the reason, and leaves no zip behind. (The full release and
//! its per-platform checks are `make release`; tests/release.rs builds linux_amd64.)

use std::path::Path;
use std::process::{Command, Output};

fn release_sh(targets: &str, envs: &[(&str, &str)]) -> (Output, tempfile::TempDir) {
    let dist = tempfile::tempdir().unwrap();
    let mut command = Command::new("bash");
    command
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/release.sh"))
        .env("VERSION", "0.1.0")
        .env("DIST_DIR", dist.path())
        .env("RELEASE_TARGETS", targets)
        // Nothing is installed: the test is about what the script says when a tool is missing.
        .env("RELEASE_INSTALL_TOOLS", "0");
    for (key, value) in envs {
        command.env(key, value);
    }
    (command.output().unwrap(), dist)
}

fn zips(dist: &Path) -> Vec<String> {
    std::fs::read_dir(dist)
        .unwrap()
        .flatten()
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".zip"))
        .collect()
}

#[test]
fn a_target_without_its_linker_fails_the_release_with_the_reason() {
    let missing = "/nonexistent/aarch64-linux-gnu-gcc";
    let (output, dist) = release_sh(
        "linux_amd64:x86_64-unknown-linux-gnu linux_arm64:aarch64-unknown-linux-gnu",
        &[("RELEASE_CC_linux_arm64", missing)],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("nothing was built"),
        "no summary line:\n{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "linux_arm64 (aarch64-unknown-linux-gnu): C compiler and linker '{missing}' is not installed"
        )),
        "the missing linker is not named:\n{stderr}"
    );
    assert!(
        !stderr.contains("linux_amd64 (x86_64-unknown-linux-gnu):"),
        "the buildable target was reported as a problem:\n{stderr}"
    );
    assert_eq!(zips(dist.path()), Vec::<String>::new());
}

#[test]
fn a_platform_without_a_known_toolchain_fails_the_release() {
    let (output, dist) = release_sh("windows_arm64:aarch64-pc-windows-gnullvm", &[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(
            "windows_arm64 (aarch64-pc-windows-gnullvm): no toolchain is known for this platform and Rust target"
        ),
        "{stderr}"
    );
    assert_eq!(zips(dist.path()), Vec::<String>::new());
}
