"""Loading landed files into the raw schema: once per file, every row loaded or quarantined."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import shutil
import sys
import tempfile
import time
import unicodedata
import uuid
from collections import Counter, deque
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from core.errors import PipelineError
from ingestion import ledger
from ingestion.contract import contract_for
from ingestion.masking import keyed_hash, mask_names, mask_text
from ingestion.profiles import FLAG_WORDS, VOID_STATUS, SourceProfile
from ingestion.readers import (
    UNDECODABLE,
    RawExport,
    SheetPart,
    arrow_frame,
    later_sheets,
    leading_rows,
    read_export,
    read_headerless_sheet,
    reads_kept,
    refuse_repeated_headers,
    with_sheets_appended,
)
from ingestion.validation import clear_out_of_order_times, parse_timestamps, row_problems

log = logging.getLogger(__name__)
Progress = Callable[[int, int, str], None]
# rows validated and loaded together, in one transaction: at least one DuckDB row group (122,880
# rows), since a commit that leaves a row group part-filled has it rewritten by the next (at
# 50,000, commits took five times the CPU of the inserts)
BATCH_ROWS = 130_000
_GOOD = "_is_good_row"  # which of a batch's rows _write loads


# where the loading process's time goes: waiting for files to be read (by the reading process, or
# here), checking and masking batches, waiting for their writes. The largest bounds the run.
TIMED_PARTS = ("reading files", "checking and masking", "waiting for writes")


@dataclass
class IngestReport:
    files_seen: int = 0
    files_loaded: int = 0
    files_already_loaded: int = 0
    files_not_due: int = 0
    files_replaced: int = 0  # earlier loads of a file landed again, changed, with the same export date
    # files that loaded no row, every row quarantined: a profile that reads none of them right
    files_all_quarantined: list[str] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (file name, reason)
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(TIMED_PARTS, 0.0))

    def summary(self) -> str:
        return (
            f"{self.files_loaded} files loaded ({self.rows_read} rows read: {self.rows_loaded} loaded, "
            f"{self.rows_quarantined} quarantined), {self.files_already_loaded} already loaded, "
            f"{len(self.rejected)} rejected, {self.files_not_due} after the run's date"
            + (f"; {self.files_replaced} replaced an earlier load of the same name" if self.files_replaced else "")
            + (
                f"; {len(self.files_all_quarantined)} loaded no row, every row quarantined (e.g. "
                f"{self.files_all_quarantined[0]}): check their profile with `hotline profiles check`"
                if self.files_all_quarantined
                else ""
            )
        )

    def time_spent(self) -> str:
        return "time: " + ", ".join(f"{part} {seconds:.1f} s" for part, seconds in self.seconds.items())

    @contextmanager
    def timed(self, part: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[part] += time.perf_counter() - started


def match_profile(path: Path, headers: list[str], profiles: list[SourceProfile]) -> SourceProfile:
    for profile in profiles:
        if profile.matches(path.name, headers):
            return profile
    by_name = [profile for profile in profiles if profile.matches_name(path.name)]
    if by_name:
        missing = [header for header in by_name[0].headers_include if header not in headers]
        raise PipelineError(
            f"{path}: column {', '.join(missing)} missing for profile {by_name[0].name}; "
            "add it to the export or map it in a source profile"
        )
    raise PipelineError(
        f"{path}: no source profile matches this file name; add a profile for this layout "
        "(`hotline profiles draft` writes one) under ingestion/profiles/ or a HOTLINE_PROFILES_DIR folder"
    )


def dated_by_name(relative: str, profiles: list[SourceProfile]) -> dt.date | None:
    """The export date a file's name gives, before reading it (to skip exports not yet due)."""
    for profile in profiles:
        if profile.matches_name(relative.rsplit("/", 1)[-1]) and profile.dated_by_name:
            return profile.snapshot_date(relative)
    return None


def map_columns(frame: pd.DataFrame, profile: SourceProfile) -> tuple[pd.DataFrame, list[str]]:
    """Canonical columns as text, made from an export's cells as the profile says, and the
    headers the profile names that the file lacks."""
    empty = pd.Series("", index=frame.index, dtype="string")
    missing: list[str] = []

    def read_cells(header: str) -> pd.Series:
        if header not in frame:
            missing.append(header)
            return empty
        return frame[header].fillna("").astype("string").str.strip()

    mapped = {}
    stripped: dict[str, pd.Series] = {}

    def cells(header: str) -> pd.Series:  # each header stripped once, however many columns use it
        if header not in stripped:
            stripped[header] = read_cells(header)
        return stripped[header]

    for column in profile.columns:
        if column.value is not None:
            values = pd.Series(column.value, index=frame.index, dtype="string")
        elif column.join:
            parts = [cells(header) for header in column.join]
            values = parts[0]
            for part in parts[1:]:
                glue = (values.ne("") & part.ne("")).map({True: column.separator, False: ""}).astype("string")
                values = values + glue + part
        elif column.sources:
            present = [header for header in column.sources if header in frame]
            if not present:
                missing.append(column.sources[0])
            values = cells(present[0]) if present else empty
            for header in present[1:]:  # coalesce: the first non-empty of the headers present
                values = values.where(values.ne(""), cells(header))
        else:
            values = empty
        if column.split is not None:
            separator, part = column.split
            values = values.str.split(separator, regex=False).str[part].fillna("").str.strip().astype("string")
        if column.value_map:
            mapping = dict(column.value_map)
            if column.otherwise is not None:
                named = values.isin([*mapping, *column.vocabulary, ""])
                if column.type == "flag":  # 是, Y, yes, 1 … are a flag's values already
                    named |= values.str.lower().isin(FLAG_WORDS)
            values = values.map(lambda value, m=mapping: m.get(value, value)).astype("string")
            if column.otherwise is not None:
                values = values.where(named, column.otherwise)
        if column.default is not None:
            values = values.where(values.ne(""), column.default)
        mapped[column.name] = values
    if profile.void_when:  # a void order marked outside the status (a DUPLICATE flag): its status says so
        void = pd.Series(False, index=frame.index)
        for header, marks in profile.void_when:
            text = cells(header)
            void |= (
                # searched cell by cell: str.contains warns of a pattern with groups, once per file
                text.fillna("").map(lambda cell, pattern=marks: pattern.search(cell) is not None).astype(bool)
                if isinstance(marks, re.Pattern)
                else text.str.lower().isin(marks)
            )
        mapped["status"] = mapped["status"].mask(void.to_numpy(dtype=bool), VOID_STATUS)
    return pd.DataFrame(mapped, index=frame.index).astype("string"), sorted(set(missing))


def missing_headers(headers: list[str], profile: SourceProfile) -> list[str]:
    """The headers the profile names that the file lacks (as map_columns finds them)."""
    present = set(headers)
    missing = set()
    for column in profile.columns:
        if column.value is not None:
            continue
        if column.join:
            missing.update(header for header in column.join if header not in present)
        elif column.sources and not any(header in present for header in column.sources):
            missing.add(column.sources[0])
    missing.update(header for header, _ in profile.void_when if header not in present)
    return sorted(missing)


@dataclass
class LandedFile:
    """One export, resolved once: where it is, what it is, its profile and export date, waiting
    to be mapped to canonical columns, validated and loaded with the other files of its batch."""

    path: Path
    relative: str  # path under the landing folder
    file_id: str
    profile: SourceProfile
    snapshot_date: dt.date
    export: RawExport
    missing_headers: list[str]
    load_notes: list[str] = field(default_factory=list)  # what validation changed (times cleared)

    @property
    def rows(self) -> int:
        return self.export.rows

    @property
    def warnings(self) -> str | None:
        found = reading_notes(self.export)
        if self.missing_headers:
            found.append(f"headers the profile names but the file lacks: {', '.join(self.missing_headers)}")
        return "; ".join([*found, *self.load_notes]) or None


