//! End-to-end: real Terraform (1.0.3 and the one on PATH) drives the provider binary through
//! schema loading, provider-config diagnostics, installation, logging and debug (reattach)
//! mode, using the real resources and data sources where no cluster is needed (the data
//! sources never contact one). The test-only `kafkamirror_test_note` remains only for what no
//! real resource shows yet: replacement (`requires_replace`), a state upgrade from schema
//! version 0, and a cluster whose address is unknown at plan time. The resources' own
//! lifecycle against clusters is in `e2e_resources.rs`. Needs `--features test-resources`.

mod support;

use serde_json::Value as Json;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use support::{for_each_terraform, provider_binary, state_resource, Workdir};

const HEADER: &str = r#"terraform {
  required_providers {
    kafkamirror = { source = "kafkamirror/kafkamirror" }
  }
}
"#;

/// A real data source that needs no cluster.
const LINK_DATA: &str = "data \"kafkamirror_cluster_link_acls\" \"l\" {\n  source_cluster      = \"primary\"\n  destination_cluster = \"dr\"\n  link_principal      = \"User:link\"\n  topics              = [\"orders\"]\n}\n";

fn config(body: &str) -> String {
    format!(
        "{HEADER}provider \"kafkamirror\" {{\n  cluster \"primary\" {{\n    bootstrap_servers = [\"primary-1:9092\"]\n  }}\n}}\n{body}"
    )
}

/// The 1-based line of `text` that contains `needle`.
fn line_of(text: &str, needle: &str) -> i64 {
    text.lines()
        .position(|l| l.contains(needle))
        .expect("needle in text") as i64
        + 1
}

