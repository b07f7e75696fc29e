"""Running the dbt project in-process (dbtRunner), against the warehouse the settings name."""

from __future__ import annotations

import json
import os
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
    """Run one dbt command; returns each node's result. Raises PipelineError when dbt itself errors."""
    from dbt.cli.main import dbtRunner

    os.environ["HOTLINE_WAREHOUSE_PATH"] = str(settings.warehouse_path)
    settings.dbt_target_dir.mkdir(parents=True, exist_ok=True)
    result = dbtRunner().invoke(
        [
            *args,
            "--project-dir", str(settings.dbt_project_dir),
            "--profiles-dir", str(settings.dbt_project_dir),
            "--target-path", str(settings.dbt_target_dir),
            "--log-path", str(settings.dbt_target_dir.parent / "logs"),
        ]
    )
    if result.exception is not None:
        raise PipelineError(f"dbt {args[0]} could not run: {result.exception}; see {settings.dbt_target_dir.parent / 'logs'}")
    return read_run_results(settings.dbt_target_dir / "run_results.json")


def read_run_results(path: Path) -> list[DbtNodeResult]:
    if not path.exists():
        return []
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
