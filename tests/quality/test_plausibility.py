"""Plausibility checks on a small real DuckDB warehouse: clean, it passes every check; each planted
fault fails (or, for a warning, flags) the check named for it, with the right key in the sample."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from quality.plausibility import CHECKS, RULES_PATH, Rules, load_rules, plausibility_checks

PROFILE = "hotline_test_v1"
FILES = {  # file_id: (file name, export date)
    "f1": ("12345_gongdan_20230301.csv", "2023-03-01"),
    "f2": ("12345_gongdan_20230302.csv", "2023-03-02"),
    "f3": ("12345_gongdan_20230303.csv", "2023-03-03"),
}
LAST_FILE = "12345_gongdan_20230303.csv"
ITEM_COLUMNS = (
    "quarter varchar, member_id varchar, item varchar, records_counted double, points_before_cap double, "
    "cap double, points double, source_record_ids varchar"
)
ITEMS = [  # quarter, member, item, records, before cap, cap, points, records
    ("2022Q4", "WY0001", "activity", 2.0, 6.0, 15.0, 6.0, "A1, A2"),
    ("2022Q4", "WY0001", "proposal_submitted", 1.5, 7.5, None, 7.5, "P1, P2"),
    ("2022Q4", "WY0002", "activity", 0.0, 0.0, 15.0, 0.0, None),
    ("2022Q4", "WY0002", "proposal_submitted", 0.5, 2.5, None, 2.5, "P2"),
]
LIVE_ONLY = [("2023Q1", "WY0001", "activity", 1.0, 3.0, 15.0, 3.0, "A9")]


def _build(path: Path) -> duckdb.DuckDBPyConnection:
    """Just the tables and columns the checks read, a few rows each, all plausible."""
    connection = duckdb.connect(str(path))
    for schema in ("raw", "staging", "intermediate", "marts", "reference"):
        connection.execute(f"create schema {schema}")
    connection.execute(
        "create table raw.load_ledger (file_id varchar, file_name varchar, source_profile varchar, "
        "snapshot_date date, status varchar)"
    )
    for file_id, (name, day) in FILES.items():
        connection.execute("insert into raw.load_ledger values (?, ?, ?, ?, 'loaded')", [file_id, name, PROFILE, day])
    connection.execute(  # a rejected file has no profile and no export date
        "insert into raw.load_ledger values ('rejected:x', '12345_gongdan_20230302(1).xlsx', null, null, 'rejected')"
    )
    connection.execute("create table raw.hotline_work_orders (work_order_id varchar, _file_id varchar)")
    connection.execute("insert into raw.hotline_work_orders values ('A1', 'f1'), ('A1', 'f2'), ('A2', 'f3')")
    connection.execute(
        "create table staging.stg_hotline__work_orders "
        "(work_order_id varchar, last_file_id varchar, last_row_number integer)"
    )
    connection.execute(
        "insert into staging.stg_hotline__work_orders values ('A1', 'f3', 2), ('A2', 'f3', 3), ('A3', 'f3', 4)"
    )
    connection.execute(
        """
        create table marts.fct_cases (
            work_order_id varchar, received_at timestamp, dispatched_at timestamp, signed_at timestamp,
            completed_at timestamp, followed_up_at timestamp, dispatched_date date, completed_date date,
            sign_working_days integer, handling_working_days integer, is_dispatched boolean,
            town varchar, category_l1_name varchar, category_l2_name varchar, category_l3_name varchar,
            category_l3_code varchar, last_snapshot_date date
        )
        """
    )
    connection.execute(
        """
        insert into marts.fct_cases values
        -- dispatched, signed, completed the next day, followed up
        ('A1', '2023-03-01 09:00', '2023-03-01 10:00', '2023-03-01 11:00', '2023-03-02 15:00', '2023-03-03 10:00',
         '2023-03-01', '2023-03-02', 0, 1, true, '汇龙镇', '城乡建设', '市政设施', '路灯', '050101', '2023-03-03'),
        -- dispatched, still open
        ('A2', '2023-03-02 08:00', '2023-03-02 09:00', null, null, null,
         '2023-03-02', null, null, null, true, '北新镇', '城乡建设', '市政设施', '路灯', '050101', '2023-03-03'),
        -- answered at once, no town or category exported
        ('A3', '2023-03-03 09:00', null, null, '2023-03-03 09:10', null,
         null, '2023-03-03', null, null, false, null, null, null, null, null, '2023-03-03')
        """
    )
    connection.execute(
        """
        alter table marts.fct_cases add column is_completed boolean;
        update marts.fct_cases set is_completed = completed_at is not null;
        alter table marts.fct_cases add column is_void boolean default false;
        alter table marts.fct_cases add column as_of_date date default date '2023-03-03';
        -- open for nobody: a void order (已作废), and one closed at a time the export leaves out
        insert into marts.fct_cases
            (work_order_id, received_at, dispatched_at, dispatched_date, is_dispatched, town, category_l1_name,
             category_l2_name, category_l3_name, category_l3_code, last_snapshot_date, is_completed, is_void)
        values
            ('A4', '2023-03-02 08:00', '2023-03-02 09:00', '2023-03-02', true, '北新镇', '城乡建设', '市政设施',
             '路灯', '050101', '2023-03-03', false, true),
            ('A5', '2023-03-02 08:00', '2023-03-02 09:00', '2023-03-02', true, '北新镇', '城乡建设', '市政设施',
             '路灯', '050101', '2023-03-03', true, false);
        -- and one of a source whose newest export is a day older: open as far as it can say
        insert into marts.fct_cases
            (work_order_id, received_at, dispatched_at, dispatched_date, is_dispatched, town, category_l1_name,
             category_l2_name, category_l3_name, category_l3_code, last_snapshot_date, is_completed, as_of_date)
        values
            ('A6', '2023-03-01 08:00', '2023-03-01 09:00', '2023-03-01', true, '北新镇', '城乡建设', '市政设施',
             '路灯', '050101', '2023-03-02', false, '2023-03-02');
        """
    )
    connection.execute("create table reference.towns (district varchar, town varchar)")
    connection.execute("insert into reference.towns values ('启东市', '汇龙镇'), ('启东市', '北新镇')")
    connection.execute(
        "create table marts.kpi_backlog_daily (as_of_date date, open_orders bigint, overdue_open_orders bigint)"
    )
    connection.execute(
        "insert into marts.kpi_backlog_daily values ('2023-03-01', 1, 0), ('2023-03-02', 1, 0), ('2023-03-03', 1, 0)"
    )
    connection.execute(f"create table intermediate.int_member_score_items_frozen ({ITEM_COLUMNS}, frozen_date date)")
    connection.executemany(
        "insert into intermediate.int_member_score_items_frozen values (?, ?, ?, ?, ?, ?, ?, ?, '2023-01-21')", ITEMS
    )
    connection.execute(f"create table intermediate.int_member_score_items_live ({ITEM_COLUMNS})")
    connection.executemany(
        "insert into intermediate.int_member_score_items_live values (?, ?, ?, ?, ?, ?, ?, ?)", ITEMS + LIVE_ONLY
    )
    connection.execute(f"create table marts.fct_member_score_items ({ITEM_COLUMNS}, is_frozen boolean)")
    connection.executemany(
        "insert into marts.fct_member_score_items values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(*row, row[0] == "2022Q4") for row in ITEMS + LIVE_ONLY],
    )
    connection.execute(
        "create table marts.fct_member_quarterly_scores as select quarter, member_id, sum(points) as total_points "
        "from marts.fct_member_score_items group by all"
    )
    connection.execute("create table staging.stg_members__score_freezes (quarter varchar, frozen_date date)")
    connection.execute("insert into staging.stg_members__score_freezes values ('2022Q4', '2023-01-21')")
    return connection


@pytest.fixture
def warehouse(tmp_path):
    connection = _build(tmp_path / "warehouse.duckdb")
    yield connection
    connection.close()


def check(connection, name: str, rules: Rules | None = None):
    results = {result.check: result for result in plausibility_checks(connection, rules or Rules())}
    return results[name]


def assert_fails(connection, name: str, key: dict, rules: Rules | None = None, rows: int = 1):
    result = check(connection, name, rules)
    assert not result.passed, f"{name} passed: {result}"
    assert result.source == "plausibility"
    assert result.failing_rows == rows
    assert key.items() <= result.sample[0].items(), result.sample
    return result


def assert_warns(connection, name: str, key: dict, rows: int = 1):
    result = check(connection, name)
    assert result.passed, f"{name} is a warning by default, not a failure: {result}"
    assert result.failing_rows == rows and result.message.startswith("warning: ")
    assert key.items() <= result.sample[0].items(), result.sample
    return result


def _work_order(work_order_id: str, row: int) -> dict:
    return {"work_order_id": work_order_id, "file_name": LAST_FILE, "row_number": str(row)}


# --- clean ---------------------------------------------------------------------------------------


def test_a_clean_warehouse_passes_every_check_with_nothing_to_say(warehouse):
    results = plausibility_checks(warehouse, Rules())

    assert [result.check for result in results] == list(CHECKS)
    assert {result.source for result in results} == {"plausibility"}
    assert [(r.check, r.failing_rows, r.message) for r in results if not r.passed or r.failing_rows or r.message] == []


def test_the_seed_holds_every_check_with_the_default_severity_and_limits():
    rules = load_rules(RULES_PATH)

    assert dict(rules.severities) == dict(Rules().severities)
    assert (rules.earliest_plausible_date, rules.max_handling_working_days, rules.export_grace_days) == (
        dt.date(2000, 1, 1),
        365,
        1,
    )


# --- timestamps ----------------------------------------------------------------------------------


def test_a_received_time_years_after_the_export_fails(warehouse):
    warehouse.execute("update marts.fct_cases set received_at = '2031-03-01 09:00' where work_order_id = 'A1'")

    result = assert_fails(warehouse, "timestamp_after_export", _work_order("A1", 2))
    assert "received_at 1" in result.message


def test_a_completion_in_2099_fails(warehouse):
    warehouse.execute("update marts.fct_cases set completed_at = '2099-12-31 00:00' where work_order_id = 'A3'")

    result = assert_fails(warehouse, "timestamp_after_export", _work_order("A3", 4))
    assert "completed_at 1" in result.message


def test_a_time_late_on_the_export_day_itself_passes_and_the_next_day_fails(warehouse):
    warehouse.execute("update marts.fct_cases set followed_up_at = '2023-03-03 23:59:59' where work_order_id = 'A1'")
    assert check(warehouse, "timestamp_after_export").passed

    warehouse.execute("update marts.fct_cases set followed_up_at = '2023-03-04 00:00:00' where work_order_id = 'A1'")
    assert_fails(warehouse, "timestamp_after_export", _work_order("A1", 2))


def test_a_time_before_the_hotline_started_fails(warehouse):
    warehouse.execute("update marts.fct_cases set received_at = '1999-03-01 09:00' where work_order_id = 'A2'")

    assert_fails(warehouse, "timestamp_before_start", _work_order("A2", 3))
    assert check(warehouse, "timestamp_before_start", Rules(earliest_plausible_date=dt.date(1990, 1, 1))).passed


def test_a_completion_before_the_receipt_fails(warehouse):
    warehouse.execute(
        "update marts.fct_cases set completed_at = '2023-03-03 08:00', completed_date = '2023-03-03' "
        "where work_order_id = 'A3'"
    )

    result = assert_fails(warehouse, "completed_before_received", _work_order("A3", 4))
    # the message says what to do (the sample names the rows)
    assert result.message.startswith("1 row(s)")
    assert "reload" in result.message
    assert "set completed_before_received to warn in dbt_project/seeds/plausibility_rules.csv" in result.message
    assert "`out_of_order_times: quarantine` in the source's profile" in result.message


def test_the_time_order_a_profile_can_quarantine_at_load_is_the_gates():
    from ingestion.validation import TIME_ORDER
    from quality.plausibility import TIME_ORDER_CHECKS

    names = [f"{later.removesuffix('_at')}_before_{earlier.removesuffix('_at')}" for later, earlier in TIME_ORDER]
    assert names == list(TIME_ORDER_CHECKS)


def test_a_completion_before_the_dispatch_fails(warehouse):
    warehouse.execute("update marts.fct_cases set completed_at = '2023-03-01 09:30' where work_order_id = 'A1'")

    assert_fails(warehouse, "completed_before_dispatched", _work_order("A1", 2))
    assert check(warehouse, "completed_before_received").passed


def test_a_sign_off_before_the_dispatch_fails(warehouse):
    warehouse.execute("update marts.fct_cases set signed_at = '2023-03-01 09:30' where work_order_id = 'A1'")

    assert_fails(warehouse, "signed_before_dispatched", _work_order("A1", 2))


def test_a_dispatch_before_the_receipt_fails(warehouse):
    warehouse.execute("update marts.fct_cases set dispatched_at = '2023-03-02 07:00' where work_order_id = 'A2'")

    assert_fails(warehouse, "dispatched_before_received", _work_order("A2", 3))


@pytest.mark.parametrize(
    ("column", "rule", "order"),
    [
        ("completed_at", "completed_before_received", ("A3", 4)),
        ("completed_at", "completed_before_dispatched", ("A1", 2)),
        ("signed_at", "signed_before_dispatched", ("A1", 2)),
        ("dispatched_at", "dispatched_before_received", ("A2", 3)),
    ],
)
def test_a_date_without_a_time_is_a_day_before_a_time_only_when_its_day_is(warehouse, column, rule, order):
    # an export that gives a date alone (a message board's reply date) sets it at midnight
    work_order_id, _ = order
    [(day,)] = warehouse.execute(
        "select cast(coalesce(dispatched_at, received_at) as date) from marts.fct_cases where work_order_id = ?",
        [work_order_id],
    ).fetchall()
    warehouse.execute(f"update marts.fct_cases set {column} = ? where work_order_id = ?", [day, work_order_id])
    assert check(warehouse, rule).passed  # the same day: not before

    warehouse.execute(
        f"update marts.fct_cases set {column} = ? where work_order_id = ?",
        [day - dt.timedelta(days=1), work_order_id],
    )
    assert_fails(warehouse, rule, _work_order(*order))  # the day before: before
    warehouse.execute(
        f"update marts.fct_cases set {column} = ? where work_order_id = ?",
        [dt.datetime.combine(day, dt.time(0, 0, 1)), work_order_id],
    )
    assert_fails(warehouse, rule, _work_order(*order))  # a second after midnight is a time


# --- durations -----------------------------------------------------------------------------------


def test_a_negative_handling_time_fails(warehouse):
    warehouse.execute("update marts.fct_cases set handling_working_days = -249 where work_order_id = 'A1'")

    result = assert_fails(warehouse, "negative_working_days", _work_order("A1", 2))
    assert "handling_working_days 1" in result.message


def test_a_handling_time_over_the_limit_fails_unless_the_seed_allows_it(warehouse, tmp_path):
    warehouse.execute("update marts.fct_cases set handling_working_days = 400 where work_order_id = 'A1'")

    assert_fails(warehouse, "duration_over_limit", _work_order("A1", 2))
    seed = tmp_path / "plausibility_rules.csv"
    seed.write_text(
        "check_name,severity,parameter,value,note\nduration_over_limit,error,max_handling_working_days,500,\n",
        encoding="utf-8",
    )
    assert check(warehouse, "duration_over_limit", load_rules(seed)).passed


# --- codes ---------------------------------------------------------------------------------------


def test_an_unknown_town_warns_and_fails_when_the_seed_says_error(warehouse):
    warehouse.execute("update marts.fct_cases set town = '火星镇' where work_order_id = 'A2'")

    result = assert_warns(warehouse, "unknown_town", _work_order("A2", 3))
    assert "火星镇 (1)" in result.message
    assert_fails(warehouse, "unknown_town", _work_order("A2", 3), Rules().with_severity("unknown_town", "error"))


def test_an_unknown_category_warns_and_fails_when_the_seed_says_error(warehouse):
    warehouse.execute(
        "update marts.fct_cases set category_l3_name = '路灯不亮了', category_l3_code = null where work_order_id = 'A1'"
    )

    result = assert_warns(warehouse, "unknown_category", _work_order("A1", 2))
    assert "城乡建设/市政设施/路灯不亮了 (1)" in result.message
    rules = Rules().with_severity("unknown_category", "error")
    assert_fails(warehouse, "unknown_category", _work_order("A1", 2), rules)


def test_orders_without_town_or_category_are_not_unknown_codes(warehouse):
    # A3 exports neither: a gap (kpi_availability's business), not an unknown code
    assert check(warehouse, "unknown_town").failing_rows == 0
    assert check(warehouse, "unknown_category").failing_rows == 0


# --- exports -------------------------------------------------------------------------------------


def test_a_missing_export_day_warns_by_default_and_fails_when_configured(warehouse, tmp_path):
    warehouse.execute("delete from raw.load_ledger where file_id = 'f2'")

    result = assert_warns(warehouse, "missing_export_days", {"source_profile": PROFILE, "period": "2023-03-02"})
    assert "1 rejected file(s)" in result.message
    seed = tmp_path / "plausibility_rules.csv"
    seed.write_text("check_name,severity,parameter,value,note\nmissing_export_days,error,,,\n", encoding="utf-8")
    assert_fails(warehouse, "missing_export_days", {"period": "2023-03-02"}, load_rules(seed))


def _exports_of(warehouse, profile: str, days: list[str]) -> None:
    """A source's loaded exports, one a day given, with a work order each (a hotline source)."""
    for n, day in enumerate(days):
        file_id = f"{profile}-{n}"
        warehouse.execute(
            "insert into raw.load_ledger values (?, ?, ?, ?, 'loaded')", [file_id, f"{file_id}.csv", profile, day]
        )
        warehouse.execute("insert into raw.hotline_work_orders values ('W1', ?)", [file_id])


