//! Request handlers, one module per API family, with Apache Kafka's (KRaft, 3.9) validation
//! order, error codes and messages. Each takes the decoded request and returns the response
//! body; `forced` is an error code injected by the test hooks, answered without side
//! effects. This module holds what the families share: Kafka's topic-name rules and the
//! per-item error type.

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::TopicName;
use kafka_protocol::protocol::StrBytes;

pub(crate) mod acls;
pub(crate) mod configs;
pub(crate) mod fetch;
pub(crate) mod list_offsets;
pub(crate) mod metadata;
pub(crate) mod produce;
pub(crate) mod sasl;
pub(crate) mod topics;

/// Topic names longer than this are invalid (`Topic.MAX_NAME_LENGTH`).
const MAX_TOPIC_NAME_LENGTH: usize = 249;

fn text(s: impl Into<String>) -> StrBytes {
    StrBytes::from_string(s.into())
}

fn topic_name(s: &str) -> TopicName {
    TopicName(text(s))
}

/// An error code with Kafka's message for one item of a response.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ApiError {
    code: i16,
    message: Option<String>,
}

impl ApiError {
    fn new(error: ResponseError, message: impl Into<String>) -> Self {
        ApiError {
            code: error.code(),
            message: Some(message.into()),
        }
    }
    fn bare(code: i16) -> Self {
        ApiError {
            code,
            message: None,
        }
    }
    fn message(&self) -> Option<StrBytes> {
        self.message.clone().map(text)
    }
}

/// `Topic.validate`: the INVALID_TOPIC_EXCEPTION message for an illegal name.
pub(crate) fn validate_topic_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("Topic name is illegal, it can't be empty".into());
    }
    if name == "." || name == ".." {
        return Err("Topic name cannot be \".\" or \"..\"".into());
    }
    if name.len() > MAX_TOPIC_NAME_LENGTH {
        return Err(format!("Topic name is illegal, it can't be longer than {MAX_TOPIC_NAME_LENGTH} characters, topic name: {name}"));
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        return Err(format!(
            "Topic name \"{name}\" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'"
        ));
    }
    Ok(())
}

fn unknown_topic(name: &str) -> ApiError {
    ApiError::new(
        ResponseError::UnknownTopicOrPartition,
        format!("The topic '{name}' does not exist."),
    )
}

fn topic_authorization_failed() -> ApiError {
    ApiError::new(
        ResponseError::TopicAuthorizationFailed,
        "Authorization failed.",
    )
}

fn cluster_authorization_failed() -> ApiError {
    ApiError::new(
        ResponseError::ClusterAuthorizationFailed,
        "Cluster authorization failed.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_names_follow_kafka_rules() {
        assert!(validate_topic_name("orders.v1_x-y").is_ok());
        assert!(validate_topic_name("").is_err());
        assert!(validate_topic_name("..").is_err());
        assert!(validate_topic_name("with space").is_err());
        assert!(validate_topic_name(&"a".repeat(250)).is_err());
        assert!(validate_topic_name(&"a".repeat(249)).is_ok());
    }
}
