//! Harness for end-to-end tests: runs real `terraform` (1.0.3 and the one on PATH) against the
//! provider binary Cargo built for this test run, each in its own temp dir with a private CLI
//! config (dev_overrides, or a filesystem mirror), and returns plan JSON, state and diagnostics.
//! Running Terraform itself is `terraform-harness`'s (crates/terraform-harness), which the
//! benchmark shares; this module adds the test-side conventions (both versions, panics).

#![allow(dead_code)] // each test binary uses a different part of the harness

pub mod acls;
pub mod clusters;
pub mod process;

use serde_json::Value as Json;
use std::path::{Path, PathBuf};
use std::time::Instant;
use terraform_harness::Session;

pub const PROVIDER_SOURCE: &str = "kafkamirror/kafkamirror";

/// The attributes `kafkamirror_mm2_replication_permissions` gained after schema version 0
/// (inputs and `claimant`): a version-0 state is a current one without them (and with object
/// rows, `acls::as_object_rows`).
pub const MM2_ATTRIBUTES_SINCE_V0: [&str; 6] = [
    "topic_regexes",
    "group_regexes",
    "upstream_aliases",
    "idempotent_write",
    "deny_check",
    "claimant",
];

/// A hung provider must fail the test, not hang it.
const COMMAND_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(300);

/// The provider binary built by Cargo for this test run (with `test-resources`).
pub fn provider_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_terraform-provider-kafkamirror"))
}

/// A Terraform CLI to run tests against.
#[derive(Clone, Debug)]
pub struct Terraform {
    pub program: PathBuf,
    pub label: String,
}

/// Whether a test that cannot run here must fail instead of skipping: under CI (`CI=true`,
/// which CI services set) and wherever `KAFKAMIRROR_REQUIRE_TF_PATH` is set (`.ci/run` sets
/// it). A skipped test reports as passed, so CI must never skip.
pub fn skipping_is_failure() -> bool {
    std::env::var("CI").is_ok_and(|ci| ci == "true" || ci == "1")
        || std::env::var_os("KAFKAMIRROR_REQUIRE_TF_PATH").is_some()
}

/// Gives up on `test` because `reason`: fails it under CI (see [`skipping_is_failure`]),
/// otherwise prints that it was skipped, for the caller to return. The line goes straight to
/// stderr, past the test harness's capture, so it shows in a plain `cargo test` run.
pub fn skip(test: &str, reason: &str) {
    assert!(
        !skipping_is_failure(),
        "{test} cannot run here and must not be skipped under CI: {reason}"
    );
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "SKIPPED {test}: {reason}");
}

/// Whether a `terraform` executable is on PATH.
fn terraform_on_path() -> bool {
    std::env::var_os("PATH").is_some_and(|paths| {
        std::env::split_paths(&paths).any(|dir| dir.join("terraform").is_file())
    })
}

/// Terraform 1.0.3 (the oldest with protocol 6) and the `terraform` on PATH. Panics with a
/// clear instruction when 1.0.3 is missing. Without a `terraform` on PATH (a machine where only
/// `make tools` installed Terraform) the tests run on 1.0.3 alone and say so, except under CI
/// ([`skipping_is_failure`]), where both versions must run.
pub fn terraform_versions() -> Vec<Terraform> {
    let old = std::env::var_os("KAFKAMIRROR_TF_103")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join(".tools/bin/terraform-1.0.3")
        });
    assert!(
        old.exists(),
        "Terraform 1.0.3 not found at {} (set KAFKAMIRROR_TF_103, or run `make tools` to install it)",
        old.display()
    );
    let mut versions = vec![Terraform {
        program: old,
        label: "terraform 1.0.3".into(),
    }];
    if terraform_on_path() {
        versions.push(Terraform {
            program: PathBuf::from("terraform"),
            label: "terraform on PATH".into(),
        });
    } else {
        skip(
            "the end-to-end run on the `terraform` on PATH",
            "no `terraform` on PATH; Terraform 1.0.3 only",
        );
    }
    versions
}

/// Runs `test` once per Terraform version, naming the version in any failure.
pub fn for_each_terraform(test: impl Fn(&Terraform)) {
    for terraform in terraform_versions() {
        eprintln!("=== {}", terraform.label);
        test(&terraform);
    }
}

/// The result of one terraform command.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from_output(output: terraform_harness::Output) -> Run {
        Run {
            code: output.code,
            stdout: output.stdout,
            stderr: output.stderr,
        }
    }

    /// Diagnostics from `-json` machine-readable output (one JSON object per line).
    pub fn json_diagnostics(&self) -> Vec<Json> {
        self.stdout
            .lines()
            .filter_map(|line| serde_json::from_str::<Json>(line).ok())
            .filter(|message| message["type"] == "diagnostic")
            .map(|message| message["diagnostic"].clone())
            .collect()
    }
}

/// A temp dir holding one Terraform configuration and its private CLI config.
pub struct Workdir {
    dir: tempfile::TempDir,
    terraform: Terraform,
    session: Session,
}

