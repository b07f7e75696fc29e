""" "Excel" exports that are not workbooks: many systems save an HTML table, or tab-separated
text, under a .xls name, which Excel opens as a sheet. They load as Excel shows them: the
table's rows, a cell spanning columns followed by empty ones, text kept as text (a leading zero
stays), a line break where the page has <br>."""

from __future__ import annotations

import duckdb
import pytest

from demodata.hotline_exports import EXPORT_HEADERS
from ingestion.readers import read_export
from pipeline import steps
from tests.conftest import export_row, landed_work_orders

ROWS = [
    export_row(),
    export_row(工单编号="230103000000002-01", 诉求内容="路灯不亮\n已报修 & 待处理", 详细地址="启东市汇龙镇 0513 号"),
]


def query(settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def html_cell(text: str) -> str:
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace("\n", "<br>")
    return f"\n    <td style=\"mso-number-format:'\\@'\">{escaped}&nbsp;</td>"


def html_export(rows: list[dict[str, str]]) -> str:
    """The page such a system writes: Office's namespaces, a GBK charset, a title cell spanning
    the columns, the header in <th>, indented cells with non-breaking spaces."""
    lines = [
        '<html xmlns:o="urn:schemas-microsoft-com:office:office" xmlns:x="urn:schemas-microsoft-com:office:excel">',
        '<head><meta http-equiv="Content-Type" content="text/html; charset=gbk"></head><body>',
        '<table border="1">',
        f'<tr><td colspan="{len(EXPORT_HEADERS)}">启东市12345工单明细</td></tr>',
        "<tr>" + "".join(f"<th>{header}</th>" for header in EXPORT_HEADERS) + "</tr>",
    ]
    lines += ["<tr>" + "".join(html_cell(row[header]) for header in EXPORT_HEADERS) + "\n</tr>" for row in rows]
    return "\n".join([*lines, "</table></body></html>"])


def test_an_html_table_saved_as_xls_loads_as_excel_shows_it(settings, land):
    (settings.landing_dir / "12345_gongdan_20230103.xls").write_bytes(html_export(ROWS).encode("gbk"))
    land("12345_gongdan_20230104.xlsx", ROWS)  # the same records in a real workbook

    report = steps.ingest(settings)

    assert (report.rejected, report.rows_read, report.rows_loaded) == ([], 4, 4)
    assert query(settings, "select file_name, file_format, rows_loaded from raw.load_ledger order by 1") == [
        ("12345_gongdan_20230103.xls", "html table named .xls", 2),
        ("12345_gongdan_20230104.xlsx", "xlsx", 2),
    ]
    # the rows Excel shows: the title on row 1, the header on row 2
    assert query(
        settings, "select _row_number from raw.hotline_work_orders where _file_name like '%.xls' order by 1"
    ) == [(3,), (4,)]
    assert landed_work_orders(settings, "12345_gongdan_20230103.xls") == landed_work_orders(
        settings, "12345_gongdan_20230104.xlsx"
    )
    [(text,)] = query(
        settings, "select appeal_text from raw.hotline_work_orders where work_order_id = '230103000000002-01' limit 1"
    )
    assert text == "路灯不亮\n已报修 & 待处理"


def test_tab_separated_text_saved_as_xls_loads(settings):
    text = "\r\n".join(
        "\t".join(row[header] for header in EXPORT_HEADERS)
        for row in [dict(zip(EXPORT_HEADERS, EXPORT_HEADERS, strict=True)), *ROWS[:1]]
    )
    (settings.landing_dir / "12345_gongdan_20230103.xls").write_bytes(text.encode("gb18030"))

    report = steps.ingest(settings)

    assert (report.rejected, report.rows_loaded) == ([], 1)
    assert query(settings, "select file_format, encoding from raw.load_ledger") == [
        ("csv (tab-separated) named .xls", "gb18030")
    ]


def test_a_cell_spanning_rows_of_the_page_is_read_on_each_of_them(tmp_path):
    page = (
        "<table><tr><th>工单编号</th><th>诉求类型</th><th>诉求内容</th></tr>"
        '<tr><td>1</td><td rowspan="2">咨询</td><td>a</td></tr>'
        "<tr><td>2</td><td>b</td></tr>"
        '<tr><td>3</td><td>投诉</td><td rowspan="3">c</td></tr><tr><td>4</td><td>求助</td></tr></table>'
    )
    (tmp_path / "cases.xls").write_text(page, encoding="utf-8")
    export = read_export(tmp_path / "cases.xls")
    assert export.frame.to_dict("list") == {
        "工单编号": ["1", "2", "3", "4"],
        "诉求类型": ["咨询", "咨询", "投诉", "求助"],
        "诉求内容": ["a", "b", "c", "c"],  # a span past the last row ends with the table
    }


@pytest.mark.parametrize("encoding", ["gb18030", "utf-16"])
def test_text_saved_as_xls_with_a_title_line_or_in_utf16_is_read_as_text(tmp_path, encoding):
    text = "某某热线工单导出\r\n工单编号\t来电时间\r\nA1\t2023-01-03 08:00:00\r\n"
    (tmp_path / "cases.xls").write_bytes(text.encode(encoding))
    export = read_export(tmp_path / "cases.xls", header_row=2)
    assert (export.file_format, export.header, export.rows) == (
        "csv (tab-separated) named .xls",
        ["工单编号", "来电时间"],
        1,
    )


def test_a_login_page_saved_as_xls_is_rejected_saying_so(settings):
    page = "<!DOCTYPE html><html><head><title>登录</title></head><body><form>请先登录</form></body></html>"
    (settings.landing_dir / "12345_gongdan_20230103.xls").write_text(page, encoding="utf-8")

    [(_, reason)] = steps.ingest(settings).rejected

    assert "not a readable spreadsheet (a web page without a table" in reason


def test_a_xls_that_is_neither_a_workbook_nor_a_page_nor_text_is_rejected_naming_it(settings):
    (settings.landing_dir / "12345_gongdan_20230103.xls").write_bytes(b"\x00\x01\x02 not a sheet")

    report = steps.ingest(settings)

    [(name, reason)] = report.rejected
    assert name == "12345_gongdan_20230103.xls"
    assert reason.endswith(
        "12345_gongdan_20230103.xls: not a readable spreadsheet (CalamineError); re-export it as .xlsx or CSV"
    )
