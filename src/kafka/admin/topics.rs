//! [`KafkaAdmin`]'s topic calls: Metadata (broker count, topic list), DescribeTopics,
//! DescribeConfigs, CreateTopics, DeleteTopics and IncrementalAlterConfigs.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use rdkafka::metadata::Metadata;

use super::outcome::AdminCall;
use super::{join, KafkaAdmin};
use crate::kafka::error::{BrokerError, KafkaError};
use crate::kafka::ffi::{self, CallFailure};
use crate::kafka::topics::{
    NewTopic, TopicConfigAlteration, TopicConfigs, TopicDescription, TopicLookup, TopicOutcomes,
};
use crate::model::acl::Operation;

/// How long one metadata attempt waits before the authentication check runs again.
const METADATA_ATTEMPT: Duration = Duration::from_millis(500);

impl KafkaAdmin {
    /// How many brokers the cluster's metadata lists (the upper bound for a replication
    /// factor), from one Metadata request.
    pub async fn broker_count(&self) -> Result<usize, KafkaError> {
        let shared = self.shared.clone();
        let task = tokio::task::spawn_blocking(move || {
            shared
                .client
                .fetch_metadata(None, shared.timeout)
                .map(|metadata| metadata.brokers().len())
                .map_err(|_| CallFailure::TimedOut)
        });
        join(task).await.map_err(|failure| match failure {
            CallFailure::TimedOut => self.shared.unreachable(),
            other => self.shared.whole_failure(AdminCall::Metadata, other, &[]),
        })
    }

    /// Every topic the principal may see, sorted by name, from one Metadata request.
    pub async fn list_topics(&self) -> Result<Vec<TopicDescription>, KafkaError> {
        let mut topics = self.metadata().await?;
        topics.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(topics)
    }

    /// Partitions and replication factor of each named topic, in the order of `names`, from
    /// one Metadata request naming exactly those topics (librdkafka's DescribeTopics), so
    /// Kafka reports each topic's own error as it does to other clients. A topic that does not
    /// exist is [`TopicLookup::Missing`]; one the principal may not DESCRIBE fails the call
    /// with [`KafkaError::AuthorizationFailed`] naming it (it may exist, so it must not be
    /// treated as missing); any other per-topic error fails it with [`KafkaError::Request`].
    pub async fn describe_topics(&self, names: &[String]) -> Result<Vec<TopicLookup>, KafkaError> {
        if names.is_empty() {
            return Ok(Vec::new());
        }
        // librdkafka refuses duplicate names; each distinct name is asked once.
        let distinct: Vec<String> = names
            .iter()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .cloned()
            .collect();
        let results = self.describe_distinct(distinct, false).await?;
        let unauthorized: Vec<String> = results
            .iter()
            .filter(|(_, outcome)| {
                matches!(outcome, Err(error) if error.name == "TOPIC_AUTHORIZATION_FAILED")
            })
            .map(|(name, _)| name.clone())
            .collect();
        let mut known = BTreeMap::new();
        for (name, outcome) in results {
            match outcome {
                Ok((description, _)) => {
                    known.insert(name, description);
                }
                Err(error) if error.name == "UNKNOWN_TOPIC_OR_PARTITION" => {}
                Err(error) if error.name == "TOPIC_AUTHORIZATION_FAILED" => {
                    return Err(self
                        .shared
                        .classify(AdminCall::Metadata, error, &unauthorized));
                }
                Err(error) => {
                    return Err(KafkaError::Request {
                        alias: self.shared.alias.clone(),
                        operation: AdminCall::Metadata.name(),
                        error: BrokerError {
                            message: format!("topic {name:?}: {}", error.message),
                            name: error.name,
                        },
                    });
                }
            }
        }
        Ok(names
            .iter()
            .map(|name| match known.get(name) {
                Some(description) => TopicLookup::Exists(description.clone()),
                None => TopicLookup::Missing { name: name.clone() },
            })
            .collect())
    }

    /// The operations the connected principal may perform on topic `name` (KIP-430, one
    /// Metadata request); `Ok(None)` when the broker does not report them. A topic that does
    /// not exist fails with [`KafkaError::Request`] naming `UNKNOWN_TOPIC_OR_PARTITION`; one
    /// the principal may not DESCRIBE with [`KafkaError::AuthorizationFailed`].
    pub async fn topic_authorized_operations(
        &self,
        name: &str,
    ) -> Result<Option<Vec<Operation>>, KafkaError> {
        let names = vec![name.to_string()];
        let results = self.describe_distinct(names.clone(), true).await?;
        match results.into_iter().next() {
            Some((_, Ok((_, operations)))) => Ok(operations),
            Some((_, Err(error))) if error.is_authorization_failure() => {
                Err(self.shared.classify(AdminCall::Metadata, error, &names))
            }
            Some((_, Err(error))) => Err(KafkaError::Request {
                alias: self.shared.alias.clone(),
                operation: AdminCall::Metadata.name(),
                error,
            }),
            None => Err(KafkaError::UnexpectedResponse {
                alias: self.shared.alias.clone(),
                operation: AdminCall::Metadata.name(),
                message: "no result for the topic".to_string(),
            }),
        }
    }