def reading_notes(export: RawExport) -> list[str]:
    """Where the records were read, and what of the file was read as no record, each on one line
    (masked: a title or a total may quote a caller's number): the sheet, when not the first;
    rows above the header; total rows under the records; other sheets with data."""

    def quoted(rows: list[tuple[int, str]]) -> tuple[str, str]:
        numbers = f"row {rows[0][0]}" if len(rows) == 1 else f"rows {rows[0][0]}-{rows[-1][0]}"
        texts = mask_text(pd.Series([" | ".join(text for _, text in rows)], dtype="string")).iloc[0]
        return numbers, texts if len(texts) <= 120 else texts[:119] + "…"

    def set_aside(part: RawExport | SheetPart, rows: int, where: str = "") -> None:
        """Notes on the rows of one sheet (or text file) that are not records."""
        if part.preamble:
            numbers, texts = quoted(part.preamble)
            notes.append(f"{where}header on row {part.header_row}; {numbers} above it not loaded: {texts}")
        if part.total_rows:
            numbers, texts = quoted(part.total_rows)
            notes.append(f"{where}{numbers} under the records not loaded (a total): {texts}")
            counted = _rows_counted(part.total_rows)
            if counted is not None and counted not in (rows, records):  # the sheet's, or the whole export's
                notes.append(f"{where}the total says {counted} rows but the file holds {records}: is the export whole?")

    notes: list[str] = []
    records = export.rows + len(export.malformed_rows)
    parts = export.appended_sheets
    if export.undecodable_lines:
        notes.append(
            f"{export.undecodable_lines} line(s) hold bytes that are not {export.encoding} (read as U+FFFD): "
            "their rows are quarantined where a column read other than free text has them"
        )
    if export.sheet:
        notes.append(f"read from sheet {export.sheet}: the first sheet holds no header row of the profile")
    if parts:
        first = records - sum(part.rows for part in parts)
        listed = ", ".join(f"{part.name} ({part.rows})" for part in parts)
        notes.append(f"records read from {len(parts) + 1} sheets: {export.sheet_name} ({first}), {listed}")
        set_aside(export, first, f"sheet {export.sheet_name}: ")
        before, read = export.sheet_name, first  # the sheet before, and the records up to its end
        for part in parts:
            if not part.header_row:
                notes.append(
                    f"sheet {part.name} has no header row: it follows sheet {before}, whose records run to row "
                    f"{export.row_numbers[read - 1]}, the last a sheet holds; its columns were read in that "
                    "sheet's order"
                )
            set_aside(part, part.rows, f"sheet {part.name}: ")
            before, read = part.name, read + part.rows
    else:
        set_aside(export, records)
    last = parts[-1].rows if parts else records  # a sheet cut at its limit is the last read
    if last in SHEET_LIMITS or _filled_to_the_last_row(export):
        notes.append(
            f"{last} rows, as many as a sheet holds under its header: "
            "the system may have cut the export there; export the period in parts"
        )
    if export.declared_records is not None and export.declared_records > records:
        notes.append(
            f"the reply says it holds {export.declared_records} records in all but the file has {records}: "
            "a page of a paged API? export every page (or the whole period at once)"
        )
    if export.other_sheets:
        notes.append(
            f"sheet {', '.join(export.other_sheets)} also holds data and is not loaded (it has no header row "
            "with the columns of the sheet loaded): if it is part of the export, give it that header row "
            "(or land it as a file of its own)"
        )
    return notes


# "共 261 条", "共 261", "合计：261条", "Total: 261 rows": the number of records a total row states
# (after 合计 or Total a number needs its unit: it may be the sum of a column)
_COUNTED = re.compile(
    r"^(?:共\s*计?\s*[:：]?\s*([0-9][0-9,]*)\s*(?:条|件|行|项|笔|rows?)?"
    r"|(?:合\s*计|总\s*计|total)\s*[:：]?\s*([0-9][0-9,]*)\s*(?:条|件|行|项|笔|rows?))\s*$",
    re.IGNORECASE,
)
# the most rows a sheet holds under a header row: .xls (and what systems cap their CSVs at to fit it), .xlsx
SHEET_LIMITS = (65_535, 1_048_575)
# a sheet's last row, by the workbook's format (RawExport.file_format)
SHEET_LAST_ROW = {
    **dict.fromkeys(["xls", "xml spreadsheet named .xls"], 65_536),
    **dict.fromkeys(["xlsx", "xlsm", "ods"], 1_048_576),
}


def _filled(export: RawExport, row: int) -> int:
    """How many cells of one row hold anything."""
    return sum(bool((column[row].as_py() or "").strip()) for column in export.arrow_columns())


def _holds_records(part: RawExport, before: RawExport) -> bool:
    """Whether one of a sheet's first five rows fills at least half as many cells as the last
    record of the sheet before: a record, not a note or a total under the export."""
    fullest = max((_filled(part, row) for row in range(min(5, part.rows))), default=0)
    return fullest * 2 >= _filled(before, before.rows - 1)


def _filled_to_the_last_row(export: RawExport) -> bool:
    """Whether a workbook's sheet (the last read of `export`) has a record on its format's last
    row, or on .xls's in a newer format (systems that cap an export at what .xls holds)."""
    last = SHEET_LAST_ROW.get(export.file_format)
    return last is not None and bool(export.row_numbers) and export.row_numbers[-1] in (65_536, last)


def _rows_counted(total_rows: list[tuple[int, str]]) -> int | None:
    for _, text in total_rows:
        found = _COUNTED.match(text.strip())
        if found:
            return int((found[1] or found[2]).replace(",", ""))
    return None


def _snapshot_date(
    path: Path,
    relative: str,
    profile: SourceProfile,
    mapped: pd.DataFrame,
    as_of: dt.date | None,
    today: dt.date,
    typed_cells: bool = False,
) -> dt.date:
    """The export's date, from where its profile says (`as_of` for files dated on the command line)."""
    if profile.dated_by_name:
        snapshot = profile.snapshot_date(relative)
        if snapshot is None:
            raise PipelineError(
                f"{path}: no valid export date in the file name for profile {profile.name} "
                f"(pattern {profile.snapshot_date_pattern.pattern}); rename the file"
            )
    elif profile.snapshot_source == "command_line":
        if as_of is None:
            raise PipelineError(
                f"{path}: profile {profile.name} takes the export date from the command line; "
                "run `hotline ingest --as-of YYYY-MM-DD`"
            )
        snapshot = as_of
    else:  # the newest timestamp in the file, of the events (a deadline lies ahead of the export)
        newest = [
            parse_timestamps(
                mapped[c.name],
                c.formats,
                zone=profile.timezone,
                store_zone=profile.store_timezone,
                typed_cells=pd.Series(typed_cells, index=mapped.index),
            ).max()
            for c in profile.columns
            if c.type in ("timestamp", "date") and not _DEADLINE.search(c.name)
        ]
        newest = [value for value in newest if not pd.isna(value)]
        if not newest:
            raise PipelineError(
                f"{path}: no readable timestamp to date this export by; check the formats in {profile.name}"
            )
        snapshot = max(newest).date()
    if snapshot > today:
        where = {"from_filename": " in the file name", "from_path": " in the file's path"}
        where = where.get(profile.snapshot_source, "")
        raise PipelineError(f"{path}: export date {snapshot}{where} is in the future; fix the file name or the export")
    return snapshot


