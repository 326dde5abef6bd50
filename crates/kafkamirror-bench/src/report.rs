//! BENCHMARKS.md: headline, the machine (with its load at the start), the targets checked
//! against what this run measured, what moved since the previous run (read from the file this
//! run replaces), one table per topic count, the pre-existing-bindings case, the
//! batched-versus-per-binding and planning tables, and the hand-written analysis (profiles,
//! causes) appended from a file.

use std::fmt::Write;
use std::time::Duration;

use crate::brokers::{
    admin_requests, all_requests, describe_counts, fetches_at_log_end, RequestCounts,
    CONNECTION_APIS,
};
use crate::inprocess::{AdminComparison, PER_BINDING_CONCURRENCY};
use crate::terraform_steps::{PreexistingResult, SizeResult, StepResult};
use crate::{Mode, TARGET_TOPICS};
use kafkamirror::kafka::claims::{CLAIMS_BATCH_BYTES, CLAIMS_BATCH_RECORDS};
use kafkamirror::resources::acls::ACL_BATCH_LIMIT;
/// APIs whose request count follows what is written: bindings, one CreateAcls or DeleteAcls
/// per batch of `ACL_BATCH_LIMIT`; claims records, one Produce per batch of
/// `CLAIMS_BATCH_RECORDS` records or `CLAIMS_BATCH_BYTES` bytes.
const BATCHED_WRITE_APIS: &[&str] = &["CreateAcls", "DeleteAcls", "Produce"];
const PLAN_CPU_TARGET_SECONDS: f64 = 1.0;
const APPLY_CPU_TARGET_SECONDS: f64 = 2.0;
const RSS_TARGET_MB: f64 = 100.0;
const WALL_RATIO_TARGET: f64 = 1.3;
const PLANNING_RATIO_TARGET: f64 = 12.0;

/// Planning time at two topic counts.
#[derive(Debug, Clone, Copy)]
pub struct PlanningResult {
    pub small_topics: usize,
    pub large_topics: usize,
    pub repetitions: usize,
    pub small: Duration,
    pub large: Duration,
}

impl PlanningResult {
    fn ratio(&self) -> f64 {
        self.large.as_secs_f64() / self.small.as_secs_f64()
    }
}

#[derive(Debug, Clone, Copy)]
pub struct AdminRow {
    pub topics: usize,
    pub comparison: AdminComparison,
}

/// Everything one run measured.
pub struct Report {
    pub terraform_version: String,
    pub mode: Mode,
    pub machine: Machine,
    pub sizes: Vec<SizeResult>,
    pub preexisting: Option<PreexistingResult>,
    pub admin: Vec<AdminRow>,
    pub planning: Option<PlanningResult>,
    /// What the run left out, and why.
    pub skipped: Vec<String>,
    pub total: Duration,
}

/// Where and when the run happened, and how busy the machine was when it started.
pub struct Machine {
    cores: String,
    memory: String,
    cpu: String,
    load: String,
    date: String,
}

impl Machine {
    pub fn describe() -> Machine {
        let command = |program: &str, args: &[&str]| {
            std::process::Command::new(program)
                .args(args)
                .output()
                .ok()
                .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "unknown".to_string())
        };
        let proc_field = |file: &str, key: &str| {
            std::fs::read_to_string(file)
                .ok()
                .and_then(|text| {
                    text.lines()
                        .find(|l| l.starts_with(key))
                        .and_then(|l| l.split_once(':'))
                        .map(|(_, v)| v.trim().to_string())
                })
                .unwrap_or_else(|| "unknown".to_string())
        };
        let memory = proc_field("/proc/meminfo", "MemTotal");
        let memory = memory
            .strip_suffix(" kB")
            .and_then(|kib| kib.trim().parse::<f64>().ok())
            .map(|kib| format!("{:.1} GiB", kib / 1024.0 / 1024.0))
            .unwrap_or(memory);
        let load = std::fs::read_to_string("/proc/loadavg")
            .ok()
            .map(|text| {
                text.split_whitespace()
                    .take(3)
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .filter(|load| !load.is_empty())
            .unwrap_or_else(|| "unknown".to_string());
        Machine {
            cores: command("nproc", &[]),
            memory,
            cpu: proc_field("/proc/cpuinfo", "model name"),
            load,
            date: command("date", &["-u", "+%Y-%m-%d %H:%M UTC"]),
        }
    }

    fn line(&self, terraform_version: &str) -> String {
        format!(
            "{} cores (nproc), {} memory, {}; load average {} (1, 5, 15 min) at the start; Terraform {terraform_version}; {}",
            self.cores, self.memory, self.cpu, self.load, self.date
        )
    }

    /// The part of [`Machine::line`] that names the hardware (cores, memory, CPU model).
    fn hardware(&self) -> String {
        format!(
            "{} cores (nproc), {} memory, {}",
            self.cores, self.memory, self.cpu
        )
    }
}

fn steps_wall(size: &SizeResult) -> Duration {
    size.steps.iter().map(|step| step.wall).sum()
}

/// The rows of a "## Targets" table: target -> what was measured.
fn target_rows(markdown: &str) -> Vec<(String, String)> {
    let Some(start) = markdown.find("## Targets") else {
        return Vec::new();
    };
    markdown[start..]
        .lines()
        .skip(1)
        .take_while(|line| !line.starts_with("## "))
        .filter_map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            // `| target | measured | status |` splits into 5 cells, the outer two empty.
            (cells.len() == 5 && cells[1] != "Target" && !cells[1].starts_with("---"))
                .then(|| (cells[1].to_string(), format!("{} ({})", cells[2], cells[3])))
        })
        .collect()
}

