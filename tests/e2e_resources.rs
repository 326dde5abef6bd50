//! End-to-end tests of `kafkamirror_mm2_replication_permissions` and
//! `kafkamirror_cluster_link_acls` with real Terraform (1.0.3 and the one on PATH) against two
//! clusters (test brokers, or real ones: see `support::clusters`). Every check of what exists
//! reads the clusters, not the state: apply creates exactly the planned bindings and topics,
//! a second plan is empty, out-of-band deletion is repaired, a change of `topics` plans
//! exactly the affected rows, pre-existing bindings survive shrinking and destroy, import
//! adopts the principal's bindings (owned), destroy leaves the clusters as before (internal
//! topics aside), the first plan after an import changes no binding's reason, and the data
//! source computes the same sets without a cluster.

mod support;

use kafkamirror::model::acl::AclBinding;
use serde_json::Value as Json;
use std::collections::{BTreeMap, BTreeSet};
use support::acls::acl_rows;
use support::clusters::{clusters, unique, SOURCE, TARGET};
use support::*;

const HEADER: &str = r#"terraform {
  required_providers {
    kafkamirror = { source = "kafkamirror/kafkamirror" }
  }
}
"#;

fn principals(rows: &BTreeSet<(String, AclBinding)>, also: &str) -> BTreeSet<String> {
    rows.iter()
        .map(|(_, b)| b.principal.clone())
        .chain([also.to_string()])
        .collect()
}

/// The bindings both clusters hold for `principals`, read from the clusters.
fn cluster_rows(principals: &BTreeSet<String>) -> BTreeSet<(String, AclBinding)> {
    [SOURCE, TARGET]
        .iter()
        .flat_map(|key| {
            clusters()
                .acls_of(key, principals)
                .into_iter()
                .map(move |binding| (key.to_string(), binding))
        })
        .collect()
}

fn resource_values(state: &Json, address: &str) -> Json {
    state_resource(state, address)["values"].clone()
}

