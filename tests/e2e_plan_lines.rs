//! End-to-end tests of how plans read and of the ACL-key state upgrade, with real Terraform
//! (1.0.3 and the one on PATH) against the two test brokers of `support::clusters`: the
//! README's MM2 flow plans with each ACL on one line naming its principal, resource,
//! operation and reason, within a line budget; a state of both resources as the provider
//! stored it before ACL keys (`tests/fixtures/state-before-acl-keys.tfstate`: MM2 schema 3,
//! cluster link schema 2, object rows, one pre-existing row each; written by that provider
//! with Terraform 1.0.3 against these brokers, of `state-before-acl-keys.tf`) upgrades
//! keeping every binding and reason and plans empty.

mod support;

use kafkamirror::model::acl::{AclBinding, Operation, PatternType, ResourceType};
use kafkamirror::resources::acl_key;
use serde_json::Value as Json;
use std::collections::BTreeMap;
use support::acls::acl_reasons;
use support::clusters::{clusters, SOURCE};
use support::*;

const HEADER: &str = r#"terraform {
  required_providers {
    kafkamirror = { source = "kafkamirror/kafkamirror" }
  }
}
"#;

/// Lines a plan may take besides its ACLs and topics: Terraform's own (the dev-overrides
/// warning, the legend, the summary) and the resource's inputs.
const FRAME_LINES: usize = 40;
/// Lines an internal topic may take (its object with `configs`).
const LINES_PER_TOPIC: usize = 12;

/// The README's MM2 resource block, as the README shows it.
fn readme_mm2_flow() -> String {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let start = readme
        .find("resource \"kafkamirror_mm2_replication_permissions\"")
        .expect("the README shows an MM2 resource");
    let end = start + readme[start..].find("\n}\n").expect("its block ends") + 3;
    readme[start..end].to_string()
}

#[test]
fn the_readme_mm2_flow_plans_one_line_per_acl_within_the_line_budget() {
    for_each_terraform(|tf| {
        let main_tf = format!("{HEADER}{}{}", clusters().provider_hcl(), readme_mm2_flow());
        let dir = Workdir::with_dev_overrides(tf, &main_tf);
        let plan = dir.plan_json();
        let change = &plan["resource_changes"][0]["change"]["after"];
        let acls = acl_reasons(&change["acls"]);
        let topics = change["internal_topics"].as_object().expect("topics").len();
        let shown = dir.ok(&["show", "-no-color", "tfplan"]).stdout;
        let printed = dir.ok(&["plan", "-no-color"]).stdout;
        for text in [&shown, &printed] {
            for ((cluster, binding), reason) in &acls {
                let key = acl_key::key_of(cluster, binding);
                let line = text
                    .lines()
                    .find(|line| line.contains(&format!("\"{key}\"")))
                    .unwrap_or_else(|| panic!("no line for {key}:\n{text}"));
                for part in [
                    binding.principal.as_str(),
                    binding.resource_type.as_str(),
                    &binding.resource_name,
                    binding.operation.as_str(),
                    reason,
                ] {
                    assert!(line.contains(part), "{part:?} not on the line {line:?}");
                }
            }
        }
        let lines = printed.lines().filter(|l| !l.trim().is_empty()).count();
        eprintln!(
            "{}: the README's MM2 flow plans in {lines} non-empty lines ({} ACLs, {topics} topics)",
            tf.label,
            acls.len()
        );
        assert!(
            acls.len() > 40 && topics > 5,
            "{} ACLs, {topics} topics",
            acls.len()
        );
        let budget = acls.len() + LINES_PER_TOPIC * topics + FRAME_LINES;
        assert!(
            lines <= budget,
            "{lines} lines, budget {budget}:\n{printed}"
        );
    });
}

