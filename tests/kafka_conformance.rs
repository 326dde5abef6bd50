//! Runs the broker's client-independent conformance cases
//! (`crates/kafka-testbroker/conformance/cases.json`) through this admin layer, so rdkafka
//! and kafka-python are held to the same expected Kafka error names.
//!
//! Steps whose operation this layer does not offer are not run: a read (`describe_configs`
//! of a BROKER) is skipped; a write (`alter_configs`, `create_partitions`, `delete_topics`)
//! ends its case there, since later steps depend on its effect. The test prints what it ran
//! and skipped; a step the library refuses locally passes only where the case allows it
//! (`client_may_reject`).
use kafka_testbroker::{BrokerConfig, TestBroker};
use kafkamirror::kafka::config::{ClusterConnection, SaslMechanism, SaslSettings};
use kafkamirror::kafka::{
    AclFilter, BrokerError, ConfigChange, ConfigSource, KafkaAdmin, KafkaError, NewTopic,
    PatternFilter, TopicConfigAlteration, TopicLookup,
};
use kafkamirror::model::acl::{AclBinding, Operation, PatternType, Permission, ResourceType};
use kafkamirror::secret::Secret;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

const CASES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/crates/kafka-testbroker/conformance/cases.json"
);

/// What happened to one step.
enum StepOutcome {
    /// The observed result; compared with `expect`.
    Observed(Value),
    /// The library refused the input before sending anything.
    RejectedLocally(String),
    /// This layer has no such call (the reason says which).
    Unsupported(String),
}

/// A profile's broker and the clients connected to it, one per user.
struct Cluster {
    broker: TestBroker,
    profile: Value,
    admins: BTreeMap<String, KafkaAdmin>,
}

impl Cluster {
    async fn start(profile: &Value) -> Cluster {
        let users: Vec<(String, String)> = profile["users"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| (text(&u[0]), text(&u[1])))
            .collect();
        let config = BrokerConfig {
            nodes: profile["nodes"].as_i64().unwrap() as i32,
            users,
            super_users: strings(&profile["super_users"]),
            authorizer: profile["authorizer"].as_bool().unwrap(),
            ..BrokerConfig::default()
        };
        let broker = TestBroker::start("127.0.0.1:0", config).await.unwrap();
        Cluster {
            broker,
            profile: profile.clone(),
            admins: BTreeMap::new(),
        }
    }

    fn connection(&self, sasl: Option<(SaslMechanism, String, String)>) -> ClusterConnection {
        ClusterConnection {
            alias: "conformance".into(),
            bootstrap_servers: vec![self.broker.bootstrap()],
            tls: None,
            sasl: sasl.map(|(mechanism, username, password)| SaslSettings {
                mechanism,
                username,
                password: Secret::new(password),
            }),
            oauth: None,
            principal: None,
            timeout: Duration::from_secs(30),
        }
    }

    /// The client for the step's `as` user (SCRAM-SHA-256), the profile's first user, or
    /// PLAINTEXT when the profile has no users.
    async fn admin(&mut self, step: &Value) -> &KafkaAdmin {
        let users = self.profile["users"].as_array().unwrap().clone();
        let user = step["as"]
            .as_str()
            .map(str::to_string)
            .or_else(|| users.first().map(|u| text(&u[0])));
        let key = user.clone().unwrap_or_default();
        if !self.admins.contains_key(&key) {
            let sasl = user.map(|name| {
                let password = users
                    .iter()
                    .find(|u| u[0] == name.as_str())
                    .map(|u| text(&u[1]))
                    .expect("the profile has this user");
                (SaslMechanism::ScramSha256, name, password)
            });
            let admin = KafkaAdmin::connect(&self.connection(sasl))
                .await
                .unwrap_or_else(|e| panic!("connect: {e}"));
            self.admins.insert(key.clone(), admin);
        }
        &self.admins[&key]
    }
}

fn text(value: &Value) -> String {
    value.as_str().expect("a string").to_string()
}

fn strings(value: &Value) -> Vec<String> {
    value.as_array().unwrap().iter().map(text).collect()
}