# a deadline's column (due_at, due_date, reply_due_date, deadline_date): not an event of the export
_DEADLINE = re.compile(r"(^|_)(due|deadline)(_|$)")


def _profile_headers(profile: SourceProfile) -> set[str]:
    return {header for column in profile.columns for header in column.headers} | set(profile.headers_include)


def header_key(header: str) -> str:
    """A header as it is compared with a profile's: NFKC (full-width letters, digits and brackets
    as half-width), without any whitespace (a line break typed in a header cell, a space between
    two characters) and case-folded."""
    return "".join(unicodedata.normalize("NFKC", header).split()).casefold()


def header_row(rows: list[list[str]], profile: SourceProfile) -> int | None:
    """The row (numbered from 1) holding the profile's headers: the first with every header its
    match requires and the most of those it reads. None when no row has any."""
    required = {header_key(header) for header in profile.headers_include}
    known = {header_key(header) for header in _profile_headers(profile)}
    best, most = None, 0
    for number, cells in enumerate(rows, 1):
        present = {header_key(cell) for cell in cells}
        if required <= present and len(known & present) > most:
            best, most = number, len(known & present)
    return best


def _spelled_as_profiles(export: RawExport, profiles: list[SourceProfile]) -> RawExport:
    """The export with each header written as the profiles spell it, where they differ only as
    header_key ignores (工单编号 with a line break typed in it, ＩＤ for ID); a header two of the file's
    headers would take is left as it is (and the file rejected if the profile reads it)."""
    known = set().union(*(_profile_headers(profile) for profile in profiles))
    header = export.header
    unknown = [name for name in header if name not in known]
    if not unknown:  # the usual export: nothing to compare
        return export
    spellings: dict[str, set[str]] = {}
    for name in known:
        spellings.setdefault(header_key(name), set()).add(name)
    renamed = {}
    for name in unknown:
        found = spellings.get(header_key(name), set())
        if len(found) == 1:
            renamed[name] = next(iter(found))
    taken = Counter(renamed.get(name, name) for name in header)
    renamed = {old: new for old, new in renamed.items() if taken[new] == 1}
    if renamed:
        export.rename_headers(renamed)
    return export


def read_matched(path: Path, profiles: list[SourceProfile]) -> tuple[RawExport, SourceProfile]:
    """Read one export and choose its profile; PipelineError when none fits.

    The header is the first row, unless it holds none of the headers of the profiles the file's
    name matches: some systems put a title, the time of the export or who took it above the
    header. Then the header row is the first of the file's first rows with the headers a profile
    requires and the most of those it reads; the rows above it are the export's `preamble`. A
    workbook with no such row on its first sheet is read from the first later sheet with one,
    and later sheets that continue it are appended (_with_later_sheets). Headers are compared as
    header_key says, and renamed to the profiles' spelling. A header the profile reads must not
    be there twice."""
    with reads_kept():  # the first rows looked at are decoded or parsed once with the rest
        export, profile = _read_and_choose(path, profiles)
        _refuse_headers_read_twice(path, export.header, profile)
        return _with_later_sheets(path, export, profile), profile


def _refuse_headers_read_twice(where: Path | str, header: list[str], profile: SourceProfile) -> None:
    """PipelineError when a header the profile reads is there twice, as it is or written another
    way that header_key does not tell apart (工单编号 and 工单 编号): which of the two holds the value?"""
    read = _profile_headers(profile)
    refuse_repeated_headers(where, header, read)
    keys = {header_key(name) for name in read}
    spellings: dict[str, list[str]] = {}
    for name in header:
        if name and header_key(name) in keys:
            spellings.setdefault(header_key(name), []).append(name)
    alike = [names for names in spellings.values() if len(names) > 1]
    if alike:
        listed = " and ".join(repr(name) for name in alike[0])
        raise PipelineError(f"{where}: columns {listed} are one header written two ways; keep one and re-export")


def _with_later_sheets(path: Path, export: RawExport, profile: SourceProfile) -> RawExport:
    """The export with the records of each later visible sheet that continues it appended, in
    sheet order: a sheet with a header row of the profile whose headers the profile reads are
    those of the sheet read first (a system splits a long export over sheets, one per month or
    per 65,535 rows), or a sheet with no header row at all that follows a sheet filled to row
    65,536 or to its format's last row (_filled_to_the_last_row) and holds records
    (_holds_records), read in the first sheet's column order. Other sheets with data (a
    summary, another table) stay `other_sheets`, named on the file's ledger row."""
    if not export.other_sheets:
        return export
    read = _profile_headers(profile)
    layout = read & set(export.header)
    continuing, others = [], []
    previous: RawExport | None = export  # the sheet before, when its records were read
    for index, name in later_sheets(path):
        if name not in export.other_sheets:
            continue
        found = header_row(leading_rows(path, sheet=index), profile)
        part = None
        if found is not None:
            part = _spelled_as_profiles(read_export(path, header_row=found, sheet=index, other_sheets=False), [profile])
            if read & set(part.header) != layout:
                part = None
            else:
                _refuse_headers_read_twice(f"{path}, sheet {name}", part.header, profile)
        elif previous is not None and _filled_to_the_last_row(previous):
            # no header row, after a sheet filled to the format's last row: the system went on
            # with the records on the next sheet, as .xls exports of over 65,535 rows do
            part = read_headerless_sheet(path, index, export.header, export.file_format)
            if part is not None and not _holds_records(part, previous):
                part = None  # a note or a total under the export ("导出人：…")
        previous = part
        if part is None:
            others.append(name)
        else:
            continuing.append(part)
    if not continuing:
        return export
    merged = with_sheets_appended(export, continuing)
    merged.other_sheets = others
    return merged


def _read_and_choose(path: Path, profiles: list[SourceProfile]) -> tuple[RawExport, SourceProfile]:
    by_name = [profile for profile in profiles if profile.matches_name(path.name)]
    titled = _header_below_a_title(path, by_name)
    if titled is not None:  # read once, from its header row
        header, candidate = titled
        return _spelled_as_profiles(read_export(path, header_row=header), by_name), candidate
    export = profile = None
    try:
        export = _spelled_as_profiles(read_export(path), by_name)
        profile = match_profile(path, export.header, profiles)
        if _profile_headers(profile) & set(export.header) or not _profile_headers(profile):
            return export, profile
        failure = None
    except PipelineError as error:  # read with the header on row 1: maybe the title's fault
        failure = error
    try:
        found = _header_below(path, by_name)
    except PipelineError:  # the file cannot be read at all: the first error says why
        found = None
    if found is not None:
        header, sheet, candidate = found
        return _spelled_as_profiles(read_export(path, header_row=header, sheet=sheet), by_name), candidate
    if failure is None:  # the profile that matched, with none of its headers: its load says so
        return export, profile
    known = {header for profile in profiles for column in profile.columns for header in column.headers}
    if export is not None and (export.encoding or "").startswith("gb18030") and not known & set(export.header):
        # Big5 and other encodings decode as GB18030 without an error, into nonsense headers
        raise PipelineError(
            f"{failure}; no header of this file is known to any profile: if it was saved in another "
            "encoding (Big5, Shift-JIS), re-export it as UTF-8 or GB18030"
        ) from None
    raise failure


