//! How librdkafka's outcomes become typed errors: the request that failed ([`AdminCall`],
//! with the operation Kafka's authorizer checks for it), whole-request failures, and the
//! checks of per-item results (a request every item of which was refused is refused as a
//! whole).

use std::collections::BTreeSet;

use super::client::Shared;
use crate::kafka::error::{BrokerError, KafkaError};
use crate::kafka::ffi::CallFailure;
use crate::kafka::topics::TopicOutcomes;
use crate::model::acl::CLUSTER_RESOURCE_NAME;

/// The admin requests this layer sends, with what Kafka's authorizer checks for each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum AdminCall {
    Metadata,
    CreateAcls,
    DescribeAcls,
    DeleteAcls,
    CreateTopics,
    DeleteTopics,
    DescribeConfigs,
    IncrementalAlterConfigs,
}

impl AdminCall {
    pub(super) fn name(self) -> &'static str {
        match self {
            AdminCall::Metadata => "Metadata",
            AdminCall::CreateAcls => "CreateAcls",
            AdminCall::DescribeAcls => "DescribeAcls",
            AdminCall::DeleteAcls => "DeleteAcls",
            AdminCall::CreateTopics => "CreateTopics",
            AdminCall::DeleteTopics => "DeleteTopics",
            AdminCall::DescribeConfigs => "DescribeConfigs",
            AdminCall::IncrementalAlterConfigs => "IncrementalAlterConfigs",
        }
    }

    /// The ACL operation Kafka requires for this request (spec section 4).
    fn required_operation(self) -> &'static str {
        match self {
            AdminCall::Metadata | AdminCall::DescribeAcls => "DESCRIBE",
            AdminCall::CreateAcls | AdminCall::DeleteAcls => "ALTER",
            AdminCall::CreateTopics => "CREATE",
            AdminCall::DeleteTopics => "DELETE",
            AdminCall::DescribeConfigs => "DESCRIBE_CONFIGS",
            AdminCall::IncrementalAlterConfigs => "ALTER_CONFIGS",
        }
    }
}

impl Shared {
    /// Checks a per-item result list: one result per item sent, and a request Kafka refused
    /// as a whole (every item failing for lack of authorization or an authorizer) becomes a
    /// whole-call error.
    pub(super) fn per_item<T>(
        &self,
        call: AdminCall,
        sent: usize,
        results: Vec<Result<T, BrokerError>>,
    ) -> Result<Vec<Result<T, BrokerError>>, KafkaError> {
        if results.len() != sent {
            return Err(KafkaError::UnexpectedResponse {
                alias: self.alias.clone(),
                operation: call.name(),
                message: format!("{} results for {sent} items", results.len()),
            });
        }
        if let Some(error) = refused_as_a_whole(results.iter()) {
            return Err(self.classify(call, error, &[]));
        }
        Ok(results)
    }

    /// [`Self::per_item`] for named topic results (one per distinct topic name).
    pub(super) fn per_topic<T>(
        &self,
        call: AdminCall,
        topics: &[String],
        results: TopicOutcomes<T>,
    ) -> Result<TopicOutcomes<T>, KafkaError> {
        // Kafka answers once per distinct name (a duplicate gets INVALID_REQUEST).
        let distinct: BTreeSet<&String> = topics.iter().collect();
        if results.len() != distinct.len() {
            return Err(KafkaError::UnexpectedResponse {
                alias: self.alias.clone(),
                operation: call.name(),
                message: format!("{} results for {} topics", results.len(), distinct.len()),
            });
        }
        if let Some(error) = refused_as_a_whole(results.iter().map(|(_, r)| r)) {
            return Err(self.classify(call, error, topics));
        }
        Ok(results)
    }

    /// No broker answered within the timeout: names the servers and the last transport error.
    pub(super) fn unreachable(&self) -> KafkaError {
        KafkaError::Unreachable {
            alias: self.alias.clone(),
            bootstrap_servers: self.bootstrap_servers.clone(),
            timeout: self.timeout,
            last_error: self.client.context().last_error(),
        }
    }

    pub(super) fn whole_failure(
        &self,
        call: AdminCall,
        failure: CallFailure,
        topics: &[String],
    ) -> KafkaError {
        let alias = self.alias.clone();
        match failure {
            CallFailure::TimedOut => KafkaError::Timeout {
                alias,
                operation: call.name(),
                timeout: self.timeout,
            },
            CallFailure::Aborted(message) => KafkaError::AuthenticationFailed { alias, message },
            CallFailure::InvalidInput(message) => KafkaError::InvalidInput {
                alias,
                operation: call.name(),
                message,
            },
            CallFailure::Broker(error) => self.classify(call, error, topics),
        }
    }

    /// Maps an error Kafka gave for a whole request to its typed error.
    pub(super) fn classify(
        &self,
        call: AdminCall,
        error: BrokerError,
        topics: &[String],
    ) -> KafkaError {
        let alias = self.alias.clone();
        match error.name.as_str() {
            "SECURITY_DISABLED" => KafkaError::SecurityDisabled { alias },
            "_TIMED_OUT" => KafkaError::Timeout {
                alias,
                operation: call.name(),
                timeout: self.timeout,
            },
            "_AUTHENTICATION" | "SASL_AUTHENTICATION_FAILED" => KafkaError::AuthenticationFailed {
                alias,
                message: error.message,
            },
            _ if error.is_authorization_failure() => {
                let resource = if error.name == "TOPIC_AUTHORIZATION_FAILED" && !topics.is_empty() {
                    format!("TOPIC {}", topics.join(", "))
                } else {
                    format!("CLUSTER {CLUSTER_RESOURCE_NAME}")
                };
                KafkaError::AuthorizationFailed {
                    alias,
                    operation: call.required_operation().to_string(),
                    resource,
                    error_name: error.name,
                }
            }
            _ => KafkaError::Request {
                alias,
                operation: call.name(),
                error,
            },
        }
    }
}

/// The error of a request Kafka refused as a whole: every item failed with the same
/// authorization or SECURITY_DISABLED error (CreateAcls and DeleteAcls report those per item).
fn refused_as_a_whole<'a, T: 'a>(
    mut results: impl Iterator<Item = &'a Result<T, BrokerError>>,
) -> Option<BrokerError> {
    let first = match results.next()? {
        Err(error) if error.is_authorization_failure() || error.name == "SECURITY_DISABLED" => {
            error.clone()
        }
        _ => return None,
    };
    results
        .all(|r| matches!(r, Err(e) if e.name == first.name))
        .then_some(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(name: &str) -> BrokerError {
        BrokerError {
            name: name.to_string(),
            message: String::new(),
        }
    }

    #[test]
    fn a_request_is_refused_as_a_whole_only_when_every_item_has_the_same_refusal() {
        let denied: Vec<Result<(), BrokerError>> =
            vec![Err(error("CLUSTER_AUTHORIZATION_FAILED")); 2];
        assert_eq!(
            refused_as_a_whole(denied.iter()).map(|e| e.name),
            Some("CLUSTER_AUTHORIZATION_FAILED".to_string())
        );
        let mixed = [Err(error("CLUSTER_AUTHORIZATION_FAILED")), Ok(())];
        assert_eq!(refused_as_a_whole(mixed.iter()), None);
        let invalid: Vec<Result<(), BrokerError>> = vec![Err(error("INVALID_REQUEST"))];
        assert_eq!(refused_as_a_whole(invalid.iter()), None);
    }
}
