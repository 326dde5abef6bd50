//! End-to-end tests of `kafkamirror_mm2_config` with real Terraform (1.0.3 and the one on
//! PATH) against two clusters: MM2's own configuration (a two-flow dedicated-mode
//! properties file with regex topics, and a Strimzi `KafkaMirrorMaker2`) drives `for_each`
//! resources, and the clusters (read back, not the state) hold exactly what each flow
//! needs, with the bindings the regexes compile to. Also: a state of schema version 0 (what
//! the previous release wrote) upgrades and plans empty, and the row-10 plan warning.

mod support;

use kafkamirror::model::acl::{AclBinding, Operation, PatternType, ResourceType};
use serde_json::Value as Json;
use std::collections::BTreeSet;
use support::acls::acl_rows;
use support::clusters::{clusters, unique, SOURCE, TARGET};
use support::*;

const HEADER: &str = r#"terraform {
  required_providers {
    kafkamirror = { source = "kafkamirror/kafkamirror" }
  }
}
"#;

/// Every input a flow object carries, passed through to the resource.
const FLOW_INPUTS: &[&str] = &[
    "source_alias",
    "target_alias",
    "topics",
    "topic_prefixes",
    "groups",
    "group_prefixes",
    "replication_policy",
    "replication_policy_separator",
    "emit_heartbeats",
    "replicate_heartbeats",
    "emit_checkpoints",
    "emit_offset_syncs",
    "offset_syncs_topic_location",
    "sync_topic_configs",
    "sync_topic_acls",
    "sync_group_offsets",
    "exactly_once",
    "internal_topics_replication_factor",
    "remote_topics_replication_factor",
    "deployment",
    "connect_group_id",
    "connect_config_topic",
    "connect_offset_topic",
    "connect_status_topic",
];

/// `for_each` resources over the data source's flows, cluster keys mapped from the aliases.
fn config(data_body: &str, token: &str, principal: &str, extra: &str) -> String {
    let inputs: String = FLOW_INPUTS
        .iter()
        .map(|name| format!("  {name} = each.value.{name}\n"))
        .collect();
    format!(
        "{HEADER}{provider}
locals {{
  cluster_keys = {{ \"src{token}\" = \"{SOURCE}\", \"dst{token}\" = \"{TARGET}\" }}
}}

data \"kafkamirror_mm2_config\" \"mm2\" {{
{data_body}}}

resource \"kafkamirror_mm2_replication_permissions\" \"flow\" {{
  for_each       = data.kafkamirror_mm2_config.mm2.flows
  source_cluster = local.cluster_keys[each.value.source_alias]
  target_cluster = local.cluster_keys[each.value.target_alias]
  principal      = \"{principal}\"
{inputs}}}
{extra}
output \"warnings\" {{
  value = data.kafkamirror_mm2_config.mm2.warnings
}}
",
        provider = clusters().provider_hcl()
    )
}

