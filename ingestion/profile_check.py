"""`hotline profiles check`: read exports through their profile without loading anything, and
say what would happen: rows, headers, empty columns, values outside the vocabularies, rows that
would be quarantined and why, and which KPIs the export can and cannot support."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from core.errors import PipelineError
from ingestion import country_calendars
from ingestion.contract import contract_for
from ingestion.loader import (
    _snapshot_date,
    export_problems,
    joined_problems,
    map_columns,
    read_matched,
    reading_notes,
)
from ingestion.masking import mask_text
from ingestion.profiles import SEND_BACK_STATUS, VOID_STATUS, SourceProfile
from ingestion.validation import offset_moments, offsets_text, out_of_order_times, row_problems, zone_fits


@dataclass
class FileCheck:
    path: Path
    profile: str | None = None
    error: str | None = None
    rows: int = 0
    malformed_rows: int = 0
    snapshot_date: dt.date | None = None
    snapshot_problem: str | None = None
    matched_headers: list[str] = field(default_factory=list)
    unused_headers: list[str] = field(default_factory=list)  # in the file, read by no column
    missing_headers: list[str] = field(default_factory=list)  # named by the profile, not in the file
    empty_columns: list[str] = field(default_factory=list)  # mapped, but no row has a value
    outside_vocabulary: dict[str, Counter] = field(default_factory=dict)
    allowed_columns: tuple[str, ...] = ()  # the profile's `allowed:`: a value outside is quarantined
    quarantine_reasons: Counter = field(default_factory=Counter)  # a row with two problems counts under both
    first_quarantined: dict[str, str] = field(default_factory=dict)  # reason → where it first occurs, and its value
    bad_rows: int = 0  # rows that would be quarantined, each once
    # rows whose times run backwards, loaded under `out_of_order_times: gate` (the gate stops them)
    # or `clear` (the later time emptied)
    out_of_order: Counter = field(default_factory=Counter)
    out_of_order_policy: str = "gate"
    void_rows: int = 0  # rows whose status is 已作废 (void), by the map or void_when
    working_days: str = ""  # what the profile's `calendar:` counts as working days, in words
    kpis: dict[str, tuple[bool, str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # what was read as no record (reading_notes)

    @property
    def rows_quarantined(self) -> int:
        return self.bad_rows + self.malformed_rows


def _reason_kind(reason: str, key_header: str | None = None) -> str:
    """A reason without the row's own value, id or row numbers, so that reasons can be counted."""
    # a value quoted: to the quote that ends the reason or comes before its next words (a value
    # may hold a quote itself: O'Brien)
    reason = re.sub(r":? '.*?'(?=$| is | with |;)", "", reason)
    reason = re.sub(r" \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", "", reason)  # a row's times (out of order)
    # the id shared, after its header: either may hold spaces (Unique Key, 2023 001)
    if key_header and reason.startswith(f"{key_header} ") and " appears in rows " in reason:
        reason = f"{key_header} … appears in rows {reason.split(' appears in rows ', 1)[1]}"
    # row numbers, each with its sheet where the rows came from several ("2 of sheet 1月, 3 of sheet 2月")
    row = r"\d+(?: of sheet .+?(?=, \d+ of sheet | with | loaded| \(|\)|$))?"
    return re.sub(rf"\b(rows?) {row}(?:, {row})*", r"\1 …", reason)


