//! Terraform as a child process the test controls: started without waiting for it (to run
//! two at once, or to act while it runs), and the provider process it launched, found through
//! /proc (Linux), to SIGKILL mid-apply. A child the test drops unfinished (a failed assertion)
//! is killed with its process group, so no Terraform or provider outlives the test.

use super::{Run, Workdir, COMMAND_TIMEOUT};
use std::process::{Child, Command, Stdio};

/// A running `terraform` command (its own process group).
pub struct Running {
    child: Option<Child>,
}

impl Workdir {
    /// `terraform ARGS` in the workdir with the same environment as [`Workdir::run`], started
    /// in its own process group and not waited for.
    pub fn spawn(&self, args: &[&str]) -> Running {
        let mut command = Command::new(&self.terraform.program);
        command
            .args(args)
            .current_dir(self.path())
            .env("TF_CLI_CONFIG_FILE", &self.cli_config)
            .env("TF_IN_AUTOMATION", "1")
            .env("TF_INPUT", "0")
            .env("CHECKPOINT_DISABLE", "1")
            .env_remove("TF_LOG")
            .env_remove("TF_REATTACH_PROVIDERS")
            .env_remove("TF_PLUGIN_CACHE_DIR")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (key, value) in &self.env {
            command.env(key, value);
        }
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", self.terraform.program.display()));
        Running { child: Some(child) }
    }
}

impl Running {
    pub fn id(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    /// Whether the command has exited.
    pub fn exited(&mut self) -> bool {
        let child = self.child.as_mut().expect("running");
        child.try_wait().expect("poll terraform").is_some()
    }

    /// Waits for the command (at most the harness's command timeout, then kills it and
    /// fails) and returns its result.
    pub fn finish(mut self) -> Run {
        let child = self.child.take().expect("running");
        let pid = child.id();
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = sender.send(child.wait_with_output());
        });
        match receiver.recv_timeout(COMMAND_TIMEOUT) {
            Ok(output) => Run::from_output(output.expect("terraform output")),
            Err(_) => {
                let _ = Command::new("kill")
                    .args(["-9", "--", &format!("-{pid}")])
                    .status();
                panic!("terraform (pid {pid}) did not finish within {COMMAND_TIMEOUT:?} (killed)");
            }
        }
    }

    /// The provider process this Terraform launched (a child, or a grandchild when Terraform
    /// re-executes itself under panicwrap, as 1.0.3 does).
    pub fn provider(&self) -> Option<u32> {
        let root = self.id();
        processes().into_iter().find_map(|(pid, _, exe)| {
            (exe.contains("terraform-provider-kafkamirror") && descends_from(pid, root))
                .then_some(pid)
        })
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .args(["-9", "--", &format!("-{}", child.id())])
                .status();
            let _ = child.wait();
        }
    }
}

/// `(pid, ppid, executable)` of every process that can be read.
fn processes() -> Vec<(u32, u32, String)> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| {
            let pid: u32 = entry.ok()?.file_name().to_str()?.parse().ok()?;
            let exe = std::fs::read_link(format!("/proc/{pid}/exe")).ok()?;
            Some((pid, parent(pid)?, exe.to_string_lossy().into_owned()))
        })
        .collect()
}

fn parent(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // pid (comm) state ppid ...: the command may contain spaces, so split after ')'.
    stat.rsplit_once(')')?
        .1
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

fn descends_from(mut pid: u32, root: u32) -> bool {
    while pid > 1 {
        match parent(pid) {
            Some(ppid) if ppid == root => return true,
            Some(ppid) => pid = ppid,
            None => return false,
        }
    }
    false
}

/// SIGKILL of `pid`.
pub fn kill(pid: u32) {
    let status = Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -9 {pid}");
}
