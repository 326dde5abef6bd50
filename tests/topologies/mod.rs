//! Helpers of `tests/e2e_topologies.rs`: three in-process test brokers (`east`, `west`, `hub`,
//! authorizer on) per test, flows of one principal (MM2 or a cluster link) rendered as HCL and
//! planned with the provider's own planners (`plan_mm2`, `plan_cluster_link`: the code behind
//! the resources and the data sources), and checks that read the brokers back, never the state.
//!
//! Expected sets are computed, not copied by hand: a flow's needs are the planner's output for
//! the inputs the HCL gives the resource, so a change of the permission tables moves the tests
//! with it. Every test that applies flows also checks that the brokers hold exactly the union
//! of the applied flows' needs, which pins the HCL and the planner inputs to each other.

use kafka_testbroker::{
    AclOperation, AclPermission, AclRecord, BrokerConfig, PatternType, ResourceType, TestBroker,
};
use kafkamirror::model::acl::AclBinding;
use kafkamirror::model::cluster_link::{plan_cluster_link, ClusterLinkInputs};
use kafkamirror::model::mm2::{plan_mm2, Mm2Inputs};
use kafkamirror::model::plan::{DesiredState, InternalTopic};
use std::collections::{BTreeMap, BTreeSet};

/// The principal every flow of these tests runs as (one MM2 deployment).
pub const MM2: &str = "User:mm2";
/// Another principal's bindings, seeded to prove they are never touched.
pub const OTHER: &str = "User:other";
/// The default claims topic of the interface (`claims_topic` in the `cluster` block).
pub const DEFAULT_CLAIMS_TOPIC: &str = "_kafkamirror-claims";

pub const EAST: &str = "east";
pub const WEST: &str = "west";
pub const HUB: &str = "hub";

/// Kafka API keys the tests wait on or delay.
pub const CREATE_ACLS: i16 = 30;
pub const DELETE_ACLS: i16 = 31;

const HEADER: &str = r#"terraform {
  required_providers {
    kafkamirror = { source = "kafkamirror/kafkamirror" }
  }
}
"#;

/// A binding on one cluster (provider cluster key).
pub type Row = (String, AclBinding);

/// The three clusters of one test, served by a runtime of their own while Terraform runs.
pub struct Clusters {
    /// Serves the brokers; kept alive as long as they are.
    _runtime: tokio::runtime::Runtime,
    pub brokers: BTreeMap<&'static str, TestBroker>,
    /// Extra lines of every `cluster` block (e.g. `ownership = "state"`).
    pub cluster_lines: BTreeMap<&'static str, String>,
    /// The `sasl` block of every `cluster` block, when the brokers need one.
    sasl: Option<(String, String)>,
    pub timeout_seconds: u32,
}

impl Clusters {
    /// PLAINTEXT brokers (3 nodes each, authorizer on); the provider connects as
    /// `User:ANONYMOUS`, a super user.
    pub fn plaintext() -> Clusters {
        let config = BrokerConfig {
            nodes: 3,
            super_users: vec!["User:ANONYMOUS".to_string()],
            ..BrokerConfig::default()
        };
        Clusters::start(config, None)
    }

    /// SASL brokers whose only user, the provider's, is not a super user: its rights are the
    /// ACLs the test adds.
    pub fn sasl(user: &str, password: &str) -> Clusters {
        let config = BrokerConfig {
            nodes: 3,
            users: vec![(user.to_string(), password.to_string())],
            super_users: Vec::new(),
            authorizer: true,
            ..BrokerConfig::default()
        };
        Clusters::start(config, Some((user.to_string(), password.to_string())))
    }

    fn start(config: BrokerConfig, sasl: Option<(String, String)>) -> Clusters {
        let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
        let brokers = [EAST, WEST, HUB]
            .into_iter()
            .map(|key| {
                let broker = runtime
                    .block_on(TestBroker::start("127.0.0.1:0", config.clone()))
                    .expect("start a test broker");
                (key, broker)
            })
            .collect();
        Clusters {
            _runtime: runtime,
            brokers,
            cluster_lines: BTreeMap::new(),
            sasl,
            timeout_seconds: 20,
        }
    }

    pub fn broker(&self, key: &str) -> &TestBroker {
        &self.brokers[key]
    }

