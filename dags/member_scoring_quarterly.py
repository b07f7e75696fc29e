"""Quarterly member scoring: load the office's registers → dbt build → quality gate → publish
→ the office's scoring workbook for the quarter that just ended (or the `quarter` asked for).

Runs on the 15th of the month after each quarter, once the office has exported its
registers. The gate holds the scores back unless every active member has a score row, items
add up to totals, caps hold and no representative has two members. A quarter with no scores
ends the workbook task skipped, saying why.

Also runs after every publication of the warehouse (by the daily load): such a run loads
nothing (its load tasks end skipped) and re-issues the quarter's workbook, when one was
issued already, so it agrees with what BI tools show. Shares the warehouse pool with the
daily load, so writers never overlap. A publication reaches PostgreSQL as in the daily load
(publish_postgres, skipped without HOTLINE_PG_DSN).
"""

from __future__ import annotations

from airflow.sdk import dag

from pipeline.dag_parts import (
    DEFAULT_ARGS,
    QUARTERLY_PARAMS,
    START_DATE,
    postgres_publish_task,
    quarterly_schedule,
    scoring_workbook_task,
    warehouse_tasks,
)


@dag(
    dag_id="member_scoring_quarterly",
    schedule=quarterly_schedule(),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    params=QUARTERLY_PARAMS,
    tags=["members", "warehouse"],
    doc_md=__doc__,
)
def member_scoring_quarterly():
    warehouse_tasks() >> [scoring_workbook_task(), postgres_publish_task()]


member_scoring_quarterly()