@pytest.mark.parametrize(
    ("days", "missing"),
    [
        (["2023-01-01", "2023-01-08", "2023-01-15", "2023-01-22", "2023-01-29"], []),  # weekly, whole
        (["2023-01-31", "2023-02-28", "2023-03-31", "2023-04-30", "2023-05-31"], []),  # monthly, whole
        (["2023-01-01", "2023-01-08", "2023-01-15", "2023-01-29", "2023-02-05"], ["2023-01-16..2023-01-28"]),
        (["2023-01-31", "2023-02-28", "2023-03-31", "2023-05-31", "2023-06-30"], ["2023-04-01..2023-05-30"]),
        # a new source, too few gaps for a median: its shortest gap is its rhythm
        (["2023-03-31", "2023-04-30", "2023-05-31"], []),
        (["2023-03-01", "2023-03-02", "2023-03-04"], ["2023-03-03"]),
        (["2023-03-01", "2023-03-03"], ["2023-03-02"]),  # one short gap alone: read as a daily source's
        (["2024-08-18", "2024-09-01"], []),  # two dumps a fortnight apart: a fortnightly source
    ],
    ids=[
        "weekly",
        "monthly",
        "a week missing",
        "a month missing",
        "three months",
        "a new daily source",
        "one gap",
        "one long gap",
    ],  # fmt: skip
)
def test_a_source_exported_weekly_or_monthly_misses_an_export_only_past_its_rhythm(warehouse, days, missing):
    _exports_of(warehouse, "board_v1", days)

    result = check(warehouse, "missing_export_days")
    assert [row["period"] for row in result.sample if row["source_profile"] == "board_v1"] == missing
    assert result.failing_rows == len(missing)  # one export each (the daily source misses none)


