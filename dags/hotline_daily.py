"""Daily 12345 hotline load: ingest the exports → dbt build → quality gate → publish.

Each run ingests every landed export dated up to the end of its data interval that is not
yet in the load ledger, so reruns and backfills load nothing twice. The gate decides whether
the build may publish; when it fails, the last good publication stays. All four tasks write
the DuckDB warehouse, so they share a one-slot pool and runs never overlap.
"""

from __future__ import annotations

import os

import pendulum
from airflow.sdk import CronDataIntervalTimetable, dag, task

WAREHOUSE_POOL = "warehouse_writes"  # one slot: DuckDB allows a single writing process
RETRIES = int(os.environ.get("HOTLINE_TASK_RETRIES", "1"))  # data problems fail at once, whatever this says


@dag(
    dag_id="hotline_daily",
    # a real one-day data interval (Airflow 3's "@daily" has none): [D 00:00, D+1 00:00) local time
    schedule=CronDataIntervalTimetable("0 0 * * *", timezone="Asia/Shanghai"),
    start_date=pendulum.datetime(2022, 1, 1, tz="Asia/Shanghai"),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": RETRIES, "retry_delay": pendulum.duration(minutes=5), "pool": WAREHOUSE_POOL},
    tags=["hotline", "warehouse"],
    doc_md=__doc__,
)
def hotline_daily():
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

    ingest() >> build() >> quality_gate() >> publish()


hotline_daily()
