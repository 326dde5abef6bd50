//! One topic count, end to end with real Terraform, in separate phases so the run can measure
//! what the targets need first: the steps (fresh brokers, then first `apply`, `plan` with
//! refresh, no-change `apply` and `destroy`, each counted by the brokers and measured at the
//! provider); later, alternating pairs of timed applies of our resources and of the
//! `terraform_data` floor holding the same objects; and a flow whose every binding existed
//! before it (the pre-existing check at plan time).

use std::time::{Duration, Instant};

use crate::brokers::{difference, BrokerProcess, RequestCounts};
use crate::flows::{floor_config, main_tf};
use crate::inprocess::median;
use crate::terraform::{Binaries, ProviderUsage, StepFailure, StepRun, Workdir};

const APPLY: &[&str] = &["apply", "-auto-approve", "-no-color"];
const DESTROY: &[&str] = &["destroy", "-auto-approve", "-no-color"];
const PLAN: &[&str] = &["plan", "-detailed-exitcode", "-no-color"];

/// One measured Terraform command.
#[derive(Debug, Clone)]
pub struct StepResult {
    pub name: &'static str,
    pub source_requests: RequestCounts,
    pub target_requests: RequestCounts,
    pub provider: ProviderUsage,
    pub wall: Duration,
}

/// Everything measured for one topic count.
#[derive(Debug, Clone)]
pub struct SizeResult {
    pub topics: usize,
    /// ACLs and internal topics our two resources hold in state (and the floor's input holds).
    pub objects: usize,
    pub steps: Vec<StepResult>,
    /// Whether `plan` right after the first apply showed no changes.
    pub plan_was_empty: bool,
    /// The `terraform_data` floor holding the same objects (`main.tf.json`), once the steps ran.
    pub floor: Option<String>,
    /// Wall times of (our apply, floor apply), one per pair.
    pub pairs: Vec<(Duration, Duration)>,
    /// Set when the time budget ran out before every step and pair was measured.
    pub unfinished: Option<String>,
}

impl SizeResult {
    pub fn step(&self, name: &str) -> Option<&StepResult> {
        self.steps.iter().find(|s| s.name == name)
    }

    /// Median over the pairs of (our apply / floor apply).
    pub fn median_wall_ratio(&self) -> Option<f64> {
        if self.pairs.is_empty() {
            return None;
        }
        let mut ratios: Vec<Duration> = self
            .pairs
            .iter()
            // Ratios as Durations (seconds = ratio) so `median` can sort them.
            .map(|(ours, floor)| Duration::from_secs_f64(ours.as_secs_f64() / floor.as_secs_f64()))
            .collect();
        Some(median(&mut ratios).as_secs_f64())
    }

    pub fn median_apply_walls(&self) -> Option<(Duration, Duration)> {
        if self.pairs.is_empty() {
            return None;
        }
        let mut ours: Vec<Duration> = self.pairs.iter().map(|p| p.0).collect();
        let mut floor: Vec<Duration> = self.pairs.iter().map(|p| p.1).collect();
        Some((median(&mut ours), median(&mut floor)))
    }
}

/// The two brokers of one topic count.
struct Clusters {
    source: BrokerProcess,
    target: BrokerProcess,
}

impl Clusters {
    fn start(binaries: &Binaries, dir: &std::path::Path) -> Result<Clusters, String> {
        Ok(Clusters {
            source: BrokerProcess::start(&binaries.broker, dir.join("source-stats.json"))?,
            target: BrokerProcess::start(&binaries.broker, dir.join("target-stats.json"))?,
        })
    }

    fn counts(&self) -> Result<(RequestCounts, RequestCounts), String> {
        Ok((self.source.counts()?, self.target.counts()?))
    }

