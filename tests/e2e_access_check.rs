//! End-to-end tests of the plan-time checks on what others made on the clusters, with real
//! Terraform (1.0.3 and the one on PATH) against the two test brokers of `support::clusters`:
//! a `User:* DENY READ` on a replicated topic, made before the plan, is named in a plan
//! warning (with the access and the rule's spec row), and `deny_check = "error"` fails the
//! plan with the same diagnostic; a cluster link with `acl_sync` on plans with a warning on
//! `acl_sync` listing the destination bindings the link's `acl.filters` must leave alone; a
//! state of the previous schema version upgrades and plans empty.

mod support;

use kafkamirror::model::acl::{AclBinding, Operation, PatternType, Permission, ResourceType};
use serde_json::Value as Json;
use support::clusters::{clusters, unique, SOURCE, TARGET};
use support::*;

const HEADER: &str = r#"terraform {
  required_providers {
    kafkamirror = { source = "kafkamirror/kafkamirror" }
  }
}
"#;

const DENY_SUMMARY: &str = "A DENY binding blocks an access this resource grants";

fn mm2_config(token: &str, topic: &str, deny_check: Option<&str>) -> String {
    let rf = clusters().replication_factor();
    let option = deny_check.map_or(String::new(), |mode| {
        format!("  deny_check     = \"{mode}\"\n")
    });
    format!(
        "{HEADER}{}resource \"kafkamirror_mm2_replication_permissions\" \"flow\" {{\n  source_cluster = \"{SOURCE}\"\n  target_cluster = \"{TARGET}\"\n  source_alias   = \"src{token}\"\n  target_alias   = \"dst{token}\"\n  principal      = \"User:mm2-{token}\"\n  topics         = [\"{topic}\", \"other-{token}\"]\n  internal_topics_replication_factor = {rf}\n  remote_topics_replication_factor   = {}\n{option}}}\n",
        clusters().provider_hcl(),
        rf.min(2)
    )
}

/// The diagnostics of `plan -json` with `summary`.
fn diagnostics_named(run: &Run, summary: &str) -> Vec<Json> {
    run.json_diagnostics()
        .into_iter()
        .filter(|d| d["summary"] == summary)
        .collect()
}

#[test]
fn a_user_star_deny_on_a_replicated_topic_is_named_at_plan_and_can_fail_it() {
    for_each_terraform(|tf| {
        let token = unique("d");
        let topic = format!("orders-{token}");
        let deny = AclBinding {
            resource_type: ResourceType::Topic,
            resource_name: topic.clone(),
            pattern_type: PatternType::Literal,
            principal: "User:*".to_string(),
            host: "*".to_string(),
            operation: Operation::Read,
            permission: Permission::Deny,
        };
        clusters().create_acl(SOURCE, &deny);

        let dir = Workdir::with_dev_overrides(tf, &mm2_config(&token, &topic, None));
        let run = dir.run(&["plan", "-json"]);
        assert_eq!(
            run.code, 0,
            "a warning does not fail the plan: {}",
            run.stdout
        );
        let warnings = diagnostics_named(&run, DENY_SUMMARY);
        // Only READ on that topic is blocked: the DESCRIBE READ implies is not denied by a
        // DENY READ, and the other topic has no DENY.
        assert_eq!(warnings.len(), 1, "{:?}", run.json_diagnostics());
        let warning = &warnings[0];
        assert_eq!(warning["severity"], "warning");
        let detail = warning["detail"].as_str().unwrap();
        for needle in [
            deny.to_string(),
            format!("READ by User:mm2-{token} on topic {topic}"),
            "[spec 1.1]".to_string(),
            format!("cluster \"{SOURCE}\""),
        ] {
            assert!(detail.contains(&needle), "{needle:?} not in {detail}");
        }

        dir.write("main.tf", &mm2_config(&token, &topic, Some("error")));
        let run = dir.run(&["plan", "-json"]);
        assert_eq!(
            run.code, 1,
            "deny_check = \"error\" fails the plan: {}",
            run.stdout
        );
        let errors = diagnostics_named(&run, DENY_SUMMARY);
        assert_eq!(errors.len(), 1, "{:?}", run.json_diagnostics());
        assert_eq!(errors[0]["severity"], "error");
        assert_eq!(errors[0]["detail"], warning["detail"]);

        dir.write("main.tf", &mm2_config(&token, &topic, Some("off")));
        let run = dir.run(&["plan", "-json"]);
        assert_eq!(run.code, 0, "{}", run.stdout);
        assert!(diagnostics_named(&run, DENY_SUMMARY).is_empty());

        dir.write("main.tf", &mm2_config(&token, &topic, Some("loud")));
        let run = dir.run(&["plan", "-json"]);
        assert_eq!(run.code, 1, "{}", run.stdout);
        let invalid = run.json_diagnostics();
        assert!(
            invalid.iter().any(|d| d["severity"] == "error"
                && d["detail"]
                    .as_str()
                    .unwrap_or("")
                    .contains("warn, error, off")),
            "{invalid:?}"
        );

        clusters().delete_acl(SOURCE, &deny);
    });
}

