"""What every check of the gate returns, whatever ran it (dbt, expectations, SQL checks)."""

from __future__ import annotations

from dataclasses import dataclass, field

SAMPLE_ROWS = 5  # failing rows shown per check: keys only, never personal data


@dataclass
class CheckResult:
    source: str  # dbt, expectations, personal_data, plausibility or report
    table: str
    check: str
    passed: bool
    failing_rows: int = 0
    sample: list = field(default_factory=list)
    message: str = ""


def warning_lines(checks: list[CheckResult] | list[dict]) -> list[str]:
    """The checks that passed but found rows (dbt tests of severity warn, plausibility rules set
    to warn), one line each: what a run should show besides its verdict. Takes the checks of a
    GateReport or of its JSON."""
    lines = []
    for check in checks:
        fields = check if isinstance(check, dict) else vars(check)
        if fields["passed"] and fields.get("failing_rows"):
            message = fields.get("message") or f"{fields['failing_rows']} row(s)"
            lines.append(f"{fields['table']}: {fields['check']}: {message}")
    return lines