def test_a_rejected_export_does_not_fill_its_day(warehouse):
    warehouse.execute("update raw.load_ledger set status = 'rejected' where file_id = 'f2'")

    assert_warns(warehouse, "missing_export_days", {"period": "2023-03-02"})


def test_other_tables_exports_are_not_the_hotlines_series(warehouse):
    warehouse.execute(
        "insert into raw.load_ledger values "
        "('m1', '委员名册_20230110.xlsx', 'committee_members_v1', '2023-01-10', 'loaded')"
    )

    assert check(warehouse, "missing_export_days").failing_rows == 0


# --- backlog -------------------------------------------------------------------------------------


def test_a_negative_open_backlog_fails(warehouse):
    warehouse.execute("update marts.kpi_backlog_daily set open_orders = -3 where as_of_date = '2023-03-02'")

    assert_fails(warehouse, "negative_backlog", {"period": "2023-03-02"})


def test_more_overdue_than_open_orders_does_not_add_up(warehouse):
    warehouse.execute("update marts.kpi_backlog_daily set overdue_open_orders = 2 where as_of_date = '2023-03-01'")

    assert_fails(warehouse, "backlog_counts_add_up", {"period": "2023-03-01", "problem": "overdue-open above open"})


def test_a_day_missing_from_the_backlog_series_does_not_add_up(warehouse):
    warehouse.execute("delete from marts.kpi_backlog_daily where as_of_date = '2023-03-02'")

    assert_fails(warehouse, "backlog_counts_add_up", {"period": "2023-03-02", "problem": "day missing from the series"})