    /// The `terraform` and `provider "kafkamirror"` blocks for every cluster.
    pub fn provider_hcl(&self) -> String {
        let mut hcl = format!("{HEADER}\nprovider \"kafkamirror\" {{\n");
        for (key, broker) in &self.brokers {
            hcl.push_str(&format!(
                "  cluster \"{key}\" {{\n    bootstrap_servers = [\"{}\"]\n    timeout_seconds   = {}\n",
                broker.bootstrap(),
                self.timeout_seconds
            ));
            if let Some(lines) = self.cluster_lines.get(key) {
                hcl.push_str(lines);
            }
            if let Some((user, password)) = &self.sasl {
                hcl.push_str(&format!(
                    "    sasl {{\n      mechanism = \"SCRAM-SHA-512\"\n      username  = \"{user}\"\n      password  = \"{password}\"\n    }}\n"
                ));
            }
            hcl.push_str("  }\n");
        }
        hcl.push_str("}\n");
        hcl
    }

    /// A whole configuration: the provider and one resource per flow.
    pub fn config(&self, flows: &[&Flow]) -> String {
        let mut hcl = self.provider_hcl();
        for flow in flows {
            hcl.push('\n');
            hcl.push_str(&flow.hcl());
        }
        hcl
    }

    /// Every binding of `principal` on every cluster, read from the brokers.
    pub fn bindings_of(&self, principal: &str) -> BTreeSet<Row> {
        self.brokers
            .iter()
            .flat_map(|(key, broker)| {
                broker
                    .acls()
                    .into_iter()
                    .filter(|record| record.principal == principal)
                    .map(move |record| (key.to_string(), binding(&record)))
            })
            .collect()
    }

    /// Fails unless the brokers hold every binding and internal topic `flow` needs (internal
    /// topics with the planned partitions, replication factor and `cleanup.policy=compact`).
    pub fn assert_holds_needs(&self, flows: &[&Flow], when: &str) {
        let held = self.bindings_of(MM2);
        for flow in flows {
            let needs = flow.needs();
            let missing: Vec<String> = acl_rows(&needs)
                .difference(&held)
                .map(|(cluster, b)| format!("{cluster}: {b}"))
                .collect();
            assert!(
                missing.is_empty(),
                "{when}: the brokers lack {} of the {} bindings {} needs:\n{}",
                missing.len(),
                needs.acls.len(),
                flow.id(),
                missing.join("\n")
            );
            for topic in &needs.topics {
                self.assert_topic(topic, &format!("{when}: {}", flow.id()));
            }
        }
    }

    /// Fails unless `principal`'s bindings on the brokers are exactly the union of what
    /// `flows` need plus `seeded` (the bindings that existed before any flow).
    pub fn assert_exactly(&self, flows: &[&Flow], seeded: &BTreeSet<Row>, when: &str) {
        let mut expected = seeded.clone();
        for flow in flows {
            expected.extend(acl_rows(&flow.needs()));
        }
        let held = self.bindings_of(MM2);
        let lines = |rows: BTreeSet<&Row>| {
            rows.iter()
                .map(|(c, b)| format!("  {c}: {b}"))
                .collect::<Vec<_>>()
                .join("\n")
        };
        assert!(
            held == expected,
            "{when}: the brokers' {MM2} bindings differ from the flows' needs plus the seeded ones\nmissing:\n{}\nunexpected:\n{}",
            lines(expected.difference(&held).collect()),
            lines(held.difference(&expected).collect())
        );
    }

    fn assert_topic(&self, topic: &InternalTopic, when: &str) {
        let found = self
            .broker(&topic.cluster)
            .topics()
            .into_iter()
            .find(|t| t.name == topic.name)
            .unwrap_or_else(|| panic!("{when}: topic {} missing on {}", topic.name, topic.cluster));
        assert_eq!(
            (found.partitions, found.replication_factor),
            (topic.partitions, topic.replication_factor),
            "{when}: partitions and replication factor of {} on {}",
            topic.name,
            topic.cluster
        );
        assert_eq!(
            found.configs.get("cleanup.policy").map(String::as_str),
            Some("compact"),
            "{when}: {} on {}",
            topic.name,
            topic.cluster
        );
    }

    /// The `cleanup.policy` of topic `name` on cluster `key` (`None` inside: no override),
    /// or `None` when the topic does not exist.
    pub fn topic_cleanup_policy(&self, key: &str, name: &str) -> Option<Option<String>> {
        self.broker(key)
            .topics()
            .into_iter()
            .find(|t| t.name == name)
            .map(|t| t.configs.get("cleanup.policy").cloned())
    }

    /// Stores `bindings` on the brokers directly, as another tool would have made them.
    pub fn seed(&self, bindings: &[(&str, AclRecord)]) -> BTreeSet<Row> {
        for (key, record) in bindings {
            self.broker(key).add_acl(record.clone());
        }
        bindings
            .iter()
            .map(|(key, record)| (key.to_string(), binding(record)))
            .collect()
    }
}

