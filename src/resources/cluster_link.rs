//! `kafkamirror_cluster_link_acls` (resource and data source of the same name): the schema
//! of one Confluent cluster link `source -> destination`, its decode into
//! [`ClusterLinkInputs`] and its import id. Planning is `model::plan_cluster_link`;
//! everything else is the shared engine. Cluster links have no internal topics.

use super::flow::{default_to, Flow, InputReader};
use crate::model::cluster_link::{plan_cluster_link, ClusterLinkInputs, LinkMode};
use crate::model::plan::DesiredState;
use crate::model::validate::{validate_cluster_link, ClusterLinkField, InputError};
use tfplugin::{Attr, Block, Diagnostics, Field, Object};

const SOURCE_CLUSTER: Attr<String> = Attr::required(
    "source_cluster",
    "Provider cluster key (a `cluster` block label) of the link's source cluster.",
);
const DESTINATION_CLUSTER: Attr<String> = Attr::required(
    "destination_cluster",
    "Provider cluster key of the destination cluster, where mirror topics live. Must differ \
     from `source_cluster`.",
);
const LINK_MODE: Attr<String> = Attr::optional_computed(
    "link_mode",
    "`destination_initiated` (the destination connects to the source, the default), \
     `source_initiated` (the source connects out, `connection.mode=OUTBOUND`) or \
     `bidirectional` (each cluster mirrors to the other).",
);
const LINK_PRINCIPAL: Attr<String> = Attr::required(
    "link_principal",
    "The link credential's principal on the source, `Type:name` (e.g. `User:link`; Confluent \
     Cloud ids such as `User:sa-abc123` are compared in normalised form).",
);
const DESTINATION_BROKER_PRINCIPAL: Attr<String> = Attr::optional(
    "destination_broker_principal",
    "The destination brokers' principal (e.g. `User:kafka`); required with \
     `consumer_offset_sync` or `acl_sync`.",
);
const OPERATOR_PRINCIPAL: Attr<String> = Attr::optional(
    "operator_principal",
    "Optional principal that creates links and mirror topics and promotes / fails them over \
     on the destination.",
);
const TOPICS: Attr<Vec<String>> = Attr::optional_computed(
    "topics",
    "Mirror topic names; `[\"*\"]` = all. Default `[]`; `topics` and `topic_prefixes` must not \
     both be empty.",
);
const TOPIC_PREFIXES: Attr<Vec<String>> = Attr::optional_computed(
    "topic_prefixes",
    "Prefixes of mirror topics (PREFIXED bindings). Default `[]`.",
);
const CONSUMER_OFFSET_SYNC: Attr<bool> = Attr::optional_computed(
    "consumer_offset_sync",
    "The link's `consumer.offset.sync.enable`. Default false.",
);
const GROUPS: Attr<Vec<String>> = Attr::optional_computed(
    "groups",
    "Groups whose offsets are synced; `[\"*\"]` = all. Default `[]`.",
);
const GROUP_PREFIXES: Attr<Vec<String>> = Attr::optional_computed(
    "group_prefixes",
    "Prefixes of groups whose offsets are synced. Default `[]`.",
);
const ACL_SYNC: Attr<bool> = Attr::optional_computed(
    "acl_sync",
    "The link's `acl.sync.enable`. Default false. The link itself also needs `acl.filters` \
     set to choose which ACLs it copies; this resource grants only the permissions.",
);

pub struct ClusterLinkFlow;

impl Flow for ClusterLinkFlow {
    type Inputs = ClusterLinkInputs;