    /// One DescribeTopics call for `distinct` names (librdkafka refuses duplicates), with
    /// each topic's authorized operations when `with_operations`: per topic, in order, its
    /// description or Kafka's error for it. A timeout is the cluster being unreachable; a
    /// failure of the whole call is classified for the names asked.
    async fn describe_distinct(
        &self,
        distinct: Vec<String>,
        with_operations: bool,
    ) -> Result<TopicOutcomes<ffi::DescribedTopic>, KafkaError> {
        let input = distinct.clone();
        let results = join(self.spawn(move |client, timeout, abort| {
            ffi::describe_topics_with(client, &input, with_operations, timeout, abort)
        }))
        .await
        .map_err(|failure| match failure {
            CallFailure::TimedOut => self.shared.unreachable(),
            CallFailure::Broker(error) if error.name == "_TIMED_OUT" => self.shared.unreachable(),
            other => self
                .shared
                .whole_failure(AdminCall::Metadata, other, &distinct),
        })?;
        self.shared
            .per_topic(AdminCall::Metadata, &distinct, results)
    }

    /// Every config entry (value, source, default or not) of each topic, in one
    /// DescribeConfigs request.
    pub async fn describe_topic_configs(
        &self,
        topics: &[String],
    ) -> Result<TopicOutcomes<TopicConfigs>, KafkaError> {
        if topics.is_empty() {
            return Ok(Vec::new());
        }
        let input = topics.to_vec();
        let results = self
            .run_for_topics(
                AdminCall::DescribeConfigs,
                topics,
                move |client, timeout, abort| {
                    ffi::describe_topic_configs(client, &input, timeout, abort)
                },
            )
            .await?;
        self.shared
            .per_topic(AdminCall::DescribeConfigs, topics, results)
    }

    /// Creates the topics in one CreateTopics request. With `validate_only`, Kafka runs every
    /// check (authorization, existence, configs, placement) and creates nothing.
    pub async fn create_topics(
        &self,
        topics: &[NewTopic],
        validate_only: bool,
    ) -> Result<TopicOutcomes<()>, KafkaError> {
        if topics.is_empty() {
            return Ok(Vec::new());
        }
        let names: Vec<String> = topics.iter().map(|t| t.name.clone()).collect();
        let input = topics.to_vec();
        let results = self
            .run_for_topics(
                AdminCall::CreateTopics,
                &names,
                move |client, timeout, abort| {
                    ffi::create_topics(client, &input, validate_only, timeout, abort)
                },
            )
            .await?;
        self.shared
            .per_topic(AdminCall::CreateTopics, &names, results)
    }

    /// Deletes the named topics (and their data) in one DeleteTopics request.
    pub async fn delete_topics(&self, names: &[String]) -> Result<TopicOutcomes<()>, KafkaError> {
        if names.is_empty() {
            return Ok(Vec::new());
        }
        let input = names.to_vec();
        let results = self
            .run_for_topics(
                AdminCall::DeleteTopics,
                names,
                move |client, timeout, abort| ffi::delete_topics(client, &input, timeout, abort),
            )
            .await?;
        self.shared
            .per_topic(AdminCall::DeleteTopics, names, results)
    }

    /// Applies set/delete changes to the topics' configs in one IncrementalAlterConfigs
    /// request; keys not mentioned keep their values.
    pub async fn alter_topic_configs(
        &self,
        alterations: &[TopicConfigAlteration],
    ) -> Result<TopicOutcomes<()>, KafkaError> {
        if alterations.is_empty() {
            return Ok(Vec::new());
        }
        let names: Vec<String> = alterations.iter().map(|a| a.topic.clone()).collect();
        let input = alterations.to_vec();
        let results = self
            .run_for_topics(
                AdminCall::IncrementalAlterConfigs,
                &names,
                move |client, timeout, abort| {
                    ffi::incremental_alter_topic_configs(client, &input, timeout, abort)
                },
            )
            .await?;
        self.shared
            .per_topic(AdminCall::IncrementalAlterConfigs, &names, results)
    }

    /// All topics the principal may see, from one Metadata request, retried in short attempts
    /// until the timeout so an authentication failure ends the wait early.
    pub(super) async fn metadata(&self) -> Result<Vec<TopicDescription>, KafkaError> {
        let shared = self.shared.clone();
        let task = tokio::task::spawn_blocking(move || {
            let deadline = Instant::now() + shared.timeout;
            loop {
                let remaining = deadline.saturating_duration_since(Instant::now());
                let attempt = remaining.min(METADATA_ATTEMPT);
                let started = Instant::now();
                match shared.client.fetch_metadata(None, attempt) {
                    Ok(metadata) => return Ok(topics_from_metadata(&metadata)),
                    Err(_) => {
                        let context = shared.client.context();
                        if let Some(reason) = context.authentication_failure() {
                            return Err(CallFailure::Aborted(reason));
                        }
                        if let Some(reason) = context.tls_failure() {
                            return Err(CallFailure::Aborted(reason));
                        }
                        if remaining <= attempt {
                            return Err(CallFailure::TimedOut);
                        }
                        // An immediate failure (no broker up yet): do not spin.
                        if started.elapsed() < attempt {
                            std::thread::sleep(Duration::from_millis(100));
                        }
                    }
                }
            }
        });
        join(task).await.map_err(|failure| match failure {
            CallFailure::TimedOut => self.shared.unreachable(),
            other => self.shared.whole_failure(AdminCall::Metadata, other, &[]),
        })
    }
}

fn topics_from_metadata(metadata: &Metadata) -> Vec<TopicDescription> {
    metadata
        .topics()
        .iter()
        .filter(|topic| topic.error().is_none())
        .map(|topic| TopicDescription {
            name: topic.name().to_string(),
            partitions: topic.partitions().len(),
            replication_factor: topic
                .partitions()
                .iter()
                .map(|p| p.replicas().len())
                .max()
                .unwrap_or(0),
        })
        .collect()
}
