"""A bad export is a one-line PipelineError or a set-aside row, never a crash of the load loop.

Every test writes real bytes: GB18030, UTF-8 with a BOM, odd line ends, real .xlsx workbooks.
"""

from __future__ import annotations

import csv
import random
import zipfile
from pathlib import Path

import openpyxl
import pytest

from core.errors import PipelineError
from core.settings import PROJECT_DIR
from ingestion import readers
from ingestion.loader import read_matched, reading_notes
from ingestion.profiles import load_profiles
from ingestion.readers import MAX_CELL_LINES, MAX_FIELD_CHARS, max_field_chars, read_export

HEADER = "工单编号,诉求类型,诉求内容"


def _csv(tmp_path: Path, data: bytes | str, name: str = "12345_gongdan_20230103.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def _xlsx(tmp_path: Path, sheets: list[tuple[str, list[list[object]], str]]) -> Path:
    """A workbook of (sheet name, rows, state) sheets, in order; state is visible, hidden or veryHidden."""
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows, state in sheets:
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
        sheet.sheet_state = state
    path = tmp_path / "12345_gongdan_20230103.xlsx"
    workbook.save(path)
    return path


def _error(path: Path) -> str:
    with pytest.raises(PipelineError) as error:
        read_export(path)
    message = str(error.value)
    assert str(path) in message and "\n" not in message
    return message


# 1. encodings


def test_a_utf8_bom_before_a_gb18030_body_reads_the_body_as_gb18030(tmp_path):
    body = f"{HEADER}\n230103000000001-01,投诉,夜间施工噪音扰民\n".encode("gb18030")
    export = read_export(_csv(tmp_path, b"\xef\xbb\xbf" + body))
    assert export.encoding == "gb18030 (after a UTF-8 BOM)"
    assert list(export.frame.columns) == ["工单编号", "诉求类型", "诉求内容"]
    assert export.frame["诉求内容"].tolist() == ["夜间施工噪音扰民"]


def test_a_utf8_bom_before_a_utf8_body_is_still_utf8_sig(tmp_path):
    export = read_export(_csv(tmp_path, b"\xef\xbb\xbf" + f"{HEADER}\n1,投诉,噪音\n".encode()))
    assert export.encoding == "utf-8-sig"
    assert export.frame["诉求类型"].tolist() == ["投诉"]


def test_a_bom_before_bytes_neither_utf8_nor_gb18030_is_a_one_line_error(tmp_path):
    message = _error(_csv(tmp_path, b"\xef\xbb\xbf" + HEADER.encode() + b"\n1,\xff\xfe,x\n2,\xff,y\n"))
    assert "neither UTF-8 nor GB18030 after its UTF-8 BOM" in message


def test_a_character_cut_in_half_reads_as_a_replacement_in_the_encoding_of_the_rest(tmp_path):
    # a system cut a UTF-8 appeal at a number of bytes: the last character lost its last byte
    lines = [HEADER.encode(), "1,投诉,夜间施工".encode(), "2,投诉,噪音扰民".encode()[:-1], "3,求助,路灯".encode()]
    export = read_export(_csv(tmp_path, b"\n".join(lines) + b"\n"))
    assert (export.encoding, export.undecodable_lines) == ("utf-8", 1)
    assert export.frame["诉求内容"].tolist() == ["夜间施工", "噪音扰\ufffd", "路灯"]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32"])
def test_utf16_and_utf32_with_their_byte_order_mark_are_read(tmp_path, encoding):
    mark = {"utf-16-be": b"\xfe\xff"}.get(encoding, b"")
    export = read_export(_csv(tmp_path, mark + f"{HEADER}\n1,投诉,噪音\n".encode(encoding)))
    assert export.encoding == encoding.removesuffix("-be")
    assert export.header[0] == HEADER.split(",")[0]  # no byte-order mark left in the first header
    assert export.frame["诉求类型"].tolist() == ["投诉"]


def test_a_utf16_mark_before_bytes_that_are_not_utf16_is_a_one_line_error(tmp_path):
    message = _error(_csv(tmp_path, b"\xff\xfe" + "工单".encode("utf-16-le") + b"\x00\xd8"))
    assert "starts as UTF-16 but is not" in message and "\n" not in message


def test_the_separator_is_told_by_whole_records_not_by_characters(tmp_path):
    # a comma export whose phone numbers end in a tab (so that Excel keeps them text) and whose
    # quoted texts hold commas; a semicolon export with decimal commas
    rows = [f'{n},投诉,"噪音,夜间,{"很吵," * n}请处理",1381234567{n}\t' for n in range(6)]
    commas = read_export(_csv(tmp_path, "工单编号,诉求类型,诉求内容,来电号码\n" + "\n".join(rows) + "\n"))
    assert (commas.file_format, len(commas.header), commas.rows) == ("csv", 4, 6)
    semicolons = read_export(_csv(tmp_path, "名称;数量;金额\n甲;1,5;2,5\n乙;3;4,25\n", name="b.csv"))
    assert (semicolons.file_format, semicolons.frame["金额"].tolist()) == ("csv (semicolon-separated)", ["2,5", "4,25"])


# 2. line ends


@pytest.mark.parametrize(
    "text",
    [
        f"{HEADER}\r1,投诉,噪音\r2,咨询,路灯\r",  # old Mac: CR only
        f"{HEADER}\r\n1,投诉,噪音\n2,咨询,路灯\r\n",  # mixed CRLF and LF
        f"{HEADER}\n1,投诉,噪音\r\n2,咨询,路灯",  # mixed, no line end at the end
        f"{HEADER}\r\n\r\n1,投诉,噪音\r\r2,咨询,路灯\n\n",  # blank lines in both styles
    ],
)
def test_cr_only_and_mixed_line_ends_read_the_same_rows(tmp_path, text):
    export = read_export(_csv(tmp_path, text.encode("gb18030")))
    assert export.frame.to_dict("list") == {
        "工单编号": ["1", "2"],
        "诉求类型": ["投诉", "咨询"],
        "诉求内容": ["噪音", "路灯"],
    }
    assert export.malformed_rows == []


def test_a_quoted_cell_keeps_its_own_line_breaks(tmp_path):
    export = read_export(_csv(tmp_path, f'{HEADER}\r\n1,投诉,"第一行\r\n第二行"\r\n2,咨询,路灯\r\n'))
    assert export.frame["诉求内容"].tolist() == ["第一行\r\n第二行", "路灯"]
    assert export.row_numbers == [2, 3]


# 3. long cells


def test_a_cell_longer_than_csvs_default_limit_reads(tmp_path):
    long_text = "噪" * 200_000  # csv's own limit is 131,072
    export = read_export(_csv(tmp_path, f"{HEADER}\n1,投诉,{long_text}\n".encode("gb18030")))
    assert export.frame["诉求内容"].str.len().tolist() == [200_000]


def test_a_cell_over_the_limit_is_a_malformed_row_and_the_next_rows_load(tmp_path, monkeypatch):
    monkeypatch.setenv("HOTLINE_MAX_FIELD_CHARS", "1000")
    long_row = "2,投诉," + "噪" * 5000
    export = read_export(_csv(tmp_path, f"{HEADER}\n1,投诉,短\n{long_row}\n3,咨询,路灯\n"))
    assert export.frame["工单编号"].tolist() == ["1", "3"]
    assert export.row_numbers == [2, 4]
    assert export.malformed_rows == [(3, long_row)]
    assert export.malformed_reasons == {3: "a cell is longer than 1000 characters"}
    assert csv.field_size_limit() == 131_072  # the process-wide csv limit is left as it was


def test_the_field_limit_defaults_to_a_million_and_comes_from_the_environment(monkeypatch):
    monkeypatch.delenv("HOTLINE_MAX_FIELD_CHARS", raising=False)
    assert max_field_chars() == MAX_FIELD_CHARS == 1_000_000
    monkeypatch.setenv("HOTLINE_MAX_FIELD_CHARS", " 2000000 ")
    assert max_field_chars() == 2_000_000


@pytest.mark.parametrize("value", ["lots", "0", "-5", "1e6", str(2**70)])
def test_a_bad_field_limit_setting_is_a_one_line_error_naming_it(tmp_path, monkeypatch, value):
    monkeypatch.setenv("HOTLINE_MAX_FIELD_CHARS", value)
    with pytest.raises(PipelineError, match="HOTLINE_MAX_FIELD_CHARS"):
        read_export(_csv(tmp_path, f"{HEADER}\n1,投诉,噪音\n"))


# 4. unbalanced quotes and rows of the wrong width


@pytest.mark.parametrize("quoted", [False, True], ids=["no-quotes", "a-quoted-cell"])
def test_empty_cells_after_the_last_column_are_dropped_and_others_are_not(tmp_path, quoted):
    cell = '"门口积水"' if quoted else "门口积水"
    text = f"{HEADER}\n1,投诉,噪音,\n2,咨询,路灯, , \n3,求助,{cell}\n4,投诉,噪音,多出来的\n"
    export = read_export(_csv(tmp_path, text))
    assert export.frame["工单编号"].tolist() == ["1", "2", "3"]
    assert export.row_numbers == [2, 3, 4]
    assert export.malformed_rows == [(5, "4,投诉,噪音,多出来的")]  # a cell with something in it: which column?


def test_an_unclosed_quote_is_one_malformed_row_and_the_lines_after_it_still_load(tmp_path):
    text = f'{HEADER}\n1,投诉,"夜间施工噪音\n2,咨询,路灯不亮\n3,求助,"门口积水"\n'
    export = read_export(_csv(tmp_path, text.encode("gb18030")))
    assert export.malformed_rows == [(2, '1,投诉,"夜间施工噪音')]
    assert "unclosed quote" in export.malformed_reasons[2]
    assert export.frame["工单编号"].tolist() == ["2", "3"]
    assert export.frame["诉求内容"].tolist() == ["路灯不亮", "门口积水"]
    assert export.row_numbers == [3, 4]


def test_an_unclosed_quote_spanning_lines_keeps_the_raw_text_of_every_line(tmp_path):
    # the unclosed cell runs over two lines of prose before the next record
    text = f'{HEADER}\r\n1,投诉,"第一行\r\n第二行，没有逗号\r\n2,咨询,路灯\r\n'
    export = read_export(_csv(tmp_path, text))
    assert export.malformed_rows == [(2, '1,投诉,"第一行\r\n第二行，没有逗号')]
    assert export.frame["工单编号"].tolist() == ["2"]


def test_an_unclosed_quote_at_the_end_of_the_file_keeps_its_lines(tmp_path):
    export = read_export(_csv(tmp_path, f'{HEADER}\n1,投诉,噪音\n2,"咨询\n路灯不亮\n'))
    assert export.frame["工单编号"].tolist() == ["1"]
    assert export.malformed_rows == [(3, '2,"咨询\n路灯不亮')]


def test_a_file_cut_short_inside_a_quoted_cell_sets_its_last_row_aside(tmp_path):
    # the cell count is right, so only the missing closing quote tells the row is incomplete
    export = read_export(_csv(tmp_path, f'{HEADER}\n1,投诉,噪音\n2,咨询,"路灯不亮，已'.encode("gb18030")))
    assert export.frame["工单编号"].tolist() == ["1"]
    assert export.malformed_rows == [(3, '2,咨询,"路灯不亮，已')]
    assert "cut short" in export.malformed_reasons[3]


@pytest.mark.parametrize(
    "last_row",
    ['2,"咨询"二次,"路灯不亮，已', '2,咨询,"路灯""不亮"",已', '2,"咨询,""路灯"",\n不亮,已'],
    ids=["text after a closing quote before it", "doubled quotes in it", "over two lines"],
)
def test_a_file_cut_short_is_told_whatever_else_its_last_row_holds(tmp_path, last_row):
    export = read_export(_csv(tmp_path, f"{HEADER}\n1,投诉,噪音\n{last_row}".encode("gb18030")))
    assert export.frame["工单编号"].tolist() == ["1"]
    assert export.malformed_rows == [(3, last_row)]
    assert "cut short" in export.malformed_reasons[3]


def test_a_last_row_with_its_quotes_closed_is_a_record(tmp_path):
    export = read_export(_csv(tmp_path, f'{HEADER}\n1,投诉,噪音\n2,"咨询"二次,"路灯""不亮"""'.encode("gb18030")))
    assert export.malformed_rows == []
    assert export.frame["诉求内容"].tolist() == ["噪音", '路灯"不亮"']


def test_a_real_multi_line_cell_in_the_first_column_is_not_taken_for_an_unclosed_quote(tmp_path):
    export = read_export(_csv(tmp_path, f'{HEADER}\n"1\n续",投诉,噪音\n2,咨询,"路灯，\n不亮"\n'))
    assert export.malformed_rows == []
    assert export.frame["工单编号"].tolist() == ["1\n续", "2"]
    assert export.frame["诉求内容"].tolist() == ["噪音", "路灯，\n不亮"]


def test_a_quoted_cell_over_the_line_limit_is_taken_as_unclosed_in_a_narrow_file(tmp_path):
    # with two columns any line of text looks like a record, so only the line limit can tell
    lines = [f"{number},ok" for number in range(2, MAX_CELL_LINES + 12)]
    export = read_export(_csv(tmp_path, 'id,text\n1,"unclosed\n' + "\n".join(lines) + "\n"))
    assert export.malformed_rows == [(2, '1,"unclosed')]
    assert export.frame["id"].tolist() == [str(number) for number in range(2, MAX_CELL_LINES + 12)]
    assert export.row_numbers == list(range(3, MAX_CELL_LINES + 13))


def test_a_row_of_the_wrong_width_keeps_its_original_text(tmp_path):
    export = read_export(_csv(tmp_path, f'{HEADER}\n1,投诉,"噪音, 很大",多余\n2,咨询,路灯\n'))
    assert export.malformed_rows == [(2, '1,投诉,"噪音, 很大",多余')]
    assert export.malformed_reasons == {2: "row has 4 cells, the header has 3"}


def test_an_unclosed_quote_in_the_header_is_a_one_line_error(tmp_path):
    assert "header row" in _error(_csv(tmp_path, '工单编号,"诉求类型,诉求内容\n1,投诉,噪音\n'))


# 5. invisible characters


def test_nul_and_zero_width_characters_are_removed_from_csv_headers_and_cells(tmp_path):
    text = "\ufeff工单\u200b编号,诉求类型\x00,诉求内容\n1\u200c,投\u200d诉,噪\u2060音\ufeff\x00\n"
    export = read_export(_csv(tmp_path, text.encode("gb18030")))
    assert list(export.frame.columns) == ["工单编号", "诉求类型", "诉求内容"]
    assert export.frame.iloc[0].tolist() == ["1", "投诉", "噪音"]


def test_zero_width_characters_are_removed_from_xlsx_headers_and_cells(tmp_path):
    path = _xlsx(tmp_path, [("Sheet1", [["工单\u200b编号", "诉求类型\ufeff"], ["1\u2060", "投\u200c诉"]], "visible")])
    export = read_export(path)
    assert list(export.frame.columns) == ["工单编号", "诉求类型"]
    assert export.frame.iloc[0].tolist() == ["1", "投诉"]


def test_zero_width_characters_make_repeated_headers_visible(tmp_path):
    path = _csv(tmp_path, "工单编号,来电时间,诉求类型,工单状态,工单\u200b编号\n1,2,3,4,5\n")
    with pytest.raises(PipelineError, match="column 工单编号 appears twice"):
        read_matched(path, load_profiles(PROJECT_DIR / "ingestion" / "profiles"))


def test_formula_text_cells_read_as_the_text_excel_shows(tmp_path):
    data = f'{HEADER}\n="0220102000020000",投诉,"电话=""0513"""\n2,="咨询",普通\n'
    export = read_export(_csv(tmp_path, data))
    assert export.frame.to_dict("list") == {
        "工单编号": ["0220102000020000", "2"],
        "诉求类型": ["投诉", "咨询"],
        "诉求内容": ['电话="0513"', "普通"],  # only a whole ="…" cell is a formula
    }


# 6. workbooks


@pytest.mark.parametrize("state", ["hidden", "veryHidden"])
def test_a_hidden_first_sheet_is_a_one_line_error_naming_it(tmp_path, state):
    path = _xlsx(tmp_path, [("旧数据", [["a"], ["1"]], state), ("工单", [["工单编号"], ["1"]], "visible")])
    message = _error(path)
    assert "the first sheet '旧数据' is hidden" in message


def test_a_hidden_later_sheet_does_not_matter(tmp_path):
    path = _xlsx(tmp_path, [("工单", [["工单编号"], ["1"]], "visible"), ("旧数据", [["a"]], "hidden")])
    assert read_export(path).frame["工单编号"].tolist() == ["1"]
    assert read_export(path).other_sheets == []


def test_a_first_sheet_of_instructions_is_passed_over_for_the_sheet_with_the_header(tmp_path):
    header = ["工单编号", "来电时间", "诉求类型", "工单状态"]
    record = ["1", "2023-01-03 08:00:00", "投诉", "已办结"]
    path = _xlsx(
        tmp_path,
        [
            ("填表说明", [["说明：本表由系统导出"], ["请勿修改表头"]], "visible"),
            ("旧表", [header, ["x"] * 4], "hidden"),
            ("工单", [["工单明细"], header, record], "visible"),
            ("统计", [["合计", 1]], "visible"),
        ],
    )
    export, profile = read_matched(path, load_profiles(PROJECT_DIR / "ingestion" / "profiles"))
    assert profile.name == "hotline_qidong_v2023"
    assert (export.sheet, export.header_row, export.row_numbers) == ("工单", 2, [3])
    assert export.frame.iloc[0].tolist() == record
    assert reading_notes(export) == [
        "read from sheet 工单: the first sheet holds no header row of the profile",
        "header on row 2; row 1 above it not loaded: 工单明细",
        "sheet 统计 also holds data and is not loaded (it has no header row with the columns of the sheet "
        "loaded): if it is part of the export, give it that header row (or land it as a file of its own)",
    ]


def test_a_value_merged_down_a_column_is_read_on_each_of_its_rows(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    rows = (["工单明细"], ["工单编号", "承办单位", "诉求内容"], ["1", "城管局", "a"], ["2", None, "b"], ["3", None, ""])
    for row in rows:
        sheet.append(row)
    sheet.merge_cells("A1:C1")  # a title across the columns: left as it is
    sheet.merge_cells("B3:B5")  # one unit over three orders
    sheet.merge_cells("C4:C5")  # and a text over the last two
    path = tmp_path / "12345_gongdan_20230103.xlsx"
    book.save(path)
    export = read_export(path, header_row=2)
    assert export.frame.to_dict("list") == {
        "工单编号": ["1", "2", "3"],
        "承办单位": ["城管局"] * 3,
        "诉求内容": ["a", "b", "b"],
    }
    assert export.preamble == [(1, "工单明细")]


def test_an_empty_first_sheet_is_passed_over_too(tmp_path):
    header, record = ["工单编号", "来电时间", "诉求类型", "工单状态"], ["1", "2023-01-03 08:00:00", "投诉", "已办结"]
    path = _xlsx(tmp_path, [("Sheet1", [], "visible"), ("工单", [header, record], "visible")])
    export, _ = read_matched(path, load_profiles(PROJECT_DIR / "ingestion" / "profiles"))
    assert (export.sheet, export.row_numbers, export.frame.iloc[0].tolist()) == ("工单", [2], record)


def test_later_visible_sheets_with_data_are_named_not_read(tmp_path):
    path = _xlsx(
        tmp_path,
        [
            ("工单", [["工单编号"], ["1"]], "visible"),
            ("工单(续)", [["工单编号"], ["2"]], "visible"),
            ("空白", [], "visible"),
            ("旧数据", [["a"]], "hidden"),
            ("统计", [[None, "合计"], [None, 2]], "visible"),
        ],
    )
    export = read_export(path)
    assert export.frame["工单编号"].tolist() == ["1"]
    assert export.other_sheets == ["工单(续)", "统计"]


def test_an_export_split_over_sheets_is_read_whole_and_other_tables_are_named(tmp_path):
    header = ["工单编号", "来电时间", "诉求类型", "工单状态", "备注"]
    path = _xlsx(
        tmp_path,
        [
            ("1月", [["工单明细"], header, ["1", "2023-01-03 08:00:00", "投诉", "已办结", "a"]], "visible"),
            # the next month: its columns in another order, one of them not read, and a total under it
            (
                "2月",
                [
                    ["工单状态", "工单编号", "来电时间", "诉求类型"],
                    ["已受理", "2", "2023-02-01 08:00:00", "咨询"],
                    ["已办结", "3", "2023-02-02 08:00:00", "求助"],
                    ["合计：3 条"],
                ],
                "visible",
            ),
            ("旧数据", [header, ["x"] * 5], "hidden"),
            # another table: the profile's header row, but other columns (a summary of returns)
            ("退单", [["工单编号", "来电时间"], ["1", "2023-01-03 08:00:00"]], "visible"),
            ("统计", [["月份", "件数"], ["1月", 1]], "visible"),
        ],
    )
    export, profile = read_matched(path, load_profiles(PROJECT_DIR / "ingestion" / "profiles"))
    assert profile.name == "hotline_qidong_v2023"
    assert export.frame.to_dict("list") == {
        "工单编号": ["1", "2", "3"],
        "来电时间": ["2023-01-03 08:00:00", "2023-02-01 08:00:00", "2023-02-02 08:00:00"],
        "诉求类型": ["投诉", "咨询", "求助"],
        "工单状态": ["已办结", "已受理", "已办结"],
        "备注": ["a", "", ""],
    }
    assert (export.row_numbers, export.row_sheets()) == ([3, 2, 3], ["1月", "2月", "2月"])
    assert reading_notes(export) == [
        "records read from 2 sheets: 1月 (1), 2月 (2)",
        "sheet 1月: header on row 2; row 1 above it not loaded: 工单明细",
        "sheet 2月: row 4 under the records not loaded (a total): 合计：3 条",
        "sheet 退单, 统计 also holds data and is not loaded (it has no header row with the columns of the sheet "
        "loaded): if it is part of the export, give it that header row (or land it as a file of its own)",
    ]


FULL_SHEET_HEADER = ["工单编号", "来电时间", "诉求类型", "工单状态"]


def _after_a_full_sheet(path: Path, later: list[tuple[str, dict[int, list[object]]]]) -> Path:
    """A workbook whose first sheet is filled to row 65,536 (a header and 65,535 records, what
    .xls holds, as systems cap even their .xlsx exports), then `later` sheets: (name, row index
    → cells)."""
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    first = workbook.add_worksheet("工单")
    first.write_row(0, 0, FULL_SHEET_HEADER)
    for row in range(1, 65_536):
        first.write_row(row, 0, [f"A{row}", "2023-01-03 08:00:00", "投诉", "已办结"])
    for name, rows in later:
        sheet = workbook.add_worksheet(name)
        for row, cells in rows.items():
            sheet.write_row(row, 0, cells)
    workbook.close()
    return path


def test_a_sheet_without_a_header_row_after_a_full_sheet_continues_it(tmp_path):
    """An .xls-era export of more than 65,535 rows: the system fills the first sheet to its last
    row (65,536) and goes on with the records on the next, with no header row there."""
    path = _after_a_full_sheet(
        tmp_path / "12345_gongdan_20230103.xlsx",
        [
            (  # its rows 1, 2 and 4 hold records; row 3 is blank
                "Sheet2",
                {
                    0: ["B1", "2023-01-03 09:00:00", "咨询"],
                    1: ["B2", "2023-01-03 10:00:00", "求助", "已受理"],
                    3: ["B3", "2023-01-03 11:00:00", "投诉", "已受理"],
                },
            ),
            ("统计", {0: ["1月", 65_538]}),  # no header row either, but after a sheet that is not full
        ],
    )

    export, _ = read_matched(path, load_profiles(PROJECT_DIR / "ingestion" / "profiles"))

    assert export.rows == 65_538
    assert export.row_numbers[-4:] == [65_536, 1, 2, 4]
    assert export.row_sheets()[-4:] == ["工单", "Sheet2", "Sheet2", "Sheet2"]
    assert export.frame.iloc[-3:].to_dict("list") == {
        "工单编号": ["B1", "B2", "B3"],
        "来电时间": ["2023-01-03 09:00:00", "2023-01-03 10:00:00", "2023-01-03 11:00:00"],
        "诉求类型": ["咨询", "求助", "投诉"],
        "工单状态": ["", "已受理", "已受理"],  # a row shorter than the header: its last cells are empty
    }
    assert reading_notes(export) == [
        "records read from 2 sheets: 工单 (65535), Sheet2 (3)",
        "sheet Sheet2 has no header row: it follows sheet 工单, whose records run to row 65536, the last a "
        "sheet holds; its columns were read in that sheet's order",
        "sheet 统计 also holds data and is not loaded (it has no header row with the columns of the sheet "
        "loaded): if it is part of the export, give it that header row (or land it as a file of its own)",
    ]


def _ods(path: Path, sheets: list[tuple[str, list[list[str]]]]) -> Path:
    """An OpenDocument spreadsheet as LibreOffice writes one: a zip whose first entry is its
    mimetype, stored; cells typed (a time as office:date-value, its text as shown)."""

    def cell(value: str) -> str:
        if value[:4].isdigit() and value[4:5] == "-":
            return (
                f'<table:table-cell office:value-type="date" office:date-value="{value.replace(" ", "T")}">'
                f"<text:p>{value[:16]}</text:p></table:table-cell>"
            )
        return f'<table:table-cell office:value-type="string"><text:p>{value}</text:p></table:table-cell>'

    tables = "".join(
        f'<table:table table:name="{name}">'
        + "".join("<table:table-row>" + "".join(map(cell, row)) + "</table:table-row>" for row in rows)
        + "</table:table>"
        for name, rows in sheets
    )
    namespaces = " ".join(
        f'xmlns:{prefix}="urn:oasis:names:tc:opendocument:xmlns:{prefix}:1.0"' for prefix in ("office", "table", "text")
    )
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {namespaces} office:version="1.2">'
        f"<office:body><office:spreadsheet>{tables}</office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" '
        'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>'
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("META-INF/manifest.xml", manifest)
        archive.writestr("content.xml", content)
    return path


def test_an_opendocument_spreadsheet_is_read_as_a_workbook(tmp_path):
    header = ["工单编号", "来电时间", "诉求类型", "工单状态"]
    path = _ods(
        tmp_path / "cases.ods",
        [
            ("工单", [["启东市12345工单明细"], header, ["1", "2023-01-03 08:00:00", "投诉", "已办结"]]),
            ("统计", [["合计", "1"]]),
        ],
    )

    export = read_export(path, header_row=2)

    assert export.frame.to_dict("list") == {
        "工单编号": ["1"],
        "来电时间": ["2023-01-03 08:00:00"],  # the time, not the text shown
        "诉求类型": ["投诉"],
        "工单状态": ["已办结"],
    }
    assert (export.file_format, export.row_numbers, export.preamble) == ("ods", [3], [(1, "启东市12345工单明细")])
    assert export.other_sheets == ["统计"]


@pytest.mark.parametrize(
    "later", [("说明", {0: ["本表由系统导出，仅供参考"]}), ("统计", {0: ["合计：65535条"]})], ids=["a note", "a total"]
)
def test_a_sheet_after_a_full_sheet_that_holds_no_record_is_named_not_read(tmp_path, later):
    path = _after_a_full_sheet(tmp_path / "12345_gongdan_20230103.xlsx", [later])

    export, _ = read_matched(path, load_profiles(PROJECT_DIR / "ingestion" / "profiles"))

    assert (export.rows, export.other_sheets) == (65_535, [later[0]])


def test_a_later_sheet_with_a_header_read_twice_is_a_one_line_error_naming_it(tmp_path):
    header = ["工单编号", "来电时间", "诉求类型", "工单状态"]
    path = _xlsx(
        tmp_path,
        [
            ("1月", [header, ["1", "2023-01-03 08:00:00", "投诉", "已办结"]], "visible"),
            ("2月", [[*header, "工单状态"], ["2", "2023-02-01 08:00:00", "咨询", "已受理", "已办结"]], "visible"),
        ],
    )
    with pytest.raises(PipelineError, match=r"12345_gongdan_20230103.xlsx, sheet 2月: column 工单状态 appears twice"):
        read_matched(path, load_profiles(PROJECT_DIR / "ingestion" / "profiles"))


def test_a_workbook_without_sheets_is_a_one_line_error(tmp_path):
    path = _xlsx(tmp_path, [("Sheet1", [["工单编号"]], "visible")])
    with zipfile.ZipFile(path) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    workbook_xml = parts["xl/workbook.xml"].decode()
    start, end = workbook_xml.index("<sheets>"), workbook_xml.index("</sheets>") + len("</sheets>")
    parts["xl/workbook.xml"] = (workbook_xml[:start] + "<sheets/>" + workbook_xml[end:]).encode()
    with zipfile.ZipFile(path, "w") as target:
        for name, data in parts.items():
            target.writestr(name, data)
    assert "no sheets" in _error(path)


def test_an_empty_first_sheet_is_a_one_line_error(tmp_path):
    assert "the first sheet is empty" in _error(_xlsx(tmp_path, [("Sheet1", [], "visible")]))


@pytest.mark.parametrize("cut", [0, 30, 200, -100])
def test_a_truncated_workbook_is_a_one_line_error(tmp_path, cut):
    path = _xlsx(tmp_path, [("Sheet1", [["工单编号", "诉求类型"], ["1", "投诉"]], "visible")])
    data = path.read_bytes()
    path.write_bytes(data[:cut])
    assert "not a readable spreadsheet" in _error(path)


def test_a_csv_named_xlsx_is_a_one_line_error(tmp_path):
    path = tmp_path / "12345_gongdan_20230103.xlsx"
    path.write_text(f"{HEADER}\n1,投诉,噪音\n")
    assert "not a readable spreadsheet" in _error(path)


# 7. empty files


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b"\n\n\r\n", b"  \r\n\t\r\n", b",,,\n,,\n", b"\x00\x00\n"])
def test_an_empty_or_blank_csv_is_a_one_line_error(tmp_path, data):
    assert "the file is empty" in _error(_csv(tmp_path, data))