def test_a_last_day_backlog_that_differs_from_the_cases_does_not_add_up(warehouse):
    warehouse.execute("update marts.kpi_backlog_daily set open_orders = 5 where as_of_date = '2023-03-03'")

    result = assert_fails(warehouse, "backlog_counts_add_up", {"period": "2023-03-03"})
    assert result.sample[0]["problem"] == "open orders differ from fct_cases (5 published, 1 counted)"


# --- frozen quarters -----------------------------------------------------------------------------


def test_a_frozen_quarter_changed_with_its_total_fails(warehouse):
    # item and total changed together: the published totals still add up, the frozen copy disagrees
    warehouse.execute(
        "update marts.fct_member_score_items set points = 9.5 "
        "where quarter = '2022Q4' and member_id = 'WY0002' and item = 'proposal_submitted'"
    )
    warehouse.execute(
        "update marts.fct_member_quarterly_scores set total_points = 9.5 "
        "where quarter = '2022Q4' and member_id = 'WY0002'"
    )

    result = assert_fails(
        warehouse,
        "frozen_quarter_changed",
        {"period": "2022Q4", "member_id": "WY0002", "table": "fct_member_score_items"},
        rows=2,
    )
    assert result.sample[1] == {"period": "2022Q4", "member_id": "WY0002", "table": "fct_member_quarterly_scores"}
    assert "2022Q4 in fct_member_score_items" in result.message


