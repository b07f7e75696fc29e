"""Running the dbt project against the warehouse the settings name.

dbt runs in a child process: dbt-duckdb keeps its DuckDB connection open for the life of
the process, which would stop the gate and publication from opening the file afterwards
when a DAG runs all tasks in one process (`airflow dags test`). dbt's own progress lines
stream to the caller's output (the terminal, or the Airflow task log).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import PipelineError
from pipeline.settings import Settings


@dataclass(frozen=True)
class DbtNodeResult:
    unique_id: str
    resource_type: str
    status: str
    failures: int | None
    message: str | None


def run_dbt(settings: Settings, args: list[str]) -> list[DbtNodeResult]:
    """Run one dbt command; returns each node's result. Raises PipelineError when dbt cannot run."""
    settings.dbt_target_dir.mkdir(parents=True, exist_ok=True)
    run_results = settings.dbt_target_dir / "run_results.json"
    run_results.unlink(missing_ok=True)  # never judge this run by an older run's results
    environment = {
        **os.environ,
        "HOTLINE_WAREHOUSE_PATH": str(settings.warehouse_path),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
        "DBT_USE_COLORS": "False",
    }
    command = [
        str(Path(sys.executable).parent / "dbt"),
        *args,
        "--project-dir",
        str(settings.dbt_project_dir),
        "--profiles-dir",
        str(settings.dbt_project_dir),
        "--target-path",
        str(settings.dbt_target_dir),
        "--log-path",
        str(settings.dbt_target_dir.parent / "logs"),
    ]
    with subprocess.Popen(command, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as dbt:
        for line in dbt.stdout:  # relay as it comes: dbt's progress is the step's progress
            print(line, end="", flush=True)
    if not run_results.exists():
        raise PipelineError(
            f"dbt {args[0]} could not run (exit {dbt.returncode}); see {settings.dbt_target_dir.parent / 'logs'}"
        )
    return read_run_results(run_results)


def read_run_results(path: Path) -> list[DbtNodeResult]:
    results = json.loads(path.read_text())["results"]
    return [
        DbtNodeResult(
            unique_id=item["unique_id"],
            resource_type=item["unique_id"].split(".")[0],
            status=item["status"],
            failures=item.get("failures"),
            message=item.get("message"),
        )
        for item in results
    ]
