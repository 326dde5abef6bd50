#!/usr/bin/env bash
# `make demo`: start two local Kafka test brokers (SASL/SCRAM, authorizer on, an admin super user),
# then run real Terraform on the MM2 example against them: plan (printed), apply, and a second
# plan that must show no changes. Everything lives in a temp dir, removed at exit.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
# Where the provider and broker binaries are (make demo builds them in target/release).
provider_dir="${KAFKAMIRROR_BIN_DIR:-$root/target/release}"
broker_bin="$provider_dir/kafka-testbroker"
tf="$(command -v terraform || echo "$root/.tools/bin/terraform-1.0.3")"

work="$(mktemp -d)"
pids=()
# Stops the brokers and waits for them, so none outlives the script.
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# Starts a broker in the background of this shell, logging to $work/NAME.log. Called directly,
# never inside $(...): `pids` must be this shell's for the exit trap to stop the broker.
start_broker() { # name
  "$broker_bin" --listen 127.0.0.1:0 --nodes 3 --user admin:demo-admin-secret --super-user User:admin >"$work/$1.log" 2>&1 &
  pids+=($!)
}

broker_address() { # name -> prints the bootstrap address once the broker listens
  local log="$work/$1.log"
  for _ in $(seq 1 100); do
    if grep -q 'listening on' "$log"; then sed -n 's/.*listening on \([0-9.:]*\).*/\1/p' "$log" | head -1; return; fi
    sleep 0.1
  done
  echo "broker $1 did not start:" >&2; cat "$log" >&2; return 1
}

start_broker primary
start_broker dr
primary=$(broker_address primary)
dr=$(broker_address dr)
echo "==> test brokers: primary at $primary, dr at $dr (3 nodes each, SASL/SCRAM-SHA-512, authorizer on)"

cat >"$work/terraform.rc" <<RC
provider_installation {
  dev_overrides {
    "kafkamirror/kafkamirror" = "$provider_dir"
  }
  direct {}
}
RC
export TF_CLI_CONFIG_FILE="$work/terraform.rc" TF_IN_AUTOMATION=1

cat >"$work/providers.tf" <<TF
terraform {
  required_providers {
    kafkamirror = { source = "kafkamirror/kafkamirror" }
  }
}

provider "kafkamirror" {
  cluster "primary" {
    bootstrap_servers = ["$primary"]
    sasl {
      mechanism = "SCRAM-SHA-512"
      username  = "admin"
      password  = "demo-admin-secret"
    }
  }
  cluster "dr" {
    bootstrap_servers = ["$dr"]
    sasl {
      mechanism = "SCRAM-SHA-512"
      username  = "admin"
      password  = "demo-admin-secret"
    }
  }
}
TF
cp "$root/examples/resources/kafkamirror_mm2_replication_permissions/resource.tf" "$work/main.tf"

cd "$work"
echo "==> terraform plan ($("$tf" version | head -1))"
"$tf" plan -no-color -out=tfplan
echo "==> terraform apply"
"$tf" apply -no-color -auto-approve tfplan
echo "==> second plan (expects: No changes)"
"$tf" plan -no-color -detailed-exitcode
echo "==> demo done: the ACLs and internal topics above now exist on the two test brokers"