    /// Runs one Terraform command and attributes the brokers' new requests to it.
    fn measure(
        &self,
        workdir: &Workdir,
        name: &'static str,
        args: &[&str],
        accepted: &[i32],
    ) -> Result<(StepResult, StepRun), StepFailure> {
        let (source_before, target_before) = self.counts()?;
        let run = workdir.run_expecting(args, accepted).map_err(|e| match e {
            StepFailure::Error(message) => StepFailure::Error(format!("{name}: {message}")),
            out_of_time => out_of_time,
        })?;
        let (source_after, target_after) = self.counts()?;
        let step = StepResult {
            name,
            source_requests: difference(&source_before, &source_after),
            target_requests: difference(&target_before, &target_after),
            provider: run.provider,
            wall: run.wall,
        };
        Ok((step, run))
    }
}

/// Measures one topic count's four steps on fresh brokers (no floor pairs: those are
/// [`run_pairs`], run later as the budget allows). Commands still running at `deadline` are
/// killed and the result says which one.
pub fn run_steps(
    binaries: &Binaries,
    topics: usize,
    deadline: Instant,
) -> Result<SizeResult, String> {
    let workdir = Workdir::new(binaries, deadline)?;
    let clusters = Clusters::start(binaries, workdir.path())?;
    let mut result = SizeResult {
        topics,
        objects: 0,
        steps: Vec::new(),
        plan_was_empty: true,
        floor: None,
        pairs: Vec::new(),
        unfinished: None,
    };
    let outcome = measure_steps(&workdir, &clusters, &mut result);
    finish(result, outcome)
}

/// Adds `pairs` timed apply pairs (ours, then the floor, alternating) to a topic count whose
/// steps finished, on fresh brokers.
pub fn run_pairs(
    binaries: &Binaries,
    size: &mut SizeResult,
    pairs: usize,
    deadline: Instant,
) -> Result<(), String> {
    let Some(floor) = size.floor.clone() else {
        return Err(format!(
            "N = {}: no floor configuration (its steps did not finish)",
            size.topics
        ));
    };
    let workdir = Workdir::new(binaries, deadline)?;
    let clusters = Clusters::start(binaries, workdir.path())?;
    let config = main_tf(
        clusters.source.bootstrap(),
        clusters.target.bootstrap(),
        size.topics,
    );
    for pair in 0..pairs {
        // Alternate which one goes first so drift in machine load hits both alike.
        let measured = if pair % 2 == 0 {
            timed_apply_of_ours(&workdir, &config)
                .and_then(|ours| Ok((ours, timed_apply_of_floor(&workdir, &floor)?)))
        } else {
            timed_apply_of_floor(&workdir, &floor)
                .and_then(|floor_wall| Ok((timed_apply_of_ours(&workdir, &config)?, floor_wall)))
        };
        match measured {
            Ok(pair) => size.pairs.push(pair),
            Err(StepFailure::OutOfTime { command, after }) => {
                size.unfinished = Some(format!(
                    "apply pair {}: `{command}` was still running after {:.0} s when the time budget ran out (killed)",
                    pair + 1,
                    after.as_secs_f64()
                ));
                return Ok(());
            }
            Err(StepFailure::Error(message)) => {
                return Err(format!("N = {}: {message}", size.topics))
            }
        }
    }
    Ok(())
}

/// The plan and apply of a flow all of whose bindings existed before it: pre-existing
/// bindings are checked at plan time (preflight) against what the state recorded, which
/// must stay linear in their number.
#[derive(Debug, Clone)]
pub struct PreexistingResult {
    pub topics: usize,
    /// Bindings created by hand on the brokers before the first apply.
    pub seeded: usize,
    pub steps: Vec<StepResult>,
    pub plan_was_empty: bool,
    pub unfinished: Option<String>,
}

