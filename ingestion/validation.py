"""Turning mapped text cells into typed columns, and naming what is wrong with each bad row."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import numpy as np
import pandas as pd

from ingestion.profiles import SourceProfile

FLAG_VALUES = {
    **dict.fromkeys(["是", "y", "yes", "true", "1", "有"], True),
    **dict.fromkeys(["否", "n", "no", "false", "0", "无"], False),
}


EXCEL_EPOCH = pd.Timestamp("1899-12-30")  # Excel's day 0 (its 1900 leap-year bug included)
EXCEL_SERIALS = (1.0, 2_958_465.0)  # 1900-01-01 … 9999-12-31
ZONE_SUFFIX = r"(?:Z|[+-]\d{2}:?\d{2})$"
# What the readers write for a spreadsheet's own date and time cells (readers._cell_text): read in
# a workbook's rows whatever formats a profile gives, since a workbook holds typed cells beside
# text ones (and a datetime cell at midnight may come as a date alone). Not in text exports: there
# they are text like any other, and only the profile's formats read them.
TYPED_CELL_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d")


def _from_excel_serial(values: pd.Series) -> pd.Series:
    days = pd.to_numeric(values, errors="coerce")
    days = days.where(days.between(*EXCEL_SERIALS))
    return (EXCEL_EPOCH + pd.to_timedelta(days, unit="D")).dt.round("s")


def _from_iso8601(values: pd.Series, zone: str) -> pd.Series:
    """ISO 8601 with `T` or a space; values with a zone are converted to `zone`, others kept."""
    zoned = values.str.contains(ZONE_SUFFIX, regex=True, na=False)
    parsed = pd.Series(pd.NaT, index=values.index, dtype="datetime64[us]")
    if zoned.any():
        aware = pd.to_datetime(values[zoned], format="ISO8601", utc=True, errors="coerce")
        parsed[zoned] = aware.dt.tz_convert(zone).dt.tz_localize(None)
    if (~zoned).any():
        parsed[~zoned] = pd.to_datetime(values[~zoned], format="ISO8601", errors="coerce")
    return parsed


# an offset, not Z (ZONE_SUFFIX's other half): a time in UTC says nothing of the export's own zone
_OFFSET_AT_END = re.compile(r"[+-]\d{2}:?\d{2}$")


def offset_moments(frame: pd.DataFrame, headers: list[str], limit: int = 5000) -> dict[dt.datetime, dt.timedelta]:
    """Each instant a timestamp with a UTC offset names (2023-03-01T08:15:22-05:00), and its offset."""
    moments: dict[dt.datetime, dt.timedelta] = {}
    for header in headers:
        for value in frame[header].dropna().astype(str).str.strip().unique()[:limit]:
            if not _OFFSET_AT_END.search(value):
                continue
            try:
                moment = dt.datetime.fromisoformat(value.replace(" ", "T", 1))
            except ValueError:
                continue
            moments[moment.astimezone(dt.UTC)] = moment.utcoffset()
    return moments


def zone_fits(name: str, moments: dict[dt.datetime, dt.timedelta]) -> bool:
    """Whether the zone has each offset at its instant: converting to it keeps the times' wall time."""
    import zoneinfo

    zone = zoneinfo.ZoneInfo(name)
    return all(moment.astimezone(zone).utcoffset() == offset for moment, offset in moments.items())


def offsets_text(moments: dict[dt.datetime, dt.timedelta]) -> str:
    return ", ".join(sorted({_offset_text(offset) for offset in moments.values()}))


