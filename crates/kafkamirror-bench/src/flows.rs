//! The configurations the bench applies: one MirrorMaker 2 flow and one cluster link, each
//! replicating the same N topics between the two test brokers, and the `terraform_data`
//! floor that holds the same objects our resources keep in state.

use serde_json::{json, Value as Json};

use crate::brokers::{ADMIN_PASSWORD, ADMIN_USER};

/// Resource addresses of the benchmarked flows.
pub const MM2_ADDRESS: &str = "kafkamirror_mm2_replication_permissions.bench";
pub const LINK_ADDRESS: &str = "kafkamirror_cluster_link_acls.bench";

/// The N replicated topic names: `orders-000000`, `orders-000001`, ...
pub fn topic_names(count: usize) -> Vec<String> {
    (0..count).map(|i| format!("orders-{i:06}")).collect()
}

/// `main.tf` for N topics: the provider with both clusters, the MM2 flow and the cluster link.
/// The link depends on the flow: both meet in each cluster's claims record, and which reads it
/// first (so what each one's requests are) would otherwise follow Terraform's scheduling.
pub fn main_tf(source_bootstrap: &str, target_bootstrap: &str, topics: usize) -> String {
    let topic_list = serde_json::to_string(&topic_names(topics)).expect("strings serialize");
    let cluster = |alias: &str, bootstrap: &str| {
        format!(
            r#"  cluster "{alias}" {{
    bootstrap_servers = ["{bootstrap}"]
    sasl {{
      mechanism = "SCRAM-SHA-256"
      username  = "{ADMIN_USER}"
      password  = "{ADMIN_PASSWORD}"
    }}
  }}
"#
        )
    };
    format!(
        r#"terraform {{
  required_providers {{
    kafkamirror = {{ source = "kafkamirror/kafkamirror" }}
  }}
}}

provider "kafkamirror" {{
{source}{target}}}

locals {{
  topics = {topic_list}
}}

resource "kafkamirror_mm2_replication_permissions" "bench" {{
  source_cluster = "source"
  target_cluster = "target"
  principal      = "User:mm2"
  topics         = local.topics
  groups         = ["orders-app"]
}}

resource "kafkamirror_cluster_link_acls" "bench" {{
  source_cluster      = "source"
  destination_cluster = "target"
  link_mode           = "destination_initiated"
  link_principal      = "User:link"
  topics              = local.topics

  depends_on = [kafkamirror_mm2_replication_permissions.bench]
}}
"#,
        source = cluster("source", source_bootstrap),
        target = cluster("target", target_bootstrap),
    )
}

/// Objects (ACLs plus internal topics) each benchmarked resource holds in `state`
/// (`terraform show -json` output), and a `main.tf.json` with one `terraform_data` per
/// resource whose `input` is that resource's attribute values, so Terraform handles the same
/// data with no provider of ours involved.
pub fn floor_config(state: &Json) -> Result<(usize, String), String> {
    let resources = state["values"]["root_module"]["resources"]
        .as_array()
        .ok_or("no resources in the state")?;
    let mut floor = serde_json::Map::new();
    let mut objects = 0;
    for address in [MM2_ADDRESS, LINK_ADDRESS] {
        let resource = resources
            .iter()
            .find(|r| r["address"] == address)
            .ok_or_else(|| format!("{address} is not in the state"))?;
        let values = &resource["values"];
        for list in ["acls", "internal_topics"] {
            objects += values[list].as_object().map_or(0, serde_json::Map::len);
        }
        let name = address.rsplit_once('.').map_or(address, |(kind, _)| kind);
        floor.insert(name.to_string(), json!({ "input": values }));
    }
    let config = json!({ "resource": { "terraform_data": floor } });
    Ok((objects, config.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floor_holds_the_values_of_both_resources() {
        let acl = json!("MM2 source connector reads replicated topics");
        let state = json!({"values": {"root_module": {"resources": [
            {"address": MM2_ADDRESS, "values": {"acls": {"a": acl, "b": acl}, "internal_topics": {"t": {"name": "x"}}}},
            {"address": LINK_ADDRESS, "values": {"acls": {"a": acl}}},
        ]}}});
        let (objects, config) = floor_config(&state).unwrap();
        assert_eq!(objects, 4);
        let config: Json = serde_json::from_str(&config).unwrap();
        let floor = &config["resource"]["terraform_data"];
        assert_eq!(
            floor["kafkamirror_mm2_replication_permissions"]["input"]["internal_topics"]["t"]
                ["name"],
            "x"
        );
        assert_eq!(
            floor["kafkamirror_cluster_link_acls"]["input"]["acls"]
                .as_object()
                .unwrap()
                .len(),
            1
        );
    }

    #[test]
    fn main_tf_lists_every_topic_once() {
        let config = main_tf("127.0.0.1:1", "127.0.0.1:2", 3);
        assert!(config.contains(r#"["orders-000000","orders-000001","orders-000002"]"#));
        assert!(!config.contains("orders-000003"));
    }
}
