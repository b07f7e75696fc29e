"""The reliability suite's case table: malformed exports and what `hotline ingest` must make of them.

Each case is a file name (its path under the landing folder), its bytes or a function that
writes it, and the expected outcome:

- loaded(n): a ledger row with status `loaded` and n rows in the raw table, none quarantined;
- quarantined(n, reason, loaded=m): loaded, with n rows in raw.quarantine (one of them giving
  `reason`) and m rows in the raw table;
- rejected(reason): one ledger row `rejected:<path>` whose one-line error contains `reason`;
- IGNORED: no ledger row at all (hidden files).

CASES.md is generated from this table and the kill scenarios below:
`.venv/bin/python -m tests.reliability.cases` rewrites it, and a test keeps it in step.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import os
import random
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pandas as pd

from demodata.hotline_exports import EXPORT_HEADERS, write_export
from tests.conftest import export_row

HEADERS: list[str] = list(EXPORT_HEADERS)
PROFILE = "hotline_qidong_v2023"
BOM = b"\xef\xbb\xbf"
CASES_MD = Path(__file__).with_name("CASES.md")


# --- outcomes ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Expect:
    status: str  # loaded | rejected | ignored
    loaded: int = 0
    quarantined: int = 0
    reason: str | None = None  # in the ledger error (rejected) or in one quarantine reason

    def describe(self) -> str:
        if self.status == "ignored":
            return "ignored: no ledger row"
        if self.status == "rejected":
            return f"rejected: “{self.reason}”"
        if self.quarantined:
            return f"loaded {self.loaded}, quarantined {self.quarantined}: “{self.reason}”"
        return f"loaded {self.loaded}"


def loaded(rows: int) -> Expect:
    return Expect("loaded", loaded=rows)


def quarantined(rows: int, reason: str, *, loaded: int = 0) -> Expect:
    return Expect("loaded", loaded=loaded, quarantined=rows, reason=reason)


def rejected(reason: str) -> Expect:
    return Expect("rejected", reason=reason)


IGNORED = Expect("ignored")

Writer = Callable[[Path], None]


@dataclass(frozen=True)
class Case:
    group: str
    name: str  # path under the landing folder
    data: bytes | Writer
    expect: Expect
    what: str

    @property
    def id(self) -> str:
        return self.name


# --- building exports -------------------------------------------------------------------

_serial = itertools.count(1)


def rows(count: int, **cells: str) -> list[dict[str, str]]:
    """`count` valid export rows with work-order ids unique across the whole table."""
    return [export_row(工单编号=f"2301{next(_serial):011d}-01", **cells) for _ in range(count)]


def csv_text(
    body: list[dict[str, str]],
    headers: list[str] = HEADERS,
    *,
    newline: str = "\r\n",
    header: bool = True,
    delimiter: str = ",",
) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=newline, delimiter=delimiter)
    if header:
        writer.writerow(headers)
    writer.writerows([row.get(name, "") for name in headers] for row in body)
    return buffer.getvalue()


def gb(text: str) -> bytes:
    return text.encode("gb18030")


def with_line_ends(lines: list[str], ends: list[str]) -> str:
    return "".join(line + ends[number % len(ends)] for number, line in enumerate(lines))


def lines_of(body: list[dict[str, str]], headers: list[str] = HEADERS) -> list[str]:
    return csv_text(body, headers, newline="\n").splitlines()


def workbook(sheets: list[tuple[str, list[list[object]], str]]) -> Writer:
    """A writer of an .xlsx with (sheet name, rows, visible|hidden|veryHidden) sheets, in order."""

    def write(path: Path) -> None:
        book = openpyxl.Workbook()
        book.remove(book.active)
        for title, sheet_rows, state in sheets:
            sheet = book.create_sheet(title)
            for row in sheet_rows:
                sheet.append(row)
            sheet.sheet_state = state
        book.save(path)

    return write


def table(body: list[dict[str, str]], headers: list[str] = HEADERS) -> list[list[object]]:
    return [list(headers), *([row.get(name, "") for name in headers] for row in body)]


def demo_workbook(body: list[dict[str, str]]) -> Writer:
    """An .xlsx as the hotline system writes it (real datetime cells), via the demo writer."""

    def write(path: Path) -> None:
        write_export(pd.DataFrame(body, columns=HEADERS), path)

    return write


def truncated_workbook(body: list[dict[str, str]], keep: int) -> Writer:
    def write(path: Path) -> None:
        demo_workbook(body)(path)
        path.write_bytes(path.read_bytes()[:keep])

    return write


def encrypted_workbook(body: list[dict[str, str]]) -> Writer:
    """The demo workbook protected by a password (Excel's "Encrypt with Password": the file is an
    OLE container holding the encrypted workbook)."""
    from msoffcrypto.format.ooxml import OOXMLFile

    def write(path: Path) -> None:
        scratch = path.with_name(".scratch.xlsx")
        demo_workbook(body)(scratch)
        with scratch.open("rb") as plain, path.open("wb") as target:
            OOXMLFile(plain).encrypt("12345", target)
        scratch.unlink()

    return write


def workbook_bytes_named(body: list[dict[str, str]]) -> Writer:
    """A real workbook's bytes under whatever name (e.g. .csv)."""

    def write(path: Path) -> None:
        scratch = path.with_name(".scratch.xlsx")
        demo_workbook(body)(scratch)
        path.write_bytes(scratch.read_bytes())
        scratch.unlink()

    return write


