""" "Excel" exports that are not workbooks: many systems save an HTML table, tab-separated
text or Excel 2003's XML Spreadsheet under a .xls name, which Excel opens as a sheet. They load as Excel shows them: the
table's rows, a cell spanning columns followed by empty ones, text kept as text (a leading zero
stays), a line break where the page has <br>."""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape

import duckdb
import pytest

from core.settings import PROJECT_DIR
from demodata.hotline_exports import EXPORT_HEADERS
from ingestion.loader import read_matched
from ingestion.profiles import load_profiles
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


TIMES = {"来电时间", "派单时间"}


def xml_cell(header: str, text: str, **attributes: str) -> str:
    """A cell as Excel 2003 writes it: times as DateTime, a phone number as Number, the rest as
    String; ss:Index, ss:MergeAcross and ss:MergeDown as given (ss_index="3")."""
    extra = "".join(
        f' ss:{name.removeprefix("ss_").title().replace("_", "")}="{value}"' for name, value in attributes.items()
    )
    if not text:
        return f"<Cell{extra}/>"
    if header in TIMES:
        return f'<Cell{extra} ss:StyleID="s21"><Data ss:Type="DateTime">{text.replace(" ", "T")}.000</Data></Cell>'
    if header == "来电号码":
        return f'<Cell{extra}><Data ss:Type="Number">{text}</Data></Cell>'
    return f'<Cell{extra}><Data ss:Type="String">{escape(text).replace(chr(10), "&#10;")}</Data></Cell>'


def xml_spreadsheet(rows: list[dict[str, str]], encoding: str = "utf-8") -> bytes:
    """The file such a system writes: the XML prologue, Office's processing instruction and
    namespaces, styles, a title merged across the columns above the header, and a worksheet
    after the export's."""
    header_cells = "".join(xml_cell("", header) for header in EXPORT_HEADERS)
    records = "".join(
        "<Row>" + "".join(xml_cell(header, row[header]) for header in EXPORT_HEADERS) + "</Row>\n" for row in rows
    )
    text = f"""<?xml version="1.0" encoding="{encoding}"?>
<?mso-application progid="Excel.Sheet"?>
<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" xmlns:o="urn:schemas-microsoft-com:office:office"
 xmlns:x="urn:schemas-microsoft-com:office:excel" xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet"
 xmlns:html="http://www.w3.org/TR/REC-html40">
 <Styles><Style ss:ID="s21"><NumberFormat ss:Format="yyyy/m/d h:mm"/></Style></Styles>
 <Worksheet ss:Name="工单明细">
  <Table ss:ExpandedColumnCount="{len(EXPORT_HEADERS)}" x:FullColumns="1" x:FullRows="1">
   <Row>{xml_cell("", "启东市12345工单明细", ss_merge_across=str(len(EXPORT_HEADERS) - 1))}</Row>
   <Row>{header_cells}</Row>
{records}  </Table>
  <WorksheetOptions xmlns="urn:schemas-microsoft-com:office:excel"><Selected/></WorksheetOptions>
 </Worksheet>
 <Worksheet ss:Name="统计"><Table><Row><Cell><Data ss:Type="String">合计</Data></Cell></Row></Table></Worksheet>
</Workbook>
"""
    return text.encode(encoding)


def one_table_xml(path: Path, rows: str) -> Path:
    """An XML spreadsheet of one worksheet holding these <Row> elements, in UTF-8."""
    path.write_text(
        '<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" '
        f'xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet"><Worksheet ss:Name="S"><Table>{rows}'
        "</Table></Worksheet></Workbook>",
        encoding="utf-8",
    )
    return path


def test_an_xml_spreadsheet_saved_as_xls_loads_as_excel_shows_it(settings, land):
    (settings.landing_dir / "12345_gongdan_20230103.xls").write_bytes(xml_spreadsheet(ROWS, "gb2312"))
    land("12345_gongdan_20230104.xlsx", ROWS)  # the same records in a real workbook

    report = steps.ingest(settings)

    assert (report.rejected, report.rows_read, report.rows_loaded) == ([], 4, 4)
    assert query(settings, "select file_name, file_format, warnings from raw.load_ledger order by 1") == [
        (
            "12345_gongdan_20230103.xls",
            "xml spreadsheet named .xls",
            "header on row 2; row 1 above it not loaded: 启东市12345工单明细; sheet 统计 also holds data and is not "
            "loaded (it has no header row with the columns of the sheet loaded): if it is part of the export, give "
            "it that header row (or land it as a file of its own)",
        ),
        ("12345_gongdan_20230104.xlsx", "xlsx", None),
    ]
    assert query(
        settings, "select _row_number from raw.hotline_work_orders where _file_name like '%.xls' order by 1"
    ) == [(3,), (4,)]
    assert landed_work_orders(settings, "12345_gongdan_20230103.xls") == landed_work_orders(
        settings, "12345_gongdan_20230104.xlsx"
    )


