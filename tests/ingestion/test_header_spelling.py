"""Headers typed differently from the profile's spelling: a line break typed in a header cell
(Alt+Enter in Excel), a space between two characters, full-width letters or a different case.
The file loads as if its headers were spelled as the profile spells them."""

from __future__ import annotations

import duckdb
import openpyxl

from demodata.hotline_exports import EXPORT_HEADERS
from pipeline import steps
from tests.conftest import export_row, landed_work_orders

TYPED = {"工单编号": "工单\n编号", "来电时间": "来电 时间", "诉求类型": "诉求\u3000类型", "办结时间": "办结时间 "}


def test_headers_with_line_breaks_and_spaces_typed_in_them_load_by_the_profile(settings, land):
    book = openpyxl.Workbook()
    book.active.append([TYPED.get(header, header) for header in EXPORT_HEADERS])
    book.active.append(list(export_row().values()))
    book.save(settings.landing_dir / "12345_gongdan_20230103.xlsx")
    land("12345_gongdan_20230104.xlsx", [export_row()])  # spelled as the profile spells them

    report = steps.ingest(settings)

    assert (report.rejected, report.rows_loaded, report.rows_quarantined) == ([], 2, 0)
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as connection:
        assert connection.execute("select warnings from raw.load_ledger").fetchall() == [(None,), (None,)]
    typed = landed_work_orders(settings, "12345_gongdan_20230103.xlsx")
    assert typed == landed_work_orders(settings, "12345_gongdan_20230104.xlsx") and len(typed) == 1


def test_two_columns_that_read_as_one_header_reject_the_file_naming_both(settings, land):
    rows = [{**export_row(), "工单 编号": "另一个编号"}]  # the real 工单编号 and a look-alike
    land("12345_gongdan_20230103.csv", rows)

    report = steps.ingest(settings)

    assert report.rows_loaded == 0
    [(name, reason)] = report.rejected
    assert name == "12345_gongdan_20230103.csv"
    assert reason.endswith("columns '工单编号' and '工单 编号' are one header written two ways; keep one and re-export")