/// `(before, after)` of the `acls` of the resource change at `address` in plan JSON.
fn planned_change(plan: &Json, address: &str) -> (Json, Json) {
    let change = plan["resource_changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["address"] == address)
        .unwrap_or_else(|| panic!("no change for {address}: {plan}"))["change"]
        .clone();
    (change["before"].clone(), change["after"].clone())
}

/// Asserts every internal topic of `rows` exists on its cluster as planned (compacted).
fn assert_topics_exist(rows: &Json) {
    let mut by_cluster: BTreeMap<String, Vec<(String, i64, i64)>> = BTreeMap::new();
    for row in rows.as_object().unwrap().values() {
        by_cluster
            .entry(row["cluster"].as_str().unwrap().to_string())
            .or_default()
            .push((
                row["name"].as_str().unwrap().to_string(),
                row["partitions"].as_i64().unwrap(),
                row["replication_factor"].as_i64().unwrap(),
            ));
    }
    assert!(!by_cluster.is_empty(), "the flow plans internal topics");
    for (cluster, topics) in by_cluster {
        let names: Vec<String> = topics.iter().map(|t| t.0.clone()).collect();
        let found = clusters().topics(&cluster, &names);
        for (name, partitions, rf) in topics {
            let topic = found
                .get(&name)
                .unwrap_or_else(|| panic!("topic {name} missing on {cluster}"));
            assert_eq!(i64::from(topic.partitions), partitions, "{name}");
            assert_eq!(i64::from(topic.replication_factor), rf, "{name}");
            assert_eq!(topic.cleanup_policy.as_deref(), Some("compact"), "{name}");
        }
    }
}

/// Renders a flow's inputs (resource and data source body) for a topic list.
type InputsFor = Box<dyn Fn(&[String]) -> String>;

/// One flow type's test case: its config for a `topics` list and what to probe.
struct FlowCase {
    resource_type: &'static str,
    /// The principal whose bindings the import id adopts.
    principal: String,
    import_id: String,
    inputs: InputsFor,
    /// A binding the flow needs for its first topic on the source, to delete out of band.
    drift_binding: AclBinding,
    /// A binding the flow needs for its second topic, created by hand before the resource.
    preexisting_binding: AclBinding,
    has_topics: bool,
}

fn config(case: &FlowCase, topics: &[String]) -> String {
    let inputs = (case.inputs)(topics);
    format!(
        "{HEADER}{}resource \"{ty}\" \"flow\" {{\n{inputs}}}\n\ndata \"{ty}\" \"flow\" {{\n{inputs}}}\n",
        clusters().provider_hcl(),
        ty = case.resource_type
    )
}

/// The whole lifecycle of one flow against the clusters, for one Terraform version.
fn lifecycle(tf: &Terraform, case: &FlowCase, topics: [String; 3]) {
    let address = format!("{}.flow", case.resource_type);
    let data_address = format!("data.{}.flow", case.resource_type);
    let first = vec![topics[0].clone(), topics[1].clone()];
    let second = vec![topics[0].clone(), topics[2].clone()];
    let dir = Workdir::with_dev_overrides(tf, &config(case, &first));

    // A binding the flow needs already exists (made by another tool).
    clusters().create_acl(SOURCE, &case.preexisting_binding);
    let preexisting = (SOURCE.to_string(), case.preexisting_binding.clone());

    let plan = dir.plan_json();
    let (_, after) = planned_change(&plan, &address);
    let planned = acl_rows(&after["acls"]);
    assert!(planned.contains(&preexisting));
    dir.apply();
    let everyone = principals(&planned, &case.principal);
    assert_eq!(
        cluster_rows(&everyone),
        planned,
        "apply creates exactly the planned bindings, on the right cluster"
    );
    let state = dir.state_json();
    let values = resource_values(&state, &address);
    if case.has_topics {
        assert_topics_exist(&values["internal_topics"]);
    }
    assert_eq!(
        acl_rows(&values["preexisting_acls"]),
        BTreeSet::from([preexisting.clone()])
    );
    assert_eq!(
        acl_rows(&resource_values(&state, &data_address)["acls"]),
        acl_rows(&values["acls"]),
        "the data source computes the same set"
    );
    assert_eq!(dir.plan_exit_code().code, 0, "second plan is empty");

    // Out-of-band deletion shows as exactly that addition, and apply repairs it.
    clusters().delete_acl(SOURCE, &case.drift_binding);
    let plan = dir.plan_json();
    let (before, after) = planned_change(&plan, &address);
    let added: BTreeSet<_> = acl_rows(&after["acls"])
        .difference(&acl_rows(&before["acls"]))
        .cloned()
        .collect();
    assert_eq!(
        added,
        BTreeSet::from([(SOURCE.to_string(), case.drift_binding.clone())])
    );
    dir.apply();
    assert_eq!(cluster_rows(&everyone), planned, "drift repaired");

    // Changing topics plans exactly the rows of the removed and the added topic.
    dir.write("main.tf", &config(case, &second));
    let plan = dir.plan_json();
    let (before, after) = planned_change(&plan, &address);
    let (before, after) = (acl_rows(&before["acls"]), acl_rows(&after["acls"]));
    let removed: Vec<_> = before.difference(&after).collect();
    let added: Vec<_> = after.difference(&before).collect();
    assert!(!removed.is_empty() && !added.is_empty());
    assert!(
        removed
            .iter()
            .all(|(_, b)| b.resource_name.contains(&topics[1])),
        "only rows of the removed topic go: {removed:?}"
    );
    assert!(
        added
            .iter()
            .all(|(_, b)| b.resource_name.contains(&topics[2])),
        "only rows of the added topic come: {added:?}"
    );
    dir.apply();
    let mut expected = after.clone();
    expected.insert(preexisting.clone());
    assert_eq!(
        cluster_rows(&everyone),
        expected,
        "shrinking deletes owned bindings only; the pre-existing one stays"
    );
    assert_eq!(dir.plan_exit_code().code, 0);

    // Import adopts every binding of the principal (the pre-existing one too: owned now).
    dir.ok(&["state", "rm", &address]);
    dir.ok(&["import", "-no-color", &address, &case.import_id]);
    let imported = acl_rows(&resource_values(&dir.state_json(), &address)["acls"]);
    let principal_only = BTreeSet::from([case.principal.clone()]);
    assert_eq!(imported, cluster_rows(&principal_only));
    dir.apply();
    assert_eq!(
        cluster_rows(&everyone),
        after,
        "after import the next apply converges to the plan (imported bindings are owned)"
    );
    assert_eq!(dir.plan_exit_code().code, 0, "import round-trips");

    dir.destroy();
    assert!(
        cluster_rows(&everyone).is_empty(),
        "destroy leaves the clusters as before"
    );
    if case.has_topics {
        assert_topics_exist(&resource_values(&state, &address)["internal_topics"]);
    }
}

fn mm2_case() -> (FlowCase, [String; 3]) {
    let token = unique("t");
    let principal = format!("User:mm2-{token}");
    let topics = [
        format!("orders-{token}"),
        format!("payments-{token}"),
        format!("invoices-{token}"),
    ];
    let rf = clusters().replication_factor();
    let p = principal.clone();
    let inputs = move |topics: &[String]| {
        let list: Vec<String> = topics.iter().map(|t| format!("\"{t}\"")).collect();
        format!(
            "  source_cluster = \"{SOURCE}\"\n  target_cluster = \"{TARGET}\"\n  source_alias   = \"src{token}\"\n  target_alias   = \"dst{token}\"\n  principal      = \"{p}\"\n  topics         = [{}]\n  groups         = [\"app-{token}\"]\n  internal_topics_replication_factor = {rf}\n  remote_topics_replication_factor   = {}\n",
            list.join(", "),
            rf.min(2)
        )
    };
    let read = |topic: &str| {
        AclBinding::allow(
            &principal,
            kafkamirror::model::acl::ResourceType::Topic,
            topic,
            kafkamirror::model::acl::PatternType::Literal,
            kafkamirror::model::acl::Operation::Read,
        )
    };
    let case = FlowCase {
        resource_type: "kafkamirror_mm2_replication_permissions",
        import_id: format!("{SOURCE}:{TARGET}:{principal}"),
        drift_binding: read(&topics[0]),
        preexisting_binding: read(&topics[1]),
        principal,
        inputs: Box::new(inputs),
        has_topics: true,
    };
    (case, topics)
}

fn cluster_link_case() -> (FlowCase, [String; 3]) {
    let token = unique("l");
    let principal = format!("User:link-{token}");
    let topics = [
        format!("orders-{token}"),
        format!("payments-{token}"),
        format!("invoices-{token}"),
    ];
    let p = principal.clone();
    let inputs = move |topics: &[String]| {
        let list: Vec<String> = topics.iter().map(|t| format!("\"{t}\"")).collect();
        format!(
            "  source_cluster      = \"{SOURCE}\"\n  destination_cluster = \"{TARGET}\"\n  link_principal      = \"{p}\"\n  topics              = [{}]\n",
            list.join(", ")
        )
    };
    let read = |topic: &str| {
        AclBinding::allow(
            &principal,
            kafkamirror::model::acl::ResourceType::Topic,
            topic,
            kafkamirror::model::acl::PatternType::Literal,
            kafkamirror::model::acl::Operation::Read,
        )
    };
    let case = FlowCase {
        resource_type: "kafkamirror_cluster_link_acls",
        import_id: format!("{SOURCE}:{TARGET}:{principal}"),
        drift_binding: read(&topics[0]),
        preexisting_binding: read(&topics[1]),
        principal,
        inputs: Box::new(inputs),
        has_topics: false,
    };
    (case, topics)
}

#[test]
fn mm2_flow_lifecycle() {
    for_each_terraform(|tf| {
        let (case, topics) = mm2_case();
        lifecycle(tf, &case, topics);
    });
}

#[test]
fn cluster_link_lifecycle() {
    for_each_terraform(|tf| {
        let (case, topics) = cluster_link_case();
        lifecycle(tf, &case, topics);
    });
}

/// The 1-based line of `text` that contains `needle`.
fn line_of(text: &str, needle: &str) -> i64 {
    text.lines()
        .position(|l| l.contains(needle))
        .expect("needle in text") as i64
        + 1
}

#[test]
fn data_sources_need_no_cluster_and_validation_errors_point_at_the_line() {
    let valid = format!(
        "{HEADER}provider \"kafkamirror\" {{}}\n\ndata \"kafkamirror_mm2_replication_permissions\" \"f\" {{\n  source_cluster = \"a\"\n  target_cluster = \"b\"\n  principal      = \"User:mm2\"\n  topics         = [\"orders\"]\n}}\n\ndata \"kafkamirror_cluster_link_acls\" \"l\" {{\n  source_cluster      = \"a\"\n  destination_cluster = \"b\"\n  link_principal      = \"User:link\"\n  topics              = [\"orders\"]\n}}\n\noutput \"counts\" {{\n  value = [length(data.kafkamirror_mm2_replication_permissions.f.acls), length(data.kafkamirror_mm2_replication_permissions.f.internal_topics), length(data.kafkamirror_cluster_link_acls.l.acls)]\n}}\n"
    );
    let invalid = format!(
        "{HEADER}provider \"kafkamirror\" {{}}\n\ndata \"kafkamirror_mm2_replication_permissions\" \"f\" {{\n  source_cluster = \"a\"\n  target_cluster = \"b\"\n  principal      = \"mm2\" # no type\n  topics         = [\"orders\", \"bad topic\"]\n}}\n"
    );
    for_each_terraform(|tf| {
        let dir = Workdir::with_dev_overrides(tf, &valid);
        dir.apply();
        let counts = dir.ok(&["output", "-json", "counts"]);
        let counts: Vec<i64> = serde_json::from_str(&counts.stdout).unwrap();
        assert!(counts.iter().all(|&n| n > 0), "{counts:?}");

        let dir = Workdir::with_dev_overrides(tf, &invalid);
        let run = dir.run(&["plan", "-json"]);
        assert_eq!(run.code, 1, "{}", run.stdout);
        let diagnostics = run.json_diagnostics();
        let line = |needle: &str| {
            let expected = line_of(&invalid, needle);
            assert!(
                diagnostics
                    .iter()
                    .any(|d| d["severity"] == "error" && d["range"]["start"]["line"] == expected),
                "no error on line {expected} ({needle}): {diagnostics:?}"
            );
        };
        line("# no type");
        line("bad topic");
    });
}

#[test]
fn unreachable_cluster_fails_the_plan_naming_alias_and_servers() {
    let main_tf = format!(
        "{HEADER}provider \"kafkamirror\" {{\n  cluster \"primary\" {{\n    bootstrap_servers = [\"127.0.0.1:9\"]\n    timeout_seconds   = 2\n  }}\n  cluster \"dr\" {{\n    bootstrap_servers = [\"127.0.0.1:9\"]\n    timeout_seconds   = 2\n  }}\n}}\n\nresource \"kafkamirror_cluster_link_acls\" \"l\" {{\n  source_cluster      = \"primary\"\n  destination_cluster = \"dr\"\n  link_principal      = \"User:link\"\n  topics              = [\"orders\"]\n}}\n"
    );
    for_each_terraform(|tf| {
        let dir = Workdir::with_dev_overrides(tf, &main_tf);
        let started = std::time::Instant::now();
        let run = dir.run(&["plan", "-no-color"]);
        assert_eq!(run.code, 1, "{}", run.stdout);
        assert!(
            started.elapsed() < std::time::Duration::from_secs(2 + 10),
            "took {:?}",
            started.elapsed()
        );
        let output = format!("{}{}", run.stdout, run.stderr);
        assert!(output.contains("\"primary\""), "{output}");
        assert!(output.contains("127.0.0.1:9"), "{output}");
    });
}

/// The top-level attributes whose value differs between `before` and `after`.
fn changed_attributes(before: &Json, after: &Json) -> BTreeSet<String> {
    let after = after.as_object().expect("after is an object");
    after
        .iter()
        .filter(|(name, value)| before.get(name.as_str()) != Some(*value))
        .map(|(name, _)| name.clone())
        .collect()
}

/// After `terraform import`, the first plan of a configuration whose other inputs are the
/// defaults the import assumes changes only what the configuration sets beyond the import id
/// (`topics`, which no import id carries): no binding's `reason`, no row. Applying it changes
/// nothing on Kafka and the next plan is empty.
#[test]
fn import_then_plan_shows_only_what_differs_from_the_configuration() {
    for_each_terraform(|tf| {
        let token = unique("i");
        let topic = format!("orders-{token}");
        let rf = clusters().replication_factor();
        let sizes = if rf >= 3 {
            String::new()
        } else {
            format!(
                "  internal_topics_replication_factor = {rf}\n  remote_topics_replication_factor   = {rf}\n"
            )
        };
        let mm2_principal = format!("User:mm2-{token}");
        let link_principal = format!("User:link-{token}");
        let flows = [
            (
                "kafkamirror_mm2_replication_permissions",
                format!(
                    "  source_cluster = \"{SOURCE}\"\n  target_cluster = \"{TARGET}\"\n  principal      = \"{mm2_principal}\"\n  topics         = [\"{topic}\"]\n{sizes}"
                ),
                format!("{SOURCE}:{TARGET}:{mm2_principal}"),
                mm2_principal.clone(),
            ),
            (
                "kafkamirror_cluster_link_acls",
                format!(
                    "  source_cluster      = \"{SOURCE}\"\n  destination_cluster = \"{TARGET}\"\n  link_principal      = \"{link_principal}\"\n  topics              = [\"{topic}\"]\n"
                ),
                format!("{SOURCE}:{TARGET}:{link_principal}"),
                link_principal.clone(),
            ),
        ];
        for (resource_type, inputs, import_id, principal) in flows {
            let address = format!("{resource_type}.flow");
            let main_tf = format!(
                "{HEADER}{}resource \"{resource_type}\" \"flow\" {{\n{inputs}}}\n",
                clusters().provider_hcl()
            );
            let dir = Workdir::with_dev_overrides(tf, &main_tf);
            dir.apply();
            let everyone = BTreeSet::from([principal.clone()]);
            let applied = cluster_rows(&everyone);
            assert!(
                !applied.is_empty(),
                "{resource_type}: apply created bindings"
            );

            dir.ok(&["state", "rm", &address]);
            dir.ok(&["import", "-no-color", &address, &import_id]);
            let plan = dir.plan_json();
            let (before, after) = planned_change(&plan, &address);
            assert_eq!(
                changed_attributes(&before, &after),
                BTreeSet::from(["topics".to_string()]),
                "{resource_type}: the first plan after import changes only the inputs the \
                 import id does not carry"
            );
            dir.apply();
            assert_eq!(
                cluster_rows(&everyone),
                applied,
                "{resource_type}: Kafka unchanged"
            );
            assert_eq!(
                dir.plan_exit_code().code,
                0,
                "{resource_type}: then no change"
            );
            dir.destroy();
            assert!(cluster_rows(&everyone).is_empty());
        }
    });
}
