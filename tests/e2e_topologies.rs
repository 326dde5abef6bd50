//! End-to-end tests of replication topologies (issue: flows that share a principal and
//! clusters apply together and never take what a sibling still needs) with real Terraform
//! (1.0.3 and the one on PATH) against three in-process test brokers per test (`east`,
//! `west`, `hub`). One principal, `User:mm2`, runs every flow, as one MM2 deployment does.
//!
//! Judged by reading the brokers back, never the state: after every step the brokers hold
//! every binding and internal topic each remaining flow needs (computed by the provider's
//! planner, see `topologies`), and exactly those plus what existed before any flow.
//! Covered: active-active at Terraform's default parallelism (repeated on fresh brokers);
//! removing either flow of active-active, hub-and-spoke, fan-out, and of an MM2 flow and a
//! cluster link sharing a source cluster; the plan warning when bindings stay for their
//! other claimant (a shrink, and a removed flow on Terraform that plans destroys); two
//! states on one hub (sequential and concurrent, with a destroy's deletion held back until
//! the other state has claimed, and a destroy under metadata lag right after the other state
//! created the claims topic); the provider SIGKILLed mid-apply; `ownership = "state"`;
//! missing rights on the claims topic; internal topics that appear between plan and apply
//! (adopted, or an error naming both settings).

mod support;
mod topologies;

use kafka_testbroker::{AclOperation, ResourceType};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};
use support::process::{kill, Running};
use support::{for_each_terraform, Run, Terraform, Workdir};
use topologies::*;

/// Fresh-broker runs of the active-active first apply (its failure was intermittent).
const ACTIVE_ACTIVE_RUNS: usize = 3;

fn apply_json(dir: &Workdir) -> Run {
    dir.run(&["apply", "-auto-approve", "-json"])
}

/// `summary: detail` of the diagnostics of `severity` in a `-json` run.
fn diagnostics(run: &Run, severity: &str) -> Vec<String> {
    run.json_diagnostics()
        .iter()
        .filter(|d| d["severity"] == severity)
        .map(|d| {
            format!(
                "{}: {}",
                d["summary"].as_str().unwrap_or(""),
                d["detail"].as_str().unwrap_or("")
            )
        })
        .collect()
}

/// Applies and fails with the run's errors when it does not succeed; returns the run.
fn apply_ok(dir: &Workdir, when: &str) -> Run {
    let run = apply_json(dir);
    assert_eq!(
        run.code,
        0,
        "{when}: apply failed: {:#?}",
        diagnostics(&run, "error")
    );
    run
}

/// Whether `tf` asks the provider to plan destroys (Terraform 1.3 and later, for providers
/// with the `plan_destroy` capability), so a removed resource's plan can warn.
fn plans_destroys(tf: &Terraform) -> bool {
    let run = Workdir::plain(tf, "").ok(&["version", "-json"]);
    let version: serde_json::Value = serde_json::from_str(&run.stdout).expect("version JSON");
    let numbers: Vec<u64> = version["terraform_version"]
        .as_str()
        .expect("terraform_version")
        .split(['.', '-'])
        .take(2)
        .map(|part| part.parse().expect("a version number"))
        .collect();
    numbers >= vec![1, 3]
}

/// Fails unless `run` warned that bindings stay because `claimant` still claims them.
fn assert_still_claimed_warning(run: &Run, claimant: &Flow, when: &str) {
    let warnings = diagnostics(run, "warning");
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("still claimed by") && w.contains(&claimant.id())),
        "{when}: no \"still claimed by\" warning naming {}: {warnings:#?}",
        claimant.id()
    );
}

fn assert_plan_empty(dir: &Workdir, when: &str) {
    let run = dir.plan_exit_code();
    assert_eq!(
        run.code, 0,
        "{when}: the next plan must be empty\n{}{}",
        run.stdout, run.stderr
    );
}