def test_rows_of_a_frozen_quarter_swapped_between_members_fail(warehouse):
    # the quarter's sum of points stays the same; the order-independent fingerprint still differs
    warehouse.execute(
        "update marts.fct_member_score_items set member_id = case member_id when 'WY0001' then 'WY0002' "
        "else 'WY0001' end where quarter = '2022Q4' and item = 'activity'"
    )

    assert_fails(warehouse, "frozen_quarter_changed", {"period": "2022Q4", "member_id": "WY0001"}, rows=2)


def test_a_frozen_quarter_published_from_live_data_fails(warehouse):
    warehouse.execute("update marts.fct_member_score_items set is_frozen = false where quarter = '2022Q4'")

    assert_fails(warehouse, "frozen_quarter_changed", {"period": "2022Q4"}, rows=4)


def test_a_frozen_quarter_that_todays_data_scores_differently_only_warns(warehouse):
    warehouse.execute(
        "update intermediate.int_member_score_items_live set points = 3.0, records_counted = 1.0 "
        "where quarter = '2022Q4' and member_id = 'WY0001' and item = 'activity'"
    )

    assert_warns(warehouse, "frozen_quarter_drifted", {"period": "2022Q4", "member_id": "WY0001"})
    assert check(warehouse, "frozen_quarter_changed").passed


