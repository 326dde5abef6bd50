//! Real Terraform runs for the bench: a temp dir with a private CLI config whose
//! `dev_overrides` point `kafkamirror/kafkamirror` at the measuring stand-in
//! (`kafkamirror-bench-rusage`, copied in as `terraform-provider-kafkamirror`), so every provider
//! process Terraform starts reports its CPU time and peak RSS. Each command is timed.

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

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
    binaries: Binaries,
    cli_config: PathBuf,
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
        let cli = format!(
            "provider_installation {{\n  dev_overrides {{\n    \"{PROVIDER_SOURCE}\" = \"{}\"\n  }}\n  direct {{}}\n}}\n",
            plugin_dir.display()
        );
        std::fs::write(&cli_config, cli).map_err(|e| e.to_string())?;
        let rusage_file = dir.path().join("provider-rusage.txt");
        Ok(Workdir {
            dir,
            binaries: binaries.clone(),
            cli_config,
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
        let started = Instant::now();
        let mut child = Command::new(&self.binaries.terraform)
            .args(args)
            .current_dir(self.path())
            .env("TF_CLI_CONFIG_FILE", &self.cli_config)
            .env("TF_IN_AUTOMATION", "1")
            .env("TF_INPUT", "0")
            .env("CHECKPOINT_DISABLE", "1")
            .env("KAFKAMIRROR_BENCH_PROVIDER", &self.binaries.provider)
            .env("KAFKAMIRROR_BENCH_RUSAGE_FILE", &self.rusage_file)
            .env_remove("TF_LOG")
            .env_remove("TF_REATTACH_PROVIDERS")
            .env_remove("TF_PLUGIN_CACHE_DIR")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}", self.binaries.terraform.display()))?;
        let stdout = read_in_background(child.stdout.take());
        let stderr = read_in_background(child.stderr.take());
        let status = loop {
            if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
                break status;
            }
            if Instant::now() >= self.deadline {
                kill_process_group(&mut child);
                return Err(StepFailure::OutOfTime {
                    command: format!("terraform {}", args.join(" ")),
                    after: started.elapsed(),
                });
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let wall = started.elapsed();
        let usage = std::fs::read_to_string(&self.rusage_file).map_err(|e| e.to_string())?;
        Ok(StepRun {
            wall,
            provider: parse_usage(&usage)?,
            exit_code: status.code().unwrap_or(-1),
            stdout: stdout.join().unwrap_or_default(),
            stderr: stderr.join().unwrap_or_default(),
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

/// Collects a pipe on a thread, so a chatty command cannot block on a full pipe.
fn read_in_background<R: Read + Send + 'static>(
    pipe: Option<R>,
) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut bytes);
        }
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// Kills the command's process group (Terraform and the provider processes it started).
#[allow(unsafe_code)]
fn kill_process_group(child: &mut Child) {
    if let Ok(group) = libc::pid_t::try_from(child.id()) {
        // SAFETY: kill(2) with a negative pid signals the process group we created for
        // this command (`process_group(0)` made the child its leader); no memory is involved.
        unsafe {
            libc::kill(-group, libc::SIGKILL);
        }
    }
    let _ = child.wait();
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

/// `terraform version` of the binary, e.g. `1.11.4`.
pub fn version(terraform: &Path) -> Result<String, String> {
    let output = Command::new(terraform)
        .args(["version", "-json"])
        .env("CHECKPOINT_DISABLE", "1")
        .output()
        .map_err(|e| format!("cannot run {}: {e}", terraform.display()))?;
    let json: serde_json::Value = serde_json::from_slice(&output.stdout)
        .map_err(|e| format!("bad `terraform version -json` output: {e}"))?;
    json["terraform_version"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| "no terraform_version in `terraform version -json`".to_string())
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
