# OAG — the two commands a new machine needs are `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

SWIFT ?= swift
RUN_PACKAGES := libcmark-dev postgresql
TEST_PACKAGES := $(RUN_PACKAGES) chromium chromium-driver tidy
VENV := .build-venv
OAG := .build/debug/oag

.PHONY: help run build test test-swift test-e2e test-security test-faults lint format bench bench-privacy bench-usage bench-gateway bench-soak system-packages test-packages clean

help:
	@echo "make run    build and serve http://127.0.0.1:8080 on the embedded database"
	@echo "make test   install what tests need and run every test"
	@echo "make test-security   page, header, cookie and log checks against the real binary"
	@echo "make test-faults  the whole fault suite (make test runs its short form)"
	@echo "make lint   check formatting (swift format)"
	@echo "make bench  every benchmark under Benchmarks/ (about 40 minutes; see Benchmarks/README.md)"
	@echo "make bench-privacy | bench-usage | bench-gateway | bench-soak   one of them"

system-packages:
	@Scripts/ensure-debian-packages.sh $(RUN_PACKAGES)

test-packages:
	@Scripts/ensure-debian-packages.sh $(TEST_PACKAGES)

build: system-packages
	$(SWIFT) build --product oag

run: build
	$(OAG) demo seed
	$(OAG) serve

test: test-packages
	$(SWIFT) build --build-tests
	$(MAKE) --no-print-directory test-swift test-e2e

# At most 16 tests at a time: every test runs its own app, pool and database, and with all ~230
# at once a 2-core machine stalled long enough for queries to miss the tests' 30 s deadline.
test-swift:
	SWT_EXPERIMENTAL_MAXIMUM_PARALLELIZATION_WIDTH=16 $(SWIFT) test --skip-build

# Browser journeys, command-line checks and the short form of the fault suite against the real `oag` binary.
test-e2e: $(VENV)/.installed
	OAG_BIN=$(abspath $(OAG)) $(VENV)/bin/python -m pytest -q -m "not slow" Tests/e2e

# Faults against the real binary: database restarts, SIGKILL, failing providers (Tests/e2e/test_faults_*.py).
test-faults: system-packages $(VENV)/.installed
	$(SWIFT) build --product oag
	OAG_BIN=$(abspath $(OAG)) $(VENV)/bin/python -m pytest -q -m faults Tests/e2e

# Included in test-e2e: every page valid HTML (tidy) with the security headers, cookie flags,
# the unknown-API-key limit; every e2e server's log is searched for the secrets its test made.
test-security: test-packages $(VENV)/.installed
	$(SWIFT) build --product oag
	OAG_BIN=$(abspath $(OAG)) $(VENV)/bin/python -m pytest -q Tests/e2e/test_security.py

$(VENV)/.installed: Tests/e2e/requirements.txt
	python3 -m venv $(VENV) || { Scripts/ensure-debian-packages.sh python3-venv && python3 -m venv $(VENV); }
	$(VENV)/bin/pip install -q --disable-pip-version-check -r Tests/e2e/requirements.txt
	touch $@

lint:
	$(SWIFT) format lint --strict --recursive Sources Tests Package.swift

format:
	$(SWIFT) format --in-place --recursive Sources Tests Package.swift

bench: bench-privacy bench-usage bench-gateway bench-soak

bench-privacy: system-packages
	bash Benchmarks/privacy-page.sh

bench-usage: system-packages
	bash Benchmarks/usage/run.sh

bench-gateway: system-packages
	bash Benchmarks/gateway/run.sh

bench-soak: system-packages
	bash Benchmarks/soak/run.sh

clean:
	rm -rf .build $(VENV)