def workbook_without_sheets(path: Path) -> None:
    workbook([("Sheet1", [HEADERS], "visible")])(path)
    with zipfile.ZipFile(path) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    xml = parts["xl/workbook.xml"].decode()
    start, end = xml.index("<sheets>"), xml.index("</sheets>") + len("</sheets>")
    parts["xl/workbook.xml"] = (xml[:start] + "<sheets/>" + xml[end:]).encode()
    with zipfile.ZipFile(path, "w") as target:
        for name, data in parts.items():
            target.writestr(name, data)


def link_outside(body: bytes) -> Writer:
    """A symlink to a valid export kept outside the landing folder (beside it)."""

    def write(path: Path) -> None:
        outside = path.parent.parent / "outside_landing"
        outside.mkdir(exist_ok=True)
        target = outside / path.name
        target.write_bytes(body)
        path.symlink_to(target)

    return write


def dangling_link(path: Path) -> None:
    path.symlink_to(path.parent / "gone" / path.name)


def link_to_hidden(body: bytes) -> Writer:
    """A symlink to a file in a hidden folder inside the landing folder (which is itself skipped)."""

    def write(path: Path) -> None:
        hidden = path.parent / ".staging"
        hidden.mkdir(exist_ok=True)
        target = hidden / f"copy_of_{path.name}"
        target.write_bytes(body)
        path.symlink_to(os.path.relpath(target, path.parent))

    return write


def random_bytes(seed: int, size: int) -> bytes:
    return random.Random(seed).randbytes(size)


# --- the table ---------------------------------------------------------------------------

_day = itertools.count(0)


def dated(suffix: str = "csv", folder: str = "") -> str:
    """A fresh export name the profile accepts: 12345_gongdan_<a 2023 day>.<suffix>."""
    day = dt.date(2023, 1, 1) + dt.timedelta(days=next(_day))
    return f"{folder}12345_gongdan_{day:%Y%m%d}.{suffix}"


def _unclosed_mid() -> bytes:
    good = rows(3)
    bad = lines_of(rows(1))[1]
    cut = bad.index("夜间施工")
    broken = bad[:cut] + '"' + bad[cut:]  # opens a quote in 诉求内容 that never closes
    lines = lines_of(good)
    return gb("\r\n".join([lines[0], lines[1], broken, lines[2], lines[3]]) + "\r\n")


def _unclosed_end() -> bytes:
    lines = lines_of(rows(3))
    last = lines[-1]
    cut = last.index("夜间施工")
    return gb("\r\n".join(lines[:-1]) + "\r\n" + last[:cut] + '"夜间施工，已')  # cut short inside the quote


def _wide_row() -> bytes:
    lines = lines_of(rows(3))
    lines[2] += ",多出来的一格"
    return gb("\r\n".join(lines) + "\r\n")


