"""Times each pipeline step on generated data and prints the figures (not a test: nothing asserts).

    .venv/bin/python benchmarks/pipeline_steps.py --scale 1.0     # the city's 217,000 work orders

Runs in a temporary data folder, so it never touches data/.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent


def timed(label: str, results: list[tuple[str, float, str]], step) -> object:
    start = time.perf_counter()
    value = step()
    results.append((label, time.perf_counter() - start, str(value)[:70]))
    print(f"{label:<28} {results[-1][1]:7.1f} s  {results[-1][2]}", flush=True)
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = 217,000 work orders")
    arguments = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="hotline-benchmark-"))
    os.environ["HOTLINE_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("HOTLINE_HASH_KEY", "benchmark-key")
    from core.settings import get_settings
    from pipeline import steps

    settings = get_settings()
    results: list[tuple[str, float, str]] = []
    summary = timed("generate", results, lambda: steps.generate(settings, scale=arguments.scale))
    timed("ingest", results, lambda: steps.ingest(settings).summary())
    timed("ingest again (no new files)", results, lambda: steps.ingest(settings).summary())
    timed("build (dbt build)", results, lambda: f"{len(steps.build(settings))} dbt nodes")
    timed("check (quality gate)", results, lambda: f"{len(steps.check(settings).checks)} checks")
    timed("publish", results, lambda: steps.publish(settings).summary())
    # a DAG file's own import cost: parsing it, minus importing airflow.sdk which every DAG pays
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import airflow.sdk"], check=True)
    airflow_alone = time.perf_counter() - start
    start = time.perf_counter()
    subprocess.run([sys.executable, "dags/hotline_daily.py"], cwd=PROJECT_DIR, check=True)
    with_dag = time.perf_counter() - start
    print(f"{'DAG file import':<28} {max(with_dag - airflow_alone, 0):7.2f} s  beyond importing airflow.sdk itself")
    total = sum(seconds for label, seconds, _ in results if label != "generate")
    print(f"\nscale {arguments.scale}: {summary.work_orders} work orders, {summary.rows} rows, {summary.files} files")
    print(f"pipeline (ingest → publish, both ingests): {total:.1f} s; data in {data_dir}")


if __name__ == "__main__":
    main()
