# Two commands on a fresh machine (Python 3.11, Node, make): `make dev` and `make test`.
# Everything else is installed here, into .venv, from the lock file.

PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
CDK_CLI := aws-cdk@2.1148.1
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20

.PHONY: dev demo test test-fast lint synth deploy layer clean install

$(VENV)/.installed: pyproject.toml uv.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check uv==0.13.8
	$(UV) sync --locked --quiet
	touch $@

install: $(VENV)/.installed

layer: $(VENV)/.installed
	$(PY) scripts/build_layer.py

dev: layer
	$(PY) -m localcloud

# Drives a realistic mix of applications through the running `make dev` (PORT or DEMO_URL overrides).
demo: $(VENV)/.installed
	$(PY) -m localcloud.demo

# Line coverage of shared/ and functions/ (settings in pyproject.toml), the local cloud's Lambda
# workers included; the floor sits a little under the measured figure, so a change that leaves
# code untested fails here.
# Measured: 94.9% (shared 94.3%, functions 97.1%); before the restructure 84.7%, workers not measured then.
COVERAGE_FLOOR := 94
test: layer
	$(PY) -m pytest -n 2 --dist loadgroup --cov --cov-report=term:skip-covered --cov-fail-under=$(COVERAGE_FLOOR)

test-fast: $(VENV)/.installed
	$(PY) -m pytest tests/unit

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check shared functions
	$(VENV)/bin/mypy shared functions localcloud infra scripts bench tests
	$(VENV)/bin/lint-imports

# The template, checked by cdk-nag (an open finding fails it); prints the rule packs that ran and how
# many findings are acknowledged, counted from the app's acknowledgements (infra/components/nag.py).
synth: layer
	CDK_OUTDIR=cdk.out $(PY) infra/app.py
	@echo "template: cdk.out/TaxCabinetStack.template.json"

# Deploy to the AWS account of the current credentials. Context (see README):
#   make deploy CONTEXT='-c idp_issuer=... -c idp_jwks_url=... -c fns_base_url=... -c partner_account_ids=111122223333'
deploy: layer
	npx --yes $(CDK_CLI) bootstrap $(CONTEXT)
	npx --yes $(CDK_CLI) deploy --require-approval broadening $(CONTEXT)

clean:
	rm -rf .build cdk.out .local

# Fuzzing (tests/suites/test_fuzz.py): schemathesis against docs/openapi.json and a local cloud of its
# own, every operation, with a citizen's and an operator's tokens; prints the tally. `make test` runs
# the quick form (3 examples per operation and mode, deterministic). FUZZ_EXAMPLES=... overrides;
# FUZZ_BASE_URL=http://127.0.0.1:3000 fuzzes a running `make dev` instead.
.PHONY: suite-fuzz suite-browser
suite-fuzz: layer
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-100} FUZZ_RANDOM=1 $(PY) -m pytest tests/suites/test_fuzz.py -n 0; \
	status=$$?; $(PY) -m tests.suites.fuzz_support; exit $$status

# Swagger UI on the local cloud in headless Chromium (Debian's chromium: installed when missing, as root).
suite-browser: layer
	$(PY) -m pytest tests/e2e/test_swagger.py -n 0 -s

# Operator tools (docs/runbook.md): against AWS with the current credentials, or LOCAL=1 for `make dev`.
#   make redrive QUEUE=intake-dlq ARGS=--dry-run      make execution ID=<application id>
#   make republish ARGS='--from-failures --dry-run'
.PHONY: redrive execution republish
redrive: $(VENV)/.installed
	@test -n "$(QUEUE)" || { echo "usage: make redrive QUEUE=<dead-letter queue> [ARGS='--dry-run ...'] [LOCAL=1]"; exit 2; }
	$(PY) -m scripts.redrive $(QUEUE) $(if $(LOCAL),--local) $(ARGS)

execution: $(VENV)/.installed
	@test -n "$(ID)" || { echo "usage: make execution ID=<application id> [ARGS='--json'] [LOCAL=1]"; exit 2; }
	$(PY) -m scripts.execution $(ID) $(if $(LOCAL),--local) $(ARGS)

republish: $(VENV)/.installed
	@test -n "$(ARGS)" || { echo "usage: make republish ARGS='--from-failures [--dry-run] | <application id> ... | --since T [--until T]' [LOCAL=1]"; exit 2; }
	$(PY) -m scripts.republish $(if $(LOCAL),--local) $(ARGS)

# Reliability and security suites (tests/suites/, against the e2e tests' local cloud), full size;
# `make test` runs their quick forms. Figures are printed (-s).
#   delivery: 1,000 partner messages, each delivered twice, 10% malformed (SUITE_SENDERS=4 senders)
#   faults:   200 applications while the FNS simulator fails 30% of calls, 200 ms late
#   access:   every route of infra/routes.py: no token 401, another citizen's ids 404, operators only 403
.PHONY: suite-delivery suite-faults suite-access
suite-delivery: layer
	SUITE_SCALE=full $(PY) -m pytest tests/suites/test_delivery.py -n 0 -s

suite-faults: layer
	SUITE_SCALE=full $(PY) -m pytest tests/suites/test_fns_faults.py -n 0 -s

suite-access: layer
	SUITE_SCALE=full $(PY) -m pytest tests/suites/test_access.py -n 0 -s

# Cold imports, the automated path's latency, 1,000 partner applications against their moto-only
# floor, AWS calls and list price per application: bench/results.json and a table (bench/README.md).
# BENCH_ARGS passes options, e.g. BENCH_ARGS=--quick or BENCH_ARGS='--parts imports'.
.PHONY: bench
bench: layer
	$(PY) -m bench $(BENCH_ARGS)