def test_xml_spreadsheet_cells_skipped_and_merged_are_read_where_excel_shows_them(tmp_path):
    rows = [
        ["工单编号", "诉求类型", "诉求内容", "来电号码"],
        ["1", "咨询", "a", "13812345678"],
        ["2", "咨询", "b", ""],  # 诉求类型 merged down from the row above; no phone
        ["", "", "", ""],  # a row skipped by ss:Index
        ["4", "投诉", "c", "051383123456"],
    ]
    cells = [
        "".join(xml_cell(header, header) for header in rows[0]),
        xml_cell("", "1")
        + xml_cell("", "咨询", ss_merge_down="1")
        + xml_cell("", "a")
        + xml_cell("来电号码", "13812345678"),
        xml_cell("", "2") + xml_cell("", "b", ss_index="3"),
        "".join(xml_cell("", text) for text in rows[4]),
    ]
    skip = ' ss:Index="5"'  # the last row's number: row 4 has no Row element
    body = "".join(f"<Row{skip if n == 3 else ''}>{row}</Row>" for n, row in enumerate(cells))
    export = read_export(one_table_xml(tmp_path / "cases.xls", body))
    assert export.frame.to_dict("list") == {
        "工单编号": ["1", "2", "4"],
        "诉求类型": ["咨询", "咨询", "投诉"],
        "诉求内容": ["a", "b", "c"],
        "来电号码": ["13812345678", "", "051383123456"],
    }
    assert export.row_numbers == [2, 3, 5]


def test_an_xml_spreadsheet_cell_merged_down_covers_rows_by_number_not_by_row_element(tmp_path):
    def cell(text: str, **attributes: str) -> str:
        return xml_cell("", text, **attributes)

    rows = [
        f"<Row>{cell('工单编号')}{cell('诉求类型')}{cell('回访时间')}</Row>",
        # 诉求类型 merged over rows 2-3; row 3 has no Row element at all
        f"<Row>{cell('1')}{cell('咨询', ss_merge_down='1')}"
        '<Cell><Data ss:Type="DateTime">1899-12-31T08:30:00.000</Data></Cell></Row>',  # a time of day alone
        f'<Row ss:Index="4">{cell("4")}{cell("投诉")}</Row>',
    ]
    export = read_export(one_table_xml(tmp_path / "cases.xls", "".join(rows)))
    assert export.frame.to_dict("list") == {
        "工单编号": ["1", "", "4"],
        "诉求类型": ["咨询", "咨询", "投诉"],
        "回访时间": ["08:30:00", "", ""],
    }
    assert export.row_numbers == [2, 3, 4]


def test_an_xml_spreadsheet_split_over_worksheets_loads_the_visible_ones_that_continue_it(tmp_path):
    def worksheet(name: str, rows: list[list[str]], hidden: bool = False) -> str:
        body = "".join("<Row>" + "".join(xml_cell("", text) for text in row) + "</Row>" for row in rows)
        options = '<WorksheetOptions xmlns="urn:schemas-microsoft-com:office:excel"><Visible>SheetHidden</Visible>'
        return f'<Worksheet ss:Name="{name}"><Table>{body}</Table>{options + "</WorksheetOptions>" if hidden else ""}'

    header = ["工单编号", "来电时间", "诉求类型", "工单状态"]
    sheets = [
        worksheet("1月", [header, ["1", "2023-01-03 08:00:00", "投诉", "已办结"]]),
        worksheet("旧数据", [header, ["9", "2022-01-03 08:00:00", "投诉", "已办结"]], hidden=True),
        worksheet("2月", [header, ["2", "2023-02-01 08:00:00", "咨询", "已受理"]]),
    ]
    path = tmp_path / "12345_gongdan_20230103.xls"
    path.write_text(
        '<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" '
        f'xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet">{"</Worksheet>".join(sheets)}</Worksheet></Workbook>',
        encoding="utf-8",
    )

    export, _ = read_matched(path, load_profiles(PROJECT_DIR / "ingestion" / "profiles"))

    assert export.frame["工单编号"].tolist() == ["1", "2"]
    assert export.row_sheets() == ["1月", "2月"]


def test_an_xml_spreadsheet_cut_short_is_rejected_in_one_line(settings):
    whole = xml_spreadsheet(ROWS)
    (settings.landing_dir / "12345_gongdan_20230103.xls").write_bytes(whole[: len(whole) // 2])

    [(_, reason)] = steps.ingest(settings).rejected

    assert "12345_gongdan_20230103.xls: not a readable XML spreadsheet (" in reason
    assert reason.endswith("; re-export it as .xlsx or CSV") and "\n" not in reason


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