/// The hardware part of a previous file's "Machine:" line.
fn previous_hardware(markdown: &str) -> Option<String> {
    let line = markdown.lines().find(|l| l.starts_with("Machine: "))?;
    let rest = line.strip_prefix("Machine: ")?;
    Some(rest.split(';').next()?.trim().to_string())
}

/// "## Compared with the previous run": every target whose measurement changed since the file
/// this run replaces, and whether that run was on the same hardware.
fn write_comparison(
    out: &mut String,
    targets: &str,
    machine: &Machine,
    previous: Option<&str>,
) -> std::fmt::Result {
    writeln!(
        out,
        "## Compared with the previous run
"
    )?;
    let Some(previous) = previous else {
        return writeln!(out, "No previous BENCHMARKS.md to compare with.\n");
    };
    let hardware = machine.hardware();
    match previous_hardware(previous) {
        Some(before) if before == hardware => {
            writeln!(out, "Same hardware as the previous run ({hardware}).\n")?
        }
        Some(before) => writeln!(
            out,
            "**Different hardware**: the previous run was on {before}; this one on {hardware}. \
             Absolute figures are not comparable across machines; ratios and request counts are.\n"
        )?,
        None => writeln!(out, "The previous file names no machine.\n")?,
    }
    let before: std::collections::BTreeMap<String, String> =
        target_rows(previous).into_iter().collect();
    let now = target_rows(targets);
    let moved: Vec<(&String, &String, &String)> = now
        .iter()
        .filter_map(|(target, measured)| {
            let previous = before.get(target)?;
            (previous != measured).then_some((target, previous, measured))
        })
        .collect();
    let new: Vec<&String> = now
        .iter()
        .filter(|(target, _)| !before.contains_key(target))
        .map(|(target, _)| target)
        .collect();
    if moved.is_empty() {
        writeln!(out, "No target's measurement changed.")?;
    } else {
        writeln!(out, "| Target | Previous run | This run |")?;
        writeln!(out, "|---|---|---|")?;
        for (target, previous, measured) in moved {
            writeln!(out, "| {target} | {previous} | {measured} |")?;
        }
    }
    if !new.is_empty() {
        writeln!(
            out,
            "\nNot in the previous run: {}.",
            new.iter()
                .map(|t| t.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        )?;
    }
    writeln!(out)
}

fn seconds(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64())
}

/// One step's requests on one cluster, split as the targets judge them.
struct StepRequests {
    topics: usize,
    /// Admin requests besides the batched writes and the Fetch requests at the log end.
    admin: u64,
    writes: u64,
    /// Fetch requests that found the log's end (librdkafka's fetch after the reader drained
    /// its queue, before the reader closed), and the Fetch requests that returned records.
    at_log_end: u64,
    data_fetches: u64,
    all: u64,
}