def _quotes_in_cells() -> bytes:
    body = rows(2)
    body[0]["诉求内容"] = '他说："晚上十点后还在施工"，请处理'
    body[1]["诉求内容"] = "第一行，有逗号\r\n第二行\n第三行"
    body[1]["工单标题"] = '"噪音"'
    return gb(csv_text(body))


def _stray_quote() -> bytes:
    lines = lines_of(rows(2))
    lines[1] = lines[1].replace("噪音扰民", '噪音"扰民', 1)  # a quote inside an unquoted cell
    return gb("\r\n".join(lines) + "\r\n")


def _duplicates(identical: bool) -> bytes:
    body = rows(3)
    copy = dict(body[0])
    if not identical:
        copy["工单状态"] = "已办结"
    return gb(csv_text([*body, copy]))


def _zero_width_duplicate() -> bytes:
    body = rows(2)
    twin = dict(body[0])
    twin["工单编号"] = twin["工单编号"][:4] + "\u200b" + twin["工单编号"][4:]
    return gb(csv_text([*body, twin]))


def _zero_width_ids() -> bytes:
    body = rows(3)
    for row, mark in zip(body, ["\u200b", "\u2060", "\ufeff"], strict=True):
        row["工单编号"] = mark + row["工单编号"][:6] + mark + row["工单编号"][6:] + "\u200d"
    return csv_text(body).encode("utf-8")


def _zero_width_headers() -> bytes:
    headers = [name[:1] + "\u200b" + name[1:] if name in ("工单编号", "工单状态") else name for name in HEADERS]
    text = csv_text(rows(2), HEADERS).split("\r\n", 1)[1]
    return gb(",".join(headers) + "\r\n" + text)


def _nul_cells() -> bytes:
    body = rows(2)
    body[0]["热线单号"] = "RX\x002301\x00"
    body[1]["工单编号"] = body[1]["工单编号"] + "\x00"
    return gb(csv_text(body)) + b"\x00\x00"


def _bad_and_good_rows(good: int, bad: int) -> str:
    body = rows(good) + rows(bad, 来电时间="2023-02-30 09:00:00")
    return csv_text(body)


def _ten_thousand_rows() -> bytes:
    body = rows(9_990) + rows(10, 来电时间="待补录")
    return gb(csv_text(body))


def _long_cell(characters: int, text: str, encoding: str) -> bytes:
    body = rows(3)
    body[1]["诉求内容"] = text * characters
    return csv_text(body).encode(encoding)


def _concatenated_exports() -> bytes:
    first = BOM + csv_text(rows(2)).encode("utf-8")
    second = BOM + csv_text(rows(1)).encode("utf-8")
    return first + second  # the second export's header is a row; its BOM a stray U+FEFF


def _mixed_encodings() -> bytes:
    text = csv_text(rows(2))
    header, rest = text.split("\r\n", 1)
    return (header + "\r\n").encode("utf-8") + gb(rest)


def _cut_in_half() -> bytes:
    """40 GB18030 rows: one appeal's last character cut to its first byte (a system cutting a long
    cell at a number of bytes), and a stray byte in another row's id."""
    body = rows(40)
    lines = [gb(line) for line in lines_of(body)]
    appeal = gb(body[0]["诉求内容"])
    lines[1] = lines[1].replace(appeal, appeal[:-1])
    order = body[1]["工单编号"].encode()
    lines[2] = lines[2].replace(order, order + b"\xff")
    return b"\r\n".join(lines) + b"\r\n"


def _header_cut_in_half() -> bytes:
    header, rest = gb(csv_text(rows(2))).split(b"\r\n", 1)
    return header.replace(gb("工单编号"), gb("工单编号")[:-1]) + b"\r\n" + rest


def _missing_headers(drop: str) -> bytes:
    headers = [name for name in HEADERS if name != drop]
    return gb(csv_text(rows(2), headers))


def _repeated_header() -> bytes:
    headers = [*HEADERS, "工单编号"]
    return gb(csv_text(rows(2), headers))


def _trailing_commas() -> bytes:
    text = csv_text(rows(2), [*HEADERS, ""])  # every line, the header too, ends with a comma
    return gb(text)


