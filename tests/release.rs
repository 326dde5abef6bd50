//! Release end-to-end: builds the linux_amd64 release exactly as `make release VERSION=0.1.0`
//! does (into a temp DIST_DIR, signed with a throwaway GPG key), once per test run, then checks
//! what a registry user relies on: the SHA256SUMS file and its detached signature verify, the
//! zip holds `terraform-provider-kafkamirror_v0.1.0`, the binary needs only the C runtime, the
//! release's own per-platform checks (scripts/check-release.sh) ran and reject a binary of the
//! wrong architecture, and `terraform init` installs the zip from a packed filesystem mirror
//! and plans and applies an example (Terraform 1.0.3 and the one on PATH), with no secret in a
//! TF_LOG=TRACE run. The cross-platform zips are built and checked by `make release` itself.
//!
//! A release build takes minutes, so these tests run only with KAFKAMIRROR_RELEASE_TEST=1,
//! which `make test` sets; without it they skip and say so, except under CI, where they fail
//! (`support::skip`).

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use support::{for_each_terraform, skip, Workdir, PROVIDER_SOURCE};

const VERSION: &str = "0.1.0";
const NAME: &str = "terraform-provider-kafkamirror";
const PLATFORM: &str = "linux_amd64";
/// The example applied from the mirror: a data source, so no Kafka cluster is needed.
const APPLIED_EXAMPLE: &str = "data-sources/kafkamirror_mm2_replication_permissions";
const PRIMARY_PASSWORD: &str = "primary-pw-7f3a9c-release-test";
const DR_PASSWORD: &str = "dr-pw-b81d24-release-test";

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The built release: its dist folder, the GPG home holding the signing key and what
/// `make release` printed.
struct Release {
    dist: tempfile::TempDir,
    gnupg_home: tempfile::TempDir,
    stdout: String,
}

impl Release {
    fn artifact(&self, suffix: &str) -> PathBuf {
        self.dist.path().join(format!("{NAME}_{VERSION}_{suffix}"))
    }

    fn zip(&self) -> PathBuf {
        self.artifact(&format!("{PLATFORM}.zip"))
    }
}

/// Whether the release tests run; otherwise `test` is skipped (or fails under CI).
fn enabled(test: &str) -> bool {
    let on = std::env::var("KAFKAMIRROR_RELEASE_TEST").as_deref() == Ok("1");
    if !on {
        skip(
            test,
            "set KAFKAMIRROR_RELEASE_TEST=1 (make test does) to build and test the release",
        );
    }
    on
}

/// Runs a command, panicking with its output when it fails; returns stdout.
fn run_ok(command: &mut Command) -> String {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    assert!(
        output.status.success(),
        "{command:?} failed ({})\nstdout:\n{}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn gpg(release_home: &Path) -> Command {
    let mut command = Command::new("gpg");
    command.env("GNUPGHOME", release_home).arg("--batch");
    command
}

/// Builds the release once for all tests in this binary; a failed build fails each of them.
fn release() -> &'static Release {
    static RELEASE: OnceLock<Result<Release, String>> = OnceLock::new();
    let built = RELEASE.get_or_init(|| {
        std::panic::catch_unwind(build_release).map_err(|panic| {
            panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "release build panicked".to_string())
        })
    });
    match built {
        Ok(release) => release,
        Err(why) => panic!("the release build failed:\n{why}"),
    }
}

fn build_release() -> Release {
    let gnupg_home = tempfile::tempdir().unwrap();
    run_ok(gpg(gnupg_home.path()).args([
        "--passphrase",
        "",
        "--quick-gen-key",
        "kafkamirror release test <release-test@kafkamirror.invalid>",
        "ed25519",
        "sign",
        "never",
    ]));
    let listing = run_ok(gpg(gnupg_home.path()).args(["--with-colons", "--list-secret-keys"]));
    let fingerprint = listing
        .lines()
        .find_map(|line| line.strip_prefix("fpr:"))
        .and_then(|rest| rest.split(':').find(|field| !field.is_empty()))
        .unwrap_or_else(|| panic!("no key fingerprint in:\n{listing}"))
        .to_string();
    let dist = tempfile::tempdir().unwrap();
    // The Makefile's own release target, so the test covers what users run.
    let stdout = run_ok(
        Command::new("make")
            .current_dir(repo())
            .args([
                "--no-print-directory",
                "release",
                &format!("VERSION={VERSION}"),
                // Only the platform tested here; cross targets are the Makefile's business.
                "RELEASE_TARGETS=linux_amd64:x86_64-unknown-linux-gnu",
            ])
            .env("DIST_DIR", dist.path())
            .env("GPG_KEY_ID", &fingerprint)
            .env("GNUPGHOME", gnupg_home.path())
            .env_remove("MAKEFLAGS")
            .env_remove("MAKELEVEL")
            .env_remove("MFLAGS"),
    );
    // Signing started a gpg-agent for the throwaway home; verifying needs none.
    let _ = Command::new("gpgconf")
        .env("GNUPGHOME", gnupg_home.path())
        .args(["--kill", "gpg-agent"])
        .status();
    Release {
        dist,
        gnupg_home,
        stdout,
    }
}

