//! The registry docs and examples stay true to the provider: committed `docs/` equal what the
//! schema renders, every schema place is described, and every example under `examples/` passes
//! `terraform fmt -check` and `terraform validate` (Terraform 1.0.3 and the one on PATH)
//! against the provider binary built for this test run: resource and data source examples
//! together with `examples/provider`, each `examples/topologies/<name>` on its own (it is a
//! whole configuration, with its own provider block).

mod support;

use kafkamirror::docs::{all_schemas, render_published, PUBLISHED_PLATFORMS};
use std::path::{Path, PathBuf};
use support::{for_each_terraform, Workdir};
use tfplugin::docs::{description_problems, stale_pages};

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn examples() -> PathBuf {
    repo().join("examples")
}

#[test]
fn committed_docs_match_the_schema() {
    let pages = render_published(&examples()).unwrap_or_else(|err| panic!("{err}"));
    let stale = stale_pages(&pages, &repo().join("docs")).unwrap_or_else(|err| panic!("{err}"));
    let report: Vec<String> = stale
        .iter()
        .map(|(path, why)| format!("  docs/{}: {why}", path.display()))
        .collect();
    assert!(
        stale.is_empty(),
        "docs/ is out of date with the provider schema or examples/:\n{}\nrun `make docs` and commit the result",
        report.join("\n")
    );
}

/// The `os_arch` names in the Makefile's `RELEASE_TARGETS ?= os_arch:triple ...` (with its
/// continuation lines), sorted.
fn makefile_release_platforms() -> Vec<String> {
    let makefile = std::fs::read_to_string(repo().join("Makefile")).unwrap();
    let start = makefile
        .find("RELEASE_TARGETS ?=")
        .expect("the Makefile sets RELEASE_TARGETS");
    let mut value = String::new();
    for line in makefile[start + "RELEASE_TARGETS ?=".len()..].lines() {
        let continued = line.trim_end().ends_with('\\');
        value.push_str(line.trim_end().trim_end_matches('\\'));
        value.push(' ');
        if !continued {
            break;
        }
    }
    let mut platforms: Vec<String> = value
        .split_whitespace()
        .map(|entry| entry.split(':').next().unwrap_or(entry).to_string())
        .collect();
    platforms.sort();
    platforms
}

#[test]
fn the_docs_list_the_platforms_make_release_builds() {
    let documented: Vec<String> = PUBLISHED_PLATFORMS
        .iter()
        .map(|(platform, _)| platform.to_string())
        .collect();
    assert_eq!(makefile_release_platforms(), documented);
    let pages = render_published(&examples()).unwrap_or_else(|err| panic!("{err}"));
    let index = pages
        .iter()
        .find(|page| page.path == Path::new("index.md"))
        .expect("an index page");
    for platform in &documented {
        assert!(
            index.content.contains(&format!("- `{platform}`: ")),
            "docs/index.md does not list {platform}"
        );
    }
}

#[test]
fn every_attribute_and_block_is_described_and_secrets_say_so() {
    let schemas = all_schemas();
    let problems = description_problems(&schemas);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The example folders Terraform validates: `examples/provider` and each
/// `examples/{resources,data-sources}/<type>`, sorted.
fn example_dirs() -> Vec<PathBuf> {
    let mut dirs = vec![examples().join("provider")];
    for kind in ["resources", "data-sources"] {
        let mut typed: Vec<PathBuf> = std::fs::read_dir(examples().join(kind))
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.is_dir())
            .collect();
        typed.sort();
        dirs.extend(typed);
    }
    dirs
}

fn tf_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "tf"))
        .collect();
    files.sort();
    files
}

#[test]
fn examples_are_terraform_fmt_clean() {
    for_each_terraform(|tf| {
        let dir = Workdir::plain(tf, "");
        let run = dir.run(&[
            "fmt",
            "-check",
            "-recursive",
            "-diff",
            "-no-color",
            examples().to_str().unwrap(),
        ]);
        assert_eq!(
            run.code, 0,
            "{}: `terraform fmt -check -recursive examples` wants changes (run `terraform fmt -recursive examples`):\n{}{}",
            tf.label, run.stdout, run.stderr
        );
    });
}

#[test]
fn every_example_validates_with_the_provider_config() {
    let provider_tf = std::fs::read_to_string(examples().join("provider/provider.tf")).unwrap();
    let dirs = example_dirs();
    assert!(dirs.len() > 1, "no resource or data source examples found");
    for_each_terraform(|tf| {
        for example in &dirs {
            // Each example is documented next to the provider example: validate them together.
            let dir = Workdir::with_dev_overrides(tf, &provider_tf);
            let files = tf_files(example);
            assert!(!files.is_empty(), "{} has no .tf file", example.display());
            for file in files
                .iter()
                .filter(|f| !f.ends_with("provider/provider.tf"))
            {
                let name = format!("example_{}", file.file_name().unwrap().to_string_lossy());
                dir.write(&name, &std::fs::read_to_string(file).unwrap());
            }
            let run = dir.run(&["validate", "-no-color"]);
            assert_eq!(
                run.code,
                0,
                "{}: `terraform validate` of {} failed:\n{}{}",
                tf.label,
                example.strip_prefix(repo()).unwrap().display(),
                run.stdout,
                run.stderr
            );
        }
    });
}

/// The whole-configuration examples `examples/topologies/<name>`, sorted.
fn topology_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(examples().join("topologies"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_dir())
        .collect();
    dirs.sort();
    dirs
}

#[test]
fn every_topology_example_validates_on_its_own() {
    let dirs = topology_dirs();
    assert!(
        dirs.iter().any(|d| d.ends_with("active-active"))
            && dirs.iter().any(|d| d.ends_with("hub-and-spoke")),
        "examples/topologies lacks active-active or hub-and-spoke: {dirs:?}"
    );
    for_each_terraform(|tf| {
        for example in &dirs {
            let dir = Workdir::with_dev_overrides(tf, "");
            let files = tf_files(example);
            assert!(!files.is_empty(), "{} has no .tf file", example.display());
            for file in &files {
                let name = file.file_name().unwrap().to_string_lossy().into_owned();
                dir.write(&name, &std::fs::read_to_string(file).unwrap());
            }
            let run = dir.run(&["validate", "-no-color"]);
            assert_eq!(
                run.code,
                0,
                "{}: `terraform validate` of {} failed:\n{}{}",
                tf.label,
                example.strip_prefix(repo()).unwrap().display(),
                run.stdout,
                run.stderr
            );
        }
    });
}