def _header_below_a_title(path: Path, by_name: list[SourceProfile]) -> tuple[int, SourceProfile] | None:
    """(header row, profile) when the first row holds no header row of these profiles and a row
    below does, as _header_below finds it: known from the first rows, so that the file is read
    whole once, from that row, not first from row 1. None otherwise, or when the file cannot be
    read (read_export then says why)."""
    if not by_name:
        return None
    try:
        rows = leading_rows(path)
    except PipelineError:
        return None
    if not rows or any(header_row(rows[:1], candidate) is not None for candidate in by_name):
        return None
    for candidate in by_name:
        found = header_row(rows, candidate)
        if found is not None:
            return found, candidate
    return None


def _header_below(path: Path, by_name: list[SourceProfile]) -> tuple[int, int, SourceProfile] | None:
    """(header row, sheet, profile) of the first row of the first sheet below row 1, else of the
    first later sheet of a workbook (instructions or a summary come first), that holds a header
    row of one of these profiles; None when none does."""
    if not by_name:
        return None
    rows = leading_rows(path)
    for candidate in by_name:
        found = header_row(rows, candidate)
        if found is not None and found > 1:
            return found, 0, candidate
    for sheet, _ in later_sheets(path):
        rows = leading_rows(path, sheet=sheet)
        for candidate in by_name:
            found = header_row(rows, candidate)
            if found is not None:
                return found, sheet, candidate
    return None


def read_landed(
    path: Path, relative: str, file_id: str, profiles: list[SourceProfile], *, as_of: dt.date | None, today: dt.date
) -> LandedFile:
    """Read one file, choose its profile, date it and map it. PipelineError when it cannot be loaded."""
    export, profile = read_matched(path, profiles)
    # mapping waits for the batch (pandas' cost per call, not per row, dominates a file's mapping),
    # except where the export's date is its newest timestamp
    mapped = map_columns(export.frame, profile)[0] if profile.snapshot_source == "newest_timestamp" else None
    snapshot = _snapshot_date(path, relative, profile, mapped, as_of, today, export.has_typed_cells)
    missing = missing_headers(export.header, profile)
    return LandedFile(path, relative, file_id, profile, snapshot, export, missing)


def unreadable(path: Path, error: Exception) -> str:
    """Why a file is rejected, on one line: a PipelineError says it already."""
    if isinstance(error, PipelineError):
        return str(error)
    return f"{path}: could not be read ({error.__class__.__name__}: {str(error)[:200]}); check the file"


# Reading a file (decoding, parsing, the profile, the export date) is Python work that holds the
# GIL, about a third of an ingest's CPU: a run with much to read has a process read the next
# files while this one checks, masks and writes the batch before. Less than one read-ahead of
# files (a day's export, a test's small demo) is read here: starting the reader and sending it
# the cells would cost more than it saves (a second or so, and CPU a busy machine lacks).
READERS = min(2, (os.cpu_count() or 1) - 1)  # reading processes: this one does the larger share
# the files read and waiting, at most, in bytes: about a batch (BATCH_ROWS), so that the reading
# goes on while this process loads the batch before (their cells are held in memory meanwhile)
READ_AHEAD_BYTES = 64 * 2**20
_reader: dict = {}  # in the reading process: its profiles and today


def read_files(
    files: list[tuple[Path, str, str, dt.date | None]], profiles: list[SourceProfile], today: dt.date
) -> Generator[LandedFile | Exception, None, None]:
    """Each (path, relative, file_id, as_of) read (read_landed), in order; an error in its place."""
    handover = None
    if READERS >= 1 and sum(_size(path) for path, *_ in files) >= READ_AHEAD_BYTES:
        try:
            handover = _handover_folder()
        except OSError as error:  # no writable temporary folder: read here, as a small run does
            log.warning("no folder to hand the cells over in (%s); the files are read in this process", error)
    if handover is None:
        for path, relative, file_id, as_of in files:
            yield _read_here(path, relative, file_id, profiles, as_of, today)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # spawned, not forked: a fork of a process with threads (DuckDB's, Airflow's) can hang
    pool = ProcessPoolExecutor(
        READERS,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_reader,
        initargs=(profiles, today, os.getpid(), handover),
    )
    # files submitted and not yet taken, in order: one leaves only once its result is in hand,
    # so that if the reader fails, these and the files after them are read here, still in order
    waiting: deque[list] = deque()
    queue = iter(files)
    ahead = 0  # their bytes
    try:
        for file in queue:
            waiting.append([file, _size(file[0]), None])
            waiting[-1][2] = pool.submit(_read_in_reader, *file)
            ahead += waiting[-1][1]
            while ahead >= READ_AHEAD_BYTES:
                result = _taken_over(waiting[0][2].result())
                ahead -= waiting.popleft()[1]
                yield result
        while waiting:
            result = _taken_over(waiting[0][2].result())
            waiting.popleft()
            yield result
    except Exception as error:  # noqa: BLE001 - the reader died (out of memory?), could not start or send
        log.warning("the process reading exports failed (%r); the files left are read in this one", error)
        for path, relative, file_id, as_of in [file for file, _, _ in waiting] + list(queue):
            yield _read_here(path, relative, file_id, profiles, as_of, today)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        shutil.rmtree(handover, ignore_errors=True)  # the files read and never taken


def _stamp(path: Path) -> tuple[int, int] | None:
    """Size and modification time: a file hashed, then replaced before it is read, is told apart."""
    try:
        status = path.stat()
    except OSError:  # read_landed says why
        return None
    return status.st_size, status.st_mtime_ns


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:  # read_landed says why
        return 0


def _read_here(path, relative, file_id, profiles, as_of, today) -> LandedFile | Exception:
    try:
        return read_landed(path, relative, file_id, profiles, as_of=as_of, today=today)
    except Exception as error:  # noqa: BLE001 - the caller rejects the file with this
        return error


def _start_reader(profiles: list[SourceProfile], today: dt.date, parent: int, handover: Path) -> None:
    _reader.update(profiles=profiles, today=today, handover=handover)
    if sys.platform.startswith("linux"):  # a kill -9 of the loader must not leave its reader behind
        import ctypes
        import signal

        pr_set_pdeathsig = 1
        ctypes.CDLL(None).prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the loader died before the setting took
        os._exit(1)


def _read_in_reader(path: Path, relative: str, file_id: str, as_of: dt.date | None) -> LandedFile | Exception:
    landed = _read_here(path, relative, file_id, _reader["profiles"], as_of, _reader["today"])
    if isinstance(landed, Exception):  # as one line: an error need not survive pickling
        return PipelineError(unreadable(path, landed))
    landed.export.__dict__.pop("frame", None)  # a cached frame of the cells, not worth sending
    _hand_over(landed.export, _reader["handover"])
    return landed


# The reading process hands each file's cells over in an Arrow IPC file that the loader maps,
# rather than through the pipe: pickled, a scale-1 ingest's ~500 MB of cells were copied four
# times (pickle, pipe, read, unpickle), ~3 s of CPU and 2 GB of freshly faulted pages.
HANDOVER_PREFIX = "hotline-reading-"


@dataclass
class _HandedOver:
    """Where the reading process left a file's cells (header, then one column per field)."""

    path: Path
    header: list[str]


def _handover_folder() -> Path:
    """A new folder for this run's hand-overs, in the temporary folder (TMPDIR). Those of runs
    that were killed (their process is gone) are removed."""
    root = Path(tempfile.gettempdir())
    for stale in root.glob(f"{HANDOVER_PREFIX}*"):
        pid = stale.name.removeprefix(HANDOVER_PREFIX).split("-")[0]
        if pid.isdigit() and not _running(int(pid)):
            shutil.rmtree(stale, ignore_errors=True)
    return Path(tempfile.mkdtemp(prefix=f"{HANDOVER_PREFIX}{os.getpid()}-"))


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's
        return True
    return True