/// A literal ALLOW binding as the test broker stores it.
pub fn allow(
    principal: &str,
    resource_type: ResourceType,
    name: &str,
    op: AclOperation,
) -> AclRecord {
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

/// A broker record in the provider model's vocabulary (both use Kafka's enum names).
fn binding(record: &AclRecord) -> AclBinding {
    AclBinding {
        resource_type: record.resource_type.to_string().parse().unwrap(),
        resource_name: record.name.clone(),
        pattern_type: record.pattern_type.to_string().parse().unwrap(),
        principal: record.principal.clone(),
        host: record.host.clone(),
        operation: record.operation.to_string().parse().unwrap(),
        permission: record.permission.to_string().parse().unwrap(),
    }
}

fn acl_rows(needs: &DesiredState) -> BTreeSet<Row> {
    needs
        .acls
        .iter()
        .map(|acl| (acl.cluster.clone(), acl.binding.clone()))
        .collect()
}

/// What replicates a flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replicator {
    /// `kafkamirror_mm2_replication_permissions`, MM2's defaults apart from heartbeats.
    Mm2 { emit_heartbeats: bool },
    /// `kafkamirror_cluster_link_acls` with the defaults, mirroring `orders`.
    ClusterLink,
}

/// One flow `source -> target` of `User:mm2` (MM2's principal, or a cluster link's
/// credential).
#[derive(Debug, Clone)]
pub struct Flow {
    pub source: &'static str,
    pub target: &'static str,
    pub replicator: Replicator,
}

/// The application topics and consumer groups every MM2 flow replicates; a cluster link
/// mirrors the first topic.
const TOPICS: [&str; 2] = ["orders", "payments"];
const GROUPS: [&str; 1] = ["orders-app"];

fn quoted(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("\"{n}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Flow {
    /// An MM2 flow with MM2's defaults.
    pub fn new(source: &'static str, target: &'static str) -> Flow {
        Flow {
            source,
            target,
            replicator: Replicator::Mm2 {
                emit_heartbeats: true,
            },
        }
    }

    /// A cluster link `source -> target` whose credential is `User:mm2`.
    pub fn link(source: &'static str, target: &'static str) -> Flow {
        Flow {
            source,
            target,
            replicator: Replicator::ClusterLink,
        }
    }

    /// The same MM2 flow with `emit_heartbeats = false`.
    pub fn without_heartbeats(&self) -> Flow {
        Flow {
            replicator: Replicator::Mm2 {
                emit_heartbeats: false,
            },
            ..self.clone()
        }
    }

    /// The resource's `id` (its import id), which the claimant's name contains.
    pub fn id(&self) -> String {
        format!("{}:{}:{MM2}", self.source, self.target)
    }

    /// The resource block. Keep in step with [`Flow::needs`].
    pub fn hcl(&self) -> String {
        let (source, target) = (self.source, self.target);
        match self.replicator {
            Replicator::Mm2 { emit_heartbeats } => format!(
                "resource \"kafkamirror_mm2_replication_permissions\" \"{source}_to_{target}\" {{\n  source_cluster = \"{source}\"\n  target_cluster = \"{target}\"\n  principal      = \"{MM2}\"\n  topics         = [{}]\n  groups         = [{}]\n{}}}\n",
                quoted(&TOPICS),
                quoted(&GROUPS),
                if emit_heartbeats { "" } else { "  emit_heartbeats = false\n" }
            ),
            Replicator::ClusterLink => format!(
                "resource \"kafkamirror_cluster_link_acls\" \"{source}_to_{target}\" {{\n  source_cluster      = \"{source}\"\n  destination_cluster = \"{target}\"\n  link_principal      = \"{MM2}\"\n  topics              = [{}]\n}}\n",
                quoted(&TOPICS[..1])
            ),
        }
    }

    /// Every binding and internal topic this flow needs, from the provider's planner with
    /// the inputs [`Flow::hcl`] gives the resource (aliases default to the cluster keys).
    pub fn needs(&self) -> DesiredState {
        let names = |names: &[&str]| names.iter().map(|n| n.to_string()).collect();
        match self.replicator {
            Replicator::Mm2 { emit_heartbeats } => plan_mm2(&Mm2Inputs {
                topics: names(&TOPICS),
                groups: names(&GROUPS),
                emit_heartbeats,
                ..Mm2Inputs::with_defaults(self.source, self.target, MM2)
            }),
            Replicator::ClusterLink => plan_cluster_link(&ClusterLinkInputs {
                topics: names(&TOPICS[..1]),
                ..ClusterLinkInputs::with_defaults(self.source, self.target, MM2)
            }),
        }
    }

    /// The bindings this flow needs.
    pub fn needed_bindings(&self) -> BTreeSet<Row> {
        acl_rows(&self.needs())
    }
}
