//! The Kafka admin layer: connects to one cluster with rdkafka and offers a safe async API
//! for ACLs and topics. It knows nothing of Terraform.

pub mod config;
