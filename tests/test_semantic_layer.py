"""The semantic layer, as an analyst or a BI tool reading dbt's semantic manifest meets it.

`dbt parse` must give a metric for every KPI, labelled in Chinese, and MetricFlow must accept
the semantic models and metrics (scripts/kpi_docs.py writes them from the KPI definitions).
tests/test_end_to_end.py asks MetricFlow for the KPIs over a built warehouse and compares them
with the KPI marts.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.kpi_definitions import load_kpis
from core.settings import PROJECT_DIR

BIN = Path(sys.executable).parent
DBT_PROJECT = PROJECT_DIR / "dbt_project"


def metricflow_project(folder: Path, warehouse: Path) -> tuple[Path, dict]:
    """A parsed copy of the dbt project for MetricFlow, and the environment to run `mf` in.

    MetricFlow reads the semantic manifest from <project>/target/ only, while the pipeline keeps
    dbt's target under the data folder; so the copy links the project's files and parses into
    its own target/, leaving the real project untouched.
    """
    project = folder / "dbt_project"
    project.mkdir(parents=True)
    for entry in DBT_PROJECT.iterdir():
        if entry.name not in {"target", "logs", "dbt_packages"}:
            (project / entry.name).symlink_to(entry)
    environment = {
        **os.environ,
        "HOTLINE_WAREHOUSE_PATH": str(warehouse),
        "DBT_PROFILES_DIR": str(project),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
        "DBT_USE_COLORS": "False",
    }
    parse = subprocess.run(
        [str(BIN / "dbt"), "parse", "--project-dir", str(project), "--log-path", str(folder / "logs")],
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert parse.returncode == 0, parse.stdout[-3000:]
    return project, environment


def run_mf(project: Path, environment: dict, *arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "mf"), *arguments], cwd=project, env=environment, capture_output=True, text=True, timeout=900
    )


@pytest.fixture(scope="module")
def parsed(tmp_path_factory) -> tuple[Path, dict]:
    folder = tmp_path_factory.mktemp("semantic")
    # no warehouse is opened by parsing or by validating without one
    return metricflow_project(folder, folder / "no-warehouse.duckdb")


def test_every_kpi_is_a_metric_with_its_chinese_label(parsed):
    project, _ = parsed
    manifest = json.loads((project / "target" / "semantic_manifest.json").read_text(encoding="utf-8"))
    metrics = {metric["name"]: metric for metric in manifest["metrics"]}
    for kpi in load_kpis():
        assert kpi.name in metrics, f"{kpi.name} has no metric: run python scripts/kpi_docs.py"
        assert metrics[kpi.name]["label"] == kpi.label_zh
    assert metrics["unit_score"]["label"] == "承办单位综合得分"
    assert {model["name"] for model in manifest["semantic_models"]} == {"hotline_cases", "unit_months"}
    # the ratios divide the same measures the marts divide
    assert metrics["completed_on_time_rate"]["type"] == "ratio"
    assert metrics["completed_on_time_rate"]["type_params"]["numerator"]["name"] == "completed_on_time"
    assert metrics["completed_on_time_rate"]["type_params"]["denominator"]["name"] == "due_judged"


def test_metricflow_accepts_the_semantic_layer(parsed):
    project, environment = parsed
    validation = run_mf(project, environment, "validate-configs", "--skip-dw")
    output = validation.stdout + validation.stderr
    assert validation.returncode == 0, output[-3000:]
    assert "Successfully validated the semantics of built manifest" in output, output[-3000:]
