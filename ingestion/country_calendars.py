"""Other countries' days off, landed for the sources whose profile names a country (`calendar: US-NY`).

The `holidays` package knows each country's public holidays, its observed days (a 4 July on a
Saturday is off on the Friday) and its weekend (Friday and Saturday in Israel). Each ingest
lands the days off of every country the profiles name in raw.country_days_off, once per
country and for years to come; int_working_calendars counts working days from them. China's
calendar is the cn_calendar seed (chinesecalendar, with its make-up working days).
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

BUILT_IN = ("china", "weekdays")  # int_working_calendars' own
FIRST_YEAR = 2000  # before the official calendar's first year (chinesecalendar: 2004)
YEARS_AHEAD = 2  # landed again once the current year comes within this of the last landed

DDL = """
create table if not exists raw.country_days_off (
    working_calendar varchar not null,  -- a profile's calendar: setting, as the package spells it (US-NY)
    calendar_date date not null,
    holiday_name varchar                -- the public holiday; null on the country's weekend
)
"""


def canonical_name(name: str) -> str:
    """The `calendar:` setting as the ledger keeps it: china, weekdays, or a country's code in the
    `holidays` package's own spelling (US, US-NY, GB-ENG, DE-BY), as raw.country_days_off keeps it."""
    if name.strip().lower() in BUILT_IN:
        return name.strip().lower()
    import holidays  # only for a profile that names a country

    country, _, subdivision = name.strip().partition("-")
    known = holidays.list_supported_countries()
    spelled = {code.upper(): code for code in known}
    if country.upper() not in spelled:
        raise ValueError(
            f"{name!r} is not china, weekdays or a country the holidays package knows: "
            "write its ISO code, e.g. US, GB-ENG or DE-BY (a subdivision after the hyphen)"
        )
    country = spelled[country.upper()]
    if not subdivision:
        return country
    subdivisions = {code.upper(): code for code in known[country]}
    if subdivision.upper() not in subdivisions:
        raise ValueError(
            f"{name!r}: the holidays package knows no subdivision {subdivision!r} of {country}; "
            f"use one of {', '.join(sorted(subdivisions.values()))}, or {country} alone"
        )
    return f"{country}-{subdivisions[subdivision.upper()]}"


def days_off(name: str, years: range) -> pd.DataFrame:
    """Every day of `years` that is no working day in the country `name` (US, US-NY)."""
    import holidays  # only where a profile names a country

    country, _, subdivision = name.partition("-")
    known = holidays.country_holidays(country, subdiv=subdivision or None, years=years)
    days = pd.date_range(dt.date(years[0], 1, 1), dt.date(years[-1], 12, 31)).date
    off = [day for day in days if not known.is_working_day(day)]
    return pd.DataFrame(
        {"working_calendar": name, "calendar_date": off, "holiday_name": [known.get(day) for day in off]}
    )


def describe(name: str) -> str:
    """What `calendar: <name>` counts as working days, in words: `calendar: MA` is Morocco, not
    Massachusetts (US-MA), and `profiles check` says so before a wrong calendar loads."""
    if name == "china":
        return "China's official calendar (its holidays off, its make-up working days on)"
    if name == "weekdays":
        return "Monday to Friday, no holidays"
    import holidays
    from holidays import registry

    country, _, subdivision = name.partition("-")
    known = holidays.country_holidays(country, subdiv=subdivision or None)
    title = next((key for key, codes in registry.COUNTRIES.items() if codes[1] == country), country)
    where = title.replace("_", " ").title() + (f", subdivision {subdivision}" if subdivision else "")
    off = known.weekend  # weekday numbers, Monday 0 (Israel: Friday and Saturday)
    first = next(day for day in range(7) if day not in off and (day - 1) % 7 in off)
    last = next(day for day in range(7) if day not in off and (day + 1) % 7 in off)
    first, last = (dt.date(2024, 1, 1 + day).strftime("%A") for day in (first, last))  # 2024-01-01: a Monday
    return f"{where}: {first} to {last}, less its public holidays (the holidays package)"


def land(connection: duckdb.DuckDBPyConnection, calendars: set[str], today: dt.date | None = None) -> None:
    """Create raw.country_days_off, and land the days off of each named country it lacks or
    holds too few years of. A country landed before is left as it is, so that an ingest of new
    exports does not change the table (an incremental build reads only what changed)."""
    connection.execute(DDL)
    last_year = (today or dt.date.today()).year + YEARS_AHEAD
    landed = dict(
        connection.execute(
            "select working_calendar, max(year(calendar_date)) from raw.country_days_off group by 1"
        ).fetchall()
    )
    for name in sorted(set(calendars) - set(BUILT_IN)):
        if landed.get(name, 0) >= last_year:
            continue
        connection.register("landed_days_off", days_off(name, range(FIRST_YEAR, last_year + 1)))
        connection.execute("delete from raw.country_days_off where working_calendar = ?", [name])
        connection.execute("insert into raw.country_days_off select * from landed_days_off")
        connection.unregister("landed_days_off")
