terraform {
  required_providers {
    kafkamirror = {
      source = "kafkamirror/kafkamirror"
    }
  }
}

variable "confluent_api_secret" {
  type      = string
  sensitive = true
}

variable "msk_scram_password" {
  type      = string
  sensitive = true
}

variable "aiven_service_key" {
  type        = string
  sensitive   = true
  description = "PEM private key of the Aiven service's access certificate (service.key)."
}

variable "aiven_ca_pem" {
  type        = string
  description = "PEM of the Aiven project CA (ca.pem), e.g. file(\"ca.pem\")."
}

variable "aiven_service_cert" {
  type        = string
  description = "PEM of the Aiven service's access certificate (service.cert)."
}

variable "strimzi_cluster_ca_pem" {
  type        = string
  description = "PEM of the Strimzi cluster CA (the <cluster>-cluster-ca-cert secret's ca.crt)."
}

variable "strimzi_user_cert" {
  type        = string
  description = "PEM of the KafkaUser's certificate (its secret's user.crt)."
}

variable "keycloak_client_secret" {
  type      = string
  sensitive = true
}

# One `cluster` block per Kafka cluster a resource may reach; resources name them by key.
# Credentials may also come from environment variables (KAFKAMIRROR_<KEY>_SASL_PASSWORD,
# ..._OAUTH_CLIENT_SECRET, ..._TLS_CLIENT_KEY, ...) when left out here, e.g. as sensitive
# workspace variables in Terraform Cloud.
provider "kafkamirror" {
  # Confluent Cloud with an API key: SASL/PLAIN over TLS, brokers' certificates from the
  # system trust store (an empty tls block).
  cluster "primary" {
    bootstrap_servers = ["pkc-abc12.eu-west-1.aws.confluent.cloud:9092"]
    tls {}
    sasl {
      mechanism = "PLAIN"
      username  = "ABCDEFGHIJKLMNOP" # the API key
      password  = var.confluent_api_secret
    }
  }

  # Amazon MSK with SCRAM over TLS (port 9096).
  cluster "dr" {
    bootstrap_servers = ["b-1.dr.abc123.c2.kafka.eu-central-1.amazonaws.com:9096"]
    tls {}
    sasl {
      mechanism = "SCRAM-SHA-512"
      username  = "terraform"
      password  = var.msk_scram_password
    }
    timeout_seconds = 30
  }

  # Confluent Cloud with OAuth: tokens from your identity provider, the logical cluster and
  # identity pool as SASL extensions. The client secret is read from
  # KAFKAMIRROR_CONFLUENT_OAUTH_OAUTH_CLIENT_SECRET.
  cluster "confluent_oauth" {
    bootstrap_servers = ["pkc-abc12.eu-west-1.aws.confluent.cloud:9092"]
    tls {}
    sasl {
      mechanism = "OAUTHBEARER"
      oauth {
        token_endpoint_url = "https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000/oauth2/v2.0/token"
        client_id          = "11111111-1111-1111-1111-111111111111"
        scope              = "api://kafka/.default"
        extensions = {
          logicalCluster = "lkc-abc123"
          identityPoolId = "pool-AbCd"
        }
      }
    }
  }

  # Aiven with mutual TLS: the project CA and the service's access certificate and key.
  cluster "aiven" {
    bootstrap_servers = ["kafka-abc-project.aivencloud.com:12345"]
    tls {
      ca_cert     = var.aiven_ca_pem
      client_cert = var.aiven_service_cert
      client_key  = var.aiven_service_key
    }
  }

  # Strimzi, `tls` listener with `authentication.type: tls`: the KafkaUser's certificate
  # (its secret's user.crt and user.key); Strimzi names the principal `User:CN=<user>`.
  cluster "strimzi_mtls" {
    bootstrap_servers = ["my-cluster-kafka-bootstrap.kafka.example.com:9093"]
    tls {
      ca_cert     = var.strimzi_cluster_ca_pem
      client_cert = var.strimzi_user_cert
      # client_key from KAFKAMIRROR_STRIMZI_MTLS_TLS_CLIENT_KEY
    }
    principal = "User:CN=terraform"
  }

  # Strimzi, listener with `authentication.type: scram-sha-512`.
  cluster "strimzi_scram" {
    bootstrap_servers = ["my-cluster-kafka-bootstrap.kafka.example.com:9094"]
    tls {
      ca_cert = var.strimzi_cluster_ca_pem
    }
    sasl {
      mechanism = "SCRAM-SHA-512"
      username  = "terraform"
      # password from KAFKAMIRROR_STRIMZI_SCRAM_SASL_PASSWORD
    }
  }

  # Strimzi with Keycloak (`authentication.type: oauth`). Strimzi names the principal by
  # its `userNameClaim`; when that is not `sub`, say which principal it is.
  cluster "strimzi_oauth" {
    bootstrap_servers = ["my-cluster-kafka-bootstrap.kafka.example.com:9095"]
    tls {
      ca_cert = var.strimzi_cluster_ca_pem
    }
    sasl {
      mechanism = "OAUTHBEARER"
      oauth {
        token_endpoint_url = "https://keycloak.example.com/realms/kafka/protocol/openid-connect/token"
        client_id          = "terraform"
        client_secret      = var.keycloak_client_secret
      }
    }
    principal = "User:service-account-terraform"
  }
}