/// Bindings seeded by hand before any flow: one the flows need (on the hub, or on `east`
/// for flows without the hub), one of `User:mm2` no flow needs, and another principal's.
fn seed_by_hand(clusters: &Clusters, needed_on: &str) -> (BTreeSet<Row>, BTreeSet<Row>) {
    let mm2 = clusters.seed(&[
        (
            needed_on,
            allow(MM2, ResourceType::Topic, "heartbeats", AclOperation::Create),
        ),
        (
            HUB,
            allow(MM2, ResourceType::Topic, "legacy-audit", AclOperation::Read),
        ),
    ]);
    let other = clusters.seed(&[
        (
            EAST,
            allow(OTHER, ResourceType::Topic, "orders", AclOperation::Read),
        ),
        (
            HUB,
            allow(OTHER, ResourceType::Group, "*", AclOperation::Read),
        ),
    ]);
    (mm2, other)
}

#[test]
fn active_active_first_apply_succeeds_every_time_and_the_next_plan_is_empty() {
    let east_to_west = Flow::new(EAST, WEST);
    let west_to_east = Flow::new(WEST, EAST);
    for_each_terraform(|tf| {
        for run in 1..=ACTIVE_ACTIVE_RUNS {
            let when = format!("{}, run {run}", tf.label);
            let clusters = Clusters::plaintext();
            let dir =
                Workdir::with_dev_overrides(tf, &clusters.config(&[&east_to_west, &west_to_east]));
            apply_ok(&dir, &when);
            clusters.assert_holds_needs(&[&east_to_west, &west_to_east], &when);
            clusters.assert_exactly(&[&east_to_west, &west_to_east], &BTreeSet::new(), &when);
            for key in [EAST, WEST] {
                assert_eq!(
                    clusters.topic_cleanup_policy(key, DEFAULT_CLAIMS_TOPIC),
                    Some(Some("compact".to_string())),
                    "{when}: the claims record on {key} is a compacted {DEFAULT_CLAIMS_TOPIC}"
                );
            }
            assert_plan_empty(&dir, &when);
        }
    });
}

/// Applies `first` and `second` together, removes `first` (the brokers keep all `second`
/// needs, at the end of that very apply, and on Terraform that plans destroys the removal
/// warns that the shared bindings stay for `second`), adds it back, then removes `second`.
fn removing_either_flow_keeps_the_others_needs(
    tf: &Terraform,
    clusters: &Clusters,
    dir: &Workdir,
    first: &Flow,
    second: &Flow,
) {
    let none = BTreeSet::new();
    let both = [first, second];
    let warns_on_destroy = plans_destroys(tf);
    dir.write("main.tf", &clusters.config(&both));
    apply_ok(dir, &format!("{}: both flows", tf.label));
    clusters.assert_exactly(&both, &none, &format!("{}: both flows", tf.label));
    for (removed, remaining) in [(first, second), (second, first)] {
        let when = format!("{}: {} removed", tf.label, removed.id());
        dir.write("main.tf", &clusters.config(&[remaining]));
        let run = apply_ok(dir, &when);
        if warns_on_destroy {
            assert_still_claimed_warning(&run, remaining, &when);
        }
        clusters.assert_holds_needs(&[remaining], &when);
        clusters.assert_exactly(&[remaining], &none, &when);
        assert_plan_empty(dir, &when);

        let when = format!("{}: {} back", tf.label, removed.id());
        dir.write("main.tf", &clusters.config(&both));
        apply_ok(dir, &when);
        clusters.assert_exactly(&both, &none, &when);
    }
}

#[test]
fn active_active_removing_either_flow_keeps_what_the_other_needs() {
    let east_to_west = Flow::new(EAST, WEST);
    let west_to_east = Flow::new(WEST, EAST);
    for_each_terraform(|tf| {
        let clusters = Clusters::plaintext();
        let dir = Workdir::with_dev_overrides(tf, "");
        removing_either_flow_keeps_the_others_needs(
            tf,
            &clusters,
            &dir,
            &east_to_west,
            &west_to_east,
        );

        // A shrink: without heartbeats east->west no longer needs its reverse herder's
        // bindings, but west->east still does. The plan says so, naming the claimant, and
        // the bindings stay.
        let shrunk = east_to_west.without_heartbeats();
        let left = east_to_west
            .needed_bindings()
            .difference(&shrunk.needed_bindings())
            .cloned()
            .collect::<BTreeSet<Row>>();
        let still_needed: BTreeSet<Row> = left
            .intersection(&west_to_east.needed_bindings())
            .cloned()
            .collect();
        assert!(
            !still_needed.is_empty(),
            "the shrink leaves bindings the other flow needs"
        );
        dir.write("main.tf", &clusters.config(&[&shrunk, &west_to_east]));
        let plan = dir.run(&["plan", "-json"]);
        assert_eq!(plan.code, 0, "{:#?}", diagnostics(&plan, "error"));
        assert_still_claimed_warning(&plan, &west_to_east, &tf.label);
        let when = format!("{}: east->west without heartbeats", tf.label);
        apply_ok(&dir, &when);
        clusters.assert_holds_needs(&[&west_to_east], &when);
        clusters.assert_exactly(&[&shrunk, &west_to_east], &BTreeSet::new(), &when);
        assert_plan_empty(&dir, &when);
    });
}

