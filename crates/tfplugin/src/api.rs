//! The traits a provider implements: the provider itself (schema, validation, configure) and
//! its resources and data sources. The protocol server calls these; they never see protobuf.

use super::codec::decode_json;
use super::diag::{AttributePath, Diagnostic, Diagnostics};
use super::schema::Schema;
use super::value::{Object, Value};
use async_trait::async_trait;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// What every handler gets besides its request: the configured provider and a token that
/// Terraform's StopProvider (e.g. Ctrl-C) cancels. Long operations should watch it.
pub struct Ctx<'a, S> {
    pub provider: &'a S,
    pub cancel: &'a CancellationToken,
}

#[async_trait]
pub trait Provider: Send + Sync + 'static {
    /// What `configure` produces and every resource call receives (e.g. connection settings or API clients).
    type State: Send + Sync + 'static;

    /// The provider configuration schema (the `provider "<name>" { }` block).
    fn schema(&self) -> Schema;

    /// Static checks of the provider config; unknown values are to be skipped here.
    fn validate(&self, config: &Object, diags: &mut Diagnostics);

    /// Turns the config into the provider state. Values may still be unknown during plan.
    async fn configure(
        &self,
        config: &Object,
        cancel: &CancellationToken,
        diags: &mut Diagnostics,
    ) -> Option<Self::State>;

    fn resources(&self) -> Vec<Arc<dyn Resource<Self::State>>>;

    fn data_sources(&self) -> Vec<Arc<dyn DataSource<Self::State>>>;
}

/// Input of [`Resource::plan`]. `prior` is `None` on create; `proposed` is Terraform's merge
/// of config over prior state (computed attributes keep their prior value or are null).
pub struct PlanRequest {
    pub prior: Option<Object>,
    pub proposed: Object,
    pub config: Object,
}

/// Output of [`Resource::plan`].
pub struct Planned {
    pub planned: Object,
    /// Attributes whose change forces destroy-and-create.
    pub requires_replace: Vec<AttributePath>,
}

/// Input of [`Resource::apply`]: `planned` is `None` for destroy, `prior` is `None` for create.
pub struct ApplyRequest {
    pub prior: Option<Object>,
    pub planned: Option<Object>,
    pub config: Option<Object>,
}

/// What [`Resource::upgrade_state`] makes of stored state.
pub enum UpgradedState {
    /// The stored JSON is already in the current schema: handed back to Terraform as is
    /// (a JSON DynamicValue), with no decode and re-encode of a state that can hold tens of
    /// thousands of rows. Terraform checks it against the schema when it reads it.
    Current,
    /// State rewritten from an older schema version.
    Upgraded(Object),
}

/// State as stored under an older (or the current) schema version.
pub struct RawState {
    pub version: i64,
    pub json: prost::bytes::Bytes,
}

impl RawState {
    /// Decodes the stored JSON with the given (old or current) schema.
    pub fn decode(&self, schema: &Schema) -> Result<Object, Diagnostic> {
        match decode_json(&self.json, &schema.block.value_type())? {
            Value::Object(object) => Ok(object),
            _ => Err(Diagnostic::error(
                "Invalid stored state",
                "the stored state is not an object",
            )),
        }
    }
}

#[async_trait]
pub trait Resource<S>: Send + Sync {
    /// e.g. `example_thing`.
    fn type_name(&self) -> &'static str;

    /// The schema, with its version; bump the version when stored state changes shape.
    fn schema(&self) -> Schema;

    /// Static checks of the resource config (values may be unknown: skip those).
    fn validate(&self, _config: &Object, _diags: &mut Diagnostics) {}

    /// Reports diagnostics about destroying the resource whose state is `prior` (Terraform
    /// 1.3 and later plan destroys; older ones do not call this). The default says nothing.
    async fn plan_destroy(&self, _ctx: Ctx<'_, S>, _prior: Object, _diags: &mut Diagnostics)
    where
        S: Sync,
    {
    }

    /// Works out the planned new state (called for create and update, not destroy).
    async fn plan(
        &self,
        ctx: Ctx<'_, S>,
        request: PlanRequest,
        diags: &mut Diagnostics,
    ) -> Option<Planned>;

    /// Makes the change; returns the new state (`None` after destroy).
    async fn apply(
        &self,
        ctx: Ctx<'_, S>,
        request: ApplyRequest,
        diags: &mut Diagnostics,
    ) -> Option<Object>;

    /// Refreshes state from the real world; `None` means the object is gone.
    async fn read(&self, ctx: Ctx<'_, S>, state: Object, diags: &mut Diagnostics)
        -> Option<Object>;

    /// `terraform import ADDR ID`: the state for `id` (Terraform then calls `read`).
    async fn import(&self, ctx: Ctx<'_, S>, id: &str, diags: &mut Diagnostics) -> Option<Object>;

    /// Computed attributes this resource always sets itself in plan and apply; they can hold
    /// tens of thousands of rows. Terraform's proposed and planned states carry their prior
    /// values, which the server steps over instead of decoding (they read as unknown). In prior
    /// and current states the server keeps them encoded ([`crate::Value::Encoded`]),
    /// for the resource to read typed with [`crate::Attr::take_known`].
    fn recomputed_attributes(&self) -> &'static [&'static str] {
        &[]
    }

    /// Rewrites state stored at `raw.version` into the current schema. The default accepts
    /// only the current version; resources that bumped their version override this.
    fn upgrade_state(&self, raw: &RawState, diags: &mut Diagnostics) -> Option<UpgradedState> {
        let schema = self.schema();
        if raw.version != schema.version {
            diags.push(Diagnostic::error(
                "Unsupported state version",
                format!(
                    "{} state is at schema version {}, this provider knows version {}",
                    self.type_name(),
                    raw.version,
                    schema.version
                ),
            ));
            return None;
        }
        Some(UpgradedState::Current)
    }
}

#[async_trait]
pub trait DataSource<S>: Send + Sync {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Schema;
    fn validate(&self, _config: &Object, _diags: &mut Diagnostics) {}
    async fn read(
        &self,
        ctx: Ctx<'_, S>,
        config: Object,
        diags: &mut Diagnostics,
    ) -> Option<Object>;
}
