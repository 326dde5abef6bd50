//! `kafkamirror-bench` (`make bench`): measures what plan, refresh and apply cost as a
//! replication flow grows, and writes BENCHMARKS.md.
//!
//! For each topic count N it starts two `kafka-testbroker` processes, applies one MM2 flow and
//! one cluster link replicating N topics with real Terraform, and records per step the Kafka
//! requests per API (counted by the brokers), the provider's CPU time and peak RSS (through
//! `kafkamirror-bench-rusage`), and the wall time of our apply against a `terraform_data`
//! holding the same objects. In process it also compares one batched CreateAcls with one
//! request per binding, and times planning at 5 000 and 50 000 topics.
//!
//! Usage: `kafkamirror-bench [--smoke] [--sizes 10,100,...] [--pairs 5] [--budget-seconds S]
//! [--out BENCHMARKS.md] [--bin-dir DIR] [--terraform PATH] [--analysis FILE]`.
//! `--smoke` runs N = 10 with one pair (a check that the tool works, not a measurement).
//! Binaries default to the directory of this executable (`target/release` under `make bench`).

mod brokers;
mod flows;
mod inprocess;
mod report;
mod terraform;
mod terraform_steps;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use report::{AdminRow, PlanningResult, Report};
use terraform::Binaries;

const USAGE: &str = "usage: kafkamirror-bench [--smoke] [--sizes 10,100,...] [--pairs N] \
[--budget-seconds S] [--out FILE] [--bin-dir DIR] [--terraform PATH] [--analysis FILE]";

/// Topic counts of a full run; the last one runs only when the budget allows.
const FULL_SIZES: &[usize] = &[10, 100, 1_000, 10_000, 50_000];
/// Pairs of timed applies per topic count (the issue asks for at least 5).
const FULL_PAIRS: usize = 5;
/// The fewest pairs a topic count may be cut to when the budget is short.
const MIN_PAIRS: usize = 3;
/// `make bench` must finish within 10 minutes: the budget covers the in-process parts and
/// every Terraform command (N = 10 000's four steps take about 4 minutes of Terraform's own
/// time); writing the report and the build check of already built binaries take seconds.
const DEFAULT_BUDGET_SECONDS: u64 = 560;
/// Planning linearity: topic counts compared, and repetitions per count.
const PLANNING_SIZES: (usize, usize) = (5_000, 50_000);
const PLANNING_REPETITIONS: usize = 9;
/// Per-binding CreateAcls runs above this topic count would not fit the budget.
const MAX_PER_BINDING_TOPICS: usize = 10_000;

struct Options {
    sizes: Vec<usize>,
    pairs: usize,
    budget: Duration,
    out: PathBuf,
    binaries: Binaries,
    analysis: Option<PathBuf>,
    smoke: bool,
}

