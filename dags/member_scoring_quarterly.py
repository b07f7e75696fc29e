"""Quarterly member scoring: load the office's registers → dbt build → quality gate → publish
→ the office's scoring workbook for the quarter that just ended.

Runs on the 15th of the month after each quarter, once the office has exported its
registers. The gate holds the scores back unless every active member has a score row, items
add up to totals, caps hold and no representative has two members. Shares the warehouse
pool with the daily load, so writers never overlap.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import CronDataIntervalTimetable, dag, task

from pipeline.dag_parts import DEFAULT_ARGS, warehouse_tasks


@dag(
    dag_id="member_scoring_quarterly",
    schedule=CronDataIntervalTimetable("0 0 15 1,4,7,10 *", timezone="Asia/Shanghai"),
    start_date=pendulum.datetime(2022, 1, 1, tz="Asia/Shanghai"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["members", "warehouse"],
    doc_md=__doc__,
)
def member_scoring_quarterly():
    @task
    def scoring_workbook(data_interval_end=None) -> str:
        from pipeline.airflow_tasks import scoring_workbook

        return scoring_workbook(data_interval_end)

    warehouse_tasks() >> scoring_workbook()


member_scoring_quarterly()
