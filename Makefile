# The README's verbs. `make run` and `make test` set everything up on first use.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
UV_VERSION := 0.13.8
UV := .tools/bin/uv
VENV := .venv
# the daily run that follows the last demo export (data interval 2023-12-31 → 2024-01-01), and
# the quarterly scoring run after the office's January export (scores 2023Q4)
RUN_DATE ?= 2024-01-01
SCORING_DATE ?= 2024-01-15
SCALE ?= 1.0

export HOTLINE_DATA_DIR ?= $(CURDIR)/data

.PHONY: setup run test test-quick lint bench benchmark clean

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# --compile-bytecode: the packages' .pyc files are written once, here; without them every process
# (each dbt run, Airflow task and `hotline` step) compiles what it imports again where
# PYTHONDONTWRITEBYTECODE is set, as on these machines: 1.0 s more CPU to start dbt, 1.7 s Airflow
$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	UV_PROJECT_ENVIRONMENT=$(VENV) $(UV) sync --frozen --quiet --compile-bytecode --python $(PYTHON)
	touch $@

setup: $(VENV)/.synced

run: setup
	$(VENV)/bin/hotline generate --scale $(SCALE)
	scripts/airflow.sh dags test hotline_daily $(RUN_DATE) > $(HOTLINE_DATA_DIR)/last_run.log 2>&1 \
		|| { tail -n 40 $(HOTLINE_DATA_DIR)/last_run.log; echo "the pipeline run failed; full log: $(HOTLINE_DATA_DIR)/last_run.log"; exit 1; }
	scripts/airflow.sh dags test member_scoring_quarterly $(SCORING_DATE) > $(HOTLINE_DATA_DIR)/last_scoring_run.log 2>&1 \
		|| { tail -n 40 $(HOTLINE_DATA_DIR)/last_scoring_run.log; echo "the scoring run failed; full log: $(HOTLINE_DATA_DIR)/last_scoring_run.log"; exit 1; }
	@echo "run logs: $(HOTLINE_DATA_DIR)/last_run.log, $(HOTLINE_DATA_DIR)/last_scoring_run.log"
	@$(VENV)/bin/hotline report
	@$(VENV)/bin/hotline kpis --grain yearly
	@ls $(HOTLINE_DATA_DIR)/published/member_scores_*.xlsx

# System packages the tests use for real, from Debian's registry (the machines reach it),
# installed once when missing: Chromium opens the published dashboard; PostgreSQL 15's server
# is started by the Postgres publication tests in a temporary folder.
SUDO := $(if $(filter 0,$(shell id -u)),,sudo -E)
CHROMIUM := /usr/bin/chromium
POSTGRES := /usr/lib/postgresql/15/bin/postgres
$(CHROMIUM) $(POSTGRES):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends \
		$(if $(wildcard $(CHROMIUM)),,chromium) $(if $(wildcard $(POSTGRES)),,postgresql-15)

test: setup lint $(CHROMIUM) $(POSTGRES)
	$(VENV)/bin/pytest -n auto --dist loadfile  # one worker per core; a module stays on one worker, longest first (tests/conftest.py)

# the edit-test loop: every test but those marked slow (the pipelines run end to end through
# Airflow and dbt); `make test`, which CI runs, runs them all
test-quick: setup $(CHROMIUM) $(POSTGRES)
	$(VENV)/bin/pytest -n auto -m "not slow"

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/sqlfluff lint dbt_project --processes 0  # the SQL models and tests, one process per core (30 s alone: its parser); config and why in dbt_project/.sqlfluff

# a local Airflow in the background (scheduler, dag-processor, triggerer, api-server); docs/operating.md
.PHONY: airflow airflow-stop
airflow: setup
	scripts/airflow.sh start

airflow-stop:
	scripts/airflow.sh stop

# ingest against the engines' own readers, and the pipeline's time and peak memory, at SCALE;
# figures in data/bench/results.json (BENCH_ARGS=--with-test-suite also times `make test`)
bench: setup
	$(VENV)/bin/python benchmarks/bench.py --scale $(SCALE) $(BENCH_ARGS)

benchmark: bench

clean:
	rm -rf data dbt_project/target dbt_project/logs
