terraform {
  required_providers {
    kafkamirror = {
      source = "kafkamirror/kafkamirror"
    }
  }
}

variable "primary_admin_password" {
  type      = string
  sensitive = true
}

variable "dr_admin_password" {
  type      = string
  sensitive = true
}

variable "dr_ca_pem" {
  type        = string
  description = "PEM of the CA that signed the dr brokers' certificates, e.g. file(\"dr-ca.pem\")."
}

# One `cluster` block per Kafka cluster a resource may reach; resources name them by key.
provider "kafkamirror" {
  cluster "primary" {
    bootstrap_servers = ["primary-1.example.com:9092", "primary-2.example.com:9092"]
    sasl {
      mechanism = "SCRAM-SHA-512"
      username  = "admin"
      password  = var.primary_admin_password
    }
    timeout_seconds = 30
  }

  cluster "dr" {
    bootstrap_servers = ["dr-1.example.com:9093"]
    tls {
      ca_cert = var.dr_ca_pem
    }
    sasl {
      mechanism = "SCRAM-SHA-512"
      username  = "admin"
      password  = var.dr_admin_password
    }
  }
}