/// The Kafka error name every item of a request gets when the request failed as a whole,
/// or the local rejection / unexpected failure.
fn whole_request_error(error: &KafkaError) -> Result<String, StepOutcome> {
    match error {
        KafkaError::AuthorizationFailed { error_name, .. } => Ok(error_name.clone()),
        KafkaError::SecurityDisabled { .. } => Ok("SECURITY_DISABLED".into()),
        KafkaError::AuthenticationFailed { .. } => Ok("SASL_AUTHENTICATION_FAILED".into()),
        KafkaError::InvalidInput { .. } => Err(StepOutcome::RejectedLocally(error.to_string())),
        KafkaError::Request { error: inner, .. } if inner.name.starts_with('_') => {
            Err(StepOutcome::RejectedLocally(error.to_string()))
        }
        KafkaError::Request { error: inner, .. } => Ok(inner.name.clone()),
        other => panic!("unexpected failure: {other}"),
    }
}

/// One topic of a describe_topics result, shaped as kafka-python reports it.
fn described(error: &str, partitions: usize, replication_factor: usize) -> Value {
    json!({"error": error, "partitions": partitions, "replication_factor": replication_factor})
}

fn item_error<T>(result: &Result<T, BrokerError>) -> String {
    match result {
        Ok(_) => "NONE".into(),
        Err(error) => error.name.clone(),
    }
}

fn parse_binding(value: &Value) -> Option<AclBinding> {
    Some(AclBinding {
        resource_type: value["resource_type"].as_str()?.parse().ok()?,
        resource_name: value["name"].as_str()?.to_string(),
        pattern_type: value["pattern_type"].as_str()?.parse().ok()?,
        principal: value["principal"].as_str()?.to_string(),
        host: value["host"].as_str()?.to_string(),
        operation: value["operation"].as_str()?.parse().ok()?,
        permission: value["permission"].as_str()?.parse().ok()?,
    })
}

fn binding_json(binding: &AclBinding) -> Value {
    json!({
        "resource_type": binding.resource_type.as_str(),
        "name": binding.resource_name,
        "pattern_type": binding.pattern_type.as_str(),
        "principal": binding.principal,
        "host": binding.host,
        "operation": binding.operation.as_str(),
        "permission": binding.permission.as_str(),
    })
}

fn parse_filter(value: &Value) -> AclFilter {
    fn any_or<T: std::str::FromStr>(value: &Value) -> Option<T> {
        match value.as_str() {
            None | Some("ANY") => None,
            Some(name) => Some(
                name.parse()
                    .ok()
                    .unwrap_or_else(|| panic!("unknown {name}")),
            ),
        }
    }
    let pattern = match value["pattern_type"].as_str().unwrap() {
        "ANY" => PatternFilter::Any,
        "MATCH" => PatternFilter::Match,
        other => PatternFilter::Exact(other.parse::<PatternType>().unwrap()),
    };
    AclFilter {
        resource_type: any_or::<ResourceType>(&value["resource_type"]),
        resource_name: value["name"].as_str().map(str::to_string),
        pattern,
        principal: value["principal"].as_str().map(str::to_string),
        host: value["host"].as_str().map(str::to_string),
        operation: any_or::<Operation>(&value["operation"]),
        permission: any_or::<Permission>(&value["permission"]),
    }
}

fn source_name(source: ConfigSource) -> &'static str {
    match source {
        ConfigSource::DynamicTopic => "DYNAMIC_TOPIC_CONFIG",
        ConfigSource::DynamicBroker => "DYNAMIC_BROKER_CONFIG",
        ConfigSource::DynamicDefaultBroker => "DYNAMIC_DEFAULT_BROKER_CONFIG",
        ConfigSource::StaticBroker => "STATIC_BROKER_CONFIG",
        ConfigSource::Default => "DEFAULT_CONFIG",
        ConfigSource::Unknown => "UNKNOWN",
    }
}

