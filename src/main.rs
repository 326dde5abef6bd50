//! Binary entry point: serves the provider over the Terraform plugin protocol
//! (`--debug` serves it for a Terraform started separately with TF_REATTACH_PROVIDERS);
//! `docs` renders the registry docs instead (see `kafkamirror::docs`).

use kafkamirror::provider::{KafkamirrorProvider, PROVIDER_ADDRESS};
use kafkamirror::tfplugin::serve::{run, ServeOptions};
use std::process::ExitCode;

/// mimalloc instead of glibc's malloc: a state with tens of thousands of ACL rows is decoded
/// and re-encoded in every RPC, on several tokio threads; glibc kept per-thread arenas of
/// freed memory and spent most of the provider's CPU in malloc, free and page faults
/// (measured in BENCHMARKS.md's analysis).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("docs") {
        return kafkamirror::docs::run_cli(&args[1..]);
    }
    let debug = args.iter().any(|arg| arg == "--debug" || arg == "-debug");
    run(
        KafkamirrorProvider,
        ServeOptions {
            provider_address: PROVIDER_ADDRESS,
            debug,
        },
    )
}
