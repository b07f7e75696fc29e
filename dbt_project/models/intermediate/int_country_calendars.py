"""The working days of each country a source profile names (`calendar: US-NY`), day by day.

Python because the `holidays` package knows every country's public holidays, its observed days
(a 4 July on a Saturday is off on the Friday) and its weekend (Friday and Saturday in Israel);
China's calendar stays the cn_calendar seed (chinesecalendar, with its make-up working days).
The days are those of int_calendar_workdays, so every calendar covers the same years. A
profile's setting reaches this model through the ledger (`working_calendar`), spelled as the
package spells it (ingestion/profiles.py checks it at load).
"""

BUILT_IN = ("china", "weekdays")  # int_working_calendars' own


def model(dbt, session):
    dbt.config(materialized="table", packages=["holidays", "pyarrow"])
    import holidays
    import pyarrow as pa

    # each dbt.ref on a line of its own: dbt finds a Python model's refs by reading its source
    ledger = dbt.source("raw", "load_ledger")
    days = dbt.ref("int_calendar_workdays")

    named = ledger.filter(f"working_calendar is not null and working_calendar not in {BUILT_IN}")
    calendars = sorted(name for (name,) in named.project("working_calendar").distinct().fetchall())
    dates = [day for (day,) in days.project("calendar_date").order("calendar_date").fetchall()]

    rows = []
    if calendars and dates:
        years = range(dates[0].year, dates[-1].year + 1)
        for name in calendars:
            country, _, subdivision = name.partition("-")
            known = holidays.country_holidays(country, subdiv=subdivision or None, years=years)
            for day in dates:
                rows.append(
                    {
                        "working_calendar": name,
                        "calendar_date": day,
                        "is_workday": known.is_working_day(day),
                        "holiday_name": known.get(day),
                    }
                )
    # typed explicitly: with no country calendar the table is empty, and untyped columns would
    # reach DuckDB as type NULL
    schema = pa.schema(
        [
            ("working_calendar", pa.string()),
            ("calendar_date", pa.date32()),
            ("is_workday", pa.bool_()),
            ("holiday_name", pa.string()),
        ]
    )
    return pa.Table.from_pylist(rows, schema=schema)
