# Adopt existing cluster-link ACLs: <source_cluster>:<destination_cluster>:<link_principal>.
terraform import kafkamirror_cluster_link_acls.onprem_to_cloud primary:dr:User:link
