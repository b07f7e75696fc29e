"""Reading one export file into a frame of text cells, whatever its format and encoding.

`read_export` either returns the file's cells or raises `PipelineError` with one line naming
the file, what is wrong and what to do: one bad file never stops the load loop. A row that
cannot be read (wrong number of cells, an unclosed quote, an over-long cell) does not reject
the file: it is kept aside, with its raw text, in `RawExport.malformed_rows`.
"""

from __future__ import annotations

import csv
import datetime as dt
import gc
import io
import json
import re
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from html.parser import HTMLParser
from pathlib import Path
from xml.etree import ElementTree

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from core import settings
from core.errors import PipelineError

CSV_SUFFIXES = {".csv", ".txt", ".tsv"}
EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".ods"}  # .ods: LibreOffice, and WPS where set to it
JSON_SUFFIXES = {".json", ".jsonl", ".ndjson"}  # open-data APIs (Socrata's 311), systems' JSON exports
READABLE_SUFFIXES = CSV_SUFFIXES | EXCEL_SUFFIXES | JSON_SUFFIXES

UTF8_BOM = b"\xef\xbb\xbf"
# text with a byte-order mark, as Excel's "Unicode text" (UTF-16 LE, tab-separated) is written
UNICODE_BOMS = {
    b"\xff\xfe\x00\x00": "utf-32",
    b"\x00\x00\xfe\xff": "utf-32",
    b"\xff\xfe": "utf-16",
    b"\xfe\xff": "utf-16",
}

# What separates the cells of a text export: comma, unless its first lines say another of these
# (tab: Excel's "Unicode text" and many systems' .txt; semicolon: where a comma is the decimal point)
DELIMITERS = {",": "comma", "\t": "tab", ";": "semicolon", "|": "bar"}

# The longest cell a CSV may have, in characters (csv's own default is 131,072);
# HOTLINE_MAX_FIELD_CHARS overrides it. A row with a longer cell is a malformed row.
MAX_FIELD_CHARS = 1_000_000

# A quoted cell may run over at most this many physical lines; see _parse_csv.
MAX_CELL_LINES = 100

# How far down a header row is looked for, below a title and such (leading_rows)
HEADER_SEARCH_ROWS = 20

# Characters no export means to have: NUL and the zero-width ones (U+FEFF inside the text is a
# stray BOM, e.g. from concatenated exports). They are removed from every header and cell.
INVISIBLE_CHARACTERS = "\x00\u200b\u200c\u200d\u2060\ufeff"
_INVISIBLE = re.compile(f"[{INVISIBLE_CHARACTERS}]")
_INVISIBLE_RE2 = "[" + "".join(f"\\x{{{ord(c):x}}}" for c in INVISIBLE_CHARACTERS) + "]"


@dataclass
class SheetPart:
    """A later sheet of a workbook whose records were appended to those of the sheet read first."""

    name: str
    rows: int
    header_row: int  # 0: none, the sheet continues the one before it (read_headerless_sheet)
    preamble: list[tuple[int, str]]  # as RawExport's, in this sheet
    total_rows: list[tuple[int, str]]


@dataclass
class RawExport:
    """The cells of one export as text, with the row number each had in the file (header = 1).

    A CSV row number counts records, as a spreadsheet shows them: a quoted cell running over
    several lines is one row. A malformed row keeps the raw text of the physical lines it spans.
    `cells` is a frame, or (the fast CSV path) the header and one Arrow string array per column:
    the loader concatenates those of a batch and makes one frame of them (a frame per file costs
    more than the file's parse).
    """

    cells: pd.DataFrame | tuple[list[str], list[pa.Array]]
    row_numbers: list[int]
    file_format: str
    encoding: str | None
    malformed_rows: list[tuple[int, str]] = field(default_factory=list)  # (row number, raw text)
    # why each malformed row was kept aside, by row number (the loader may quote it as the reason)
    malformed_reasons: dict[int, str] = field(default_factory=dict)
    # the non-blank rows above a header that is not on the first row (a title, the export's time),
    # as (row number, their cells joined): not records, so neither loaded nor quarantined
    preamble: list[tuple[int, str]] = field(default_factory=list)
    header_row: int = 1  # where the header was read
    other_sheets: list[str] = field(default_factory=list)  # a workbook's other sheets with data: not read
    sheet: str | None = None  # the sheet read, when not the first (which held no header)
    sheet_name: str | None = None  # a workbook's sheet read, whichever it is
    # the later sheets whose records follow this sheet's (an export split over sheets), in order
    appended_sheets: list[SheetPart] = field(default_factory=list)
    # a total under the records (合计：N 条, Total): (row number, its cells joined); not a record
    total_rows: list[tuple[int, str]] = field(default_factory=list)
    undecodable_lines: int = 0  # lines of a text export with bytes its encoding cannot decode (_decoded)
    # the records an API's reply says it holds in all ({"total": 900, "list": [...]}): a page is less
    declared_records: int | None = None

    @property
    def header(self) -> list[str]:
        return list(self.cells.columns) if isinstance(self.cells, pd.DataFrame) else list(self.cells[0])

    @property
    def rows(self) -> int:
        return len(self.cells) if isinstance(self.cells, pd.DataFrame) else len(self.row_numbers)

    @property
    def has_typed_cells(self) -> bool:
        """Read from a workbook's typed cells (dates as dates), not from text."""
        return self.file_format.split()[0] in ("xlsx", "xlsm", "xls", "ods") or self.file_format.startswith("xml")

    @cached_property
    def frame(self) -> pd.DataFrame:
        return self.cells if isinstance(self.cells, pd.DataFrame) else arrow_frame(self.cells[1], self.cells[0])

    def rename_headers(self, renamed: dict[str, str]) -> None:
        """Headers renamed (old → new), in the cells and any frame made of them."""
        header = [renamed.get(name, name) for name in self.header]
        if isinstance(self.cells, pd.DataFrame):
            self.cells.columns = header
        else:
            self.cells = (header, self.cells[1])
        if "frame" in self.__dict__:
            self.__dict__["frame"].columns = header

    def row_sheets(self) -> list[str] | None:
        """The sheet each row was read from, when a workbook's rows come from more than one sheet
        or not from its first; None otherwise (a CSV, the usual one-sheet workbook)."""
        if self.appended_sheets:
            first = self.rows - sum(part.rows for part in self.appended_sheets)
            names = [self.sheet_name] * first
            for part in self.appended_sheets:
                names += [part.name] * part.rows
            return names
        return [self.sheet] * self.rows if self.sheet else None

    def arrow_columns(self) -> list[pa.Array | pa.ChunkedArray]:
        """The cells as one Arrow large_string array per column (no copy where they already are)."""
        if not isinstance(self.cells, pd.DataFrame):
            return self.cells[1]
        return [pa.array(self.cells.iloc[:, j], type=pa.large_string()) for j in range(self.cells.shape[1])]


def max_field_chars() -> int:
    """The longest CSV cell read, in characters: HOTLINE_MAX_FIELD_CHARS if set, else MAX_FIELD_CHARS."""
    return settings.max_field_chars(MAX_FIELD_CHARS)


def remove_invisible(text: str) -> str:
    """The text without NUL and zero-width characters (a quick scan when it has none)."""
    for character in INVISIBLE_CHARACTERS:
        if character in text:  # str.replace per character is ~40x faster than str.translate here
            text = text.replace(character, "")
    return text


# A text export whose bytes do not all decode is still read when one line, or at most this share
# of its lines (and not its first), hold bytes that do not: a system that cuts a long cell at a
# number of bytes may cut a character in half. Those bytes read as U+FFFD; a row with one in a
# column its profile reads (but free text) is quarantined (loader.undecodable_problems). More,
# and the file is in another encoding.
MAX_UNDECODABLE_LINE_SHARE = 0.05
UNDECODABLE = "\ufffd"


def decode_csv(data: bytes, path: Path) -> tuple[str, str]:
    """Decode CSV bytes: UTF-8 if it decodes cleanly, else GB18030; a UTF-8 BOM is dropped first.
    UTF-16 and UTF-32 are read by their byte-order mark. (Text with a few undecodable bytes:
    _decoded.)"""
    text, encoding, _ = _decoded(data, path)
    return text, encoding