impl StepRequests {
    fn of(topics: usize, counts: &RequestCounts) -> StepRequests {
        let writes = BATCHED_WRITE_APIS
            .iter()
            .map(|api| counts.get(*api).copied().unwrap_or(0))
            .sum::<u64>();
        let at_log_end = fetches_at_log_end(counts);
        let fetches = counts.get("Fetch").copied().unwrap_or(0);
        StepRequests {
            topics,
            admin: admin_requests(counts) - writes - at_log_end,
            writes,
            at_log_end,
            data_fetches: fetches.saturating_sub(at_log_end),
            all: all_requests(counts),
        }
    }

    fn describe(&self) -> String {
        format!(
            "N={}: {} + batched writes {} + Fetch at log end {} ({} with connections)",
            self.topics, self.admin, self.writes, self.at_log_end, self.all
        )
    }
}

fn met(ok: bool) -> &'static str {
    if ok {
        "met"
    } else {
        "**missed**"
    }
}

impl Report {
    pub fn new(terraform_version: String, mode: Mode, machine: Machine) -> Report {
        Report {
            terraform_version,
            mode,
            machine,
            sizes: Vec::new(),
            preexisting: None,
            admin: Vec::new(),
            planning: None,
            skipped: Vec::new(),
            total: Duration::ZERO,
        }
    }

    /// Wall time of the target size's steps (a first guess of 5 minutes before they ran).
    pub fn target_steps_wall(&self) -> Duration {
        self.sizes
            .iter()
            .find(|s| s.topics == TARGET_TOPICS && s.unfinished.is_none())
            .map(steps_wall)
            .unwrap_or(Duration::from_secs(300))
    }

    /// The largest size whose steps finished, with their wall time.
    pub fn largest_steps(&self) -> Option<(usize, Duration)> {
        self.sizes
            .iter()
            .filter(|s| s.unfinished.is_none() && !s.steps.is_empty())
            .max_by_key(|s| s.topics)
            .map(|s| (s.topics, steps_wall(s)))
    }

    /// What one apply pair at `topics` should take: our first apply and destroy as its steps
    /// measured them, plus the floor's apply, scaled linearly in objects from the largest
    /// size whose pairs ran (or `guess_factor` times our apply before any did).
    pub fn projected_pair(&self, topics: usize, guess_factor: f64) -> Option<Duration> {
        let size = self.sizes.iter().find(|s| s.topics == topics)?;
        let ours = size.step("first apply")?.wall;
        let destroy = size.step("destroy")?.wall;
        let floor = self
            .sizes
            .iter()
            .filter(|s| !s.pairs.is_empty() && s.objects > 0)
            .max_by_key(|s| s.topics)
            .and_then(|measured| {
                let (_, floor) = measured.median_apply_walls()?;
                Some(floor.mul_f64(size.objects as f64 / measured.objects as f64))
            })
            .unwrap_or(ours.mul_f64(guess_factor));
        Some(ours + destroy + floor)
    }

    /// The whole file; `analysis` (markdown) is appended under its own heading, `previous`
    /// (the file this one replaces) is compared target by target.
    pub fn render(&self, analysis: Option<&str>, previous: Option<&str>) -> Result<String, String> {
        let mut out = String::new();
        self.write_all(&mut out, analysis, previous)
            .map_err(|e| format!("cannot format the report: {e}"))?;
        Ok(out)
    }

    fn write_all(
        &self,
        out: &mut String,
        analysis: Option<&str>,
        previous: Option<&str>,
    ) -> std::fmt::Result {
        let machine = &self.machine;
        writeln!(out, "# Benchmarks\n")?;
        writeln!(
            out,
            "Generated by `make bench` (`crates/kafkamirror-bench`) in {:.0} s{}. Do not edit by hand: \
             rerun `make bench`; the Analysis section comes from `crates/kafkamirror-bench/analysis.md`.\n",
            self.total.as_secs_f64(),
            match self.mode {
                Mode::Smoke => " in **smoke mode** (N = 10, one pair: checks the tool, measures nothing)",
                Mode::Quick => " in **quick mode** (`make bench QUICK=1`: small sizes, one pair each; no target is measured)",
                Mode::FloorOnly => " in **floor-only mode** (`make bench-floor`: steps and floor pairs, no budget)",
                Mode::Full => "",
            }
        )?;
        self.write_headline(out, machine)?;
        let mut targets = String::new();
        self.write_targets(&mut targets)?;
        out.push_str(&targets);
        write_comparison(out, &targets, machine, previous)?;
        self.write_method(out)?;
        for size in &self.sizes {
            self.write_size(out, size)?;
        }
        self.write_preexisting(out)?;
        self.write_admin(out)?;
        self.write_planning(out)?;
        if !self.skipped.is_empty() {
            writeln!(out, "## Left out of this run\n")?;
            for line in &self.skipped {
                writeln!(out, "- {line}")?;
            }
            writeln!(out)?;
        }
        if let Some(analysis) = analysis {
            writeln!(out, "## Analysis\n\n{}", analysis.trim_end())?;
        }
        Ok(())
    }