fn word_list(words: &Json) -> Vec<(i64, String)> {
    let mut list: Vec<(i64, String)> = words
        .as_array()
        .expect("words is a list")
        .iter()
        .map(|w| {
            (
                w["position"].as_i64().unwrap(),
                w["word"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    list.sort();
    list
}

#[test]
fn schema_loads() {
    for_each_terraform(|tf| {
        let dir = Workdir::with_dev_overrides(tf, &config(""));
        let run = dir.ok(&["providers", "schema", "-json"]);
        let schemas: Json = serde_json::from_str(&run.stdout).unwrap();
        let provider =
            &schemas["provider_schemas"]["registry.terraform.io/kafkamirror/kafkamirror"];
        let cluster = &provider["provider"]["block"]["block_types"]["cluster"];
        assert_eq!(cluster["nesting_mode"], "map", "{provider}");
        assert_eq!(
            cluster["block"]["block_types"]["sasl"]["block"]["attributes"]["password"]["sensitive"],
            true
        );
        for name in [
            "kafkamirror_mm2_replication_permissions",
            "kafkamirror_cluster_link_acls",
        ] {
            let resource = &provider["resource_schemas"][name]["block"]["attributes"];
            let data = &provider["data_source_schemas"][name]["block"]["attributes"];
            // Resources: one line per binding (key to reason); data sources: objects.
            assert_eq!(
                resource["acls"]["type"],
                serde_json::json!(["map", "string"]),
                "{name}"
            );
            assert_eq!(
                resource["preexisting_acls"]["type"],
                resource["acls"]["type"]
            );
            assert_eq!(data["acls"]["type"][0], "map", "{name}");
            assert_eq!(data["acls"]["type"][1][0], "object", "{name}");
            assert_eq!(resource["preexisting_acls"]["computed"], true, "{name}");
            assert!(data.get("preexisting_acls").is_none(), "{name}");
        }
        let note = &provider["resource_schemas"]["kafkamirror_test_note"];
        assert_eq!(note["version"], 1);
        let words = &note["block"]["attributes"]["words"];
        assert_eq!(words["computed"], true);
        assert_eq!(
            words["type"],
            serde_json::json!(["set", ["object", {"position": "number", "word": "string"}]])
        );
    });
}

#[test]
fn invalid_provider_config_points_at_the_line() {
    let main_tf = format!(
        "{HEADER}provider \"kafkamirror\" {{\n  cluster \"primary\" {{\n    bootstrap_servers = [\"a:9092\"]\n    timeout_seconds = 1.5\n    sasl {{\n      mechanism = \"GSSAPI\"\n      username  = \"u\"\n      password  = \"p\"\n    }}\n  }}\n}}\n{LINK_DATA}"
    );
    let mechanism_line = line_of(&main_tf, "GSSAPI");
    let timeout_line = line_of(&main_tf, "1.5");
    for_each_terraform(|tf| {
        let dir = Workdir::with_dev_overrides(tf, &main_tf);
        let run = dir.run(&["plan", "-json"]);
        assert_eq!(run.code, 1, "plan must fail: {}", run.stdout);
        let diagnostics = run.json_diagnostics();
        let diagnostic = diagnostics
            .iter()
            .find(|d| d["summary"] == "Unknown SASL mechanism")
            .unwrap_or_else(|| panic!("no mechanism diagnostic in {diagnostics:?}"));
        assert_eq!(diagnostic["severity"], "error");
        assert_eq!(diagnostic["range"]["filename"], "main.tf", "{diagnostic}");
        assert_eq!(
            diagnostic["range"]["start"]["line"], mechanism_line,
            "{diagnostic}"
        );
        let timeout = diagnostics
            .iter()
            .find(|d| d["summary"] == "Invalid number")
            .unwrap_or_else(|| panic!("no timeout diagnostic in {diagnostics:?}"));
        assert!(timeout["detail"]
            .as_str()
            .unwrap()
            .contains("1.5 is not a whole number"));
        assert_eq!(timeout["range"]["start"]["line"], timeout_line, "{timeout}");
        assert!(!run.stdout.contains("panicked") && !run.stdout.contains("RUST_BACKTRACE"));
    });
}

#[test]
fn resource_plans_applies_replans_clean_imports_and_destroys() {
    let resource = r#"resource "kafkamirror_test_note" "n" {
  name    = "greeting"
  text    = "hello big world"
  cluster = "primary"
}
"#;
    for_each_terraform(|tf| {
        let dir = Workdir::with_dev_overrides(tf, &config(resource));

        let plan = dir.plan_json();
        let change = &plan["resource_changes"][0]["change"];
        assert_eq!(change["actions"], serde_json::json!(["create"]));
        assert_eq!(change["after_unknown"]["id"], true, "{change}");
        assert_eq!(word_list(&change["after"]["words"]).len(), 3);

        dir.apply();
        let note = state_resource(&dir.state_json(), "kafkamirror_test_note.n");
        assert_eq!(note["values"]["id"], "greeting");
        assert_eq!(
            word_list(&note["values"]["words"]),
            vec![(0, "hello".into()), (1, "big".into()), (2, "world".into())]
        );

        let replan = dir.plan_exit_code();
        assert_eq!(
            replan.code, 0,
            "re-plan must show no changes:\n{}{}",
            replan.stdout, replan.stderr
        );

        // Changing name (requires_replace) plans a replacement.
        dir.write(
            "main.tf",
            &config(&resource.replace("\"greeting\"", "\"farewell\"")),
        );
        let plan = dir.plan_json();
        assert_eq!(
            plan["resource_changes"][0]["change"]["actions"],
            serde_json::json!(["delete", "create"])
        );
        dir.write("main.tf", &config(resource));

        dir.destroy();
        assert!(state_has_no_resources(&dir.state_json()));

        // Import into the same configuration, then nothing is left to change.
        dir.ok(&[
            "import",
            "-no-color",
            "kafkamirror_test_note.n",
            "greeting:hello big world",
        ]);
        let imported = state_resource(&dir.state_json(), "kafkamirror_test_note.n");
        assert_eq!(imported["values"]["text"], "hello big world");
        assert_eq!(word_list(&imported["values"]["words"]).len(), 3);
        // cluster is not part of the import id, so the only difference is that attribute.
        let plan = dir.plan_json();
        let change = &plan["resource_changes"][0]["change"];
        assert_eq!(change["actions"], serde_json::json!(["update"]), "{change}");
        assert_eq!(change["after"]["cluster"], "primary");

        dir.destroy();
    });
}

#[test]
fn unknown_cluster_alias_is_a_diagnostic_on_the_attribute() {
    let resource = r#"resource "kafkamirror_cluster_link_acls" "l" {
  source_cluster      = "primary"
  destination_cluster = "nowhere"
  link_principal      = "User:link"
  topics              = ["orders"]
}
"#;
    let main_tf = config(resource);
    let alias_line = line_of(&main_tf, "nowhere");
    for_each_terraform(|tf| {
        let dir = Workdir::with_dev_overrides(tf, &main_tf);
        let run = dir.run(&["plan", "-json"]);
        assert_eq!(run.code, 1);
        let diagnostic = run
            .json_diagnostics()
            .into_iter()
            .find(|d| d["summary"] == "Unknown cluster")
            .expect("unknown cluster diagnostic");
        assert!(diagnostic["detail"].as_str().unwrap().contains("primary"));
        assert_eq!(
            diagnostic["range"]["start"]["line"], alias_line,
            "{diagnostic}"
        );
    });
}

fn state_has_no_resources(state: &Json) -> bool {
    state["values"]["root_module"]["resources"]
        .as_array()
        .is_none_or(|r| r.is_empty())
}

#[test]
fn state_from_schema_version_0_is_upgraded() {
    let resource = r#"resource "kafkamirror_test_note" "n" {
  name = "old"
  text = "one two"
}
"#;
    let v0_state = r#"{
  "version": 4,
  "terraform_version": "1.0.3",
  "serial": 1,
  "lineage": "5d0e0f54-9a7c-4bd7-8a54-3c8f1c3a7e11",
  "outputs": {},
  "resources": [
    {
      "mode": "managed",
      "type": "kafkamirror_test_note",
      "name": "n",
      "provider": "provider[\"registry.terraform.io/kafkamirror/kafkamirror\"]",
      "instances": [
        {
          "schema_version": 0,
          "attributes": { "id": "old", "name": "old", "body": "one two" },
          "sensitive_attributes": []
        }
      ]
    }
  ]
}
"#;
    for_each_terraform(|tf| {
        let dir = Workdir::with_dev_overrides(tf, &config(resource));
        dir.write("terraform.tfstate", v0_state);
        let replan = dir.plan_exit_code();
        assert_eq!(
            replan.code, 0,
            "upgraded state must match config:\n{}{}",
            replan.stdout, replan.stderr
        );
        dir.ok(&["apply", "-refresh-only", "-auto-approve", "-no-color"]);
        let state: Json = serde_json::from_str(
            &std::fs::read_to_string(dir.path().join("terraform.tfstate")).unwrap(),
        )
        .unwrap();
        let instance = &state["resources"][0]["instances"][0];
        assert_eq!(instance["schema_version"], 1, "{instance}");
        assert_eq!(instance["attributes"]["text"], "one two");
        assert!(instance["attributes"].get("body").is_none());
        assert_eq!(word_list(&instance["attributes"]["words"]).len(), 2);
    });
}