def _formula_text() -> str:
    """Each row's 工单编号 and 来电号码 written as Excel formulas of text."""
    lines = csv_text(rows(2)).splitlines(keepends=True)
    number, phone = HEADERS.index("工单编号"), HEADERS.index("来电号码")
    out = [lines[0]]
    for line in lines[1:]:
        cells = next(csv.reader([line]))
        cells[number], cells[phone] = f'="{cells[number]}"', f'="{cells[phone]}"'
        out.append(",".join(cells) + "\r\n")
    return "".join(out)


def _unread_header_twice() -> str:
    headers = [*HEADERS, "备注", "备注"]
    return csv_text([{**row, "备注": "无"} for row in rows(2)], headers)


def _empty_cells_after_the_last_column() -> str:
    lines = csv_text(rows(3)).splitlines(keepends=True)
    return lines[0] + lines[1].replace("\r\n", ",,\r\n") + lines[2] + lines[3].replace("\r\n", ", \r\n")


def _semicolons() -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADERS)
    writer.writerows([row[name] for name in HEADERS] for row in rows(2))
    return gb(buffer.getvalue())


def _big5() -> bytes:
    text = csv_text(rows(2)).replace("启东市汇龙镇人民中路88号3幢", "啟東市匯龍鎮人民中路88號3幢")
    traditional = str.maketrans("单编号来电时间诉类型状态热线标题", "單編號來電時間訴類型狀態熱線標題")
    return text.translate(traditional).encode("big5", errors="replace")


def _big5_body() -> bytes:
    header, body = csv_text(rows(2)).split("\r\n", 1)
    traditional = str.maketrans("单诉派", "單訴派")
    return gb(header + "\r\n") + body.translate(traditional).encode("big5", errors="replace")


