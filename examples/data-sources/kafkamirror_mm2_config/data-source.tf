# Dedicated mode: the permissions of every flow come from the properties file MM2 runs with
# (usually `properties = file("${path.module}/mm2.properties")`). In a properties file a
# backslash is itself escaped: `orders\\..*` is MM2's regex `orders\..*`.
data "kafkamirror_mm2_config" "dedicated" {
  properties = <<-EOT
    clusters = primary, dr
    primary.bootstrap.servers = primary-kafka:9092
    dr.bootstrap.servers = dr-kafka:9092
    primary->dr.enabled = true
    primary->dr.topics = orders\\..*, payments
    groups = checkout-.*
  EOT
}

# One resource per enabled flow; the MM2 aliases are the provider's cluster keys here.
resource "kafkamirror_mm2_replication_permissions" "dedicated" {
  for_each = data.kafkamirror_mm2_config.dedicated.flows

  source_cluster                     = each.value.source_alias
  target_cluster                     = each.value.target_alias
  principal                          = "User:mm2"
  source_alias                       = each.value.source_alias
  target_alias                       = each.value.target_alias
  topics                             = each.value.topics
  topic_prefixes                     = each.value.topic_prefixes
  groups                             = each.value.groups
  group_prefixes                     = each.value.group_prefixes
  replication_policy                 = each.value.replication_policy
  replication_policy_separator       = each.value.replication_policy_separator
  emit_heartbeats                    = each.value.emit_heartbeats
  replicate_heartbeats               = each.value.replicate_heartbeats
  emit_checkpoints                   = each.value.emit_checkpoints
  emit_offset_syncs                  = each.value.emit_offset_syncs
  offset_syncs_topic_location        = each.value.offset_syncs_topic_location
  sync_topic_configs                 = each.value.sync_topic_configs
  sync_topic_acls                    = each.value.sync_topic_acls
  sync_group_offsets                 = each.value.sync_group_offsets
  exactly_once                       = each.value.exactly_once
  internal_topics_replication_factor = each.value.internal_topics_replication_factor
  remote_topics_replication_factor   = each.value.remote_topics_replication_factor
  deployment                         = each.value.deployment
}

# Strimzi: the KafkaMirrorMaker2 resource (YAML or JSON), usually
# `strimzi = file("${path.module}/kafka-mirror-maker-2.yaml")`; aliases mapped to cluster keys.
data "kafkamirror_mm2_config" "strimzi" {
  strimzi = yamlencode({
    apiVersion = "kafka.strimzi.io/v1beta2"
    kind       = "KafkaMirrorMaker2"
    metadata   = { name = "mm2" }
    spec = {
      version        = "3.9.0"
      replicas       = 1
      connectCluster = "cluster-b"
      clusters = [
        { alias = "cluster-a", bootstrapServers = "cluster-a-kafka-bootstrap:9092" },
        { alias = "cluster-b", bootstrapServers = "cluster-b-kafka-bootstrap:9092" },
      ]
      mirrors = [{
        sourceCluster       = "cluster-a"
        targetCluster       = "cluster-b"
        topicsPattern       = "orders\\..*, payments"
        groupsPattern       = "checkout-.*"
        sourceConnector     = { config = { "replication.factor" = 2 } }
        checkpointConnector = { config = { "sync.group.offsets.enabled" = true } }
      }]
    }
  })
}

locals {
  cluster_keys = { "cluster-a" = "primary", "cluster-b" = "dr" }
}

resource "kafkamirror_mm2_replication_permissions" "strimzi" {
  for_each = data.kafkamirror_mm2_config.strimzi.flows

  source_cluster                     = local.cluster_keys[each.value.source_alias]
  target_cluster                     = local.cluster_keys[each.value.target_alias]
  principal                          = "User:mm2"
  source_alias                       = each.value.source_alias
  target_alias                       = each.value.target_alias
  topics                             = each.value.topics
  topic_prefixes                     = each.value.topic_prefixes
  groups                             = each.value.groups
  group_prefixes                     = each.value.group_prefixes
  replication_policy                 = each.value.replication_policy
  replication_policy_separator       = each.value.replication_policy_separator
  emit_heartbeats                    = each.value.emit_heartbeats
  replicate_heartbeats               = each.value.replicate_heartbeats
  emit_checkpoints                   = each.value.emit_checkpoints
  emit_offset_syncs                  = each.value.emit_offset_syncs
  offset_syncs_topic_location        = each.value.offset_syncs_topic_location
  sync_topic_configs                 = each.value.sync_topic_configs
  sync_topic_acls                    = each.value.sync_topic_acls
  sync_group_offsets                 = each.value.sync_group_offsets
  exactly_once                       = each.value.exactly_once
  internal_topics_replication_factor = each.value.internal_topics_replication_factor
  remote_topics_replication_factor   = each.value.remote_topics_replication_factor
  deployment                         = each.value.deployment
  connect_group_id                   = each.value.connect_group_id
  connect_config_topic               = each.value.connect_config_topic
  connect_offset_topic               = each.value.connect_offset_topic
  connect_status_topic               = each.value.connect_status_topic
}

# What the ACLs allow beyond MM2's filters, per flow.
output "mm2_config_warnings" {
  value = merge(
    data.kafkamirror_mm2_config.dedicated.warnings,
    data.kafkamirror_mm2_config.strimzi.warnings,
  )
}
