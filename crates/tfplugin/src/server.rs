//! The tfplugin6 `Provider` gRPC service: decodes requests with the schemas, calls the
//! [`Provider`]/[`Resource`] traits, encodes answers. Every handler runs under a panic guard so
//! a bug becomes a plain error diagnostic (never a backtrace), and under a cancellation token
//! that StopProvider cancels.

use super::api::{
    ApplyRequest, Ctx, DataSource, PlanRequest, Provider, RawState, Resource, UpgradedState,
};
use super::codec::{
    decode_json, decode_msgpack, decode_msgpack_keeping, decode_msgpack_skipping, encode_msgpack,
};
use super::diag::{AttributePath, Diagnostic, Diagnostics, PathStep, Severity};
use super::proto::tfplugin6 as pb;
use super::schema::{self, Nesting, Presence};
use super::value::{Object, Value};
use futures_util::FutureExt;
use prost::bytes::Bytes;
use std::collections::BTreeMap;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, RwLock};
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};

/// The provider behind the gRPC service, with its resources indexed by type name.
pub struct ProviderService<P: Provider> {
    provider: P,
    /// The provider's local name, for messages ([`crate::serve::ServeConfig::name`]).
    name: &'static str,
    resources: BTreeMap<&'static str, Arc<dyn Resource<P::State>>>,
    data_sources: BTreeMap<&'static str, Arc<dyn DataSource<P::State>>>,
    configured: RwLock<Option<Arc<P::State>>>,
    /// Cancelled (and replaced by a fresh token) on StopProvider.
    stop: Mutex<CancellationToken>,
}

impl<P: Provider> ProviderService<P> {
    pub fn new(provider: P, name: &'static str) -> Self {
        let resources = provider
            .resources()
            .into_iter()
            .map(|r| (r.type_name(), r))
            .collect();
        let data_sources = provider
            .data_sources()
            .into_iter()
            .map(|d| (d.type_name(), d))
            .collect();
        ProviderService {
            provider,
            name,
            resources,
            data_sources,
            configured: RwLock::new(None),
            stop: Mutex::new(CancellationToken::new()),
        }
    }

    fn cancel_token(&self) -> CancellationToken {
        self.stop.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn resource(&self, type_name: &str) -> Result<Arc<dyn Resource<P::State>>, Diagnostic> {
        self.resources.get(type_name).cloned().ok_or_else(|| {
            Diagnostic::error(
                "Unknown resource type",
                format!("this provider has no resource type {type_name:?}"),
            )
        })
    }

    fn data_source(&self, type_name: &str) -> Result<Arc<dyn DataSource<P::State>>, Diagnostic> {
        self.data_sources.get(type_name).cloned().ok_or_else(|| {
            Diagnostic::error(
                "Unknown data source",
                format!("this provider has no data source {type_name:?}"),
            )
        })
    }

    /// The resource or data source `found`, with the configured provider state; reports the
    /// errors of both lookups.
    fn with_provider_state<T>(
        &self,
        found: Result<T, Diagnostic>,
        diags: &mut Diagnostics,
    ) -> Option<(T, Arc<P::State>)> {
        let found = diags.take(found);
        let provider = diags.take(self.provider_state());
        Some((found?, provider?))
    }

    fn provider_state(&self) -> Result<Arc<P::State>, Diagnostic> {
        self.configured
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .ok_or_else(|| {
                Diagnostic::error(
                    "Provider not configured",
                    format!(
                        "the {} provider configuration failed or was never received; see the errors above",
                        self.name
                    ),
                )
            })
    }
}

/// Runs a handler body under the panic guard. The body reports into the diagnostics it is
/// given and answers `None` where it stops; a panic drops whatever it reported and becomes
/// one error diagnostic with the panic message only.
async fn guarded<T>(
    provider: &str,
    operation: &str,
    body: impl AsyncFnOnce(&mut Diagnostics) -> Option<T>,
) -> (Option<T>, Diagnostics) {
    let mut diags = Diagnostics::new();
    match AssertUnwindSafe(body(&mut diags)).catch_unwind().await {
        Ok(result) => (result, diags),
        Err(payload) => {
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_string());
            log::error!("{operation} panicked: {message}");
            let diagnostic = Diagnostic::error(
                format!("Internal error in the {provider} provider"),
                format!(
                    "{operation} failed unexpectedly: {message}. This is a provider bug; please report it with the output of TF_LOG=DEBUG."
                ),
            );
            (None, diagnostic.into())
        }
    }
}

