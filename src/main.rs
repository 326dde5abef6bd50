//! Binary entry point: serves the provider over the Terraform plugin protocol
//! (`--debug` serves it for a Terraform started separately with TF_REATTACH_PROVIDERS).

use kafkamirror::provider::{KafkamirrorProvider, PROVIDER_ADDRESS};
use kafkamirror::tfplugin::serve::{run, ServeOptions};
use std::process::ExitCode;

fn main() -> ExitCode {
    let debug = std::env::args()
        .skip(1)
        .any(|arg| arg == "--debug" || arg == "-debug");
    run(
        KafkamirrorProvider,
        ServeOptions {
            provider_address: PROVIDER_ADDRESS,
            debug,
        },
    )
}
