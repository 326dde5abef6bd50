//! End-to-end under Kafka's timing: both resources through real Terraform (1.0.3 and the one
//! on PATH) against test brokers whose nodes answer reads from metadata up to [`LAG`] behind
//! their controller (`TestBroker::set_metadata_lag`). Apply, a change applied right after,
//! an empty plan right after that, destroy right after an apply: the state records exactly
//! what the clusters hold, and destroy removes everything the resource owns. The clusters are read
//! back through the controller's snapshots (with real clusters: until they show it).

mod support;

use kafkamirror::model::acl::AclBinding;
use serde_json::Value as Json;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;
use support::acls::acl_rows;
use support::clusters::{eventually, lagging_clusters, unique, Clusters, TopicState};
use support::clusters::{SOURCE, TARGET};
use support::*;

/// How far the brokers' nodes trail their controllers: a few hundred milliseconds, more than
/// a Terraform command needs to start and reach the provider's first read.
const LAG: Duration = Duration::from_millis(500);

const HEADER: &str = r#"terraform {
  required_providers {
    kafkamirror = { source = "kafkamirror/kafkamirror" }
  }
}
"#;

fn clusters() -> &'static Clusters {
    lagging_clusters(LAG)
}

/// The bindings of `principal` both clusters hold.
fn held(principal: &str) -> BTreeSet<(String, AclBinding)> {
    let principals = BTreeSet::from([principal.to_string()]);
    [SOURCE, TARGET]
        .iter()
        .flat_map(|key| {
            clusters()
                .acls_of(key, &principals)
                .into_iter()
                .map(move |binding| (key.to_string(), binding))
        })
        .collect()
}

