"""A gate's warnings: the checks that passed but found rows, shown besides the verdict."""

from __future__ import annotations

from dataclasses import asdict

from quality.results import CheckResult, warning_lines

CHECKS = [
    CheckResult("dbt", "test", "unique_fct_cases_work_order_id", True),
    CheckResult("dbt", "test", "assert_calendar_runs_60_days_past_the_data_cut", True, 1, message="Got 1 result"),
    CheckResult("plausibility", "marts.fct_cases", "unknown_town", True, 12, message="warning: 12 row(s): 新区 (12)"),
    CheckResult("plausibility", "marts.fct_cases", "completed_before_received", False, 2, message="2 row(s)"),
    CheckResult("expectations", "fct_cases", "ExpectColumnValuesToBeUnique(column=work_order_id)", True),
]


def test_the_checks_that_passed_with_rows_found_are_the_warnings():
    expected = [
        "test: assert_calendar_runs_60_days_past_the_data_cut: Got 1 result",
        "marts.fct_cases: unknown_town: warning: 12 row(s): 新区 (12)",
    ]
    assert warning_lines(CHECKS) == expected
    assert warning_lines([asdict(check) for check in CHECKS]) == expected  # as gate_report.json holds them
    assert warning_lines([]) == []