async fn run_step(cluster: &mut Cluster, step: &Value) -> StepOutcome {
    let op = step["op"].as_str().unwrap();
    match op {
        "connect" => {
            let mechanism = SaslMechanism::parse(step["mechanism"].as_str().unwrap()).unwrap();
            let connection = cluster.connection(Some((
                mechanism,
                text(&step["user"]),
                text(&step["password"]),
            )));
            StepOutcome::Observed(match KafkaAdmin::connect(&connection).await {
                Ok(_) => json!("NONE"),
                Err(error) => match whole_request_error(&error) {
                    Ok(name) => json!(name),
                    Err(outcome) => return outcome,
                },
            })
        }
        "create_topics" => {
            let topics: Vec<NewTopic> = step["topics"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| {
                    let count = |v: &Value| u32::try_from(v.as_i64().unwrap()).ok();
                    NewTopic {
                        name: text(&t["name"]),
                        partitions: count(&t["partitions"]),
                        replication_factor: count(&t["replication_factor"]),
                        configs: t["configs"]
                            .as_object()
                            .map(|c| c.iter().map(|(k, v)| (k.clone(), text(v))).collect())
                            .unwrap_or_default(),
                    }
                })
                .collect();
            // A count this layer cannot express (only -1 maps to "broker default").
            if step["topics"].as_array().unwrap().iter().any(|t| {
                t["partitions"].as_i64().unwrap() < -1
                    || t["replication_factor"].as_i64().unwrap() < -1
            }) {
                return StepOutcome::Unsupported("counts below -1".into());
            }
            let validate_only = step["validate_only"].as_bool().unwrap_or(false);
            let admin = cluster.admin(step).await;
            match admin.create_topics(&topics, validate_only).await {
                Ok(results) => StepOutcome::Observed(Value::Object(
                    results
                        .iter()
                        .map(|(topic, r)| (topic.clone(), json!(item_error(r))))
                        .collect(),
                )),
                Err(error) => match whole_request_error(&error) {
                    Ok(name) => StepOutcome::Observed(Value::Object(
                        topics
                            .iter()
                            .map(|t| (t.name.clone(), json!(name)))
                            .collect(),
                    )),
                    Err(outcome) => outcome,
                },
            }
        }
        "list_topics" => {
            let admin = cluster.admin(step).await;
            let topics = admin.list_topics().await.unwrap();
            let names: Vec<_> = topics.into_iter().map(|t| t.name).collect();
            StepOutcome::Observed(json!({ "topics": names }))
        }
        "describe_topics" => {
            let names = strings(&step["topics"]);
            let admin = cluster.admin(step).await;
            let lookups = match admin.describe_topics(&names).await {
                Ok(lookups) => lookups,
                // A topic Kafka refused fails the whole call; the step names only such topics.
                Err(error) => {
                    let name = match whole_request_error(&error) {
                        Ok(name) => name,
                        Err(outcome) => return outcome,
                    };
                    return StepOutcome::Observed(Value::Object(
                        names
                            .into_iter()
                            .map(|topic| (topic, described(&name, 0, 0)))
                            .collect(),
                    ));
                }
            };
            StepOutcome::Observed(Value::Object(
                lookups
                    .into_iter()
                    .map(|lookup| match lookup {
                        TopicLookup::Exists(t) => (
                            t.name,
                            described("NONE", t.partitions, t.replication_factor),
                        ),
                        TopicLookup::Missing { name } => {
                            (name, described("UNKNOWN_TOPIC_OR_PARTITION", 0, 0))
                        }
                    })
                    .collect(),
            ))
        }
        "describe_configs" if step["resource_type"] == "TOPIC" => {
            let topic = text(&step["name"]);
            let admin = cluster.admin(step).await;
            let outcome = match admin.describe_topic_configs(&[topic]).await {
                Ok(mut results) => results.remove(0).1,
                Err(error) => match whole_request_error(&error) {
                    Ok(name) => return StepOutcome::Observed(json!({ "error": name })),
                    Err(outcome) => return outcome,
                },
            };
            StepOutcome::Observed(match outcome {
                Ok(configs) => {
                    let entries: Map<String, Value> = configs
                        .entries
                        .values()
                        .map(|e| {
                            (
                                e.name.clone(),
                                json!({"value": e.value, "source": source_name(e.source)}),
                            )
                        })
                        .collect();
                    json!({"error": "NONE", "configs": entries})
                }
                Err(error) => json!({ "error": error.name }),
            })
        }
        "incremental_alter_configs" if step["resource_type"] == "TOPIC" => {
            let changes = step["ops"]
                .as_array()
                .unwrap()
                .iter()
                .map(|op| {
                    let name = text(&op[0]);
                    let value = op[2].as_str().map(str::to_string);
                    match (op[1].as_str().unwrap(), value) {
                        ("SET", Some(value)) => ConfigChange::Set { name, value },
                        ("DELETE", _) => ConfigChange::Delete { name },
                        ("APPEND", Some(value)) => ConfigChange::Append { name, value },
                        ("SUBTRACT", Some(value)) => ConfigChange::Subtract { name, value },
                        (other, _) => panic!("unknown config op {other}"),
                    }
                })
                .collect();
            let alteration = TopicConfigAlteration {
                topic: text(&step["name"]),
                changes,
            };
            let admin = cluster.admin(step).await;
            match admin.alter_topic_configs(&[alteration]).await {
                Ok(results) => StepOutcome::Observed(json!({ "error": item_error(&results[0].1) })),
                Err(error) => match whole_request_error(&error) {
                    Ok(name) => StepOutcome::Observed(json!({ "error": name })),
                    Err(outcome) => outcome,
                },
            }
        }
        "create_acls" => {
            let parsed: Option<Vec<AclBinding>> = step["bindings"]
                .as_array()
                .unwrap()
                .iter()
                .map(parse_binding)
                .collect();
            let Some(bindings) = parsed else {
                return StepOutcome::RejectedLocally(
                    "ANY/MATCH are filter-only values an AclBinding cannot hold".into(),
                );
            };
            let admin = cluster.admin(step).await;
            match admin.create_acls(&bindings).await {
                Ok(results) => StepOutcome::Observed(results.iter().map(item_error).collect()),
                Err(error) => match whole_request_error(&error) {
                    Ok(name) => StepOutcome::Observed(vec![json!(name); bindings.len()].into()),
                    Err(outcome) => outcome,
                },
            }
        }
        "describe_acls" => {
            let filter = parse_filter(&step["filter"]);
            let admin = cluster.admin(step).await;
            match admin.describe_acls(&filter).await {
                Ok(bindings) => StepOutcome::Observed(json!({
                    "error": "NONE",
                    "count": bindings.len(),
                    "bindings": bindings.iter().map(binding_json).collect::<Vec<_>>(),
                })),
                Err(error) => match whole_request_error(&error) {
                    Ok(name) => StepOutcome::Observed(json!({ "error": name })),
                    Err(outcome) => outcome,
                },
            }
        }
        "delete_acls" => {
            let filters: Vec<AclFilter> = step["filters"]
                .as_array()
                .unwrap()
                .iter()
                .map(parse_filter)
                .collect();
            let admin = cluster.admin(step).await;
            match admin.delete_acls(&filters).await {
                Ok(results) => StepOutcome::Observed(
                    results
                        .iter()
                        .map(|r| {
                            let deleted: Vec<Value> = r
                                .as_ref()
                                .map(|bindings| bindings.iter().map(binding_json).collect())
                                .unwrap_or_default();
                            json!({"error": item_error(r), "deleted": deleted})
                        })
                        .collect(),
                ),
                Err(error) => match whole_request_error(&error) {
                    Ok(name) => StepOutcome::Observed(
                        vec![json!({"error": name, "deleted": []}); filters.len()].into(),
                    ),
                    Err(outcome) => outcome,
                },
            }
        }
        other => StepOutcome::Unsupported(format!(
            "{other}{}",
            step["resource_type"]
                .as_str()
                .map(|t| format!(" on {t}"))
                .unwrap_or_default()
        )),
    }
}

