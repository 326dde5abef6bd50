# Hub-and-spoke: two regional clusters replicate into one central cluster with one
# MirrorMaker 2 principal. Every spoke needs CLUSTER ALTER and the `heartbeats` bindings on
# the hub; the hub's claims record keeps them until the last spoke is gone. The spokes may
# also live in separate states (one per team): the claims record is on the cluster, not in
# the state.
terraform {
  required_providers {
    kafkamirror = {
      source = "kafkamirror/kafkamirror"
    }
  }
}

variable "admin_password" {
  type      = string
  sensitive = true
}

variable "spokes" {
  type        = map(list(string))
  description = "Topics each spoke cluster replicates into the hub, by cluster key."
  default = {
    east = ["orders", "payments"]
    west = ["orders", "shipments"]
  }
}

provider "kafkamirror" {
  cluster "east" {
    bootstrap_servers = ["east-1.example.com:9092"]
    sasl {
      mechanism = "SCRAM-SHA-512"
      username  = "admin"
      password  = var.admin_password
    }
  }

  cluster "west" {
    bootstrap_servers = ["west-1.example.com:9092"]
    sasl {
      mechanism = "SCRAM-SHA-512"
      username  = "admin"
      password  = var.admin_password
    }
  }

  cluster "hub" {
    bootstrap_servers = ["hub-1.example.com:9092", "hub-2.example.com:9092"]
    # The hub's claims record under a platform-owned name (default: _kafkamirror-claims).
    claims_topic = "platform.kafkamirror-claims"
    sasl {
      mechanism = "SCRAM-SHA-512"
      username  = "admin"
      password  = var.admin_password
    }
  }
}

resource "kafkamirror_mm2_replication_permissions" "spoke_to_hub" {
  for_each = var.spokes

  source_cluster = each.key
  target_cluster = "hub"
  principal      = "User:mm2"
  topics         = each.value
  groups         = ["${each.key}-consumers"]

  internal_topics_replication_factor = 3
}

# The hub bindings every spoke needs: they stay while any spoke remains.
output "hub_bindings_shared_by_all_spokes" {
  value = setintersection([
    for flow in kafkamirror_mm2_replication_permissions.spoke_to_hub :
    toset([for key, reason in flow.acls : key if split(" ", key)[0] == "hub"])
  ]...)
}
