//! `terraform-provider-kafkamirror docs`: renders the registry docs (`docs/index.md`,
//! `docs/resources/`, `docs/data-sources/`) from the provider's schemas and `examples/`, the
//! way `make docs` runs it. Test-only types (feature `test-resources`) are never documented.

use crate::provider::{KafkamirrorProvider, PROVIDER_NAME};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use tfplugin::docs::{render_with_provider_notes, write_pages, DocsError, Page, ProviderSchemas};

/// The schemas the published docs describe: every registered type except test-only ones.
pub fn published_schemas() -> ProviderSchemas {
    ProviderSchemas::of(PROVIDER_NAME, &KafkamirrorProvider, is_test_only)
}

/// Every schema the provider serves in this build, test-only types included.
pub fn all_schemas() -> ProviderSchemas {
    ProviderSchemas::of(PROVIDER_NAME, &KafkamirrorProvider, |_| false)
}

#[cfg(feature = "test-resources")]
fn is_test_only(type_name: &str) -> bool {
    use tfplugin::Resource;
    type_name == crate::test_resources::TestNote.type_name()
}

#[cfg(not(feature = "test-resources"))]
fn is_test_only(_type_name: &str) -> bool {
    false
}

/// The platforms each release publishes a package for, as the registry names them (`os_arch`),
/// with what they mean. The Makefile's RELEASE_TARGETS builds exactly these
/// (tests/docs_and_examples.rs holds the two together).
pub const PUBLISHED_PLATFORMS: [(&str, &str); 5] = [
    ("darwin_amd64", "macOS on Intel"),
    ("darwin_arm64", "macOS on Apple silicon"),
    ("linux_amd64", "Linux on x86-64, glibc"),
    ("linux_arm64", "Linux on arm64, glibc"),
    ("windows_amd64", "Windows on x86-64"),
];

/// The provider page's "Platforms" section.
fn platforms_section() -> String {
    let mut section = String::from(
        "## Platforms\n\nEach release publishes a package for these platforms; `terraform init` \
         elsewhere finds none.\n\n",
    );
    for (platform, meaning) in PUBLISHED_PLATFORMS {
        section.push_str(&format!("- `{platform}`: {meaning}\n"));
    }
    section
}

/// The published pages, rendered with the examples under `examples`.
pub fn render_published(examples: &Path) -> Result<Vec<Page>, DocsError> {
    render_with_provider_notes(&published_schemas(), examples, &platforms_section())
}

const USAGE: &str = "usage: terraform-provider-kafkamirror docs [--out DIR] [--examples DIR]\n\
    Renders DIR/index.md, DIR/resources/*.md and DIR/data-sources/*.md (default DIR: docs)\n\
    from the provider schema and the examples (default: examples).";

/// Runs the `docs` subcommand with the arguments after `docs`.
pub fn run_cli(args: &[String]) -> ExitCode {
    let mut out = PathBuf::from("docs");
    let mut examples = PathBuf::from("examples");
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        let target = match arg.as_str() {
            "--out" => &mut out,
            "--examples" => &mut examples,
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            other => {
                eprintln!("unknown argument {other:?}\n{USAGE}");
                return ExitCode::from(2);
            }
        };
        match rest.next() {
            Some(value) => *target = PathBuf::from(value),
            None => {
                eprintln!("{arg} needs a value\n{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    match render_published(&examples).and_then(|pages| write_pages(&pages, &out)) {
        Ok(written) => {
            for path in written {
                println!("{}", out.join(path).display());
            }
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("terraform-provider-kafkamirror docs: {err}");
            ExitCode::from(1)
        }
    }
}
