"""Daily 12345 hotline load: ingest the exports → dbt build → quality gate → publish.

Each run ingests every landed export dated up to the end of its data interval that is not
yet in the load ledger, so reruns and backfills load nothing twice. The gate decides whether
the build may publish; when it fails, the last good publication stays. All four tasks write
the DuckDB warehouse, so they share a one-slot pool and runs never overlap.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import CronDataIntervalTimetable, dag

from pipeline.dag_parts import DEFAULT_ARGS, warehouse_tasks


@dag(
    dag_id="hotline_daily",
    # a real one-day data interval (Airflow 3's "@daily" has none): [D 00:00, D+1 00:00) local time
    schedule=CronDataIntervalTimetable("0 0 * * *", timezone="Asia/Shanghai"),
    start_date=pendulum.datetime(2022, 1, 1, tz="Asia/Shanghai"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["hotline", "warehouse"],
    doc_md=__doc__,
)
def hotline_daily():
    warehouse_tasks()


hotline_daily()