fn parse(args: impl IntoIterator<Item = String>) -> Result<Options, String> {
    let mut args = args.into_iter();
    let exe_dir = std::env::current_exe()
        .map_err(|e| format!("cannot find this executable: {e}"))?
        .parent()
        .map(PathBuf::from)
        .ok_or("this executable has no directory")?;
    let mut bin_dir = exe_dir;
    let mut terraform = PathBuf::from("terraform");
    let mut sizes = FULL_SIZES.to_vec();
    let mut pairs = FULL_PAIRS;
    let mut budget = Duration::from_secs(DEFAULT_BUDGET_SECONDS);
    let mut out = PathBuf::from("BENCHMARKS.md");
    let mut analysis = None;
    let mut smoke = false;
    while let Some(flag) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        match flag.as_str() {
            "--smoke" => {
                smoke = true;
                sizes = vec![10];
                pairs = 1;
            }
            "--sizes" => {
                let text = value("--sizes")?;
                sizes = text
                    .split(',')
                    .map(|s| s.trim().parse::<usize>().ok().filter(|n| *n > 0))
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| format!("--sizes takes positive integers, got {text:?}"))?;
            }
            "--pairs" => {
                let text = value("--pairs")?;
                pairs = text
                    .parse()
                    .map_err(|_| format!("--pairs takes an integer, got {text:?}"))?;
            }
            "--budget-seconds" => {
                let text = value("--budget-seconds")?;
                budget = Duration::from_secs(
                    text.parse()
                        .map_err(|_| format!("--budget-seconds takes an integer, got {text:?}"))?,
                );
            }
            "--out" => out = PathBuf::from(value("--out")?),
            "--bin-dir" => bin_dir = PathBuf::from(value("--bin-dir")?),
            "--terraform" => terraform = PathBuf::from(value("--terraform")?),
            "--analysis" => analysis = Some(PathBuf::from(value("--analysis")?)),
            "-h" | "--help" => return Err(USAGE.to_string()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    let binaries = Binaries {
        terraform,
        provider: bin_dir.join("terraform-provider-kafkamirror"),
        rusage_wrapper: bin_dir.join("kafkamirror-bench-rusage"),
        broker: bin_dir.join("kafka-testbroker"),
    };
    for path in [
        &binaries.provider,
        &binaries.rusage_wrapper,
        &binaries.broker,
    ] {
        if !path.exists() {
            return Err(format!(
                "{} not found: build the workspace binaries first (`cargo build --release --workspace --bins`) or pass --bin-dir",
                path.display()
            ));
        }
    }
    Ok(Options {
        sizes,
        pairs,
        budget,
        out,
        binaries,
        analysis,
        smoke,
    })
}

/// Terraform commands one topic count runs with `pairs` apply pairs: four measured steps and
/// `show`, then per pair our apply, our destroy and the floor's apply.
fn commands_per_size(pairs: usize) -> f64 {
    5.0 + 3.0 * pairs as f64
}

fn main() -> ExitCode {
    let options = match parse(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    match run(&options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("kafkamirror-bench: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(options: &Options) -> Result<(), String> {
    let started = Instant::now();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    let mut report = Report::new(
        terraform::version(&options.binaries.terraform)?,
        options.smoke,
    );

    eprintln!(
        "planning {} vs {} topics",
        PLANNING_SIZES.0, PLANNING_SIZES.1
    );
    let repetitions = if options.smoke {
        1
    } else {
        PLANNING_REPETITIONS
    };
    let (small, large) = if options.smoke {
        (50, 500)
    } else {
        PLANNING_SIZES
    };
    let (small_time, large_time) = inprocess::median_plan_times(small, large, repetitions);
    report.planning = Some(PlanningResult {
        small_topics: small,
        large_topics: large,
        repetitions,
        small: small_time,
        large: large_time,
    });

    // In process first: cheap, and independent of how far Terraform gets in the budget.
    for &topics in &options.sizes {
        if topics > MAX_PER_BINDING_TOPICS {
            report.skipped.push(format!(
                "N = {topics}: per-binding CreateAcls not run (above {MAX_PER_BINDING_TOPICS} topics it does not fit the budget)"
            ));
            continue;
        }
        eprintln!("N = {topics}: batched vs per-binding CreateAcls");
        let comparison = runtime.block_on(inprocess::compare_batched_with_per_binding(topics))?;
        report.admin.push(AdminRow { topics, comparison });
    }

    let deadline = started + options.budget;
    // The previous topic count's duration and pairs, to project the next one (linear in N).
    // Also the previous count's Terraform steps alone, to skip a count whose steps cannot fit.
    let mut previous: Option<(usize, usize, Duration, Duration)> = None;
    for &topics in &options.sizes {
        let remaining = deadline.saturating_duration_since(Instant::now());
        let pairs = match previous {
            None => options.pairs,
            Some((previous_topics, previous_pairs, took, steps_took)) => {
                let projected_steps =
                    steps_took.as_secs_f64() * (topics as f64 / previous_topics as f64);
                if projected_steps > remaining.as_secs_f64() {
                    report.skipped.push(format!(
                        "N = {topics} with Terraform: not attempted, its steps alone project to {projected_steps:.0} s (linear from N = {previous_topics}) and {:.0} s of the budget are left",
                        remaining.as_secs_f64()
                    ));
                    break;
                }
                let projected = |pairs: usize| {
                    took.as_secs_f64()
                        * (topics as f64 / previous_topics as f64)
                        * commands_per_size(pairs)
                        / commands_per_size(previous_pairs)
                };
                let fewest = MIN_PAIRS.min(options.pairs);
                match (fewest..=options.pairs)
                    .rev()
                    .find(|pairs| projected(*pairs) <= remaining.as_secs_f64())
                {
                    Some(pairs) => pairs,
                    None => {
                        // Still measure the steps until the deadline: how far they get is
                        // itself the evidence of how the cost grows.
                        report.skipped.push(format!(
                            "N = {topics}: no apply pairs against the floor, the projected {:.0} s (linear from N = {previous_topics}) exceeds the {:.0} s left of the budget",
                            projected(fewest),
                            remaining.as_secs_f64()
                        ));
                        0
                    }
                }
            }
        };
        eprintln!("N = {topics}: Terraform steps and {pairs} apply pairs");
        let size_started = Instant::now();
        let result = terraform_steps::run_size(&options.binaries, topics, pairs, deadline)?;
        let finished = result.unfinished.is_none();
        let steps_took: Duration = result.steps.iter().map(|step| step.wall).sum();
        report.sizes.push(result);
        let took = size_started.elapsed();
        eprintln!("N = {topics}: {:.1} s", took.as_secs_f64());
        if !finished {
            report.skipped.extend(
                options
                    .sizes
                    .iter()
                    .filter(|n| **n > topics)
                    .map(|n| format!("N = {n} with Terraform: not attempted, N = {topics} did not finish within the budget")),
            );
            break;
        }
        previous = Some((topics, pairs, took, steps_took));
    }

    let analysis = match &options.analysis {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?,
        ),
        None => None,
    };
    report.total = started.elapsed();
    let markdown = report.render(analysis.as_deref())?;
    std::fs::write(&options.out, markdown)
        .map_err(|e| format!("cannot write {}: {e}", options.out.display()))?;
    eprintln!(
        "wrote {} in {:.0} s",
        options.out.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
