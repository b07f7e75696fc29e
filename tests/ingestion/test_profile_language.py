"""The source-profile language (docs/source_profiles.md), one key at a time, through a real load.

Each test writes a small export and a profile YAML into a folder named by HOTLINE_PROFILES_DIR
(the shipped profiles stay loaded beside it), runs `steps.ingest` into a real DuckDB warehouse
and reads what landed in the raw schema.
"""

from __future__ import annotations

import csv
import datetime as dt
import textwrap
from pathlib import Path

import duckdb
import openpyxl
import pytest

from core.errors import PipelineError
from ingestion.contract import work_order_contract
from ingestion.profiles import load_profile
from pipeline import steps

DATE_IN_NAME = r"from_filename: '(\d{4})-(\d{2})-(\d{2})'"
LOCAL_FORMAT = 'timestamp_formats: ["%Y-%m-%d %H:%M:%S"]'
META_COLUMNS = ["_file_id", "_file_name", "_row_number", "_sheet", "_snapshot_date", "_loaded_at"]


def profile_text(
    name: str,
    columns: str,
    *,
    snapshot: str = DATE_IN_NAME,
    settings: str = LOCAL_FORMAT,
    tail: str = "",
    filename: str | None = None,
) -> str:
    """A work-order profile: `columns` (and `tail`, e.g. `allowed:`) are YAML lines as a user writes them."""
    lines = [
        f"name: {name}",
        "table: hotline_work_orders",
        "match:",
        f"  filename: '{filename or '^' + name + '_'}'",
        "snapshot_date:",
        f"  {snapshot}",
        textwrap.dedent(settings).strip(),
        "columns:",
        textwrap.indent(textwrap.dedent(columns).strip(), "  "),
        textwrap.dedent(tail).strip(),
    ]
    return "\n".join(lines) + "\n"


@pytest.fixture
def profiles_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "profiles"
    folder.mkdir()
    monkeypatch.setenv("HOTLINE_PROFILES_DIR", str(folder))
    return folder


def add_profile(folder: Path, text: str) -> Path:
    name = text.split("\n", 1)[0].removeprefix("name: ").strip()
    path = folder / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def write_csv(path: Path, header: list[str], rows: list[list[str]], encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding=encoding, newline="") as handle:
        csv.writer(handle).writerows([header, *rows])
    return path


