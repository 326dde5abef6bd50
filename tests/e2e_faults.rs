//! Fault tests through real Terraform: two in-process test brokers (`primary` and `dr`) with
//! fault hooks, the MM2 and cluster-link resources, and assertions on the brokers' ACLs, the
//! state and the diagnostics. Partial applies (per-binding rejections, a dropped connection
//! mid-batch, a cluster down), the provider killed mid-apply, ownership of pre-existing and
//! imported bindings, the self-lockout guard and plan-time preflight. Also a 50 000-topic load,
//! which drives the provider's `Resource` trait directly instead of Terraform (its comment
//! says why).
//!
//! Terraform tests run on 1.0.3 and the one on PATH, except the provider kill (the one on
//! PATH only, as its name says). The partial apply and the pre-existing bindings also run
//! with the brokers' metadata lagging behind their writes (`*_under_metadata_lag`).

mod support;

use kafka_testbroker::{
    AclOperation, AclPermission, AclRecord, BrokerConfig, PatternType, ResourceType, TestBroker,
};
use serde_json::Value as Json;
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};
use support::{for_each_terraform, state_resource, terraform_versions, Run, Terraform, Workdir};

/// Kafka API keys the tests count or fault.
const CREATE_ACLS: i16 = 30;
/// Kafka's INVALID_REQUEST, the per-binding error the tests inject.
const INVALID_REQUEST: i16 = 42;

const MM2: &str = "kafkamirror_mm2_replication_permissions.flow";

const HEADER: &str = r#"terraform {
  required_providers {
    kafkamirror = { source = "kafkamirror/kafkamirror" }
  }
}
"#;

/// One ACL binding as the brokers and the state both name it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Binding {
    principal: String,
    host: String,
    resource_type: String,
    resource_name: String,
    pattern_type: String,
    operation: String,
    permission: String,
}

impl From<&AclRecord> for Binding {
    fn from(record: &AclRecord) -> Self {
        Binding {
            principal: record.principal.clone(),
            host: record.host.clone(),
            resource_type: record.resource_type.to_string(),
            resource_name: record.name.clone(),
            pattern_type: record.pattern_type.to_string(),
            operation: record.operation.to_string(),
            permission: record.permission.to_string(),
        }
    }
}

fn allow(principal: &str, resource_type: ResourceType, name: &str, op: AclOperation) -> AclRecord {
    AclRecord {
        resource_type,
        name: name.to_string(),
        pattern_type: PatternType::Literal,
        principal: principal.to_string(),
        host: "*".to_string(),
        operation: op,
        permission: AclPermission::Allow,
    }
}

/// The two clusters, served by a runtime of their own while Terraform runs.
struct Clusters {
    runtime: tokio::runtime::Runtime,
    brokers: BTreeMap<&'static str, TestBroker>,
}

impl Clusters {
    /// PLAINTEXT brokers with an authorizer; the provider connects as `User:ANONYMOUS`, a super
    /// user.
    fn plaintext() -> Clusters {
        let config = BrokerConfig {
            nodes: 3,
            super_users: vec!["User:ANONYMOUS".to_string()],
            ..BrokerConfig::default()
        };
        Clusters::start([("primary", config.clone()), ("dr", config)])
    }