def _offset_text(offset: dt.timedelta) -> str:
    minutes = int(offset.total_seconds() // 60)
    return f"{'+' if minutes >= 0 else '-'}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def parse_timestamps(
    values: pd.Series,
    formats: tuple[str, ...],
    *,
    zone: str = "Asia/Shanghai",
    store_zone: str = "keep",
    typed_cells: pd.Series | None = None,
) -> pd.Series:
    """Parse text with the first format that fits each value; unparseable → NaT.

    Formats are strptime patterns, `excel` (serial day numbers) or `iso8601`; then, in the rows
    `typed_cells` marks (a workbook's), those of its date cells (TYPED_CELL_FORMATS). Times are the
    export's local time in `zone`; with a `store_zone` other than keep they are converted to it.
    Each format reads only the rows no earlier one read (kept as positions: no masks per format).
    """
    parsed = np.full(len(values), np.datetime64("NaT"), dtype="datetime64[us]")
    pending = np.flatnonzero(values.ne("").fillna(False).to_numpy(dtype=bool))  # rows still unparsed
    workbook_rows = typed_cells.to_numpy(dtype=bool) if typed_cells is not None else np.zeros(len(values), dtype=bool)
    for fmt in (*formats, *(typed for typed in TYPED_CELL_FORMATS if typed not in formats)):
        if fmt not in formats:
            pending = pending[workbook_rows[pending]]
        if not len(pending):
            break
        subset = values.iloc[pending]
        if fmt == "excel":
            found = _from_excel_serial(subset).to_numpy(dtype="datetime64[us]")
        elif fmt == "iso8601":
            found = _from_iso8601(subset, zone).to_numpy(dtype="datetime64[us]")
        else:
            found = pd.to_datetime(subset, format=fmt, errors="coerce").to_numpy(dtype="datetime64[us]")
        parsed[pending] = found
        pending = pending[np.isnat(found)]
    result = pd.Series(parsed, index=values.index)
    if store_zone not in ("keep", zone):
        result = (
            # the repeated autumn hour is read as standard time; a skipped spring hour moves forward
            result.dt.tz_localize(zone, ambiguous=False, nonexistent="shift_forward")
            .dt.tz_convert(store_zone)
            .dt.tz_localize(None)
        )
    return result


NO_DATE = r"0000-00-00(?:[ T]00:00(?::00(?:\.0+)?)?)?"
# days systems write for "no date": Excel's day 0 and 1 (1899-12-30/31 in serial form), SQL
# Server's and many 311 systems' 1900-01-01 (NYC: 01/01/1900 12:00:00 AM), a Unix time of 0
# (1970-01-01, 08:00 in China). No work order happened on them.
PLACEHOLDER_DAYS = pd.to_datetime(["1899-12-30", "1899-12-31", "1900-01-01", "1970-01-01"])
# a number of days as exports write it: 5, 5.0, 5天, 5个工作日, 10 working days
_DAYS = r"个?工作日|天|日|days?|working days?|d"
_HOURS = r"个?小时|hours?|hrs?|h"
# a whole number, with its unit or without (a bare number is the column's unit), by column unit;
# 5个工作日内 (within) says the same; "hours named" reads only numbers that say they are hours
_WHOLE_NUMBER = {
    unit: rf"^\s*(\d{{1,4}})(?:\.0+)?\s*(?:(?:{pattern})\s*(?:以?内)?){optional}\s*$"
    for unit, pattern, optional in (("days", _DAYS, "?"), ("hours", _HOURS, "?"), ("hours named", _HOURS, ""))
}
# a limit column → (its unit, the column a limit in the other unit belongs to, that unit)
LIMIT_COLUMNS = {
    "time_limit_working_days": ("days", "time_limit_hours", "hours"),
    "time_limit_hours": ("hours", "time_limit_working_days", "days"),
}


def parse_whole_numbers(values: pd.Series, unit: str = "days") -> pd.Series:
    """Whole numbers (a count of days or hours, with its unit or without; full-width digits too);
    anything else → NA."""
    text = values.astype("string").str.normalize("NFKC")
    digits = text.str.extract(_WHOLE_NUMBER[unit], flags=re.IGNORECASE, expand=False)
    return pd.to_numeric(digits, errors="coerce").astype("Int64")


def in_other_unit(values: pd.Series, column: str) -> pd.Series:
    """The values of a time-limit column that read in the other unit (24小时 among working days;
    only those this column's own unit cannot read matter: a bare number is this column's)."""
    _, _, other = LIMIT_COLUMNS[column]
    return parse_whole_numbers(values, other).notna()


_YES = [text for text, flag in FLAG_VALUES.items() if flag]
_NO = [text for text, flag in FLAG_VALUES.items() if not flag]


