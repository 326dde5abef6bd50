# Everything MirrorMaker 2 needs to replicate primary -> dr: ACLs on both clusters for
# replication, heartbeats, checkpoints, offset syncs and config/ACL sync, plus its
# compacted internal topics.
resource "kafkamirror_mm2_replication_permissions" "primary_to_dr" {
  source_cluster = "primary"
  target_cluster = "dr"
  principal      = "User:mm2"

  topics         = ["orders", "payments"]
  topic_prefixes = ["billing."]
  groups         = ["orders-app"]

  sync_group_offsets                 = true
  internal_topics_replication_factor = 3
}

# Why each ACL exists, one line per binding, as the plan shows it: the key reads
# "<cluster> <principal> <permission> <operation> <resource type> <pattern type> <name>",
# the value is the reason. For one object per binding, read the data source.
output "mm2_acls" {
  value = [
    for binding, reason in kafkamirror_mm2_replication_permissions.primary_to_dr.acls :
    "${binding} (${reason})"
  ]
}