def _decoded(data: bytes, path: Path) -> tuple[str, str, int]:
    """decode_csv's text and encoding, and how many lines hold bytes the encoding cannot decode
    (read as U+FFFD): when neither UTF-8 nor GB18030 decodes the whole file, the one that decodes
    all but at most MAX_UNDECODABLE_LINE_SHARE of its lines, the first line included.

    Some tools put a UTF-8 BOM in front of a GB18030 body; that body is read as GB18030.
    """
    for mark, encoding in UNICODE_BOMS.items():
        if data.startswith(mark):
            try:
                return data.decode(encoding).removeprefix("\ufeff"), encoding, 0
            except UnicodeDecodeError as error:
                raise PipelineError(
                    f"{path}: starts as {encoding.upper()} but is not ({_one_line(error)}); "
                    "re-export the file as UTF-8 or GB18030 CSV"
                ) from error
    bom = data.startswith(UTF8_BOM)
    body = data[len(UTF8_BOM) :] if bom else data
    labels = {"utf-8": "utf-8-sig" if bom else "utf-8", "gb18030": "gb18030 (after a UTF-8 BOM)" if bom else "gb18030"}
    try:
        return body.decode("utf-8"), labels["utf-8"], 0
    except UnicodeDecodeError:
        pass
    try:
        return body.decode("gb18030"), labels["gb18030"], 0
    except UnicodeDecodeError as error:
        failure = error
    best = None
    for encoding in ("utf-8", "gb18030"):  # UTF-8 first: its bytes often read as GB18030, not the reverse
        text = body.decode(encoding, errors="replace")
        lines = text.splitlines()
        bad = sum(UNDECODABLE in line for line in lines)
        fits = lines and UNDECODABLE not in lines[0] and bad <= max(1, len(lines) * MAX_UNDECODABLE_LINE_SHARE)
        if fits and (best is None or bad < best[2]):
            best = (text, labels[encoding], bad)
    if best is not None:
        return best
    where = f"byte {failure.start + (len(UTF8_BOM) if bom else 0)}"
    after = " after its UTF-8 BOM" if bom else ""
    raise PipelineError(
        f"{path}: neither UTF-8 nor GB18030{after} ({where}); re-export the file as UTF-8 or GB18030 CSV"
    ) from failure


class _LineFeed:
    """Hands a file's physical lines to csv.reader one at a time, so each record's lines are known.

    `position` is the next line handed over; setting it moves the reader (between records).
    Iteration stops, as if the file ended there, once the current record (from `record_start`)
    has taken MAX_CELL_LINES lines; `cut` then says so, and a new iteration goes on from `position`.
    """

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.position = 0
        self.record_start = 0
        self.cut = False

    def __iter__(self) -> Iterator[str]:
        lines, count = self.lines, len(self.lines)
        while self.position < count:
            if self.position - self.record_start >= MAX_CELL_LINES:
                self.cut = True
                return
            self.position += 1
            yield lines[self.position - 1]


def delimiter_of(text: str) -> str:
    """The cell separator of a text export: of DELIMITERS, the one that splits most of its first
    records into the same, largest number of cells (a title line above the header splits into
    none); on a tie, the one that does so on more records, then the comma. Records are split as
    the csv module reads them (a separator inside a quoted cell does not count); without a
    quote in the first lines, counting the separators of each line gives the same, quicker."""
    sample = text[: 1 << 14]  # enough for the first lines of any export
    quoted = '"' in sample
    lines = [] if quoted else [line for line in sample.splitlines()[:50] if line.strip()]
    best, rank = ",", (0, 0)
    for delimiter in DELIMITERS:
        if quoted:
            records = _csv_records(sample, 50, delimiter)
            separators = [len(cells) - 1 for cells in records if "".join(cells).strip()]
        else:
            separators = [line.count(delimiter) for line in lines]
        cells, lines_with = Counter(separators).most_common(1)[0] if separators else (0, 0)
        if cells and 2 * lines_with >= len(separators) and (cells, lines_with) > rank:
            best, rank = delimiter, (cells, lines_with)
    return best


def _looks_like_a_record(line: str, columns: int, delimiter: str) -> bool:
    """Whether one physical line, read on its own, is a whole record of `columns` cells."""
    if line.count('"') % 2:
        return False  # an odd number of quotes: it closes (or opens) a cell running over lines
    try:
        return len(next(csv.reader([line], delimiter=delimiter), [])) == columns
    except csv.Error:
        return False


def _ends_inside_quotes(text: str, delimiter: str = ",") -> bool:
    """Whether the text ends inside a quoted cell, followed as csv reads it (not strictly: text
    after a closing quote stays in the cell). csv alone reads such a cell to the end, quietly;
    its strict mode would stop at the first other fault (`"a"b`) before telling."""
    state = "start"  # of a cell; then "plain", "quoted", or "quote" (a quote inside a quoted cell)
    for char in text:
        if state == "quoted":
            if char == '"':
                state = "quote"
        elif state == "quote" and char == '"':
            state = "quoted"  # a doubled quote
        elif char in (delimiter, "\r", "\n"):
            state = "start"
        elif state == "start" and char == '"':
            state = "quoted"
        else:
            state = "plain"
    return state == "quoted"


def _raw(lines: list[str], start: int, end: int) -> str:
    """The original text of physical lines start..end-1, without the last line end."""
    return "".join(lines[start:end]).rstrip("\r\n")


@dataclass
class _ParsedCsv:
    header: list[str]
    rows: list[list[str]] | list[pa.Array]  # _parse_by_lines gives the columns, as Arrow arrays
    row_numbers: list[int]
    malformed: list[tuple[int, str]]
    reasons: dict[int, str]


def _parse_csv(lines: list[str], path: Path, header_row: int = 1, delimiter: str = ",") -> _ParsedCsv:
    """Parse physical lines into the header, the good rows and the malformed rows.

    An unclosed quote makes csv read every following line into one cell. The rule here: when a
    record runs over several physical lines and one of its continuation lines, read on its own,
    has an even number of quotes and exactly the header's number of cells (the header having at
    least 3), that line is taken as the next record: the lines before it are one malformed row
    and reading resumes at it. (The line that closes a real multi-line cell has an odd number of
    quotes, so it never looks like a record.) A quoted cell running over more than MAX_CELL_LINES
    lines with no such line is taken as unclosed too: its first line is a malformed row and
    reading resumes at the next line. A last row that ends inside a quoted cell (a file cut short)
    is malformed, and so is a row csv rejects (a cell over the field-size limit). A header row
    with an unclosed quote rejects the file. Blank rows are skipped, as spreadsheets do, but keep
    their row number. The records before `header_row` are the preamble (`preamble_of`).
    """
    feed = _LineFeed(lines)
    header: list[str] | None = None
    columns = 0
    rows: list[list[str]] = []
    numbers: list[int] = []
    malformed: list[tuple[int, str]] = []
    reasons: dict[int, str] = {}
    number = 0

    def set_aside(start: int, end: int, reason: str) -> None:
        malformed.append((number, _raw(lines, start, end)))
        reasons[number] = reason

    while feed.position < len(lines):
        reader = csv.reader(feed, delimiter=delimiter)
        while True:
            start = feed.position
            error = None
            try:
                cells = next(reader)
            except StopIteration:
                break
            except csv.Error as csv_error:  # with strict off, only a cell over the field-size limit
                cells, error = [], csv_error
            end, cut = feed.position, feed.cut
            feed.record_start, feed.cut = end, False
            number += 1
            if error is not None:
                too_long = "field limit" in str(error)
                problem = f"a cell is longer than {csv.field_size_limit()} characters" if too_long else str(error)
                if header is None:
                    raise PipelineError(
                        f"{path}: the header row (line {start + 1}) cannot be read: {problem}; fix it and re-export"
                    )
                set_aside(start, end, problem)
                continue
            if header is None:
                if not "".join(cells).strip() or number < header_row:
                    continue
                if end - start > 1 or (end == len(lines) and _ends_inside_quotes(lines[start], delimiter)):
                    raise PipelineError(
                        f"{path}: the header row (line {start + 1}) has an unclosed quote; fix it and re-export"
                    )
                header = [cell.strip() for cell in cells]
                columns = len(header)
                continue
            if end - start > 1:
                resume = None
                if columns >= 3:
                    resume = next(
                        (at for at in range(start + 1, end) if _looks_like_a_record(lines[at], columns, delimiter)),
                        None,
                    )
                if resume is None and cut:
                    resume = start + 1
                if resume is not None:
                    set_aside(start, resume, "an unclosed quote (the row ran into the lines after it)")
                    feed.position = feed.record_start = resume
                    continue
            if not "".join(cells).strip():
                continue
            if end == len(lines) and _ends_inside_quotes("".join(lines[start:end]), delimiter):
                set_aside(start, end, "an unclosed quote at the end of the file (was the file cut short?)")
                continue
            if len(cells) > columns and not "".join(cells[columns:]).strip():
                cells = cells[:columns]  # empty cells after the last column (a stray separator) hold nothing
            if len(cells) == columns:
                rows.append(cells)
                numbers.append(number)
            else:
                set_aside(start, end, f"row has {len(cells)} cells, the header has {columns}")
    if header is None:
        raise PipelineError(f"{path}: the file is empty (no header row); re-export it with its header row")
    return _ParsedCsv(header, rows, numbers, malformed, reasons)