def _build() -> list[Case]:
    ok = csv_text  # readability below
    cases = [
        # encodings
        Case("encoding", dated(), gb(ok(rows(3))), loaded(3), "GB18030 CSV, CRLF (the reference export)"),
        Case("encoding", dated(), ok(rows(2)).encode("utf-8"), loaded(2), "UTF-8 without BOM"),
        Case("encoding", dated(), BOM + ok(rows(2)).encode("utf-8"), loaded(2), "UTF-8 with BOM"),
        Case("encoding", dated(), BOM + gb(ok(rows(2))), loaded(2), "UTF-8 BOM in front of a GB18030 body"),
        Case(
            "encoding",
            dated(),
            gb(ok(rows(2, 诉求内容="生僻字𠀀𪚥与表情😀，GB18030 四字节编码"))),
            loaded(2),
            "GB18030 four-byte characters (CJK Ext. B, emoji)",
        ),
        Case("encoding", dated(), ok(rows(2)).encode("utf-16"), loaded(2), "UTF-16 LE with BOM, commas"),
        Case("encoding", dated(), b"\xfe\xff" + ok(rows(2)).encode("utf-16-be"), loaded(2), "UTF-16 BE with BOM"),
        Case(
            "encoding",
            dated(),
            _big5(),
            rejected("missing for profile"),
            "Big5 bytes (decode as GB18030 mojibake: no known header)",
        ),
        Case(
            "encoding",
            dated(),
            _big5_body(),
            quarantined(2, "is not one of the known values"),
            "GB18030 header, Big5 body (mojibake values fail the vocabularies)",
        ),
        Case(
            "encoding",
            dated(),
            _mixed_encodings(),
            rejected("neither UTF-8 nor GB18030"),
            "UTF-8 header, GB18030 body",
        ),
        Case(
            "encoding",
            dated(),
            random_bytes(1, 4096),
            rejected("neither UTF-8 nor GB18030"),
            "4 KB of random bytes as .csv",
        ),
        Case(
            "encoding",
            dated(),
            _cut_in_half(),
            quarantined(1, "工单编号 holds bytes that are not gb18030", loaded=39),
            "GB18030, an appeal's last character cut in half (loaded as it is) and a stray byte in an id",
        ),
        Case(
            "encoding",
            dated(),
            _header_cut_in_half(),
            rejected("neither UTF-8 nor GB18030"),
            "GB18030 with a character of the header cut in half",
        ),
        Case(
            "encoding",
            dated("xlsx"),
            random_bytes(2, 4096),
            rejected("not a readable spreadsheet"),
            "4 KB of random bytes as .xlsx",
        ),
        # BOMs
        Case(
            "bom",
            dated(),
            BOM + BOM + ok(rows(2)).encode("utf-8"),
            loaded(2),
            "two UTF-8 BOMs (the second is a stray U+FEFF)",
        ),
        Case("bom", dated(), BOM, rejected("the file is empty"), "a UTF-8 BOM and nothing else"),
        # line ends
        Case(
            "line ends", dated(), gb(with_line_ends(lines_of(rows(3)), ["\r"])), loaded(3), "old-Mac CR-only line ends"
        ),
        Case(
            "line ends",
            dated(),
            gb(with_line_ends(lines_of(rows(4)), ["\r\n", "\n", "\r"])),
            loaded(4),
            "CRLF, LF and CR mixed in one file",
        ),
        Case(
            "line ends",
            dated(),
            gb(with_line_ends(["", *lines_of(rows(2))], ["\r\n", "\r\n\r\n", "\n\n"])),
            loaded(2),
            "blank lines before the header and between rows",
        ),
        Case("line ends", dated(), gb("\r\n".join(lines_of(rows(2)))), loaded(2), "no line end after the last row"),
        # quoting
        Case(
            "quoting",
            dated(),
            _unclosed_mid(),
            quarantined(1, "unclosed quote", loaded=3),
            "an unclosed quote in a middle row",
        ),
        Case(
            "quoting",
            dated(),
            _unclosed_end(),
            quarantined(1, "cut short", loaded=2),
            "the file ends inside a quoted cell (cut short)",
        ),
        Case("quoting", dated(), _quotes_in_cells(), loaded(2), "escaped quotes, commas and line breaks inside cells"),
        Case("quoting", dated(), _stray_quote(), loaded(2), "a bare quote inside an unquoted cell"),
        Case(
            "quoting",
            dated(),
            _wide_row(),
            quarantined(1, "36 cells, the header has 35", loaded=2),
            "a row with one cell too many",
        ),
        Case(
            "quoting",
            dated(),
            gb(ok(rows(2)).replace("工单编号", '"工单编号', 1)),
            rejected("header row"),
            "an unclosed quote in the header",
        ),
        Case(
            "quoting", dated(), _trailing_commas(), loaded(2), "a trailing comma on every line (an unnamed last column)"
        ),
        Case("quoting", dated(), _semicolons(), loaded(2), "semicolon-separated"),
        # sizes
        Case("size", dated(), b"", rejected("the file is empty"), "a zero-byte file"),
        Case("size", dated(), b"", rejected("the file is empty"), "a second zero-byte file (its own ledger row)"),
        Case("size", dated(), b"\r\n \r\n\t\r\n", rejected("the file is empty"), "blank lines only"),
        Case("size", dated(), gb(ok([])), loaded(0), "the header row only"),
        Case(
            "size",
            dated(),
            _long_cell(999_000, "噪", "gb18030"),
            loaded(3),
            "a 2 MB cell (999,000 GB18030 characters, under the 1,000,000-character limit)",
        ),
        Case(
            "size",
            dated(),
            _long_cell(2_000_000, "x", "utf-8"),
            quarantined(1, "longer than 1000000 characters", loaded=2),
            "a 2 MB cell of 2,000,000 characters (over the limit)",
        ),
        Case(
            "size",
            dated(),
            _ten_thousand_rows(),
            quarantined(10, "not a timestamp", loaded=9_990),
            "10,000 rows, 10 with a bad time",
        ),
        # control characters
        Case("control", dated(), _nul_cells(), loaded(2), "NUL bytes inside cells and at the end"),
        Case("control", dated(), _zero_width_ids(), loaded(3), "zero-width characters inside work-order ids"),
        Case("control", dated(), _zero_width_headers(), loaded(2), "zero-width characters inside required headers"),
        Case(
            "control",
            dated(),
            _zero_width_duplicate(),
            quarantined(1, "identical", loaded=2),
            "two ids that differ only by a zero-width space",
        ),
        # spreadsheets
        Case("xlsx", dated("xlsx"), demo_workbook(rows(3)), loaded(3), "a workbook as the hotline system writes it"),
        Case(
            "xlsx",
            dated("xlsx"),
            workbook([("旧数据", table(rows(2)), "hidden"), ("工单导出", table(rows(2)), "visible")]),
            rejected("is hidden"),
            "the first sheet is hidden",
        ),
        Case(
            "xlsx",
            dated("xlsx"),
            workbook(
                [
                    ("工单导出", table(rows(2)), "visible"),
                    ("统计", [["月份", "件数"], ["2023-01", 5]], "visible"),
                    ("备注", [["x"]], "veryHidden"),
                ]
            ),
            loaded(2),
            "extra sheets after the export (one very hidden)",
        ),
        Case(
            "xlsx",
            dated("xlsx"),
            workbook([("Sheet1", [], "visible"), ("工单导出", table(rows(2)), "visible")]),
            loaded(2),
            "an empty first sheet, the export on the second (read from there)",
        ),
        Case(
            "xlsx",
            dated("xlsx"),
            workbook(
                [
                    ("1-65535", table(rows(2)), "visible"),
                    ("65536-", table(rows(2, 诉求类型="咨询类") + rows(1)), "visible"),
                    ("统计", [["月份", "件数"], ["2023-01", 5]], "visible"),
                ]
            ),
            quarantined(2, "诉求类型 '咨询类' is not one of the known values", loaded=3),
            "an export split over two sheets, a header on each (both loaded), and a summary sheet",
        ),
        Case("xlsx", dated("xlsx"), workbook_without_sheets, rejected("no sheets"), "a workbook with no sheets"),
        Case(
            "xlsx",
            dated("xlsx"),
            encrypted_workbook(rows(2)),
            rejected("the workbook is protected by a password"),
            "a workbook encrypted with a password",
        ),
        Case(
            "xlsx",
            dated("xlsx"),
            truncated_workbook(rows(2), 700),
            rejected("not a readable spreadsheet"),
            "a workbook cut short (corrupt zip)",
        ),
        Case(
            "xlsx",
            dated("xlsx"),
            gb(ok(rows(2))),
            rejected("not a readable spreadsheet"),
            "a CSV named .xlsx",
        ),
        Case(
            "xlsx",
            dated("xlsx"),
            b"<html><body><h1>500 Internal Server Error</h1></body></html>",
            rejected("not a readable spreadsheet"),
            "an HTML error page saved as .xlsx",
        ),
        Case(
            "xlsx",
            dated(),
            workbook_bytes_named(rows(2)),
            rejected("neither UTF-8 nor GB18030"),
            "a real workbook named .csv",
        ),
        Case(
            "xlsx",
            dated("xlsx"),
            workbook([("工单导出", [HEADERS], "visible")]),
            loaded(0),
            "a workbook with the header row only",
        ),
        # duplicate ids
        Case(
            "duplicates", dated(), _duplicates(True), quarantined(1, "identical", loaded=3), "one row twice, identical"
        ),
        Case(
            "duplicates",
            dated(),
            _duplicates(False),
            quarantined(2, "with different values", loaded=2),
            "one id twice with different values",
        ),
        # the date in the name
        Case(
            "name",
            "12345_gongdan_20231341.csv",
            gb(ok(rows(2))),
            rejected("no valid export date"),
            "month 13 in the name",
        ),
        Case(
            "name", "12345_gongdan_20990101.csv", gb(ok(rows(2))), rejected("is in the future"), "a date in the future"
        ),
        Case(
            "name", "12345_gongdan.csv", gb(ok(rows(2))), rejected("no source profile matches"), "no date in the name"
        ),
        Case(
            "name",
            "12345_gongdan_20230105(1).csv",
            gb(ok(rows(2))),
            rejected("no source profile matches"),
            "a browser's “(1)” copy suffix",
        ),
        Case(
            "name",
            "12345_gongdan_20230106.txt",
            gb(ok(rows(2))),
            rejected("no source profile matches"),
            "the right layout as .txt",
        ),
        Case("name", "12345_gongdan_20230107.pdf", b"%PDF-1.4\n", rejected("unknown file type"), "a PDF"),
        Case(
            "json",
            "12345_gongdan_20230108.json",
            b'[{"\xe5\xb7\xa5\xe5\x8d\x95\xe7\xbc\x96\xe5\x8f\xb7": "1"}, {"',
            rejected("not valid JSON at line 1, column"),
            "JSON cut short",
        ),
        Case(
            "json",
            "12345_gongdan_20230109.json",
            b'{"code": 500, "msg": "export failed"}',
            rejected("no list of records in this JSON"),
            "an API's error answer saved as the export",
        ),
        Case(
            "json",
            "12345_gongdan_20230110.jsonl",
            b'{"a": "1"}\n{"a": "2"}\n',
            rejected("no source profile matches"),
            "JSON Lines of no known layout",
        ),
        # headers
        Case(
            "header",
            dated(),
            _missing_headers("工单状态"),
            rejected("column 工单状态 missing for profile"),
            "a required header missing",
        ),
        Case("header", dated(), _missing_headers("标签"), loaded(2), "an optional header missing (a ledger warning)"),
        Case(
            "header",
            dated(),
            gb(ok(rows(2), header=False)),
            rejected("column 工单编号, 来电时间, 诉求类型, 工单状态 missing for profile"),
            "no header row at all",
        ),
        Case(
            "header",
            dated(),
            _repeated_header(),
            rejected("column 工单编号 appears twice"),
            "a header repeated in the header row",
        ),
        Case(
            "header",
            dated(),
            _concatenated_exports(),
            quarantined(1, "is not a timestamp", loaded=3),
            "two exports concatenated (header repeated mid-file, stray BOM)",
        ),
        # the file system
        Case(
            "files",
            dated(),
            link_outside(gb(ok(rows(2)))),
            rejected("outside the landing folder"),
            "a symlink to a file outside the landing folder",
        ),
        Case("files", dated(), dangling_link, rejected("which does not exist"), "a dangling symlink"),
        Case("files", dated(), link_to_hidden(gb(ok(rows(2)))), loaded(2), "a symlink to a hidden file inside landing"),
        Case("files", "." + dated(), gb(ok(rows(2))), IGNORED, "a dotfile"),
        Case("files", dated(folder=".tmp/"), gb(ok(rows(2))), IGNORED, "a file in a hidden folder"),
        Case(
            "files",
            dated(folder="2023/03/"),
            gb(_bad_and_good_rows(2, 1)),
            quarantined(1, "not a timestamp", loaded=2),
            "a file two sub-folders down",
        ),
        # cells separated by another character than a comma
        Case(
            "separator",
            dated(),
            ok(rows(2, 诉求内容="路灯不亮, 已报修"), delimiter="\t").encode("utf-16"),
            loaded(2),
            "Excel “Unicode text”: UTF-16 LE with BOM, tab-separated, commas in a cell",
        ),
        Case(
            "separator",
            dated(),
            ok(rows(2, 诉求内容="金额 1,5; 见附件"), delimiter=";").encode("utf-8"),
            loaded(2),
            "semicolon-separated UTF-8, a quoted cell with a semicolon",
        ),
        # what other systems put in cells and headers
        Case(
            "cells",
            dated(),
            gb(_formula_text()),
            loaded(2),
            'ids and phone numbers written ="0513…" so that Excel keeps them text (the text is loaded)',
        ),
        Case(
            "cells",
            dated(),
            # two orders whose 15-digit ids Excel showed, and saved, as one number; a third intact
            gb(csv_text([{**row, "工单编号": "2.30103E+14"} for row in rows(2)] + rows(1))),
            quarantined(2, "工单编号 '2.30103E+14' is a number Excel wrote in scientific notation", loaded=1),
            "work-order ids Excel wrote in scientific notation (an export opened and saved in Excel)",
        ),
        Case("cells", dated(), gb(_unread_header_twice()), loaded(2), "a header no column reads (备注) there twice"),
        Case(
            "cells",
            dated(),
            gb(_empty_cells_after_the_last_column()),
            loaded(3),
            "empty cells after the last column on some lines (stray commas)",
        ),
    ]
    names = [case.name for case in cases]
    assert len(names) == len(set(names)), "case file names must be unique"
    return cases