#[test]
fn sums_and_signature_verify_and_cover_zip_and_manifest() {
    if !enabled("sums_and_signature_verify_and_cover_zip_and_manifest") {
        return;
    }
    let release = release();
    let sums_name = format!("{NAME}_{VERSION}_SHA256SUMS");
    let sums = std::fs::read_to_string(release.artifact("SHA256SUMS")).unwrap();
    let listed: Vec<&str> = sums
        .lines()
        .map(|line| line.split_whitespace().nth(1).unwrap_or(""))
        .collect();
    assert_eq!(
        listed,
        [
            format!("{NAME}_{VERSION}_{PLATFORM}.zip"),
            format!("{NAME}_{VERSION}_manifest.json")
        ],
        "{sums}"
    );
    let checked = run_ok(
        Command::new("sha256sum")
            .current_dir(release.dist.path())
            .args(["--check", "--strict", &sums_name]),
    );
    assert_eq!(checked.matches(": OK").count(), 2, "{checked}");

    run_ok(gpg(release.gnupg_home.path()).args([
        "--verify",
        release.artifact("SHA256SUMS.sig").to_str().unwrap(),
        release.artifact("SHA256SUMS").to_str().unwrap(),
    ]));
    // The signature covers the exact bytes: a changed SUMS file must not verify.
    let tampered = release.dist.path().join("tampered_SHA256SUMS");
    std::fs::write(&tampered, sums.replacen('0', "1", 1)).unwrap();
    let verdict = gpg(release.gnupg_home.path())
        .args([
            "--verify",
            release.artifact("SHA256SUMS.sig").to_str().unwrap(),
        ])
        .arg(&tampered)
        .output()
        .unwrap();
    assert!(!verdict.status.success(), "a tampered SUMS file verified");

    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(release.artifact("manifest.json")).unwrap()).unwrap();
    assert_eq!(
        manifest["metadata"]["protocol_versions"],
        serde_json::json!(["6.0"])
    );

    let entries = run_ok(Command::new("unzip").arg("-Z1").arg(release.zip()));
    assert_eq!(
        entries.lines().collect::<Vec<_>>(),
        [format!("{NAME}_v{VERSION}")]
    );
}

#[test]
fn release_binary_links_only_the_c_runtime() {
    if !enabled("release_binary_links_only_the_c_runtime") {
        return;
    }
    let release = release();
    let unpacked = tempfile::tempdir().unwrap();
    run_ok(
        Command::new("unzip")
            .arg("-q")
            .arg(release.zip())
            .arg("-d")
            .arg(unpacked.path()),
    );
    let binary = unpacked.path().join(format!("{NAME}_v{VERSION}"));
    let ldd = Command::new("ldd").arg(&binary).output().unwrap();
    let listing = String::from_utf8_lossy(&ldd.stdout).into_owned();
    if !ldd.status.success() && String::from_utf8_lossy(&ldd.stderr).contains("not a dynamic") {
        return; // fully static is self-contained too
    }
    const C_RUNTIME: [&str; 5] = [
        "linux-vdso.so",
        "libc.so",
        "libm.so",
        "libgcc_s.so",
        "ld-linux",
    ];
    let libraries: Vec<&str> = listing
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .collect();
    assert!(
        libraries.iter().any(|l| l.starts_with("libc.so")),
        "{listing}"
    );
    let foreign: Vec<&&str> = libraries
        .iter()
        .filter(|library| {
            let file = library.rsplit('/').next().unwrap_or(library);
            !C_RUNTIME.iter().any(|allowed| file.starts_with(allowed))
        })
        .collect();
    assert!(
        foreign.is_empty(),
        "the release binary needs shared libraries beyond the C runtime: {foreign:?}\n{listing}"
    );
}