    const TYPE_NAME: &'static str = "kafkamirror_cluster_link_acls";
    const RESOURCE_DESCRIPTION: &'static str =
        "Every ACL one Confluent cluster link `source -> destination` needs: the link \
         credential's on the source, the destination brokers' for consumer offset migration \
         and ACL sync, and (optionally) an operator's on the destination. Rows the spec marks \
         as not verified from a primary source say so in their reason. Same reconcile, \
         ownership and refresh behaviour as `kafkamirror_mm2_replication_permissions`. Import \
         id: `<source_cluster>:<destination_cluster>:<link_principal>`, e.g. \
         `onprem:cloud:User:link`. Every rule, verified or not: the Permissions \
         reference guide (`docs/guides/permissions-reference.md`).";
    const DATA_SOURCE_DESCRIPTION: &'static str =
        "Computes the ACLs of one cluster link without contacting any cluster (works with an \
         empty provider block).";
    const HAS_TOPICS: bool = false;
    const CLUSTER_ATTRIBUTES: &'static [&'static Attr<String>] =
        &[&SOURCE_CLUSTER, &DESTINATION_CLUSTER];
    const IMPORT_ID_FORM: &'static str = "<source_cluster>:<destination_cluster>:<link_principal>";

    fn input_attributes(block: Block) -> Block {
        block
            .attr(&SOURCE_CLUSTER)
            .attr(&DESTINATION_CLUSTER)
            .attr(&LINK_MODE)
            .attr(&LINK_PRINCIPAL)
            .attr(&DESTINATION_BROKER_PRINCIPAL)
            .attr(&OPERATOR_PRINCIPAL)
            .attr(&TOPICS)
            .attr(&TOPIC_PREFIXES)
            .attr(&CONSUMER_OFFSET_SYNC)
            .attr(&GROUPS)
            .attr(&GROUP_PREFIXES)
            .attr(&ACL_SYNC)
    }

    fn fill_defaults(object: &mut Object) {
        default_to(object, &LINK_MODE, LinkMode::default().as_str().to_string());
        for list in [&TOPICS, &TOPIC_PREFIXES, &GROUPS, &GROUP_PREFIXES] {
            default_to(object, list, Vec::new());
        }
        default_to(object, &CONSUMER_OFFSET_SYNC, false);
        default_to(object, &ACL_SYNC, false);
    }

    fn decode(object: &Object, diags: &mut Diagnostics) -> Option<Field<ClusterLinkInputs>> {
        let mut read = InputReader::new(object);
        let source_cluster = read.get(&SOURCE_CLUSTER, diags);
        let destination_cluster = read.get(&DESTINATION_CLUSTER, diags);
        let link_mode = read.parse::<LinkMode>(&LINK_MODE, diags);
        let link_principal = read.get(&LINK_PRINCIPAL, diags);
        let destination_broker_principal = read.get(&DESTINATION_BROKER_PRINCIPAL, diags);
        let operator_principal = read.get(&OPERATOR_PRINCIPAL, diags);
        let topics = read.get(&TOPICS, diags);
        let topic_prefixes = read.get(&TOPIC_PREFIXES, diags);
        let consumer_offset_sync = read.get(&CONSUMER_OFFSET_SYNC, diags);
        let groups = read.get(&GROUPS, diags);
        let group_prefixes = read.get(&GROUP_PREFIXES, diags);
        let acl_sync = read.get(&ACL_SYNC, diags);
        read.finish(|| {
            Some(ClusterLinkInputs {
                source_cluster: source_cluster?,
                destination_cluster: destination_cluster?,
                link_mode: link_mode?,
                link_principal: link_principal?,
                destination_broker_principal,
                operator_principal,
                topics: topics?,
                topic_prefixes: topic_prefixes?,
                consumer_offset_sync: consumer_offset_sync?,
                groups: groups?,
                group_prefixes: group_prefixes?,
                acl_sync: acl_sync?,
            })
        })
    }

    type Field = ClusterLinkField;
    const FIELDS: &'static [ClusterLinkField] = &ClusterLinkField::ALL;

    fn attribute(field: ClusterLinkField) -> &'static str {
        match field {
            ClusterLinkField::SourceCluster => SOURCE_CLUSTER.name,
            ClusterLinkField::DestinationCluster => DESTINATION_CLUSTER.name,
            ClusterLinkField::LinkPrincipal => LINK_PRINCIPAL.name,
            ClusterLinkField::DestinationBrokerPrincipal => DESTINATION_BROKER_PRINCIPAL.name,
            ClusterLinkField::OperatorPrincipal => OPERATOR_PRINCIPAL.name,
            ClusterLinkField::Topics => TOPICS.name,
            ClusterLinkField::TopicPrefixes => TOPIC_PREFIXES.name,
            ClusterLinkField::Groups => GROUPS.name,
            ClusterLinkField::GroupPrefixes => GROUP_PREFIXES.name,
        }
    }

    fn validate(inputs: &ClusterLinkInputs) -> Vec<InputError<ClusterLinkField>> {
        validate_cluster_link(inputs)
    }

    fn plan(inputs: &ClusterLinkInputs) -> DesiredState {
        plan_cluster_link(inputs)
    }

    fn id(inputs: &ClusterLinkInputs) -> String {
        format!(
            "{}:{}:{}",
            inputs.source_cluster, inputs.destination_cluster, inputs.link_principal
        )
    }

    fn import_inputs(source: &str, destination: &str, link_principal: &str) -> Object {
        let mut object = Object::new();
        SOURCE_CLUSTER.set(&mut object, &source.to_string());
        DESTINATION_CLUSTER.set(&mut object, &destination.to_string());
        LINK_PRINCIPAL.set(&mut object, &link_principal.to_string());
        object
    }
}
