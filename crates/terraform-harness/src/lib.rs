//! Runs the real Terraform CLI against a provider under test, the way the provider's
//! end-to-end tests (`tests/support`) and its benchmark (`crates/kafkamirror-bench`) both do:
//! a private CLI config that installs the provider from a local directory
//! ([`dev_overrides_config`], [`filesystem_mirror_config`]), an environment that only the
//! caller's variables reach ([`Session::command`]: no `TF_LOG`, reattach or plugin cache from
//! the user's shell, no prompts, no checkpoint calls), each command in its own process group so
//! a deadline kills Terraform together with the provider processes it started.
//!
//! It knows neither Kafka nor this provider: the provider's source address, binaries and extra
//! environment are the caller's.

use std::ffi::OsString;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// A CLI config whose `dev_overrides` make Terraform start `source`'s provider from
/// `plugin_dir` (no `terraform init` needed, or allowed, for it).
pub fn dev_overrides_config(source: &str, plugin_dir: &Path) -> String {
    format!(
        "provider_installation {{\n  dev_overrides {{\n    \"{source}\" = \"{}\"\n  }}\n  direct {{}}\n}}\n",
        plugin_dir.display()
    )
}

/// A CLI config that installs `source` from the filesystem mirror at `mirror` (laid out as
/// [`mirror_package_dir`] says) and every other provider from its registry.
pub fn filesystem_mirror_config(source: &str, mirror: &Path) -> String {
    format!(
        "provider_installation {{\n  filesystem_mirror {{\n    path = \"{}\"\n    include = [\"{source}\"]\n  }}\n  direct {{\n    exclude = [\"{source}\"]\n  }}\n}}\n",
        mirror.display()
    )
}

/// Where a filesystem mirror holds `source`'s unpacked package of `version` for this machine:
/// `<mirror>/registry.terraform.io/<source>/<version>/<os>_<arch>/`.
pub fn mirror_package_dir(mirror: &Path, source: &str, version: &str) -> PathBuf {
    mirror
        .join("registry.terraform.io")
        .join(source)
        .join(version)
        .join(terraform_platform())
}

/// This machine's platform as Terraform names it (`linux_amd64`, `darwin_arm64`, ...).
pub fn terraform_platform() -> String {
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    };
    format!("{}_{arch}", std::env::consts::OS)
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

/// One Terraform program run in one working directory with one CLI config.
#[derive(Debug, Clone)]
pub struct Session {
    pub program: PathBuf,
    pub dir: PathBuf,
    pub cli_config: PathBuf,
    /// Variables set for every command, after the clean environment.
    pub env: Vec<(OsString, OsString)>,
}

/// What a finished command printed and how it exited.
#[derive(Debug, Clone)]
pub struct Output {
    /// The exit code; -1 when a signal ended it.
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    /// From start to exit.
    pub wall: Duration,
}

/// Why a command gave no [`Output`].
#[derive(Debug)]
pub enum RunError {
    /// It could not be started.
    Spawn(String),
    /// It was still running at the deadline and was killed with its process group.
    TimedOut { after: Duration },
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunError::Spawn(message) => f.write_str(message),
            RunError::TimedOut { after } => write!(f, "killed after {after:?} (deadline)"),
        }
    }
}

impl Session {
    /// `terraform ARGS` in the working directory with the clean environment, stdin closed,
    /// stdout and stderr piped, in a process group of its own.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(&self.program);
        command
            .args(args)
            .current_dir(&self.dir)
            .env("TF_CLI_CONFIG_FILE", &self.cli_config)
            .env("TF_IN_AUTOMATION", "1")
            .env("TF_INPUT", "0")
            .env("CHECKPOINT_DISABLE", "1")
            .env_remove("TF_LOG")
            .env_remove("TF_LOG_PATH")
            .env_remove("TF_REATTACH_PROVIDERS")
            .env_remove("TF_PLUGIN_CACHE_DIR")
            .envs(self.env.iter().map(|(key, value)| (key, value)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
        command
    }

    /// Starts `terraform ARGS` without waiting for it.
    pub fn spawn(&self, args: &[&str]) -> Result<Running, RunError> {
        let mut child = self
            .command(args)
            .spawn()
            .map_err(|e| RunError::Spawn(format!("cannot run {}: {e}", self.program.display())))?;
        Ok(Running {
            stdout: Some(read_in_background(child.stdout.take())),
            stderr: Some(read_in_background(child.stderr.take())),
            child: Some(child),
            started: Instant::now(),
        })
    }

    /// Runs `terraform ARGS` to its end, or kills it at `deadline`.
    pub fn run(&self, args: &[&str], deadline: Instant) -> Result<Output, RunError> {
        self.spawn(args)?.wait_until(deadline)
    }
}

/// A command started by [`Session::spawn`]. Dropped unfinished (say, by a failed assertion),
/// it is killed with its process group, so no Terraform or provider outlives its caller.
pub struct Running {
    child: Option<Child>,
    stdout: Option<JoinHandle<String>>,
    stderr: Option<JoinHandle<String>>,
    started: Instant,
}

impl Running {
    /// The process id, which is also its process group's id.
    pub fn id(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    /// Whether the command has exited.
    pub fn exited(&mut self) -> bool {
        self.child
            .as_mut()
            .is_none_or(|child| !matches!(child.try_wait(), Ok(None)))
    }

    /// Waits for the command's end, or kills it with its process group at `deadline`.
    pub fn wait_until(mut self, deadline: Instant) -> Result<Output, RunError> {
        let Some(mut child) = self.child.take() else {
            return Err(RunError::Spawn("the command was already waited for".into()));
        };
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if Instant::now() >= deadline => {
                    kill_process_group(&mut child);
                    return Err(RunError::TimedOut {
                        after: self.started.elapsed(),
                    });
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(20)),
                Err(error) => return Err(RunError::Spawn(format!("cannot wait: {error}"))),
            }
        };
        let wall = self.started.elapsed();
        let collect = |handle: Option<JoinHandle<String>>| {
            handle
                .map(|handle| handle.join().unwrap_or_default())
                .unwrap_or_default()
        };
        Ok(Output {
            code: status.code().unwrap_or(-1),
            stdout: collect(self.stdout.take()),
            stderr: collect(self.stderr.take()),
            wall,
        })
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            kill_process_group(&mut child);
        }
    }
}