def test_a_header_only_csv_is_an_export_of_no_rows(tmp_path):
    export = read_export(_csv(tmp_path, f"\n{HEADER}\r\n\r\n".encode("gb18030")))
    assert list(export.frame.columns) == ["工单编号", "诉求类型", "诉求内容"]
    assert len(export.frame) == 0 and export.row_numbers == [] and export.malformed_rows == []


def test_a_header_only_workbook_is_an_export_of_no_rows(tmp_path):
    export = read_export(_xlsx(tmp_path, [("Sheet1", [["工单编号", "诉求类型"]], "visible")]))
    assert list(export.frame.columns) == ["工单编号", "诉求类型"]
    assert len(export.frame) == 0


# 8. anything else


def test_a_file_that_cannot_be_read_is_a_one_line_error_naming_it(tmp_path):
    path = tmp_path / "12345_gongdan_20230103.csv"
    path.mkdir()  # reading a directory fails with IsADirectoryError, as a permission problem would
    assert "cannot be read" in _error(path)


def test_a_missing_workbook_is_a_one_line_error_naming_it(tmp_path):
    assert "cannot be read" in _error(tmp_path / "12345_gongdan_20230103.xlsx")


def test_a_permission_error_is_a_one_line_error_naming_it(tmp_path, monkeypatch):
    path = _csv(tmp_path, f"{HEADER}\n1,投诉,噪音\n")

    def refuse(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", refuse)
    assert "Permission denied" in _error(path)


def test_an_unexpected_error_while_reading_is_a_one_line_error_naming_it(tmp_path, monkeypatch):
    def fail(*args: object) -> None:
        raise ValueError("something\nunforeseen")

    monkeypatch.setattr(readers, "_parse_csv", fail)
    monkeypatch.setattr(readers, "_parse_by_lines", fail)  # the fast path for files whose lines are records
    message = _error(_csv(tmp_path, f"{HEADER}\n1,投诉,噪音\n"))
    assert "unexpected ValueError" in message and "something unforeseen" in message


def test_random_bytes_never_raise_anything_but_a_pipeline_error(tmp_path):
    generator = random.Random(12345)
    good = f'{HEADER}\r\n1,投诉,"噪音\r\n很大"\r\n2,咨询,路灯\n'.encode("gb18030")
    workbook = _xlsx(tmp_path, [("Sheet1", [["工单编号", "诉求类型"], ["1", "投诉"]], "visible")]).read_bytes()
    for attempt in range(300):
        source = good if attempt % 2 else workbook
        data = bytearray(source)
        replacements = b'"\r\n,\x00\xff\xef\xbb\xbf' + bytes([attempt % 256])
        for _ in range(generator.randint(1, 8)):
            data[generator.randrange(len(data))] = generator.choice(replacements)
        name = "12345_gongdan_20230103.csv" if attempt % 2 else "12345_gongdan_20230103.xlsx"
        path = tmp_path / name
        path.write_bytes(bytes(data))
        try:
            read_export(path)
        except PipelineError as error:
            assert "\n" not in str(error)