/// The context a resource or data source call gets.
fn ctx<'a, S>(provider: &'a Arc<S>, cancel: &'a CancellationToken) -> Ctx<'a, S> {
    Ctx {
        provider: provider.as_ref(),
        cancel,
    }
}

fn decode_object(
    value: Option<&pb::DynamicValue>,
    schema: &schema::Schema,
) -> Result<Option<Object>, Diagnostic> {
    decode_object_as(value, schema, Large::Built)
}

/// What decoding does with a resource's [`Resource::recomputed_attributes`].
#[derive(Clone, Copy)]
enum Large<'s> {
    /// Decoded like any attribute (configs).
    Built,
    /// Stepped over and read as unknown (proposed and planned states: the resource replaces them).
    Skipped(&'s [&'s str]),
    /// Kept encoded, sliced out of the request (prior and current states: the resource reads
    /// them typed).
    Kept(&'s [&'s str]),
}

fn decode_object_as(
    value: Option<&pb::DynamicValue>,
    schema: &schema::Schema,
    large: Large<'_>,
) -> Result<Option<Object>, Diagnostic> {
    let ty = schema.block.value_type();
    let decoded = match value {
        None => Value::Null,
        Some(dv) if !dv.msgpack.is_empty() => match large {
            Large::Built => decode_msgpack(&dv.msgpack, &ty)?,
            Large::Skipped(names) => decode_msgpack_skipping(&dv.msgpack, &ty, names)?,
            Large::Kept(names) => decode_msgpack_keeping(&dv.msgpack, &ty, names)?,
        },
        Some(dv) if !dv.json.is_empty() => decode_json(&dv.json, &ty)?,
        Some(_) => Value::Null,
    };
    match decoded {
        Value::Null => Ok(None),
        Value::Object(object) => Ok(Some(object)),
        _ => Err(Diagnostic::error(
            "Invalid value from Terraform",
            "expected an object for the whole configuration or state",
        )),
    }
}

/// Decodes a value that must be present (config, proposed state).
fn decode_required(
    value: Option<&pb::DynamicValue>,
    schema: &schema::Schema,
) -> Result<Object, Diagnostic> {
    decode_object(value, schema)?.ok_or_else(|| {
        Diagnostic::error("Invalid value from Terraform", "an expected value was null")
    })
}

fn encode_object(object: Option<Object>) -> pb::DynamicValue {
    pb::DynamicValue {
        msgpack: encode_msgpack(&object.map_or(Value::Null, Value::Object)).into(),
        json: Bytes::new(),
    }
}

fn diagnostics_to_proto(diags: Diagnostics) -> Vec<pb::Diagnostic> {
    diags
        .0
        .into_iter()
        .map(|d| pb::Diagnostic {
            severity: match d.severity {
                Severity::Error => pb::diagnostic::Severity::Error,
                Severity::Warning => pb::diagnostic::Severity::Warning,
            } as i32,
            summary: d.summary,
            detail: d.detail,
            attribute: d.path.map(path_to_proto),
        })
        .collect()
}

fn path_to_proto(path: AttributePath) -> pb::AttributePath {
    use pb::attribute_path::step::Selector;
    pb::AttributePath {
        steps: path
            .0
            .into_iter()
            .map(|step| pb::attribute_path::Step {
                selector: Some(match step {
                    PathStep::Attribute(name) => Selector::AttributeName(name),
                    PathStep::Key(key) => Selector::ElementKeyString(key),
                    PathStep::Index(index) => Selector::ElementKeyInt(index),
                }),
            })
            .collect(),
    }
}

fn schema_to_proto(schema: &schema::Schema) -> pb::Schema {
    pb::Schema {
        version: schema.version,
        block: Some(block_to_proto(&schema.block)),
    }
}