def _parse_by_lines(text: str, header_row: int = 1, delimiter: str = ",") -> _ParsedCsv | None:
    """The same parse as _parse_csv for the common export, with no per-row Python work: one
    physical line is one record (no quote character anywhere, or every line a run of plain and
    quoted cells, each quoted cell closed on its line: _well_quoted_lines), no line ended by a
    lone \r, no cell over the field-size limit and a header on line `header_row`. None for any
    other file, which _parse_csv reads.

    Arrow's CSV reader splits the lines after the header (quoting off, every cell text); a line
    with the wrong number of cells, an empty one included, comes to `wrong_width`, which keeps
    its line number: the good rows' numbers are the others. A row of commas and spaces is blank:
    skipped, keeping its number, as _parse_csv does."""
    if text.count("\r") != text.count("\r\n"):
        return None
    quoted = '"' in text
    if quoted and not _well_quoted_lines(text, delimiter):  # the preamble's too: rows count records
        return None
    if len(text) > max_field_chars() and _longest_line(text) > max_field_chars():
        return None  # a cell may be over the limit: the csv parser says which row, or header
    if header_row > 1:  # the preamble's lines go (_read_csv keeps their text)
        start = 0
        for _ in range(header_row - 1):
            start = text.find("\n", start) + 1
            if not start:
                return None  # fewer lines than that: _parse_csv says what is wrong
        text = text[start:]
    end = text.find("\n")
    first, body = (text, "") if end < 0 else (text[:end], text[end + 1 :])
    first = first.removesuffix("\r")
    if _blank_line(first, delimiter):
        return None
    header = [cell.strip() for cell in _cells(first, delimiter)]
    width = len(header)
    wrong: list[tuple[int, str]] = []  # (line number, text) of lines without `width` cells

    def wrong_width(row: pa_csv.InvalidRow) -> str:
        wrong.append((row.number + header_row, row.text))
        return "skip"

    if not body:  # Arrow takes no data as no CSV at all
        return _ParsedCsv(header, [pa.array([], type=pa.large_string()) for _ in range(width)], [], [], {})
    # a stray separator at the end of every row (the header has none): read, then dropped
    extra = _trailing_empty_cells(body, delimiter, width)
    names = [str(j) for j in range(width + extra)]
    table = pa_csv.read_csv(
        pa.py_buffer(body.encode("utf-8")),
        read_options=pa_csv.ReadOptions(column_names=names, use_threads=False, block_size=1 << 30),
        parse_options=pa_csv.ParseOptions(
            delimiter=delimiter,
            quote_char='"' if quoted else False,
            double_quote=True,
            newlines_in_values=False,
            escape_char=False,
            ignore_empty_lines=False,
            invalid_row_handler=wrong_width,
        ),
        convert_options=pa_csv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.large_string()), strings_can_be_null=False, check_utf8=False
        ),
    )
    columns = [table.column(j).combine_chunks() for j in range(width + extra)]
    if extra:
        blank = [pc.all(pc.match_substring_regex(column, _BLANK_CELL)).as_py() for column in columns[width:]]
        if False in blank:  # something beyond the header's width: the csv parser quarantines those rows
            return None
        columns = columns[:width]
    malformed: list[tuple[int, str]] = []
    reasons: dict[int, str] = {}
    for number, line in wrong:
        if _blank_line(line, delimiter):  # a blank row is skipped but keeps its number
            continue
        if extra:  # a row without the stray separators: the csv parser reads both kinds
            return None
        cells = _cells(line, delimiter)
        if len(cells) > width and not "".join(cells[width:]).strip():
            return None  # empty cells after the last column: _parse_csv reads the row without them
        malformed.append((number, line))
        reasons[number] = f"row has {len(cells)} cells, the header has {width}"
    numbers = np.arange(header_row + 1, len(table) + len(wrong) + header_row + 1)
    if wrong:
        numbers = np.setdiff1d(numbers, [number for number, _ in wrong], assume_unique=True)
    blank = _blank_rows(columns)
    if blank.any():
        columns = [column.filter(pa.array(~blank)) for column in columns]
        numbers = numbers[~blank]
    return _ParsedCsv(header, columns, numbers.tolist(), malformed, reasons)


def _trailing_empty_cells(body: str, delimiter: str, width: int) -> int:
    """How many empty cells the first row that is not blank has after the header's width: a
    system that ends every row with a separator (0 for a row as wide as the header)."""
    for line in body[: 1 << 16].split("\n")[:50]:
        if _blank_line(line.removesuffix("\r"), delimiter):
            continue
        cells = _cells(line.removesuffix("\r"), delimiter)
        if len(cells) > width and not "".join(cells[width:]).strip():
            return len(cells) - width
        return 0
    return 0


def _cells(line: str, delimiter: str) -> list[str]:
    """The cells of one physical line that is a whole record."""
    return next(csv.reader([line], delimiter=delimiter), []) if '"' in line else line.split(delimiter)


def _blank_line(line: str, delimiter: str) -> bool:
    """Whether a line that is a whole record holds nothing in any cell, as _parse_csv skips it."""
    return not "".join(_cells(line, delimiter)).strip()


def _lines(text: str) -> pa.Array:
    """The text's lines (split at \\n), as Arrow strings."""
    return pc.list_flatten(pc.split_pattern(pa.array([text], type=pa.large_string()), "\n"))


def _longest_line(text: str) -> int:
    return pc.max(pc.utf8_length(_lines(text))).as_py() or 0


def _well_quoted_lines(text: str, delimiter: str) -> bool:
    """Whether every line is a run of cells that are plain (no quote) or quoted from their first
    character to their last, a quote inside doubled, so that each line is one record and Arrow's
    reader with quoting reads it as the csv module does. A quote anywhere else (inside a plain
    cell, after a closing one, a cell running over lines) sends the file to _parse_csv.
    One RE2 match over the lines, in Arrow."""
    d = re.escape(delimiter)
    cell = f'(?:[^"{d}\\r\\n]*|"(?:[^"\\r\\n]|"")*")'
    return bool(pc.all(pc.match_substring_regex(_lines(text), f"^{cell}(?:{d}{cell})*\\r?$")).as_py())


def _blank_rows(columns: list[pa.Array]) -> np.ndarray:
    """Which rows hold nothing but what str.strip() strips: the first column tells the few rows
    to look at, the others are looked at on those only."""
    blank = np.zeros(len(columns[0]) if columns else 0, dtype=bool)
    if not len(blank):
        return blank
    candidates = np.flatnonzero(pc.match_substring_regex(columns[0], _BLANK_CELL).to_numpy(zero_copy_only=False))
    for column in columns[1:]:
        if not len(candidates):
            break
        cells = column.take(pa.array(candidates))
        candidates = candidates[pc.match_substring_regex(cells, _BLANK_CELL).to_numpy(zero_copy_only=False)]
    blank[candidates] = True
    return blank


