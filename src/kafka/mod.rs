//! The Kafka admin layer: connects to one cluster with rdkafka and offers a safe async API
//! for ACLs and topics. It knows nothing of Terraform.
//!
//! - [`config`]: how to reach a cluster (the provider's `cluster` block).
//! - [`admin`]: [`KafkaAdmin`], the connected client and its batched calls.
//! - [`claims`]: [`claims::ClaimsLog`], a compacted topic read to its end (whole, or on from
//!   a previous read) and appended to (rdkafka's safe producer and consumer).
//! - [`acl_filter`], [`topics`]: the values those calls take and return.
//! - [`error`]: typed errors, each naming the cluster.
//! - `ffi`: the only module allowed `unsafe` code (librdkafka calls without a safe API);
//!   the workspace denies it everywhere else.

pub mod acl_filter;
pub mod admin;
pub mod claims;
pub mod config;
pub mod error;
#[allow(unsafe_code)]
mod ffi;
pub mod oauth;
pub mod principal;
mod system_roots;
pub mod tls_probe;
pub mod topics;

pub use acl_filter::{AclFilter, PatternFilter};
pub use admin::{KafkaAdmin, DESCRIBE_ANSWER_LIMIT};
pub use error::{BrokerError, KafkaError};
pub use topics::{
    ConfigChange, ConfigSource, ConfigValue, NewTopic, TopicConfigAlteration, TopicConfigs,
    TopicDescription, TopicLookup, TopicOutcomes,
};