    /// N = 10 000 when it finished, else the largest topic count that did.
    fn headline_size(&self) -> Option<&SizeResult> {
        let finished = || self.sizes.iter().filter(|s| s.unfinished.is_none());
        finished()
            .find(|s| s.topics == TARGET_TOPICS)
            .or(finished().next_back())
    }

    fn write_headline(&self, out: &mut String, machine: &Machine) -> std::fmt::Result {
        writeln!(out, "## Headline\n")?;
        writeln!(out, "Machine: {}.\n", machine.line(&self.terraform_version))?;
        if let Some(size) = self.headline_size() {
            let step = |name: &str| size.step(name);
            if let (Some(plan), Some(apply)) = (step("plan (refresh)"), step("first apply")) {
                writeln!(
                    out,
                    "- N = {} replicated topics (one MM2 flow and one cluster link, {} ACLs and internal topics in state): \
                     `terraform plan` sends {} admin requests to the source and {} to the target ({} and {} with connection setup), \
                     the first `apply` {} and {} ({} and {}).",
                    size.topics,
                    size.objects,
                    admin_requests(&plan.source_requests),
                    admin_requests(&plan.target_requests),
                    all_requests(&plan.source_requests),
                    all_requests(&plan.target_requests),
                    admin_requests(&apply.source_requests),
                    admin_requests(&apply.target_requests),
                    all_requests(&apply.source_requests),
                    all_requests(&apply.target_requests),
                )?;
                writeln!(
                    out,
                    "- Provider CPU: {:.2} s for `plan`, {:.2} s for the first `apply`; peak RSS {:.0} MB.",
                    plan.provider.cpu_seconds,
                    apply.provider.cpu_seconds,
                    size.steps
                        .iter()
                        .map(|s| s.provider.peak_rss_mb)
                        .fold(0.0, f64::max)
                )?;
            }
            if let (Some(ratio), Some((ours, floor))) =
                (size.median_wall_ratio(), size.median_apply_walls())
            {
                writeln!(
                    out,
                    "- `terraform apply` takes {} s against {} s for `terraform_data` holding the same objects: ratio {:.2} (median of {} pairs).",
                    seconds(ours),
                    seconds(floor),
                    ratio,
                    size.pairs.len()
                )?;
            }
        }
        if let Some(row) = self
            .admin
            .iter()
            .find(|r| r.topics == TARGET_TOPICS)
            .or(self.admin.last())
        {
            let c = &row.comparison;
            writeln!(
                out,
                "- Creating the MM2 flow's {} ACLs for N = {}: {} batched CreateAcls requests in {} s, against {} one-binding requests in {} s ({:.0}x the requests, {:.1}x the time).",
                c.bindings,
                row.topics,
                c.batched.create_acls_requests,
                seconds(c.batched.elapsed),
                c.per_binding.create_acls_requests,
                seconds(c.per_binding.elapsed),
                c.per_binding.create_acls_requests as f64 / c.batched.create_acls_requests as f64,
                c.per_binding.elapsed.as_secs_f64() / c.batched.elapsed.as_secs_f64(),
            )?;
        }
        if let Some(planning) = &self.planning {
            writeln!(
                out,
                "- Planning {} topics takes {:.1}x as long as {} ({} s vs {} s).",
                planning.large_topics,
                planning.ratio(),
                planning.small_topics,
                seconds(planning.large),
                seconds(planning.small)
            )?;
        }
        writeln!(out)
    }

