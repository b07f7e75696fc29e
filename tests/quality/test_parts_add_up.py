"""The "adds up to the city" suites, run by Great Expectations on marts written here.

A city that loads exports without a type (a message board) beside typed ones has months where
some orders are of unknown type: the 未知 part of kpi_appeal_type_monthly counts no complaints
(null), and the city counts those of the typed orders. The parts add up all the same.
"""

from __future__ import annotations

import duckdb
import pytest

from quality.gate import _expectations_context, _validate
from quality.suites import ADDITIVE_COLUMNS, mart_suites

MONTHS = {  # period_start: (city's counts, each type's counts); complaints null where no order can say
    "2024-01-01": (
        (10, 3, 10, 8, 7, 5),
        {"投诉": (3, 3, 3, 3, 3, 2), "咨询": (5, 0, 5, 4, 3, 2), "未知": (2, None, 2, 1, 1, 1)},
    ),
    # no order says its type; the other types are there with none (every part has every month)
    "2024-02-01": (
        (4, None, 4, 4, 4, 0),
        {"投诉": (0, 0, 0, 0, 0, 0), "咨询": (0, 0, 0, 0, 0, 0), "未知": (4, None, 4, 4, 4, 0)},
    ),
}


def _suite_results(parts_change: str = "") -> dict[str, bool]:
    [suite] = [suite for suite in mart_suites() if suite.name == "kpi_appeal_type_monthly adds up to the city"]
    columns = ", ".join(f"{column} bigint" for column in ADDITIVE_COLUMNS)
    with duckdb.connect() as connection:
        connection.execute("create schema marts")
        connection.execute(f"create table marts.kpi_hotline_monthly (period_start date, {columns})")
        connection.execute(
            f"create table marts.kpi_appeal_type_monthly (period_start date, appeal_type text, {columns})"
        )
        for month, (city, parts) in MONTHS.items():
            connection.execute("insert into marts.kpi_hotline_monthly values (?, ?, ?, ?, ?, ?, ?)", [month, *city])
            for appeal_type, counts in parts.items():
                connection.execute(
                    "insert into marts.kpi_appeal_type_monthly values (?, ?, ?, ?, ?, ?, ?, ?)",
                    [month, appeal_type, *counts],
                )
        if parts_change:
            connection.execute(parts_change)
        frame = connection.execute(suite.query).df()
    return {result.check: result.passed for result in _validate(_expectations_context(), suite, frame)}


def test_a_part_of_unknown_type_leaves_the_complaints_adding_up():
    results = _suite_results()
    assert len(results) == len(ADDITIVE_COLUMNS)
    assert all(results.values()), results


@pytest.mark.parametrize("column", ["complaints", "work_orders"])
def test_a_part_that_does_not_add_up_fails(column):
    results = _suite_results(
        f"update marts.kpi_appeal_type_monthly set {column} = {column} + 1 "
        "where appeal_type = '投诉' and period_start = '2024-01-01'"
    )
    failed = [check for check, passed in results.items() if not passed]
    assert [check.split(", ignore_row_if")[0].rstrip(")") for check in failed] == [
        f"ExpectColumnPairValuesToBeEqual(column_A={column}, column_B=parts_{column}"
    ]