/// Kills the debug server when the test ends, however it ends.
struct DebugServer(std::process::Child);

impl Drop for DebugServer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn debug_mode_serves_terraform_through_reattach() {
    for_each_terraform(|tf| {
        let mut child = Command::new(provider_binary())
            .arg("--debug")
            .env_remove("TF_PLUGIN_MAGIC_COOKIE")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start provider in debug mode");
        let stdout = child.stdout.take().unwrap();
        let server = DebugServer(child);
        let reattach = BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .find_map(|line| {
                line.trim()
                    .strip_prefix("TF_REATTACH_PROVIDERS='")
                    .and_then(|rest| rest.strip_suffix('\''))
                    .map(str::to_string)
            })
            .expect("debug mode prints TF_REATTACH_PROVIDERS");
        let parsed: Json = serde_json::from_str(&reattach).unwrap();
        let entry = &parsed["registry.terraform.io/kafkamirror/kafkamirror"];
        assert_eq!(entry["ProtocolVersion"], 6);
        assert_eq!(entry["Pid"], server.0.id());

        let mut dir = Workdir::plain(tf, &config(LINK_DATA));
        dir.set_env("TF_REATTACH_PROVIDERS", &reattach);
        dir.apply();
        let link = state_resource(&dir.state_json(), "data.kafkamirror_cluster_link_acls.l");
        assert_eq!(link["values"]["id"], "primary:dr:User:link");
        // The server outlives each Terraform run: a second run works too.
        let replan = dir.plan_exit_code();
        assert_eq!(replan.code, 0, "{}{}", replan.stdout, replan.stderr);
        dir.destroy();

        // Ctrl-C stops the debug server cleanly.
        let mut server = server;
        let interrupted = Command::new("kill")
            .args(["-INT", &server.0.id().to_string()])
            .status()
            .unwrap();
        assert!(interrupted.success());
        let status = server.0.wait().unwrap();
        assert!(
            status.success(),
            "debug server exit status after Ctrl-C: {status}"
        );
    });
}