fn attribute_to_proto(attribute: &schema::Attribute) -> pb::schema::Attribute {
    use pb::schema::object::NestingMode;
    // Terraform wants either a type or a nested object schema, never both.
    let (ty, nested_type) = match &attribute.nested {
        None => (attribute.ty.to_json().to_string().into_bytes(), None),
        Some(nested) => (
            Vec::new(),
            Some(pb::schema::Object {
                attributes: nested.attributes.iter().map(attribute_to_proto).collect(),
                nesting: match nested.nesting {
                    Nesting::Single => NestingMode::Single,
                    Nesting::List => NestingMode::List,
                    Nesting::Set => NestingMode::Set,
                    Nesting::Map => NestingMode::Map,
                } as i32,
            }),
        ),
    };
    pb::schema::Attribute {
        name: attribute.name.clone(),
        r#type: ty,
        nested_type,
        description: attribute.description.clone(),
        required: attribute.presence == Presence::Required,
        optional: matches!(
            attribute.presence,
            Presence::Optional | Presence::OptionalComputed
        ),
        computed: matches!(
            attribute.presence,
            Presence::Computed | Presence::OptionalComputed
        ),
        sensitive: attribute.sensitive,
        description_kind: pb::StringKind::Plain as i32,
        deprecated: false,
    }
}

fn block_to_proto(block: &schema::Block) -> pb::schema::Block {
    pb::schema::Block {
        version: 0,
        description: block.description.clone(),
        description_kind: pb::StringKind::Plain as i32,
        deprecated: false,
        attributes: block.attributes.iter().map(attribute_to_proto).collect(),
        block_types: block
            .blocks
            .iter()
            .map(|b| {
                use pb::schema::nested_block::NestingMode;
                pb::schema::NestedBlock {
                    type_name: b.name.clone(),
                    block: Some(block_to_proto(&b.block)),
                    nesting: match b.nesting {
                        Nesting::Single => NestingMode::Single,
                        Nesting::List => NestingMode::List,
                        Nesting::Set => NestingMode::Set,
                        Nesting::Map => NestingMode::Map,
                    } as i32,
                    min_items: b.min_items,
                    max_items: b.max_items,
                }
            })
            .collect(),
    }
}

type Rpc<T> = Result<Response<T>, Status>;

#[tonic::async_trait]
impl<P: Provider> pb::provider_server::Provider for ProviderService<P> {
    async fn get_metadata(
        &self,
        _: Request<pb::get_metadata::Request>,
    ) -> Rpc<pb::get_metadata::Response> {
        Ok(Response::new(pb::get_metadata::Response {
            server_capabilities: Some(pb::ServerCapabilities {
                // Terraform 1.3+ then plans destroys too (`Resource::plan_destroy`).
                plan_destroy: true,
                ..Default::default()
            }),
            diagnostics: Vec::new(),
            resources: self
                .resources
                .keys()
                .map(|name| pb::get_metadata::ResourceMetadata {
                    type_name: name.to_string(),
                })
                .collect(),
            data_sources: self
                .data_sources
                .keys()
                .map(|name| pb::get_metadata::DataSourceMetadata {
                    type_name: name.to_string(),
                })
                .collect(),
        }))
    }

    async fn get_provider_schema(
        &self,
        _: Request<pb::get_provider_schema::Request>,
    ) -> Rpc<pb::get_provider_schema::Response> {
        log::debug!("GetProviderSchema");
        Ok(Response::new(pb::get_provider_schema::Response {
            provider: Some(schema_to_proto(&self.provider.schema())),
            resource_schemas: self
                .resources
                .iter()
                .map(|(name, r)| (name.to_string(), schema_to_proto(&r.schema())))
                .collect(),
            data_source_schemas: self
                .data_sources
                .iter()
                .map(|(name, d)| (name.to_string(), schema_to_proto(&d.schema())))
                .collect(),
            diagnostics: Vec::new(),
            provider_meta: None,
            server_capabilities: Some(pb::ServerCapabilities {
                // Terraform 1.3+ then plans destroys too (`Resource::plan_destroy`).
                plan_destroy: true,
                ..Default::default()
            }),
        }))
    }

