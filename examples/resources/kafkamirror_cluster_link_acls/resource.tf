# ACLs for a Confluent cluster link onprem -> cloud: the link credential's on the source,
# the destination brokers' for consumer offset migration, and the operators'.
resource "kafkamirror_cluster_link_acls" "onprem_to_cloud" {
  source_cluster      = "primary"
  destination_cluster = "dr"
  link_mode           = "destination_initiated"

  link_principal               = "User:link"
  destination_broker_principal = "User:kafka"
  operator_principal           = "User:platform-ops"

  topics         = ["orders"]
  topic_prefixes = ["billing."]

  consumer_offset_sync = true
  groups               = ["orders-app"]
}