def _hand_over(export: RawExport, folder: Path) -> None:
    if isinstance(export.cells, pd.DataFrame):  # a ragged sheet's frame (rare): pickled
        return
    header, columns = export.cells
    table = pa.table(columns, names=[str(j) for j in range(len(columns))])
    path = folder / f"{uuid.uuid4().hex}.arrow"
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    export.cells = _HandedOver(path, header)


def _taken_over(landed: LandedFile | Exception) -> LandedFile | Exception:
    """The file's cells mapped from the reading process's hand-over, which is then removed."""
    if isinstance(landed, Exception) or not isinstance(landed.export.cells, _HandedOver):
        return landed
    handed = landed.export.cells
    with pa.memory_map(str(handed.path)) as source:
        table = pa.ipc.open_file(source).read_all()  # no copy: the arrays point into the mapping
    handed.path.unlink()  # the mapping keeps the pages while the arrays use them
    columns = [column.chunk(0) if column.num_chunks == 1 else column.combine_chunks() for column in table.columns]
    landed.export.cells = (handed.header, columns)
    return landed


def _mapped_batch(files: list[LandedFile]) -> pd.DataFrame:
    """The batch's cells as canonical columns, plus _file_id and _row_number: files of one
    layout (the same headers) are mapped together."""
    layouts: dict[tuple, list[LandedFile]] = {}
    for file in files:
        layouts.setdefault(tuple(file.export.header), []).append(file)
    parts = []
    for header, same in layouts.items():
        # one frame of the layout's files, made from their Arrow columns (no frame per file)
        by_file = [file.export.arrow_columns() for file in same]
        frame = arrow_frame([_chunks([columns[j] for columns in by_file]) for j in range(len(header))], list(header))
        mapped = map_columns(frame, same[0].profile)[0]
        ids = np.repeat(np.array([file.file_id for file in same], dtype=object), [file.rows for file in same])
        mapped["_file_id"] = pd.Series(ids, dtype="object")
        mapped["_row_number"] = pd.Series(
            [number for file in same for number in file.export.row_numbers], dtype="int32"
        )
        sheets = [file.export.row_sheets() for file in same]
        if any(sheets):  # a workbook read from more than one sheet, or not from its first
            mapped["_sheet"] = pd.Series(
                [name for file, names in zip(same, sheets, strict=True) for name in names or [None] * file.rows],
                dtype="object",
            )
        parts.append(mapped)
    return pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]


def _chunks(arrays: list[pa.Array | pa.ChunkedArray]) -> pa.Array:
    """The files' arrays of one column as one contiguous array: Arrow's kernels and DuckDB's
    scan of a column cost per chunk too (a batch is hundreds of files)."""
    return pa.chunked_array(
        [chunk for array in arrays for chunk in (array.chunks if isinstance(array, pa.ChunkedArray) else [array])],
        type=pa.large_string(),
    ).combine_chunks()


def _masked(
    mapped: pd.DataFrame, profile: SourceProfile, key: bytes, digests: dict[str, dict] | None = None
) -> pd.DataFrame:
    masked = mapped.copy()
    names = mapped.get("caller_name_hash")  # still clear here: hashed below
    for column in profile.columns:
        if column.personal == "hash":
            cache = None if digests is None else digests.setdefault(column.name, {})
            masked[column.name] = keyed_hash(mapped[column.name], key, cache)
        elif column.personal == "mask_text":
            text = mask_names(mapped[column.name], names) if names is not None else mapped[column.name]
            cache = None if digests is None else digests.setdefault(f"masked {column.name}", {})
            masked[column.name] = mask_text(text, cache)
    return masked


def undecodable_problems(mapped: pd.DataFrame, profile: SourceProfile, exports: dict[str, RawExport]) -> pd.Series:
    """Rows of text exports (by file id) with bytes their encoding cannot decode (read as U+FFFD:
    readers._decoded) in a column the profile reads, other than free text: what was the id, the
    number, the name? Free text with a character cut in half (where a system cut a long cell)
    loads as it is."""
    problems = pd.Series("", index=mapped.index, dtype="object")
    encodings = {file_id: export.encoding for file_id, export in exports.items() if export.undecodable_lines}
    if not encodings:
        return problems
    in_files = mapped["_file_id"].isin(encodings)
    for column in profile.columns:
        if column.personal == "mask_text":
            continue
        hit = in_files & mapped[column.name].str.contains(UNDECODABLE, regex=False).fillna(False).astype(bool)
        if hit.any():
            said = mapped["_file_id"][hit].map(
                lambda file_id, header=column.header: (
                    f"{header} holds bytes that are not {encodings[file_id]} (a character cut in half?), "
                    "fix the export and reload it"
                )
            )
            problems[hit] = problems[hit].where(problems[hit].eq(""), problems[hit] + "; ") + said
    return problems


# how Excel writes a number of more than 11 digits into a CSV it saves: 2.30103E+14, the digits lost
_SCIENTIFIC = r"^[0-9](?:\.[0-9]+)?E\+[0-9]+$"


def lost_digits_problems(mapped: pd.DataFrame, profile: SourceProfile) -> pd.Series:
    """Rows whose id Excel turned into a number in scientific notation (an export opened and saved
    in Excel): the id's digits are gone, so the row cannot be told from another order's."""
    problems = pd.Series("", index=mapped.index, dtype="object")
    if profile.key is None or mapped.empty:
        return problems
    hit = mapped[profile.key].str.fullmatch(_SCIENTIFIC, case=False).fillna(False).astype(bool)
    if hit.any():
        header = _key_header(profile)
        problems[hit] = mapped[profile.key][hit].map(
            lambda value: (
                f"{header} '{value}' is a number Excel wrote in scientific notation, its digits lost: land the "
                "export as the system wrote it, not opened and saved in Excel"
            )
        )
    return problems


def _key_header(profile: SourceProfile) -> str:
    """The header of the profile's key column, as the export's rows name it."""
    return next(column.header for column in profile.columns if column.name == profile.key)


def export_problems(mapped: pd.DataFrame, profile: SourceProfile, exports: dict[str, RawExport]) -> pd.Series:
    """What is wrong with rows beyond their own values (row_problems), by file id of `exports`:
    undecodable bytes, ids whose digits Excel lost, ids shared inside one export."""
    problems = undecodable_problems(mapped, profile, exports)
    lost = lost_digits_problems(mapped, profile)
    for more in (lost, duplicate_problems(mapped[lost.eq("")], profile).reindex(mapped.index, fill_value="")):
        problems = joined_problems(problems, more)
    return problems


def joined_problems(problems: pd.Series, more: pd.Series) -> pd.Series:
    """Each row's problems, then `more` of them, joined by '; '."""
    return problems.where(more.eq(""), problems.where(problems.eq(""), problems + "; ") + more)


