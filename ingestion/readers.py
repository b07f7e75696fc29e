"""Reading one export file into a frame of text cells, whatever its format and encoding."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pipeline.errors import PipelineError

CSV_SUFFIXES = {".csv", ".txt"}
EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls"}


@dataclass
class RawExport:
    """The cells of one export as text, with the row number each had in the file (header = 1)."""

    frame: pd.DataFrame
    row_numbers: list[int]
    file_format: str
    encoding: str | None
    malformed_rows: list[tuple[int, str]] = field(default_factory=list)  # (row number, line)


def decode_csv(data: bytes, path: Path) -> tuple[str, str]:
    """Decode CSV bytes: a BOM says UTF-8; otherwise UTF-8 if it decodes cleanly, else GB18030."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as error:
        raise PipelineError(
            f"{path}: neither UTF-8 nor GB18030 (byte {error.start}); re-export the file as UTF-8 or GB18030 CSV"
        ) from error


def _read_csv(path: Path) -> RawExport:
    text, encoding = decode_csv(path.read_bytes(), path)
    rows = list(csv.reader(io.StringIO(text)))
    # skip blank lines the way spreadsheets do, but keep each row's line number
    numbered = [(number, row) for number, row in enumerate(rows, start=1) if any(cell.strip() for cell in row)]
    if not numbered:
        raise PipelineError(f"{path}: the file is empty; re-export it with its header row")
    (_, header), body = numbered[0], numbered[1:]
    good = [(number, row) for number, row in body if len(row) == len(header)]
    malformed = [(number, ",".join(row)) for number, row in body if len(row) != len(header)]
    frame = pd.DataFrame([row for _, row in good], columns=[cell.strip() for cell in header], dtype="string")
    return RawExport(frame, [number for number, _ in good], "csv", encoding, malformed)


def _cell_text(value: object) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _read_excel(path: Path) -> RawExport:
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
        rows = workbook.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except Exception as error:  # calamine raises its own error types for unreadable files
        raise PipelineError(
            f"{path}: not a readable spreadsheet ({error.__class__.__name__}); re-export it as .xlsx or CSV"
        ) from error
    numbered = [(number, row) for number, row in enumerate(rows, start=1) if any(_cell_text(c).strip() for c in row)]
    if not numbered:
        raise PipelineError(f"{path}: the first sheet is empty; put the export on the first sheet")
    (_, header), body = numbered[0], numbered[1:]
    columns = [_cell_text(cell).strip() for cell in header]
    frame = pd.DataFrame([[_cell_text(cell) for cell in row] for _, row in body], columns=columns, dtype="string")
    return RawExport(frame, [number for number, _ in body], "xlsx", None)


def read_export(path: Path) -> RawExport:
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        export = _read_csv(path)
    elif suffix in EXCEL_SUFFIXES:
        export = _read_excel(path)
    else:
        raise PipelineError(f"{path}: unknown file type {suffix!r}; land exports as .csv or .xlsx")
    headers = [header for header in export.frame.columns if header]
    repeated = sorted({header for header in headers if headers.count(header) > 1})
    if repeated:
        raise PipelineError(f"{path}: column {', '.join(repeated)} appears twice; keep one and re-export")
    return export
