"""Expectation suites as code: what each table checked by the gate must satisfy.

Great Expectations validates DataFrames read from DuckDB (its SQL route returns no rows on
DuckDB, see DESIGN.md). Row-level checks on large tables stay in dbt tests, which run in the
database; these suites add what needs the whole picture (reconciliation, leaks) and guard
the published marts once more before publication.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ingestion.masking import CLEAR_PERSONAL_NUMBER

RATE_COLUMNS = ("direct_answer_rate", "signed_on_time_rate", "completed_on_time_rate", "satisfaction_rate")
APPEAL_TYPES = ("咨询", "求助", "投诉", "举报", "建议", "表扬/感谢", "其他")


@dataclass(frozen=True)
class Check:
    expectation: str  # the Great Expectations class name
    kwargs: dict
    sensitive: bool = False  # never copy failing values into the report (they may be personal data)


@dataclass(frozen=True)
class Suite:
    name: str
    query: str  # what to validate, read from the warehouse
    key: tuple[str, ...]  # columns that name a failing row in the report
    checks: tuple[Check, ...] = field(default_factory=tuple)


def _kpi_suite(table: str) -> Suite:
    return Suite(
        name=table,
        query=f"select * from marts.{table}",
        key=("period_start",),
        checks=(
            Check("ExpectTableRowCountToBeBetween", {"min_value": 1}),
            Check("ExpectColumnValuesToNotBeNull", {"column": "period_start"}),
            Check("ExpectColumnValuesToBeUnique", {"column": "period_start"}),
            Check("ExpectColumnValuesToBeBetween", {"column": "work_orders", "min_value": 0}),
            Check("ExpectColumnValuesToBeBetween", {"column": "complaints", "min_value": 0}),
            *(
                Check("ExpectColumnValuesToBeBetween", {"column": c, "min_value": 0, "max_value": 1})
                for c in RATE_COLUMNS
            ),
            Check(
                "ExpectColumnPairValuesAToBeGreaterThanB",
                {"column_A": "work_orders", "column_B": "complaints", "or_equal": True},
            ),
        ),
    )


SUITES: tuple[Suite, ...] = (
    Suite(
        name="fct_cases",
        query="select work_order_id, appeal_type, received_at from marts.fct_cases",
        key=("work_order_id",),
        checks=(
            Check("ExpectTableRowCountToBeBetween", {"min_value": 1}),
            Check("ExpectColumnValuesToNotBeNull", {"column": "work_order_id"}),
            Check("ExpectColumnValuesToBeUnique", {"column": "work_order_id"}),
            Check("ExpectColumnValuesToNotBeNull", {"column": "received_at"}),
            Check("ExpectColumnValuesToBeInSet", {"column": "appeal_type", "value_set": list(APPEAL_TYPES)}),
        ),
    ),
    _kpi_suite("kpi_hotline_monthly"),
    _kpi_suite("kpi_hotline_quarterly"),
    _kpi_suite("kpi_hotline_yearly"),
    Suite(
        # per loaded file: rows read = rows loaded + rows quarantined, and the rows are really there
        name="load_ledger_reconciliation",
        query="""
            with landed as (
                select _file_id as file_id, count(*) as rows_in_raw from raw.hotline_work_orders group by 1
            ),
            quarantined as (
                select file_id, count(*) as rows_in_quarantine from raw.quarantine group by 1
            )
            select
                ledger.file_name,
                ledger.rows_read,
                ledger.rows_loaded + ledger.rows_quarantined as rows_accounted,
                ledger.rows_loaded,
                coalesce(landed.rows_in_raw, 0) as rows_in_raw,
                ledger.rows_quarantined,
                coalesce(quarantined.rows_in_quarantine, 0) as rows_in_quarantine
            from raw.load_ledger as ledger
            left join landed using (file_id)
            left join quarantined using (file_id)
            where ledger.status = 'loaded'
        """,
        key=("file_name",),
        checks=(
            Check("ExpectColumnPairValuesToBeEqual", {"column_A": "rows_read", "column_B": "rows_accounted"}),
            Check("ExpectColumnPairValuesToBeEqual", {"column_A": "rows_loaded", "column_B": "rows_in_raw"}),
            Check(
                "ExpectColumnPairValuesToBeEqual", {"column_A": "rows_quarantined", "column_B": "rows_in_quarantine"}
            ),
        ),
    ),
    Suite(
        # phone and ID numbers never reach staging in clear, nor the quarantine
        name="personal_data",
        query="""
            select 'work_order ' || work_order_id as record, appeal_text as text
            from staging.stg_hotline__work_orders
            union all
            select 'quarantine ' || file_name || ' row ' || row_number, cast(raw_values as varchar)
            from raw.quarantine
        """,
        key=("record",),
        checks=(
            Check(
                "ExpectColumnValuesToNotMatchRegex", {"column": "text", "regex": CLEAR_PERSONAL_NUMBER}, sensitive=True
            ),
        ),
    ),
)