def duplicate_problems(mapped: pd.DataFrame, profile: SourceProfile) -> pd.Series:
    """Rows sharing one id inside one export: an identical copy is set aside (the first is kept);
    rows that differ are all quarantined, each naming the others, since nobody can tell which is right."""
    problems = pd.Series("", index=mapped.index, dtype="object")
    if profile.key is None or mapped.empty:
        return problems
    ids = mapped[profile.key]
    shared = ids.ne("") & mapped.duplicated(subset=["_file_id", profile.key], keep=False)
    if not shared.any():
        return problems
    columns = [column.name for column in profile.columns]
    rows = mapped[shared]
    for _, group in rows.groupby(["_file_id", profile.key], sort=False):
        numbers = group["_row_number"].tolist()
        if "_sheet" in group and group["_sheet"].notna().any():  # which sheet's row
            numbers = [f"{number} of sheet {sheet}" for number, sheet in zip(numbers, group["_sheet"], strict=True)]
        if len(group.drop_duplicates(subset=columns)) == 1:
            for index in group.index[1:]:
                problems[index] = f"duplicate of row {numbers[0]} (identical, row {numbers[0]} loaded)"
        else:
            listed = ", ".join(map(str, numbers))
            for index in group.index:
                problems[index] = (
                    f"{_key_header(profile)} {ids[index]} appears in rows {listed} with different values, "
                    "fix the export and reload it"
                )
    return problems


def _quarantine_rows(
    bad: pd.DataFrame, reasons: pd.Series, files: list[LandedFile], loaded_at: dt.datetime
) -> pd.DataFrame:
    profile = files[0].profile
    names = {file.file_id: file.relative for file in files}
    headers = {column.name: column.header for column in profile.columns}
    record_key = profile.key or (profile.required[0] if profile.required else None)
    return pd.DataFrame(
        {
            "file_id": bad["_file_id"],
            "file_name": bad["_file_id"].map(names),
            "source_profile": profile.name,
            "row_number": bad["_row_number"],
            "sheet": bad.get("_sheet"),
            "record_key": bad[record_key].where(bad[record_key].ne(""), None) if record_key else None,
            # a bad value quoted in a reason, or a number typed into the wrong column, is masked too
            "reason": mask_text(reasons.astype("string")),
            "raw_values": mask_text(
                pd.Series(
                    [
                        json.dumps({headers[name]: row[name] for name in headers}, ensure_ascii=False)
                        for row in bad.to_dict("records")
                    ],
                    index=bad.index,
                    dtype="string",
                )
            ),
            "quarantined_at": loaded_at,
        }
    )


def _malformed_rows(file: LandedFile, loaded_at: dt.datetime) -> pd.DataFrame:
    header_cells = len(file.export.header)
    lines = pd.Series([line for _, line in file.export.malformed_rows], dtype="string")
    return pd.DataFrame(
        {
            "file_id": file.file_id,
            "file_name": file.relative,
            "source_profile": file.profile.name,
            "row_number": [number for number, _ in file.export.malformed_rows],
            "reason": [
                file.export.malformed_reasons.get(number)
                or f"row has {line.count(',') + 1} cells, the header has {header_cells}"
                for number, line in file.export.malformed_rows
            ],
            # the cells cannot be told apart: the line is kept whole, masked
            "raw_values": mask_text(lines).map(lambda line: json.dumps({"line": line}, ensure_ascii=False)).tolist(),
            "quarantined_at": loaded_at,
        }
    )


def _ledger_entries(
    files: list[LandedFile], loaded_counts: pd.Series, quarantined: pd.DataFrame, loaded_at: dt.datetime
) -> list[ledger.LedgerEntry]:
    quarantined_counts = quarantined["file_id"].value_counts()
    return [
        ledger.LedgerEntry(
            file_id=file.file_id,
            file_name=file.relative,
            source_profile=file.profile.name,
            file_format=file.export.file_format,
            encoding=file.export.encoding,
            snapshot_date=file.snapshot_date,
            status="loaded",
            rows_read=file.rows + len(file.export.malformed_rows),
            rows_loaded=int(loaded_counts.get(file.file_id, 0)),
            rows_quarantined=int(quarantined_counts.get(file.file_id, 0)),
            error=None,
            loaded_at=loaded_at,
            warnings=file.warnings,
            deadline_policy=file.profile.deadline if contract_for(file.profile.table) else None,
            working_calendar=file.profile.calendar if contract_for(file.profile.table) else None,
        )
        for file in files
    ]


def _write(
    connection: duckdb.DuckDBPyConnection,
    table: str,
    rows: pd.DataFrame,
    quarantined: pd.DataFrame,
    entries: list[ledger.LedgerEntry],
    replaces: list[str] | None = None,
) -> None:
    """One transaction: the earlier loads the batch replaces taken out, the batch's good rows
    (those with _GOOD true), its quarantine and its ledger rows; or none of that."""
    connection.execute("begin transaction")
    try:
        ledger.forget(connection, replaces or [])
        # as Arrow: DuckDB scans Arrow columns natively, pandas' text columns value by value
        connection.register("landed_rows", pa.Table.from_pandas(rows, preserve_index=False).combine_chunks())
        connection.execute(f"insert into raw.{table} by name select * exclude ({_GOOD}) from landed_rows where {_GOOD}")
        connection.unregister("landed_rows")
        if len(quarantined):
            connection.register("quarantined_rows", pa.Table.from_pandas(quarantined, preserve_index=False))
            connection.execute("insert into raw.quarantine by name select * from quarantined_rows")
            connection.unregister("quarantined_rows")
        ledger.record_loaded(connection, entries)
        connection.execute("commit")
    except Exception:
        connection.execute("rollback")
        raise


@dataclass
class PreparedBatch:
    """A batch validated and masked, ready for its one transaction (_write)."""

    table: str
    rows: pd.DataFrame  # every row, typed; those with _GOOD true are loaded
    quarantined: pd.DataFrame
    entries: list[ledger.LedgerEntry]
    replaces: list[str] = field(default_factory=list)  # earlier loads taken out in the same transaction


def prepare_batch(
    files: list[LandedFile], key: bytes, loaded_at: dt.datetime, digests: dict[str, dict] | None = None
) -> PreparedBatch:
    """Validate and mask files of one profile together, for one transaction with their ledger
    rows (_write): each file is all-or-nothing (a crash loads none of the batch, and a rerun
    loads it). Batching keeps pandas' per-column cost per batch rather than per file."""
    profile = files[0].profile
    mapped = _mapped_batch(files)
    masked = _masked(mapped, profile, key, digests)
    exports = {file.file_id: file.export for file in files}
    typed_cells = mapped["_file_id"].map({file_id: export.has_typed_cells for file_id, export in exports.items()})
    typed, problems = row_problems(masked, profile, typed_cells.astype(bool))
    problems = joined_problems(problems, export_problems(mapped, profile, exports))
    good = problems.eq("")
    if profile.out_of_order_times == "clear":  # a back-dated time is no time: emptied, the row kept
        cleared_rows, headers = clear_out_of_order_times(typed, profile)
        per_file = mapped["_file_id"][cleared_rows & good].value_counts()
        for file in files:
            if per_file.get(file.file_id):
                file.load_notes.append(
                    f"{per_file[file.file_id]} row(s) with a time before the step it follows ({', '.join(headers)}): "
                    "that time was emptied and the row loaded (out_of_order_times: clear)"
                )

    # every row goes to DuckDB, which keeps the good ones as it inserts (a copy of the good rows
    # here cost as much as the insert)
    rows = typed
    rows["_file_id"] = mapped["_file_id"]
    rows["_file_name"] = rows["_file_id"].map({file.file_id: file.relative for file in files})
    rows["_row_number"] = mapped["_row_number"]
    if "_sheet" in mapped:
        rows["_sheet"] = mapped["_sheet"]
    rows["_snapshot_date"] = rows["_file_id"].map({file.file_id: file.snapshot_date for file in files})
    rows["_loaded_at"] = loaded_at
    rows[_GOOD] = good.to_numpy(dtype=bool)

    quarantined = _quarantine_rows(masked[~good], problems[~good], files, loaded_at)
    malformed = [_malformed_rows(file, loaded_at) for file in files if file.export.malformed_rows]
    if malformed:
        quarantined = pd.concat([quarantined, *malformed], ignore_index=True)
    entries = _ledger_entries(files, mapped["_file_id"][good].value_counts(), quarantined, loaded_at)
    return PreparedBatch(profile.table, rows, quarantined, entries)


