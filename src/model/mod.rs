//! The functional core: Kafka ACL vocabulary, permission rule tables per replicator,
//! planning (inputs -> desired ACLs and topics) and reconcile (set difference).
//! Nothing here does I/O or knows about Terraform.

pub mod acl;
pub mod cluster_link;
pub mod mm2;
pub mod mm2_config;
pub mod mm2_regexes;
pub mod outcome;
pub mod ownership;
pub mod plan;
pub mod preflight;
pub mod reconcile;
pub mod validate;

#[cfg(test)]
mod test_support;
