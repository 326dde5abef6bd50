# Active-active disaster recovery: one MirrorMaker 2 deployment (principal User:mm2)
# replicates east -> west and west -> east. One resource per flow; the bindings and internal
# topics both flows need (heartbeats, the reverse herders' groups and internal topics) are
# shared through each cluster's claims record, so either flow can be removed on its own.
terraform {
  required_providers {
    kafkamirror = {
      source = "kafkamirror/kafkamirror"
    }
  }
}

variable "east_admin_password" {
  type      = string
  sensitive = true
}

variable "west_admin_password" {
  type      = string
  sensitive = true
}

provider "kafkamirror" {
  # Claims live in `_kafkamirror-claims` on each cluster (the default `claims_topic`); the
  # admin user needs CREATE, READ, WRITE and DESCRIBE on it.
  cluster "east" {
    bootstrap_servers = ["east-1.example.com:9092", "east-2.example.com:9092"]
    sasl {
      mechanism = "SCRAM-SHA-512"
      username  = "admin"
      password  = var.east_admin_password
    }
  }

  cluster "west" {
    bootstrap_servers = ["west-1.example.com:9092", "west-2.example.com:9092"]
    sasl {
      mechanism = "SCRAM-SHA-512"
      username  = "admin"
      password  = var.west_admin_password
    }
  }
}

locals {
  replicated_topics = ["orders", "payments"]
  replicated_groups = ["orders-app"]
}

resource "kafkamirror_mm2_replication_permissions" "east_to_west" {
  source_cluster = "east"
  target_cluster = "west"
  principal      = "User:mm2"
  topics         = local.replicated_topics
  groups         = local.replicated_groups

  internal_topics_replication_factor = 3
}

resource "kafkamirror_mm2_replication_permissions" "west_to_east" {
  source_cluster = "west"
  target_cluster = "east"
  principal      = "User:mm2"
  topics         = local.replicated_topics
  groups         = local.replicated_groups

  internal_topics_replication_factor = 3
}

# How many bindings each flow needs on each cluster (shared ones count for both); an `acls`
# key starts with its cluster.
output "bindings_per_cluster" {
  value = {
    for name, flow in {
      east_to_west = kafkamirror_mm2_replication_permissions.east_to_west
      west_to_east = kafkamirror_mm2_replication_permissions.west_to_east
      } : name => {
      for cluster in ["east", "west"] :
      cluster => length([for key, reason in flow.acls : key if split(" ", key)[0] == cluster])
    }
  }
}
