//! The glue between Terraform and the model/Kafka layers, one file per concern:
//! - [`flow`]: what a flow type provides ([`flow::Flow`]) and input-reading helpers;
//!   [`mm2`] (`kafkamirror_mm2_replication_permissions`) and [`cluster_link`]
//!   (`kafkamirror_cluster_link_acls`) are the two flow types (schema, decode, import id);
//! - [`mm2_config`]: the data source reading MM2's own configuration into flows;
//! - [`engine`]: a flow as a Terraform resource and data source (plan, apply, read, import);
//! - `record` and [`rows`]: what state records and its row objects;
//! - `read`: reading what clusters hold, `settle` repeating reads until they show what is
//!   known to exist (Kafka's timing); `apply` (per cluster: [`acls`], `topics`), `refresh`
//!   and `preflight` (with [`access_check`], Kafka's authorizer over the plan): the cluster
//!   work, whose decisions `crate::model` takes.

pub mod access_check;
pub mod acl_key;
pub mod acls;
mod apply;
mod claims;
pub mod cluster_link;
pub mod engine;
pub mod flow;
pub mod mm2;
pub mod mm2_config;
mod preflight;
mod read;
mod record;
mod refresh;
pub mod rows;
mod settle;
mod topics;
