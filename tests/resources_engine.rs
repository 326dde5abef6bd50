//! The resources' engine driven through the provider's Resource API (no Terraform) against
//! in-process test brokers: plan-time preflight (replication factor vs brokers, no authorizer,
//! missing admin rights, conflicting and misconfigured internal topics, self-lockout), batched
//! apply (one CreateAcls per cluster), and truthful state after partial failures (a destroy
//! failing partway, a topic whose configs cannot be read).

mod kafka_common;

use kafka_common::*;
use kafka_testbroker::{BrokerConfig, TestBroker};
use kafkamirror::clusters::Clusters;
use kafkamirror::provider::KafkamirrorProvider;
use kafkamirror::resources::acl_key;
use kafkamirror::resources::rows::TopicRow;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use tfplugin::codec::decode_msgpack;
use tfplugin::{
    ApplyRequest, AttrType, Ctx, Diagnostics, Number, Object, PlanRequest, Provider, Resource,
    Value,
};
use tokio_util::sync::CancellationToken;

/// Kafka's POLICY_VIOLATION error code, injected as a per-binding / per-request failure.
const POLICY_VIOLATION: i16 = 44;

fn string_list(items: &[&str]) -> Value {
    Value::List(items.iter().map(|s| Value::string(*s)).collect())
}

fn cluster_block(bootstrap: &str, user: Option<(&str, &str)>) -> Value {
    let sasl = match user {
        Some((name, password)) => Value::Object(Object::from([
            ("mechanism".to_string(), Value::string("SCRAM-SHA-512")),
            ("username".to_string(), Value::string(name)),
            ("password".to_string(), Value::string(password)),
        ])),
        None => Value::Null,
    };
    Value::Object(Object::from([
        ("bootstrap_servers".to_string(), string_list(&[bootstrap])),
        (
            "timeout_seconds".to_string(),
            Value::Number(Number::from_i64(10)),
        ),
        ("tls".to_string(), Value::Null),
        ("sasl".to_string(), sasl),
    ]))
}

/// A provider configured with clusters `primary` and `dr`.
async fn provider(primary: Value, dr: Value) -> Clusters {
    let config = Object::from([(
        "cluster".to_string(),
        Value::Map(BTreeMap::from([
            ("primary".to_string(), primary),
            ("dr".to_string(), dr),
        ])),
    )]);
    let mut diags = Diagnostics::new();
    let state = KafkamirrorProvider
        .configure(&config, &CancellationToken::new(), &mut diags)
        .await;
    assert!(!diags.has_errors(), "{diags:?}");
    state.expect("provider state")
}

fn admin_cluster(broker: &TestBroker) -> Value {
    cluster_block(&broker.bootstrap(), Some((ADMIN, ADMIN_PASSWORD)))
}

fn resource(type_name: &str) -> Arc<dyn Resource<Clusters>> {
    KafkamirrorProvider
        .resources()
        .into_iter()
        .find(|r| r.type_name() == type_name)
        .expect("resource registered")
}

/// A resource config: every attribute null except `values`.
fn resource_config(resource: &Arc<dyn Resource<Clusters>>, values: Vec<(&str, Value)>) -> Object {
    let mut config: Object = resource
        .schema()
        .block
        .attributes
        .iter()
        .map(|a| (a.name.clone(), Value::Null))
        .collect();
    for (key, value) in values {
        config.insert(key.to_string(), value);
    }
    config
}

fn mm2_config(principal: &str, topics: &[&str], extra: Vec<(&str, Value)>) -> Object {
    let mut values = vec![
        ("source_cluster", Value::string("primary")),
        ("target_cluster", Value::string("dr")),
        ("principal", Value::string(principal)),
        ("topics", string_list(topics)),
    ];
    values.extend(extra);
    resource_config(&resource("kafkamirror_mm2_replication_permissions"), values)
}

