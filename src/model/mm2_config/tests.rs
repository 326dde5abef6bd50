//! The two parsers: MM2's precedence (`A->B.x` over `x`), its defaults, disabled flows, the
//! reverse herder, Strimzi mirrors, and errors that name their line or path.

use super::*;

fn strings(values: &[&str]) -> Vec<String> {
    values.iter().map(|v| v.to_string()).collect()
}

fn flow<'a>(config: &'a Mm2Config, key: &str) -> &'a ConfiguredFlow {
    config
        .flows
        .iter()
        .find(|f| f.key() == key)
        .unwrap_or_else(|| panic!("no flow {key}: {config:?}"))
}

const TWO_FLOWS: &str = r#"
# two clusters, replication both ways
clusters = primary, backup
primary.bootstrap.servers = p:9092
backup.bootstrap.servers = b:9092

primary->backup.enabled = true
primary->backup.topics = orders\\..*, payments
backup->primary.enabled = true
backup->primary.topics = audit
topics = ignored-by-both
groups = app-.*
sync.group.offsets.enabled = true
backup->primary.sync.group.offsets.enabled = false
replication.factor = 3
backup.exactly.once.source.support = enabled
"#;

#[test]
fn flow_settings_override_top_level_ones() {
    let config = properties::parse(TWO_FLOWS).unwrap();
    assert_eq!(config.flows.len(), 2);
    let forward = flow(&config, "primary->backup");
    assert_eq!(forward.topics, strings(&["payments"]));
    assert_eq!(forward.topic_prefixes, strings(&["orders."]));
    assert_eq!(forward.group_prefixes, strings(&["app-"]));
    assert!(forward.sync_group_offsets);
    assert_eq!(forward.remote_topics_replication_factor, 3);
    // Exactly-once is a worker setting of the target cluster (`backup.`).
    assert!(forward.exactly_once);
    let backward = flow(&config, "backup->primary");
    assert_eq!(backward.topics, strings(&["audit"]));
    assert!(!backward.sync_group_offsets);
    assert!(!backward.exactly_once);
    assert!(config.warnings.is_empty(), "{:?}", config.warnings);
}

#[test]
fn defaults_are_mm2s() {
    let config = properties::parse("clusters = a, b\na->b.enabled = true\n").unwrap();
    let only = flow(&config, "a->b");
    assert_eq!(only.topics, strings(&["*"]));
    assert_eq!(only.groups, strings(&["*"]));
    assert_eq!(only.replication_policy, "default");
    assert_eq!(only.replication_policy_separator, ".");
    assert_eq!(only.offset_syncs_topic_location, "source");
    assert!(only.emit_heartbeats && only.replicate_heartbeats && only.emit_checkpoints);
    assert!(only.emit_offset_syncs && only.sync_topic_configs && only.sync_topic_acls);
    assert!(!only.sync_group_offsets && !only.exactly_once);
    assert_eq!(only.internal_topics_replication_factor, 3);
    assert_eq!(only.remote_topics_replication_factor, 2);
    assert_eq!(only.deployment, Deployment::Dedicated);
    // `*` allows what MM2's default excludes skip: said once per filter.
    assert_eq!(only.warnings.len(), 2, "{:?}", only.warnings);
    assert!(only.warnings[0].contains("topics.exclude"));
    assert!(only.warnings[1].contains("groups.exclude"));
}

#[test]
fn disabled_flows_are_left_out_but_their_herders_are_reported() {
    let text =
        "clusters = a, b, c\na->b.enabled = true\nb->c.enabled = false\nc->a.enabled = yes\n";
    let config = properties::parse(text).unwrap();
    let keys: Vec<String> = config.flows.iter().map(ConfiguredFlow::key).collect();
    assert_eq!(
        keys,
        ["a->b"],
        "only `true` enables a flow (Boolean.parseBoolean)"
    );
    // Heartbeats are on: every pair has a herder. a->b and its reverse b->a are covered.
    assert_eq!(config.warnings.len(), 4, "{:?}", config.warnings);
    assert!(config.warnings.iter().any(|w| w.contains("herder a->c")));
    assert!(!config.warnings.iter().any(|w| w.contains("herder b->a ")));
}

#[test]
fn the_reverse_herder_follows_heartbeats() {
    let text = "clusters = a, b\na->b.enabled = true\nemit.heartbeats.enabled = false\n";
    let config = properties::parse(text).unwrap();
    assert!(!flow(&config, "a->b").emit_heartbeats);
    assert!(config.warnings.is_empty(), "{:?}", config.warnings);
    // Heartbeats on for a->b only: the resource would grant b->a's ACLs MM2 does not need.
    let text = "clusters = a, b\na->b.enabled = true\nemit.heartbeats.enabled = false\na->b.emit.heartbeats.enabled = true\n";
    let config = properties::parse(text).unwrap();
    let only = flow(&config, "a->b");
    assert!(only.emit_heartbeats);
    assert!(
        only.warnings
            .iter()
            .any(|w| w.contains("reverse herder b->a")),
        "{:?}",
        only.warnings
    );
}

