"""The days off of another country's source (`calendar: US-NY`), as each ingest lands them."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from ingestion import country_calendars


@pytest.fixture
def connection():
    with duckdb.connect() as connection:
        connection.execute("create schema raw")
        yield connection


def days_off(connection, name: str, year: int) -> dict[dt.date, str | None]:
    return dict(
        connection.execute(
            "select calendar_date, holiday_name from raw.country_days_off "
            "where working_calendar = ? and year(calendar_date) = ?",
            [name, year],
        ).fetchall()
    )


def test_a_countrys_weekend_and_public_holidays_are_its_days_off(connection):
    country_calendars.land(connection, {"china", "weekdays", "US-NY", "IL"}, today=dt.date(2019, 6, 1))

    new_york = days_off(connection, "US-NY", 2019)
    assert new_york[dt.date(2019, 7, 4)] == "Independence Day"
    assert new_york[dt.date(2019, 2, 12)] == "Lincoln's Birthday"  # New York's, not every state's
    assert new_york[dt.date(2019, 7, 6)] is None  # a Saturday
    assert dt.date(2019, 7, 5) not in new_york  # a Friday at work
    assert len(new_york) == 104 + 13  # the weekends, and the 13 holidays on weekdays
    israel = days_off(connection, "IL", 2019)
    assert dt.date(2019, 7, 5) in israel and dt.date(2019, 7, 7) not in israel  # Friday off, Sunday at work
    # China's calendar and Monday to Friday are the dbt project's own
    landed = {
        name for (name,) in connection.execute("select distinct working_calendar from raw.country_days_off").fetchall()
    }
    assert landed == {"US-NY", "IL"}


def test_a_country_landed_before_is_left_as_it_is_until_its_years_run_short(connection):
    country_calendars.land(connection, {"US"}, today=dt.date(2024, 3, 1))
    last = connection.execute("select max(calendar_date) from raw.country_days_off").fetchone()[0]
    assert last.year == 2024 + country_calendars.YEARS_AHEAD
    connection.execute("delete from raw.country_days_off where calendar_date = '2024-07-04'")

    country_calendars.land(connection, {"US"}, today=dt.date(2024, 9, 1))  # the next ingest: nothing to do
    assert days_off(connection, "US", 2024).get(dt.date(2024, 7, 4), "absent") == "absent"

    country_calendars.land(connection, {"US"}, today=dt.date(2025, 1, 2))  # a year on: landed again, whole
    assert days_off(connection, "US", 2024)[dt.date(2024, 7, 4)] == "Independence Day"
    last = connection.execute("select max(calendar_date) from raw.country_days_off").fetchone()[0]
    assert last.year == 2025 + country_calendars.YEARS_AHEAD
    duplicates = connection.execute(
        "select count(*) - count(distinct (working_calendar, calendar_date)) from raw.country_days_off"
    ).fetchone()[0]
    assert duplicates == 0
