"""What the DAG files are made of, defined once: schedules, trigger-form params, the published
warehouse asset, and the task chain every warehouse DAG runs (ingest → build → quality gate → publish).

Call `warehouse_tasks()` inside a `@dag` function; it returns the publish task so a DAG can
add its own steps after it. The task bodies hand their Airflow context to `pipeline.airflow_tasks`
and import it only when they run, so DAG files stay cheap to parse.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Asset, AssetOrTimeSchedule, CronDataIntervalTimetable, Param, task

from core.settings import task_retries

TIME_ZONE = "Asia/Shanghai"
START_DATE = pendulum.datetime(2022, 1, 1, tz=TIME_ZONE)
WAREHOUSE_POOL = "warehouse_writes"  # one slot: DuckDB allows a single writing process
DEFAULT_ARGS = {
    # retries are for infrastructure hiccups; a data problem fails the task at once, whatever this says
    "retries": task_retries(),
    "retry_delay": pendulum.duration(minutes=5),
    "pool": WAREHOUSE_POOL,
}

# the published warehouse BI tools read; every successful publish task records an event on it
PUBLISHED_WAREHOUSE = Asset(name="hotline_published_warehouse", uri="hotline://published/warehouse")

# a real one-day data interval (Airflow 3's "@daily" has none): [D 00:00, D+1 00:00) local time
DAILY_SCHEDULE = CronDataIntervalTimetable("0 0 * * *", timezone=TIME_ZONE)


def quarterly_schedule() -> AssetOrTimeSchedule:
    """The 15th of the month after each quarter, and after every publication of the warehouse.

    A run started by a publication loads nothing itself (the publisher just did) and only
    re-issues the quarter's workbook when one was issued already, so it agrees with the BI tools.
    """
    return AssetOrTimeSchedule(
        timetable=CronDataIntervalTimetable("0 0 15 1,4,7,10 *", timezone=TIME_ZONE), assets=PUBLISHED_WAREHOUSE
    )


DAILY_PARAMS = {
    "as_of": Param(
        None,
        type=["null", "string"],
        format="date",
        title="Load exports dated up to",
        description=(
            "YYYY-MM-DD, for a manual run: load only the exports dated up to this day. Empty: up to the "
            "last day of the run's data interval (a manual run without a logical date loads everything landed)."
        ),
    ),
}
QUARTERLY_PARAMS = {
    "quarter": Param(
        None,
        type=["null", "string"],
        pattern=r"^20[0-9]{2}Q[1-4]$",
        title="Quarter to score",
        description=(
            "Like 2023Q4: re-score the quarter and (re-)issue its workbook. Empty: the quarter that ended "
            "before the end of the run's data interval (the run on 15 January scores the fourth quarter)."
        ),
    ),
}


def warehouse_tasks():
    @task
    def ingest(**context) -> dict:
        from pipeline.airflow_tasks import ingest

        return ingest(context)

    @task
    def build() -> int:
        from pipeline.airflow_tasks import build

        return build()

    @task
    def quality_gate() -> int:
        from pipeline.airflow_tasks import check

        return check()

    @task(outlets=[PUBLISHED_WAREHOUSE])
    def publish(**context) -> dict:
        from pipeline.airflow_tasks import publish

        return publish(context)

    return ingest() >> build() >> quality_gate() >> publish()


def postgres_publish_task():
    """Copies each publication into PostgreSQL for networked BI tools; skipped without HOTLINE_PG_DSN."""

    @task
    def publish_postgres() -> dict:
        from pipeline.airflow_tasks import publish_postgres

        return publish_postgres()

    return publish_postgres()


def scoring_workbook_task():
    # runs when the load chain was skipped, in a run started by a publication: it only writes the workbook
    @task(trigger_rule="none_failed")
    def scoring_workbook(**context) -> str | None:
        from pipeline.airflow_tasks import scoring_workbook

        return scoring_workbook(context)

    return scoring_workbook()
