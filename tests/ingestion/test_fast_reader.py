"""The one-pass reader of exports whose lines are records (no quotes, or every quoted cell closed
on its line) reads exactly what the row-by-row csv parser reads: same header, cells, row
numbers and malformed rows with their reasons; files it cannot read exactly (a cell over lines,
a quote inside a plain cell, lone \\r line ends) go to the csv parser."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest

from ingestion import readers

TEXTS = {
    "plain": "a,b,c\r\n1,2,3\r\n4,5,6\r\n",
    "no final line end": "a,b,c\n1,2,3\n4,5,6",
    "mixed line ends": "a,b,c\r\n1,2,3\n4,5,6\r\n",
    "blank and whitespace rows": "a,b,c\n1,2,3\n\n  \n,,\n \u3000, ,\t\n4,5,6\n",
    "wrong cell counts": "a,b,c\n1,2\n1,2,3,4\n7,8,9\n,,,\n",
    "spaces in the header and cells": " a , b ,c \n 1 , 2,3 \n",
    "header only": "a,b,c\n",
    "one column": "a\n1\n\n2\n",
    "other line breaks inside cells": "a,b,c\n1\x0b,2\x0c,3\u2028\n4\x1c,5\u0085,6\n",
    "empty header cells": "a,,c,\n1,2,3,4\n",
    "a blank first cell in a row that is not blank": "a,b,c\n \u3000,2,\n\t,,x\n,, \n",
    "blank lines only after the header": "a,b\n\n\r\n , \n\n",
    "malformed lines between blank ones": "a,b\n1,2\n\n3\n\n4,5,6\n7,8\n",
    "Chinese cells": "编号,内容\n１,王小明说：你好\n2,启东市，汇龙镇\n",
    "a stray separator at the end of every row": "a,b,c\r\n1,2,3,\r\n\r\n4,5,6, \r\n,,,\r\n7,8,9,\r\n",
    "two stray separators, and a blank row as wide": "a,b\n1,2,,\n,,,\n3,4,,\n",
    "quoted cells: separators and doubled quotes inside": 'a,b,c\r\n"1,5","x""y",3\r\n"",2,"启东市，汇龙镇"\r\n',
    "every cell quoted, the header too": '"a","b"\n"1","2"\n"3",""\n',
    "quoted cells in rows of the wrong width": 'a,b,c\n"1,2",3\n"4","5","6","7"\n8,9,10\n',
    "quoted blank rows": 'a,b\n"",""\n" ",\n1,"2"\n',
    "quoted cells and a stray separator on every row": 'a,b\n"1",2,\n"3,4",4,\n',
    "a quote that is a whole cell's text": 'a,b\n"""",1\n"x""",2\n',
    "a quoted blank row narrower than the header": 'a,b,c\n"",""\n1,2,3\n""\n',
}


@pytest.mark.parametrize(
    ("text", "delimiter"),
    [
        ('a;b\n1;"x,"\n"2";3\n', ";"),  # a comma inside a quoted cell of a semicolon file
        ("a;b;c\n,\n1;2;3\n", ";"),  # a comma is a cell of a semicolon file, not a blank row
        ('a\tb\n"x\ty"\t1\n', "\t"),
    ],
)
def test_the_one_pass_reader_reads_what_the_csv_parser_reads_with_other_separators(text, delimiter):
    fast = readers._parse_by_lines(text, delimiter=delimiter)
    exact = readers._parse_csv(io.StringIO(text, newline="").readlines(), Path("x.csv"), delimiter=delimiter)
    assert fast is not None
    assert [list(row) for row in zip(*[column.to_pylist() for column in fast.rows], strict=True)] == [
        list(row) for row in exact.rows
    ]
    assert (fast.header, fast.row_numbers, fast.malformed, fast.reasons) == (
        exact.header,
        exact.row_numbers,
        exact.malformed,
        exact.reasons,
    )


def _exact(text: str) -> readers._ParsedCsv:
    return readers._parse_csv(io.StringIO(text, newline="").readlines(), Path("x.csv"))


@pytest.mark.parametrize("name", TEXTS)
def test_the_one_pass_reader_reads_what_the_csv_parser_reads(name):
    text = TEXTS[name]
    fast, exact = readers._parse_by_lines(text), _exact(text)
    assert fast is not None
    assert fast.header == exact.header
    assert [list(row) for row in zip(*[column.to_pylist() for column in fast.rows], strict=True)] == [
        list(row) for row in exact.rows
    ]
    assert (fast.row_numbers, fast.malformed, fast.reasons) == (exact.row_numbers, exact.malformed, exact.reasons)


@pytest.mark.parametrize(
    "text",
    [
        'a,b\n"1\n2",3\n',
        'a,b\n1"2,3\n',
        'a,b\n"1"2,3\n',
        'a,b\n "1",2\n',
        'a,b\n"1,2\n3,4\n',
        '"",""\na,b\n1,2\n',
        "a,b\r1,2\r",
        "\na,b\n1,2\n",
        "",
        "  ,\na,b\n",
        "a,b\n1,2,\n3,4\n",
        "a,b\n1,2,\n3,4,x\n",
    ],
    ids=[
        "a quoted cell over two lines",
        "a quote inside a plain cell",
        "text after a closing quote",
        "a space before an opening quote",
        "an unclosed quote",
        "a quoted blank line before the header",
        "lone CR",
        "blank first line",
        "empty",
        "blank header",
        "a stray separator on some rows only",
        "a cell beyond the header after rows with a stray separator",
    ],
)
def test_files_the_one_pass_reader_cannot_read_exactly_go_to_the_csv_parser(text):
    assert readers._parse_by_lines(text) is None


@pytest.mark.parametrize(
    "text",
    ["a,b\n1,2\n3,4\n12345678901,5\n", "abcdefghijkl,b\n1,2\n", 'a,b,c\n1,"12345678901"\n', 'a,b\n1,2,"           "\n'],
    ids=["in a row", "in the header", "in a row of the wrong width", "in an empty cell after the last column"],
)
def test_a_file_with_a_cell_over_the_limit_goes_to_the_csv_parser(monkeypatch, text):
    monkeypatch.setenv("HOTLINE_MAX_FIELD_CHARS", "10")
    assert readers._parse_by_lines(text) is None


def test_a_file_longer_than_the_cell_limit_with_short_cells_is_read_in_one_pass(monkeypatch):
    """A big daily export (millions of characters) is longer than the cell limit; its cells are not."""
    monkeypatch.setenv("HOTLINE_MAX_FIELD_CHARS", "10")
    text = "a,b\n" + "".join(f"{n},x{n}\n" for n in range(100))
    fast, exact = readers._parse_by_lines(text), _exact(text)
    assert fast is not None
    assert [column.to_pylist() for column in fast.rows] == [list(column) for column in zip(*exact.rows, strict=True)]
    assert fast.row_numbers == exact.row_numbers


def test_a_blank_row_is_one_of_commas_and_what_str_strip_strips():
    # the one-pass reader tells blank rows by stripping these from a line's ends (no copy of it)
    assert set(readers.BLANK_CHARACTERS) == {","} | {chr(c) for c in range(0x110000) if chr(c).isspace()}


@pytest.mark.parametrize(
    "column",
    [
        ("工单编号", "a\x00b", "c\u200bd\ufeff", None, ""),
        ("派单时间", dt.datetime(2023, 1, 2, 3, 4, 5, 678), dt.datetime(999, 1, 1), "", None, "x\u200b"),
        ("n", 1.0, 2.5, float("nan"), 7, True, dt.date(2020, 1, 1), dt.time(8, 30)),
    ],
    ids=["text", "date-times", "other cells"],
)
def test_a_sheet_column_converted_at_once_equals_each_cell_converted(column):
    assert readers._column_array(column).to_pylist() == [readers._cell_text(value) for value in column]
    assert readers._cell_text(dt.datetime(2023, 1, 2, 3, 4, 5, 678)) == "2023-01-02 03:04:05"
    assert readers._cell_text(dt.datetime(999, 1, 1)) == dt.datetime(999, 1, 1).strftime("%Y-%m-%d %H:%M:%S")
