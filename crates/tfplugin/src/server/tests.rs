//! The gRPC service against a fake provider: the panic guard, StopProvider cancellation,
//! unknown types.

use super::*;
use crate::api::Planned;
use crate::schema::{self, Attr, Block, Schema};
use crate::value::{Object, Value};
use async_trait::async_trait;
use pb::provider_server::Provider as _;
use std::time::Duration;

struct FakeProvider;
struct FakeThing;

const ID: Attr<String> = Attr::computed("id", "id");

fn empty_object() -> pb::DynamicValue {
    encode_object(Some(Object::new()))
}

#[async_trait]
impl Provider for FakeProvider {
    type State = ();
    fn schema(&self) -> schema::Schema {
        Schema {
            version: 0,
            block: Block::new("fake"),
        }
    }
    fn validate(&self, _: &Object, _: &mut Diagnostics) {}
    async fn configure(
        &self,
        _: &Object,
        _: &CancellationToken,
        _: &mut Diagnostics,
    ) -> Option<()> {
        Some(())
    }
    fn resources(&self) -> Vec<Arc<dyn Resource<()>>> {
        vec![Arc::new(FakeThing)]
    }
    fn data_sources(&self) -> Vec<Arc<dyn DataSource<()>>> {
        Vec::new()
    }
}

#[async_trait]
impl Resource<()> for FakeThing {
    fn type_name(&self) -> &'static str {
        "fake_thing"
    }
    fn schema(&self) -> Schema {
        Schema {
            version: 0,
            block: Block::new("fake").attr(&ID),
        }
    }
    async fn plan(
        &self,
        _: Ctx<'_, ()>,
        request: PlanRequest,
        _: &mut Diagnostics,
    ) -> Option<Planned> {
        Some(Planned {
            planned: request.proposed,
            requires_replace: Vec::new(),
        })
    }
    /// Waits until StopProvider cancels it.
    async fn apply(
        &self,
        ctx: Ctx<'_, ()>,
        _: ApplyRequest,
        diags: &mut Diagnostics,
    ) -> Option<Object> {
        ctx.cancel.cancelled().await;
        diags.push(Diagnostic::error("Cancelled", "stopped by Terraform"));
        None
    }
    async fn read(&self, _: Ctx<'_, ()>, _: Object, _: &mut Diagnostics) -> Option<Object> {
        panic!("boom: invariant broken")
    }
    async fn import(&self, _: Ctx<'_, ()>, _: &str, _: &mut Diagnostics) -> Option<Object> {
        None
    }
}

fn prior() -> pb::DynamicValue {
    encode_object(Some(Object::from([("id".to_string(), Value::string("x"))])))
}

async fn configured_service() -> Arc<ProviderService<FakeProvider>> {
    let service = Arc::new(ProviderService::new(FakeProvider, "fake"));
    let response = service
        .configure_provider(Request::new(pb::configure_provider::Request {
            terraform_version: "test".into(),
            config: Some(empty_object()),
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(response.diagnostics.is_empty());
    service
}

#[tokio::test]
async fn a_panicking_handler_becomes_a_plain_error_diagnostic() {
    let service = configured_service().await;
    let current = encode_object(Some(Object::from([("id".to_string(), Value::string("x"))])));
    let response = service
        .read_resource(Request::new(pb::read_resource::Request {
            type_name: "fake_thing".into(),
            current_state: Some(current.clone()),
            private: Vec::new(),
        }))
        .await
        .expect("a panic is not a gRPC error")
        .into_inner();
    let [diagnostic] = response.diagnostics.as_slice() else {
        panic!("expected one diagnostic: {:?}", response.diagnostics)
    };
    assert_eq!(diagnostic.severity, pb::diagnostic::Severity::Error as i32);
    assert!(diagnostic.detail.contains("boom: invariant broken"));
    assert!(!diagnostic.detail.contains("backtrace") && !diagnostic.detail.contains(".rs:"));
    // The resource is kept as it was, not dropped from state.
    assert_eq!(response.new_state, Some(current));
}

#[tokio::test]
async fn stop_provider_cancels_in_flight_work_and_keeps_serving() {
    let service = configured_service().await;
    let applying = tokio::spawn({
        let service = service.clone();
        async move {
            service
                .apply_resource_change(Request::new(pb::apply_resource_change::Request {
                    type_name: "fake_thing".into(),
                    prior_state: Some(prior()),
                    planned_state: None,
                    config: Some(empty_object()),
                    planned_private: Vec::new(),
                }))
                .await
        }
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(!applying.is_finished());
    service
        .stop_provider(Request::new(pb::stop_provider::Request {}))
        .await
        .unwrap();
    let response = tokio::time::timeout(Duration::from_secs(5), applying)
        .await
        .expect("apply ends after StopProvider")
        .unwrap()
        .unwrap()
        .into_inner();
    assert_eq!(response.diagnostics[0].summary, "Cancelled");
    // The destroy failed, so the resource stays in state.
    assert_eq!(response.new_state, Some(prior()));
    // Later requests get a fresh, uncancelled token.
    assert!(!service.cancel_token().is_cancelled());
}

#[tokio::test]
async fn unknown_resource_type_is_a_diagnostic() {
    let service = configured_service().await;
    let response = service
        .validate_resource_config(Request::new(pb::validate_resource_config::Request {
            type_name: "fake_nothing".into(),
            config: Some(empty_object()),
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(response.diagnostics[0].detail.contains("fake_nothing"));
}
