# Adopt an existing MM2 flow: <source_cluster>:<target_cluster>:<principal>.
# After import, set the other arguments in configuration; the next plan shows only real differences.
terraform import kafkamirror_mm2_replication_permissions.primary_to_dr primary:dr:User:mm2
