//! Terraform plugin protocol 6 over gRPC, independent of Kafka: values and their wire codecs,
//! schemas declared through typed descriptors, diagnostics, the provider/resource traits, and
//! the go-plugin server (handshake, auto-mTLS, debug mode, hclog logging).

pub mod api;
pub mod codec;
pub mod diag;
pub mod logging;
mod proto;
pub mod schema;
pub mod serve;
mod server;
mod tls;
pub mod value;

pub use api::{ApplyRequest, Ctx, DataSource, PlanRequest, Planned, Provider, RawState, Resource};
pub use diag::{AttributePath, Diagnostic, Diagnostics, PathStep};
pub use schema::{Attr, AttrType, Block, BlockDecl, Field, Schema};
pub use value::{Number, Object, Type, Value};
