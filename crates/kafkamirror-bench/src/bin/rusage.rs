//! Measuring stand-in for the provider. The bench copies this binary into a directory that
//! the CLI config's `dev_overrides` names, as `terraform-provider-kafkamirror`; Terraform starts
//! it like the provider. It runs the real provider (`KAFKAMIRROR_BENCH_PROVIDER`) as a child
//! with the same arguments, environment and stdio (so the go-plugin handshake passes through),
//! and when the child exits appends one line `USER_SECONDS SYSTEM_SECONDS MAX_RSS_KIB` from
//! `getrusage(RUSAGE_CHILDREN)` to `KAFKAMIRROR_BENCH_RUSAGE_FILE`.

use std::io::Write;
use std::process::{Command, ExitCode};

const PROVIDER_VAR: &str = "KAFKAMIRROR_BENCH_PROVIDER";
const RUSAGE_FILE_VAR: &str = "KAFKAMIRROR_BENCH_RUSAGE_FILE";

fn main() -> ExitCode {
    let (Some(provider), Some(rusage_file)) = (
        std::env::var_os(PROVIDER_VAR),
        std::env::var_os(RUSAGE_FILE_VAR),
    ) else {
        eprintln!("kafkamirror-bench-rusage: set {PROVIDER_VAR} and {RUSAGE_FILE_VAR}");
        return ExitCode::from(2);
    };
    let status = match Command::new(&provider)
        .args(std::env::args_os().skip(1))
        .status()
    {
        Ok(status) => status,
        Err(error) => {
            eprintln!(
                "kafkamirror-bench-rusage: cannot run {}: {error}",
                std::path::Path::new(&provider).display()
            );
            return ExitCode::from(1);
        }
    };
    let line = match children_usage() {
        Ok((user, system, max_rss_kib)) => format!("{user:.6} {system:.6} {max_rss_kib}\n"),
        Err(error) => {
            eprintln!("kafkamirror-bench-rusage: getrusage failed: {error}");
            return ExitCode::from(1);
        }
    };
    let appended = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&rusage_file)
        .and_then(|mut file| file.write_all(line.as_bytes()));
    if let Err(error) = appended {
        eprintln!(
            "kafkamirror-bench-rusage: cannot append to {}: {error}",
            std::path::Path::new(&rusage_file).display()
        );
    }
    match status.code() {
        Some(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        None => ExitCode::from(1),
    }
}

/// User and system CPU seconds and peak RSS (KiB) of the waited-for children.
#[allow(unsafe_code)]
fn children_usage() -> std::io::Result<(f64, f64, i64)> {
    // SAFETY: getrusage only writes into the zeroed struct we pass; RUSAGE_CHILDREN is valid.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `usage` is a valid, writable rusage for the duration of the call.
    if unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    Ok((
        seconds(usage.ru_utime),
        seconds(usage.ru_stime),
        usage.ru_maxrss,
    ))
}