#[test]
fn terraform_init_installs_the_zip_from_a_packed_mirror_and_applies_an_example() {
    if !enabled("terraform_init_installs_the_zip_from_a_packed_mirror_and_applies_an_example") {
        return;
    }
    let release = release();
    let examples = repo().join("examples");
    // Not examples/provider/provider.tf: that one asks for every platform's credentials.
    let provider_tf =
        std::fs::read_to_string(repo().join("tests/fixtures/release-provider.tf")).unwrap();
    let example_tf =
        std::fs::read_to_string(examples.join(APPLIED_EXAMPLE).join("data-source.tf")).unwrap();
    for_each_terraform(|tf| {
        let mut dir = Workdir::plain(tf, &provider_tf);
        dir.write("example.tf", &example_tf);
        // Packed layout: HOSTNAME/NAMESPACE/TYPE/terraform-provider-TYPE_VERSION_OS_ARCH.zip
        let mirror = dir.path().join("mirror");
        let provider_dir = mirror.join("registry.terraform.io").join(PROVIDER_SOURCE);
        std::fs::create_dir_all(&provider_dir).unwrap();
        std::fs::copy(
            release.zip(),
            provider_dir.join(format!("{NAME}_{VERSION}_{PLATFORM}.zip")),
        )
        .unwrap();
        let cli_config = dir.path().join("mirror.tfrc");
        std::fs::write(
            &cli_config,
            format!(
                "provider_installation {{\n  filesystem_mirror {{\n    path    = \"{}\"\n    include = [\"{PROVIDER_SOURCE}\"]\n  }}\n  direct {{\n    exclude = [\"{PROVIDER_SOURCE}\"]\n  }}\n}}\n",
                mirror.display()
            ),
        )
        .unwrap();
        dir.set_env("TF_CLI_CONFIG_FILE", cli_config.to_str().unwrap());
        dir.set_env("TF_VAR_primary_admin_password", PRIMARY_PASSWORD);
        dir.set_env("TF_VAR_dr_admin_password", DR_PASSWORD);
        dir.set_env(
            "TF_VAR_dr_ca_pem",
            "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
        );

        let init = dir.ok(&["init", "-no-color"]);
        assert!(
            init.stdout
                .contains(&format!("{PROVIDER_SOURCE} v{VERSION}")),
            "{}: init did not install {PROVIDER_SOURCE} v{VERSION}:\n{}",
            tf.label,
            init.stdout
        );
        let installed = dir
            .path()
            .join(".terraform/providers/registry.terraform.io")
            .join(PROVIDER_SOURCE)
            .join(VERSION)
            .join(PLATFORM)
            .join(format!("{NAME}_v{VERSION}"));
        assert!(installed.exists(), "{} missing", installed.display());

        dir.ok(&["plan", "-no-color", "-out=tfplan"]);
        dir.set_env("TF_LOG", "TRACE");
        let apply = dir.ok(&["apply", "-auto-approve", "-no-color", "tfplan"]);
        for secret in [PRIMARY_PASSWORD, DR_PASSWORD] {
            assert!(
                !apply.stdout.contains(secret) && !apply.stderr.contains(secret),
                "{}: a password appeared in TF_LOG=TRACE output",
                tf.label
            );
        }
        assert!(
            apply.stderr.contains(NAME),
            "{}: the TRACE log shows nothing from the provider",
            tf.label
        );
        let outputs: serde_json::Value =
            serde_json::from_str(&dir.ok(&["output", "-json"]).stdout).unwrap();
        let acls = outputs["mm2_acls_by_cluster"]["value"]
            .as_object()
            .unwrap_or_else(|| panic!("{}: no mm2_acls_by_cluster output: {outputs}", tf.label));
        assert!(
            acls.keys().any(|key| key.starts_with("primary/"))
                && acls.keys().any(|key| key.starts_with("dr/")),
            "{}: expected ACLs on both clusters: {outputs}",
            tf.label
        );
    });
}

#[test]
fn make_release_checked_the_zip_it_built() {
    if !enabled("make_release_checked_the_zip_it_built") {
        return;
    }
    let release = release();
    for verified in [
        "linux_amd64: zip: one entry terraform-provider-kafkamirror_v0.1.0, listed in SHA256SUMS",
        "linux_amd64: format: ELF 64-bit LSB",
        "linux_amd64: shared libraries (NEEDED): ",
        "linux_amd64: started by hand: magic-cookie message, exit status 1",
        "linux_amd64: --debug: served Terraform",
        "==> all checks passed: linux_amd64",
    ] {
        assert!(
            release.stdout.contains(verified),
            "make release did not report {verified:?}:\n{}",
            release.stdout
        );
    }
}

#[test]
fn the_release_checks_reject_a_binary_of_the_wrong_architecture() {
    if !enabled("the_release_checks_reject_a_binary_of_the_wrong_architecture") {
        return;
    }
    let release = release();
    // The linux_amd64 zip published as linux_arm64: names, sums and signature are right, the
    // binary is not.
    let dist = tempfile::tempdir().unwrap();
    let zip = format!("{NAME}_{VERSION}_linux_arm64.zip");
    std::fs::copy(release.zip(), dist.path().join(&zip)).unwrap();
    let manifest = format!("{NAME}_{VERSION}_manifest.json");
    for suffix in ["manifest.json", "signing-key.asc"] {
        std::fs::copy(
            release.artifact(suffix),
            dist.path().join(format!("{NAME}_{VERSION}_{suffix}")),
        )
        .unwrap();
    }
    let sums = run_ok(
        Command::new("sha256sum")
            .current_dir(dist.path())
            .args([&zip, &manifest]),
    );
    let sums_file = dist.path().join(format!("{NAME}_{VERSION}_SHA256SUMS"));
    std::fs::write(&sums_file, sums).unwrap();
    run_ok(
        gpg(release.gnupg_home.path())
            .arg("--detach-sign")
            .arg(&sums_file),
    );
    let checked = Command::new(repo().join("scripts/check-release.sh"))
        .arg(dist.path())
        .arg(VERSION)
        .arg("linux_arm64")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&checked.stderr);
    assert!(
        !checked.status.success(),
        "a wrong binary passed the checks"
    );
    assert!(
        stderr.contains("FAIL linux_arm64: format is 'ELF 64-bit LSB") && stderr.contains("x86-64"),
        "{stderr}"
    );
}
