//! Shared ownership through the clusters' claims records, driven through the provider's
//! Resource API (no Terraform) against in-process test brokers, judged by reading the
//! brokers: flows sharing bindings keep each other's needs, the plan warns about what stays
//! for another claimant, states from schema version 0 move over without deleting anything,
//! missing rights on the claims topic fail the plan, internal topics created between plan
//! and apply are adopted, and a create that never saved its state owns its bindings when run
//! again.

mod kafka_common;
mod support;

use kafka_common::*;
use kafka_testbroker::{
    AclOperation, AclPermission, AclRecord, PatternType, ResourceType, TestBroker,
};
use kafkamirror::clusters::Clusters;
use kafkamirror::provider::KafkamirrorProvider;
use kafkamirror::resources::rows::TopicRow;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use tfplugin::codec::{decode_msgpack, encode_msgpack};
use tfplugin::{
    ApplyRequest, AttrType, Ctx, Diagnostics, Number, Object, PlanRequest, Provider, RawState,
    Resource, UpgradedState, Value,
};
use tokio_util::sync::CancellationToken;

const MM2: &str = "kafkamirror_mm2_replication_permissions";
const CLAIMS_TOPIC: &str = "_kafkamirror-claims";

fn string_list(items: &[&str]) -> Value {
    Value::List(items.iter().map(|s| Value::string(*s)).collect())
}

fn cluster_block(broker: &TestBroker, user: (&str, &str), ownership: Option<&str>) -> Value {
    let sasl = Value::Object(Object::from([
        ("mechanism".to_string(), Value::string("SCRAM-SHA-512")),
        ("username".to_string(), Value::string(user.0)),
        ("password".to_string(), Value::string(user.1)),
    ]));
    Value::Object(Object::from([
        (
            "bootstrap_servers".to_string(),
            string_list(&[&broker.bootstrap()]),
        ),
        (
            "timeout_seconds".to_string(),
            Value::Number(Number::from_i64(10)),
        ),
        ("claims_topic".to_string(), Value::Null),
        (
            "ownership".to_string(),
            ownership.map_or(Value::Null, Value::string),
        ),
        ("tls".to_string(), Value::Null),
        ("sasl".to_string(), sasl),
    ]))
}

async fn provider(primary: Value, dr: Value) -> Clusters {
    provider_of(vec![("primary", primary), ("dr", dr)]).await
}

async fn provider_of(clusters: Vec<(&str, Value)>) -> Clusters {
    let config = Object::from([(
        "cluster".to_string(),
        Value::Map(
            clusters
                .into_iter()
                .map(|(alias, block)| (alias.to_string(), block))
                .collect(),
        ),
    )]);
    let mut diags = Diagnostics::new();
    let state = KafkamirrorProvider
        .configure(&config, &CancellationToken::new(), &mut diags)
        .await;
    assert!(!diags.has_errors(), "{diags:?}");
    state.expect("provider state")
}

async fn admin_provider(primary: &TestBroker, dr: &TestBroker) -> Clusters {
    let admin = (ADMIN, ADMIN_PASSWORD);
    provider(
        cluster_block(primary, admin, None),
        cluster_block(dr, admin, None),
    )
    .await
}

/// A state's stored JSON, as Terraform keeps it (the row maps decoded).
fn state_json(state: Object) -> String {
    fn json(value: rmpv::Value) -> serde_json::Value {
        match value {
            rmpv::Value::Nil => serde_json::Value::Null,
            rmpv::Value::Boolean(b) => b.into(),
            rmpv::Value::Integer(i) => {
                serde_json::Value::Number(i.as_i64().map(Into::into).expect("an integer"))
            }
            rmpv::Value::String(s) => s.into_str().expect("utf-8").into(),
            rmpv::Value::Array(items) => items.into_iter().map(json).collect(),
            rmpv::Value::Map(entries) => entries
                .into_iter()
                .map(|(k, v)| (k.as_str().expect("string key").to_string(), json(v)))
                .collect::<serde_json::Map<_, _>>()
                .into(),
            other => panic!("unexpected msgpack value {other:?}"),
        }
    }
    let bytes = encode_msgpack(&Value::Object(state));
    let value = rmpv::decode::read_value(&mut bytes.as_slice()).expect("msgpack");
    json(value).to_string()
}

fn resource() -> Arc<dyn Resource<Clusters>> {
    KafkamirrorProvider
        .resources()
        .into_iter()
        .find(|r| r.type_name() == MM2)
        .expect("resource registered")
}