/// The bindings made by hand before the fixture's flows were applied: pre-existing rows.
fn made_by_hand() -> [AclBinding; 2] {
    let topic = |principal: &str, operation| {
        AclBinding::allow(
            principal,
            ResourceType::Topic,
            "fixture-orders",
            PatternType::Literal,
            operation,
        )
    };
    [
        topic("User:mm2-state-v3", Operation::Read),
        topic("User:link-state-v2", Operation::Describe),
    ]
}

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// `(resource type, attribute) -> key -> reason` of every instance of a state file: keys
/// as the current provider writes them, from object rows or from keys.
fn recorded(state: &Json) -> BTreeMap<(String, String), BTreeMap<String, String>> {
    let mut recorded = BTreeMap::new();
    for resource in state["resources"].as_array().unwrap() {
        let ty = resource["type"].as_str().unwrap().to_string();
        let attributes = &resource["instances"][0]["attributes"];
        for attribute in ["acls", "preexisting_acls"] {
            let reasons = acl_reasons(&attributes[attribute])
                .into_iter()
                .map(|((cluster, binding), reason)| (acl_key::key_of(&cluster, &binding), reason))
                .collect();
            recorded.insert((ty.clone(), attribute.to_string()), reasons);
        }
    }
    recorded
}

/// The fixture's object rows, parsed as the old provider keyed them (`|`-separated).
fn old_rows(state: &Json) -> BTreeMap<(String, String), BTreeMap<String, String>> {
    let mut rows = BTreeMap::new();
    for resource in state["resources"].as_array().unwrap() {
        let ty = resource["type"].as_str().unwrap().to_string();
        let attributes = &resource["instances"][0]["attributes"];
        for attribute in ["acls", "preexisting_acls"] {
            let reasons = attributes[attribute]
                .as_object()
                .unwrap()
                .values()
                .map(|row| {
                    let text = |field: &str| row[field].as_str().unwrap().to_string();
                    let binding = AclBinding {
                        resource_type: text("resource_type").parse().unwrap(),
                        resource_name: text("resource_name"),
                        pattern_type: text("pattern_type").parse().unwrap(),
                        principal: text("principal"),
                        host: text("host"),
                        operation: text("operation").parse().unwrap(),
                        permission: text("permission").parse().unwrap(),
                    };
                    (acl_key::key_of(&text("cluster"), &binding), text("reason"))
                })
                .collect();
            rows.insert((ty.clone(), attribute.to_string()), reasons);
        }
    }
    rows
}

#[test]
fn a_state_stored_before_acl_keys_upgrades_keeping_every_binding_and_plans_empty() {
    let old_state = fixture("state-before-acl-keys.tfstate");
    let old: Json = serde_json::from_str(&old_state).unwrap();
    for resource in old["resources"].as_array().unwrap() {
        let version = resource["instances"][0]["schema_version"].clone();
        let expected = match resource["type"].as_str().unwrap() {
            "kafkamirror_mm2_replication_permissions" => 3,
            _ => 2,
        };
        assert_eq!(version, expected, "the fixture is of the previous versions");
    }
    let before = old_rows(&old);
    assert!(before.values().all(|rows| !rows.is_empty()), "{before:?}");
    for_each_terraform(|tf| {
        for binding in made_by_hand() {
            clusters().create_acl(SOURCE, &binding);
        }
        let main_tf = format!(
            "{HEADER}{}{}",
            clusters().provider_hcl(),
            fixture("state-before-acl-keys.tf")
        );
        let dir = Workdir::with_dev_overrides(tf, &main_tf);
        // What the fixture records, made on the brokers (with the claims its apply wrote).
        dir.apply();
        let path = dir.path().join("terraform.tfstate");
        let made: Json = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(recorded(&made), before, "the flows are the fixture's");

        std::fs::write(&path, &old_state).unwrap();
        let run = dir.plan_exit_code();
        assert_eq!(run.code, 0, "plan is empty\n{}\n{}", run.stdout, run.stderr);
        dir.apply();
        let upgraded: Json =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        for resource in upgraded["resources"].as_array().unwrap() {
            let instance = &resource["instances"][0];
            let expected = match resource["type"].as_str().unwrap() {
                "kafkamirror_mm2_replication_permissions" => 4,
                _ => 3,
            };
            assert_eq!(instance["schema_version"], expected, "{}", resource["type"]);
            assert!(instance["attributes"]["acls"]
                .as_object()
                .unwrap()
                .values()
                .all(Json::is_string));
        }
        assert_eq!(recorded(&upgraded), before, "every binding and reason kept");
        dir.destroy();
        for binding in made_by_hand() {
            clusters().delete_acl(SOURCE, &binding);
        }
    });
}
