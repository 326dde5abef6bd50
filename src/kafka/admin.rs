//! [`KafkaAdmin`]: a connected admin client for one cluster and its safe async API.
//!
//! Each call is one batched Kafka request (many bindings, filters or topics per request),
//! runs on a blocking thread (librdkafka waits block), and turns librdkafka's outcome into
//! typed errors: a whole request Kafka refused becomes a [`KafkaError`], a refused item an
//! `Err(BrokerError)` in the per-item results.
//!
//! - `acls`, `topics`: the ACL and topic calls (more `impl KafkaAdmin` blocks).
//! - `client`: the librdkafka client's configuration and context.
//! - `outcome`: how whole-request failures and per-item results become [`KafkaError`]s.

mod acls;
mod client;
mod outcome;
mod topics;

use std::sync::Arc;
use std::time::Duration;

use rdkafka::client::Client;
use rdkafka::types::RDKafkaType;

use super::config::ClusterConnection;
use super::error::KafkaError;
use super::ffi::{CallFailure, MainQueuePump};
use client::{AdminContext, Shared};
// The claims log (`super::claims`) builds its producer and consumer from the same settings.
pub(super) use client::{client_config, redact};
use outcome::AdminCall;

/// A connected admin client for one cluster.
pub struct KafkaAdmin {
    // Declared first so it stops (and drops its client handle) before the client goes.
    _pump: MainQueuePump,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for KafkaAdmin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KafkaAdmin")
            .field("alias", &self.shared.alias)
            .field("bootstrap_servers", &self.shared.bootstrap_servers)
            .finish_non_exhaustive()
    }
}

/// Most bindings [`KafkaAdmin::describe_acls_of_principals`] expects in one DescribeAcls
/// answer before it splits the request: a quarter of the ~200 000 at which librdkafka 2.12.1's
/// answer parser overflowed its thread stack here.
pub const DESCRIBE_ANSWER_LIMIT: usize = 50_000;

impl KafkaAdmin {
    /// Builds the client and checks, within the connection's timeout, that a broker answers
    /// a Metadata request with these credentials.
    pub async fn connect(connection: &ClusterConnection) -> Result<KafkaAdmin, KafkaError> {
        let invalid = |message: String| KafkaError::InvalidSettings {
            alias: connection.alias.clone(),
            message: redact(&message, connection),
        };
        if connection.bootstrap_servers.is_empty() {
            return Err(invalid("bootstrap_servers is empty".to_string()));
        }
        let config = client_config(connection);
        let native_config = config
            .create_native_config()
            .map_err(|e| invalid(e.to_string()))?;
        let client = Client::new(
            &config,
            native_config,
            RDKafkaType::RD_KAFKA_PRODUCER,
            AdminContext::default(),
        )
        .map_err(|e| invalid(e.to_string()))?;
        let client = Arc::new(client);
        let pump = MainQueuePump::start(client.clone()).map_err(|e| invalid(e.to_string()))?;
        let admin = KafkaAdmin {
            _pump: pump,
            shared: Arc::new(Shared {
                client,
                alias: connection.alias.clone(),
                bootstrap_servers: connection.bootstrap_servers.clone(),
                timeout: connection.timeout,
            }),
        };
        admin.metadata().await?;
        Ok(admin)
    }

    /// The provider's name for this cluster.
    pub fn alias(&self) -> &str {
        &self.shared.alias
    }

    /// Runs one blocking ffi call (see [`Self::spawn`]) and types its failure.
    async fn run<T, F>(&self, call: AdminCall, work: F) -> Result<T, KafkaError>
    where
        T: Send + 'static,
        F: FnOnce(
                &Client<AdminContext>,
                Duration,
                &dyn Fn() -> Option<String>,
            ) -> Result<T, CallFailure>
            + Send
            + 'static,
    {
        self.run_for_topics(call, &[], work).await
    }

    /// [`Self::run`] for a topic call, whose authorization errors name the topics.
    async fn run_for_topics<T, F>(
        &self,
        call: AdminCall,
        topics: &[String],
        work: F,
    ) -> Result<T, KafkaError>
    where
        T: Send + 'static,
        F: FnOnce(
                &Client<AdminContext>,
                Duration,
                &dyn Fn() -> Option<String>,
            ) -> Result<T, CallFailure>
            + Send
            + 'static,
    {
        join(self.spawn(work))
            .await
            .map_err(|failure| self.shared.whole_failure(call, failure, topics))
    }

    /// Starts a blocking ffi call on a blocking thread; it aborts once the client reports an
    /// authentication failure.
    fn spawn<T, F>(&self, work: F) -> tokio::task::JoinHandle<Result<T, CallFailure>>
    where
        T: Send + 'static,
        F: FnOnce(
                &Client<AdminContext>,
                Duration,
                &dyn Fn() -> Option<String>,
            ) -> Result<T, CallFailure>
            + Send
            + 'static,
    {
        let shared = self.shared.clone();
        tokio::task::spawn_blocking(move || {
            let context = shared.client.context().clone();
            let abort = move || context.authentication_failure();
            work(&shared.client, shared.timeout, &abort)
        })
    }
}

/// Waits for a blocking call; a panic in it is re-raised here.
async fn join<T>(task: tokio::task::JoinHandle<Result<T, CallFailure>>) -> Result<T, CallFailure> {
    match task.await {
        Ok(result) => result,
        Err(error) => std::panic::resume_unwind(error.into_panic()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kafka::acl_filter::AclFilter;

    fn assert_send<T: Send>(_: &T) {}

    /// The provider's gRPC handlers hold the client across awaits on a multi-thread runtime.
    #[test]
    fn the_client_and_its_futures_can_cross_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<KafkaAdmin>();
        fn futures_are_send(admin: &KafkaAdmin) {
            assert_send(&admin.create_acls(&[]));
            assert_send(&admin.describe_acls(&AclFilter::any()));
            assert_send(&admin.describe_acls_of_principals(&[], None));
            assert_send(&admin.delete_acls(&[]));
            assert_send(&admin.list_topics());
            assert_send(&admin.describe_topics(&[]));
            assert_send(&admin.describe_topic_configs(&[]));
            assert_send(&admin.create_topics(&[], false));
            assert_send(&admin.alter_topic_configs(&[]));
        }
        let _ = futures_are_send;
    }
}
