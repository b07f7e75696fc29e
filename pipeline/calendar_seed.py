"""Writes the working-day calendar seed from China's official holiday calendar.

The `chinesecalendar` package knows the State Council's holidays and make-up working days
(调休) up to its last release. A year announced after that release goes into the hand-made
seed `cn_calendar_additions.csv`, which the dbt project lays over this one.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import chinese_calendar
from chinese_calendar import constants

HEADER = ("calendar_date", "is_workday", "day_kind", "holiday_name", "holiday_name_zh")


def known_years() -> range:
    """The years the installed calendar package covers (every year it lists holidays for)."""
    years = {day.year for day in constants.holidays}
    return range(min(years), max(years) + 1)


def calendar_rows(years: range) -> list[tuple[str, str, str, str, str]]:
    rows = []
    day = dt.date(years.start, 1, 1)
    end = dt.date(years.stop - 1, 12, 31)
    while day <= end:
        is_workday = chinese_calendar.is_workday(day)
        if day in constants.holidays:
            kind, name = "holiday", constants.holidays[day]
        elif day in constants.workdays:
            kind, name = "makeup_workday", constants.workdays[day]
        else:
            kind, name = ("workday" if is_workday else "weekend"), ""
        # the package keeps each holiday's Chinese name (元旦, 春节, …) on its Holiday enum
        name_zh = constants.Holiday(name).chinese if name else ""
        rows.append((day.isoformat(), "true" if is_workday else "false", kind, name, name_zh))
        day += dt.timedelta(days=1)
    return rows


def write_calendar_seed(path: Path) -> int:
    """Rewrite the calendar seed at `path`; returns the number of days written."""
    rows = calendar_rows(known_years())
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(HEADER)
        writer.writerows(rows)
    return len(rows)