/// Seeds every binding the bench's MM2 flow needs for `topics` topics (through `seed`, which
/// gets both brokers' bootstrap addresses and returns how many bindings it created), then
/// measures the first apply (which records them all as pre-existing) and a plan.
pub fn run_preexisting(
    binaries: &Binaries,
    topics: usize,
    deadline: Instant,
    seed: impl FnOnce(&str, &str) -> Result<usize, String>,
) -> Result<PreexistingResult, String> {
    let workdir = Workdir::new(binaries, deadline)?;
    let clusters = Clusters::start(binaries, workdir.path())?;
    let seeded = seed(clusters.source.bootstrap(), clusters.target.bootstrap())?;
    let mut result = PreexistingResult {
        topics,
        seeded,
        steps: Vec::new(),
        plan_was_empty: true,
        unfinished: None,
    };
    let config = main_tf(
        clusters.source.bootstrap(),
        clusters.target.bootstrap(),
        topics,
    );
    let mut measure = || -> Result<(), StepFailure> {
        workdir.write_config("main.tf", &config)?;
        let (apply, _) =
            clusters.measure(&workdir, "first apply (all pre-existing)", APPLY, &[0])?;
        result.steps.push(apply);
        let (plan, run) =
            clusters.measure(&workdir, "plan (refresh, all pre-existing)", PLAN, &[0, 2])?;
        result.plan_was_empty = run.exit_code == 0;
        result.steps.push(plan);
        Ok(())
    };
    match measure() {
        Ok(()) => Ok(result),
        Err(StepFailure::OutOfTime { command, after }) => {
            result.unfinished = Some(format!(
                "`{command}` was still running after {:.0} s when the time budget ran out (killed)",
                after.as_secs_f64()
            ));
            Ok(result)
        }
        Err(StepFailure::Error(message)) => Err(format!("pre-existing N = {topics}: {message}")),
    }
}

fn finish(mut result: SizeResult, outcome: Result<(), StepFailure>) -> Result<SizeResult, String> {
    match outcome {
        Ok(()) => Ok(result),
        Err(StepFailure::OutOfTime { command, after }) => {
            result.unfinished = Some(format!(
                "`{command}` was still running after {:.0} s when the time budget ran out (killed)",
                after.as_secs_f64()
            ));
            Ok(result)
        }
        Err(StepFailure::Error(message)) => Err(format!("N = {}: {message}", result.topics)),
    }
}

/// The four steps, recorded into `result` as they complete, and the floor configuration.
fn measure_steps(
    workdir: &Workdir,
    clusters: &Clusters,
    result: &mut SizeResult,
) -> Result<(), StepFailure> {
    let config = main_tf(
        clusters.source.bootstrap(),
        clusters.target.bootstrap(),
        result.topics,
    );
    workdir.write_config("main.tf", &config)?;
    let (first_apply, _) = clusters.measure(workdir, "first apply", APPLY, &[0])?;
    result.steps.push(first_apply);
    // Exit code 2 (changes after an apply) is a finding to report, not a reason to stop.
    let (plan, plan_run) = clusters.measure(workdir, "plan (refresh)", PLAN, &[0, 2])?;
    result.plan_was_empty = plan_run.exit_code == 0;
    result.steps.push(plan);
    let (no_change, _) = clusters.measure(workdir, "no-change apply", APPLY, &[0])?;
    result.steps.push(no_change);
    let shown = workdir.run_expecting(&["show", "-json"], &[0])?;
    let state: serde_json::Value = serde_json::from_str(&shown.stdout)
        .map_err(|e| format!("bad `terraform show -json` output: {e}"))?;
    let (objects, floor) = floor_config(&state)?;
    result.objects = objects;
    result.floor = Some(floor);
    let (destroy, _) = clusters.measure(workdir, "destroy", DESTROY, &[0])?;
    result.steps.push(destroy);
    Ok(())
}

/// Wall time of a first apply of our resources; destroys them afterwards (not timed).
fn timed_apply_of_ours(workdir: &Workdir, config: &str) -> Result<Duration, StepFailure> {
    workdir.write_config("main.tf", config)?;
    let wall = workdir.run_expecting(APPLY, &[0])?.wall;
    workdir.run_expecting(DESTROY, &[0])?;
    Ok(wall)
}

/// Wall time of a first apply of the floor; forgets its state afterwards.
fn timed_apply_of_floor(workdir: &Workdir, floor: &str) -> Result<Duration, StepFailure> {
    workdir.write_config("main.tf.json", floor)?;
    let wall = workdir.run_expecting(APPLY, &[0])?.wall;
    workdir.remove_state()?;
    Ok(wall)
}
