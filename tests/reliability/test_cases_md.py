"""CASES.md is generated from the case table; it must say what the tests do."""

from __future__ import annotations

from tests.reliability.cases import CASES, CASES_MD, render_cases_md


def test_cases_md_is_in_step() -> None:
    assert CASES_MD.read_text(encoding="utf-8") == render_cases_md(), (
        "tests/reliability/CASES.md is stale: run `.venv/bin/python -m tests.reliability.cases`"
    )


def test_there_are_at_least_forty_malformed_exports() -> None:
    assert len(CASES) >= 40
    assert {"loaded", "rejected", "ignored"} == {case.expect.status for case in CASES}
    assert any(case.expect.quarantined for case in CASES)