    fn write_targets(&self, out: &mut String) -> std::fmt::Result {
        writeln!(out, "## Targets (issue 7)\n")?;
        writeln!(
            out,
            "Admin requests are all APIs except the connection-level {}: those follow the number of \
             provider processes and broker connections, not the flow (they are in the per-N tables). \
             The batched writes are counted apart, as their count follows a stated batching limit: \
             apply and destroy write bindings in batches of at most {} per request \
             (`ACL_BATCH_LIMIT`, so a failure loses at most one batch), one CreateAcls or DeleteAcls \
             per started {} bindings per resource and cluster (DeleteAcls also includes the admin \
             layer's empty-answer probes); the claims record (issue 15) is appended in Produce \
             requests of at most {} records and {} bytes (`CLAIMS_BATCH_RECORDS`, \
             `CLAIMS_BATCH_BYTES`), one per started batch of the claims or releases one resource \
             writes on one cluster. The claims reader's Fetch requests that find the log's end \
             (the test broker counts them as `Fetch at log end`) are counted apart too: \
             librdkafka fetches again when it finds its queue empty, which it does when the \
             reader has taken every record before the fetcher looked, a matter of timing; the \
             target asks that there is at most one per Fetch that returned records.\n",
            CONNECTION_APIS.join(", "),
            ACL_BATCH_LIMIT,
            ACL_BATCH_LIMIT,
            CLAIMS_BATCH_RECORDS,
            CLAIMS_BATCH_BYTES
        )?;
        writeln!(out, "| Target | Measured | |")?;
        writeln!(out, "|---|---|---|")?;
        for step in [
            "plan (refresh)",
            "first apply",
            "no-change apply",
            "destroy",
        ] {
            for (cluster, pick) in [
                (
                    "source",
                    (|s: &StepResult| &s.source_requests) as fn(&StepResult) -> &RequestCounts,
                ),
                ("target", |s: &StepResult| &s.target_requests),
            ] {
                let per_size: Vec<StepRequests> = self
                    .sizes
                    .iter()
                    .filter_map(|size| {
                        size.step(step)
                            .map(|s| StepRequests::of(size.topics, pick(s)))
                    })
                    .collect();
                if per_size.is_empty() {
                    continue;
                }
                // Constant: the same count for every N, besides the batched writes and the
                // fetches at the log end, and at most one of those per Fetch with records.
                let constant = per_size.windows(2).all(|w| w[0].admin == w[1].admin)
                    && per_size.iter().all(|r| r.at_log_end <= r.data_fetches);
                let shown: Vec<String> = per_size.iter().map(StepRequests::describe).collect();
                writeln!(
                    out,
                    "| Admin requests besides the batched writes and the Fetch at log end per `{step}` on the {cluster} independent of N | {} | {} |",
                    shown.join(", "),
                    met(constant)
                )?;
            }
        }
        match self.sizes.iter().find(|s| s.topics == TARGET_TOPICS) {
            Some(size) => {
                if let Some(unfinished) = &size.unfinished {
                    writeln!(
                        out,
                        "| Every step at N = 10 000 | not reached: {unfinished} | **missed** |"
                    )?;
                }
                let cpu = |name: &str| size.step(name).map(|s| s.provider.cpu_seconds);
                if let Some(plan) = cpu("plan (refresh)") {
                    writeln!(
                        out,
                        "| Provider CPU for `plan` at N = 10 000 < {PLAN_CPU_TARGET_SECONDS} s | {plan:.2} s | {} |",
                        met(plan < PLAN_CPU_TARGET_SECONDS)
                    )?;
                }
                for name in ["first apply", "no-change apply"] {
                    if let Some(apply) = cpu(name) {
                        writeln!(
                            out,
                            "| Provider CPU for `{name}` at N = 10 000 < {APPLY_CPU_TARGET_SECONDS} s | {apply:.2} s | {} |",
                            met(apply < APPLY_CPU_TARGET_SECONDS)
                        )?;
                    }
                }
                let rss = size
                    .steps
                    .iter()
                    .map(|s| s.provider.peak_rss_mb)
                    .fold(0.0, f64::max);
                writeln!(
                    out,
                    "| Provider peak RSS at N = 10 000 < {RSS_TARGET_MB} MB | {rss:.0} MB | {} |",
                    met(rss < RSS_TARGET_MB)
                )?;
                match size.median_wall_ratio() {
                    Some(ratio) => writeln!(
                        out,
                        "| `apply` wall time / `terraform_data` floor at N = 10 000 <= {WALL_RATIO_TARGET} | {ratio:.2} ({} pair(s) in this run) | {} |",
                        size.pairs.len(),
                        met(ratio <= WALL_RATIO_TARGET)
                    )?,
                    None => writeln!(
                        out,
                        "| `apply` wall time / `terraform_data` floor at N = 10 000 <= {WALL_RATIO_TARGET} | no pair fitted this run's budget: `make bench-floor` measures it | not measured |"
                    )?,
                }
            }
            None => writeln!(
                out,
                "| Targets at N = 10 000 | not run (see \"Left out of this run\") | **missed** |"
            )?,
        }
        if let Some(planning) = &self.planning {
            writeln!(
                out,
                "| Planning time {} / {} topics < {PLANNING_RATIO_TARGET} | {:.1} | {} |",
                planning.large_topics,
                planning.small_topics,
                planning.ratio(),
                met(planning.ratio() < PLANNING_RATIO_TARGET)
            )?;
        }
        writeln!(out)
    }

