# Compute MM2's ACLs without touching any cluster, and apply them with another provider.
data "kafkamirror_mm2_replication_permissions" "primary_to_dr" {
  source_cluster = "primary"
  target_cluster = "dr"
  principal      = "User:mm2"
  topics         = ["orders", "payments"]
}

output "mm2_acls_by_cluster" {
  value = {
    for acl in data.kafkamirror_mm2_replication_permissions.primary_to_dr.acls :
    "${acl.cluster}/${acl.resource_type}/${acl.pattern_type}/${acl.resource_name}/${acl.operation}" => acl.reason
  }
}
