//! The tfplugin6 `Provider` gRPC service: decodes requests with the schemas, calls the
//! [`Provider`]/[`Resource`] traits, encodes answers. Every handler runs under a panic guard so
//! a bug becomes a plain error diagnostic (never a backtrace), and under a cancellation token
//! that StopProvider cancels.

mod wire;

use super::api::{
    ApplyRequest, Ctx, DataSource, PlanRequest, Provider, RawState, Resource, UpgradedState,
};
use super::diag::{Diagnostic, Diagnostics};
use super::proto::tfplugin6 as pb;
use futures_util::FutureExt;
use prost::bytes::Bytes;
use std::collections::BTreeMap;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, RwLock};
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};
use wire::{
    decode_object, decode_object_as, decode_required, diagnostics_to_proto, encode_object,
    path_to_proto, schema_to_proto, Large,
};

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
mod tests;
