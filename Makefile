# Two commands for a fresh machine: `make demo` and `make test`. Everything installs from the
# lock files under requirements/ (uv; SAM CLI in a virtualenv of its own).
SHELL := /bin/bash
PYTHON313 ?= $(shell (pyenv prefix 3.13.0 2>/dev/null || dirname $$(dirname $$(command -v python3.13))) | head -1)/bin/python3.13
# uv, pinned, in a small virtualenv of its own (no global install needed).
UV := .tools/bin/uv
export AWS_DEFAULT_REGION ?= us-east-1
export SAM_CLI_TELEMETRY := 0

.PHONY: install demo test lint typecheck template unit build benchmark clean

install: .venv/.installed .venv-sam/.installed

$(UV): requirements/bootstrap.txt
	python3 -m venv .tools
	.tools/bin/python -m pip install -q --disable-pip-version-check -r requirements/bootstrap.txt

.venv/.installed: requirements/dev.lock | $(UV)
	$(UV) venv -q --allow-existing --python "$(PYTHON313)" .venv
	# --compile-bytecode: where PYTHONDONTWRITEBYTECODE is set (as on these machines), every process would
	# otherwise compile boto3, botocore and moto from source (about 9 s each: a test worker, the demo).
	$(UV) pip install -q --compile-bytecode --python .venv/bin/python -r requirements/dev.lock
	touch $@

.venv-sam/.installed: requirements/sam.lock | $(UV)
	$(UV) venv -q --allow-existing --python "$(PYTHON313)" .venv-sam
	$(UV) pip install -q --python .venv-sam/bin/python -r requirements/sam.lock
	touch $@

demo: .venv/.installed
	.venv/bin/python -m demo $(ARGS)

test: lint typecheck template unit

lint: .venv/.installed
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

typecheck: .venv/.installed
	.venv/bin/mypy

template: .venv/.installed .venv-sam/.installed
	.venv/bin/cfn-lint template.yaml
	.venv/bin/cfn-lint examples/ecs-on-ec2/template.yaml
	.venv-sam/bin/sam validate --lint --template template.yaml

unit: .venv/.installed
	# One worker per core (pytest-xdist): the suite's simulated days are independent processes' work.
	.venv/bin/python -m pytest -n auto

# sam build needs python3.13 on PATH (pyenv has it).
build: .venv-sam/.installed
	PATH="$(dir $(PYTHON313)):$$PATH" .venv-sam/bin/sam build --template template.yaml

benchmark: .venv/.installed build
	.venv/bin/python scripts/benchmark.py

clean:
	rm -rf .tools .venv .venv-sam .aws-sam