fn mm2_config(principal: &str, topics: &[&str]) -> Object {
    mm2_flow("primary", "dr", principal, topics)
}

fn mm2_flow(source: &str, target: &str, principal: &str, topics: &[&str]) -> Object {
    let mut config: Object = resource()
        .schema()
        .block
        .attributes
        .iter()
        .map(|a| (a.name.clone(), Value::Null))
        .collect();
    config.insert("source_cluster".into(), Value::string(source));
    config.insert("target_cluster".into(), Value::string(target));
    config.insert("principal".into(), Value::string(principal));
    config.insert("topics".into(), string_list(topics));
    config
}

/// Plans as Terraform does: the proposed state carries the prior's computed values.
async fn plan(state: &Clusters, prior: Option<&Object>, config: Object) -> (Object, Diagnostics) {
    let mut diags = Diagnostics::new();
    let mut proposed = config.clone();
    if let Some(prior) = prior {
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
    let cancel = CancellationToken::new();
    let planned = resource()
        .plan(
            Ctx {
                provider: state,
                cancel: &cancel,
            },
            PlanRequest {
                prior: prior.cloned(),
                proposed,
                config,
            },
            &mut diags,
        )
        .await;
    (planned.expect("planned").planned, diags)
}

async fn apply(
    state: &Clusters,
    prior: Option<Object>,
    planned: Option<Object>,
) -> (Option<Object>, Diagnostics) {
    let mut diags = Diagnostics::new();
    let cancel = CancellationToken::new();
    let config = planned.clone();
    let new_state = resource()
        .apply(
            Ctx {
                provider: state,
                cancel: &cancel,
            },
            ApplyRequest {
                prior,
                planned,
                config,
            },
            &mut diags,
        )
        .await;
    (new_state, diags)
}

/// Plans and applies `config` from `prior`, expecting no error.
async fn converge(state: &Clusters, prior: Option<Object>, config: Object) -> Object {
    let (planned, diags) = plan(state, prior.as_ref(), config).await;
    assert!(!diags.has_errors(), "plan: {:?}", summaries(&diags));
    let (new_state, diags) = apply(state, prior, Some(planned)).await;
    assert!(!diags.has_errors(), "apply: {:?}", summaries(&diags));
    new_state.expect("state")
}

async fn destroy(state: &Clusters, prior: Object) {
    let (left, diags) = apply(state, Some(prior), None).await;
    assert!(!diags.has_errors(), "destroy: {:?}", summaries(&diags));
    assert!(left.is_none());
}

fn summaries(diags: &Diagnostics) -> Vec<String> {
    diags
        .iter()
        .map(|d| format!("{}: {}", d.summary, d.detail))
        .collect()
}

/// `(resource_name, operation)` of what `principal` holds on a broker.
fn held(broker: &TestBroker, principal: &str) -> BTreeSet<(String, String)> {
    broker
        .acls()
        .into_iter()
        .filter(|b| b.principal == principal)
        .map(|b| (b.name, b.operation.to_string()))
        .collect()
}

fn names(rows: &BTreeSet<(String, String)>) -> BTreeSet<String> {
    rows.iter().map(|(name, _)| name.clone()).collect()
}

/// The map attribute's keys (the resource writes its row maps encoded).
fn map_len<T: AttrType>(value: &Value) -> usize {
    let decoded = match value {
        Value::Encoded(bytes) => decode_msgpack(bytes, &T::tf_type()).unwrap(),
        other => other.clone(),
    };
    match decoded {
        Value::Map(rows) => rows.len(),
        Value::Null => 0,
        other => panic!("not a map: {other:?}"),
    }
}

/// The claims-topic keys whose last record is a claim (not a tombstone).
fn standing_claims(broker: &TestBroker) -> BTreeSet<String> {
    let mut last: BTreeMap<String, bool> = BTreeMap::new();
    for record in broker.records(CLAIMS_TOPIC) {
        let key = String::from_utf8(record.key.unwrap_or_default()).unwrap();
        last.insert(key, record.value.is_some());
    }
    last.into_iter()
        .filter(|(_, claimed)| *claimed)
        .map(|(key, _)| key)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flows_sharing_bindings_keep_each_others_needs_and_the_last_one_cleans_up() {
    let primary = secured_broker().await;
    let dr = secured_broker().await;
    let admin = (ADMIN, ADMIN_PASSWORD);
    // `dr_again` names the same cluster as `dr` (as another team's configuration would):
    // its flow is another resource with another claimant on the same brokers.
    let state = provider_of(vec![
        ("primary", cluster_block(&primary, admin, None)),
        ("dr", cluster_block(&dr, admin, None)),
        ("dr_again", cluster_block(&dr, admin, None)),
    ])
    .await;
    let principal = "User:mm2";
    // Two flows of one principal: they share every binding but those of their own topics.
    let both = converge(&state, None, mm2_config(principal, &["orders", "payments"])).await;
    let other_config = mm2_flow("primary", "dr_again", principal, &["payments"]);
    let other = converge(&state, None, other_config).await;
    assert_eq!(
        map_len::<BTreeMap<String, String>>(&other["preexisting_acls"]),
        0,
        "bindings another resource claims are shared, not pre-existing"
    );

    // The first flow drops `payments`: the plan names who still needs its bindings.
    let (planned, diags) = plan(&state, Some(&both), mm2_config(principal, &["orders"])).await;
    let kept = diags
        .iter()
        .find(|d| d.summary.contains("still claimed by"))
        .unwrap_or_else(|| panic!("{:?}", summaries(&diags)));
    assert!(!kept.is_error());
    assert!(
        kept.summary
            .contains(&format!("{MM2} primary:dr_again:{principal}")),
        "{}",
        kept.summary
    );
    assert!(kept.detail.contains("payments"), "{}", kept.detail);
    let (shrunk, diags) = apply(&state, Some(both), Some(planned)).await;
    assert!(!diags.has_errors(), "{:?}", summaries(&diags));
    let shrunk = shrunk.unwrap();
    assert!(names(&held(&primary, principal)).contains("payments"));

    // The other flow goes: what only it needed goes, what the first still needs stays.
    destroy(&state, other).await;
    let left = held(&primary, principal);
    assert!(!names(&left).contains("payments"), "{left:?}");
    assert!(names(&left).contains("orders"), "{left:?}");
    destroy(&state, shrunk).await;
    assert!(held(&primary, principal).is_empty());
    assert!(held(&dr, principal).is_empty());
    assert!(standing_claims(&primary).is_empty());
    assert!(standing_claims(&dr).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_version_0_state_moves_to_claims_without_deleting_or_duplicating() {
    let primary = secured_broker().await;
    let dr = secured_broker().await;
    let admin = (ADMIN, ADMIN_PASSWORD);
    let principal = "User:mm2";
    // A binding made by hand before the flow: never deleted.
    let by_hand = AclRecord {
        resource_type: ResourceType::Topic,
        name: "orders".into(),
        pattern_type: PatternType::Literal,
        principal: principal.into(),
        host: "*".into(),
        operation: AclOperation::Read,
        permission: AclPermission::Allow,
    };
    primary.add_acl(by_hand);
    let by_hand_only = held(&primary, principal);
    // The state an older provider wrote: per-resource ownership, schema version 0.
    let old_provider = provider(
        cluster_block(&primary, admin, Some("state")),
        cluster_block(&dr, admin, Some("state")),
    )
    .await;
    let mut v0 = converge(&old_provider, None, mm2_config(principal, &["orders"])).await;
    assert!(
        primary.records(CLAIMS_TOPIC).is_empty(),
        "state ownership writes no claims"
    );
    for added in support::MM2_ATTRIBUTES_SINCE_V0 {
        v0.remove(added);
    }
    let mut json: serde_json::Value = serde_json::from_str(&state_json(v0)).unwrap();
    support::acls::as_object_rows(json.as_object_mut().unwrap());
    let json = json.to_string();
    let before = (held(&primary, principal), held(&dr, principal));

    let resource = resource();
    let raw = RawState {
        version: 0,
        json: json.into_bytes().into(),
    };
    let mut diags = Diagnostics::new();
    let Some(UpgradedState::Upgraded(upgraded)) = resource.upgrade_state(&raw, &mut diags) else {
        panic!("{:?}", summaries(&diags));
    };
    let claimant = match &upgraded["claimant"] {
        Value::String(id) => id.clone(),
        other => panic!("{other:?}"),
    };
    // Every plan before the upgraded state is saved derives the same claimant.
    let Some(UpgradedState::Upgraded(again)) = resource.upgrade_state(&raw, &mut diags) else {
        panic!()
    };
    assert_eq!(again["claimant"], upgraded["claimant"]);

    let state = admin_provider(&primary, &dr).await;
    primary.hooks().reset_counts();
    dr.hooks().reset_counts();
    // Its next apply claims what it owns (and marks the by-hand binding).
    let updated = converge(&state, Some(upgraded), mm2_config(principal, &["orders"])).await;
    assert_eq!((held(&primary, principal), held(&dr, principal)), before);
    let claims = standing_claims(&primary);
    assert!(
        claims.iter().any(|key| key.ends_with(&claimant)),
        "{claims:?}"
    );
    assert!(
        claims
            .iter()
            .any(|key| key.contains("|orders|") && key.ends_with("|pre-existing")),
        "the by-hand binding is marked pre-existing: {claims:?}"
    );
    destroy(&state, updated).await;
    assert_eq!(held(&primary, principal), by_hand_only);
    assert!(held(&dr, principal).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_rights_on_the_claims_topic_fail_the_plan_naming_them() {
    let primary = secured_broker().await;
    let dr = secured_broker().await;
    // alice may manage ACLs on primary but has only READ on its claims topic.
    let grant = |resource_type, name: &str, operation| AclRecord {
        resource_type,
        name: name.into(),
        pattern_type: PatternType::Literal,
        principal: format!("User:{ALICE}"),
        host: "*".into(),
        operation,
        permission: AclPermission::Allow,
    };
    for operation in [AclOperation::Alter, AclOperation::Describe] {
        primary.add_acl(grant(ResourceType::Cluster, "kafka-cluster", operation));
    }
    primary.add_acl(grant(ResourceType::Topic, CLAIMS_TOPIC, AclOperation::Read));
    primary.create_topic_direct(
        CLAIMS_TOPIC,
        1,
        3,
        BTreeMap::from([("cleanup.policy".to_string(), "compact".to_string())]),
    );
    let state = provider(
        cluster_block(&primary, (ALICE, ALICE_PASSWORD), None),
        cluster_block(&dr, (ADMIN, ADMIN_PASSWORD), None),
    )
    .await;
    let (_, diags) = plan(&state, None, mm2_config("User:mm2", &["orders"])).await;
    let missing = diags
        .iter()
        .find(|d| d.summary == "The provider's principal lacks rights on the claims topic")
        .unwrap_or_else(|| panic!("{:?}", summaries(&diags)));
    assert!(missing.is_error());
    for part in ["\"primary\"", CLAIMS_TOPIC, "WRITE"] {
        assert!(missing.detail.contains(part), "{part}: {}", missing.detail);
    }
    assert!(
        !missing.detail.contains("may not READ"),
        "{}",
        missing.detail
    );

    // Without the topic and without CREATE, plan names CREATE.
    let fresh = secured_broker().await;
    for operation in [AclOperation::Alter, AclOperation::Describe] {
        fresh.add_acl(grant(ResourceType::Cluster, "kafka-cluster", operation));
    }
    fresh.add_acl(grant(
        ResourceType::Topic,
        CLAIMS_TOPIC,
        AclOperation::Describe,
    ));
    let state = provider(
        cluster_block(&fresh, (ALICE, ALICE_PASSWORD), None),
        cluster_block(&dr, (ADMIN, ADMIN_PASSWORD), None),
    )
    .await;
    let (_, diags) = plan(&state, None, mm2_config("User:mm2", &["orders"])).await;
    let missing = diags
        .iter()
        .find(|d| d.summary == "The provider's principal lacks rights on the claims topic")
        .unwrap_or_else(|| panic!("{:?}", summaries(&diags)));
    assert!(missing.detail.contains("CREATE"), "{}", missing.detail);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn internal_topics_created_between_plan_and_apply_are_adopted_when_they_match() {
    let primary = secured_broker().await;
    let dr = Arc::new(secured_broker().await);
    let state = admin_provider(&primary, &dr).await;
    // The claims topic exists, so the only CreateTopics on dr is the internal topics'.
    dr.create_topic_direct(
        CLAIMS_TOPIC,
        1,
        3,
        BTreeMap::from([("cleanup.policy".to_string(), "compact".to_string())]),
    );
    let (planned, diags) = plan(&state, None, mm2_config("User:mm2", &["orders"])).await;
    assert!(!diags.has_errors(), "{:?}", summaries(&diags));
    // A sibling (or MM2) creates two of the planned topics after apply read them and before
    // its CreateTopics is handled: one as planned, one with other partitions. The broker
    // holds the CreateTopics answer back until the watcher has created them.
    dr.hooks().reset_counts();
    dr.hooks()
        .delay(api::CREATE_TOPICS, std::time::Duration::from_secs(3));
    let dr_hooks = dr.clone();
    let sibling = tokio::spawn(async move {
        while dr_hooks.hooks().count(api::CREATE_TOPICS) == 0 {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        dr_hooks.create_topic_direct(
            "heartbeats",
            1,
            3,
            BTreeMap::from([("cleanup.policy".to_string(), "compact".to_string())]),
        );
        dr_hooks.create_topic_direct(
            "mm2-status.primary.internal",
            2,
            3,
            BTreeMap::from([("cleanup.policy".to_string(), "compact".to_string())]),
        );
    });
    let (created, diags) = apply(&state, None, Some(planned)).await;
    sibling.await.unwrap();
    let errors: Vec<_> = diags.iter().filter(|d| d.is_error()).collect();
    assert_eq!(errors.len(), 1, "{:?}", summaries(&diags));
    assert_eq!(
        errors[0].summary,
        "Internal topic created meanwhile with other settings"
    );
    for part in [
        "mm2-status.primary.internal",
        "partitions: found 2, planned 5",
    ] {
        assert!(
            errors[0].detail.contains(part),
            "{part}: {}",
            errors[0].detail
        );
    }
    let created = created.unwrap();
    let Value::Map(topics) = (match &created["internal_topics"] {
        Value::Encoded(bytes) => {
            decode_msgpack(bytes, &BTreeMap::<String, TopicRow>::tf_type()).unwrap()
        }
        other => other.clone(),
    }) else {
        panic!()
    };
    assert!(topics.contains_key("dr|heartbeats"), "adopted: {topics:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_create_whose_state_was_lost_owns_its_bindings_on_the_next_run() {
    let primary = secured_broker().await;
    let dr = secured_broker().await;
    let state = admin_provider(&primary, &dr).await;
    let principal = "User:mm2";
    let config = mm2_config(principal, &["orders"]);
    // The first create ran to the end on the clusters but its state was never saved (the
    // provider was killed before Terraform wrote it).
    let _lost = converge(&state, None, config.clone()).await;
    // Terraform plans the create again: nothing is found pre-existing, and destroy removes
    // every binding the first run created.
    let (planned, diags) = plan(&state, None, config).await;
    assert!(
        !diags.iter().any(|d| d.summary == "ACLs already exist"),
        "{:?}",
        summaries(&diags)
    );
    let (again, diags) = apply(&state, None, Some(planned)).await;
    assert!(!diags.has_errors(), "{:?}", summaries(&diags));
    let again = again.unwrap();
    assert_eq!(
        map_len::<BTreeMap<String, String>>(&again["preexisting_acls"]),
        0
    );
    destroy(&state, again).await;
    assert!(held(&primary, principal).is_empty());
    assert!(held(&dr, principal).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_adopts_a_binding_marked_pre_existing_and_its_next_apply_deletes_it() {
    let primary = secured_broker().await;
    let dr = secured_broker().await;
    let state = admin_provider(&primary, &dr).await;
    let principal = "User:mm2";
    primary.add_acl(AclRecord {
        resource_type: ResourceType::Topic,
        name: "payments".into(),
        pattern_type: PatternType::Literal,
        principal: principal.into(),
        host: "*".into(),
        operation: AclOperation::Read,
        permission: AclPermission::Allow,
    });
    let first = converge(&state, None, mm2_config(principal, &["orders", "payments"])).await;
    let shrunk = converge(&state, Some(first), mm2_config(principal, &["orders"])).await;
    let wanted = held(&primary, principal);
    assert!(
        names(&wanted).contains("payments"),
        "the marked binding stays"
    );
    drop(shrunk);

    let cancel = CancellationToken::new();
    let mut diags = Diagnostics::new();
    let ctx = Ctx {
        provider: &state,
        cancel: &cancel,
    };
    let imported = resource()
        .import(ctx, &format!("primary:dr:{principal}"), &mut diags)
        .await
        .unwrap_or_else(|| panic!("{:?}", summaries(&diags)));
    let after = converge(&state, Some(imported), mm2_config(principal, &["orders"])).await;
    let left = held(&primary, principal);
    assert!(
        !names(&left).contains("payments"),
        "imported, so owned: {left:?}"
    );
    destroy(&state, after).await;
    assert!(held(&primary, principal).is_empty());
}