/// Binding lists compare as sets (the order is not part of Kafka's contract).
fn binding_set(value: &Value) -> BTreeSet<String> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(Value::to_string)
        .collect()
}

/// Compares an observed result with `expect` under the cases' rules; `None` if they agree.
fn mismatch(op: &str, expect: &Value, observed: &Value) -> Option<String> {
    let agrees = match op {
        "describe_acls" => {
            expect["error"] == observed["error"]
                && (expect.get("count").is_none() || expect["count"] == observed["count"])
                && (expect.get("bindings").is_none()
                    || binding_set(&expect["bindings"]) == binding_set(&observed["bindings"]))
        }
        "delete_acls" => {
            let (expect, observed) = (expect.as_array().unwrap(), observed.as_array().unwrap());
            expect.len() == observed.len()
                && expect.iter().zip(observed).all(|(e, o)| {
                    e["error"] == o["error"]
                        && binding_set(&e["deleted"]) == binding_set(&o["deleted"])
                })
        }
        "describe_configs" => {
            expect["error"] == observed["error"]
                && expect
                    .get("configs")
                    .and_then(Value::as_object)
                    .is_none_or(|configs| {
                        configs
                            .iter()
                            .all(|(key, want)| observed["configs"].get(key) == Some(want))
                    })
        }
        _ => expect == observed,
    };
    (!agrees).then(|| format!("expected {expect}, observed {observed}"))
}