def test_the_rows_of_a_quarter_in_another_order_are_the_same_quarter(warehouse):
    warehouse.execute(
        "create or replace table marts.fct_member_score_items as "
        "select * from marts.fct_member_score_items order by member_id desc, item desc"
    )

    assert check(warehouse, "frozen_quarter_changed").failing_rows == 0


# --- rules and failures to run -------------------------------------------------------------------


def test_a_check_that_cannot_run_fails_when_it_is_an_error_and_warns_otherwise(warehouse):
    warehouse.execute("drop table reference.towns")
    warehouse.execute("drop table marts.kpi_backlog_daily")

    town, backlog = check(warehouse, "unknown_town"), check(warehouse, "negative_backlog")
    assert town.passed and town.message.startswith("could not run (warn)")
    assert not backlog.passed and backlog.message.startswith("could not run (error)")


@pytest.mark.parametrize(
    ("row", "error"),
    [
        ("no_such_check,error,,,", "unknown check 'no_such_check'"),
        ("unknown_town,fatal,,,", "severity 'fatal' is not error or warn"),
        ("unknown_town,warn,max_handling_working_days,10,", "unknown_town takes no parameter"),
        ("timestamp_before_start,error,earliest_plausible_date,yesterday,", "earliest_plausible_date = 'yesterday'"),
    ],
)
def test_a_seed_row_the_checks_cannot_use_is_refused(tmp_path, row, error):
    seed = tmp_path / "plausibility_rules.csv"
    seed.write_text(f"check_name,severity,parameter,value,note\n{row}\n", encoding="utf-8")

    with pytest.raises(ValueError, match=error):
        load_rules(seed)