impl Workdir {
    /// A workdir whose CLI config points `kafkamirror/kafkamirror` at the built binary with
    /// dev_overrides. Do not run `terraform init` in it: dev-overridden providers need none.
    pub fn with_dev_overrides(terraform: &Terraform, main_tf: &str) -> Workdir {
        let bin_dir = provider_binary().parent().unwrap().to_path_buf();
        let cli = terraform_harness::dev_overrides_config(PROVIDER_SOURCE, &bin_dir);
        Workdir::new(terraform, main_tf, &cli)
    }

    /// A workdir whose CLI config installs the provider from a filesystem mirror (in the temp
    /// dir) laid out as `registry.terraform.io/kafkamirror/kafkamirror/VERSION/OS_ARCH/`.
    /// Run `terraform init` first.
    pub fn with_filesystem_mirror(terraform: &Terraform, main_tf: &str, version: &str) -> Workdir {
        let workdir = Workdir::new(terraform, main_tf, "");
        let mirror = workdir.path().join("mirror");
        let platform_dir = terraform_harness::mirror_package_dir(&mirror, PROVIDER_SOURCE, version);
        std::fs::create_dir_all(&platform_dir).unwrap();
        std::fs::copy(
            provider_binary(),
            platform_dir.join(format!("terraform-provider-kafkamirror_v{version}")),
        )
        .unwrap();
        let cli = terraform_harness::filesystem_mirror_config(PROVIDER_SOURCE, &mirror);
        std::fs::write(&workdir.session.cli_config, cli).unwrap();
        workdir
    }

    /// A workdir with an empty CLI config (for TF_REATTACH_PROVIDERS runs).
    pub fn plain(terraform: &Terraform, main_tf: &str) -> Workdir {
        Workdir::new(terraform, main_tf, "")
    }

    fn new(terraform: &Terraform, main_tf: &str, cli: &str) -> Workdir {
        let dir = tempfile::tempdir().unwrap();
        let cli_config = dir.path().join("terraform.tfrc");
        std::fs::write(&cli_config, cli).unwrap();
        std::fs::write(dir.path().join("main.tf"), main_tf).unwrap();
        let session = Session {
            program: terraform.program.clone(),
            dir: dir.path().to_path_buf(),
            cli_config,
            env: Vec::new(),
        };
        Workdir {
            dir,
            terraform: terraform.clone(),
            session,
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn set_env(&mut self, key: &str, value: &str) {
        self.session.env.push((key.into(), value.into()));
    }

    pub fn write(&self, name: &str, content: &str) {
        std::fs::write(self.path().join(name), content).unwrap();
    }

    /// Runs `terraform ARGS` in the workdir (clean environment, no prompts, no checkpoint
    /// calls; see `terraform_harness::Session::command`). A command still running after
    /// [`COMMAND_TIMEOUT`] is killed with the providers it started, and the test fails.
    pub fn run(&self, args: &[&str]) -> Run {
        match self.session.run(args, Instant::now() + COMMAND_TIMEOUT) {
            Ok(output) => Run::from_output(output),
            Err(error) => panic!("{} {args:?}: {error}", self.terraform.label),
        }
    }

    /// Runs and asserts exit code 0, returning the run.
    pub fn ok(&self, args: &[&str]) -> Run {
        let run = self.run(args);
        assert_eq!(
            run.code, 0,
            "{} {args:?} failed\nstdout:\n{}\nstderr:\n{}",
            self.terraform.label, run.stdout, run.stderr
        );
        run
    }

    pub fn apply(&self) -> Run {
        self.ok(&["apply", "-auto-approve", "-no-color"])
    }

    pub fn destroy(&self) -> Run {
        self.ok(&["destroy", "-auto-approve", "-no-color"])
    }

    /// `terraform plan -out` then `terraform show -json` of that plan.
    pub fn plan_json(&self) -> Json {
        self.ok(&["plan", "-no-color", "-out=tfplan"]);
        let shown = self.ok(&["show", "-json", "tfplan"]);
        serde_json::from_str(&shown.stdout).expect("plan JSON")
    }

    /// `terraform show -json` of the current state.
    pub fn state_json(&self) -> Json {
        let shown = self.ok(&["show", "-json"]);
        serde_json::from_str(&shown.stdout).expect("state JSON")
    }

    /// The exit code of `plan -detailed-exitcode` (0 = no changes, 2 = changes).
    pub fn plan_exit_code(&self) -> Run {
        self.run(&["plan", "-detailed-exitcode", "-no-color"])
    }
}

/// The first resource with `address` in `terraform show -json` state output.
pub fn state_resource(state: &Json, address: &str) -> Json {
    state["values"]["root_module"]["resources"]
        .as_array()
        .and_then(|resources| resources.iter().find(|r| r["address"] == address))
        .cloned()
        .unwrap_or_else(|| panic!("{address} not in state: {state}"))
}