CASES: list[Case] = _build()


def write_case(case: Case, landing: Path) -> Path:
    path = landing / case.name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(case.data, bytes):
        path.write_bytes(case.data)
    else:
        case.data(path)
    return path


# --- the kill scenarios (tests/reliability/test_kills.py) ----------------------------------


@dataclass(frozen=True)
class KillScenario:
    step: str
    when: str
    expected: str


KILLS_PER_STEP = 2  # stratified: the k-th kill of a step falls in the k-th part of its duration
KILL_SCENARIOS = [
    KillScenario(
        "hotline ingest",
        f"{KILLS_PER_STEP}× SIGKILL (early, then late) in the measured ingest time, each after a new "
        "slice of the demo exports (six months of 2023) landed",
        "the CLI's children are gone; the ledger agrees with the tables (rows_read = rows_loaded + "
        "rows_quarantined, raw and quarantine rows per file_id as the ledger says, no orphan rows, no file "
        "loaded twice); the rerun exits 0 and every landed file is loaded by content or rejected",
    ),
    KillScenario(
        "hotline build",
        f"{KILLS_PER_STEP}× SIGKILL of the CLI only (not its process group): late, when dbt starts a node "
        "drawn from the later half of its node list, before anything was published; then early, in the "
        "measured build time, with publication A in force",
        "dbt, running at the kill, dies with its parent (no process of the test is left); the "
        "publication in force is untouched; the rerun exits 0",
    ),
    KillScenario(
        "hotline publish",
        f"{KILLS_PER_STEP}× SIGKILL (early, then late) in the measured publish time, each with gated "
        "marts that differ from the publication in force (B over A, then A over B: the warehouse "
        "and gate report of each state are kept and put back)",
        "`current` resolves to a complete version (manifest.json, every published file) whose "
        "fingerprint is the old or the new one; a `.partial-*` folder is never current and the rerun "
        "removes it; BI readers open published/warehouse.duckdb and find the manifest's tables; the "
        "rerun exits 0 and publishes the new marts",
    ),
]


