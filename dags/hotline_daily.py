"""Daily 12345 hotline load: ingest the exports → dbt build → quality gate → publish.

Each run ingests every landed export dated up to the last day of its data interval that is not
yet in the load ledger, so reruns and backfills load nothing twice; a manual run can set
`as_of` to stop at an earlier day. The gate decides whether the build may publish; when it
fails, the last good publication stays. Publishing records an event on the published
warehouse asset. All four tasks write the DuckDB warehouse, so they share a one-slot pool
and runs never overlap. When HOTLINE_PG_DSN is set, publish_postgres then copies the publication
into PostgreSQL for BI tools that connect over the network; otherwise it ends skipped.
"""

from __future__ import annotations

from airflow.sdk import dag

from pipeline.dag_parts import (
    DAILY_PARAMS,
    DAILY_SCHEDULE,
    DEFAULT_ARGS,
    START_DATE,
    postgres_publish_task,
    warehouse_tasks,
)


@dag(
    dag_id="hotline_daily",
    schedule=DAILY_SCHEDULE,
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    params=DAILY_PARAMS,
    tags=["hotline", "warehouse"],
    doc_md=__doc__,
)
def hotline_daily():
    warehouse_tasks() >> postgres_publish_task()


hotline_daily()
