//! Terraform plugin protocol 6 over gRPC, for any provider: values and their wire codecs,
//! schemas declared through typed descriptors, diagnostics, the provider/resource traits, and
//! the go-plugin server (handshake, auto-mTLS, debug mode, hclog logging).
//!
//! Writing a resource: declare each attribute once as an [`Attr`] constant (objects inside
//! sets/lists with [`tf_object!`](crate::tf_object)), build the [`Schema`] from those constants,
//! and implement [`Resource`]: read values with `ATTR.get(&config)` (null/unknown/known) or
//! `ATTR.require(&state)`, write them with `ATTR.set` / `ATTR.set_unknown`, collect replacement
//! paths with `ATTR.replace_if_changed`, report problems as [`Diagnostic`]s `.at(ATTR.path())`,
//! and watch `ctx.cancel` in long operations. `src/test_resources.rs` is a complete example.

pub mod api;
pub mod codec;
pub mod diag;
pub mod docs;
mod grpc_codec;
pub mod logging;
mod proto;
pub mod schema;
pub mod serve;
mod server;
mod tls;
pub mod value;

pub use api::{
    ApplyRequest, Ctx, DataSource, PlanRequest, Planned, Provider, RawState, Resource,
    UpgradedState,
};
pub use diag::{AttributePath, Diagnostic, Diagnostics, PathStep};
pub use schema::{Attr, AttrType, Block, BlockDecl, Field, Schema};
pub use value::{Number, Object, Type, Value};
