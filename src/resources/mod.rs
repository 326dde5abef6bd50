//! The glue between Terraform and the model/Kafka layers: the shared row objects
//! ([`rows`]), the engine that turns a flow type into a resource and a data source
//! ([`engine`]), the cluster work of apply, refresh and preflight ([`apply`]), and the two
//! flow types, each only its schema, decode and import id:
//! [`mm2`] (`kafkamirror_mm2_replication_permissions`) and [`cluster_link`]
//! (`kafkamirror_cluster_link_acls`).

pub mod apply;
mod claims;
pub mod cluster_link;
pub mod engine;
pub mod mm2;
pub mod rows;
