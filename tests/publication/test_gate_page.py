"""The gate's page: every check once, failing ones first, whatever the checks' text holds."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from publication.gate_page import write_gate_page


class Rows(HTMLParser):
    """The cells of every table row, as a reader's browser would show them (the test's own reading)."""

    def __init__(self):
        super().__init__()
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append("".join(self.cell).strip())
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def test_the_gate_page_lists_every_check_failing_first_and_escapes_their_text(tmp_path):
    checks = [
        {"source": "dbt", "table": "test", "check": "not_null_fct_cases_work_order_id", "passed": True},
        {
            "source": "expectations",
            "table": "kpi_hotline_monthly",
            "check": "rate <between> 0 and 1",
            "passed": False,
            "failing_rows": 2,
            "sample": [{"period_start": "2023-01-01"}],
            "message": "<script>alert(1)</script>",
        },
        {"source": "plausibility", "table": "fct_cases", "check": "received_before_dispatched", "passed": True},
    ]
    gate = {"passed": False, "checks": checks, "checked_at": "2024-01-01T06:00:00", "marts_fingerprint": "ab" * 32}

    page = write_gate_page(gate, tmp_path / "docs" / "gate.html").read_text(encoding="utf-8")

    assert "<script" not in page and "&lt;script&gt;" in page  # a check's text is shown, never run
    assert not re.search(r"""(src|href)=["']?https?://""", page)  # opens offline
    parser = Rows()
    parser.feed(page)
    header = next(row for row in parser.rows if row[:1] == ["结果"])
    checks_shown = [dict(zip(header, row, strict=True)) for row in parser.rows[parser.rows.index(header) + 1 :]]
    assert [row["检查项"] for row in checks_shown] == [checks[1]["check"], checks[0]["check"], checks[2]["check"]]
    assert [row["结果"] for row in checks_shown] == ["不通过", "通过", "通过"]
    assert [row["不通过行数"] for row in checks_shown] == ["2", "0", "0"]
    assert "<script>alert(1)</script>" in checks_shown[0]["说明"]