    fn write_method(&self, out: &mut String) -> std::fmt::Result {
        writeln!(
            out,
            "## Method\n\n\
             - Each N starts two fresh `kafka-testbroker` processes (source and target; 3 nodes, SASL SCRAM-SHA-256, \
             authorizer on, admin as super user) and applies, with the release provider through `dev_overrides`, one \
             `kafkamirror_mm2_replication_permissions` (MM2 defaults, one consumer group) and one \
             `kafkamirror_cluster_link_acls` (destination-initiated), both replicating the same N literal topic names.\n\
             - Requests: each broker rewrites its per-API request counts to a stats file after every request; a step's \
             requests are the difference before and after the Terraform command.\n\
             - Provider CPU and RSS: Terraform starts `kafkamirror-bench-rusage` in place of the provider; it runs the \
             real provider as a child and records `getrusage(RUSAGE_CHILDREN)` when it exits. CPU is user + system, summed \
             over the provider processes of one command; RSS is the largest peak of one process.\n\
             - Floor: after the measured steps, pairs of timed first applies (from an empty state and empty brokers) of our \
             configuration and of a `main.tf.json` with two `terraform_data` resources whose `input` is the attribute \
             values of our two resources from `terraform show -json` (the same objects; `terraform_data` keeps its input \
             twice in state, as `input` and `output`). The order alternates per pair; the ratio is the median over pairs. \
             The broker processes share the machine with Terraform and the provider, so their work is part of our wall time.\n\
             - Batched vs per binding: the MM2 flow's planned ACLs created through `KafkaAdmin::create_acls` against fresh \
             in-process brokers, once as one request per cluster and once as one request per binding with at most \
             {PER_BINDING_CONCURRENCY} in flight (Terraform's default `-parallelism` for one-resource-per-ACL setups).\n\
             - Planning: `plan_mm2` in process, the two sizes alternated, median of the repetitions.\n"
        )
    }

    fn write_size(&self, out: &mut String, size: &SizeResult) -> std::fmt::Result {
        if size.objects > 0 {
            writeln!(
                out,
                "## N = {} topics ({} ACLs and internal topics in state)\n",
                size.topics, size.objects
            )?;
        } else {
            writeln!(out, "## N = {} topics\n", size.topics)?;
        }
        if let Some(unfinished) = &size.unfinished {
            writeln!(out, "**Did not finish**: {unfinished}.\n")?;
        }
        if size.steps.is_empty() {
            return Ok(());
        }
        writeln!(
            out,
            "| Step | Source requests | Target requests | Provider CPU s | Peak RSS MB | Provider processes | Wall s |"
        )?;
        writeln!(out, "|---|---|---|---|---|---|---|")?;
        for step in &size.steps {
            writeln!(
                out,
                "| {} | {} ({}) | {} ({}) | {:.2} | {:.0} | {} | {} |",
                step.name,
                all_requests(&step.source_requests),
                describe_counts(&step.source_requests),
                all_requests(&step.target_requests),
                describe_counts(&step.target_requests),
                step.provider.cpu_seconds,
                step.provider.peak_rss_mb,
                step.provider.processes,
                seconds(step.wall)
            )?;
        }
        writeln!(out)?;
        if !size.plan_was_empty {
            writeln!(
                out,
                "**The plan right after the first apply was not empty** (`terraform plan -detailed-exitcode` exited 2).\n"
            )?;
        }
        if let (Some(ratio), Some((ours, floor))) =
            (size.median_wall_ratio(), size.median_apply_walls())
        {
            let pairs: Vec<String> = size
                .pairs
                .iter()
                .map(|(o, f)| format!("{}/{}", seconds(*o), seconds(*f)))
                .collect();
            writeln!(
                out,
                "First `apply` wall time, ours / `terraform_data` floor, per pair (s): {}. Medians {} s / {} s; median ratio **{:.2}** over {} pairs{}.\n",
                pairs.join(", "),
                seconds(ours),
                seconds(floor),
                ratio,
                size.pairs.len(),
                if size.pairs.len() < 5 { " (fewer than 5 to fit the budget)" } else { "" }
            )?;
        }
        Ok(())
    }