# what a blank row holds: commas and what str.strip() strips (every character str.isspace() accepts)
BLANK_CHARACTERS = (
    ",\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
    "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
# a cell of those only (no comma inside a cell), as an RE2 pattern
_BLANK_CELL = "^[" + "".join(f"\\x{{{ord(c):x}}}" for c in BLANK_CHARACTERS if c != ",") + "]*$"


def arrow_frame(columns: list[pa.Array], header: list[str]) -> pd.DataFrame:
    """A frame of pandas' "string" columns from Arrow string arrays (no copy where pandas keeps
    its strings in Arrow, as pandas 3 does)."""
    if pd.StringDtype().storage == "pyarrow":
        arrays = {j: pd.arrays.ArrowStringArray(column) for j, column in enumerate(columns)}
    else:
        arrays = {j: pd.array(column.to_pylist(), dtype="string") for j, column in enumerate(columns)}
    frame = pd.DataFrame(arrays, index=pd.RangeIndex(len(columns[0]) if columns else 0), copy=False)
    frame.columns = header  # headers may repeat (empty ones): read_export names those
    return frame


def _csv_text(path: Path, *, whole_read: bool = True) -> tuple[str, str, int]:
    kept = _take(path, 0, whole_read=whole_read)
    if kept is not None:
        return kept
    text, encoding, undecodable = _decoded(path.read_bytes(), path)
    decoded = (remove_invisible(text), encoding, undecodable)
    if not whole_read:
        _keep(path, 0, decoded)
    return decoded


def _csv_records(text: str, count: int, delimiter: str) -> list[list[str]]:
    """The first `count` records of a CSV text (a blank line is a record of no cells), as far as
    they can be read: from its first 256 KB when they hold one record more (the last may be cut
    there), else from the whole text (a StringIO copies the text it is given)."""
    if len(text) > 1 << 18:
        records = _csv_records(text[: 1 << 18], count + 1, delimiter)
        if len(records) > count:
            return records[:count]
    records = []
    try:
        for cells in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            records.append(cells)
            if len(records) == count:
                break
    except csv.Error:  # an over-long cell: what came before it is what there is to look at
        pass
    return records


def _read_csv(path: Path, header_row: int = 1) -> RawExport:
    text, encoding, undecodable = _csv_text(path)
    delimiter = delimiter_of(text)
    file_format = "csv" if delimiter == "," else f"csv ({DELIMITERS[delimiter]}-separated)"
    preamble = preamble_of(_csv_records(text, header_row - 1, delimiter)) if header_row > 1 else []
    read = {"file_format": file_format, "encoding": encoding, "preamble": preamble, "undecodable_lines": undecodable}
    parsed = _parse_by_lines(text, header_row, delimiter)
    if parsed is not None:
        columns = parsed.rows
        if '="' in text:  # quoted, so read by lines only since quoted cells are
            columns = [_formula_text_unwrapped_column(column) for column in columns]
        cells = (parsed.header, columns)
        return RawExport(
            cells, parsed.row_numbers, malformed_rows=parsed.malformed, malformed_reasons=parsed.reasons, **read
        )
    # universal line ends (\r\n, \n, and old Mac \r) split the lines; each keeps its own line end
    lines = io.StringIO(text, newline="").readlines()
    formula_text = '="' in text
    del text
    previous_limit = csv.field_size_limit(max_field_chars())
    try:
        parsed = _parse_csv(lines, path, header_row, delimiter)
    finally:
        csv.field_size_limit(previous_limit)
    frame = pd.DataFrame(parsed.rows, columns=parsed.header, dtype="string")
    if formula_text:
        _formula_text_unwrapped(frame)
    return RawExport(
        frame, parsed.row_numbers, malformed_rows=parsed.malformed, malformed_reasons=parsed.reasons, **read
    )


# ="0513..." : how many systems write a number that must stay text (a leading zero, an 18-digit
# id) into a CSV, so that Excel shows 0513... and not 5.13E+9; Excel shows the text inside
_FORMULA_TEXT = r'^="(.*)"$'


def _formula_text_unwrapped_column(column: pa.Array) -> pa.Array:
    """_formula_text_unwrapped of one Arrow column."""
    if not pc.any(pc.starts_with(column, '="')).as_py():
        return column
    return pc.replace_substring_regex(column, _FORMULA_TEXT, r"\1")


def _formula_text_unwrapped(frame: pd.DataFrame) -> None:
    """Each ="…" cell as the text Excel shows for it, in place."""
    for position in range(frame.shape[1]):
        column = frame.iloc[:, position]
        if column.str.startswith('="').any():
            frame.isetitem(position, column.str.replace(_FORMULA_TEXT, r"\1", regex=True))


def _cell_text(value: object) -> str:
    if type(value) is dt.datetime and value.tzinfo is None and value.year >= 1000:
        return value.isoformat(" ", "seconds")  # what the strftime below gives, in a third of the time
    if isinstance(value, str):
        return _INVISIBLE.sub("", value)
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# Within `reads_kept()`, a file's decoded text and each sheet's rows, from a first look at its
# first rows (leading_rows) to the read of the whole file that follows (read_export takes them
# out): calamine parses a whole sheet, and a text file is decoded whole, even for 20 rows.
# (per thread: a thread's reads are its own)
_reads = threading.local()


def _kept() -> dict[tuple[Path, int], object] | None:
    return getattr(_reads, "kept", None)


@contextmanager
def reads_kept() -> Iterator[None]:
    """Keep what leading_rows decodes or parses for the read_export of the same file or sheet."""
    _reads.kept = {}
    try:
        yield
    finally:
        workbooks = [value for (_, part), value in _reads.kept.items() if part == _WORKBOOK]
        _reads.kept = None
        for workbook in workbooks:
            workbook.close()


_WORKBOOK = -1  # the part under which an open workbook is kept


@contextmanager
def _workbook(path: Path) -> Iterator[object]:
    """The workbook open (calamine reads its shared strings on opening): within reads_kept(),
    opened once and closed at its end."""
    from python_calamine import CalamineWorkbook

    kept = _take(path, _WORKBOOK, whole_read=False)
    if kept is not None:
        yield kept
        return
    workbook = CalamineWorkbook.from_path(str(path))
    if _kept() is not None:
        _keep(path, _WORKBOOK, workbook)
        yield workbook
        return
    try:
        yield workbook
    finally:
        workbook.close()


def _keep(path: Path, part: int, value: object) -> None:
    kept = _kept()
    if kept is not None:
        kept[(path, part)] = value


def _take(path: Path, part: int, *, whole_read: bool) -> object | None:
    """What was kept of a file (or sheet `part`), taken out by the read of the whole of it."""
    kept = _kept()
    if kept is None:
        return None
    return kept.pop((path, part), None) if whole_read else kept.get((path, part))


def _sheet_rows(
    path: Path, count: int | None = None, sheet: int = 0, other_sheets: bool = True
) -> tuple[list[list[object]], list[str], str]:
    """A sheet's rows from A1 (all of them, or the first `count`; the first sheet unless `sheet`
    says which), the names of the later visible sheets that hold anything (when all rows are
    read and `other_sheets`), and the sheet's name."""
    from python_calamine import SheetVisibleEnum

    try:
        with _workbook(path) as workbook:
            sheets = workbook.sheets_metadata
            if not sheets:
                raise PipelineError(f"{path}: the workbook has no sheets; put the export on its first sheet")
            if sheets[0].visible != SheetVisibleEnum.Visible:
                raise PipelineError(
                    f"{path}: the first sheet {sheets[0].name!r} is hidden; unhide it, or put the export "
                    "on a visible first sheet, and re-export"
                )
            rows = _take(path, sheet, whole_read=count is None)
            if rows is None:
                read = workbook.get_sheet_by_index(sheet)  # parses the whole sheet, whatever `count`
                rows = read.to_python(skip_empty_area=False, nrows=None if _kept() is not None else count)
                _merged_down(rows, read.merged_cell_ranges or [])
                if count is not None:
                    _keep(path, sheet, rows)
            if count is not None:
                rows = rows[:count]
            others = []
            for index, other in enumerate(sheets if count is None and other_sheets else []):
                if index <= sheet or other.visible != SheetVisibleEnum.Visible:  # those before held no header
                    continue
                cells = workbook.get_sheet_by_index(index).to_python()
                if any(str(cell).strip() for row in cells for cell in row):
                    others.append(other.name)
            return rows, others, sheets[sheet].name
    except (PipelineError, OSError):
        raise
    except Exception as error:  # calamine raises its own error types for unreadable files
        if error.__class__.__name__ == "PasswordError" or _encrypted(path):  # Excel's "Encrypt with Password"
            raise PipelineError(
                f"{path}: the workbook is protected by a password; remove it (Excel: File > Info > Protect "
                "Workbook > Encrypt with Password, clear the password) and land the file again, or re-export it"
            ) from error
        raise PipelineError(
            f"{path}: not a readable spreadsheet ({error.__class__.__name__}); re-export it as .xlsx or CSV"
        ) from error


def _encrypted(path: Path) -> bool:
    """An OLE container holding an encrypted Office document (what Excel writes for a workbook
    with a password, whatever its name's suffix)."""
    with path.open("rb") as handle:
        data = handle.read()
    return data.startswith(b"\xd0\xcf\x11\xe0") and "EncryptedPackage".encode("utf-16-le") in data


def _merged_down(rows: list[list[object]], merged: list[tuple[tuple[int, int], tuple[int, int]]]) -> None:
    """Fill, in place, the empty cells under the value of a range merged down a column (a register
    that merges one member's name over the rows of their cases): Excel shows that value on each
    of those rows. A range merged across columns (a title) is left as it is."""
    for (top, column), (bottom, _) in merged:
        if bottom <= top or top >= len(rows) or column >= len(rows[top]):
            continue
        value = rows[top][column]
        for row in rows[top + 1 : bottom + 1]:
            if column < len(row) and row[column] in ("", None):
                row[column] = value


def later_sheets(path: Path) -> list[tuple[int, str]]:
    """The visible sheets after the first of a workbook or XML spreadsheet, (index, name) ([] for
    any other file)."""
    kind = _kind(path) if path.suffix.lower() in EXCEL_SUFFIXES else "text"
    if kind == "spreadsheetml":
        try:
            return [(index, name) for index, (name, _) in enumerate(_spreadsheetml_sheets_kept(path)) if index]
        except PipelineError:  # read_export says what is wrong with the file
            return []
    if kind != "workbook":
        return []
    from python_calamine import SheetVisibleEnum

    try:
        with _workbook(path) as workbook:
            sheets = workbook.sheets_metadata
    except Exception:  # noqa: BLE001 - read_export says what is wrong with the file
        return []
    return [
        (index, sheet.name) for index, sheet in enumerate(sheets) if index and sheet.visible == SheetVisibleEnum.Visible
    ]


def _read_excel(path: Path, header_row: int = 1, sheet: int = 0, other_sheets: bool = True) -> RawExport:
    rows, others, name = _sheet_rows(path, sheet=sheet, other_sheets=other_sheets)
    preamble = preamble_of([[_cell_text(cell) for cell in row] for row in rows[: header_row - 1]])
    if rows and len({len(row) for row in rows}) == 1:
        export = _sheet_export(rows, path, header_row, path.suffix.lstrip(".").lower())
        export.preamble, export.other_sheets = preamble, others
        export.sheet, export.sheet_name = (name if sheet else None), name
        return export
    numbered = []
    for number, row in enumerate(rows, start=1):
        texts = [_cell_text(cell) for cell in row]
        if number >= header_row and "".join(texts).strip():  # blank rows are skipped, but keep their number
            numbered.append((number, texts))
    if not numbered:
        raise PipelineError(f"{path}: the first sheet is empty; put the export on the first sheet")
    (_, header), body = numbered[0], numbered[1:]
    frame = pd.DataFrame([texts for _, texts in body], columns=[cell.strip() for cell in header], dtype="string")
    file_format = path.suffix.lstrip(".").lower()  # xlsx, xlsm, xls or ods
    export = RawExport(frame, [number for number, _ in body], file_format, None, preamble=preamble, other_sheets=others)
    export.sheet, export.sheet_name = (name if sheet else None), name
    return export


def _column_array(column: tuple) -> pa.Array:
    """_cell_text of every cell of a sheet's column, as Arrow text (a column of text, the usual,
    in one Arrow call)."""
    try:
        array = pa.array(column, type=pa.large_string()).fill_null("")  # an empty cell: ""
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        texts = [value if type(value) is str else _cell_text(value) for value in column]
        array = pa.array(texts, type=pa.large_string())
    if pc.any(pc.match_substring_regex(array, _INVISIBLE_RE2)).as_py():
        array = pc.replace_substring_regex(array, _INVISIBLE_RE2, "")
    return array


def _sheet_export(rows: list[list[object]], path: Path, header_row: int = 1, file_format: str = "xlsx") -> RawExport:
    """_read_excel's result for a rectangular sheet, converted column by column in Arrow."""
    columns = [_column_array(column) for column in zip(*rows[header_row - 1 :], strict=True)]
    # blank rows are skipped, but keep their row number
    kept = np.flatnonzero(~_blank_rows(columns)) + (header_row - 1)
    if not len(kept):
        raise PipelineError(f"{path}: the first sheet is empty; put the export on the first sheet")
    header = [column[int(kept[0]) - (header_row - 1)].as_py().strip() for column in columns]
    body = pa.array(kept[1:] - (header_row - 1))
    return RawExport((header, [column.take(body) for column in columns]), (kept[1:] + 1).tolist(), file_format, None)


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split()) or error.__class__.__name__
    return text if len(text) <= 200 else text[:199] + "…"