def parse_flags(values: pd.Series) -> pd.Series:
    # two isin (Arrow's hash lookups) rather than a map through a dict, value by value
    words = values.str.strip().str.lower()
    flags = pd.Series(pd.NA, index=values.index, dtype="boolean")
    flags[words.isin(_YES).fillna(False).to_numpy(dtype=bool)] = True
    flags[words.isin(_NO).fillna(False).to_numpy(dtype=bool)] = False
    return flags


class Problems:
    """Each row's problems, joined by '; ' ('' for a good row). Built sparsely: few rows are bad."""

    def __init__(self, index: pd.Index) -> None:
        self.messages = pd.Series("", index=index, dtype="object")

    def note(self, bad: pd.Series, message: pd.Series | str | Callable[[pd.Series], pd.Series]) -> None:
        """`message` may be a function of the bad rows, to build text for those rows only."""
        if not bad.any():
            return
        if callable(message):
            message = message(bad)
        new = message.reindex(bad.index[bad]) if isinstance(message, pd.Series) else message
        current = self.messages[bad]
        self.messages[bad] = current.where(current.eq(""), current + "; ") + new


def _quoting(before: str, values: pd.Series, after: str) -> Callable[[pd.Series], pd.Series]:
    """A message quoting each bad row's value, built for the bad rows only (few, in a batch of 100,000s)."""
    return lambda bad: before + values[bad] + after


# (a time, the time it cannot come before): the gate's plausibility checks of the same names
# (quality/plausibility.py), judged the same way
TIME_ORDER = (
    ("dispatched_at", "received_at"),
    ("completed_at", "received_at"),
    ("completed_at", "dispatched_at"),
    ("signed_at", "dispatched_at"),
)


def _as_exported(times: pd.Series, profile: SourceProfile) -> pd.Series:
    """Times in the export's own zone, as it wrote them (a date alone is 00:00 there)."""
    if not profile.converts_timezone:
        return times
    return times.dt.tz_localize(profile.store_timezone).dt.tz_convert(profile.timezone).dt.tz_localize(None)


def _backwards(typed: pd.DataFrame, profile: SourceProfile, later: str, earlier: str) -> pd.Series:
    """The rows whose `later` time is before their `earlier` one. A date alone (00:00) is before
    a time only when its day is: a same-day reply dated 2023-06-15 is not before a message at 09:12."""
    after, before = (_as_exported(typed[name], profile) for name in (later, earlier))
    same_day_date = after.eq(after.dt.normalize()) & after.dt.normalize().eq(before.dt.normalize())
    return (after < before).fillna(False) & ~same_day_date.fillna(False)


def clear_out_of_order_times(typed: pd.DataFrame, profile: SourceProfile) -> tuple[pd.Series, list[str]]:
    """`out_of_order_times: clear`: a time before the step it follows is no time (a 311 system's
    back-dated closure): emptied, the row kept. The rows with a time cleared, and the headers."""
    headers = {column.name: column.header for column in profile.columns}
    rows = pd.Series(False, index=typed.index)
    cleared: list[str] = []
    for later, earlier in TIME_ORDER:
        if later in typed and earlier in typed:
            bad = _backwards(typed, profile, later, earlier)
            if bad.any():
                typed.loc[bad, later] = pd.NaT
                rows |= bad
                cleared += [headers[later]] if headers[later] not in cleared else []
    return rows, cleared


def out_of_order_times(typed: pd.DataFrame, profile: SourceProfile) -> Problems:
    """Rows with a time before the step it follows (a completion before the receipt)."""
    problems = Problems(typed.index)
    headers = {column.name: column.header for column in profile.columns}
    for later, earlier in TIME_ORDER:
        if later not in typed or earlier not in typed:
            continue
        after, before = (_as_exported(typed[name], profile) for name in (later, earlier))
        bad = _backwards(typed, profile, later, earlier)
        problems.note(
            bad,
            lambda rows, a=after, b=before, la=headers[later], lb=headers[earlier]: (
                f"{la} "
                + a[rows].dt.strftime("%Y-%m-%d %H:%M:%S")
                + f" is before {lb} "
                + b[rows].dt.strftime("%Y-%m-%d %H:%M:%S")
            ),
        )
    return problems


