//! Binary entry point: serves the provider over the Terraform plugin protocol
//! (`--debug` serves it for a Terraform started separately with TF_REATTACH_PROVIDERS);
//! `docs` renders the registry docs instead (see `kafkamirror::docs`).

use kafkamirror::provider::{KafkamirrorProvider, PROVIDER_ADDRESS, PROVIDER_NAME};
use std::process::ExitCode;
use tfplugin::serve::{run, ServeConfig};

/// mimalloc instead of glibc's malloc: a state with tens of thousands of ACL rows is decoded
/// and re-encoded in every RPC, on several tokio threads; glibc kept per-thread arenas of
/// freed memory and spent most of the provider's CPU in malloc, free and page faults
/// (measured in BENCHMARKS.md's analysis).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Memory settings for a process that decodes and re-encodes a state of tens of megabytes in
/// every RPC and lives for one Terraform command (both measured in BENCHMARKS.md at 10 000
/// topics):
/// - mimalloc's `mi_option_purge_delay` (`mimalloc.h`) -1 keeps freed memory for reuse instead
///   of returning it to the OS after 10 ms, only to fault it in again within the next RPC;
/// - transparent huge pages are off for the process (`PR_SET_THP_DISABLE`, what mimalloc's
///   `MIMALLOC_ALLOW_THP=0` does): the kernel zeroed each 2 MiB page the allocator touched,
///   which was a third of the provider's CPU time.
#[allow(unsafe_code)]
fn tune_memory() {
    const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
    // SAFETY: sets a plain integer option; called first in `main`, before any other thread
    // exists (the function is documented as not thread safe).
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE takes integer arguments only and changes no memory; if the
    // kernel refuses it, huge pages stay on and only speed is affected.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0)
    };
}

fn main() -> ExitCode {
    tune_memory();
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("docs") {
        return kafkamirror::docs::run_cli(&args[1..]);
    }
    let debug = args.iter().any(|arg| arg == "--debug" || arg == "-debug");
    let config = ServeConfig::new(PROVIDER_NAME, PROVIDER_ADDRESS)
        .log_targets(&["kafkamirror"])
        .debug(debug);
    run(KafkamirrorProvider, config)
}