#[test]
fn running_by_hand_explains_and_fails() {
    let output = Command::new(provider_binary())
        .env_remove("TF_PLUGIN_MAGIC_COOKIE")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("plugin for Terraform") && stderr.contains("--debug"),
        "{stderr}"
    );
    assert!(
        output.stdout.is_empty(),
        "no handshake line without Terraform"
    );
}

#[test]
fn filesystem_mirror_installs_the_provider() {
    for_each_terraform(|tf| {
        let dir = Workdir::with_filesystem_mirror(tf, &config(LINK_DATA), "0.1.0");
        dir.ok(&["init", "-no-color"]);
        dir.apply();
        dir.destroy();
    });
}

#[test]
fn cluster_unknown_at_plan_time_does_not_block_the_others() {
    // timestamp() is unknown until apply, so cluster "dr" has no known address while planning.
    let main_tf = format!(
        r#"{HEADER}provider "kafkamirror" {{
  cluster "primary" {{
    bootstrap_servers = ["primary-1:9092"]
  }}
  cluster "dr" {{
    bootstrap_servers = ["dr-${{timestamp()}}:9092"]
  }}
}}
resource "kafkamirror_test_note" "on_primary" {{
  name    = "p"
  cluster = "primary"
}}
resource "kafkamirror_test_note" "on_dr" {{
  name    = "d"
  cluster = "dr"
}}
"#
    );
    for_each_terraform(|tf| {
        let dir = Workdir::with_dev_overrides(tf, &main_tf);
        let plan = dir.plan_json();
        let actions: Vec<&Json> = plan["resource_changes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|change| &change["change"]["actions"])
            .collect();
        assert_eq!(
            actions,
            [
                &serde_json::json!(["create"]),
                &serde_json::json!(["create"])
            ]
        );
        dir.apply();
        dir.destroy();
    });
}

#[test]
fn provider_logs_reach_terraform_debug_log() {
    for_each_terraform(|tf| {
        let mut dir = Workdir::with_dev_overrides(tf, &config(LINK_DATA));
        dir.set_env("TF_LOG", "DEBUG");
        let run = dir.ok(&["plan", "-no-color"]);
        let line = run
            .stderr
            .lines()
            .find(|l| l.contains("configured clusters"))
            .unwrap_or_else(|| panic!("no provider log line in:\n{}", run.stderr));
        // go-plugin parsed our JSON line: level in brackets, message under the plugin's name.
        assert!(
            line.contains("[DEBUG]") && line.contains("terraform-provider-kafkamirror"),
            "{line}"
        );
    });
}

#[test]
fn duplicate_cluster_alias_is_rejected_on_its_line() {
    // Map nesting makes Terraform itself reject a repeated label, before the provider runs.
    let main_tf = format!(
        "{HEADER}provider \"kafkamirror\" {{\n  cluster \"primary\" {{\n    bootstrap_servers = [\"a:9092\"]\n  }}\n  cluster \"primary\" {{ # again\n    bootstrap_servers = [\"b:9092\"]\n  }}\n}}\n{LINK_DATA}"
    );
    let duplicate_line = line_of(&main_tf, "# again");
    for_each_terraform(|tf| {
        let dir = Workdir::with_dev_overrides(tf, &main_tf);
        let run = dir.run(&["plan", "-json"]);
        assert_eq!(run.code, 1);
        let diagnostic = run
            .json_diagnostics()
            .into_iter()
            .find(|d| d["summary"] == "Duplicate cluster block")
            .expect("duplicate alias diagnostic");
        assert_eq!(
            diagnostic["range"]["start"]["line"], duplicate_line,
            "{diagnostic}"
        );
    });
}