/// The bindings both clusters hold for `principal`, read from the clusters.
fn cluster_rows(principal: &str) -> BTreeSet<(String, AclBinding)> {
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

/// The union of the `acls` every resource of the plan will have.
fn planned_rows(plan: &Json) -> BTreeSet<(String, AclBinding)> {
    plan["resource_changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["type"] == "kafkamirror_mm2_replication_permissions")
        .flat_map(|c| acl_rows(&c["change"]["after"]["acls"]))
        .collect()
}

fn resource_keys(plan: &Json) -> BTreeSet<String> {
    plan["resource_changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["type"] == "kafkamirror_mm2_replication_permissions")
        .map(|c| c["address"].as_str().unwrap().to_string())
        .collect()
}

fn binding(
    principal: &str,
    resource_type: ResourceType,
    name: &str,
    pattern: PatternType,
    operation: Operation,
) -> AclBinding {
    AclBinding::allow(principal, resource_type, name, pattern, operation)
}

/// Rewrites the state file as the previous release wrote it: schema version 0, without the
/// regex inputs (version 1), the chain, idempotent-write and access-check inputs (version 2)
/// the claimant (version 3) and with object rows in `acls` (version 4).
fn downgrade_state_to_version_0(dir: &Workdir) {
    let path = dir.path().join("terraform.tfstate");
    let mut state: Json = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let mut rewritten = 0;
    for resource in state["resources"].as_array_mut().unwrap() {
        if resource["type"] != "kafkamirror_mm2_replication_permissions" {
            continue;
        }
        for instance in resource["instances"].as_array_mut().unwrap() {
            assert_eq!(instance["schema_version"], 4);
            instance["schema_version"] = Json::from(0);
            let attributes = instance["attributes"].as_object_mut().unwrap();
            support::acls::as_object_rows(attributes);
            for added in support::MM2_ATTRIBUTES_SINCE_V0 {
                attributes.remove(added).unwrap();
            }
            rewritten += 1;
        }
    }
    assert!(rewritten > 0);
    std::fs::write(&path, serde_json::to_string_pretty(&state).unwrap()).unwrap();
}

#[test]
fn a_two_flow_properties_file_drives_for_each_resources() {
    for_each_terraform(|tf| {
        let t = unique("m");
        let principal = format!("User:mm2-{t}");
        let (src, dst) = (format!("src{t}"), format!("dst{t}"));
        let properties = format!(
            "# dedicated mode, both directions\n\
             clusters = {src}, {dst}\n\
             {src}.bootstrap.servers = source:9092\n\
             {dst}.bootstrap.servers = target:9092\n\
             {src}->{dst}.enabled = true\n\
             {src}->{dst}.topics = orders-{t}\\\\..*, payments-{t}\n\
             {dst}->{src}.enabled = true\n\
             {dst}->{src}.topics = (audit|billing)-{t}-.*\n\
             {dst}->{src}.emit.checkpoints.enabled = false\n\
             groups = app-{t}-.*\n\
             replication.factor = 2\n"
        );
        let dir = Workdir::with_dev_overrides(
            tf,
            &config(
                "  properties = file(\"mm2.properties\")\n",
                &t,
                &principal,
                "",
            ),
        );
        dir.write("mm2.properties", &properties);
        let plan = dir.plan_json();
        assert_eq!(
            resource_keys(&plan),
            BTreeSet::from([
                format!("kafkamirror_mm2_replication_permissions.flow[\"{dst}->{src}\"]"),
                format!("kafkamirror_mm2_replication_permissions.flow[\"{src}->{dst}\"]"),
            ])
        );
        let planned = planned_rows(&plan);
        dir.apply();
        assert_eq!(
            cluster_rows(&principal),
            planned,
            "the clusters hold exactly what the two flows need"
        );
        let held = cluster_rows(&principal);
        let has = |cluster: &str, binding: AclBinding| {
            assert!(
                held.contains(&(cluster.to_string(), binding.clone())),
                "{cluster} lacks {binding:?}"
            )
        };
        use Operation::{Describe, Read, Write};
        use PatternType::{Literal, Prefixed};
        use ResourceType::{Group, Topic};
        // src->dst: `orders-<t>\..*` is PREFIXED, `payments-<t>` LITERAL.
        has(
            SOURCE,
            binding(&principal, Topic, &format!("orders-{t}."), Prefixed, Read),
        );
        has(
            SOURCE,
            binding(&principal, Topic, &format!("payments-{t}"), Literal, Read),
        );
        has(
            TARGET,
            binding(
                &principal,
                Topic,
                &format!("{src}.orders-{t}."),
                Prefixed,
                Write,
            ),
        );
        has(
            TARGET,
            binding(
                &principal,
                Topic,
                &format!("{src}.payments-{t}"),
                Literal,
                Write,
            ),
        );
        has(
            SOURCE,
            binding(&principal, Group, &format!("app-{t}-"), Prefixed, Describe),
        );
        // dst->src: `(audit|billing)-<t>-.*` is two prefixes; its checkpoints are off.
        for name in ["audit", "billing"] {
            has(
                TARGET,
                binding(&principal, Topic, &format!("{name}-{t}-"), Prefixed, Read),
            );
            has(
                SOURCE,
                binding(
                    &principal,
                    Topic,
                    &format!("{dst}.{name}-{t}-"),
                    Prefixed,
                    Write,
                ),
            );
        }
        assert!(
            !held.iter().any(|(cluster, b)| cluster == TARGET
                && b.resource_type == Group
                && b.resource_name == format!("app-{t}-")),
            "no group ACL on {TARGET}: checkpoints of {dst}->{src} are off"
        );
        assert_eq!(dir.plan_exit_code().code, 0, "second plan is empty");

        // The state the previous release wrote (schema version 0) upgrades and plans empty.
        downgrade_state_to_version_0(&dir);
        let run = dir.plan_exit_code();
        assert_eq!(
            run.code, 0,
            "upgraded state plans empty:\n{}\n{}",
            run.stdout, run.stderr
        );

        dir.destroy();
        assert!(cluster_rows(&principal).is_empty());
    });
}

#[test]
fn a_strimzi_resource_drives_for_each_resources() {
    for_each_terraform(|tf| {
        let t = unique("s");
        let principal = format!("User:mm2-{t}");
        let (src, dst) = (format!("src{t}"), format!("dst{t}"));
        let rf = clusters().replication_factor();
        let yaml = format!(
            r#"apiVersion: kafka.strimzi.io/v1beta2
kind: KafkaMirrorMaker2
metadata:
  name: mm2
spec:
  version: 3.9.0
  replicas: 1
  connectCluster: {dst}
  clusters:
    - alias: {src}
      bootstrapServers: source:9092
    - alias: {dst}
      bootstrapServers: target:9092
      config:
        group.id: mm2-{t}
        config.storage.topic: mm2-{t}-configs
        offset.storage.topic: mm2-{t}-offsets
        status.storage.topic: mm2-{t}-status
        config.storage.replication.factor: {rf}
        offset.storage.replication.factor: {rf}
        status.storage.replication.factor: {rf}
  mirrors:
    - sourceCluster: {src}
      targetCluster: {dst}
      topicsPattern: "orders-{t}\\..*, payments-{t}"
      groupsPattern: "app-{t}-.*"
      sourceConnector:
        config:
          replication.factor: 2
          offset-syncs.topic.replication.factor: {rf}
          replication.policy.class: org.apache.kafka.connect.mirror.IdentityReplicationPolicy
      checkpointConnector:
        config:
          checkpoints.topic.replication.factor: {rf}
          sync.group.offsets.enabled: true
      heartbeatConnector:
        config:
          heartbeats.topic.replication.factor: {rf}
"#
        );
        // A second resource without groups, checkpoints on: the row-10 plan warning. It has a
        // principal of its own: resources with the same clusters and principal share one
        // claimant (documented in the topologies guide).
        let extra_principal = format!("{principal}-nogroups");
        let extra = format!(
            "\nresource \"kafkamirror_mm2_replication_permissions\" \"no_groups\" {{\n  source_cluster = \"{SOURCE}\"\n  target_cluster = \"{TARGET}\"\n  source_alias   = \"{src}x\"\n  target_alias   = \"{dst}x\"\n  principal      = \"{extra_principal}\"\n  topic_regexes  = [\"extra-{t}\\\\..*\"]\n  internal_topics_replication_factor = {rf}\n}}\n"
        );
        let dir = Workdir::with_dev_overrides(
            tf,
            &config("  strimzi = file(\"mm2.yaml\")\n", &t, &principal, &extra),
        );
        dir.write("mm2.yaml", &yaml);
        let run = dir.ok(&["plan", "-no-color"]);
        assert!(
            run.stdout
                .contains("Checkpoints cannot cover MM2's groups filter"),
            "row-10 warning missing:\n{}",
            run.stdout
        );
        let plan = dir.plan_json();
        assert_eq!(
            resource_keys(&plan),
            BTreeSet::from([
                format!("kafkamirror_mm2_replication_permissions.flow[\"{src}->{dst}\"]"),
                "kafkamirror_mm2_replication_permissions.no_groups".to_string(),
            ])
        );
        let planned = planned_rows(&plan);
        dir.apply();
        let all_held: BTreeSet<_> = cluster_rows(&principal)
            .union(&cluster_rows(&extra_principal))
            .cloned()
            .collect();
        assert_eq!(
            all_held, planned,
            "the clusters hold exactly what the flows need"
        );
        let has = |cluster: &str, binding: AclBinding| {
            assert!(
                all_held.contains(&(cluster.to_string(), binding.clone())),
                "{cluster} lacks {binding:?}"
            )
        };
        use Operation::{Read, Write};
        use PatternType::{Literal, Prefixed};
        use ResourceType::{Group, Topic};
        // IdentityReplicationPolicy: remote names unchanged.
        has(
            SOURCE,
            binding(&principal, Topic, &format!("orders-{t}."), Prefixed, Read),
        );
        has(
            TARGET,
            binding(&principal, Topic, &format!("orders-{t}."), Prefixed, Write),
        );
        has(
            TARGET,
            binding(&principal, Topic, &format!("payments-{t}"), Literal, Write),
        );
        // The Connect worker named in the Strimzi resource; group offset sync on the target.
        has(
            TARGET,
            binding(&principal, Group, &format!("mm2-{t}"), Literal, Read),
        );
        has(
            TARGET,
            binding(
                &principal,
                Topic,
                &format!("mm2-{t}-configs"),
                Literal,
                Write,
            ),
        );
        has(
            TARGET,
            binding(&principal, Group, &format!("app-{t}-"), Prefixed, Read),
        );
        // `topic_regexes` on the resource compiles the same way.
        has(
            SOURCE,
            binding(
                &extra_principal,
                Topic,
                &format!("extra-{t}."),
                Prefixed,
                Read,
            ),
        );
        let topics = clusters().topics(
            TARGET,
            &[format!("mm2-{t}-configs"), format!("mm2-{t}-offsets")],
        );
        assert_eq!(
            topics.len(),
            2,
            "the Connect worker's topics exist on {TARGET}"
        );
        assert_eq!(dir.plan_exit_code().code, 0, "second plan is empty");
        dir.destroy();
        assert!(cluster_rows(&principal).is_empty());
        assert!(cluster_rows(&extra_principal).is_empty());
    });
}

#[test]
fn malformed_configuration_is_a_diagnostic_naming_the_line() {
    for_each_terraform(|tf| {
        let main = format!(
            "{HEADER}provider \"kafkamirror\" {{}}\n\ndata \"kafkamirror_mm2_config\" \"mm2\" {{\n  properties = \"clusters = a, b\\na->b.enabled = true\\na->b.topics = (orders\\n\"\n}}\n"
        );
        let dir = Workdir::with_dev_overrides(tf, &main);
        let run = dir.run(&["plan", "-no-color"]);
        assert_ne!(run.code, 0);
        assert!(
            run.stderr.contains("line 3") && run.stderr.contains("topics"),
            "{}",
            run.stderr
        );
    });
}