async fn plan(
    state: &Clusters,
    prior: Option<Object>,
    config: Object,
) -> (Option<Object>, Diagnostics) {
    let resource = resource("kafkamirror_mm2_replication_permissions");
    let cancel = CancellationToken::new();
    let mut diags = Diagnostics::new();
    let mut proposed = config.clone();
    if let Some(prior) = &prior {
        for key in [
            "id",
            "acls",
            "preexisting_acls",
            "claimant",
            "internal_topics",
        ] {
            proposed.insert(key.to_string(), prior[key].clone());
        }
    }
    let planned = resource
        .plan(
            Ctx {
                provider: state,
                cancel: &cancel,
            },
            PlanRequest {
                prior,
                proposed,
                config,
            },
            &mut diags,
        )
        .await;
    (planned.map(|p| p.planned), diags)
}

async fn apply(
    state: &Clusters,
    prior: Option<Object>,
    planned: Object,
) -> (Option<Object>, Diagnostics) {
    let resource = resource("kafkamirror_mm2_replication_permissions");
    let cancel = CancellationToken::new();
    let mut diags = Diagnostics::new();
    let config = planned.clone();
    let new_state = resource
        .apply(
            Ctx {
                provider: state,
                cancel: &cancel,
            },
            ApplyRequest {
                prior,
                planned: Some(planned),
                config: Some(config),
            },
            &mut diags,
        )
        .await;
    (new_state, diags)
}

async fn read(state: &Clusters, current: Object) -> (Option<Object>, Diagnostics) {
    let resource = resource("kafkamirror_mm2_replication_permissions");
    let cancel = CancellationToken::new();
    let mut diags = Diagnostics::new();
    let ctx = Ctx {
        provider: state,
        cancel: &cancel,
    };
    let refreshed = resource.read(ctx, current, &mut diags).await;
    (refreshed, diags)
}

fn summaries(diags: &Diagnostics) -> Vec<String> {
    diags.iter().map(|d| d.summary.clone()).collect()
}

/// A state attribute as a tree: the resource writes its row maps encoded.
fn decoded<T: AttrType>(value: &Value) -> Value {
    match value {
        Value::Encoded(bytes) => decode_msgpack(bytes, &T::tf_type()).unwrap(),
        other => other.clone(),
    }
}

/// `(cluster, resource_name, operation)` of the `acls` entries in a state object; every map
/// key must parse into a binding and every value (the reason) be a string.
fn state_rows(state: &Object) -> BTreeSet<(String, String, String)> {
    row_map(state, "acls")
        .into_iter()
        .map(|(key, reason)| {
            assert!(matches!(reason, Value::String(_)), "{key}: {reason:?}");
            let (cluster, binding) = acl_key::parse(&key).unwrap();
            (
                cluster,
                binding.resource_name,
                binding.operation.to_string(),
            )
        })
        .collect()
}

