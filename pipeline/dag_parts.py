"""The task chain every warehouse DAG runs, defined once: ingest → build → quality gate → publish.

Call `warehouse_tasks()` inside a `@dag` function; it returns the publish task so a DAG can
add its own steps after it. The task bodies import the pipeline only when they run, so DAG
files stay cheap to parse.
"""

from __future__ import annotations

import os

import pendulum
from airflow.sdk import task

WAREHOUSE_POOL = "warehouse_writes"  # one slot: DuckDB allows a single writing process
DEFAULT_ARGS = {
    # retries are for infrastructure hiccups; a data problem fails the task at once, whatever this says
    "retries": int(os.environ.get("HOTLINE_TASK_RETRIES", "1")),
    "retry_delay": pendulum.duration(minutes=5),
    "pool": WAREHOUSE_POOL,
}


def warehouse_tasks():
    @task
    def ingest(data_interval_end=None) -> dict:
        from pipeline.airflow_tasks import ingest_until

        return ingest_until(data_interval_end)

    @task
    def build() -> int:
        from pipeline.airflow_tasks import build

        return build()

    @task
    def quality_gate() -> int:
        from pipeline.airflow_tasks import check

        return check()

    @task
    def publish() -> dict:
        from pipeline.airflow_tasks import publish

        return publish()

    return ingest() >> build() >> quality_gate() >> publish()