# --- CASES.md ----------------------------------------------------------------------------


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_cases_md() -> str:
    lines = [
        "# Reliability cases",
        "",
        "Generated from `tests/reliability/cases.py` (`.venv/bin/python -m tests.reliability.cases`);",
        "`test_cases_md_is_in_step` fails when this file and the table differ.",
        "",
        "## Malformed exports (`test_malformed_exports_load_or_reject.py`)",
        "",
        f"All {len(CASES)} files land in one folder and load with one `steps.ingest`. “loaded n” is the",
        "number of rows in the raw table; a quoted reason is part of the ledger error (rejected) or",
        "of a quarantine reason. After the run, every loaded file has",
        "rows_read = rows_loaded + rows_quarantined, and its rows in `raw.hotline_work_orders` and",
        "`raw.quarantine` match the ledger; a rejected file is one row keyed `rejected:<path>`.",
        "",
        "| # | kind | file (under landing) | input | expected |",
        "|---|------|----------------------|-------|----------|",
    ]
    for number, case in enumerate(CASES, start=1):
        lines.append(
            f"| {number} | {case.group} | `{_cell(case.name)}` | {_cell(case.what)} | {_cell(case.expect.describe())} |"
        )
    lines += [
        "",
        "## Kill -9 (`test_kills.py`, marked slow)",
        "",
        "A demo landing folder (`hotline generate --scale 0.01`) in a private HOTLINE_DATA_DIR; each",
        "command runs as `.venv/bin/hotline …` in its own session and only the CLI's pid gets SIGKILL;",
        "delays come from `random.Random(7)`. Each kill is followed by a normal run of the step.",
        "",
        "| step | kill | expected afterwards |",
        "|------|------|---------------------|",
    ]
    for scenario in KILL_SCENARIOS:
        lines.append(f"| `{scenario.step}` | {_cell(scenario.when)} | {_cell(scenario.expected)} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    CASES_MD.write_text(render_cases_md(), encoding="utf-8")
    print(f"{CASES_MD}: {len(CASES)} cases, {len(KILL_SCENARIOS)} kill scenarios")