def row_problems(
    mapped: pd.DataFrame, profile: SourceProfile, typed_cells: pd.Series | None = None
) -> tuple[pd.DataFrame, pd.Series]:
    """Typed columns for every row, and each row's problems ('' for a good row). `typed_cells`
    marks the rows read from a workbook's cells (parse_timestamps)."""
    typed = {}
    problems = Problems(mapped.index)
    for column in profile.columns:
        values = mapped[column.name]
        present = values.ne("")
        no_date = pd.Series(False, index=values.index)
        if column.type in ("timestamp", "date"):
            # a database's zero date (MySQL's 0000-00-00 00:00:00) stands for no date: an open
            # order's completion time, not a wrong one
            no_date = present & values.str.fullmatch(NO_DATE).fillna(False).astype(bool)
            present &= ~no_date
            values = values.mask(no_date, "")
            typed[column.name] = parse_timestamps(
                values,
                column.formats,
                zone=profile.timezone,
                store_zone=profile.store_timezone,
                typed_cells=typed_cells,
            )
            placeholder = typed[column.name].dt.normalize().isin(PLACEHOLDER_DAYS).fillna(False).astype(bool)
            if placeholder.any():
                typed[column.name] = typed[column.name].mask(placeholder)
                no_date |= placeholder
                present &= ~placeholder
            if column.type == "date":
                typed[column.name] = typed[column.name].dt.normalize()
            expected = column.formats[0] if column.formats else f"a {column.type}"
            if len(column.formats) > 1:  # (not counting the typed-cell forms every column reads)
                expected += f" (or {len(column.formats) - 1} other format{'s' if len(column.formats) > 2 else ''})"
            bad = present & typed[column.name].isna()
            problems.note(bad, _quoting(f"{column.header} is not a {column.type} like {expected}: '", values, "'"))
        elif column.type == "integer":
            unit, sibling, other_unit = LIMIT_COLUMNS.get(column.name, ("days", None, None))
            # one 办理时限 read into both limit columns: a bare number (5) is working days, not hours
            shared = sibling and any(
                spec.name == sibling and set(spec.headers) & set(column.headers) for spec in profile.columns
            )
            typed[column.name] = parse_whole_numbers(values, "hours named" if shared and unit == "hours" else unit)
            bad = present & typed[column.name].isna()
            if sibling:
                # 24小时 among 5个工作日: the other limit column's value, empty in this one; quarantined
                # when the profile maps no such column (the order would have no limit at all)
                other = bad & in_other_unit(values, column.name)
                bad &= ~other
                if sibling not in {spec.name for spec in profile.columns}:
                    problems.note(
                        other,
                        _quoting(
                            f"{column.header} '", values, f"' is a limit in {other_unit}: map {sibling} from it too"
                        ),
                    )
            problems.note(bad, _quoting(f"{column.header} is not a whole number (of {unit}): '", values, "'"))
        elif column.type == "flag":
            typed[column.name] = parse_flags(values)
            bad = present & typed[column.name].isna()
            problems.note(bad, _quoting(f"{column.header} is not 是/否: '", values, "'"))
        else:
            typed[column.name] = values.where(present, None)
        if column.name in profile.required:
            problems.note(~present & ~no_date, f"{column.header} is empty")
            problems.note(
                no_date, _quoting(f"{column.header} is a placeholder for no date: '", mapped[column.name], "'")
            )
        if column.name in profile.allowed:
            unknown = present & ~values.isin(profile.allowed[column.name])
            problems.note(unknown, _quoting(f"{column.header} '", values, "' is not one of the known values"))
    typed_frame = pd.DataFrame(typed, index=mapped.index)
    if profile.out_of_order_times == "quarantine":
        backwards = out_of_order_times(typed_frame, profile).messages
        problems.note(backwards.ne(""), backwards)
    messages = problems.messages
    bad = messages.ne("")
    # one header read into two columns (e.g. received and dispatched) is one problem, said once
    messages[bad] = messages[bad].map(lambda text: "; ".join(dict.fromkeys(text.split("; "))))
    return typed_frame, messages.astype("string")