class _BatchWriter:
    """Writes prepared batches in a thread of their own, one at a time and in order, on a cursor
    of their own (a transaction each), while the loading process prepares the next batch.

    DuckDB's insert lets go of the GIL, so the write (a sixth of the loading process's time)
    runs beside the masking and checks of the next batch. A write that failed raises in the
    loading thread at the next batch, or at the end; no later batch is written after it."""

    def __init__(self, connection: duckdb.DuckDBPyConnection, done: Callable[[list[ledger.LedgerEntry]], None]):
        from concurrent.futures import ThreadPoolExecutor

        self._cursor = connection.cursor()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="batch-writer")
        self._done = done
        self._pending: tuple[object, list[ledger.LedgerEntry]] | None = None

    def submit(self, batch: PreparedBatch) -> None:
        self.wait()  # two batches in memory at most: the one written and the one prepared
        future = self._pool.submit(
            _write, self._cursor, batch.table, batch.rows, batch.quarantined, batch.entries, batch.replaces
        )
        self._pending = (future, batch.entries)

    def wait(self) -> None:
        if self._pending is not None:
            future, entries = self._pending
            self._pending = None
            future.result()
            self._done(entries)

    def close(self) -> None:
        """Waits for the batch being written (also when the loading thread failed meanwhile)."""
        try:
            if self._pending is not None:
                self._pending[0].exception()
        finally:
            self._pool.shutdown(wait=True)
            self._cursor.close()


def landed_paths(landing_dir: Path) -> list[Path]:
    """Every file under the landing folder, hidden ones (names starting with '.') left out."""
    return sorted(
        path
        for path in landing_dir.rglob("*")
        if (path.is_file() or path.is_symlink())
        and not any(part.startswith(".") for part in path.relative_to(landing_dir).parts)
    )


def _reject(
    connection: duckdb.DuckDBPyConnection, report: IngestReport, path: Path, relative: str,
    snapshot: dt.date | None, reason: str, loaded_at: dt.datetime,
) -> None:  # fmt: skip
    """A rejected file is one ledger row per path (two different empty files are two rows), kept
    until the file at that path loads.

    A file rejected again for the same reason keeps its row as it stands (rejected since then):
    a daily run over a landing folder that still holds it then changes no raw table, and the
    build has nothing to redo. A new reason replaces the row; the earlier one moves to the
    ledger history."""
    report.rejected.append((relative, reason))
    file_id = f"rejected:{relative}"
    if reason.startswith(str(path)):  # the same file and reason from a landing folder moved elsewhere
        same_reason, said = "ends_with(error, ?)", f"/{relative}{reason.removeprefix(str(path))}"
    else:
        same_reason, said = "error = ?", reason
    unchanged = connection.execute(
        f"select count(*) from raw.load_ledger where file_id = ? and {same_reason} "
        "and snapshot_date is not distinct from ?",
        [file_id, said, snapshot],
    ).fetchone()[0]
    if unchanged:
        return
    ledger.record(
        connection,
        ledger.LedgerEntry(
            file_id=file_id,
            file_name=relative,
            source_profile=None,
            file_format=path.suffix.lstrip(".").lower(),
            encoding=None,
            snapshot_date=snapshot,
            status="rejected",
            rows_read=None,
            rows_loaded=None,
            rows_quarantined=None,
            error=reason,
            loaded_at=loaded_at,
        ),
    )


def _content_id(path: Path, landing_dir: Path) -> str:
    """The file's content hash; a link that leads out of the landing folder, or nowhere, is refused."""
    if path.is_symlink():
        target = path.resolve()
        if not target.exists():
            raise PipelineError(f"{path}: a link to {target}, which does not exist; remove the link")
        if not target.is_relative_to(landing_dir.resolve()):
            raise PipelineError(f"{path}: a link to {target}, outside the landing folder; copy the file in instead")
    return ledger.file_id(path)


def _keep_row_groups(connection: duckdb.DuckDBPyConnection) -> None:
    """No merging of row groups at this connection's checkpoints (DuckDB's vacuum).

    Each batch commits its full row groups and a part-filled last one, written to the file as
    they are inserted; a checkpoint's vacuum then merged the part-filled ones with their
    neighbours, writing every row a second time in one lump the larger the more rows had
    waited for a checkpoint (at scale 10: 3.7 s of CPU after 120 daily exports, 8.5 s after
    240, the database file twice its size meanwhile). A part-filled row group costs a scan
    little; an ingest deletes only a few ledger rows, nothing worth reclaiming. The setting lasts until
    the connection closes (it is global to this database instance)."""
    connection.execute("set max_vacuum_tasks = 0")


