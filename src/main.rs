//! Binary entry point: serves the provider over the Terraform plugin protocol.

fn main() {
    eprintln!("terraform-provider-kafkamirror: not wired yet");
}
