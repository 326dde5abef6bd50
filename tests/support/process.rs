//! Terraform as a child process the test controls: started without waiting for it (to run
//! two at once, or to act while it runs), and the provider process it launched, found through
//! /proc (Linux), to SIGKILL mid-apply. A child the test drops unfinished (a failed assertion)
//! is killed with its process group (`terraform_harness::Running`), so no Terraform or
//! provider outlives the test.

use super::{Run, Workdir, COMMAND_TIMEOUT};
use std::process::Command;
use std::time::Instant;

/// A running `terraform` command (its own process group).
pub struct Running {
    inner: terraform_harness::Running,
}

impl Workdir {
    /// `terraform ARGS` in the workdir with the same environment as [`Workdir::run`], started
    /// in its own process group and not waited for.
    pub fn spawn(&self, args: &[&str]) -> Running {
        match self.session.spawn(args) {
            Ok(inner) => Running { inner },
            Err(error) => panic!("{} {args:?}: {error}", self.terraform.label),
        }
    }
}

impl Running {
    pub fn id(&self) -> u32 {
        self.inner.id()
    }

    /// Whether the command has exited.
    pub fn exited(&mut self) -> bool {
        self.inner.exited()
    }

    /// Waits for the command (at most the harness's command timeout, then kills it and
    /// fails) and returns its result.
    pub fn finish(self) -> Run {
        let pid = self.id();
        match self.inner.wait_until(Instant::now() + COMMAND_TIMEOUT) {
            Ok(output) => Run::from_output(output),
            Err(error) => panic!("terraform (pid {pid}): {error}"),
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
