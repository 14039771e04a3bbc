# Two commands for a fresh machine: `make demo` and `make test`. Everything installs from the
# lock files under requirements/ (uv; SAM CLI in a virtualenv of its own).
SHELL := /bin/bash
# Any Python 3.13: pyenv's newest 3.13.x, else python3.13 on PATH (scripts/find_python313.sh), found once
# per make run; `make PYTHON313=/path/to/python3.13 ...` overrides it.
ifeq ($(origin PYTHON313),undefined)
PYTHON313 := $(shell scripts/find_python313.sh)
endif
# Expanded only in the recipes that need the interpreter, so `make clean` works without one.
require_python313 = $(if $(PYTHON313),,$(error No Python 3.13 found: install one (pyenv install 3.13, or your \
  system's python3.13 package) or run make PYTHON313=/path/to/python3.13 ...))
# uv, pinned, in a small virtualenv of its own (no global install needed).
UV := .tools/bin/uv
export AWS_DEFAULT_REGION ?= us-east-1
export SAM_CLI_TELEMETRY := 0

.PHONY: install demo test checks lint typecheck template scan checkov docs unit build benchmark clean check-config status

install: .venv/.installed .venv-sam/.installed .venv-scan/.installed

$(UV): requirements/bootstrap.txt
	python3 -m venv .tools
	.tools/bin/python -m pip install -q --disable-pip-version-check -r requirements/bootstrap.txt

.venv/.installed: requirements/dev.lock pyproject.toml | $(UV)
	$(require_python313)
	$(UV) venv -q --allow-existing --python "$(PYTHON313)" .venv
	# --compile-bytecode: where PYTHONDONTWRITEBYTECODE is set (as on these machines), every process would
	# otherwise compile boto3, botocore and moto from source (about 9 s each: a test worker, the demo).
	$(UV) pip install -q --compile-bytecode --python .venv/bin/python -r requirements/dev.lock
	# The project itself, editable (pyproject.toml): fleetops, fleetops_cli, simulator, benchmarks and demo
	# import each other by name. --no-deps: every version is the lock's.
	$(UV) pip install -q --compile-bytecode --python .venv/bin/python --no-deps -e .
	touch $@

.venv-sam/.installed: requirements/sam.lock | $(UV)
	$(require_python313)
	$(UV) venv -q --allow-existing --python "$(PYTHON313)" .venv-sam
	$(UV) pip install -q --python .venv-sam/bin/python -r requirements/sam.lock
	touch $@

# checkov pins its own boto3, click, pydantic and others: a virtualenv of its own, like SAM CLI's.
.venv-scan/.installed: requirements/scan.lock | $(UV)
	$(require_python313)
	$(UV) venv -q --allow-existing --python "$(PYTHON313)" .venv-scan
	$(UV) pip install -q --compile-bytecode --python .venv-scan/bin/python -r requirements/scan.lock
	touch $@

demo: .venv/.installed
	.venv/bin/python -m demo $(ARGS)

# The checks are independent single-process tools (mypy ~23 s cold, the template checks ~25 s): two at a time
# on the two cores, each one's output kept together; then the tests, which use both cores themselves.
test:
	$(MAKE) --no-print-directory -j2 --output-sync=target checks
	$(MAKE) --no-print-directory unit

checks: lint typecheck scan check-config docs

lint: .venv/.installed
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

typecheck: .venv/.installed
	.venv/bin/mypy

# Both templates in one cfn-lint run. `sam validate --lint` runs nothing but cfn-lint (SAM CLI's validate
# command, samcli/commands/validate/validate.py), and SAM CLI pins the same cfn-lint as requirements/dev.lock
# (tests/unit/test_template_checks.py holds them equal): running it too linted template.yaml twice (17 s).
# Without --lint it needs IAM credentials, which nothing here has; the simulated deploy runs the same
# aws-sam-translator transform on every stack it builds.
# The serverless rules (cfn-lint-serverless: log retention, tracing, destinations, redrive policies) ride on
# the same run: -a adds them to cfn-lint's own (6.4 s of CPU with or without them, where a second run costs 7 s). -a
# takes several values, so the templates come first.
template: .venv/.installed
	.venv/bin/cfn-lint template.yaml examples/ecs-on-ec2/template.yaml -a cfn_lint_serverless.rules

# A platform team's own scan of the stack: cfn-lint with the serverless rules (template) and checkov, side by side
# under -j2. Every finding must be fixed or suppressed in the resource's own Metadata with the reason
# (docs/deploy.md, "Your own scan of the stack").
scan: template checkov

# checkov on both templates in one run (about 13 s of CPU: its graph is built once). scripts/scan_templates.py
# runs it on copies without the skips and holds each finding against them: an unsuppressed finding fails, and so
# does a stale suppression (one that hides nothing: checkov alone would only say SKIPPED). checkov never calls
# out: --skip-download, BC_SKIP_MAPPING, CKV_SKIP_PACKAGE_UPDATE_CHECK and no BC_API_KEY (the script sets them).
checkov: .venv/.installed .venv-scan/.installed
	.venv/bin/python scripts/scan_templates.py --checkov .venv-scan/bin/checkov

# Configuration files for Parameter Store (or the inline parameters), checked by the functions' own parse
# code: make check-config CONFIG="config/scaling-rules.json config/verify-services.json" (default: the examples).
CONFIG ?= config/examples/scaling-rules.json config/examples/verify-services.json
check-config: .venv/.installed
	.venv/bin/python scripts/check_config.py $(CONFIG)

# The documentation site (mkdocs.yml, docs/) into site/: --strict fails on a broken link or anchor and on a
# page left out of the nav. Never with -q: MkDocs then counts no warning, and --strict passes anything.
# NO_MKDOCS_2_WARNING: Material's end-of-life banner, printed on every build.
docs: .venv/.installed
	NO_MKDOCS_2_WARNING=1 .venv/bin/mkdocs build --strict

unit: .venv/.installed
	# One worker per core (pytest-xdist): the suite's simulated days are independent processes' work.
	# worksteal: a worker that runs out takes tests from the other's queue, so a few long end-to-end days
	# do not leave one core idle at the end (12 s of the ~250 s, measured).
	.venv/bin/python -m pytest -n auto --dist worksteal

# What the deployed suite is doing now (docs/status.md), read-only, with your own AWS credentials:
# make status STACK=ecs-fleet-ops [ARGS="--json --since 6h --region eu-west-1"].
status: .venv/.installed
	$(if $(STACK),,$(error name the stack: make status STACK=<the suite's stack name>))
	.venv/bin/python -m fleetops_cli.status --stack "$(STACK)" $(ARGS)

# sam build needs python3.13 on PATH: the one found above, first.
build: .venv-sam/.installed
	$(require_python313)
	PATH="$(dir $(PYTHON313)):$$PATH" .venv-sam/bin/sam build --template template.yaml

benchmark: .venv/.installed build
	.venv/bin/python -m benchmarks

clean:
	rm -rf .tools .venv .venv-sam .venv-scan .aws-sam site .demo
