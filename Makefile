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

# Drives a realistic mix of applications through the running `make dev` (DEMO_URL overrides).
demo: $(VENV)/.installed
	$(PY) -m localcloud.demo

test: layer
	$(PY) -m pytest -n 2 --dist loadgroup

test-fast: $(VENV)/.installed
	$(PY) -m pytest tests/unit

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check shared functions
	$(VENV)/bin/mypy shared functions localcloud infra

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