/// `(cluster, name) -> topic` of the `internal_topics` rows in state JSON.
fn topic_rows(value: &Json) -> BTreeMap<(String, String), TopicState> {
    value
        .as_object()
        .map(|rows| {
            rows.values()
                .map(|row| {
                    let topic = TopicState {
                        partitions: row["partitions"].as_i64().unwrap() as i32,
                        replication_factor: row["replication_factor"].as_i64().unwrap() as i16,
                        cleanup_policy: row["configs"]["cleanup.policy"]
                            .as_str()
                            .map(str::to_string),
                    };
                    let text = |key: &str| row[key].as_str().unwrap().to_string();
                    ((text("cluster"), text("name")), topic)
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The named topics both clusters hold.
fn held_topics(names: &BTreeSet<(String, String)>) -> BTreeMap<(String, String), TopicState> {
    [SOURCE, TARGET]
        .iter()
        .flat_map(|key| {
            let on_cluster: Vec<String> = names
                .iter()
                .filter(|(cluster, _)| cluster == key)
                .map(|(_, name)| name.clone())
                .collect();
            clusters()
                .topics(key, &on_cluster)
                .into_iter()
                .map(move |(name, topic)| ((key.to_string(), name), topic))
        })
        .collect()
}

/// A resource's body for a topic list.
type BodyFor = Box<dyn Fn(&[String]) -> String>;

/// One resource under test: its type, principal and body for a topic list.
struct Case {
    resource_type: &'static str,
    principal: String,
    body: BodyFor,
}

fn config(case: &Case, topics: &[String]) -> String {
    format!(
        "{HEADER}{}resource \"{}\" \"flow\" {{\n{}}}\n",
        clusters().provider_hcl(),
        case.resource_type,
        (case.body)(topics)
    )
}

/// The state of `address` as the clusters must hold it: its bindings and internal topics.
fn assert_recorded_as_held(dir: &Workdir, address: &str, principal: &str) {
    let values = state_resource(&dir.state_json(), address)["values"].clone();
    let recorded = acl_rows(&values["acls"]);
    assert!(!recorded.is_empty(), "the state records the bindings");
    assert_eq!(
        eventually(&recorded, || held(principal)),
        recorded,
        "the state records exactly the bindings the clusters hold"
    );
    let topics = topic_rows(&values["internal_topics"]);
    let names: BTreeSet<(String, String)> = topics.keys().cloned().collect();
    assert_eq!(
        eventually(&topics, || held_topics(&names)),
        topics,
        "the state records the internal topics as the clusters hold them"
    );
}

/// Each Terraform command right after the one before (nothing between them gives the nodes
/// time to catch up): apply, apply a change, an empty plan; then apply back and destroy.
fn converges_under_lag(tf: &Terraform, case: &Case) {
    let address = format!("{}.flow", case.resource_type);
    let token = unique("lag");
    let first = [format!("a-{token}"), format!("b-{token}")];
    let second = [format!("a-{token}"), format!("c-{token}")];
    let dir = Workdir::with_dev_overrides(tf, &config(case, &first));
    dir.apply();
    dir.write("main.tf", &config(case, &second));
    dir.apply();
    let plan = dir.plan_exit_code();
    assert_eq!(
        plan.code, 0,
        "the plan right after the apply is empty:\n{}\n{}",
        plan.stdout, plan.stderr
    );
    assert_recorded_as_held(&dir, &address, &case.principal);
    let state = state_resource(&dir.state_json(), &address)["values"].clone();
    let all_topics: BTreeSet<(String, String)> =
        topic_rows(&state["internal_topics"]).into_keys().collect();

    dir.write("main.tf", &config(case, &first));
    dir.apply();
    dir.destroy();
    assert_eq!(
        eventually(&BTreeSet::new(), || held(&case.principal)),
        BTreeSet::new(),
        "destroy right after the apply removes every binding the resource owns"
    );
    assert_eq!(
        eventually(&BTreeMap::new(), || held_topics(&all_topics)),
        BTreeMap::new(),
        "destroy deletes the internal topics it was asked to"
    );
}

#[test]
fn mm2_flow_converges_under_metadata_lag() {
    for_each_terraform(|tf| {
        let token = unique("m");
        let principal = format!("User:mm2-{token}");
        let rf = clusters().replication_factor();
        let p = principal.clone();
        let body = move |topics: &[String]| {
            let list: Vec<String> = topics.iter().map(|t| format!("\"{t}\"")).collect();
            format!(
                "  source_cluster = \"{SOURCE}\"\n  target_cluster = \"{TARGET}\"\n  source_alias   = \"src{token}\"\n  target_alias   = \"dst{token}\"\n  principal      = \"{p}\"\n  topics         = [{}]\n  groups         = [\"app-{token}\"]\n  internal_topics_replication_factor = {rf}\n  delete_internal_topics_on_destroy  = true\n",
                list.join(", ")
            )
        };
        let case = Case {
            resource_type: "kafkamirror_mm2_replication_permissions",
            principal,
            body: Box::new(body),
        };
        converges_under_lag(tf, &case);
    });
}

#[test]
fn cluster_link_converges_under_metadata_lag() {
    for_each_terraform(|tf| {
        let principal = format!("User:link-{}", unique("l"));
        let p = principal.clone();
        let body = move |topics: &[String]| {
            let list: Vec<String> = topics.iter().map(|t| format!("\"{t}\"")).collect();
            format!(
                "  source_cluster      = \"{SOURCE}\"\n  destination_cluster = \"{TARGET}\"\n  link_principal      = \"{p}\"\n  topics              = [{}]\n",
                list.join(", ")
            )
        };
        let case = Case {
            resource_type: "kafkamirror_cluster_link_acls",
            principal,
            body: Box::new(body),
        };
        converges_under_lag(tf, &case);
    });
}

/// Two MM2 flows between the same clusters with the same aliases share their internal topics
/// and are applied concurrently: one creates them, the other's CreateTopics answers
/// TOPIC_ALREADY_EXISTS and it reads them a moment after their creation. Both record them as
/// they exist, so the plan right after is empty. Destroyed together (both last claimants of
/// the shared topics release them at once), the topics are gone: the one that releases last
/// finds them claimed by no one and deletes them.
#[test]
fn flows_sharing_internal_topics_converge_under_metadata_lag() {
    for_each_terraform(|tf| {
        let token = unique("s");
        let rf = clusters().replication_factor();
        let principals = [format!("User:one-{token}"), format!("User:two-{token}")];
        let resources: String = principals
            .iter()
            .enumerate()
            .map(|(i, principal)| {
                format!(
                    "resource \"kafkamirror_mm2_replication_permissions\" \"flow{i}\" {{\n  source_cluster = \"{SOURCE}\"\n  target_cluster = \"{TARGET}\"\n  source_alias   = \"src{token}\"\n  target_alias   = \"dst{token}\"\n  principal      = \"{principal}\"\n  topics         = [\"t{i}-{token}\"]\n  groups         = [\"app-{token}\"]\n  internal_topics_replication_factor = {rf}\n  delete_internal_topics_on_destroy  = true\n}}\n"
                )
            })
            .collect();
        let main_tf = format!("{HEADER}{}{resources}", clusters().provider_hcl());
        let dir = Workdir::with_dev_overrides(tf, &main_tf);
        dir.apply();
        let plan = dir.plan_exit_code();
        assert_eq!(
            plan.code, 0,
            "the plan right after the apply is empty:\n{}\n{}",
            plan.stdout, plan.stderr
        );
        let mut all_topics = BTreeSet::new();
        for (i, principal) in principals.iter().enumerate() {
            let address = format!("kafkamirror_mm2_replication_permissions.flow{i}");
            assert_recorded_as_held(&dir, &address, principal);
            let values = state_resource(&dir.state_json(), &address)["values"].clone();
            let topics = topic_rows(&values["internal_topics"]);
            assert!(!topics.is_empty(), "{address} records its internal topics");
            all_topics.extend(topics.into_keys());
        }
        dir.destroy();
        for principal in &principals {
            assert_eq!(
                eventually(&BTreeSet::new(), || held(principal)),
                BTreeSet::new(),
                "destroy removes every binding of {principal}"
            );
        }
        assert_eq!(
            eventually(&BTreeMap::new(), || held_topics(&all_topics)),
            BTreeMap::new()
        );
    });
}