    fn start<const N: usize>(configs: [(&'static str, BrokerConfig); N]) -> Clusters {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let brokers = configs
            .into_iter()
            .map(|(alias, config)| {
                let broker = runtime
                    .block_on(TestBroker::start("127.0.0.1:0", config))
                    .expect("start a test broker");
                (alias, broker)
            })
            .collect();
        Clusters { runtime, brokers }
    }

    /// From now on every node of every broker answers reads from metadata up to `lag` behind
    /// its controller (what is committed already is on every node).
    fn lag_metadata(&self, lag: Duration) {
        for broker in self.brokers.values() {
            broker.set_metadata_lag(lag);
        }
    }

    fn broker(&self, alias: &str) -> &TestBroker {
        &self.brokers[alias]
    }

    /// Stops one cluster (its port closes; later connections are refused).
    fn stop(&mut self, alias: &str) -> String {
        let broker = self.brokers.remove(alias).expect("running broker");
        let bootstrap = broker.bootstrap();
        self.runtime.block_on(broker.shutdown());
        bootstrap
    }

    /// The provider block: one `cluster` per broker (PLAINTEXT), plus `extra` clusters.
    fn provider(&self, extra: &str) -> String {
        let clusters: String = self
            .brokers
            .iter()
            .map(|(alias, broker)| {
                format!(
                    "  cluster \"{alias}\" {{\n    bootstrap_servers = [\"{}\"]\n    timeout_seconds   = 10\n  }}\n",
                    broker.bootstrap()
                )
            })
            .collect();
        format!("{HEADER}provider \"kafkamirror\" {{\n{clusters}{extra}}}\n")
    }

    /// Every binding of every broker, per cluster.
    fn snapshot(&self) -> BTreeMap<String, Vec<Binding>> {
        self.brokers
            .iter()
            .map(|(alias, broker)| {
                (
                    alias.to_string(),
                    broker.acls().iter().map(Binding::from).collect(),
                )
            })
            .collect()
    }
}

/// `(cluster, binding)` of every binding in `snapshot`.
fn flatten(snapshot: &BTreeMap<String, Vec<Binding>>) -> BTreeSet<(String, Binding)> {
    snapshot
        .iter()
        .flat_map(|(cluster, bindings)| bindings.iter().map(|b| (cluster.clone(), b.clone())))
        .collect()
}

/// Fails when any cluster holds the same binding twice.
fn assert_no_duplicates(snapshot: &BTreeMap<String, Vec<Binding>>) {
    for (cluster, bindings) in snapshot {
        let unique: BTreeSet<&Binding> = bindings.iter().collect();
        assert_eq!(
            unique.len(),
            bindings.len(),
            "duplicate bindings on {cluster}"
        );
    }
}

/// Bindings in `after` and not in `before`.
fn created_between(
    before: &BTreeMap<String, Vec<Binding>>,
    after: &BTreeMap<String, Vec<Binding>>,
) -> BTreeSet<(String, Binding)> {
    flatten(after)
        .difference(&flatten(before))
        .cloned()
        .collect()
}

/// `(cluster, binding)` of the rows of a state or plan attribute (`acls`, `preexisting_acls`).
fn rows(values: &Json, attribute: &str) -> BTreeSet<(String, Binding)> {
    support::acls::acl_rows(&values[attribute])
        .into_iter()
        .map(|(cluster, binding)| {
            let binding = Binding {
                principal: binding.principal,
                host: binding.host,
                resource_type: binding.resource_type.to_string(),
                resource_name: binding.resource_name,
                pattern_type: binding.pattern_type.to_string(),
                operation: binding.operation.to_string(),
                permission: binding.permission.to_string(),
            };
            (cluster, binding)
        })
        .collect()
}

/// The `values` of `address` in the current state (via `terraform show -json`).
fn state_values(dir: &Workdir, address: &str) -> Json {
    state_resource(&dir.state_json(), address)["values"].clone()
}

/// Whether `address` is in the state.
fn in_state(dir: &Workdir, address: &str) -> bool {
    dir.state_json()["values"]["root_module"]["resources"]
        .as_array()
        .is_some_and(|resources| resources.iter().any(|r| r["address"] == address))
}

/// The bindings of `principal` the brokers hold.
fn bindings_of(clusters: &Clusters, principal: &str) -> BTreeSet<(String, Binding)> {
    flatten(&clusters.snapshot())
        .into_iter()
        .filter(|(_, binding)| binding.principal == principal)
        .collect()
}

/// Error diagnostics of a `-json` run as `summary: detail` lines.
fn errors(run: &Run) -> Vec<String> {
    run.json_diagnostics()
        .iter()
        .filter(|d| d["severity"] == "error")
        .map(|d| {
            format!(
                "{}: {}",
                d["summary"].as_str().unwrap_or(""),
                d["detail"].as_str().unwrap_or("")
            )
        })
        .collect()
}

fn warnings(run: &Run) -> Vec<String> {
    run.json_diagnostics()
        .iter()
        .filter(|d| d["severity"] == "warning")
        .map(|d| {
            format!(
                "{}: {}",
                d["summary"].as_str().unwrap_or(""),
                d["detail"].as_str().unwrap_or("")
            )
        })
        .collect()
}

/// An MM2 flow `primary -> dr` for `User:mm2` over `topics`, without internal topics
/// unless `extra` says otherwise.
fn mm2_flow(topics: &[String], extra: &str) -> String {
    let topics: Vec<String> = topics.iter().map(|t| format!("\"{t}\"")).collect();
    format!(
        "resource \"kafkamirror_mm2_replication_permissions\" \"flow\" {{\n  source_cluster = \"primary\"\n  target_cluster = \"dr\"\n  principal      = \"User:mm2\"\n  topics         = [{}]\n  groups         = [\"orders-app\"]\n{extra}}}\n",
        topics.join(", ")
    )
}

fn no_internal_topics() -> &'static str {
    "  manage_internal_topics = false\n"
}

fn names(prefix: &str, count: usize) -> Vec<String> {
    (0..count).map(|i| format!("{prefix}{i:05}")).collect()
}

/// Bindings of other principals, seeded on both clusters before the tests touch them; none
/// may change.
fn seed_unrelated(clusters: &Clusters) -> BTreeSet<(String, Binding)> {
    for alias in ["primary", "dr"] {
        let broker = clusters.broker(alias);
        broker.add_acl(allow(
            "User:other",
            ResourceType::Topic,
            "orders",
            AclOperation::Read,
        ));
        broker.add_acl(allow(
            "User:other",
            ResourceType::Group,
            "*",
            AclOperation::Read,
        ));
        broker.add_acl(allow(
            "User:other",
            ResourceType::Cluster,
            "kafka-cluster",
            AclOperation::Describe,
        ));
    }
    bindings_of(clusters, "User:other")
}

fn apply_json(dir: &Workdir) -> Run {
    dir.run(&["apply", "-auto-approve", "-json"])
}

/// Per-binding rejections: the accepted bindings are in the state, each refused one is an
/// error naming cluster, binding and Kafka's error; after the fault clears, the next apply
/// creates exactly the rest.
/// How far the brokers' nodes trail their controllers in the tests under metadata lag.
const LAG: Duration = Duration::from_millis(500);

#[test]
fn rejected_bindings_leave_truthful_state_and_the_next_apply_creates_the_rest() {
    for_each_terraform(|tf| rejected_bindings_then_converge(tf, Duration::ZERO));
}

/// The same partial apply and its convergence with every read lagging behind the writes.
#[test]
fn rejected_bindings_then_converge_under_metadata_lag() {
    for_each_terraform(|tf| rejected_bindings_then_converge(tf, LAG));
}

fn rejected_bindings_then_converge(tf: &Terraform, lag: Duration) {
    let clusters = Clusters::plaintext();
    let unrelated = seed_unrelated(&clusters);
    clusters.lag_metadata(lag);
    let mut topics = names("ok-", 3);
    topics.extend(names("rej-", 2));
    let dir = Workdir::with_dev_overrides(
        tf,
        &(clusters.provider("") + &mm2_flow(&topics, no_internal_topics())),
    );
    clusters
        .broker("primary")
        .hooks()
        .reject_acl_bindings("rej-", INVALID_REQUEST);

    let first = apply_json(&dir);
    assert_eq!(first.code, 1, "apply must fail: {}", first.stdout);
    let refused = errors(&first);
    // Two rejected topics, each needing READ and DESCRIBE_CONFIGS on the source.
    assert!(
        refused.len() >= 4
            && refused.iter().all(|e| e.contains("\"primary\"")
                && e.contains("rej-")
                && e.contains("INVALID_REQUEST")),
        "{refused:#?}"
    );
    let after_first = clusters.snapshot();
    assert_no_duplicates(&after_first);
    let on_brokers = bindings_of(&clusters, "User:mm2");
    assert!(on_brokers
        .iter()
        .all(|(_, b)| !b.resource_name.starts_with("rej-")));
    assert_eq!(
        rows(&state_values(&dir, MM2), "acls"),
        on_brokers,
        "the state lists exactly the bindings on the brokers"
    );

    // A create that failed leaves the resource tainted; untaint to finish, not replace.
    dir.ok(&["untaint", "-no-color", MM2]);
    clusters
        .broker("primary")
        .hooks()
        .clear_acl_binding_rejections();
    let second = apply_json(&dir);
    assert_eq!(second.code, 0, "{:#?}", errors(&second));
    let after_second = clusters.snapshot();
    assert_no_duplicates(&after_second);
    let created = created_between(&after_first, &after_second);
    assert!(
        !created.is_empty()
            && created
                .iter()
                .all(|(cluster, b)| cluster == "primary" && b.resource_name.starts_with("rej-")),
        "the second apply creates only the refused bindings: {created:#?}"
    );
    assert!(flatten(&after_first).is_subset(&flatten(&after_second)));
    assert_eq!(
        rows(&state_values(&dir, MM2), "acls"),
        bindings_of(&clusters, "User:mm2")
    );
    assert_eq!(dir.plan_exit_code().code, 0, "converged");
    assert_eq!(bindings_of(&clusters, "User:other"), unrelated);
}

/// Clusters are reconciled in the order of their keys: `dr` (the target), then `primary`
/// (the source). Faults aimed at `primary` therefore land mid-apply, after `dr` is done.
const SECOND_CLUSTER: &str = "primary";
const FIRST_CLUSTER: &str = "dr";

/// The connection drops on the second cluster's CreateAcls batch (the broker closes it
/// without processing the request): the first cluster's bindings are in the state, the error
/// names the cluster, and the next apply creates only the dropped batch's bindings.
#[test]
fn connection_dropped_mid_apply_is_reported_and_the_next_apply_creates_the_rest() {
    for_each_terraform(|tf| {
        let clusters = Clusters::plaintext();
        let unrelated = seed_unrelated(&clusters);
        let dir = Workdir::with_dev_overrides(
            tf,
            &(clusters.provider("") + &mm2_flow(&names("t-", 5), no_internal_topics())),
        );
        clusters
            .broker(SECOND_CLUSTER)
            .hooks()
            .drop_connection_on(CREATE_ACLS, 0);

        let first = apply_json(&dir);
        assert_eq!(first.code, 1, "apply must fail: {}", first.stdout);
        let failures = errors(&first);
        assert!(
            failures
                .iter()
                .any(|e| e.contains(&format!("\"{SECOND_CLUSTER}\""))),
            "the error names the cluster: {failures:#?}"
        );
        let after_first = clusters.snapshot();
        assert_no_duplicates(&after_first);
        let created_first = bindings_of(&clusters, "User:mm2");
        assert!(
            !created_first.is_empty() && created_first.iter().all(|(c, _)| c == FIRST_CLUSTER),
            "the first cluster is done, the dropped batch was not applied: {created_first:#?}"
        );
        assert_eq!(rows(&state_values(&dir, MM2), "acls"), created_first);

        dir.ok(&["untaint", "-no-color", MM2]);
        let second = apply_json(&dir);
        assert_eq!(second.code, 0, "{:#?}", errors(&second));
        let after_second = clusters.snapshot();
        assert_no_duplicates(&after_second);
        let created = created_between(&after_first, &after_second);
        assert!(
            !created.is_empty() && created.iter().all(|(cluster, _)| cluster == SECOND_CLUSTER),
            "the second apply creates only the dropped batch: {created:#?}"
        );
        assert_eq!(
            rows(&state_values(&dir, MM2), "acls"),
            bindings_of(&clusters, "User:mm2")
        );
        assert_eq!(dir.plan_exit_code().code, 0, "converged");
        assert_eq!(bindings_of(&clusters, "User:other"), unrelated);
    });
}

/// Waits until `broker` has received a CreateAcls request.
fn wait_for_create_acls(broker: &TestBroker) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while broker.hooks().count(CREATE_ACLS) == 0 {
        assert!(Instant::now() < deadline, "no CreateAcls request came");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn plaintext_super_anonymous() -> BrokerConfig {
    BrokerConfig {
        nodes: 3,
        super_users: vec!["User:ANONYMOUS".to_string()],
        ..BrokerConfig::default()
    }
}

/// The second cluster goes down while the first one's CreateAcls is in flight: the first is
/// reconciled, the error names the down cluster, the state lists what exists, and once the
/// cluster is back the next apply creates only its bindings. (A cluster already down when
/// the apply starts is caught by the plan-time preflight: see the preflight test.)
#[test]
fn one_cluster_down_mid_apply_leaves_the_other_done_and_the_next_apply_finishes() {
    for_each_terraform(|tf| {
        let mut clusters = Clusters::plaintext();
        let dir = Workdir::with_dev_overrides(
            tf,
            &(clusters.provider("") + &mm2_flow(&names("t-", 5), no_internal_topics())),
        );
        let first_hooks = clusters.broker(FIRST_CLUSTER).hooks();
        first_hooks.reset_counts();
        first_hooks.delay(CREATE_ACLS, Duration::from_secs(2));
        let apply = dir.spawn(&["apply", "-auto-approve", "-json"]);
        wait_for_create_acls(clusters.broker(FIRST_CLUSTER));
        let down_bootstrap = clusters.stop(SECOND_CLUSTER);
        let first = apply.finish();
        assert_eq!(first.code, 1, "apply must fail: {}", first.stdout);
        let failures = errors(&first);
        assert!(
            failures
                .iter()
                .any(|e| e.contains(&format!("\"{SECOND_CLUSTER}\""))),
            "the error names the down cluster: {failures:#?}"
        );
        let on_brokers = bindings_of(&clusters, "User:mm2");
        assert!(
            !on_brokers.is_empty() && on_brokers.iter().all(|(c, _)| c == FIRST_CLUSTER),
            "the first cluster is reconciled: {on_brokers:#?}\n{failures:#?}"
        );
        assert_eq!(rows(&state_values(&dir, MM2), "acls"), on_brokers);

        // The cluster comes back on the same address (empty, as a rebuilt cluster would be).
        let back = clusters
            .runtime
            .block_on(TestBroker::start(
                &down_bootstrap,
                plaintext_super_anonymous(),
            ))
            .expect("restart the cluster");
        clusters.brokers.insert(SECOND_CLUSTER, back);
        let unrelated = seed_unrelated(&clusters);
        let before = clusters.snapshot();
        dir.ok(&["untaint", "-no-color", MM2]);
        let second = apply_json(&dir);
        assert_eq!(second.code, 0, "{:#?}", errors(&second));
        let after = clusters.snapshot();
        assert_no_duplicates(&after);
        let created = created_between(&before, &after);
        assert!(!created.is_empty() && created.iter().all(|(c, _)| c == SECOND_CLUSTER));
        assert_eq!(
            rows(&state_values(&dir, MM2), "acls"),
            bindings_of(&clusters, "User:mm2")
        );
        assert_eq!(bindings_of(&clusters, "User:other"), unrelated);
    });
}

/// SIGKILL of the provider between the clusters' batches (the second cluster's CreateAcls is
/// held back so the kill lands there): the next apply converges with no error and no duplicate.
/// Runs on the Terraform on PATH only (slow).
#[test]
fn provider_killed_mid_apply_then_next_apply_converges_terraform_on_path() {
    let tf = terraform_versions().pop().expect("terraform on PATH");
    let clusters = Clusters::plaintext();
    let unrelated = seed_unrelated(&clusters);
    let dir = Workdir::with_dev_overrides(
        &tf,
        &(clusters.provider("") + &mm2_flow(&names("t-", 5), no_internal_topics())),
    );
    dir.ok(&["plan", "-no-color", "-out=tfplan"]);
    let second = clusters.broker(SECOND_CLUSTER).hooks();
    second.reset_counts();
    second.delay(CREATE_ACLS, Duration::from_secs(60));

    let apply = dir.spawn(&["apply", "-no-color", "tfplan"]);
    wait_for_create_acls(clusters.broker(SECOND_CLUSTER));
    let first_done = bindings_of(&clusters, "User:mm2");
    assert!(
        !first_done.is_empty() && first_done.iter().all(|(c, _)| c == FIRST_CLUSTER),
        "the first cluster's batch is done before the second's"
    );
    let provider = apply.provider().expect("the provider process of terraform");
    support::process::kill(provider);
    assert_ne!(apply.finish().code, 0, "apply fails when its provider dies");

    second.delay(CREATE_ACLS, Duration::ZERO);
    let before = clusters.snapshot();
    let again = apply_json(&dir);
    assert_eq!(again.code, 0, "{:#?}", errors(&again));
    let after = clusters.snapshot();
    assert_no_duplicates(&after);
    assert!(flatten(&before).is_subset(&flatten(&after)));
    assert_eq!(dir.plan_exit_code().code, 0, "converged");
    assert_eq!(
        rows(&state_values(&dir, MM2), "acls"),
        bindings_of(&clusters, "User:mm2")
    );
    assert_eq!(bindings_of(&clusters, "User:other"), unrelated);
}

/// Bindings that existed before the resource are reported at plan time, recorded in
/// `preexisting_acls`, and survive both a shrink and destroy; the resource's own bindings are
/// removed, unrelated ones untouched.
#[test]
fn preexisting_bindings_survive_shrink_and_destroy() {
    for_each_terraform(|tf| preexisting_bindings_survive(tf, Duration::ZERO));
}

/// The same with every read lagging behind the writes (the bindings made by hand are on
/// every node before the resource first reads).
#[test]
fn preexisting_bindings_survive_shrink_and_destroy_under_metadata_lag() {
    for_each_terraform(|tf| preexisting_bindings_survive(tf, LAG));
}

fn preexisting_bindings_survive(tf: &Terraform, lag: Duration) {
    let clusters = Clusters::plaintext();
    let unrelated = seed_unrelated(&clusters);
    let seeded = allow(
        "User:mm2",
        ResourceType::Topic,
        "t-00000",
        AclOperation::Read,
    );
    clusters.broker("primary").add_acl(seeded.clone());
    clusters.lag_metadata(lag);
    let seeded_key = ("primary".to_string(), Binding::from(&seeded));
    let main_tf =
        |count| clusters.provider("") + &mm2_flow(&names("t-", count), no_internal_topics());
    let dir = Workdir::with_dev_overrides(tf, &main_tf(2));

    let plan = dir.run(&["plan", "-json"]);
    assert_eq!(plan.code, 0, "{:#?}", errors(&plan));
    let warned = warnings(&plan);
    assert!(
        warned
            .iter()
            .any(|w| w.starts_with("ACLs already exist") && w.contains("t-00000")),
        "the plan says the binding is pre-existing: {warned:#?}"
    );
    dir.apply();
    let state = state_values(&dir, MM2);
    assert_eq!(
        rows(&state, "preexisting_acls"),
        BTreeSet::from([seeded_key.clone()])
    );
    assert!(rows(&state, "acls").contains(&seeded_key));

    // Shrink to t-00001 only: the owned t-00000 bindings go, the pre-existing one stays.
    dir.write(
        "main.tf",
        &main_tf(0).replace("topics         = []", "topics         = [\"t-00001\"]"),
    );
    dir.apply();
    let left = bindings_of(&clusters, "User:mm2");
    assert!(left.contains(&seeded_key));
    assert_eq!(
        left.iter()
            .filter(|(_, b)| b.resource_name.contains("t-00000"))
            .collect::<Vec<_>>(),
        vec![&seeded_key],
        "only the pre-existing t-00000 binding is left"
    );

    dir.destroy();
    assert_eq!(
        bindings_of(&clusters, "User:mm2"),
        BTreeSet::from([seeded_key.clone()]),
        "destroy removes every owned binding and keeps the pre-existing one"
    );
    assert_eq!(bindings_of(&clusters, "User:other"), unrelated);
}

/// `terraform import` adopts a principal's bindings as owned: destroy removes them.
#[test]
fn imported_bindings_are_owned_and_removed_on_destroy() {
    for_each_terraform(|tf| {
        let clusters = Clusters::plaintext();
        let unrelated = seed_unrelated(&clusters);
        for alias in ["primary", "dr"] {
            clusters.broker(alias).add_acl(allow(
                "User:mm2",
                ResourceType::Topic,
                "legacy",
                AclOperation::Read,
            ));
        }
        let adopted = bindings_of(&clusters, "User:mm2");
        let dir = Workdir::with_dev_overrides(
            tf,
            &(clusters.provider("") + &mm2_flow(&names("t-", 1), no_internal_topics())),
        );
        dir.ok(&["import", "-no-color", MM2, "primary:dr:User:mm2"]);
        let state = state_values(&dir, MM2);
        assert_eq!(rows(&state, "acls"), adopted);
        assert!(
            rows(&state, "preexisting_acls").is_empty(),
            "imported = owned"
        );

        // Apply replaces the adopted bindings the flow does not need with those it needs.
        dir.apply();
        let applied = bindings_of(&clusters, "User:mm2");
        assert!(applied.iter().all(|(_, b)| b.resource_name != "legacy"));
        dir.destroy();
        assert!(bindings_of(&clusters, "User:mm2").is_empty());
        assert!(!in_state(&dir, MM2));
        assert_eq!(bindings_of(&clusters, "User:other"), unrelated);
    });
}

const PROVIDER_USER: &str = "terraform";
const PROVIDER_PASSWORD: &str = "terraform-secret";

/// SASL brokers whose only user, the provider's, is not a super user: its rights come from
/// ACLs only.
fn sasl_clusters(nodes: i32) -> Clusters {
    let config = BrokerConfig {
        nodes,
        users: vec![(PROVIDER_USER.to_string(), PROVIDER_PASSWORD.to_string())],
        super_users: Vec::new(),
        authorizer: true,
        ..BrokerConfig::default()
    };
    Clusters::start([("primary", config.clone()), ("dr", config)])
}

/// A provider block for SASL brokers (SCRAM-SHA-512 as the provider's user).
fn sasl_provider(clusters: &Clusters) -> String {
    let blocks: String = clusters
        .brokers
        .iter()
        .map(|(alias, broker)| {
            format!(
                "  cluster \"{alias}\" {{\n    bootstrap_servers = [\"{}\"]\n    timeout_seconds   = 10\n    sasl {{\n      mechanism = \"SCRAM-SHA-512\"\n      username  = \"{PROVIDER_USER}\"\n      password  = \"{PROVIDER_PASSWORD}\"\n    }}\n  }}\n",
                broker.bootstrap()
            )
        })
        .collect();
    format!("{HEADER}provider \"kafkamirror\" {{\n{blocks}}}\n")
}

/// The provider connects as `User:terraform`, which holds exactly ALTER and DESCRIBE on both
/// clusters through ACLs, plus DESCRIBE on all topics (import reads the flow's internal
/// topics, and a topic it may not describe is an error) and CREATE, READ and WRITE on the
/// claims topic. A resource that manages
/// `User:terraform`'s bindings (adopted by import) and would delete some of those is refused
/// at plan time, and nothing is deleted.
#[test]
fn self_lockout_is_refused_with_an_explanation() {
    for_each_terraform(|tf| {
        let clusters = sasl_clusters(3);
        for alias in ["primary", "dr"] {
            for operation in [AclOperation::Alter, AclOperation::Describe] {
                clusters.broker(alias).add_acl(allow(
                    "User:terraform",
                    ResourceType::Cluster,
                    "kafka-cluster",
                    operation,
                ));
            }
            clusters.broker(alias).add_acl(allow(
                "User:terraform",
                ResourceType::Topic,
                "*",
                AclOperation::Describe,
            ));
            // The claims record the provider keeps on each cluster.
            for operation in [
                AclOperation::Create,
                AclOperation::Read,
                AclOperation::Write,
            ] {
                clusters.broker(alias).add_acl(allow(
                    "User:terraform",
                    ResourceType::Topic,
                    "_kafkamirror-claims",
                    operation,
                ));
            }
        }
        let rights = bindings_of(&clusters, "User:terraform");
        let flow =
            mm2_flow(&names("t-", 1), no_internal_topics()).replace("User:mm2", "User:terraform");
        let dir = Workdir::with_dev_overrides(tf, &(sasl_provider(&clusters) + &flow));
        dir.ok(&["import", "-no-color", MM2, "primary:dr:User:terraform"]);

        for run in [
            dir.run(&["plan", "-json"]),
            dir.run(&["apply", "-auto-approve", "-json"]),
        ] {
            assert_eq!(run.code, 1, "{}", run.stdout);
            let refused = errors(&run);
            let lockout = refused
                .iter()
                .find(|e| e.starts_with("Refusing to lock the provider out"))
                .unwrap_or_else(|| panic!("no lockout refusal in {refused:#?}"));
            assert!(
                lockout.contains("User:terraform")
                    && lockout.contains("lock itself out")
                    && lockout.contains("ALTER"),
                "{lockout}"
            );
        }
        assert_eq!(
            bindings_of(&clusters, "User:terraform"),
            rights,
            "nothing deleted"
        );
    });
}

/// The diagnostics of a plan that must fail, as `summary: detail` lines.
fn failed_plan(dir: &Workdir) -> Vec<String> {
    let run = dir.run(&["plan", "-json"]);
    assert_eq!(run.code, 1, "plan must fail: {}", run.stdout);
    errors(&run)
}

fn assert_has(diagnostics: &[String], summary: &str, detail: &str) {
    assert!(
        diagnostics
            .iter()
            .any(|d| d.starts_with(summary) && d.contains(detail)),
        "no {summary:?} with {detail:?} in {diagnostics:#?}"
    );
}

/// Each preflight finding is a plan-time error, before anything changes on the clusters.
#[test]
fn preflight_reports_at_plan_time() {
    for_each_terraform(|tf| {
        // Replication factor above the broker count (one broker, internal topics need 3).
        let single = {
            let config = BrokerConfig {
                nodes: 1,
                ..plaintext_super_anonymous()
            };
            Clusters::start([("primary", config.clone()), ("dr", config)])
        };
        let dir = Workdir::with_dev_overrides(
            tf,
            &(single.provider("") + &mm2_flow(&names("t-", 1), "")),
        );
        assert_has(
            &failed_plan(&dir),
            "Replication factor above the broker count",
            "1 broker",
        );

        // No authorizer on the target.
        let no_authorizer = Clusters::start([
            ("primary", plaintext_super_anonymous()),
            (
                "dr",
                BrokerConfig {
                    authorizer: false,
                    ..plaintext_super_anonymous()
                },
            ),
        ]);
        let dir = Workdir::with_dev_overrides(
            tf,
            &(no_authorizer.provider("") + &mm2_flow(&names("t-", 1), no_internal_topics())),
        );
        assert_has(&failed_plan(&dir), "Cluster has no authorizer", "\"dr\"");

        // The provider's principal has no rights on the clusters.
        let unprivileged = sasl_clusters(3);
        let dir = Workdir::with_dev_overrides(
            tf,
            &(sasl_provider(&unprivileged) + &mm2_flow(&names("t-", 1), no_internal_topics())),
        );
        assert_has(
            &failed_plan(&dir),
            "The provider's principal lacks the cluster permissions apply needs",
            "ALTER",
        );

        // An existing internal topic with another replication factor than planned.
        let clusters = Clusters::plaintext();
        let dir = Workdir::with_dev_overrides(
            tf,
            &(clusters.provider("") + &mm2_flow(&names("t-", 1), "")),
        );
        let plan = dir.plan_json();
        let topic = plan["resource_changes"][0]["change"]["after"]["internal_topics"]
            .as_object()
            .and_then(|topics| topics.values().next())
            .expect("a planned internal topic")
            .clone();
        let (cluster, name) = (
            topic["cluster"].as_str().expect("a planned internal topic"),
            topic["name"].as_str().unwrap(),
        );
        let partitions = topic["partitions"].as_i64().unwrap() as i32;
        clusters
            .broker(cluster)
            .create_topic_direct(name, partitions, 1, BTreeMap::new());
        assert_has(
            &failed_plan(&dir),
            "Internal topic conflicts with the plan",
            name,
        );
        for clusters in [&single, &no_authorizer, &unprivileged, &clusters] {
            assert!(
                flatten(&clusters.snapshot()).is_empty(),
                "nothing was applied"
            );
        }
    });
}

/// An address nobody listens on (a port bound and released).
fn closed_address() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap().to_string();
    drop(listener);
    address
}

/// An unreachable cluster at plan time is an error naming the alias and the servers, within
/// `timeout_seconds` plus a few seconds.
#[test]
fn unreachable_cluster_at_plan_time_is_named_within_the_timeout() {
    const TIMEOUT_SECONDS: u64 = 3;
    /// Terraform's own start-up and the provider's launch, on a busy machine.
    const SLACK: Duration = Duration::from_secs(8);
    for_each_terraform(|tf| {
        let clusters = Clusters::start([("primary", plaintext_super_anonymous())]);
        let address = closed_address();
        let extra = format!(
            "  cluster \"dr\" {{\n    bootstrap_servers = [\"{address}\"]\n    timeout_seconds   = {TIMEOUT_SECONDS}\n  }}\n"
        );
        let dir = Workdir::with_dev_overrides(
            tf,
            &(clusters.provider(&extra) + &mm2_flow(&names("t-", 1), no_internal_topics())),
        );
        let started = Instant::now();
        let diagnostics = failed_plan(&dir);
        let elapsed = started.elapsed();
        assert_has(&diagnostics, "Cannot connect to Kafka cluster", &address);
        assert_has(&diagnostics, "Cannot connect to Kafka cluster", "\"dr\"");
        assert!(
            elapsed < Duration::from_secs(TIMEOUT_SECONDS) + SLACK,
            "plan took {elapsed:?}"
        );
    });
}

/// Load: one MM2 resource with 50 000 literal topics (about 300 000 bindings) applies and
/// refreshes against the brokers, every request below Kafka's default request size limit and
/// none timing out.
///
/// This drives the resource through the provider's own `Resource` trait (the code behind
/// Terraform's PlanResourceChange, ApplyResourceChange and ReadResource), not through
/// Terraform: Terraform itself needs minutes for a set of a few thousand objects and grows
/// quadratically (measured: a pure-HCL set of 6 000 such objects, 33 s; 24 000, 451 s). The
/// attributes are maps for that reason, but a Terraform run of 300 000 bindings would still
/// spend most of its time in Terraform, not in the code under test.
#[test]
fn fifty_thousand_topics_apply_and_refresh_within_kafka_request_limits() {
    use kafkamirror::provider::KafkamirrorProvider;
    use tfplugin::{ApplyRequest, Ctx, Diagnostics, Number, PlanRequest, Provider, Type, Value};
    const TOPICS: usize = 50_000;

    let clusters = Clusters::plaintext();
    let runtime = &clusters.runtime;
    let provider = KafkamirrorProvider;
    let cluster_block = |broker: &TestBroker| {
        Value::Object(BTreeMap::from([
            (
                "bootstrap_servers".to_string(),
                Value::List(vec![Value::string(broker.bootstrap())]),
            ),
            (
                "timeout_seconds".to_string(),
                Value::Number(Number::from_i64(30)),
            ),
            ("tls".to_string(), Value::Null),
            ("sasl".to_string(), Value::Null),
        ]))
    };
    let provider_config = BTreeMap::from([(
        "cluster".to_string(),
        Value::Map(
            clusters
                .brokers
                .iter()
                .map(|(alias, broker)| (alias.to_string(), cluster_block(broker)))
                .collect(),
        ),
    )]);
    let cancel = tokio_util::sync::CancellationToken::new();
    let mut diags = Diagnostics::new();
    let state = runtime
        .block_on(provider.configure(&provider_config, &cancel, &mut diags))
        .unwrap_or_else(|| panic!("configure: {diags:?}"));
    let resource = provider
        .resources()
        .into_iter()
        .find(|r| r.type_name() == "kafkamirror_mm2_replication_permissions")
        .expect("the MM2 resource");
    let Type::Object(attributes) = resource.schema().block.value_type() else {
        panic!("a resource schema is an object")
    };
    let mut config: BTreeMap<String, Value> = attributes
        .keys()
        .map(|k| (k.clone(), Value::Null))
        .collect();
    config.insert("source_cluster".into(), Value::string("primary"));
    config.insert("target_cluster".into(), Value::string("dr"));
    config.insert("principal".into(), Value::string("User:mm2"));
    config.insert(
        "topics".into(),
        Value::List(names("t-", TOPICS).into_iter().map(Value::String).collect()),
    );
    config.insert("manage_internal_topics".into(), Value::Bool(false));
    for broker in clusters.brokers.values() {
        broker.hooks().reset_counts();
    }

    let ctx = || Ctx {
        provider: &state,
        cancel: &cancel,
    };
    let started = Instant::now();
    let mut diags = Diagnostics::new();
    let planned = runtime
        .block_on(resource.plan(
            ctx(),
            PlanRequest {
                prior: None,
                proposed: config.clone(),
                config: config.clone(),
            },
            &mut diags,
        ))
        .unwrap_or_else(|| panic!("plan: {diags:?}"));
    assert!(!diags.has_errors(), "plan: {diags:?}");
    let applied = runtime
        .block_on(resource.apply(
            ctx(),
            ApplyRequest {
                prior: None,
                planned: Some(planned.planned),
                config: Some(config),
            },
            &mut diags,
        ))
        .expect("apply returns state");
    assert!(!diags.has_errors(), "apply: {diags:?}");
    let refreshed = runtime
        .block_on(resource.read(ctx(), applied.clone(), &mut diags))
        .expect("refresh returns state");
    assert!(!diags.has_errors(), "refresh: {diags:?}");
    eprintln!(
        "plan + apply + refresh of {TOPICS} topics: {:?}",
        started.elapsed()
    );

    let on_brokers = bindings_of(&clusters, "User:mm2");
    // The resource writes its row maps encoded (`Value::Encoded`).
    let count = |state: &BTreeMap<String, Value>| match &state["acls"] {
        Value::Encoded(bytes) => tfplugin::codec::MsgpackReader::new(bytes)
            .next_map_len()
            .expect("acls is a map"),
        Value::Map(rows) => rows.len(),
        _ => panic!("acls is neither a map nor an encoded map"),
    };
    assert!(
        on_brokers.len() >= 2 * TOPICS,
        "{} bindings",
        on_brokers.len()
    );
    assert_eq!(count(&applied), on_brokers.len(), "state after apply");
    assert_eq!(count(&refreshed), on_brokers.len(), "state after refresh");
    assert_no_duplicates(&clusters.snapshot());
    for (alias, broker) in &clusters.brokers {
        let largest = broker.hooks().largest_requests();
        let counts = broker.hooks().counts();
        eprintln!("{alias}: requests {counts:?}, largest {largest:?}");
        for (api, bytes) in &largest {
            assert!(
                *bytes < kafka_testbroker::MAX_REQUEST_BYTES,
                "{alias}: a {api} request of {bytes} bytes"
            );
        }
        let stored = on_brokers.iter().filter(|(c, _)| c == alias).count() as u64;
        assert!(
            counts["CreateAcls"] >= stored.div_ceil(5_000),
            "{alias}: {stored} bindings need batches of at most 5 000"
        );
    }
}
