"""The gate's Great Expectations validation: it names the check that failed, whatever order GX
returns results in, and it does no work on the suite rows that nothing reads."""

from __future__ import annotations

import pandas as pd
import pytest

from quality.gate import _expectations_context, _validate
from quality.suites import Check, Suite

# column checks, a table check and a pair check: GX validates (and returns) table-level and
# multi-column expectations before the column ones, so the failing rate used to be named
# after another check
CHECKS = (
    Check("ExpectColumnValuesToNotBeNull", {"column": "period_start"}),
    Check("ExpectColumnValuesToBeBetween", {"column": "dissatisfaction_rate", "min_value": 0, "max_value": 1}),
    Check("ExpectColumnValuesToBeBetween", {"column": "satisfaction_rate", "min_value": 0, "max_value": 1}),
    Check("ExpectTableRowCountToBeBetween", {"min_value": 1}),
    Check(
        "ExpectColumnPairValuesAToBeGreaterThanB",
        {"column_A": "work_orders", "column_B": "complaints", "or_equal": True},
    ),
    Check("ExpectColumnValuesToBeUnique", {"column": "period_start"}),
)
SATISFACTION = "ExpectColumnValuesToBeBetween(column=satisfaction_rate, min_value=0, max_value=1)"

FRAME = pd.DataFrame(
    {
        "period_start": ["2023-01-01", "2023-02-01", "2023-03-01"],
        "work_orders": [120, 100, 90],
        "complaints": [30, 20, 10],
        "satisfaction_rate": [0.9, 1.5, 0.8],  # the one failure
        "dissatisfaction_rate": [0.1, 0.05, 0.2],
    }
)


@pytest.fixture(scope="module")
def context():
    return _expectations_context()


@pytest.mark.parametrize("order", ["as written", "reversed", "rotated"])
def test_the_failing_check_is_named_for_the_expectation_that_failed(context, order):
    checks = {"as written": CHECKS, "reversed": CHECKS[::-1], "rotated": CHECKS[3:] + CHECKS[:3]}[order]
    results = _validate(context, Suite("kpi_test", "unused", ("period_start",), checks), FRAME)

    failures = [result for result in results if not result.passed]
    assert [failure.check for failure in failures] == [SATISFACTION]
    assert failures[0].failing_rows == 1
    assert failures[0].sample == [{"satisfaction_rate": "1.5", "period_start": "2023-02-01"}]
    # and every result stands in its check's place, named after it
    assert [result.check.split("(")[0] for result in results] == [check.expectation for check in checks]
    assert [result.table for result in results] == ["kpi_test"] * len(checks)


def test_suite_rows_are_validated_without_gx_fingerprinting_the_frame(context):
    # GX would md5 every suite's dataframe for a batch marker nothing reads (1.8 s of a day's
    # gate at scale 10); the gate turns that off, and a GX release that renamed its switch
    # would bring the cost back unnoticed
    from quality.gate import SUITE_ROWS

    definition = context.data_sources.get(SUITE_ROWS).get_asset("rows").get_batch_definition("all")
    batch = definition.get_batch(batch_parameters={"dataframe": FRAME})
    assert "pandas_data_fingerprint" not in batch.batch_markers
    assert batch.columns() == list(FRAME.columns)