    async fn validate_provider_config(
        &self,
        request: Request<pb::validate_provider_config::Request>,
    ) -> Rpc<pb::validate_provider_config::Response> {
        let request = request.into_inner();
        let (_, diags) = guarded(
            self.name,
            "ValidateProviderConfig",
            async |diags: &mut Diagnostics| {
                let schema = self.provider.schema();
                let config = diags.take(decode_required(request.config.as_ref(), &schema))?;
                self.provider.validate(&config, diags);
                Some(())
            },
        )
        .await;
        Ok(Response::new(pb::validate_provider_config::Response {
            diagnostics: diagnostics_to_proto(diags),
        }))
    }

    async fn configure_provider(
        &self,
        request: Request<pb::configure_provider::Request>,
    ) -> Rpc<pb::configure_provider::Response> {
        let request = request.into_inner();
        log::info!(
            "ConfigureProvider from Terraform {}",
            request.terraform_version
        );
        let cancel = self.cancel_token();
        let (state, diags) = guarded(
            self.name,
            "ConfigureProvider",
            async |diags: &mut Diagnostics| {
                let schema = self.provider.schema();
                let config = diags.take(decode_required(request.config.as_ref(), &schema))?;
                self.provider.configure(&config, &cancel, diags).await
            },
        )
        .await;
        if let Some(state) = state {
            *self.configured.write().unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(state));
        }
        Ok(Response::new(pb::configure_provider::Response {
            diagnostics: diagnostics_to_proto(diags),
        }))
    }

    async fn validate_resource_config(
        &self,
        request: Request<pb::validate_resource_config::Request>,
    ) -> Rpc<pb::validate_resource_config::Response> {
        let request = request.into_inner();
        log::debug!("ValidateResourceConfig {}", request.type_name);
        let (_, diags) = guarded(
            self.name,
            "ValidateResourceConfig",
            async |diags: &mut Diagnostics| {
                let resource = diags.take(self.resource(&request.type_name))?;
                let config =
                    diags.take(decode_required(request.config.as_ref(), &resource.schema()))?;
                resource.validate(&config, diags);
                Some(())
            },
        )
        .await;
        Ok(Response::new(pb::validate_resource_config::Response {
            diagnostics: diagnostics_to_proto(diags),
        }))
    }

    async fn validate_data_resource_config(
        &self,
        request: Request<pb::validate_data_resource_config::Request>,
    ) -> Rpc<pb::validate_data_resource_config::Response> {
        let request = request.into_inner();
        let (_, diags) = guarded(
            self.name,
            "ValidateDataResourceConfig",
            async |diags: &mut Diagnostics| {
                let data_source = diags.take(self.data_source(&request.type_name))?;
                let schema = data_source.schema();
                let config = diags.take(decode_required(request.config.as_ref(), &schema))?;
                data_source.validate(&config, diags);
                Some(())
            },
        )
        .await;
        Ok(Response::new(pb::validate_data_resource_config::Response {
            diagnostics: diagnostics_to_proto(diags),
        }))
    }

    async fn upgrade_resource_state(
        &self,
        request: Request<pb::upgrade_resource_state::Request>,
    ) -> Rpc<pb::upgrade_resource_state::Response> {
        let request = request.into_inner();
        log::debug!("UpgradeResourceState {}", request.type_name);
        let (state, diags) = guarded(self.name, "UpgradeResourceState", async |diags: &mut Diagnostics| {
            let resource = diags.take(self.resource(&request.type_name))?;
            let json = request.raw_state.map(|raw| raw.json).unwrap_or_default();
            if json.is_empty() {
                diags.push(Diagnostic::error(
                    "Unsupported state format",
                    "the stored state is in the pre-0.12 flatmap format, which this provider does not read",
                ));
                return None;
            }
            let raw = RawState { version: request.version, json };
            Some(match resource.upgrade_state(&raw, diags)? {
                UpgradedState::Current => pb::DynamicValue {
                    msgpack: Bytes::new(),
                    json: raw.json,
                },
                UpgradedState::Upgraded(state) => encode_object(Some(state)),
            })
        })
        .await;
        Ok(Response::new(pb::upgrade_resource_state::Response {
            upgraded_state: state,
            diagnostics: diagnostics_to_proto(diags),
        }))
    }

    async fn read_resource(
        &self,
        request: Request<pb::read_resource::Request>,
    ) -> Rpc<pb::read_resource::Response> {
        let request = request.into_inner();
        log::debug!("ReadResource {}", request.type_name);
        let cancel = self.cancel_token();
        // Kept (not copied: it can be tens of MB) to answer with on errors.
        let current = request.current_state;
        let (state, diags) = guarded(
            self.name,
            "ReadResource",
            async |diags: &mut Diagnostics| {
                let (resource, provider) =
                    self.with_provider_state(self.resource(&request.type_name), diags)?;
                let schema = resource.schema();
                let kept = Large::Kept(resource.recomputed_attributes());
                let state = diags.take(decode_object_as(current.as_ref(), &schema, kept))??;
                // Cheap: the large attributes are encoded slices, cloned by reference.
                let unchanged = state.clone();
                let new_state = resource.read(ctx(&provider, &cancel), state, diags).await;
                Some((new_state.as_ref() == Some(&unchanged), new_state))
            },
        )
        .await;
        // On errors keep what Terraform had, so a failed refresh never drops the resource; an
        // unchanged state is answered with the bytes Terraform sent instead of encoded again.
        let new_state = match state {
            Some((false, new_state)) if !diags.has_errors() => Some(encode_object(new_state)),
            _ => current,
        };
        Ok(Response::new(pb::read_resource::Response {
            new_state,
            diagnostics: diagnostics_to_proto(diags),
            private: request.private,
        }))
    }

    async fn plan_resource_change(
        &self,
        request: Request<pb::plan_resource_change::Request>,
    ) -> Rpc<pb::plan_resource_change::Response> {
        let mut request = request.into_inner();
        log::debug!("PlanResourceChange {}", request.type_name);
        let cancel = self.cancel_token();
        // Taken out so each can be dropped once decoded: they are slices of one request
        // buffer of tens of MB, freed only when the last of them goes.
        let (prior_state, proposed_new_state, config) = (
            request.prior_state.take(),
            request.proposed_new_state.take(),
            request.config.take(),
        );
        let (planned, diags) = guarded(
            self.name,
            "PlanResourceChange",
            async |diags: &mut Diagnostics| {
                let resource = diags.take(self.resource(&request.type_name))?;
                let schema = resource.schema();
                // A state can be tens of MB: the proposed one is dropped once decoded; the prior's
                // large attributes stay encoded (slices of the request) until the resource reads them.
                let large = resource.recomputed_attributes();
                let prior = diags.take(decode_object_as(
                    prior_state.as_ref(),
                    &schema,
                    Large::Kept(large),
                ))?;
                let proposed = diags.take(decode_object_as(
                    proposed_new_state.as_ref(),
                    &schema,
                    Large::Skipped(large),
                ))?;
                drop(proposed_new_state);
                let config = diags.take(decode_object(config.as_ref(), &schema))?;
                // Destroy (asked for with the plan_destroy capability): the planned state is
                // null; the resource may only report diagnostics about it.
                let (Some(proposed), Some(config)) = (proposed, config) else {
                    if let Some(prior) = prior {
                        let provider = diags.take(self.provider_state())?;
                        resource
                            .plan_destroy(ctx(&provider, &cancel), prior, diags)
                            .await;
                    }
                    return Some((None, Vec::new()));
                };
                let provider = diags.take(self.provider_state())?;
                let plan = PlanRequest {
                    prior,
                    proposed,
                    config,
                };
                let planned = resource.plan(ctx(&provider, &cancel), plan, diags).await;
                planned.map(|p| (Some(p.planned), p.requires_replace))
            },
        )
        .await;
        let (planned_state, requires_replace) = match planned {
            Some((state, replace)) => (Some(encode_object(state)), replace),
            None => (None, Vec::new()),
        };
        Ok(Response::new(pb::plan_resource_change::Response {
            planned_state,
            requires_replace: requires_replace.into_iter().map(path_to_proto).collect(),
            planned_private: request.prior_private,
            diagnostics: diagnostics_to_proto(diags),
        }))
    }

    async fn apply_resource_change(
        &self,
        request: Request<pb::apply_resource_change::Request>,
    ) -> Rpc<pb::apply_resource_change::Response> {
        let mut request = request.into_inner();
        log::debug!("ApplyResourceChange {}", request.type_name);
        let cancel = self.cancel_token();
        // Kept (not copied: it can be tens of MB) to answer with when apply fails.
        let prior_state = request.prior_state.take();
        let planned_state = request.planned_state.take();
        let (new_state, diags) = guarded(
            self.name,
            "ApplyResourceChange",
            async |diags: &mut Diagnostics| {
                let (resource, provider) =
                    self.with_provider_state(self.resource(&request.type_name), diags)?;
                let schema = resource.schema();
                let large = resource.recomputed_attributes();
                let planned = diags.take(decode_object_as(
                    planned_state.as_ref(),
                    &schema,
                    Large::Skipped(large),
                ))?;
                drop(planned_state);
                let apply = ApplyRequest {
                    prior: diags.take(decode_object_as(
                        prior_state.as_ref(),
                        &schema,
                        Large::Kept(large),
                    ))?,
                    planned,
                    config: diags.take(decode_object(request.config.as_ref(), &schema))?,
                };
                Some(resource.apply(ctx(&provider, &cancel), apply, diags).await)
            },
        )
        .await;
        // A failed apply that returns no state leaves the prior state (a failed destroy must not
        // drop the resource); `None` without errors is a completed destroy.
        let new_state = match new_state {
            Some(Some(state)) => Some(encode_object(Some(state))),
            Some(None) if !diags.has_errors() => Some(encode_object(None)),
            _ => prior_state,
        };
        Ok(Response::new(pb::apply_resource_change::Response {
            new_state,
            private: request.planned_private,
            diagnostics: diagnostics_to_proto(diags),
        }))
    }

    async fn import_resource_state(
        &self,
        request: Request<pb::import_resource_state::Request>,
    ) -> Rpc<pb::import_resource_state::Response> {
        let request = request.into_inner();
        log::debug!("ImportResourceState {}", request.type_name);
        let cancel = self.cancel_token();
        let (state, diags) = guarded(
            self.name,
            "ImportResourceState",
            async |diags: &mut Diagnostics| {
                let (resource, provider) =
                    self.with_provider_state(self.resource(&request.type_name), diags)?;
                resource
                    .import(ctx(&provider, &cancel), &request.id, diags)
                    .await
            },
        )
        .await;
        Ok(Response::new(pb::import_resource_state::Response {
            imported_resources: state
                .map(|state| pb::import_resource_state::ImportedResource {
                    type_name: request.type_name.clone(),
                    state: Some(encode_object(Some(state))),
                    private: Vec::new(),
                })
                .into_iter()
                .collect(),
            diagnostics: diagnostics_to_proto(diags),
        }))
    }

    async fn read_data_source(
        &self,
        request: Request<pb::read_data_source::Request>,
    ) -> Rpc<pb::read_data_source::Response> {
        let request = request.into_inner();
        log::debug!("ReadDataSource {}", request.type_name);
        let cancel = self.cancel_token();
        let (state, diags) = guarded(
            self.name,
            "ReadDataSource",
            async |diags: &mut Diagnostics| {
                let (data_source, provider) =
                    self.with_provider_state(self.data_source(&request.type_name), diags)?;
                let schema = data_source.schema();
                let config = diags.take(decode_required(request.config.as_ref(), &schema))?;
                data_source
                    .read(ctx(&provider, &cancel), config, diags)
                    .await
            },
        )
        .await;
        Ok(Response::new(pb::read_data_source::Response {
            state: state.map(|s| encode_object(Some(s))),
            diagnostics: diagnostics_to_proto(diags),
        }))
    }

    async fn stop_provider(
        &self,
        _: Request<pb::stop_provider::Request>,
    ) -> Rpc<pb::stop_provider::Response> {
        log::info!("StopProvider: cancelling in-flight operations");
        let mut stop = self.stop.lock().unwrap_or_else(|e| e.into_inner());
        stop.cancel();
        *stop = CancellationToken::new();
        Ok(Response::new(pb::stop_provider::Response {
            error: String::new(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Planned;
    use crate::schema::{Attr, Block, Schema};
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
}