#[test]
fn hub_and_spoke_removing_either_spoke_keeps_what_the_other_needs() {
    for_each_terraform(|tf| {
        let clusters = Clusters::plaintext();
        let dir = Workdir::with_dev_overrides(tf, "");
        removing_either_flow_keeps_the_others_needs(
            tf,
            &clusters,
            &dir,
            &Flow::new(EAST, HUB),
            &Flow::new(WEST, HUB),
        );
    });
}

/// MM2 replicates `hub -> west` and a cluster link `hub -> east` mirrors `orders`, both as
/// `User:mm2`: they share the source-side READ and DESCRIBE_CONFIGS on `orders` in the hub's
/// claims record.
#[test]
fn mm2_and_a_cluster_link_on_one_cluster_removing_either_keeps_what_the_other_needs() {
    let mm2 = Flow::new(HUB, WEST);
    let link = Flow::link(HUB, EAST);
    assert!(
        !mm2.needed_bindings().is_disjoint(&link.needed_bindings()),
        "the flow and the link share bindings"
    );
    for_each_terraform(|tf| {
        let clusters = Clusters::plaintext();
        let dir = Workdir::with_dev_overrides(tf, "");
        removing_either_flow_keeps_the_others_needs(tf, &clusters, &dir, &mm2, &link);
    });
}

#[test]
fn fan_out_removing_either_flow_keeps_what_the_other_needs() {
    for_each_terraform(|tf| {
        let clusters = Clusters::plaintext();
        let dir = Workdir::with_dev_overrides(tf, "");
        removing_either_flow_keeps_the_others_needs(
            tf,
            &clusters,
            &dir,
            &Flow::new(HUB, EAST),
            &Flow::new(HUB, WEST),
        );
    });
}

/// Two working directories (two states, as two teams would have) on one hub.
fn two_states(tf: &Terraform, clusters: &Clusters, first: &Flow, second: &Flow) -> [Workdir; 2] {
    [first, second].map(|flow| Workdir::with_dev_overrides(tf, &clusters.config(&[flow])))
}

#[test]
fn two_states_destroying_one_keeps_the_others_needs_and_both_leave_the_seeded_bindings() {
    let east_to_hub = Flow::new(EAST, HUB);
    let west_to_hub = Flow::new(WEST, HUB);
    for_each_terraform(|tf| {
        let clusters = Clusters::plaintext();
        let (seeded, other) = seed_by_hand(&clusters, HUB);
        let [first, second] = two_states(tf, &clusters, &east_to_hub, &west_to_hub);
        apply_ok(&first, &format!("{}: first state", tf.label));
        apply_ok(&second, &format!("{}: second state", tf.label));
        let when = format!("{}: both states applied", tf.label);
        clusters.assert_holds_needs(&[&east_to_hub, &west_to_hub], &when);
        clusters.assert_exactly(&[&east_to_hub, &west_to_hub], &seeded, &when);

        first.destroy();
        let when = format!("{}: first state destroyed", tf.label);
        clusters.assert_holds_needs(&[&west_to_hub], &when);
        clusters.assert_exactly(&[&west_to_hub], &seeded, &when);
        assert_plan_empty(&second, &when);

        second.destroy();
        let when = format!("{}: both destroyed", tf.label);
        clusters.assert_exactly(
            &[],
            &seeded,
            &format!("{when}: exactly the bindings made before either state remain"),
        );
        assert_eq!(clusters.bindings_of(OTHER), other, "{when}");
    });
}