    fn write_preexisting(&self, out: &mut String) -> std::fmt::Result {
        let Some(case) = &self.preexisting else {
            return Ok(());
        };
        writeln!(
            out,
            "## Every binding pre-existing (N = {}, {} bindings made before the first apply)\n",
            case.topics, case.seeded
        )?;
        writeln!(
            out,
            "The MM2 flow's bindings are created on the brokers before the first apply, so the \
             apply records them all in `preexisting_acls` and the plan's pre-existing check \
             compares every one with the recorded rows: this stays linear (hash lookups), so the \
             plan's provider CPU stays near the plan of the flow without them.\n"
        )?;
        if let Some(unfinished) = &case.unfinished {
            writeln!(out, "**Did not finish**: {unfinished}.\n")?;
        }
        writeln!(
            out,
            "| Step | Source requests | Target requests | Provider CPU s | Peak RSS MB | Wall s |"
        )?;
        writeln!(out, "|---|---|---|---|---|---|")?;
        for step in &case.steps {
            writeln!(
                out,
                "| {} | {} | {} | {:.2} | {:.0} | {} |",
                step.name,
                all_requests(&step.source_requests),
                all_requests(&step.target_requests),
                step.provider.cpu_seconds,
                step.provider.peak_rss_mb,
                seconds(step.wall)
            )?;
        }
        let plain = self
            .sizes
            .iter()
            .find(|s| s.topics == case.topics)
            .and_then(|s| s.step("plan (refresh)"));
        let with = case.steps.iter().find(|s| s.name.starts_with("plan"));
        if let (Some(plain), Some(with)) = (plain, with) {
            writeln!(
                out,
                "\nPlan CPU with every binding pre-existing / without: {:.2} / {:.2} s = {:.2}.",
                with.provider.cpu_seconds,
                plain.provider.cpu_seconds,
                with.provider.cpu_seconds / plain.provider.cpu_seconds.max(0.001)
            )?;
        }
        if !case.plan_was_empty {
            writeln!(out, "\n**The plan after that apply was not empty.**")?;
        }
        writeln!(out)
    }

    fn write_admin(&self, out: &mut String) -> std::fmt::Result {
        if self.admin.is_empty() {
            return Ok(());
        }
        writeln!(out, "## Batched vs one request per binding (admin layer)\n")?;
        writeln!(out, "| N | ACL bindings | Batched: CreateAcls requests | Batched s | Per binding: requests | Per binding s | Requests ratio | Time ratio |")?;
        writeln!(out, "|---|---|---|---|---|---|---|---|")?;
        for row in &self.admin {
            let c = &row.comparison;
            writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {:.0} | {:.1} |",
                row.topics,
                c.bindings,
                c.batched.create_acls_requests,
                seconds(c.batched.elapsed),
                c.per_binding.create_acls_requests,
                seconds(c.per_binding.elapsed),
                c.per_binding.create_acls_requests as f64 / c.batched.create_acls_requests as f64,
                c.per_binding.elapsed.as_secs_f64() / c.batched.elapsed.as_secs_f64()
            )?;
        }
        writeln!(out)
    }

    fn write_planning(&self, out: &mut String) -> std::fmt::Result {
        let Some(p) = &self.planning else {
            return Ok(());
        };
        writeln!(out, "## Planning the rule table (in process)\n")?;
        writeln!(out, "| Topics | Median s ({} runs) |", p.repetitions)?;
        writeln!(out, "|---|---|")?;
        writeln!(out, "| {} | {:.4} |", p.small_topics, p.small.as_secs_f64())?;
        writeln!(out, "| {} | {:.4} |", p.large_topics, p.large.as_secs_f64())?;
        writeln!(
            out,
            "\nRatio {:.1} for {}x the topics (linear: {}).\n",
            p.ratio(),
            p.large_topics / p.small_topics,
            p.large_topics / p.small_topics
        )
    }
}