/// Collects a pipe on a thread, so a chatty command cannot block on a full pipe.
fn read_in_background<R: Read + Send + 'static>(pipe: Option<R>) -> JoinHandle<String> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut bytes);
        }
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// SIGKILLs the command's process group (Terraform and the provider processes it started)
/// and reaps the command.
#[allow(unsafe_code)]
fn kill_process_group(child: &mut Child) {
    if let Ok(group) = libc::pid_t::try_from(child.id()) {
        // SAFETY: kill(2) with a negative pid signals the process group that
        // `process_group(0)` made this child the leader of; no memory is involved.
        unsafe {
            libc::kill(-group, libc::SIGKILL);
        }
    }
    let _ = child.wait();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shell_session(dir: &Path, env: Vec<(OsString, OsString)>) -> Session {
        Session {
            program: PathBuf::from("/bin/sh"),
            dir: dir.to_path_buf(),
            cli_config: dir.join("terraform.tfrc"),
            env,
        }
    }

    #[test]
    fn commands_see_the_clean_environment_and_the_callers_variables() {
        let dir = tempfile::tempdir().unwrap();
        let session = shell_session(dir.path(), vec![("EXTRA".into(), "yes".into())]);
        // Variables of the user's shell that would change Terraform's behaviour stay out.
        // std's environment lock orders this with the spawns of concurrent tests.
        std::env::set_var("TF_REATTACH_PROVIDERS", "{}");
        let run = session.run(
            &[
                "-c",
                "echo \"$TF_CLI_CONFIG_FILE|$TF_IN_AUTOMATION|$TF_INPUT|$CHECKPOINT_DISABLE|${TF_REATTACH_PROVIDERS-unset}|$EXTRA\"; pwd; echo err >&2; exit 3",
            ],
            Instant::now() + Duration::from_secs(60),
        );
        std::env::remove_var("TF_REATTACH_PROVIDERS");
        let run = run.unwrap();
        let mut lines = run.stdout.lines();
        assert_eq!(
            lines.next().unwrap(),
            format!(
                "{}|1|0|1|unset|yes",
                dir.path().join("terraform.tfrc").display()
            )
        );
        assert_eq!(
            std::fs::canonicalize(lines.next().unwrap()).unwrap(),
            std::fs::canonicalize(dir.path()).unwrap()
        );
        assert_eq!((run.code, run.stderr.as_str()), (3, "err\n"));
    }

    #[test]
    fn a_command_past_its_deadline_is_killed_with_its_process_group() {
        let dir = tempfile::tempdir().unwrap();
        let pid_file = dir.path().join("grandchild.pid");
        let session = shell_session(dir.path(), Vec::new());
        let script = format!("sleep 600 & echo $! > {}; wait", pid_file.display());
        let result = session.run(
            &["-c", &script],
            Instant::now() + Duration::from_millis(500),
        );
        assert!(
            matches!(result, Err(RunError::TimedOut { .. })),
            "{result:?}"
        );
        let grandchild = std::fs::read_to_string(&pid_file).unwrap();
        let proc_dir = PathBuf::from(format!("/proc/{}", grandchild.trim()));
        let deadline = Instant::now() + Duration::from_secs(10);
        while is_live(&proc_dir) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(!is_live(&proc_dir), "the grandchild sleep was killed too");
    }

    #[test]
    fn a_dropped_running_command_is_killed() {
        let dir = tempfile::tempdir().unwrap();
        let session = shell_session(dir.path(), Vec::new());
        let mut running = session.spawn(&["-c", "sleep 600"]).unwrap();
        assert!(!running.exited());
        let proc_dir = PathBuf::from(format!("/proc/{}", running.id()));
        drop(running);
        assert!(!is_live(&proc_dir));
    }

    #[test]
    fn cli_configs_name_the_source_and_directory() {
        let dev = dev_overrides_config("acme/thing", Path::new("/opt/plugins"));
        assert!(dev.contains("\"acme/thing\" = \"/opt/plugins\""), "{dev}");
        let mirror = filesystem_mirror_config("acme/thing", Path::new("/m"));
        assert!(mirror.contains("path = \"/m\""), "{mirror}");
        assert!(mirror.contains("exclude = [\"acme/thing\"]"), "{mirror}");
        let package = mirror_package_dir(Path::new("/m"), "acme/thing", "1.2.3");
        assert_eq!(
            package,
            Path::new("/m/registry.terraform.io/acme/thing/1.2.3").join(terraform_platform())
        );
    }

    /// A process that exited but was not yet reaped shows as a zombie (state `Z`).
    fn is_live(proc_dir: &Path) -> bool {
        std::fs::read_to_string(proc_dir.join("stat")).is_ok_and(|stat| {
            stat.rsplit_once(')')
                .is_some_and(|(_, rest)| !rest.trim_start().starts_with('Z'))
        })
    }
}
