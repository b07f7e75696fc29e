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