#[test]
fn properties_grammar_is_javas() {
    let text =
        "clusters : a,\\\n    b\n! comment\na->b.enabled=true\na->b.topics  \\u006frders\\\\..*\n";
    let config = properties::parse(text).unwrap();
    assert_eq!(flow(&config, "a->b").topic_prefixes, strings(&["orders."]));
}

#[test]
fn errors_name_the_line() {
    for (text, line, needle) in [
        ("clusters = a, b\na->b.enabled = true\na->b.topics = (orders\n", 3, "topics"),
        ("clusters = a, b\na->b.enabled = true\nsync.topic.acls.enabled = maybe\n", 3, "not a boolean"),
        ("clusters = a, b\na->b.enabled = true\nreplication.policy.class = com.example.Custom\n", 3, "not supported"),
        ("clusters = a, b\n\na->b.enabled = true\na.group.id = x\n", 4, "group.id"),
        ("clusters = a, b\nx = \\u12\n", 2, "escape"),
        ("clusters = a, b\na->b.enabled = true\nreplication.policy.separator = _\nreplication.policy.internal.topic.separator.enabled = false\n", 4, "KIP-949"),
    ] {
        let error = properties::parse(text).unwrap_err();
        assert_eq!(error.location, Location::Line(line), "{text}: {error}");
        assert!(error.to_string().contains(needle), "{error}");
    }
    let error = properties::parse("a->b.enabled = true\n").unwrap_err();
    assert_eq!(error.location, Location::Document);
}

const STRIMZI: &str = r#"
apiVersion: kafka.strimzi.io/v1beta2
kind: KafkaMirrorMaker2
metadata:
  name: mm2
spec:
  version: 3.9.0
  replicas: 1
  connectCluster: target
  clusters:
    - alias: source
      bootstrapServers: source:9092
    - alias: target
      bootstrapServers: target:9092
      config:
        group.id: my-mm2
        config.storage.replication.factor: 2
        offset.storage.replication.factor: 2
        status.storage.replication.factor: 2
  mirrors:
    - sourceCluster: source
      targetCluster: target
      topicsPattern: "orders\\..*|payments"
      groupsPattern: "app-.*"
      sourceConnector:
        tasksMax: 2
        config:
          replication.factor: 2
          offset-syncs.topic.replication.factor: 2
          replication.policy.class: org.apache.kafka.connect.mirror.IdentityReplicationPolicy
          sync.topic.acls.enabled: false
      checkpointConnector:
        config:
          checkpoints.topic.replication.factor: 2
          sync.group.offsets.enabled: true
"#;

#[test]
fn strimzi_mirrors_become_connect_flows() {
    let config = strimzi::parse(STRIMZI).unwrap();
    let only = flow(&config, "source->target");
    assert_eq!(only.topics, strings(&["payments"]));
    assert_eq!(only.topic_prefixes, strings(&["orders."]));
    assert_eq!(only.group_prefixes, strings(&["app-"]));
    assert_eq!(only.replication_policy, "identity");
    assert!(!only.sync_topic_acls && only.sync_group_offsets && only.emit_checkpoints);
    // No heartbeatConnector: Strimzi deploys none.
    assert!(!only.emit_heartbeats);
    assert_eq!(only.internal_topics_replication_factor, 2);
    assert_eq!(
        only.deployment,
        Deployment::Connect {
            group_id: "my-mm2".into(),
            config_topic: "mirrormaker2-cluster-configs".into(),
            offset_topic: "mirrormaker2-cluster-offsets".into(),
            status_topic: "mirrormaker2-cluster-status".into(),
        }
    );
    // JSON is YAML too.
    let json = r#"{"kind": "KafkaMirrorMaker2", "spec": {"connectCluster": "b",
      "clusters": [{"alias": "a"}, {"alias": "b"}],
      "mirrors": [{"sourceCluster": "a", "targetCluster": "b", "sourceConnector": {}}]}}"#;
    let config = strimzi::parse(json).unwrap();
    let only = flow(&config, "a->b");
    assert!(!only.emit_checkpoints, "no checkpointConnector");
    assert_eq!(only.topics, strings(&["*"]));
}

#[test]
fn strimzi_errors_name_the_path() {
    for (from, to, path) in [
        (
            "topicsPattern: \"orders\\\\..*|payments\"",
            "topicsPattern: \"(orders\"",
            "spec.mirrors[0].topicsPattern",
        ),
        (
            "      groupsPattern",
            "      groupPattern",
            "spec.mirrors[0].groupPattern",
        ),
        (
            "      targetCluster: target",
            "      targetCluster: source",
            "spec.mirrors[0].targetCluster",
        ),
        (
            "sync.group.offsets.enabled: true",
            "sync.group.offsets.enabled: often",
            "spec.mirrors[0].checkpointConnector.config.sync.group.offsets.enabled",
        ),
        ("kind: KafkaMirrorMaker2", "kind: KafkaConnect", "kind"),
    ] {
        let text = STRIMZI.replace(from, to);
        assert_ne!(text, STRIMZI, "{from}");
        let error = strimzi::parse(&text).unwrap_err();
        assert_eq!(error.location, Location::Path(path.to_string()), "{error}");
    }
    let error = strimzi::parse("kind: [").unwrap_err();
    assert!(error.to_string().contains("not valid YAML"), "{error}");
}
