//! Every `unsafe` line of the admin layer: the librdkafka admin calls rust-rdkafka has no
//! safe API for (CreateAcls, DescribeAcls, DeleteAcls, IncrementalAlterConfigs, DescribeTopics,
//! DescribeCluster), the ones whose safe API loses what the provider must report (CreateTopics
//! and DescribeConfigs: rust-rdkafka keeps neither the Kafka error name nor the broker's
//! message per topic), the pump that reads the client's main queue so error events
//! (authentication failures) reach the client context, and handing over OAUTHBEARER tokens.
//!
//! Rules kept here (spec section 5): each call gets a private queue; every librdkafka object
//! is owned by an RAII wrapper whose `Drop` frees it; inputs are copied by librdkafka and
//! freed by us; results belong to the event and are copied into Rust values before the event
//! is destroyed. Every call goes through the one generic `call::call`. Functions here block:
//! callers run them on a blocking thread.
//!
//! - `call`: the generic admin call; `failure`: why a call produced no result.
//! - `handles`: RAII wrappers of librdkafka objects, copies out of C memory.
//! - `acls`, `topics`: the calls, with their inputs and result readers.
//! - `pump`: the main-queue pump.
//! - `oauth`: the SASL/OAUTHBEARER token hand-over.

mod acls;
mod call;
mod failure;
mod handles;
mod oauth;
mod pump;
mod topics;

pub(crate) use acls::{cluster_authorized_operations, create_acls, delete_acls, describe_acls};
pub(crate) use failure::CallFailure;
pub(crate) use oauth::set_oauth_token;
pub(crate) use pump::MainQueuePump;
pub(crate) use topics::{
    create_topics, delete_topics, describe_topic_configs, describe_topics_with,
    incremental_alter_topic_configs, DescribedTopic,
};