def _kind(path: Path) -> str:
    """What a file is: "text" (CSV and such), "workbook", "html" or "spreadsheetml": many
    systems' "Excel" exports are an HTML table, tab-separated text or Excel 2003's XML
    Spreadsheet saved with a .xls name, which Excel opens as a sheet. Told by the bytes a .xls
    file starts with (Excel opens an .xlsx only if it is one)."""
    if path.suffix.lower() in CSV_SUFFIXES:
        return "text"
    if path.suffix.lower() != ".xls":
        return "workbook"
    with path.open("rb") as handle:
        start = handle.read(1 << 16)  # Office's pages put a long <style> before the table
    if start.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):  # a zip (xlsx) or an OLE file (xls)
        return "workbook"
    if start.startswith(tuple(UNICODE_BOMS)):  # Excel's "Unicode text" under a .xls name, or XML in UTF-16
        text = start[: 1 << 12].decode(next(v for k, v in UNICODE_BOMS.items() if start.startswith(k)), "ignore")
        return "spreadsheetml" if text.lstrip("\ufeff").startswith("<?xml") and SPREADSHEET_ML in text else "text"
    head = start.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"<?xml") and SPREADSHEET_ML.encode() in head:  # its rows are in a <Table> too
        return "spreadsheetml"
    page = head.startswith((b"<html", b"<!doctype html", b"<table", b"<meta")) or b"<table" in head[:4096]
    if page or (head.startswith(b"<?xml") and b"<html" in head):  # XHTML has a prologue
        return "html"
    lines = start.split(b"\n")[:5]  # a title line may come first
    if b"\x00" not in start and any(d.encode() in line for line in lines for d in DELIMITERS):
        return "text"
    return "workbook"  # calamine says what is wrong with it


_HTML_SPACES = re.compile(r"[ \t\r\n\f]+")


