//! Real Terraform runs for the bench: a temp dir with a private CLI config whose
//! `dev_overrides` point `kafkamirror/kafkamirror` at the measuring stand-in
//! (`kafkamirror-bench-rusage`, copied in as `terraform-provider-kafkamirror`), so every provider
//! process Terraform starts reports its CPU time and peak RSS. Each command is timed.
//! Running Terraform itself (clean environment, process group, deadline) is
//! `terraform-harness`'s, shared with the provider's end-to-end tests.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use terraform_harness::{RunError, Session};

pub use terraform_harness::version;

const PROVIDER_SOURCE: &str = "kafkamirror/kafkamirror";

/// Where the binaries a run needs live.
#[derive(Debug, Clone)]
pub struct Binaries {
    pub terraform: PathBuf,
    pub provider: PathBuf,
    pub rusage_wrapper: PathBuf,
    pub broker: PathBuf,
}

/// CPU and memory of the provider processes of one Terraform command.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ProviderUsage {
    /// User + system seconds, summed over the provider processes.
    pub cpu_seconds: f64,
    /// Largest peak RSS of any one provider process, in MB (10^6 bytes).
    pub peak_rss_mb: f64,
    pub processes: usize,
}

/// What one Terraform command did.
#[derive(Debug)]
pub struct StepRun {
    pub wall: Duration,
    pub provider: ProviderUsage,
    pub exit_code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Why a Terraform command did not give a usable result.
#[derive(Debug)]
pub enum StepFailure {
    /// Killed (with its provider processes) when the run's time budget ran out.
    OutOfTime {
        command: String,
        after: Duration,
    },
    Error(String),
}

impl From<String> for StepFailure {
    fn from(message: String) -> Self {
        StepFailure::Error(message)
    }
}

/// A temp dir holding one configuration, its state and its private CLI config.
pub struct Workdir {
    dir: tempfile::TempDir,
    session: Session,
    rusage_file: PathBuf,
    /// Commands still running at this instant are killed.
    deadline: Instant,
}

impl Workdir {
    pub fn new(binaries: &Binaries, deadline: Instant) -> Result<Workdir, String> {
        let dir = tempfile::tempdir().map_err(|e| format!("cannot create a temp dir: {e}"))?;
        let plugin_dir = dir.path().join("provider");
        std::fs::create_dir(&plugin_dir).map_err(|e| e.to_string())?;
        std::fs::copy(
            &binaries.rusage_wrapper,
            plugin_dir.join("terraform-provider-kafkamirror"),
        )
        .map_err(|e| format!("cannot copy {}: {e}", binaries.rusage_wrapper.display()))?;
        let cli_config = dir.path().join("terraform.tfrc");
        let cli = terraform_harness::dev_overrides_config(PROVIDER_SOURCE, &plugin_dir);
        std::fs::write(&cli_config, cli).map_err(|e| e.to_string())?;
        let rusage_file = dir.path().join("provider-rusage.txt");
        let session = Session {
            program: binaries.terraform.clone(),
            dir: dir.path().to_path_buf(),
            cli_config,
            env: vec![
                (
                    "KAFKAMIRROR_BENCH_PROVIDER".into(),
                    binaries.provider.clone().into(),
                ),
                (
                    "KAFKAMIRROR_BENCH_RUSAGE_FILE".into(),
                    rusage_file.clone().into(),
                ),
            ],
        };
        Ok(Workdir {
            dir,
            session,
            rusage_file,
            deadline,
        })
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Replaces the configuration with one file `name` holding `content`.
    pub fn write_config(&self, name: &str, content: &str) -> Result<(), String> {
        for entry in std::fs::read_dir(self.path()).map_err(|e| e.to_string())? {
            let path = entry.map_err(|e| e.to_string())?.path();
            let file_name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if file_name.ends_with(".tf") || file_name.ends_with(".tf.json") {
                std::fs::remove_file(&path).map_err(|e| e.to_string())?;
            }
        }
        std::fs::write(self.path().join(name), content).map_err(|e| e.to_string())
    }

    /// Forgets the state (for resources that exist only in state, like `terraform_data`).
    pub fn remove_state(&self) -> Result<(), String> {
        for name in ["terraform.tfstate", "terraform.tfstate.backup"] {
            let path = self.path().join(name);
            if path.exists() {
                std::fs::remove_file(&path).map_err(|e| e.to_string())?;
            }
        }
        Ok(())
    }

    /// Runs `terraform ARGS`, timing it and collecting the provider processes' usage. The
    /// command runs in its own process group, which is killed at the deadline.
    pub fn run(&self, args: &[&str]) -> Result<StepRun, StepFailure> {
        std::fs::write(&self.rusage_file, "").map_err(|e| e.to_string())?;
        let output = match self.session.run(args, self.deadline) {
            Ok(output) => output,
            Err(RunError::TimedOut { after }) => {
                return Err(StepFailure::OutOfTime {
                    command: format!("terraform {}", args.join(" ")),
                    after,
                })
            }
            Err(RunError::Spawn(message)) => return Err(StepFailure::Error(message)),
        };
        let usage = std::fs::read_to_string(&self.rusage_file).map_err(|e| e.to_string())?;
        Ok(StepRun {
            wall: output.wall,
            provider: parse_usage(&usage)?,
            exit_code: output.code,
            stdout: output.stdout,
            stderr: output.stderr,
        })
    }

    /// As [`Workdir::run`], failing unless the exit code is one of `accepted`.
    pub fn run_expecting(&self, args: &[&str], accepted: &[i32]) -> Result<StepRun, StepFailure> {
        let run = self.run(args)?;
        if accepted.contains(&run.exit_code) {
            Ok(run)
        } else {
            Err(StepFailure::Error(format!(
                "terraform {} exited with {}\nstdout:\n{}\nstderr:\n{}",
                args.join(" "),
                run.exit_code,
                tail(&run.stdout),
                tail(&run.stderr)
            )))
        }
    }
}

/// The last lines of a long output, for error messages.
fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}

/// Sums the wrapper's lines (`USER SYSTEM MAX_RSS_KIB`, one per provider process).
fn parse_usage(text: &str) -> Result<ProviderUsage, String> {
    let mut usage = ProviderUsage::default();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let number = |i: usize| -> Result<f64, String> {
            fields
                .get(i)
                .and_then(|f| f.parse::<f64>().ok())
                .ok_or_else(|| format!("bad provider usage line {line:?}"))
        };
        usage.cpu_seconds += number(0)? + number(1)?;
        usage.peak_rss_mb = usage.peak_rss_mb.max(number(2)? * 1024.0 / 1e6);
        usage.processes += 1;
    }
    Ok(usage)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_sums_cpu_and_keeps_the_largest_rss() {
        let usage = parse_usage("0.5 0.25 20000\n\n0.125 0.125 10000\n").unwrap();
        assert_eq!(
            usage,
            ProviderUsage {
                cpu_seconds: 1.0,
                peak_rss_mb: 20.48,
                processes: 2
            }
        );
        assert!(parse_usage("0.5 x 1\n").is_err());
    }
}
