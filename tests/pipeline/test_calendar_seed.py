"""The working-day calendar seed is China's official calendar, as the chinesecalendar package knows it."""

from __future__ import annotations

import csv

from core.settings import PROJECT_DIR
from pipeline.calendar_seed import HEADER, calendar_rows, known_years

SEEDS = PROJECT_DIR / "dbt_project" / "seeds"


def test_the_committed_seed_matches_the_installed_calendar_package():
    with (SEEDS / "cn_calendar.csv").open(encoding="utf-8") as handle:
        committed = [tuple(row) for row in csv.reader(handle)]
    assert committed[0] == HEADER
    assert committed[1:] == calendar_rows(known_years()), "run `hotline calendar-seed` after upgrading chinesecalendar"


def test_holidays_and_makeup_working_weekends_are_marked():
    days = {row[0]: row for row in calendar_rows(range(2023, 2024))}
    assert days["2023-01-23"][1:3] == ("false", "holiday")  # Spring Festival, a Monday
    assert days["2023-01-28"][1:3] == ("true", "makeup_workday")  # 调休, a Saturday
    assert days["2023-01-30"][1:3] == ("true", "workday")
    assert days["2023-02-04"][1:3] == ("false", "weekend")


def test_the_additions_seed_for_newly_announced_years_has_the_same_columns():
    with (SEEDS / "cn_calendar_additions.csv").open(encoding="utf-8") as handle:
        assert tuple(next(csv.reader(handle))) == HEADER
