//! The `kafkamirror` provider: its configuration schema (named `cluster "<alias>" { }`
//! blocks), parsed into [`Clusters`], and the resources and data sources it registers.
//! Nothing connects here: resources ask [`Clusters`] for the clients they need, so one
//! cluster whose address is unknown at plan time does not affect the others.

use crate::cluster_block::{parse_clusters, Credentials, CLUSTER};
use crate::clusters::Clusters;
use crate::resources::cluster_link::ClusterLinkFlow;
use crate::resources::engine::{FlowDataSource, FlowResource};
use crate::resources::mm2::Mm2Flow;
use async_trait::async_trait;
use std::sync::Arc;
use tfplugin::{Block, DataSource, Diagnostics, Object, Provider, Resource, Schema};
use tokio_util::sync::CancellationToken;

/// The provider's local name: `provider "kafkamirror" { }`, the prefix of every type name.
pub const PROVIDER_NAME: &str = "kafkamirror";

/// The provider's full source address, as Terraform names it (used by `--debug`).
pub const PROVIDER_ADDRESS: &str = "registry.terraform.io/kafkamirror/kafkamirror";

pub struct KafkamirrorProvider;

/// A credential from the provider process's environment (see [`crate::cluster_block`]).
fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|value| !value.is_empty())
}

#[async_trait]
impl Provider for KafkamirrorProvider {
    type State = Clusters;

    fn schema(&self) -> Schema {
        Schema {
            version: 0,
            block: Block::new(
                "Grants Kafka replication flows (MirrorMaker 2, Confluent Cluster Linking) exactly \
                 the ACLs and internal topics they need. Declare one `cluster` block per Kafka \
                 cluster; resources and data sources name clusters by the block's label. Nothing \
                 connects at configuration time: a resource connects to the clusters it names.",
            )
            .block(&CLUSTER),
        }
    }

    fn validate(&self, config: &Object, diags: &mut Diagnostics) {
        parse_clusters(config, &process_env, Credentials::MaySetLater, diags);
    }

    async fn configure(
        &self,
        config: &Object,
        _cancel: &CancellationToken,
        diags: &mut Diagnostics,
    ) -> Option<Clusters> {
        let state = parse_clusters(config, &process_env, Credentials::Required, diags);
        let (ready, pending) = state.aliases();
        log::debug!("configured clusters: ready {ready:?}, pending {pending:?}");
        (!diags.has_errors()).then_some(state)
    }

    fn resources(&self) -> Vec<Arc<dyn Resource<Clusters>>> {
        vec![
            Arc::new(FlowResource::<Mm2Flow>::new()),
            Arc::new(FlowResource::<ClusterLinkFlow>::new()),
            #[cfg(feature = "test-resources")]
            Arc::new(crate::test_resources::TestNote),
        ]
    }

    fn data_sources(&self) -> Vec<Arc<dyn DataSource<Clusters>>> {
        vec![
            Arc::new(FlowDataSource::<Mm2Flow>::new()),
            Arc::new(FlowDataSource::<ClusterLinkFlow>::new()),
            Arc::new(crate::resources::mm2_config::Mm2ConfigDataSource),
        ]
    }
}
