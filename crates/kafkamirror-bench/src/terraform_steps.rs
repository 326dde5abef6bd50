//! One topic count, end to end with real Terraform: fresh brokers, then first `apply`, `plan`
//! (with refresh), no-change `apply` and `destroy`, each counted by the brokers and measured at
//! the provider; then alternating pairs of timed applies of our resources and of the
//! `terraform_data` floor holding the same objects.

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

/// Measures one topic count with `pairs` timed apply pairs against the floor. Commands still
/// running at `deadline` are killed and the result says which one.
pub fn run_size(
    binaries: &Binaries,
    topics: usize,
    pairs: usize,
    deadline: Instant,
) -> Result<SizeResult, String> {
    let workdir = Workdir::new(binaries, deadline)?;
    let clusters = Clusters::start(binaries, workdir.path())?;
    let mut result = SizeResult {
        topics,
        objects: 0,
        steps: Vec::new(),
        plan_was_empty: true,
        pairs: Vec::new(),
        unfinished: None,
    };
    match measure(&workdir, &clusters, pairs, &mut result) {
        Ok(()) => Ok(result),
        Err(StepFailure::OutOfTime { command, after }) => {
            result.unfinished = Some(format!(
                "`{command}` was still running after {:.0} s when the time budget ran out (killed)",
                after.as_secs_f64()
            ));
            Ok(result)
        }
        Err(StepFailure::Error(message)) => Err(format!("N = {topics}: {message}")),
    }
}

/// The steps, then the pairs, recorded into `result` as they complete.
fn measure(
    workdir: &Workdir,
    clusters: &Clusters,
    pairs: usize,
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
    let (destroy, _) = clusters.measure(workdir, "destroy", DESTROY, &[0])?;
    result.steps.push(destroy);

    for pair in 0..pairs {
        // Alternate which one goes first so drift in machine load hits both alike.
        let (ours, floor_wall) = if pair % 2 == 0 {
            let ours = timed_apply_of_ours(workdir, &config)?;
            (ours, timed_apply_of_floor(workdir, &floor)?)
        } else {
            let floor_wall = timed_apply_of_floor(workdir, &floor)?;
            (timed_apply_of_ours(workdir, &config)?, floor_wall)
        };
        result.pairs.push((ours, floor_wall));
    }
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
