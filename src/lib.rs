//! terraform-provider-kafkamirror: a Terraform provider that works out and applies the Kafka
//! ACLs and internal topics a replication flow (MirrorMaker 2, Cluster Linking) needs.
//!
//! Layers (see ARCHITECTURE.md):
//! - [`model`]: the functional core: ACL types, permission rule tables, planning, set-difference reconcile.
//! - `kafka`: the Kafka admin client (knows nothing of Terraform).
//! - the `tfplugin` crate (crates/tfplugin): Terraform plugin protocol 6 (knows nothing of Kafka).
//! - [`clusters`]: cluster settings, the admin-client cache and the provider's principal.
//! - `resources` (the glue between them, per resource) and `provider` (config schema,
//!   parsed into [`clusters::Clusters`]; registers the resources).

pub mod cluster_block;
pub mod clusters;
pub mod docs;
pub mod kafka;
pub mod model;
pub mod provider;
pub mod resources;
pub mod secret;
#[cfg(feature = "test-resources")]
pub mod test_resources;