fn broker_rows(
    cluster: &str,
    broker: &TestBroker,
    principal: &str,
) -> BTreeSet<(String, String, String)> {
    broker
        .acls()
        .into_iter()
        .filter(|b| b.principal == principal)
        .map(|b| (cluster.to_string(), b.name, b.operation.to_string()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn preflight_reports_what_would_break_apply() {
    let one_node = TestBroker::start(
        "127.0.0.1:0",
        BrokerConfig {
            nodes: 1,
            users: vec![(ADMIN.into(), ADMIN_PASSWORD.into())],
            super_users: vec![format!("User:{ADMIN}")],
            authorizer: true,
            ..BrokerConfig::default()
        },
    )
    .await
    .unwrap();
    let no_authorizer = plaintext_broker(false).await;
    let state = provider(
        admin_cluster(&one_node),
        cluster_block(&no_authorizer.bootstrap(), None),
    )
    .await;
    let (planned, diags) = plan(&state, None, mm2_config("User:mm2", &["orders"], vec![])).await;
    assert!(planned.is_some());
    let rf = diags
        .iter()
        .find(|d| d.summary == "Replication factor above the broker count")
        .unwrap_or_else(|| panic!("{:?}", summaries(&diags)));
    assert_eq!(
        rf.path.as_ref().unwrap().to_string(),
        "internal_topics_replication_factor"
    );
    assert!(rf.detail.contains("1 broker"), "{}", rf.detail);
    let disabled = diags
        .iter()
        .find(|d| d.summary == "Cluster has no authorizer")
        .unwrap_or_else(|| panic!("{:?}", summaries(&diags)));
    assert_eq!(
        disabled.path.as_ref().unwrap().to_string(),
        "target_cluster"
    );
    assert!(disabled.detail.contains("\"dr\""), "{}", disabled.detail);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn preflight_names_missing_rights_and_topic_problems() {
    let primary = secured_broker().await;
    let dr = secured_broker().await;
    // The provider connects to primary as alice, who may not manage ACLs.
    let state = provider(
        cluster_block(&primary.bootstrap(), Some((ALICE, ALICE_PASSWORD))),
        admin_cluster(&dr),
    )
    .await;
    // On dr, a checkpoints topic with the wrong size and a heartbeats topic not compacted.
    dr.create_topic_direct("primary.checkpoints.internal", 3, 3, BTreeMap::new());
    dr.create_topic_direct(
        "heartbeats",
        1,
        3,
        BTreeMap::from([("cleanup.policy".to_string(), "delete".to_string())]),
    );
    let (_, diags) = plan(&state, None, mm2_config("User:mm2", &["orders"], vec![])).await;
    let rights = diags
        .iter()
        .find(|d| d.summary == "The provider's principal lacks the cluster permissions apply needs")
        .unwrap_or_else(|| panic!("{:?}", summaries(&diags)));
    assert_eq!(rights.path.as_ref().unwrap().to_string(), "source_cluster");
    assert!(rights.detail.contains("ALTER"), "{}", rights.detail);
    let conflict = diags
        .iter()
        .find(|d| d.summary == "Internal topic conflicts with the plan")
        .unwrap_or_else(|| panic!("{:?}", summaries(&diags)));
    assert!(
        conflict.detail.contains("primary.checkpoints.internal"),
        "{}",
        conflict.detail
    );
    let fix = diags
        .iter()
        .find(|d| d.summary == "Internal topic config will be corrected")
        .unwrap_or_else(|| panic!("{:?}", summaries(&diags)));
    assert!(!fix.is_error() && fix.detail.contains("heartbeats"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partial_apply_keeps_a_truthful_state_and_the_next_apply_creates_the_rest() {
    let primary = secured_broker().await;
    let dr = secured_broker().await;
    let state = provider(admin_cluster(&primary), admin_cluster(&dr)).await;
    let principal = "User:mm2";
    let config = mm2_config(principal, &["orders", "rejected-topic"], vec![]);
    let (planned, diags) = plan(&state, None, config.clone()).await;
    assert!(!diags.has_errors(), "{:?}", summaries(&diags));
    let planned = planned.unwrap();

    // primary refuses the bindings of one topic; dr refuses the whole first CreateAcls.
    primary
        .hooks()
        .reject_acl_bindings("rejected-topic", POLICY_VIOLATION);
    dr.hooks()
        .inject_error(api::CREATE_ACLS, POLICY_VIOLATION, 1);
    primary.hooks().reset_counts();
    dr.hooks().reset_counts();
    let (new_state, diags) = apply(&state, None, planned.clone()).await;
    let new_state = new_state.expect("state returned with the errors");
    assert_eq!(
        primary.hooks().count(api::CREATE_ACLS),
        1,
        "one batch per cluster"
    );
    assert_eq!(
        dr.hooks().count(api::CREATE_ACLS),
        1,
        "one batch per cluster"
    );
    let failures: Vec<_> = diags
        .iter()
        .filter(|d| d.summary == "Cannot create ACL")
        .collect();
    assert!(!failures.is_empty());
    assert!(failures
        .iter()
        .all(|d| d.detail.contains("POLICY_VIOLATION") && d.detail.contains("cluster")));
    assert!(failures
        .iter()
        .any(|d| d.detail.contains("\"primary\"") && d.detail.contains("rejected-topic")));
    assert!(failures.iter().any(|d| d.detail.contains("\"dr\"")));
    let mut on_brokers = broker_rows("primary", &primary, principal);
    on_brokers.extend(broker_rows("dr", &dr, principal));
    assert_eq!(
        state_rows(&new_state),
        on_brokers,
        "state lists exactly what exists"
    );
    assert!(on_brokers
        .iter()
        .all(|(_, name, _)| name != "rejected-topic"));

    // The dr fault has cleared: the next apply creates only dr's bindings.
    let (replanned, diags) = plan(&state, Some(new_state.clone()), config).await;
    assert!(!diags.has_errors(), "{:?}", summaries(&diags));
    let before_dr = broker_rows("dr", &dr, principal).len();
    assert_eq!(before_dr, 0);
    let (after, _) = apply(&state, Some(new_state), replanned.unwrap()).await;
    let after = after.unwrap();
    let dr_rows = broker_rows("dr", &dr, principal);
    assert!(!dr_rows.is_empty());
    assert!(dr_rows.is_subset(&state_rows(&after)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removing_the_providers_own_cluster_rights_is_refused() {
    let primary = secured_broker().await;
    let dr = secured_broker().await;
    let state = provider(admin_cluster(&primary), admin_cluster(&dr)).await;
    // A flow whose principal is the provider's own (User:admin): with topic ACL sync it owns
    // DESCRIBE on the source cluster; turning sync off would delete it.
    let principal = "User:admin";
    let config = mm2_config(principal, &["orders"], vec![]);
    let (planned, _) = plan(&state, None, config).await;
    let (created, diags) = apply(&state, None, planned.unwrap()).await;
    assert!(!diags.has_errors(), "{:?}", summaries(&diags));
    let shrunk = mm2_config(
        principal,
        &["orders"],
        vec![("sync_topic_acls", Value::Bool(false))],
    );
    let (_, diags) = plan(&state, created, shrunk).await;
    let refused = diags
        .iter()
        .find(|d| d.summary == "Refusing to lock the provider out")
        .unwrap_or_else(|| panic!("{:?}", summaries(&diags)));
    assert!(
        refused.detail.contains("User:admin")
            && refused.detail.contains("on CLUSTER LITERAL kafka-cluster"),
        "{}",
        refused.detail
    );
}

/// A cluster nothing listens on, with a short timeout.
fn unreachable_cluster() -> Value {
    Value::Object(Object::from([
        (
            "bootstrap_servers".to_string(),
            string_list(&["127.0.0.1:9"]),
        ),
        (
            "timeout_seconds".to_string(),
            Value::Number(Number::from_i64(2)),
        ),
        ("tls".to_string(), Value::Null),
        ("sasl".to_string(), Value::Null),
    ]))
}

/// Refresh answers an unchanged state with its rows as they came; it drops exactly a binding
/// deleted out of band, keeps the rows of a cluster it cannot reach, and names a map key it
/// cannot read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_drops_only_what_is_gone_and_keeps_what_it_cannot_check() {
    let primary = secured_broker().await;
    let dr = secured_broker().await;
    let state = provider(admin_cluster(&primary), admin_cluster(&dr)).await;
    let principal = "User:mm2";
    let config = mm2_config(principal, &["orders", "payments"], vec![]);
    let (planned, diags) = plan(&state, None, config).await;
    assert!(!diags.has_errors(), "{:?}", summaries(&diags));
    let (applied, diags) = apply(&state, None, planned.unwrap()).await;
    assert!(!diags.has_errors(), "{:?}", summaries(&diags));
    let applied = applied.unwrap();
    let on_brokers = |primary: &TestBroker, dr: &TestBroker| {
        let mut rows = broker_rows("primary", primary, principal);
        rows.extend(broker_rows("dr", dr, principal));
        rows
    };
    assert_eq!(state_rows(&applied), on_brokers(&primary, &dr));

    let (refreshed, diags) = read(&state, applied.clone()).await;
    assert!(!diags.has_errors(), "{:?}", summaries(&diags));
    let refreshed = refreshed.unwrap();
    for attribute in ["acls", "preexisting_acls", "internal_topics"] {
        assert_eq!(
            refreshed[attribute], applied[attribute],
            "{attribute} as it came"
        );
    }

    let held_by = |broker: &TestBroker| -> Vec<_> {
        let acls = broker.acls().into_iter();
        acls.filter(|b| b.principal == principal).collect()
    };
    let gone = held_by(&dr)[0].clone();
    assert!(dr.remove_acl(&gone));
    let (refreshed, diags) = read(&state, applied.clone()).await;
    assert!(!diags.has_errors(), "{:?}", summaries(&diags));
    let refreshed = refreshed.unwrap();
    assert_eq!(state_rows(&refreshed), on_brokers(&primary, &dr));
    assert_eq!(state_rows(&refreshed).len(), state_rows(&applied).len() - 1);

    // dr cannot be reached: its rows stay as recorded; primary's deletion is still seen.
    let gone = held_by(&primary)[0].clone();
    assert!(primary.remove_acl(&gone));
    let half_down = provider(admin_cluster(&primary), unreachable_cluster()).await;
    let (partly, diags) = read(&half_down, refreshed.clone()).await;
    assert!(summaries(&diags).contains(&"Cannot connect to Kafka cluster".to_string()));
    let partly = partly.unwrap();
    let dr_recorded: BTreeSet<_> = state_rows(&refreshed)
        .into_iter()
        .filter(|(cluster, _, _)| cluster == "dr")
        .collect();
    let mut expected = broker_rows("primary", &primary, principal);
    expected.extend(dr_recorded);
    assert_eq!(state_rows(&partly), expected);

    // A map key this provider does not write (a state edited by hand) is named.
    let mut rows = row_map(&partly, "acls");
    let (_, row) = rows.pop_first().expect("a row");
    rows.insert("not|a|key".to_string(), row);
    let mut edited = partly.clone();
    edited.insert("acls".to_string(), Value::Map(rows));
    let (_, diags) = read(&state, edited).await;
    let invalid = diags
        .iter()
        .find(|d| d.summary == "Invalid ACL key in state")
        .unwrap_or_else(|| panic!("{:?}", summaries(&diags)));
    assert_eq!(
        invalid.path.as_ref().unwrap().to_string(),
        r#"acls["not|a|key"]"#
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_cluster_down_still_applies_the_other() {
    let primary = secured_broker().await;
    let state = provider(admin_cluster(&primary), unreachable_cluster()).await;
    let principal = "User:mm2";
    let (planned, diags) = plan(&state, None, mm2_config(principal, &["orders"], vec![])).await;
    let down = diags
        .iter()
        .find(|d| d.summary == "Cannot connect to Kafka cluster")
        .unwrap_or_else(|| panic!("{:?}", summaries(&diags)));
    assert!(down.detail.contains("\"dr\"") && down.detail.contains("127.0.0.1:9"));
    assert_eq!(down.path.as_ref().unwrap().to_string(), "target_cluster");

    let (new_state, diags) = apply(&state, None, planned.unwrap()).await;
    let new_state = new_state.expect("state returned with the error");
    assert!(summaries(&diags).contains(&"Cannot connect to Kafka cluster".to_string()));
    let on_primary = broker_rows("primary", &primary, principal);
    assert!(!on_primary.is_empty(), "primary applied");
    assert_eq!(
        state_rows(&new_state),
        on_primary,
        "state lists what exists"
    );
}

/// `(partitions, replication_factor, cleanup.policy)` of one `internal_topics` row in state.
fn state_topic(state: &Object, cluster: &str, name: &str) -> (Value, Value, Value) {
    let Value::Map(rows) = decoded::<BTreeMap<String, TopicRow>>(&state["internal_topics"]) else {
        panic!("internal_topics not a map");
    };
    rows.iter()
        .find_map(|(key, row)| {
            let decoded = TopicRow::from_value(row).unwrap();
            assert_eq!(key, &decoded.key());
            let Value::Object(row) = row else { panic!() };
            (row["cluster"] == Value::string(cluster) && row["name"] == Value::string(name)).then(
                || {
                    let Value::Map(configs) = &row["configs"] else {
                        panic!()
                    };
                    (
                        row["partitions"].clone(),
                        row["replication_factor"].clone(),
                        configs
                            .get("cleanup.policy")
                            .cloned()
                            .unwrap_or(Value::Null),
                    )
                },
            )
        })
        .unwrap_or_else(|| panic!("no {cluster}/{name} row"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_fixes_cleanup_policy_and_never_recreates_a_conflicting_topic() {
    let primary = secured_broker().await;
    let dr = secured_broker().await;
    let state = provider(admin_cluster(&primary), admin_cluster(&dr)).await;
    dr.create_topic_direct("primary.checkpoints.internal", 3, 3, BTreeMap::new());
    dr.create_topic_direct(
        "heartbeats",
        1,
        3,
        BTreeMap::from([("cleanup.policy".to_string(), "delete".to_string())]),
    );
    let (planned, _) = plan(&state, None, mm2_config("User:mm2", &["orders"], vec![])).await;
    let (new_state, diags) = apply(&state, None, planned.unwrap()).await;
    let new_state = new_state.unwrap();
    let conflict = diags
        .iter()
        .find(|d| d.summary == "Internal topic conflicts with the plan")
        .unwrap_or_else(|| panic!("{:?}", summaries(&diags)));
    assert!(conflict.detail.contains("primary.checkpoints.internal"));
    let topics: BTreeMap<String, _> = dr
        .topics()
        .into_iter()
        .map(|t| (t.name.clone(), t))
        .collect();
    assert_eq!(
        topics["heartbeats"]
            .configs
            .get("cleanup.policy")
            .map(String::as_str),
        Some("compact"),
        "fixed with IncrementalAlterConfigs"
    );
    assert_eq!(
        topics["primary.checkpoints.internal"].partitions, 3,
        "not recreated"
    );
    assert_eq!(
        state_topic(&new_state, "dr", "primary.checkpoints.internal").0,
        Value::Number(Number::from_i64(3)),
        "state shows the topic as it exists"
    );
    assert_eq!(
        state_topic(&new_state, "dr", "heartbeats").2,
        Value::string("compact")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn destroy_deletes_owned_bindings_and_topics_only_when_asked() {
    let primary = secured_broker().await;
    let dr = secured_broker().await;
    let state = provider(admin_cluster(&primary), admin_cluster(&dr)).await;
    let config = mm2_config(
        "User:mm2",
        &["orders"],
        vec![("delete_internal_topics_on_destroy", Value::Bool(true))],
    );
    let (planned, _) = plan(&state, None, config).await;
    let (created, diags) = apply(&state, None, planned.unwrap()).await;
    assert!(!diags.has_errors(), "{:?}", summaries(&diags));
    let created = created.unwrap();
    assert!(dr
        .topics()
        .iter()
        .any(|t| t.name == "primary.checkpoints.internal"));

    let resource = resource("kafkamirror_mm2_replication_permissions");
    let cancel = CancellationToken::new();
    let mut diags = Diagnostics::new();
    let gone = resource
        .apply(
            Ctx {
                provider: &state,
                cancel: &cancel,
            },
            ApplyRequest {
                prior: Some(created),
                planned: None,
                config: None,
            },
            &mut diags,
        )
        .await;
    assert!(!diags.has_errors(), "{:?}", summaries(&diags));
    assert!(gone.is_none());
    assert!(broker_rows("primary", &primary, "User:mm2").is_empty());
    assert!(broker_rows("dr", &dr, "User:mm2").is_empty());
    assert!(
        !dr.topics()
            .iter()
            .any(|t| t.name == "primary.checkpoints.internal"),
        "delete_internal_topics_on_destroy = true deletes the internal topics"
    );
}

/// The rows of a state attribute as a map value (decoded when the resource wrote it encoded).
fn row_map(state: &Object, attribute: &str) -> BTreeMap<String, Value> {
    let Value::Map(rows) = decoded::<BTreeMap<String, String>>(&state[attribute]) else {
        panic!("{attribute} not a map");
    };
    rows
}

/// A destroy that fails partway answers with exactly what still exists: here primary's
/// bindings are all pre-existing (never deleted) and primary cannot be reached, while dr's
/// owned bindings are deleted (its topics are kept on Kafka and leave the state). The state
/// must keep primary's rows and drop dr's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_destroy_that_fails_partway_records_exactly_what_still_exists() {
    let primary = secured_broker().await;
    let dr = secured_broker().await;
    let state = provider(admin_cluster(&primary), admin_cluster(&dr)).await;
    let (planned, _) = plan(&state, None, mm2_config("User:mm2", &["orders"], vec![])).await;
    let (created, diags) = apply(&state, None, planned.unwrap()).await;
    assert!(!diags.has_errors(), "{:?}", summaries(&diags));
    let mut created = created.unwrap();
    // primary's bindings as if they had existed before the resource: pre-existing, not owned.
    let on_primary: BTreeMap<String, Value> = row_map(&created, "acls")
        .into_iter()
        .filter(|(key, _)| key.starts_with("primary "))
        .collect();
    assert!(!on_primary.is_empty());
    created.insert(
        "preexisting_acls".to_string(),
        Value::Map(on_primary.clone()),
    );
    created.insert("acls".to_string(), Value::Map(row_map(&created, "acls")));
    // And no internal topic of the flow on primary: nothing there is the resource's.
    let Value::Map(topics) = decoded::<BTreeMap<String, TopicRow>>(&created["internal_topics"])
    else {
        panic!("internal_topics not a map");
    };
    let topics = topics
        .into_iter()
        .filter(|(key, _)| !key.starts_with("primary|"))
        .collect();
    created.insert("internal_topics".to_string(), Value::Map(topics));

    let primary_down = provider(unreachable_cluster(), admin_cluster(&dr)).await;
    let resource = resource("kafkamirror_mm2_replication_permissions");
    let cancel = CancellationToken::new();
    let mut diags = Diagnostics::new();
    let left = resource
        .apply(
            Ctx {
                provider: &primary_down,
                cancel: &cancel,
            },
            ApplyRequest {
                prior: Some(created),
                planned: None,
                config: None,
            },
            &mut diags,
        )
        .await;
    assert!(summaries(&diags).contains(&"Cannot connect to Kafka cluster".to_string()));
    assert!(
        broker_rows("dr", &dr, "User:mm2").is_empty(),
        "dr's owned bindings deleted"
    );
    let left = left.expect("a failed destroy answers with what is left");
    let keys: BTreeSet<String> = row_map(&left, "acls").into_keys().collect();
    assert_eq!(keys, on_primary.keys().cloned().collect::<BTreeSet<_>>());
    let preexisting: BTreeSet<String> = row_map(&left, "preexisting_acls").into_keys().collect();
    assert_eq!(preexisting, keys);
}

/// Kafka's UNKNOWN_SERVER_ERROR (-1), what a broker answers for a resource whose handling
/// threw an unexpected exception (`ApiError.fromThrowable`); an authorization failure of every
/// topic is reported as a whole instead.
const UNKNOWN_SERVER_ERROR: i16 = -1;

/// DescribeConfigs failing for one existing internal topic is an error naming the topic and
/// Kafka's error; apply does not "fix" a config it could not read, nor record the topic as
/// planned.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_topic_whose_configs_cannot_be_read_is_reported_by_name() {
    let primary = secured_broker().await;
    let dr = secured_broker().await;
    let state = provider(admin_cluster(&primary), admin_cluster(&dr)).await;
    dr.create_topic_direct(
        "heartbeats",
        1,
        3,
        BTreeMap::from([("cleanup.policy".to_string(), "compact".to_string())]),
    );
    let (planned, diags) = plan(&state, None, mm2_config("User:mm2", &["orders"], vec![])).await;
    assert!(!diags.has_errors(), "{:?}", summaries(&diags));
    // Persistent: apply repeats a read that may have come too early (Kafka's timing,
    // ARCHITECTURE.md) and reports the error once the cluster's timeout runs out.
    dr.hooks()
        .inject_error(api::DESCRIBE_CONFIGS, UNKNOWN_SERVER_ERROR, u64::MAX);
    dr.hooks().reset_counts();
    let (new_state, diags) = apply(&state, None, planned.unwrap()).await;
    dr.hooks()
        .inject_error(api::DESCRIBE_CONFIGS, UNKNOWN_SERVER_ERROR, 0);
    let unread = diags
        .iter()
        .find(|d| d.summary == "Cannot read internal topic configs")
        .unwrap_or_else(|| panic!("{:?}", diags.iter().map(|d| &d.detail).collect::<Vec<_>>()));
    assert!(
        unread.detail.contains("\"heartbeats\"")
            && unread.detail.contains("\"dr\"")
            && unread.detail.contains("UNKNOWN_SERVER_ERROR"),
        "{}",
        unread.detail
    );
    assert_eq!(
        dr.hooks().count(api::INCREMENTAL_ALTER_CONFIGS),
        0,
        "no config fix for a config that could not be read"
    );
    let new_state = new_state.unwrap();
    let Value::Map(topics) = decoded::<BTreeMap<String, TopicRow>>(&new_state["internal_topics"])
    else {
        panic!("internal_topics not a map");
    };
    assert!(!topics.contains_key("dr|heartbeats"), "{:?}", topics.keys());
    assert!(topics.contains_key("dr|primary.checkpoints.internal"));
}