def ingest_landing(
    connection: duckdb.DuckDBPyConnection,
    landing_dir: Path,
    profiles: list[SourceProfile],
    key: bytes,
    *,
    until: dt.date | None = None,
    as_of: dt.date | None = None,
    only: set[str] | None = None,
    recorded_dates: dict[str, dt.date] | None = None,
    progress: Progress | None = None,
) -> IngestReport:
    """Load every landed file not yet in the ledger (with an export date up to `until`).

    `as_of` dates the exports of profiles that take their date from the command line; `only`
    limits the run to the files under those paths (relative to the landing folder).
    A file that cannot be loaded, for whatever reason, is a rejected ledger row and the run
    goes on with the next file.
    """
    if not landing_dir.is_dir():
        raise PipelineError(
            f"{landing_dir}: landing folder not found; set HOTLINE_LANDING_DIR or run `hotline generate`"
        )
    ledger.ensure_raw_schema(connection, profiles)
    if only is None:  # a reload deletes rows first: its checkpoint should reclaim them
        _keep_row_groups(connection)
    already = ledger.loaded_file_ids(connection)
    loaded_by_name: dict[str, list[tuple[str, dt.date | None]]] = {}
    for file_id, name, snapshot in connection.execute(
        "select file_id, file_name, snapshot_date from raw.load_ledger where status = 'loaded'"
    ).fetchall():
        loaded_by_name.setdefault(name, []).append((file_id, snapshot))
    # the earlier loads each file of a batch replaces: a corrected export landed again under its
    # name, with the export date of those loads (another date is the next snapshot of a source
    # that always writes one file name, `export.csv`, and keeps the one before); taken out in the
    # batch's own transaction, so a file that is rejected or not due replaces nothing
    replacing: dict[str, list[str]] = {}  # by the new file's id
    report = IngestReport()
    paths = [(path, path.relative_to(landing_dir).as_posix()) for path in landed_paths(landing_dir)]
    if only is not None:
        paths = [(path, relative) for path, relative in paths if relative in only]
    loaded_at = dt.datetime.now().replace(microsecond=0)
    today = loaded_at.date()
    pending: dict[str, list[LandedFile]] = {}
    pending_ids: set[str] = set()  # files read and waiting in a batch, or loaded by this run
    pending_rows: dict[str, int] = {}  # rows waiting in each profile's batch
    # keyed hashes and masked texts by column, across batches (masking.keyed_hash, mask_text)
    digests: dict[str, dict] = {}

    def loaded(entries: list[ledger.LedgerEntry]) -> None:
        for entry in entries:
            already[entry.file_id] = entry.file_name
            report.files_loaded += 1
            report.rows_read += entry.rows_read or 0
            report.rows_loaded += entry.rows_loaded or 0
            report.rows_quarantined += entry.rows_quarantined or 0
            if entry.rows_read and not entry.rows_loaded:
                report.files_all_quarantined.append(entry.file_name)

    def flush(profile_name: str) -> None:
        pending_rows.pop(profile_name, None)
        files = pending.pop(profile_name)
        with report.timed("checking and masking"):
            batch = prepare_batch(files, key, loaded_at, digests)
        replaced = [replacing.pop(file.file_id, []) for file in files]
        batch.replaces = [file_id for earlier in replaced for file_id in earlier]
        report.files_replaced += sum(1 for earlier in replaced if earlier)
        with report.timed("waiting for writes"):
            writer.submit(batch)

    # what to do with each file, in order: (path, relative, named date, what) where what is
    # ("read", content hash, size and time), None for a file not due or already loaded, the error
    # that rejects it, or ("copy", hash, as_of) for a copy of a file before it, read if that one fails
    plan: list[tuple[Path, str, dt.date | None, object]] = []
    to_read: list[tuple[Path, str, str, dt.date | None]] = []
    planned: set[str] = set()
    for path, relative in paths:
        named_date = dated_by_name(relative, profiles)
        if until is not None and named_date is not None and today >= named_date > until:
            plan.append((path, relative, named_date, None))
            report.files_not_due += 1
            continue
        try:
            file_hash = _content_id(path, landing_dir)
        except Exception as error:  # noqa: BLE001 - one unreadable file must never stop the others
            plan.append((path, relative, named_date, error))
            continue
        if file_hash in already:
            plan.append((path, relative, named_date, None))
            report.files_already_loaded += 1
            continue
        as_of_file = (recorded_dates or {}).get(relative) or as_of
        if file_hash in planned:
            plan.append((path, relative, named_date, ("copy", file_hash, as_of_file)))
            continue
        planned.add(file_hash)
        plan.append((path, relative, named_date, ("read", file_hash, _stamp(path))))
        to_read.append((path, relative, file_hash, as_of_file))

    writer = _BatchWriter(connection, loaded)
    reads = read_files(to_read, profiles, today)
    try:
        for done, (path, relative, named_date, outcome) in enumerate(plan, start=1):
            report.files_seen += 1
            try:
                if isinstance(outcome, Exception):
                    raise outcome
                if outcome is None:  # not due, or already loaded: counted above
                    continue
                if outcome[0] == "copy":  # of a file before it
                    _, file_hash, as_of_file = outcome
                    if file_hash in pending_ids:
                        report.files_already_loaded += 1
                        continue
                    with report.timed("reading files"):
                        landed = _read_here(path, relative, file_hash, profiles, as_of_file, today)
                else:
                    with report.timed("reading files"):  # waiting for the reading process, if one runs
                        landed = next(reads)
                    if _stamp(path) != outcome[2]:  # its rows may not be those of the hash it would carry
                        raise PipelineError(
                            f"{path}: the file changed while it was being loaded; run ingest again to load it"
                        )
                if isinstance(landed, Exception):
                    raise landed
                if until is not None and landed.snapshot_date > until:
                    report.files_not_due += 1
                    continue
            except Exception as error:  # noqa: BLE001 - one unreadable file must never stop the others
                _reject(connection, report, path, relative, named_date, unreadable(path, error), loaded_at)
            else:
                batch = pending.setdefault(landed.profile.name, [])
                batch.append(landed)
                replacing[landed.file_id] = [
                    file_id for file_id, date in loaded_by_name.get(relative, []) if date == landed.snapshot_date
                ]
                pending_ids.add(landed.file_id)
                pending_rows[landed.profile.name] = pending_rows.get(landed.profile.name, 0) + landed.rows
                if pending_rows[landed.profile.name] >= BATCH_ROWS:
                    flush(landed.profile.name)
            finally:
                if progress:
                    progress(done, len(plan), relative)
        for profile_name in list(pending):
            flush(profile_name)
        with report.timed("waiting for writes"):
            writer.wait()
    finally:
        reads.close()  # a failed batch: stop the reader process, too
        writer.close()
    return report


def _under_landing(name: str, landing_dir: Path) -> str:
    """A file named for `hotline reload` as the ledger names it: its path under the landing folder
    (given so, or as a path to a file inside it, from where the command runs or absolute)."""
    path = Path(name).expanduser()
    try:
        if path.is_file():
            return path.resolve().relative_to(landing_dir.resolve()).as_posix()
    except ValueError:  # outside the landing folder: left for the ledger lookup to say
        pass
    return name


def reload_files(
    connection: duckdb.DuckDBPyConnection,
    landing_dir: Path,
    profiles: list[SourceProfile],
    key: bytes,
    *,
    profile_name: str | None = None,
    names: list[str] | None = None,
    as_of: dt.date | None = None,
    progress: Progress | None = None,
) -> IngestReport:
    """Read again files already loaded (all of a profile's, or the named ones) and retry their
    quarantined rows: after a profile was fixed. The ledger keeps the earlier loads in its history."""
    ledger.ensure_raw_schema(connection, profiles)
    if profile_name is None and not names:
        raise PipelineError("hotline reload: name a profile (--profile NAME) or files to reload")
    names = [_under_landing(name, landing_dir) for name in names or []]
    rows = connection.execute(
        "select file_id, file_name, snapshot_date from raw.load_ledger "
        "where status = 'loaded' and (source_profile = ? or file_name in (select unnest(?)))",
        [profile_name, list(names or [])],
    ).fetchall()
    if names:
        known = {name for _, name, _ in rows}
        unknown = [name for name in names if name not in known]
        if unknown:
            raise PipelineError(
                f"{unknown[0]}: not in the load ledger (no loaded file has that path under the landing folder "
                f"{landing_dir}); name a loaded file by its path, or by its path under the landing folder"
            )
    if not rows:
        raise PipelineError(f"profile {profile_name}: no loaded files to reload")
    gone = [name for _, name, _ in rows if not (landing_dir / name).exists()]
    if gone:
        raise PipelineError(f"{landing_dir / gone[0]}: no longer in the landing folder; put it back to reload it")
    # a name loaded more than once (a source that always writes `export.csv`): the landing folder
    # holds its last content only, so that load is the one read again; the earlier ones stay
    current = {name: _content_id(landing_dir / name, landing_dir) for name in {name for _, name, _ in rows}}
    changed = [name for name in current if all(file_id != current[name] for file_id, n, _ in rows if n == name)]
    if changed:
        raise PipelineError(
            f"{landing_dir / changed[0]}: the file changed since it was loaded; `hotline ingest` loads the new "
            "content (replacing the load of the same export date), then reload it if need be"
        )
    rows = [row for row in rows if row[0] == current[row[1]]]
    # each file keeps the export date it was loaded with (files dated on the command line included)
    recorded = {name: as_of or snapshot for _, name, snapshot in rows}
    today = dt.date.today()
    for _, name, _ in rows:  # read every file first: a reload that would fail deletes nothing
        path = landing_dir / name
        read_landed(path, name, "check", profiles, as_of=recorded[name], today=today)
    ledger.forget(connection, [file_id for file_id, _, _ in rows])
    return ingest_landing(
        connection,
        landing_dir,
        profiles,
        key,
        only=set(recorded),
        recorded_dates=recorded,
        progress=progress,
    )
