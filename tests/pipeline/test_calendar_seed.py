"""The working-day calendar seed is China's official calendar, as the chinesecalendar package knows it."""

from __future__ import annotations

import csv

import duckdb
import jinja2
import pytest

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


# --- the calendar the models count on: the package's years, then the years added by hand ----------

MODELS = PROJECT_DIR / "dbt_project" / "models"
DBT_TESTS = PROJECT_DIR / "dbt_project" / "tests"


def _sql(path, **context) -> str:
    """A model or data test of the dbt project as dbt compiles it here: refs name tables."""

    class dbt:  # the cross-database macros these files use, as dbt-duckdb writes them
        datediff = staticmethod(lambda first, second, part: f"datediff('{part}', {first}, {second})")

    return jinja2.Template(path.read_text(encoding="utf-8")).render(
        ref=lambda name: name, config=lambda **_: "", dbt=dbt, **context
    )


def _calendar(additions: list[tuple]) -> duckdb.DuckDBPyConnection:
    """int_calendar_workdays over the package's 2026 and these rows of cn_calendar_additions.csv."""
    columns = "calendar_date date, is_workday boolean, day_kind varchar, holiday_name varchar, holiday_name_zh varchar"
    connection = duckdb.connect()
    for table, rows in (
        ("cn_calendar", [row for row in calendar_rows(range(2026, 2027))]),
        ("cn_calendar_additions", additions),
    ):
        connection.execute(f"create table {table} ({columns})")
        for row in rows:
            connection.execute(f"insert into {table} values (?, ?, ?, nullif(?, ''), nullif(?, ''))", list(row))
    model = _sql(MODELS / "intermediate" / "int_calendar_workdays.sql")
    connection.execute(f"create table int_calendar_workdays as {model}")
    return connection


def _days(connection, *dates: str) -> dict[str, tuple]:
    rows = connection.execute(
        "select cast(calendar_date as varchar), is_workday, day_kind, holiday_name_zh, calendar_source, workday_index "
        "from int_calendar_workdays where list_contains(?, cast(calendar_date as varchar))",
        [list(dates)],
    ).fetchall()
    return {row[0]: row[1:] for row in rows}


def test_a_new_year_lists_only_its_announced_days_and_the_week_gives_the_others():
    # 2027 as an office types it from a State Council notice: 元旦 off Friday to Sunday, and a
    # (made-up) Saturday worked in its place
    connection = _calendar(
        [
            ("2027-01-01", "false", "holiday", "New Year's Day", "元旦"),
            ("2027-01-02", "false", "holiday", "New Year's Day", "元旦"),
            ("2027-01-03", "false", "holiday", "New Year's Day", "元旦"),
            ("2027-01-09", "true", "makeup_workday", "New Year's Day", "元旦"),
        ]
    )
    [(first, last, days)] = connection.execute(
        "select min(calendar_date), max(calendar_date), count(*) from int_calendar_workdays"
    ).fetchall()
    assert (first.isoformat(), last.isoformat(), days) == ("2026-01-01", "2027-12-31", 365 + 365)
    days = _days(connection, "2026-12-31", "2027-01-01", "2027-01-04", "2027-01-09", "2027-01-10", "2027-12-31")
    assert days["2027-01-01"][:4] == (False, "holiday", "元旦", "additions")
    assert days["2027-01-04"][:4] == (True, "workday", None, "additions")  # a Monday
    assert days["2027-01-09"][:2] == (True, "makeup_workday")  # a Saturday, worked
    assert days["2027-01-10"][:2] == (False, "weekend")  # a Sunday
    assert days["2027-12-31"][:2] == (True, "workday")  # a Friday: the whole year is there
    # working days count on across the year's end: Thursday 31 Dec 2026, then Monday 4 Jan 2027
    assert days["2027-01-04"][4] == days["2026-12-31"][4] + 1
    assert days["2027-01-09"][4] == days["2027-01-04"][4] + 5


def test_an_addition_inside_a_year_the_package_knows_corrects_that_day_only():
    connection = _calendar([("2026-12-31", "false", "holiday", "New Year's Day", "元旦")])
    days = _days(connection, "2026-01-01", "2026-12-30", "2026-12-31")
    assert days["2026-12-31"][:2] == (False, "holiday") and days["2026-12-31"][3] == "additions"
    assert days["2026-01-01"][:4] == (False, "holiday", "元旦", "chinesecalendar")  # the package's, kept
    assert days["2026-12-30"][:2] == (True, "workday")
    assert (
        connection.execute("select max(calendar_date) from int_calendar_workdays").fetchone()[0].isoformat()
        == "2026-12-31"
    )


@pytest.mark.parametrize(
    ("data_cut", "days_left"), [("2026-10-01", None), ("2026-11-01", None), ("2026-11-02", 59), ("2026-12-31", 0)]
)
def test_a_calendar_ending_within_60_days_of_the_data_cut_warns(data_cut, days_left):
    connection = _calendar([])
    connection.execute(
        "create table stg_hotline__work_orders as select cast(? as date) as last_snapshot_date", [data_cut]
    )
    rows = connection.execute(_sql(DBT_TESTS / "assert_calendar_runs_60_days_past_the_data_cut.sql")).fetchall()
    assert [row[2] for row in rows] == (
        []
        if days_left is None
        else [
            f"the working-day calendar ends on 2026-12-31, {days_left} days after the data cut: add the next year's "
            "holidays and make-up working days to seeds/cn_calendar_additions.csv"
        ]
    )