def check_file(path: Path, profiles: list[SourceProfile], *, as_of: dt.date | None = None) -> FileCheck:
    result = FileCheck(path)
    try:
        export, profile = read_matched(path, profiles)
    except PipelineError as error:
        result.error = str(error)
        return result
    result.profile = profile.name
    result.allowed_columns = tuple(profile.allowed)
    result.notes = reading_notes(export)
    frame = export.frame
    result.rows = len(frame)
    result.malformed_rows = len(export.malformed_rows)
    mapped, missing = map_columns(frame, profile)
    read_headers = {header for column in profile.columns for header in column.headers}
    read_headers.update(header for header, _ in profile.void_when)
    result.matched_headers = [header for header in frame.columns if header in read_headers]
    result.unused_headers = [header for header in frame.columns if header not in read_headers]
    result.missing_headers = missing
    # times with a UTC offset are converted to the profile's zone: the wrong zone moves every one
    timestamps = [column.name for column in profile.columns if column.type == "timestamp" and column.name in mapped]
    moments = offset_moments(mapped, timestamps)
    if moments and not zone_fits(profile.timezone, moments):
        result.notes.append(
            f"the times carry UTC offsets ({offsets_text(moments)}) that {profile.timezone} (the profile's "
            "timezone) does not have: each is converted to it and moves; set timezone: to the export's zone"
        )
    try:
        # the whole path, so that a profile dated by its folder (from_path) finds the date there
        result.snapshot_date = _snapshot_date(
            path, path.as_posix(), profile, mapped, as_of, dt.date.today(), export.has_typed_cells
        )
    except PipelineError as error:
        result.snapshot_problem = str(error)
    result.empty_columns = [name for name in mapped.columns if not mapped[name].ne("").any()]
    if "status" in mapped:  # by the status map or void_when: they load, and count in no KPI but voided_orders
        result.void_rows = int(mapped["status"].eq(VOID_STATUS).sum())

    contract = contract_for(profile.table)
    if contract:
        for column in profile.columns:
            vocabulary = contract.vocabulary_of(column.name)
            if vocabulary is None:
                continue
            values = mapped[column.name]
            outside = values[values.ne("") & ~values.isin(vocabulary)]
            if len(outside):
                result.outside_vocabulary[column.name] = Counter(outside.tolist())
        filled = {name for name in mapped.columns if mapped[name].ne("").any()}
        if profile.deadline != "export_only":
            filled.add("calendar_time_limits")
        if "dispatched_at" in mapped and "received_at" in mapped:
            dispatched = mapped["dispatched_at"]
            if (dispatched.ne("") & dispatched.ne(mapped["received_at"])).any():  # not the receipt copied
                filled.add("dispatch_recorded")
        # this file's rows say sent back, or its statuses can (a day may have none): taken as they
        # are (no map), or mapped with a value to it
        status = next((column for column in profile.columns if column.name == "status"), None)
        if status and (
            not status.value_map
            or mapped["status"].eq(SEND_BACK_STATUS).any()
            or any(target == SEND_BACK_STATUS for _, target in status.value_map)
        ):
            filled.add("send_back_recorded")
        result.kpis = contract.kpis_supported(filled)

    mapped["_file_id"] = "check"
    mapped["_row_number"] = export.row_numbers
    sheets = export.row_sheets()
    if sheets:
        mapped["_sheet"] = sheets
    typed, problems = row_problems(mapped, profile, pd.Series(export.has_typed_cells, index=mapped.index))
    result.out_of_order_policy = profile.out_of_order_times
    if contract:
        result.working_days = country_calendars.describe(profile.calendar)
    if profile.out_of_order_times in ("gate", "clear"):
        backwards = out_of_order_times(typed, profile).messages
        for reason in backwards[backwards.ne("") & problems.eq("")].tolist():
            for part in dict.fromkeys(reason.split("; ")):  # two columns of one header: said once
                result.out_of_order[_reason_kind(part)] += 1
    # as the load finds them (loader.prepare_batch)
    problems = joined_problems(problems, export_problems(mapped, profile, {"check": export}))
    result.bad_rows = int(problems.ne("").sum())
    key_header = next((column.header for column in profile.columns if column.name == profile.key), None)
    rows = mapped["_row_number"]
    for index, reason in problems[problems.ne("")].items():
        for part in reason.split("; "):
            kind = _reason_kind(part, key_header)
            result.quarantine_reasons[kind] += 1
            if kind not in result.first_quarantined:
                quoted = re.search(r":? ('.*')$", part)  # the value, masked as the quarantine masks it
                value = f": {mask_text(pd.Series([quoted.group(1)]))[0]}" if quoted else ""
                sheet = f" of sheet {mapped['_sheet'][index]}" if sheets else ""
                result.first_quarantined[kind] = f"row {rows[index]}{sheet}{value}"
    return result