/// Waits (bounded) until `reached` holds while `child` runs, and hands the child back;
/// fails with the child's output when it ends first.
fn wait_while_running(mut child: Running, what: &str, reached: impl Fn() -> bool) -> Running {
    let deadline = Instant::now() + Duration::from_secs(120);
    while !reached() {
        if child.exited() {
            let run = child.finish();
            panic!(
                "terraform ended before {what}: {:#?}\n{}{}",
                diagnostics(&run, "error"),
                run.stdout,
                run.stderr
            );
        }
        assert!(Instant::now() < deadline, "no {what} within 120 s");
        std::thread::sleep(Duration::from_millis(20));
    }
    child
}

/// Runs `left` and `right` (terraform argument lists) in their workdirs at the same time.
fn at_once(left: (&Workdir, &[&str]), right: (&Workdir, &[&str])) -> [Run; 2] {
    let children = [left.0.spawn(left.1), right.0.spawn(right.1)];
    children.map(Running::finish)
}

#[test]
fn concurrent_applies_from_two_states_converge_and_a_concurrent_destroy_takes_nothing_needed() {
    /// How long `east` holds back each DeleteAcls of the destroying state: below the
    /// provider's timeout, above a typical apply of the other state (a slower apply only
    /// narrows the window the test aims at; it cannot fail the test).
    const HELD_BACK: Duration = Duration::from_secs(10);
    let east_to_hub = Flow::new(EAST, HUB);
    let west_to_hub = Flow::new(WEST, HUB);
    let apply: &[&str] = &["apply", "-auto-approve", "-json"];
    let destroy: &[&str] = &["destroy", "-auto-approve", "-json"];
    for_each_terraform(|tf| {
        let mut clusters = Clusters::plaintext();
        clusters.timeout_seconds = 60;
        let (seeded, other) = seed_by_hand(&clusters, HUB);
        let [first, second] = two_states(tf, &clusters, &east_to_hub, &west_to_hub);

        for run in at_once((&first, apply), (&second, apply)) {
            assert_eq!(
                run.code,
                0,
                "{}: concurrent apply failed: {:#?}",
                tf.label,
                diagnostics(&run, "error")
            );
        }
        let when = format!("{}: after concurrent applies", tf.label);
        clusters.assert_holds_needs(&[&east_to_hub, &west_to_hub], &when);
        clusters.assert_exactly(&[&east_to_hub, &west_to_hub], &seeded, &when);
        assert_plan_empty(&first, &when);
        assert_plan_empty(&second, &when);
        first.destroy();
        second.destroy();
        let when = format!("{}: both destroyed", tf.label);
        clusters.assert_exactly(&[], &seeded, &when);

        // The first state destroys while the second applies. The destroy reconciles `east`
        // (only it uses that cluster) before the hub, and `east` holds its DeleteAcls back
        // until the second state's apply has finished: that apply found the shared hub
        // bindings present and claimed them, and the destroy, which read the claims before,
        // deletes on the hub only afterwards. Nothing the second state needs may be lost.
        // (If the provider reconciled the hub first, the second apply would simply create
        // what is missing: the assertion holds either way.)
        apply_ok(&first, &format!("{}: first state again", tf.label));
        let east = clusters.broker(EAST).hooks();
        east.reset_counts();
        east.delay(DELETE_ACLS, HELD_BACK);
        let destroying =
            wait_while_running(first.spawn(destroy), "a DeleteAcls request on east", || {
                east.count(DELETE_ACLS) > 0
            });
        apply_ok(
            &second,
            &format!("{}: second state during the destroy", tf.label),
        );
        let destroyed = destroying.finish();
        east.delay(DELETE_ACLS, Duration::ZERO);
        assert_eq!(
            destroyed.code,
            0,
            "{}: destroy failed: {:#?}",
            tf.label,
            diagnostics(&destroyed, "error")
        );
        let when = format!("{}: destroy and apply at once", tf.label);
        clusters.assert_holds_needs(&[&west_to_hub], &when);
        clusters.assert_exactly(&[&west_to_hub], &seeded, &when);
        assert_plan_empty(&second, &when);
        second.destroy();
        clusters.assert_exactly(&[], &seeded, &format!("{}: end", tf.label));
        assert_eq!(clusters.bindings_of(OTHER), other, "{}: end", tf.label);
    });
}

