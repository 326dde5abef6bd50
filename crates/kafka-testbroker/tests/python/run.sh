#!/usr/bin/env bash
# Cross-checks kafka-testbroker with kafka-python: builds the broker binary, then runs the
# conformance cases (../../conformance/cases.json) through kafka-python's admin client.
# Needs the venv from `make tools` (or set KAFKAMIRROR_PYTHON to a python with
# kafka-python 2.2.15 and pytest). Extra arguments go to pytest.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../../.." && pwd)"
python="${KAFKAMIRROR_PYTHON:-$repo/.tools/venv/bin/python}"
cd "$repo"
cargo build --quiet -p kafka-testbroker --bin kafka-testbroker
target_dir="$(cargo metadata --format-version 1 --no-deps | "$python" -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
export KAFKA_TESTBROKER_BIN="$target_dir/debug/kafka-testbroker"
export PYTHONDONTWRITEBYTECODE=1
exec "$python" -m pytest -p no:cacheprovider "$here" -q "$@"