#[test]
fn acl_sync_on_a_cluster_link_warns_which_bindings_its_filters_must_leave_alone() {
    for_each_terraform(|tf| {
        let token = unique("s");
        let main_tf = format!(
            "{HEADER}{}resource \"kafkamirror_cluster_link_acls\" \"link\" {{\n  source_cluster               = \"{SOURCE}\"\n  destination_cluster          = \"{TARGET}\"\n  link_principal               = \"User:link-{token}\"\n  destination_broker_principal = \"User:brokers-{token}\"\n  topics                       = [\"orders-{token}\"]\n  acl_sync                     = true\n}}\n",
            clusters().provider_hcl()
        );
        let dir = Workdir::with_dev_overrides(tf, &main_tf);
        let run = dir.run(&["plan", "-json"]);
        assert_eq!(run.code, 0, "{}", run.stdout);
        let warnings = diagnostics_named(
            &run,
            "ACL sync deletes bindings that match the link's acl.filters",
        );
        assert_eq!(warnings.len(), 1, "{:?}", run.json_diagnostics());
        let detail = warnings[0]["detail"].as_str().unwrap();
        assert!(detail.contains("[spec 6.8]"), "{detail}");
        assert!(
            detail.contains(&format!(
                "ALLOW User:brokers-{token} from * ALTER on CLUSTER LITERAL kafka-cluster"
            )),
            "the destination brokers' binding is listed: {detail}"
        );
        assert!(
            !detail.contains(&format!("User:link-{token} from * READ")),
            "source bindings are not exposed to a one-way link: {detail}"
        );
        let line = main_tf
            .lines()
            .position(|l| l.contains("acl_sync"))
            .unwrap() as i64
            + 1;
        assert_eq!(warnings[0]["range"]["start"]["line"], line, "on acl_sync");
    });
}

/// A state of MM2 schema version 1 (before `upstream_aliases`, `idempotent_write`,
/// `deny_check` and `claimant`, with object rows in `acls`) upgrades with them filled in,
/// and plans empty.
#[test]
fn states_of_the_previous_schema_version_upgrade_and_plan_empty() {
    for_each_terraform(|tf| {
        let token = unique("u");
        let topic = format!("orders-{token}");
        let dir = Workdir::with_dev_overrides(tf, &mm2_config(&token, &topic, None));
        dir.apply();
        let path = dir.path().join("terraform.tfstate");
        let mut state: Json =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let mut removed = 0;
        for resource in state["resources"].as_array_mut().unwrap() {
            for instance in resource["instances"].as_array_mut().unwrap() {
                assert_eq!(instance["schema_version"], 4);
                instance["schema_version"] = Json::from(1);
                let attributes = instance["attributes"].as_object_mut().unwrap();
                support::acls::as_object_rows(attributes);
                for key in [
                    "deny_check",
                    "upstream_aliases",
                    "idempotent_write",
                    "claimant",
                ] {
                    removed += usize::from(attributes.remove(key).is_some());
                }
            }
        }
        assert_eq!(
            removed, 4,
            "the new inputs (null) and the claimant are stored"
        );
        std::fs::write(&path, serde_json::to_string_pretty(&state).unwrap()).unwrap();
        let run = dir.plan_exit_code();
        assert_eq!(run.code, 0, "plan is empty\n{}\n{}", run.stdout, run.stderr);
        dir.destroy();
    });
}