def write_xlsx(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in [header, *rows]:
        sheet.append(row)
    workbook.save(path)
    return path


def query(settings, sql: str, *params) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as connection:
        return connection.execute(sql, list(params)).fetchall()


def landed(settings, columns: str) -> list[tuple]:
    return query(settings, f"select {columns} from raw.hotline_work_orders order by work_order_id")


# --- where a value comes from ------------------------------------------------------------


def test_a_constant_and_a_default_fill_cells_the_export_does_not_give(settings, profiles_dir):
    add_profile(
        profiles_dir,
        profile_text(
            "lang_constant",
            """
            work_order_id: 编号
            received_at: 受理时间
            appeal_type: {from: 类型, default: 未知}
            channel: {value: 电话}
            """,
        ),
    )
    write_csv(
        settings.landing_dir / "lang_constant_2023-07-01.csv",
        ["编号", "受理时间", "类型"],
        [["A1", "2023-07-01 09:00:00", "投诉"], ["A2", "2023-07-01 10:00:00", ""]],
        encoding="gb18030",
    )

    report = steps.ingest(settings)

    assert (report.rows_loaded, report.rows_quarantined, report.rejected) == (2, 0, [])
    assert landed(settings, "work_order_id, appeal_type, channel") == [("A1", "投诉", "电话"), ("A2", "未知", "电话")]
    assert query(settings, "select encoding from raw.load_ledger") == [("gb18030",)]


def test_a_value_map_turns_english_statuses_into_the_vocabulary_and_keeps_unmapped_values(settings, profiles_dir):
    add_profile(
        profiles_dir,
        profile_text(
            "lang_map",
            """
            work_order_id: Id
            received_at: Created
            status: {from: Status, map: {Closed: 已办结, Open: 办理中, Pending: 办理中}}
            """,
        ),
    )
    write_csv(
        settings.landing_dir / "lang_map_2023-07-01.csv",
        ["Id", "Created", "Status"],
        [
            ["1", "2023-07-01 09:00:00", "Closed"],
            ["2", "2023-07-01 09:00:00", " Open "],
            ["3", "2023-07-01 09:00:00", "Pending"],
            ["4", "2023-07-01 09:00:00", "Cancelled"],
            ["5", "2023-07-01 09:00:00", ""],
        ],
    )

    steps.ingest(settings)

    assert landed(settings, "work_order_id, status") == [
        ("1", "已办结"),
        ("2", "办理中"),  # the trimmed value is mapped
        ("3", "办理中"),
        ("4", "Cancelled"),  # not in the map: kept as written (no `allowed:`, so it loads)
        ("5", None),
    ]


def test_else_catches_what_the_map_does_not_name_and_an_empty_target_empties_a_value(settings, profiles_dir):
    add_profile(
        profiles_dir,
        profile_text(
            "lang_else",
            """
            work_order_id: Id
            received_at: Created
            appeal_type: {from: Type, map: {"Noise ": 投诉, Question: 咨询}, else: 求助}
            satisfaction: {from: Rated, map: {Good: 满意, Bad: 不满意, Not rated: ""}}
            is_on_time_reported: {from: OnTime, map: {按时: 是, 超期: 否}, else: 否}
            """,
        ),
    )
    rows = [
        ["1", "Noise", "Good", "按时"],  # a map key is matched as cells are, trimmed
        ["2", "Tree Maintenance", "Not rated", "不详"],  # no map entry: else; not rated: empty
        ["3", "投诉", "Bad", "Y"],  # already a type, already a flag: kept
        ["4", "", "", ""],  # empty stays empty
    ]
    write_csv(
        settings.landing_dir / "lang_else_2023-07-01.csv",
        ["Id", "Created", "Type", "Rated", "OnTime"],
        [[row[0], "2023-07-01 09:00:00", *row[1:]] for row in rows],
    )

    report = steps.ingest(settings)

    assert (report.rows_loaded, report.rows_quarantined) == (4, 0)
    assert landed(settings, "work_order_id, appeal_type, satisfaction, is_on_time_reported") == [
        ("1", "投诉", "满意", True),
        ("2", "求助", None, False),
        ("3", "投诉", "不满意", True),
        ("4", None, None, None),
    ]


@pytest.mark.filterwarnings("error")  # a pattern with a group, searched quietly
def test_void_when_marks_orders_void_that_a_flag_or_a_text_calls_so(settings, profiles_dir):
    # Chicago flags a duplicate request in a column of its own; NYC says so in the resolution
    add_profile(
        profiles_dir,
        profile_text(
            "lang_void",
            """
            work_order_id: Id
            received_at: Created
            status: {from: Status, map: {Open: 办理中, Completed: 已办结}}
            """,
            tail="""
            allowed: {status: [办理中, 已办结]}
            void_when:
              DUPLICATE: ['true', Y]
              Resolution: {matches: 'determined that this complaint is a (duplicate|copy)'}
            """,
        ),
    )
    rows = [
        ["1", "Open", "false", ""],
        ["2", "Completed", "TRUE", ""],  # the flag, whatever its case
        ["3", "Completed", "", "The Department determined that this complaint is a duplicate of 123."],
        ["4", "", " y ", ""],  # no status of its own: void all the same
    ]
    write_csv(
        settings.landing_dir / "lang_void_2023-07-01.csv",
        ["Id", "Created", "Status", "DUPLICATE", "Resolution"],
        [[row[0], "2023-07-01 09:00:00", *row[1:]] for row in rows],
    )

    report = steps.ingest(settings)

    # a status `allowed:` lists takes the void that void_when gives without naming it
    assert (report.rows_loaded, report.rows_quarantined) == (4, 0)
    assert landed(settings, "work_order_id, status") == [
        ("1", "办理中"),
        ("2", "已作废"),
        ("3", "已作废"),
        ("4", "已作废"),
    ]


def test_a_profile_may_quarantine_rows_whose_times_run_backwards(settings, profiles_dir):
    add_profile(
        profiles_dir,
        profile_text(
            "lang_order",
            """
            work_order_id: Id
            received_at: Created
            dispatched_at: Dispatched
            completed_at: Closed
            """,
            settings=LOCAL_FORMAT + "\ntimezone: America/New_York\nstore_timezone: Asia/Shanghai",
            tail="out_of_order_times: quarantine   # a 311 system that back-dates closures\n",
        ),
    )
    write_csv(
        settings.landing_dir / "lang_order_2023-07-05.csv",
        ["Id", "Created", "Dispatched", "Closed"],
        [
            ["1", "2023-07-01 09:00:00", "2023-07-01 10:00:00", "2023-07-02 09:00:00"],
            ["2", "2023-07-01 09:00:00", "2023-07-01 08:00:00", ""],
            ["3", "2023-07-01 09:00:00", "2023-07-01 10:00:00", "2023-07-01 09:30:00"],
            ["4", "2023-07-01 09:00:00", "", "2023-07-01 00:00:00"],  # a closing date alone, the same day: fine
        ],
    )

    report = steps.ingest(settings)

    assert (report.rows_loaded, report.rows_quarantined) == (2, 2)
    assert landed(settings, "work_order_id") == [("1",), ("4",)]
    assert query(settings, "select record_key, reason from raw.quarantine order by 1") == [
        ("2", "Dispatched 2023-07-01 08:00:00 is before Created 2023-07-01 09:00:00"),  # as the export says
        ("3", "Closed 2023-07-01 09:30:00 is before Dispatched 2023-07-01 10:00:00"),
    ]


def test_a_profile_may_keep_rows_whose_times_run_backwards_without_the_later_time(settings, profiles_dir):
    # NYC 311 back-dates some closures: the request is real, its closing time is not
    add_profile(
        profiles_dir,
        profile_text(
            "lang_clear",
            """
            work_order_id: Id
            received_at: Created
            dispatched_at: Dispatched
            completed_at: Closed
            """,
            tail="out_of_order_times: clear\n",
        ),
    )
    write_csv(
        settings.landing_dir / "lang_clear_2023-07-05.csv",
        ["Id", "Created", "Dispatched", "Closed"],
        [
            ["1", "2023-07-01 09:00:00", "2023-07-01 10:00:00", "2023-07-02 09:00:00"],
            ["2", "2023-07-01 09:00:00", "2023-07-01 10:00:00", "2023-06-30 17:00:00"],
            ["3", "2023-07-01 09:00:00", "2023-07-01 10:00:00", "2023-07-01 09:30:00"],  # before the dispatch
        ],
    )

    report = steps.ingest(settings)

    assert (report.rows_loaded, report.rows_quarantined) == (3, 0)  # every request counts
    assert landed(settings, "work_order_id, completed_at") == [
        ("1", dt.datetime(2023, 7, 2, 9)),
        ("2", None),
        ("3", None),
    ]
    (warnings,) = query(settings, "select warnings from raw.load_ledger")[0]
    assert warnings == (
        "2 row(s) with a time before the step it follows (Closed): that time was emptied and the row loaded "
        "(out_of_order_times: clear)"
    )


def test_coalesce_takes_the_first_non_empty_header_and_skips_one_the_file_lacks(settings, profiles_dir):
    add_profile(
        profiles_dir,
        profile_text(
            "lang_coalesce",
            """
            work_order_id: Id
            received_at: Created
            town: {from: [District Name, Borough, City]}
            """,
        ),
    )
    write_csv(
        settings.landing_dir / "lang_coalesce_2023-07-01.csv",
        ["Id", "Created", "Borough", "City"],
        [
            ["1", "2023-07-01 09:00:00", "BROOKLYN", "New York"],
            ["2", "2023-07-01 09:00:00", "", "Queens Village"],
            ["3", "2023-07-01 09:00:00", " ", ""],
        ],
    )

    report = steps.ingest(settings)

    assert (report.rows_loaded, report.rejected) == (3, [])
    assert landed(settings, "work_order_id, town") == [("1", "BROOKLYN"), ("2", "Queens Village"), ("3", None)]


def test_aliases_read_a_column_another_system_names_differently(settings, profiles_dir):
    add_profile(
        profiles_dir,
        profile_text(
            "lang_alias",
            """
            work_order_id: {from: Unique Key, aliases: [Request Id]}
            received_at: {from: Created Date, aliases: [Opened]}
            handling_unit: {from: Agency, aliases: [Department]}
            """,
        ),
    )
    write_csv(
        settings.landing_dir / "lang_alias_2023-07-01.csv",
        ["Request Id", "Opened", "Department"],
        [["R-1", "2023-07-01 09:00:00", "Parks"]],
    )
    write_csv(
        settings.landing_dir / "lang_alias_2023-07-02.csv",
        ["Unique Key", "Created Date", "Agency"],
        [["U-1", "2023-07-02 09:00:00", "NYPD"]],
    )

    report = steps.ingest(settings)

    assert (report.files_loaded, report.rows_loaded) == (2, 2)
    assert landed(settings, "work_order_id, received_at, handling_unit") == [
        ("R-1", dt.datetime(2023, 7, 1, 9), "Parks"),
        ("U-1", dt.datetime(2023, 7, 2, 9), "NYPD"),
    ]
    assert query(settings, "select warnings from raw.load_ledger") == [(None,), (None,)]


def test_split_keeps_one_part_of_a_value_and_a_value_without_it_gives_empty(settings, profiles_dir):
    add_profile(
        profiles_dir,
        profile_text(
            "lang_split",
            """
            work_order_id: Id
            received_at: Created
            category_l1_name: {from: Category, split: {separator: "_", part: 0}}
            category_l2_name: {from: Category, split: {separator: "_", part: 1}}
            """,
        ),
    )
    write_csv(
        settings.landing_dir / "lang_split_2023-07-01.csv",
        ["Id", "Created", "Category"],
        [["1", "2023-07-01 09:00:00", "Noise_Residential"], ["2", "2023-07-01 09:00:00", "Graffiti"]],
    )

    steps.ingest(settings)

    assert landed(settings, "work_order_id, category_l1_name, category_l2_name") == [
        ("1", "Noise", "Residential"),
        ("2", "Graffiti", None),
    ]


def test_join_glues_the_non_empty_headers_with_the_separator(settings, profiles_dir):
    add_profile(
        profiles_dir,
        profile_text(
            "lang_join",
            """
            work_order_id: Id
            received_at: Created
            title: {join: [Complaint Type, Descriptor], separator: " - "}
            community: {join: [Block, Lot]}
            """,
        ),
    )
    write_csv(
        settings.landing_dir / "lang_join_2023-07-01.csv",
        ["Id", "Created", "Complaint Type", "Descriptor", "Block", "Lot"],
        [
            ["1", "2023-07-01 09:00:00", "Noise", "Loud Music", "B12", "L3"],
            ["2", "2023-07-01 09:00:00", "Noise", "", "", "L4"],
            ["3", "2023-07-01 09:00:00", "", "Pothole", "", ""],
        ],
    )

    steps.ingest(settings)

    assert landed(settings, "work_order_id, title, community") == [
        ("1", "Noise - Loud Music", "B12 L3"),  # the default separator is one space
        ("2", "Noise", "L4"),
        ("3", "Pothole", None),
    ]


# --- timestamps ---------------------------------------------------------------------------


def test_each_column_can_have_its_own_formats_tried_in_order(settings, profiles_dir):
    add_profile(
        profiles_dir,
        profile_text(
            "lang_formats",
            """
            work_order_id: Id
            received_at: Created
            completed_at: {from: Closed, formats: ["%d.%m.%Y %H:%M", "%Y%m%d%H%M%S"]}
            """,
        ),
    )
    write_csv(
        settings.landing_dir / "lang_formats_2023-07-05.csv",
        ["Id", "Created", "Closed"],
        [
            ["1", "2023-07-01 09:00:00", "03.07.2023 17:45"],
            ["2", "2023-07-01 09:30:00", "20230704081500"],
            ["3", "2023-07-01 10:00:00", "2023-07-04 08:15:00"],  # the profile's default is not the column's
        ],
    )

    report = steps.ingest(settings)

    assert landed(settings, "work_order_id, received_at, completed_at") == [
        ("1", dt.datetime(2023, 7, 1, 9), dt.datetime(2023, 7, 3, 17, 45)),
        ("2", dt.datetime(2023, 7, 1, 9, 30), dt.datetime(2023, 7, 4, 8, 15)),
    ]
    assert report.rows_quarantined == 1
    assert query(settings, "select record_key, reason from raw.quarantine") == [
        ("3", "Closed is not a timestamp like %d.%m.%Y %H:%M (or 1 other format): '2023-07-04 08:15:00'")
    ]


def test_a_databases_zero_date_and_a_placeholder_day_are_no_date(settings, profiles_dir):
    # MySQL-backed systems write 0000-00-00 00:00:00 where a time is not there yet (an open order);
    # others write 1900-01-01 (SQL Server, NYC 311), Excel's day 0 or a Unix time of 0 (1970-01-01)
    add_profile(
        profiles_dir,
        profile_text(
            "lang_zero",
            """
            work_order_id: Id
            received_at: Created
            completed_at: Closed
            """,
        ),
    )
    write_csv(
        settings.landing_dir / "lang_zero_2023-07-05.csv",
        ["Id", "Created", "Closed"],
        [
            ["1", "2023-07-01 09:00:00", "0000-00-00 00:00:00"],
            ["2", "2023-07-01 09:00:00", "2023-07-02 10:00:00"],
            ["3", "0000-00-00 00:00:00", ""],  # no receipt time: nothing to count it by
            ["4", "2023-07-01 09:00:00", "1900-01-01 00:00:00"],
            ["5", "2023-07-01 09:00:00", "1970-01-01 08:00:00"],
            ["6", "1899-12-30 00:00:00", "2023-07-02 10:00:00"],
        ],
    )

    report = steps.ingest(settings)

    assert (report.rows_loaded, report.rows_quarantined) == (4, 2)
    assert landed(settings, "work_order_id, completed_at") == [
        ("1", None), ("2", dt.datetime(2023, 7, 2, 10)), ("4", None), ("5", None)
    ]  # fmt: skip
    assert query(settings, "select record_key, reason from raw.quarantine order by record_key") == [
        ("3", "Created is a placeholder for no date: '0000-00-00 00:00:00'"),
        ("6", "Created is a placeholder for no date: '1899-12-30 00:00:00'"),
    ]


def test_a_time_limit_in_working_days_loads_as_a_whole_number_however_it_is_written(settings, profiles_dir):
    add_profile(
        profiles_dir,
        profile_text(
            "lang_limit",
            """
            work_order_id: Id
            received_at: Created
            time_limit_working_days: 办理时限
            """,
        ),
    )
    limits = ["5", "10天", "15个工作日", "3.0", "", "五天"]
    write_csv(
        settings.landing_dir / "lang_limit_2023-07-05.csv",
        ["Id", "Created", "办理时限"],
        [[str(n), "2023-07-01 09:00:00", limit] for n, limit in enumerate(limits, start=1)],
    )

    report = steps.ingest(settings)

    assert (report.rows_loaded, report.rows_quarantined) == (5, 1)
    assert landed(settings, "work_order_id, time_limit_working_days") == [
        ("1", 5), ("2", 10), ("3", 15), ("4", 3), ("5", None)
    ]  # fmt: skip
    assert query(settings, "select record_key, reason from raw.quarantine") == [
        ("6", "办理时限 is not a whole number (of days): '五天'")
    ]


@pytest.mark.parametrize("maps_hours", [True, False], ids=["both limit columns", "days only"])
def test_a_limit_in_hours_among_days_loads_into_the_hours_column_or_says_to_map_it(settings, profiles_dir, maps_hours):
    hours = "time_limit_hours: 办理时限" if maps_hours else ""
    add_profile(
        profiles_dir,
        profile_text(
            "lang_hours",
            f"""
            work_order_id: Id
            received_at: Created
            time_limit_working_days: 办理时限
            {hours}
            """,
        ),
    )
    limits = ["5个工作日", "24小时", "2 hours", "另行约定", "7", "１２小时内"]  # a bare 7: working days, not hours
    write_csv(
        settings.landing_dir / "lang_hours_2023-07-05.csv",
        ["Id", "Created", "办理时限"],
        [[str(n), "2023-07-01 09:00:00", limit] for n, limit in enumerate(limits, start=1)],
    )

    report = steps.ingest(settings)

    reasons = query(settings, "select record_key, reason from raw.quarantine order by record_key")
    if maps_hours:
        assert (report.rows_loaded, report.rows_quarantined) == (5, 1)
        assert landed(settings, "work_order_id, time_limit_working_days, time_limit_hours") == [
            ("1", 5, None), ("2", None, 24), ("3", None, 2), ("5", 7, None), ("6", None, 12)
        ]  # fmt: skip
        not_a_number = [f"办理时限 is not a whole number (of {unit}): '另行约定'" for unit in ("days", "hours")]
        assert reasons == [("4", "; ".join(not_a_number))]
    else:  # without the hours column the urgent orders would have no limit: quarantined, saying so
        assert (report.rows_loaded, report.rows_quarantined) == (2, 4)
        assert reasons[:2] == [
            ("2", "办理时限 '24小时' is a limit in hours: map time_limit_hours from it too"),
            ("3", "办理时限 '2 hours' is a limit in hours: map time_limit_hours from it too"),
        ]


def test_a_workbooks_own_date_cells_are_read_beside_text_in_the_profiles_formats(settings, profiles_dir):
    # a message board's export: text dates in some rows, Excel's date cells in others, and a
    # datetime cell at midnight, which the workbook gives as a date alone
    add_profile(
        profiles_dir,
        profile_text(
            "lang_cells",
            """
            work_order_id: Id
            received_at: Created
            completed_at: Closed
            """,
            settings='timestamp_formats: ["%Y/%m/%d %H:%M"]',
        ),
    )
    rows = [
        ["1", "2023/3/5 8:03", "2023/3/6 9:30"],
        ["2", dt.datetime(2023, 3, 5, 10, 15), dt.datetime(2023, 3, 31, 0, 0)],
        ["3", dt.datetime(2023, 3, 6, 11, 0), dt.date(2023, 3, 7)],
    ]
    write_xlsx(settings.landing_dir / "lang_cells_2023-07-20.xlsx", ["Id", "Created", "Closed"], rows)

    report = steps.ingest(settings)

    assert (report.rows_loaded, report.rows_quarantined, report.rejected) == (3, 0, [])
    assert landed(settings, "work_order_id, received_at, completed_at") == [
        ("1", dt.datetime(2023, 3, 5, 8, 3), dt.datetime(2023, 3, 6, 9, 30)),
        ("2", dt.datetime(2023, 3, 5, 10, 15), dt.datetime(2023, 3, 31)),
        ("3", dt.datetime(2023, 3, 6, 11), dt.datetime(2023, 3, 7)),
    ]


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_excel_serial_day_numbers_become_timestamps(settings, profiles_dir, suffix):
    add_profile(
        profiles_dir,
        profile_text(
            "lang_excel",
            """
            work_order_id: Id
            received_at: Created
            completed_at: {from: Closed, formats: [excel]}
            """,
            settings='timestamp_formats: [excel, "%Y-%m-%d %H:%M:%S"]',
        ),
    )
    path = settings.landing_dir / f"lang_excel_2023-07-20.{suffix}"
    rows = [["1", 44197.4375, 45123.5], ["2", 45123, ""], ["3", "2023-07-01 09:00:00", ""]]
    if suffix == "csv":
        write_csv(path, ["Id", "Created", "Closed"], [[str(cell) for cell in row] for row in rows])
    else:
        write_xlsx(path, ["Id", "Created", "Closed"], rows)

    report = steps.ingest(settings)

    assert (report.rows_loaded, report.rows_quarantined, report.rejected) == (3, 0, [])
    assert landed(settings, "work_order_id, received_at, completed_at") == [
        ("1", dt.datetime(2021, 1, 1, 10, 30), dt.datetime(2023, 7, 16, 12)),
        ("2", dt.datetime(2023, 7, 16), None),
        ("3", dt.datetime(2023, 7, 1, 9), None),  # the second format, for values excel does not read
    ]


def test_iso8601_with_t_and_a_zone_is_converted_to_the_profiles_zone(settings, profiles_dir):
    add_profile(
        profiles_dir,
        profile_text(
            "lang_iso",
            """
            work_order_id: Id
            received_at: Created
            """,
            settings="timestamp_formats: [iso8601]",  # timezone defaults to Asia/Shanghai
        ),
    )
    write_csv(
        settings.landing_dir / "lang_iso_2023-07-02.csv",
        ["Id", "Created"],
        [
            ["1", "2023-07-01T08:30:00+08:00"],
            ["2", "2023-07-01T00:30:00Z"],
            ["3", "2023-07-01T03:30:00+03:00"],
            ["4", "2023-07-01T08:30:00"],  # no zone: the profile's local time, kept
            ["5", "2023-07-01 08:30:00"],  # a space instead of T
        ],
    )

    report = steps.ingest(settings)

    assert (report.rows_loaded, report.rows_quarantined) == (5, 0)
    assert landed(settings, "received_at") == [(dt.datetime(2023, 7, 1, 8, 30),)] * 5


US_PROFILE_SETTINGS = """
timezone: America/New_York
store_timezone: {store}
timestamp_formats: ["%m/%d/%Y %I:%M:%S %p", iso8601]
"""


@pytest.mark.parametrize(
    ("store", "expected"),
    [
        (
            "keep",  # the export's own wall time, as written
            [
                dt.datetime(2023, 7, 1, 20, 30),
                dt.datetime(2019, 1, 11, 0, 19, 31),
                dt.datetime(2019, 1, 11, 12, 5),
                dt.datetime(2023, 7, 1, 20, 30),
            ],
        ),
        (
            "Asia/Shanghai",  # converted: New York is UTC-4 in July, UTC-5 in January; Shanghai UTC+8
            [
                dt.datetime(2023, 7, 2, 8, 30),
                dt.datetime(2019, 1, 11, 13, 19, 31),
                dt.datetime(2019, 1, 12, 1, 5),
                dt.datetime(2023, 7, 2, 8, 30),
            ],
        ),
    ],
)
def test_a_us_profile_reads_twelve_hour_times_in_new_york_and_keeps_or_converts_them(
    settings, profiles_dir, store, expected
):
    add_profile(
        profiles_dir,
        profile_text(
            "lang_us",
            """
            work_order_id: Unique Key
            received_at: Created Date
            """,
            settings=US_PROFILE_SETTINGS.format(store=store),
        ),
    )
    write_csv(
        settings.landing_dir / "lang_us_2023-07-02.csv",
        ["Unique Key", "Created Date"],
        [
            ["1", "07/01/2023 08:30:00 PM"],
            ["2", "01/11/2019 12:19:31 AM"],  # 12 AM is just after midnight
            ["3", "01/11/2019 12:05:00 PM"],  # 12 PM is just after noon
            ["4", "2023-07-01T20:30:00-04:00"],  # a zoned value: to New York, then as the others
        ],
    )

    report = steps.ingest(settings)

    assert (report.rows_loaded, report.rows_quarantined, report.rejected) == (4, 0, [])
    assert [received for (received,) in landed(settings, "received_at")] == expected
    assert query(settings, "select distinct _snapshot_date from raw.hotline_work_orders") == [(dt.date(2023, 7, 2),)]


def test_a_time_in_the_repeated_autumn_hour_is_not_quarantined_as_badly_formatted(settings, profiles_dir):
    add_profile(
        profiles_dir,
        profile_text(
            "lang_dst",
            """
            work_order_id: Unique Key
            received_at: Created Date
            """,
            settings=US_PROFILE_SETTINGS.format(store="Asia/Shanghai"),
        ),
    )
    write_csv(
        settings.landing_dir / "lang_dst_2022-11-07.csv",
        ["Unique Key", "Created Date"],
        [["1", "11/06/2022 01:30:00 AM"]],  # 01:30 happens twice in New York that night
    )

    steps.ingest(settings)

    loaded = landed(settings, "received_at")
    reasons = [reason for (reason,) in query(settings, "select reason from raw.quarantine")]
    # either loaded (one of the two instants) or quarantined with a reason that says what is wrong
    assert loaded in ([(dt.datetime(2022, 11, 6, 13, 30),)], [(dt.datetime(2022, 11, 6, 14, 30),)]) or (
        len(reasons) == 1 and "ambiguous" in reasons[0]
    )


# --- the smallest profile -----------------------------------------------------------------


def test_a_profile_mapping_only_the_id_and_received_time_loads_into_the_whole_contract_shape(settings, profiles_dir):
    add_profile(
        profiles_dir,
        profile_text(
            "lang_minimal",
            """
            work_order_id: Ticket
            received_at: Opened
            """,
        ),
    )
    write_csv(
        settings.landing_dir / "lang_minimal_2023-07-01.csv",
        ["Ticket", "Opened", "Notes"],
        [["T-1", "2023-07-01 09:00:00", "ignored"]],
    )

    report = steps.ingest(settings)

    assert (report.rows_loaded, report.rejected) == (1, [])
    contract_columns = list(work_order_contract().columns)
    columns = [
        name
        for (name,) in query(
            settings,
            "select column_name from information_schema.columns "
            "where table_schema = 'raw' and table_name = 'hotline_work_orders' order by ordinal_position",
        )
    ]
    assert columns == contract_columns + META_COLUMNS
    [row] = query(settings, f"select {', '.join(contract_columns)} from raw.hotline_work_orders")
    values = dict(zip(contract_columns, row, strict=True))
    assert values.pop("work_order_id") == "T-1"
    assert values.pop("received_at") == dt.datetime(2023, 7, 1, 9)
    assert set(values.values()) == {None}
    assert query(settings, "select source_profile, status from raw.load_ledger") == [("lang_minimal", "loaded")]


# --- mistakes in a profile ----------------------------------------------------------------

MINIMAL_COLUMNS = """
work_order_id: Id
received_at: Created
"""

PROFILE_MISTAKES = [
    pytest.param(
        profile_text("bad", MINIMAL_COLUMNS + "colour: Colour"),
        ["columns.colour", "not a column of the work-order contract"],
        id="unknown-canonical-column",
    ),
    pytest.param(
        profile_text("bad", MINIMAL_COLUMNS + "status: {from: Status, type: flag}"),
        ["columns.status.type", "flag", "contract says text"],
        id="type-clashes-with-the-contract",
    ),
    pytest.param(
        profile_text("bad", MINIMAL_COLUMNS + "status: {from: Status, map: {Closed: Done}}"),
        ["columns.status.map", "'Done'", "status vocabulary"],
        id="map-into-a-value-outside-the-vocabulary",
    ),
    pytest.param(
        profile_text("bad", MINIMAL_COLUMNS + "channel: {value: Phone}"),
        ["columns.channel.value", "'Phone'", "channel vocabulary"],
        id="constant-outside-the-vocabulary",
    ),
    pytest.param(
        profile_text("bad", "work_order_id: Id"),
        ["received_at", "not mapped under `columns:`"],
        id="required-column-unmapped",
    ),
    pytest.param(
        profile_text("bad", MINIMAL_COLUMNS, filename="^bad_(["),
        ["match.filename", "not a valid regular expression"],
        id="bad-filename-regex",
    ),
    pytest.param(
        profile_text("bad", MINIMAL_COLUMNS, snapshot=r"from_filename: '(\d{4}'"),
        ["snapshot_date.from_filename", "not a valid regular expression"],
        id="bad-snapshot-regex",
    ),
    pytest.param(
        profile_text("bad", MINIMAL_COLUMNS, settings="timezone: Mars/Olympus\n" + LOCAL_FORMAT),
        ["timezone", "unknown time zone 'Mars/Olympus'"],
        id="unknown-time-zone",
    ),
    pytest.param(
        profile_text("bad", MINIMAL_COLUMNS, settings="store_timezone: Europe/Atlantis\n" + LOCAL_FORMAT),
        ["store_timezone", "unknown time zone 'Europe/Atlantis'"],
        id="unknown-store-time-zone",
    ),
    pytest.param(
        profile_text("bad", MINIMAL_COLUMNS, settings="calendar: Atlantis\n" + LOCAL_FORMAT),
        ["calendar", "'Atlantis' is not china, weekdays or a country", "e.g. US, GB-ENG or DE-BY"],
        id="unknown-calendar",
    ),
    pytest.param(
        profile_text("bad", MINIMAL_COLUMNS, settings="calendar: US-ZZ\n" + LOCAL_FORMAT),
        ["calendar", "no subdivision 'ZZ' of US", "NY", "or US alone"],
        id="unknown-subdivision-of-a-calendar",
    ),
    pytest.param(
        profile_text("bad", MINIMAL_COLUMNS + "channel: {from: Channel, value: 电话}"),
        ["columns.channel", "from and value"],
        id="from-together-with-value",
    ),
    pytest.param(
        profile_text("bad", MINIMAL_COLUMNS + "town: {from: Town, split: {separator: _, part: second}}"),
        ["columns.town", "split", "part"],
        id="split-part-not-a-number",
    ),
    pytest.param(
        profile_text("bad", MINIMAL_COLUMNS, settings="timestamp_formats: [YYYY-MM-DD]"),
        ["columns.received_at.formats", "'YYYY-MM-DD'"],
        id="a-format-that-is-no-pattern",
    ),
    pytest.param("- name: bad\n- table: hotline_work_orders\n", ["a profile is a mapping"], id="yaml-not-a-mapping"),
    pytest.param("name: [unclosed\n", ["not valid YAML"], id="yaml-that-does-not-parse"),
    pytest.param(
        "name: bad\ncolumns:\n  satisfaction: {from: S,\n  # map: {未评价: ''}}\n  town: T\n",
        ["not valid YAML at line 6, column 1", "expected ',' or '}'"],  # where the parser saw the { left open
        id="yaml-broken-at-a-line",
    ),
    pytest.param(
        profile_text("bad", MINIMAL_COLUMNS + "appeal_type: {from: Type, else: 其他}"),
        ["columns.appeal_type", "`else:`", "give a `map:` too"],
        id="else-without-a-map",
    ),
    pytest.param(
        profile_text("bad", MINIMAL_COLUMNS + "appeal_type: {from: Type, map: {A: 投诉}, else: Other}"),
        ["columns.appeal_type.else gives 'Other'", "appeal_type vocabulary"],
        id="else-outside-the-vocabulary",
    ),
    pytest.param(
        profile_text("bad", MINIMAL_COLUMNS, tail="void_when: {DUPLICATE: ['true']}"),
        ["void_when sets a row's status to 已作废", "map status under `columns:`"],
        id="void-when-without-a-status",
    ),
    pytest.param(
        profile_text("bad", MINIMAL_COLUMNS + "status: {value: 未知}", tail="void_when: {Notes: {matches: '(dup'}}"),
        ["void_when.Notes.matches", "not a valid regular expression"],
        id="void-when-pattern-that-does-not-compile",
    ),
]


@pytest.mark.parametrize(("text", "named"), PROFILE_MISTAKES)
def test_a_profile_mistake_is_one_line_naming_the_profile_file_and_the_key(tmp_path, text, named):
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")

    with pytest.raises(PipelineError) as raised:
        load_profile(path)

    message = str(raised.value)
    assert message.startswith(f"{path}: ")
    for part in named:
        assert part in message
    assert "\n" not in message


def test_a_snapshot_pattern_without_year_month_and_day_groups_is_a_profile_error(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(profile_text("bad", MINIMAL_COLUMNS, snapshot=r"from_filename: '\d{8}'"), encoding="utf-8")

    with pytest.raises(PipelineError) as raised:
        load_profile(path)

    assert str(raised.value).startswith(f"{path}: snapshot_date.from_filename")


def test_two_profiles_of_one_name_in_a_folder_stop_the_ingest_naming_both_files(settings, profiles_dir):
    # a draft saved beside the profile edited from it: which of the two was meant?
    edited = add_profile(profiles_dir, profile_text("lang_twice", MINIMAL_COLUMNS))
    draft = profiles_dir / "lang_twice_draft.yaml"
    draft.write_text(edited.read_text(encoding="utf-8"), encoding="utf-8")
    write_csv(settings.landing_dir / "lang_twice_2023-07-01.csv", ["Id", "Created"], [["1", "2023-07-01 09:00:00"]])

    with pytest.raises(PipelineError) as raised:
        steps.ingest(settings)

    message = str(raised.value)
    assert message.startswith(
        f"{draft}: a second profile named lang_twice in this folder (the first is lang_twice.yaml)"
    )
    assert "\n" not in message and not settings.warehouse_path.exists()


def test_a_broken_profile_in_the_profiles_folder_stops_the_ingest_before_the_warehouse_is_touched(
    settings, profiles_dir
):
    path = add_profile(profiles_dir, profile_text("lang_broken", MINIMAL_COLUMNS + "status: {from: S, map: {X: Done}}"))
    write_csv(settings.landing_dir / "lang_broken_2023-07-01.csv", ["Id", "Created"], [["1", "2023-07-01 09:00:00"]])

    with pytest.raises(PipelineError) as raised:
        steps.ingest(settings)

    assert str(raised.value).startswith(f"{path}: columns.status.map gives 'Done'")
    assert not settings.warehouse_path.exists()


# --- the export date ----------------------------------------------------------------------


def test_the_export_date_comes_from_the_file_name(settings, profiles_dir):
    add_profile(profiles_dir, profile_text("lang_dated", MINIMAL_COLUMNS))
    write_csv(settings.landing_dir / "lang_dated_2023-06-30.csv", ["Id", "Created"], [["1", "2023-06-01 09:00:00"]])

    steps.ingest(settings)

    assert landed(settings, "_snapshot_date") == [(dt.date(2023, 6, 30),)]
    assert query(settings, "select snapshot_date from raw.load_ledger") == [(dt.date(2023, 6, 30),)]


def test_newest_timestamp_dates_an_export_by_its_newest_event_in_any_timestamp_column(settings, profiles_dir):
    # (a deadline is not an event: the open order's 答复期限 lies after the export)
    add_profile(
        profiles_dir,
        profile_text(
            "lang_newest",
            MINIMAL_COLUMNS + "completed_at: {from: Closed}\ndue_at: {from: Due}",
            snapshot="newest_timestamp: true",
        ),
    )
    write_csv(
        settings.landing_dir / "lang_newest_export.csv",
        ["Id", "Created", "Closed", "Due"],
        [
            ["1", "2023-06-28 09:00:00", "2023-06-30 17:00:00", "2023-07-03 17:00:00"],
            ["2", "2023-06-29 23:59:00", "", "2023-07-06 17:00:00"],
        ],
    )

    steps.ingest(settings)

    assert landed(settings, "_snapshot_date") == [(dt.date(2023, 6, 30),)] * 2


def test_an_export_dated_on_the_command_line_is_rejected_without_as_of_and_loads_with_it(settings, profiles_dir):
    add_profile(profiles_dir, profile_text("lang_cmdline", MINIMAL_COLUMNS, snapshot="command_line: true"))
    write_csv(settings.landing_dir / "lang_cmdline_export.csv", ["Id", "Created"], [["1", "2023-06-01 09:00:00"]])

    first = steps.ingest(settings)

    [(name, reason)] = first.rejected
    assert name == "lang_cmdline_export.csv"
    assert "lang_cmdline" in reason and "--as-of" in reason and "\n" not in reason
    assert query(settings, "select status, error from raw.load_ledger") == [("rejected", reason)]
    assert landed(settings, "*") == []

    second = steps.ingest(settings, as_of=dt.date(2023, 6, 2))

    assert (second.files_loaded, second.rejected) == (1, [])
    assert landed(settings, "work_order_id, _snapshot_date") == [("1", dt.date(2023, 6, 2))]
    assert query(settings, "select status, snapshot_date from raw.load_ledger") == [("loaded", dt.date(2023, 6, 2))]
    assert query(settings, "select status from raw.load_ledger_history") == [("rejected",)]


def test_from_path_takes_the_export_date_from_a_date_folder(settings, profiles_dir):
    add_profile(
        profiles_dir,
        profile_text(
            "lang_path",
            MINIMAL_COLUMNS,
            filename=r"^noise\.csv$",
            snapshot=r"from_path: '(\d{4})-(\d{2})-(\d{2})'",
        ),
    )
    for day in ("2022-06-29", "2022-06-30"):
        write_csv(settings.landing_dir / day / "noise.csv", ["Id", "Created"], [[day, f"{day} 09:00:00"]])

    report = steps.ingest(settings)

    assert (report.files_loaded, report.rejected) == (2, [])
    assert landed(settings, "work_order_id, _file_name, _snapshot_date") == [
        ("2022-06-29", "2022-06-29/noise.csv", dt.date(2022, 6, 29)),
        ("2022-06-30", "2022-06-30/noise.csv", dt.date(2022, 6, 30)),
    ]


# --- headers the file lacks ----------------------------------------------------------------


def test_a_header_the_profile_names_but_the_file_lacks_is_a_ledger_warning_and_the_file_loads(settings, profiles_dir):
    add_profile(
        profiles_dir,
        profile_text(
            "lang_missing",
            MINIMAL_COLUMNS
            + "handling_unit: Agency\ntitle: {join: [Complaint Type, Descriptor], separator: ' - '}\n"
            + "completed_at: {from: Closed Date}",
        ),
    )
    write_csv(
        settings.landing_dir / "lang_missing_2023-07-01.csv",
        ["Id", "Created", "Complaint Type"],
        [["1", "2023-07-01 09:00:00", "Noise"]],
    )

    report = steps.ingest(settings)

    assert (report.rows_loaded, report.rows_quarantined, report.rejected) == (1, 0, [])
    assert landed(settings, "title, handling_unit, completed_at") == [("Noise", None, None)]
    [(status, warnings)] = query(settings, "select status, warnings from raw.load_ledger")
    assert status == "loaded"
    assert warnings == "headers the profile names but the file lacks: Agency, Closed Date, Descriptor"