#[tokio::test]
async fn conformance_cases_hold_through_the_admin_layer() {
    let cases: Value = serde_json::from_str(&std::fs::read_to_string(CASES).unwrap()).unwrap();
    let mut failures = Vec::new();
    let mut ran = 0;
    let mut skipped = Vec::new();
    for case in cases["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        if let Some(clients) = case.get("clients") {
            if !strings(clients).iter().any(|c| c == "rdkafka") {
                skipped.push(format!("{name}: not for rdkafka"));
                continue;
            }
        }
        let profile = &cases["brokers"][case["broker"].as_str().unwrap()];
        let mut cluster = Cluster::start(profile).await;
        for (index, step) in case["steps"].as_array().unwrap().iter().enumerate() {
            let op = step["op"].as_str().unwrap();
            let place = format!("{name} step {} ({op})", index + 1);
            match run_step(&mut cluster, step).await {
                StepOutcome::Observed(observed) => {
                    ran += 1;
                    if let Some(problem) = mismatch(op, &step["expect"], &observed) {
                        failures.push(format!("{place}: {problem}"));
                    }
                }
                StepOutcome::RejectedLocally(reason) => {
                    ran += 1;
                    if step["client_may_reject"] != true {
                        failures.push(format!("{place}: rejected locally: {reason}"));
                    }
                }
                StepOutcome::Unsupported(what) => {
                    let is_read = op.starts_with("describe") || op.starts_with("list");
                    skipped.push(format!(
                        "{place}: this layer has no {what}{}",
                        if is_read {
                            ""
                        } else {
                            "; rest of the case not run"
                        }
                    ));
                    if !is_read {
                        break;
                    }
                }
            }
        }
        cluster.broker.shutdown().await;
    }
    println!("conformance: {ran} steps run through rdkafka");
    for line in &skipped {
        println!("  skipped: {line}");
    }
    assert!(ran > 0, "no conformance step ran");
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn the_comparison_rules_catch_differences() {
    let binding = json!({"resource_type": "TOPIC", "name": "t"});
    assert!(mismatch(
        "describe_acls",
        &json!({"error": "NONE", "count": 2}),
        &json!({"error": "NONE", "count": 1, "bindings": [binding]})
    )
    .is_some());
    assert!(mismatch(
        "describe_acls",
        &json!({"error": "NONE", "bindings": [binding]}),
        &json!({"error": "NONE", "count": 1, "bindings": [binding]})
    )
    .is_none());
    assert!(mismatch(
        "delete_acls",
        &json!([{"error": "NONE", "deleted": [binding]}]),
        &json!([{"error": "NONE", "deleted": []}])
    )
    .is_some());
    assert!(mismatch(
        "describe_configs",
        &json!({"error": "NONE", "configs": {"a": {"value": "1", "source": "DEFAULT_CONFIG"}}}),
        &json!({"error": "NONE", "configs": {"a": {"value": "2", "source": "DEFAULT_CONFIG"}}})
    )
    .is_some());
    assert!(mismatch(
        "create_topics",
        &json!({"t": "NONE"}),
        &json!({"t": "INVALID_CONFIG"})
    )
    .is_some());
}