class _HtmlTables(HTMLParser):
    """The rows of each <table> of an HTML page, as the text of their cells: a cell spanning
    columns is followed by empty ones, and one spanning rows puts its text in the rows below
    (as _merged_down reads a sheet's merged cells)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self._open: list[list[list[str]]] = []  # tables being read (nested ones on top)
        self._below: list[dict[int, list]] = []  # per open table: column -> [rows left, text]
        self._cell: list[str] | None = None
        self._span = (1, 1)  # the open cell's columns and rows

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._open.append([])
            self._below.append({})
        elif tag == "tr" and self._open:
            self._end_row()
            self._open[-1].append([])
        elif tag in ("td", "th") and self._open:
            self._end_cell()
            if not self._open[-1]:
                self._open[-1].append([])  # a cell before any <tr>
            self._cell = []
            found = dict(attrs)
            self._span = tuple(
                min(int(span), 1000) if span and span.strip().isdigit() and int(span) > 0 else 1
                for span in (found.get("colspan"), found.get("rowspan"))
            )
        elif tag == "br" and self._cell is not None:
            self._cell.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th"):
            self._end_cell()
        elif tag == "tr":
            self._end_row()
        elif tag == "table" and self._open:
            self._end_row()
            self.tables.append(self._open.pop())
            self._below.pop()

    def handle_data(self, data: str) -> None:
        if self._cell is not None:  # spaces and line ends in the page show as one space
            self._cell.append(_HTML_SPACES.sub(" ", data))

    def close(self) -> None:
        super().close()
        while self._open:  # tables left unclosed at the end of the page
            self.handle_endtag("table")

    def _end_cell(self) -> None:
        if self._cell is not None and self._open and self._open[-1]:
            row, below = self._open[-1][-1], self._below[-1]
            self._spanned_from_above(row, below)
            text = "\n".join(line.strip() for line in "".join(self._cell).split("\n")).strip()
            columns, rows = self._span
            if rows > 1:
                below[len(row)] = [rows - 1, text]
                below.update({len(row) + j: [rows - 1, ""] for j in range(1, columns)})
            row += [text] + [""] * (columns - 1)
        self._cell = None

    def _end_row(self) -> None:
        self._end_cell()
        if self._open and self._open[-1]:
            self._spanned_from_above(self._open[-1][-1], self._below[-1])

    @staticmethod
    def _spanned_from_above(row: list[str], below: dict[int, list]) -> None:
        """The texts of cells above that span down into this row, where it has reached them."""
        while len(row) in below:
            left, text = below[len(row)]
            row.append(text)
            if left == 1:
                del below[len(row) - 1]
            else:
                below[len(row) - 1][0] = left - 1


def _html_rows(path: Path) -> list[list[str]]:
    """The rows of the largest table of an HTML file, as wide as its widest row."""
    text, _ = decode_csv(path.read_bytes(), path)  # UTF-8, else GB18030 (GBK and GB2312 are part of it)
    parser = _HtmlTables()
    parser.feed(text)
    parser.close()
    if not any(parser.tables):
        raise PipelineError(
            f"{path}: not a readable spreadsheet (a web page without a table: a login or error page saved "
            "instead of the export?); re-export it as .xlsx or CSV"
        )
    rows = max(parser.tables, key=len)
    width = max(len(row) for row in rows)
    return [[_INVISIBLE.sub("", cell) for cell in row] + [""] * (width - len(row)) for row in rows]


def _read_html(path: Path, header_row: int = 1) -> RawExport:
    rows = _html_rows(path)
    export = _sheet_export(rows, path, header_row, f"html table named {path.suffix.lower()}")
    export.preamble = preamble_of(rows[: header_row - 1])
    return export


# Excel 2003's "XML Spreadsheet", which many older systems still write under a .xls name
SPREADSHEET_ML = "urn:schemas-microsoft-com:office:spreadsheet"
_SS = "{" + SPREADSHEET_ML + "}"
_EXCEL = "{urn:schemas-microsoft-com:office:excel}"  # WorksheetOptions: a sheet hidden


def _spreadsheetml_sheets(path: Path) -> list[tuple[str, list[list[object]]]]:
    """The worksheets of an XML Spreadsheet 2003 file, (name, rows), their rows as _sheet_rows
    gives a workbook's: ss:Index skips rows and cells, a cell merged across columns is followed
    by empty ones, one merged down puts its value in the rows below (as Excel shows it, and
    _merged_down reads a workbook), numbers and times become values. (Python's expat reads no
    external entity and caps entity expansion: a hostile file cannot make it fetch or blow up.)"""
    sheets: list[tuple[str, list[list[object]]]] = []
    rows: list[list[object]] = []
    row: list[object] = []
    # a cell merged down: column → (the last row it covers, by position in `rows`; its value)
    down: dict[int, tuple[int, object]] = {}
    hidden: set[int] = set()  # sheets by position

    def pad(width: int) -> None:
        """The row being read, to `width` cells: empty, or under a cell merged down, its value."""
        while len(row) < width:
            last, value = down.get(len(row), (-1, ""))
            row.append(value if last >= len(rows) else "")

    def covered_width() -> int:
        return max((column + 1 for column, (last, _) in down.items() if last >= len(rows)), default=0)

    # decoded here, not by expat: it reads no multi-byte encoding (GBK, GB2312) but UTF-8 and UTF-16
    try:
        text, _ = decode_csv(path.read_bytes(), path)
    except PipelineError:
        problem = "the XML spreadsheet's text is neither UTF-8 nor GB18030"
        raise PipelineError(f"{path}: {problem}; re-export it as .xlsx or CSV") from None
    parser = ElementTree.XMLPullParser(events=("start", "end"))

    def events() -> Iterator[tuple[str, ElementTree.Element]]:
        for start in range(0, len(text), 1 << 20):
            parser.feed(text[start : start + (1 << 20)])
            yield from parser.read_events()
        parser.close()
        yield from parser.read_events()

    collecting = gc.isenabled()
    gc.disable()  # the parse keeps every row it read: full collections would walk them over and over
    try:
        for event, element in events():
            tag = element.tag
            if event == "start":
                if tag == _SS + "Worksheet":
                    rows, down = [], {}
                    sheets.append((element.get(_SS + "Name") or f"Sheet{len(sheets) + 1}", rows))
                elif tag == _SS + "Row":
                    # rows skipped by ss:Index: empty, but for cells merged down over them
                    while len(rows) < int(element.get(_SS + "Index") or len(rows) + 1) - 1:
                        row = []
                        pad(covered_width())
                        rows.append(row)
                    row = []
            elif tag == _SS + "Cell":
                pad(int(element.get(_SS + "Index") or len(row) + 1) - 1)
                data = element.find(_SS + "Data")
                row.append(_spreadsheetml_value(data) if data is not None else "")
                if int(element.get(_SS + "MergeDown") or 0):
                    down[len(row) - 1] = (len(rows) + int(element.get(_SS + "MergeDown")), row[-1])
                row.extend("" for _ in range(int(element.get(_SS + "MergeAcross") or 0)))
                element.clear()
            elif tag == _SS + "Row":
                pad(covered_width())
                rows.append(row)
                element.clear()
            elif tag == _EXCEL + "Visible" and (element.text or "").strip() in ("SheetHidden", "SheetVeryHidden"):
                hidden.add(len(sheets) - 1)
    except ElementTree.ParseError as error:
        problem = f"not a readable XML spreadsheet ({error})"
        raise PipelineError(f"{path}: {problem}; re-export it as .xlsx or CSV") from error
    finally:
        if collecting:
            gc.enable()
    if not sheets:
        raise PipelineError(f"{path}: the XML spreadsheet has no worksheet; put the export on its first sheet")
    if 0 in hidden:
        raise PipelineError(
            f"{path}: the first sheet {sheets[0][0]!r} is hidden; unhide it, or put the export "
            "on a visible first sheet, and re-export"
        )
    visible = []  # as a workbook's hidden sheets are not read
    for index, (name, rows) in enumerate(sheets):
        if index not in hidden:
            width = max(map(len, rows), default=0)
            visible.append((name, [[*line, *[""] * (width - len(line))] for line in rows]))
    return visible


_SPREADSHEETML = -2  # the part under which an XML spreadsheet's worksheets are kept


def _spreadsheetml_sheets_kept(path: Path) -> list[tuple[str, list[list[object]]]]:
    sheets = _take(path, _SPREADSHEETML, whole_read=False)
    if sheets is None:
        sheets = _spreadsheetml_sheets(path)
        _keep(path, _SPREADSHEETML, sheets)
    return sheets


def _spreadsheetml_rows(path: Path, sheet: int = 0) -> tuple[list[list[object]], list[str], str]:
    """A worksheet's rows (the first unless `sheet` says which), the names of the later ones that
    hold anything, and its name. Within reads_kept(), the file is parsed once for every look at
    it (its first rows, each worksheet's whole read)."""
    sheets = _spreadsheetml_sheets_kept(path)
    if sheet >= len(sheets):
        raise PipelineError(f"{path}: the XML spreadsheet has no sheet {sheet + 1}")
    others = [name for name, cells in sheets[sheet + 1 :] if any(str(cell).strip() for line in cells for cell in line)]
    name, rows = sheets[sheet]
    return rows, others, name


def _spreadsheetml_value(data: ElementTree.Element) -> object:
    """A cell's value as calamine gives a workbook's: text, a number or a time (ss:Type)."""
    text = "".join(data.itertext())  # rich text (ss:Data with html:Font inside) is its text
    kind = data.get(_SS + "Type")
    try:
        if kind == "Number":
            return float(text)
        if kind == "DateTime":
            value = dt.datetime.fromisoformat(text)
            return value.time() if value.date() == dt.date(1899, 12, 31) else value  # a time of day alone
        if kind == "Boolean":
            return text.strip() == "1"
    except ValueError:
        pass  # kept as written: the checks say what is wrong with it
    return text


def _read_spreadsheetml(path: Path, header_row: int = 1, sheet: int = 0) -> RawExport:
    rows, others, name = _spreadsheetml_rows(path, sheet)
    texts = [[_cell_text(cell) for cell in row] for row in rows]
    if not texts or not any("".join(row).strip() for row in texts[header_row - 1 :]):
        raise PipelineError(f"{path}: sheet {name} is empty; put the export on the first sheet")
    export = _sheet_export(texts, path, header_row, f"xml spreadsheet named {path.suffix.lower()}")
    export.preamble, export.other_sheets = preamble_of(texts[: header_row - 1]), others
    export.sheet, export.sheet_name = (name if sheet else None), name
    return export


# --- JSON -------------------------------------------------------------------------------------

# where a JSON export keeps its records, when it is an object: the longest list of objects
# (or of rows under a column list) found this deep ({"code": 0, "data": {"list": [...]}})
JSON_SEARCH_DEPTH = 4


def _json_text(value: object) -> str:
    """A JSON value as a cell: text as it is, numbers as written (1.0 → 1), true/false, null → ""."""
    if value is None:
        return ""
    if isinstance(value, str):
        return remove_invisible(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(value, ensure_ascii=False)  # a list: kept as its JSON


def _flattened(record: dict, prefix: str = "") -> dict[str, str]:
    """A record's cells: nested objects become dotted names (location.latitude)."""
    cells: dict[str, str] = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            cells.update(_flattened(value, f"{name}."))
        else:
            cells[name] = _json_text(value)
    return cells


HIDDEN_COLUMN = ":hidden"  # Socrata's own columns (:sid, :created_at, …), left out
RECORD_KEYS = ("data", "list", "rows", "records", "items", "results", "result", "content")
# where an API's reply says how many records there are in all (over every page)
TOTAL_KEYS = (
    "total",
    "totalcount",
    "total_count",
    "totalelements",
    "totalrecords",
    "recordstotal",
    "totalnum",
    "totalsize",
    "totalrows",
    "total_rows",
    "recordcount",
    "record_count",
)  # fmt: skip (count: a page's)


def _declared_total(value: object, depth: int = 0) -> int | None:
    """The record count an API's reply states beside its records, the shallowest found."""
    if not isinstance(value, dict) or depth > JSON_SEARCH_DEPTH:
        return None
    for key, child in value.items():
        counted = isinstance(child, int) or (isinstance(child, str) and child.strip().isdigit())
        if key.lower() in TOTAL_KEYS and counted and not isinstance(child, bool):
            return int(child)
    found = (_declared_total(child, depth + 1) for child in value.values() if isinstance(child, dict))
    return next((total for total in found if total is not None), None)


def _json_records(value: object, depth: int = 0) -> tuple[list[object], list[str] | None, int] | None:
    """The records of a parsed JSON export, the column names when its rows are lists, and the
    first record's number: a list of objects; a list of rows after a header row (the header is
    row 1); Socrata's `rows.json` (meta.view.columns and data); or, inside an object, the longest
    such list."""
    if isinstance(value, list):
        if value and all(isinstance(row, list) for row in value) and all(isinstance(c, str) for c in value[0]):
            return value[1:], [str(name) for name in value[0]], 2  # a header row, then rows
        if any(isinstance(record, dict) for record in value):
            return value, None, 1
        return None
    if not isinstance(value, dict) or depth > JSON_SEARCH_DEPTH:
        return None
    meta = value.get("meta")
    columns = (
        meta.get("view", {}).get("columns") if isinstance(meta, dict) and isinstance(meta.get("view"), dict) else None
    )
    if isinstance(columns, list) and isinstance(value.get("data"), list):  # Socrata's rows.json
        names = [
            HIDDEN_COLUMN if str(column.get("fieldName", "")).startswith(":") else str(column.get("name"))
            for column in columns
            if isinstance(column, dict)
        ]
        return value["data"], names, 1
    found = {key: _json_records(child, depth + 1) for key, child in value.items()}
    found = {key: records for key, records in found.items() if records}
    for key in RECORD_KEYS:  # where APIs put their records, before a longer list of something else
        if key in found:
            return found[key]
    return max(found.values(), key=lambda records: len(records[0])) if found else None


def _parsed_or_none(text: str) -> object:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return None


_JSON = -3  # the part under which a JSON export's reading is kept (reads_kept)


def _read_json(path: Path, *, whole_read: bool = True) -> RawExport:
    """_parse_json's export, parsed once for the first look at its rows and the whole read."""
    kept = _take(path, _JSON, whole_read=whole_read)
    if kept is None:
        kept = _parse_json(path)
        if not whole_read:
            _keep(path, _JSON, kept)
    return kept


def _parse_json(path: Path) -> RawExport:
    """A JSON export: an array of records (objects), the same under a key of an object, Socrata's
    rows.json, or JSON Lines (one object a line: .jsonl, .ndjson, or a .json that parses so). A
    record's row number is its number in the file (the first is 1; a JSON Lines record's is its
    line); a record that is no object, or a line that is no JSON, is kept aside as malformed."""
    text, encoding, _ = _decoded(path.read_bytes(), path)
    records: list[tuple[int, object]] = []
    malformed: list[tuple[int, str]] = []
    reasons: dict[int, str] = {}
    names: list[str] | None = None
    lines_mode = path.suffix.lower() in (".jsonl", ".ndjson")
    declared = None
    if not lines_mode:
        try:
            parsed = json.loads(text)
            found = _json_records(parsed)
            declared = _declared_total(parsed)
        except json.JSONDecodeError as error:
            lines = [line for line in text.split("\n") if line.strip()]
            if len(lines) < 2 or not isinstance(_parsed_or_none(lines[0]), dict):
                raise PipelineError(
                    f"{path}: not valid JSON at line {error.lineno}, column {error.colno} ({error.msg}); "
                    "re-export the file whole"
                ) from None
            lines_mode = True  # one object a line, under a .json name
        else:
            if found is None:
                raise PipelineError(
                    f"{path}: no list of records in this JSON; export the records as an array of objects"
                )
            rows, names, first = found
            records = list(enumerate(rows, start=first))
    if lines_mode:
        # by line feeds alone: U+2028 and the like may stand inside a value
        for number, line in enumerate(text.removesuffix("\n").split("\n"), start=1):
            line = line.removesuffix("\r")
            if not line.strip():
                continue
            try:
                records.append((number, json.loads(line)))
            except json.JSONDecodeError as error:
                malformed.append((number, line))
                reasons[number] = f"not valid JSON at column {error.colno} ({error.msg})"
    table: list[tuple[int, dict[str, str]]] = []
    for number, record in records:
        if names is not None and isinstance(record, list):
            if len(record) > len(names):  # a cell no column names: which would it be?
                malformed.append((number, json.dumps(record, ensure_ascii=False)))
                reasons[number] = f"a row of {len(record)} cells under {len(names)} columns"
                continue
            record = dict(zip(names, record, strict=False))
            record.pop(HIDDEN_COLUMN, None)
        if not isinstance(record, dict):
            malformed.append((number, json.dumps(record, ensure_ascii=False)))
            reasons[number] = "a record that is no JSON object"
            continue
        table.append((number, _flattened(record)))
    named = [name for name in names or [] if name != HIDDEN_COLUMN]
    header = list(dict.fromkeys([*named, *(name for _, cells in table for name in cells)]))
    if not header:
        raise PipelineError(f"{path}: the JSON holds no records; export the records as an array of objects")
    columns = [pa.array([cells.get(name, "") for _, cells in table], type=pa.large_string()) for name in header]
    export = RawExport(
        (header, columns), [number for number, _ in table], "json lines" if lines_mode else "json", encoding
    )
    export.malformed_rows, export.malformed_reasons = malformed, reasons
    export.declared_records = declared
    return export


def _read(path: Path, header_row: int = 1, sheet: int = 0, other_sheets: bool = True) -> RawExport:
    suffix = path.suffix.lower()
    if suffix not in READABLE_SUFFIXES:
        raise PipelineError(f"{path}: unknown file type {suffix!r}; land exports as .csv, .xlsx, .xls, .ods or .json")
    if suffix in JSON_SUFFIXES:
        return _read_json(path)
    kind = _kind(path)
    if kind == "html":
        return _read_html(path, header_row)
    if kind == "spreadsheetml":
        return _read_spreadsheetml(path, header_row, sheet)
    if kind == "workbook":
        return _read_excel(path, header_row, sheet, other_sheets)
    export = _read_csv(path, header_row)
    if suffix in EXCEL_SUFFIXES:
        export.file_format += f" named {suffix}"
    return export


def preamble_of(rows: list[list[str]]) -> list[tuple[int, str]]:
    """The non-blank rows among these first rows of a file, numbered from 1, their cells joined."""
    joined = [(number, " ".join(cell.strip() for cell in row if cell.strip())) for number, row in enumerate(rows, 1)]
    return [(number, text) for number, text in joined if text]


def leading_rows(path: Path, count: int = HEADER_SEARCH_ROWS, sheet: int = 0) -> list[list[str]]:
    """A file's first `count` rows as text cells (a blank row as it is), to look for the header
    row in: exports from some systems put a title, the time they were taken or who took them
    above it (`sheet`: which sheet of a workbook). PipelineError for a file that cannot be read."""
    try:
        if path.suffix.lower() not in READABLE_SUFFIXES:
            return []
        if path.suffix.lower() in JSON_SUFFIXES:  # the keys are the header, on the first row
            export = _read_json(path, whole_read=False)
            return [export.header, *export.frame.head(count - 1).fillna("").astype(str).values.tolist()]
        kind = _kind(path)
        if kind == "html":
            return [[cell.strip() for cell in row] for row in _html_rows(path)[:count]]
        if kind == "spreadsheetml":
            rows = _spreadsheetml_rows(path, sheet)[0][:count]
            return [[_cell_text(cell).strip() for cell in row] for row in rows]
        if kind == "workbook":
            return [[_cell_text(cell).strip() for cell in row] for row in _sheet_rows(path, count, sheet)[0]]
        text = _csv_text(path, whole_read=False)[0]
        return [[cell.strip() for cell in row] for row in _csv_records(text, count, delimiter_of(text))]
    except PipelineError:
        raise
    except Exception as error:  # noqa: BLE001 - read_export says what is wrong with the file
        raise PipelineError(f"{path}: the file cannot be read ({_one_line(error)})") from error


# the first cell of a total row under the records: 合计, 总计, 小计, 共计, 汇总, 共 N 条, Total, Sum
TOTAL_ROW = re.compile(
    r"(合\s*计|总\s*计|小\s*计|共\s*计|汇\s*总|共\s*[0-9,]+\s*[条件行项笔]|total\b|sum\b)", re.IGNORECASE
)
MAX_TOTAL_ROWS = 3


def _total_rows_set_aside(export: RawExport) -> None:
    """Move up to MAX_TOTAL_ROWS rows at the end of the export that are totals, not records, to
    `total_rows`: the first cell that holds anything starts as TOTAL_ROW says, and at most half
    of the cells hold anything (a record fills most). A malformed last line counts too."""
    width = len(export.header)
    cells = export.cells if isinstance(export.cells, pd.DataFrame) else None
    rows = export.rows
    for _ in range(MAX_TOTAL_ROWS):
        last_good = export.row_numbers[rows - 1] if rows else 0
        if export.malformed_rows and export.malformed_rows[-1][0] > last_good:
            number, line = export.malformed_rows[-1]
            text = " ".join(part.strip(' "') for part in re.split(r"[,\t;|]", line) if part.strip(' "'))
            if not TOTAL_ROW.match(text):
                break
            export.malformed_rows.pop()
            export.malformed_reasons.pop(number, None)
        elif rows:
            if cells is not None:
                values = ["" if pd.isna(value) else str(value) for value in cells.iloc[rows - 1].tolist()]
            else:
                values = [column[rows - 1].as_py() or "" for column in export.cells[1]]
            filled = [value.strip() for value in values if value.strip()]
            if not filled or not TOTAL_ROW.match(filled[0]) or len(filled) > width // 2:
                break
            number, text, rows = last_good, " ".join(filled), rows - 1
        else:
            break
        export.total_rows.insert(0, (number, text))
    if rows < export.rows:
        export.row_numbers = export.row_numbers[:rows]
        if cells is not None:
            export.cells = cells.iloc[:rows]
        else:
            export.cells = (export.cells[0], [column.slice(0, rows) for column in export.cells[1]])
        export.__dict__.pop("frame", None)


def read_export(path: Path, header_row: int = 1, sheet: int = 0, *, other_sheets: bool = True) -> RawExport:
    """Read one export, its header on row `header_row` (as a spreadsheet numbers rows; the rows
    above it are its `preamble`, a total under the records its `total_rows`), from a workbook's
    first sheet or the one `sheet` says (and, unless `other_sheets` is false, name the later
    sheets with data); for a file that cannot be read, raise PipelineError and nothing else."""
    try:
        export = _read(path, header_row, sheet, other_sheets)
        export.header_row = header_row
        _total_rows_set_aside(export)
    except PipelineError:
        raise
    except OSError as error:
        raise PipelineError(
            f"{path}: the file cannot be read ({_one_line(error)}); check it exists and is readable, then rerun"
        ) from error
    except Exception as error:
        raise PipelineError(
            f"{path}: unexpected {error.__class__.__name__} while reading it ({_one_line(error)}); "
            "check the file, re-export it if it is damaged, and report this error if it recurs"
        ) from error
    except BaseException as error:  # a Rust panic in the spreadsheet reader is not an Exception
        if error.__class__.__name__ != "PanicException":
            raise
        raise PipelineError(
            f"{path}: not a readable spreadsheet (the reader failed: {_one_line(error)}); re-export it as .xlsx or CSV"
        ) from error
    return export


def read_headerless_sheet(path: Path, sheet: int, header: list[str], file_format: str) -> RawExport | None:
    """A later sheet of a workbook with records from its first row and no header row, read under
    `header` (the sheet it continues), column by column; None when it holds a cell beyond that
    header's width (then it is not laid out as that sheet). Blank rows are skipped but keep their
    number; a total under the records is set aside, as read_export does."""
    if _kind(path) == "spreadsheetml":  # Excel 2003's XML holds 65,536 rows a sheet too
        rows, _, name = _spreadsheetml_rows(path, sheet)
    else:
        rows, _, name = _sheet_rows(path, sheet=sheet, other_sheets=False)
    width = len(header)
    if any(str(cell).strip() for row in rows for cell in row[width:] if cell is not None):
        return None
    rows = [[*row[:width], *[""] * (width - len(row))] for row in rows]
    columns = [_column_array(column) for column in zip(*rows, strict=True)] if rows else []
    kept = np.flatnonzero(~_blank_rows(columns)) if columns else np.array([], dtype=np.int64)
    if not len(kept):
        return None
    cells = (header, [column.take(pa.array(kept)) for column in columns])
    export = RawExport(cells, (kept + 1).tolist(), file_format, None)
    export.header_row, export.sheet, export.sheet_name = 0, name, name
    _total_rows_set_aside(export)
    return export


def with_sheets_appended(export: RawExport, later: list[RawExport]) -> RawExport:
    """One export of a workbook's sheet and the later sheets that continue it, their records in
    sheet order. Each later sheet's columns are taken by header (the n-th of a repeated one for
    the n-th); a header of the first sheet that a later one lacks is empty there. Headers only
    a later sheet has are not kept: the caller appends sheets whose headers a profile reads are
    the first's."""

    def keyed(header: list[str]) -> list[tuple[str, int]]:
        seen: Counter[str] = Counter()
        keys = []
        for name in header:
            keys.append((name, seen[name]))
            seen[name] += 1
        return keys

    keys = keyed(export.header)
    columns: list[list[pa.Array | pa.ChunkedArray]] = [[column] for column in export.arrow_columns()]
    for part in later:
        position = {key: j for j, key in enumerate(keyed(part.header))}
        arrays = part.arrow_columns()
        empty = pa.array([""] * part.rows, type=pa.large_string())
        for j, key in enumerate(keys):
            columns[j].append(arrays[position[key]] if key in position else empty)
    merged = RawExport(
        (export.header, [pa.chunked_array(parts, type=pa.large_string()).combine_chunks() for parts in columns]),
        [number for part in (export, *later) for number in part.row_numbers],
        export.file_format,
        export.encoding,
        preamble=export.preamble,
        header_row=export.header_row,
        sheet=export.sheet,
        sheet_name=export.sheet_name,
        total_rows=export.total_rows,
    )
    merged.appended_sheets = [
        SheetPart(part.sheet_name or "", part.rows, part.header_row, part.preamble, part.total_rows) for part in later
    ]
    return merged


def refuse_repeated_headers(path: Path | str, header: list[str], read: set[str] | None = None) -> None:
    """PipelineError when a non-empty header is there twice, among those `read` (all if None):
    which of the two holds the value? A repeated header nothing reads (two 备注) does not matter."""
    named = [name for name in header if name and (read is None or name in read)]
    repeated = sorted({name for name in named if named.count(name) > 1})
    if repeated:
        raise PipelineError(f"{path}: column {', '.join(repeated)} appears twice; keep one and re-export")
