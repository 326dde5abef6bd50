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

# One object per binding, under the keys the resource's `acls` use: what another provider's
# ACL resource takes with `for_each` (here dr's bindings, its fields renamed).
output "mm2_dr_acls_as_objects" {
  value = {
    for key, acl in data.kafkamirror_mm2_replication_permissions.primary_to_dr.acls :
    key => {
      principal     = acl.principal
      host          = acl.host
      resource_type = acl.resource_type
      resource_name = acl.resource_name
      pattern_type  = acl.pattern_type
      operation     = acl.operation
      permission    = acl.permission
    } if acl.cluster == "dr"
  }
}
