# Compute a cluster link's ACLs without touching any cluster.
data "kafkamirror_cluster_link_acls" "onprem_to_cloud" {
  source_cluster      = "primary"
  destination_cluster = "dr"
  link_principal      = "User:link"
  topics              = ["orders"]
}

output "link_acls" {
  value = data.kafkamirror_cluster_link_acls.onprem_to_cloud.acls
}
