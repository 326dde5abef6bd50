//! Binary entry point: serves the provider over the Terraform plugin protocol
//! (`--debug` serves it for a Terraform started separately with TF_REATTACH_PROVIDERS);
//! `docs` renders the registry docs instead (see `kafkamirror::docs`).

use kafkamirror::provider::{KafkamirrorProvider, PROVIDER_ADDRESS};
use kafkamirror::tfplugin::serve::{run, ServeOptions};
use std::process::ExitCode;

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