#[test]
fn provider_killed_mid_apply_then_apply_then_destroy_leaves_no_binding_it_created() {
    /// Long enough for the kill to land while the request waits; the broker still processes
    /// it afterwards, as Kafka processes a request whose client went away.
    const HELD_BACK: Duration = Duration::from_secs(3);
    let flow = Flow::new(EAST, WEST);
    for_each_terraform(|tf| {
        let clusters = Clusters::plaintext();
        let (seeded, other) = seed_by_hand(&clusters, WEST);
        let dir = Workdir::with_dev_overrides(tf, &clusters.config(&[&flow]));
        dir.ok(&["plan", "-no-color", "-out=tfplan"]);
        for key in [EAST, WEST] {
            let hooks = clusters.broker(key).hooks();
            hooks.reset_counts();
            hooks.delay(CREATE_ACLS, HELD_BACK);
        }
        let apply = dir.spawn(&["apply", "-no-color", "tfplan"]);
        let reached_any = || {
            [EAST, WEST]
                .iter()
                .any(|key| clusters.broker(key).hooks().count(CREATE_ACLS) > 0)
        };
        let apply = wait_while_running(apply, "a CreateAcls request", reached_any);
        let provider = apply.provider().expect("the provider process of terraform");
        kill(provider);
        let killed = apply.finish();
        assert_ne!(killed.code, 0, "apply fails when its provider dies");
        // The dead provider sends nothing more: these are all the CreateAcls it sent.
        let reached: Vec<&str> = [EAST, WEST]
            .into_iter()
            .filter(|key| clusters.broker(key).hooks().count(CREATE_ACLS) > 0)
            .collect();
        // Each held-back CreateAcls still lands: the killed run created bindings.
        let deadline = Instant::now() + HELD_BACK + Duration::from_secs(30);
        while !reached.iter().all(|key| {
            clusters
                .bindings_of(MM2)
                .difference(&seeded)
                .any(|(cluster, _)| cluster == key)
        }) {
            assert!(
                Instant::now() < deadline,
                "the held-back CreateAcls never landed"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        for key in [EAST, WEST] {
            clusters
                .broker(key)
                .hooks()
                .delay(CREATE_ACLS, Duration::ZERO);
        }

        let when = format!("{}: apply after the kill", tf.label);
        apply_ok(&dir, &when);
        clusters.assert_holds_needs(&[&flow], &when);
        clusters.assert_exactly(&[&flow], &seeded, &when);
        assert_plan_empty(&dir, &when);
        dir.destroy();
        clusters.assert_exactly(
            &[],
            &seeded,
            &format!(
                "{}: destroy leaves only the bindings made by hand, none the killed run created",
                tf.label
            ),
        );
        assert_eq!(clusters.bindings_of(OTHER), other, "{}", tf.label);
    });
}

#[test]
fn state_ownership_keeps_working_without_a_claims_record() {
    let flow = Flow::new(EAST, WEST);
    for_each_terraform(|tf| {
        let mut clusters = Clusters::plaintext();
        for key in [EAST, WEST, HUB] {
            clusters
                .cluster_lines
                .insert(key, "    ownership         = \"state\"\n".to_string());
        }
        let (seeded, other) = seed_by_hand(&clusters, WEST);
        let dir = Workdir::with_dev_overrides(tf, &clusters.config(&[&flow]));
        let when = format!("{}: ownership = \"state\"", tf.label);
        apply_ok(&dir, &when);
        clusters.assert_holds_needs(&[&flow], &when);
        clusters.assert_exactly(&[&flow], &seeded, &when);
        assert_plan_empty(&dir, &when);
        dir.destroy();
        clusters.assert_exactly(&[], &seeded, &format!("{when}: destroyed"));
        assert_eq!(clusters.bindings_of(OTHER), other, "{when}");
        for key in [EAST, WEST] {
            assert_eq!(
                clusters.topic_cleanup_policy(key, DEFAULT_CLAIMS_TOPIC),
                None,
                "{when}: no claims record on {key}"
            );
        }
    });
}

/// Under metadata lag, a state destroyed right after the other state created the claims
/// topic keeps the other's bindings: two cluster links from `east` share its source-side
/// bindings. The first state applied with `ownership = "state"` (so no claims topic exists),
/// then the brokers' nodes start to trail their controllers by [`LAG`]; the second state
/// creates the claims topics and claims the shared bindings, and the first state, moved to
/// claims ownership, is destroyed at once. Its reads of `east`'s claims may reach a node that
/// does not list the topic yet: they must not be taken for "no claims" (which would delete
/// the shared bindings). Judged by reading the brokers back; repeated on fresh brokers, since
/// which node a read reaches varies.
#[test]
fn under_metadata_lag_a_destroy_right_after_the_claims_topic_appears_keeps_the_others_bindings() {
    /// How far the nodes trail: node 1 of 3 by 3/5 of it, which the second apply waits for
    /// before its claims are acknowledged; the later nodes longer than that plus a
    /// Terraform start.
    const LAG: Duration = Duration::from_secs(12);
    const RUNS: usize = 2;
    let first_link = Flow::link(EAST, WEST);
    let second_link = Flow::link(EAST, HUB);
    assert!(
        !first_link
            .needed_bindings()
            .is_disjoint(&second_link.needed_bindings()),
        "the links share bindings"
    );
    for_each_terraform(|tf| {
        for run in 1..=RUNS {
            let mut clusters = Clusters::plaintext();
            clusters.timeout_seconds = 60;
            for key in [EAST, WEST, HUB] {
                clusters
                    .cluster_lines
                    .insert(key, "    ownership         = \"state\"\n".to_string());
            }
            let first = Workdir::with_dev_overrides(tf, &clusters.config(&[&first_link]));
            apply_ok(&first, &format!("{}: first state", tf.label));
            clusters.cluster_lines.clear();
            first.write("main.tf", &clusters.config(&[&first_link]));
            for broker in clusters.brokers.values() {
                broker.set_metadata_lag(LAG);
            }
            let second = Workdir::with_dev_overrides(tf, &clusters.config(&[&second_link]));
            apply_ok(&second, &format!("{}: second state", tf.label));
            let destroyed = first.run(&["destroy", "-auto-approve", "-json"]);
            let when = format!("{} run {run}: first state destroyed under lag", tf.label);
            assert_eq!(
                destroyed.code,
                0,
                "{when}: {:#?}",
                diagnostics(&destroyed, "error")
            );
            clusters.assert_holds_needs(&[&second_link], &when);
            clusters.assert_exactly(&[&second_link], &BTreeSet::new(), &when);
        }
    });
}

#[test]
fn missing_rights_on_the_claims_topic_fail_the_plan_naming_cluster_topic_and_operation() {
    const USER: &str = "terraform";
    const CUSTOM_CLAIMS_TOPIC: &str = "team-a.kafkamirror-claims";
    let flow = Flow::new(EAST, WEST);
    for_each_terraform(|tf| {
        let mut clusters = Clusters::sasl(USER, "terraform-secret");
        // What planning and applying a flow needs without internal topics, and nothing on
        // the claims topics: DESCRIBE there comes from the all-topics grant.
        for key in [EAST, WEST, HUB] {
            for operation in [AclOperation::Alter, AclOperation::Describe] {
                clusters.broker(key).add_acl(allow(
                    &format!("User:{USER}"),
                    ResourceType::Cluster,
                    "kafka-cluster",
                    operation,
                ));
            }
            clusters.broker(key).add_acl(allow(
                &format!("User:{USER}"),
                ResourceType::Topic,
                "*",
                AclOperation::Describe,
            ));
        }
        clusters.cluster_lines.insert(
            WEST,
            format!("    claims_topic      = \"{CUSTOM_CLAIMS_TOPIC}\"\n"),
        );
        let flow_hcl = flow
            .hcl()
            .replace("}\n", "  manage_internal_topics = false\n}\n");
        let dir = Workdir::with_dev_overrides(tf, &(clusters.provider_hcl() + &flow_hcl));
        let plan = dir.run(&["plan", "-json"]);
        assert_eq!(
            plan.code, 1,
            "{}: plan must fail: {}",
            tf.label, plan.stdout
        );
        let errors = diagnostics(&plan, "error");
        for (cluster, topic) in [(EAST, DEFAULT_CLAIMS_TOPIC), (WEST, CUSTOM_CLAIMS_TOPIC)] {
            assert!(
                errors.iter().any(|e| e.contains(cluster)
                    && e.contains(topic)
                    && ["READ", "WRITE", "CREATE"].iter().any(|op| e.contains(op))),
                "{}: no error naming cluster \"{cluster}\", topic {topic} and the missing operation: {errors:#?}",
                tf.label
            );
        }
        assert!(
            clusters.bindings_of(MM2).is_empty(),
            "{}: nothing applied",
            tf.label
        );

        // The same principal plans fine with per-resource ownership.
        for key in [EAST, WEST, HUB] {
            clusters
                .cluster_lines
                .insert(key, "    ownership         = \"state\"\n".to_string());
        }
        dir.write("main.tf", &(clusters.provider_hcl() + &flow_hcl));
        let plan = dir.run(&["plan", "-json"]);
        assert_eq!(
            plan.code,
            0,
            "{}: with ownership = \"state\": {:#?}",
            tf.label,
            diagnostics(&plan, "error")
        );
    });
}

/// An internal topic that appears between plan and apply (made by another resource or by
/// MM2 itself) is adopted when it has the planned settings; otherwise apply fails with an
/// error naming the topic and both settings.
#[test]
fn internal_topics_created_between_plan_and_apply_are_adopted_or_named_with_both_settings() {
    for_each_terraform(|tf| {
        let clusters = Clusters::plaintext();
        let compact = || {
            [("cleanup.policy".to_string(), "compact".to_string())]
                .into_iter()
                .collect()
        };

        let flow = Flow::new(EAST, WEST);
        let dir = Workdir::with_dev_overrides(tf, &clusters.config(&[&flow]));
        dir.ok(&["plan", "-no-color", "-out=tfplan"]);
        let needs = flow.needs();
        let appeared = needs
            .topics
            .first()
            .expect("the flow plans internal topics");
        clusters.broker(&appeared.cluster).create_topic_direct(
            &appeared.name,
            appeared.partitions,
            appeared.replication_factor,
            compact(),
        );
        let when = format!("{}: {} appeared as planned", tf.label, appeared.name);
        let run = dir.run(&["apply", "-json", "tfplan"]);
        assert_eq!(run.code, 0, "{when}: {:#?}", diagnostics(&run, "error"));
        clusters.assert_holds_needs(&[&flow], &when);
        clusters.assert_exactly(&[&flow], &BTreeSet::new(), &when);
        assert_plan_empty(&dir, &when);

        let flow = Flow::new(HUB, EAST);
        let dir = Workdir::with_dev_overrides(tf, &clusters.config(&[&flow]));
        dir.ok(&["plan", "-no-color", "-out=tfplan"]);
        let needs = flow.needs();
        let conflicting = needs
            .topics
            .iter()
            .find(|t| t.partitions > 2)
            .expect("a planned internal topic with several partitions");
        let found_partitions = conflicting.partitions - 1;
        clusters.broker(&conflicting.cluster).create_topic_direct(
            &conflicting.name,
            found_partitions,
            conflicting.replication_factor,
            compact(),
        );
        let run = dir.run(&["apply", "-json", "tfplan"]);
        assert_eq!(run.code, 1, "{}: apply must fail: {}", tf.label, run.stdout);
        let errors = diagnostics(&run, "error");
        assert!(
            errors.iter().any(|e| e.contains(&conflicting.name)
                && e.contains(&found_partitions.to_string())
                && e.contains(&conflicting.partitions.to_string())),
            "{}: no error naming {} with {found_partitions} partitions found and {} planned: {errors:#?}",
            tf.label,
            conflicting.name,
            conflicting.partitions
        );
    });
}
