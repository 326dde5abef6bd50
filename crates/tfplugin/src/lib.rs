//! Terraform plugin protocol 6 for providers written in Rust.
//!
//! A provider implements [`Provider`] (its configuration block, resources and data sources)
//! and [`Resource`] / [`DataSource`] for each type it serves, and its `main` calls
//! [`serve::run`] with a [`serve::ServeConfig`] naming it. This crate does the rest: the
//! go-plugin handshake and automatic mutual TLS with Terraform, the gRPC services (provider,
//! health, controller), decoding and encoding of values (cty msgpack and JSON), schemas,
//! diagnostics on attribute paths, state upgrades, StopProvider cancellation, a panic guard
//! that turns a handler's panic into an error diagnostic, logging in go-hclog's JSON format
//! (`TF_LOG=DEBUG terraform plan` shows it), `--debug` mode, and registry docs ([`docs`]).
//! It knows nothing of any particular provider: everything provider-specific comes from the
//! provider.
//!
//! # Writing a resource
//!
//! Declare each attribute once as an [`Attr`] constant (objects inside sets, lists and maps
//! with [`tf_object!`], nested blocks with [`BlockDecl`]), build the [`Schema`] from those
//! constants, and implement [`Resource`]:
//!
//! - read values with `ATTR.get(&object)` ([`Field`]: null, unknown or known), `ATTR.known`
//!   (unknown is an error) or `ATTR.require` (null is an error too); write them with
//!   `ATTR.set`, `ATTR.set_unknown` ("known after apply") or `ATTR.set_null`;
//! - `plan` gets Terraform's proposed state and returns the planned one, with the attributes
//!   whose change forces replacement (`ATTR.replace_if_changed`);
//! - `apply` makes the change and returns the new state (`None` after a destroy), `read`
//!   refreshes it, `import` builds it from an id;
//! - report problems as [`Diagnostic`]s placed with `.at(ATTR.path())`; a handler that
//!   stops returns `None` after pushing its errors;
//! - long operations watch `ctx.cancel` (Terraform's StopProvider, e.g. Ctrl-C);
//! - a schema change of stored attributes bumps `Schema::version` and overrides
//!   [`Resource::upgrade_state`].
//!
//! Large states: attributes a resource recomputes itself in every plan and apply can be
//! listed in [`Resource::recomputed_attributes`]; the server then skips them in proposed and
//! planned states and keeps them encoded ([`Value::Encoded`]) in prior and current states,
//! for typed reads straight from msgpack ([`Attr::take_known`], [`AttrType::read_msgpack`]).
//!
//! # Example
//!
//! A complete provider (this crate's `examples/notes.rs`; build it with
//! `cargo build --example notes` and install it as `terraform-provider-example`):
//!
//! ```no_run
#![doc = include_str!("../examples/notes.rs")]
//! ```
//!
//! # Modules
//!
//! - [`api`]: the traits a provider implements; [`schema`]: typed descriptors and schemas;
//!   [`value`], [`codec`]: Terraform values and their msgpack/JSON encodings; [`diag`]:
//!   diagnostics and attribute paths.
//! - [`serve`]: process start-up (handshake, mTLS, debug mode); [`logging`]: hclog JSON logs.
//! - [`docs`]: registry documentation (`docs/index.md`, `docs/resources/`, ...) rendered from
//!   the schemas and the provider's examples.

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

/// The attribute the provider traits are implemented with (`#[async_trait]`).
pub use async_trait::async_trait;
/// What [`Provider::configure`] and [`Ctx::cancel`] watch for Terraform's StopProvider.
pub use tokio_util::sync::CancellationToken;

/// The README's code, compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
