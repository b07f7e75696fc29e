"""`hotline ingest` and `hotline profiles check|draft`, run as a user runs them (typer's CliRunner)."""

from __future__ import annotations

import csv
import re
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner, Result

from ingestion.profiles import load_profile
from pipeline.cli import app
from tests.conftest import HASH_KEY, export_row

Invoke = Callable[..., Result]

CHECK_PROFILE = r"""
name: check_city
table: hotline_work_orders
match:
  filename: '^check_city_\d{4}-\d{2}-\d{2}\.csv$'
  headers_include: [Unique Key, Created Date]
snapshot_date:
  from_filename: '(\d{4})-(\d{2})-(\d{2})'
timezone: America/New_York
timestamp_formats: ["%m/%d/%Y %I:%M:%S %p"]
columns:
  work_order_id: Unique Key
  received_at: Created Date
  dispatched_at: {from: Created Date}
  completed_at: {from: Closed Date}
  status: {from: Status, map: {Open: 已派单, Closed: 已办结}}
  appeal_type: {value: 其他}
"""


@pytest.fixture
def profiles_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "profiles"
    folder.mkdir()
    return folder


@pytest.fixture
def invoke(settings, profiles_dir: Path) -> Invoke:
    """Run `hotline ARGS…` with the test's data folder, hashing key and profiles folder."""
    env = {
        "HOTLINE_DATA_DIR": str(settings.data_dir),
        "HOTLINE_HASH_KEY": HASH_KEY,
        "HOTLINE_PROFILES_DIR": str(profiles_dir),
    }

    def run(*args: str) -> Result:
        return CliRunner().invoke(app, list(args), env=env)

    return run


def write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding=encoding, newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def one_line(text: str) -> str:
    """The output with rich's soft wraps undone, for matching phrases."""
    return " ".join(text.split())


# --- hotline ingest ---------------------------------------------------------------------------


def test_ingest_says_where_its_time_went(settings, land, invoke):
    """After loading, one line tells the engineer watching the load what bounded it: waiting for
    files to be read, checking and masking them, or waiting for the writes."""
    land("12345_gongdan_20230103.csv", [export_row(), export_row(工单编号="GD-2")])

    started = time.perf_counter()
    loaded = invoke("ingest")
    took = time.perf_counter() - started

    assert loaded.exit_code == 0, loaded.output
    spent = re.search(
        r"time: reading files ([\d.]+) s, checking and masking ([\d.]+) s, waiting for writes ([\d.]+) s",
        one_line(loaded.output),
    )
    assert spent and sum(map(float, spent.groups())) <= took
    # a run that loads nothing has no time to report
    assert "time: " not in invoke("ingest").output


def test_ingest_exits_1_and_says_how_many_files_were_rejected_and_0_with_allow_rejected(settings, land, invoke):
    land("12345_gongdan_20230103.csv", [export_row()])
    (settings.landing_dir / "12345_gongdan_20230104.xlsx").write_text("<html>error page</html>")
    (settings.landing_dir / "unknown_layout.csv").write_text("a,b\n1,2\n", encoding="utf-8")

    first = invoke("ingest")

    assert first.exit_code == 1
    output = one_line(first.output)
    assert "1 files loaded (1 rows read: 1 loaded, 0 quarantined)" in output
    assert "error: 2 file(s) rejected (listed above); fix them and run again, or pass --allow-rejected" in output
    assert "rejected 12345_gongdan_20230104.xlsx:" in output and "rejected unknown_layout.csv:" in output

    again = invoke("ingest", "--allow-rejected")  # rejected files are tried again, and rejected again

    assert again.exit_code == 0, again.output
    assert "0 files loaded" in one_line(again.output) and "2 rejected" in one_line(again.output)
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as connection:
        assert connection.execute("select status, count(*) from raw.load_ledger group by 1 order by 1").fetchall() == [
            ("loaded", 1),
            ("rejected", 2),
        ]


def test_ingest_says_when_a_file_loaded_no_row_at_all(settings, land, invoke):
    land("12345_gongdan_20230103.csv", [export_row(来电时间="05/01/2023 8am"), export_row(工单编号="", 来电时间="x")])

    result = invoke("ingest")

    output = one_line(result.output)
    assert "1 files loaded (2 rows read: 0 loaded, 2 quarantined)" in output
    assert (
        "1 loaded no row, every row quarantined (e.g. 12345_gongdan_20230103.csv): check their profile with "
        "`hotline profiles check`"
    ) in output
    checked = invoke("profiles", "check", str(settings.landing_dir / "12345_gongdan_20230103.csv"))
    assert checked.exit_code == 1
    assert "no row would load: fix the profile" in one_line(checked.output)


def test_profiles_check_fails_when_most_rows_would_be_quarantined(settings, land, invoke):
    good, bad = export_row(), export_row(来电时间="05/01/2023 8am")
    path = land("12345_gongdan_20230103.csv", [dict(good, 工单编号=f"G{n}") for n in range(2)]
                + [dict(bad, 工单编号=f"B{n}") for n in range(3)])  # fmt: skip

    checked = invoke("profiles", "check", str(path))

    assert checked.exit_code == 1
    output = one_line(checked.output)
    assert "5 rows → 2 would load, 3 would be quarantined" in output
    assert "most rows would be quarantined: the profile likely misreads a column" in output


@pytest.mark.parametrize("value", ["2023-02-30", "yesterday", "30/06/2023"])
def test_a_bad_as_of_date_is_a_one_line_error_and_loads_nothing(settings, land, invoke, value):
    land("12345_gongdan_20230103.csv", [export_row()])

    result = invoke("ingest", "--as-of", value)

    assert result.exit_code == 1
    assert result.output.strip() == f"error: --as-of {value}: not a date; write it as YYYY-MM-DD"
    assert not settings.warehouse_path.exists()


def test_as_of_dates_an_export_whose_profile_takes_its_date_from_the_command_line(settings, invoke, profiles_dir):
    (profiles_dir / "undated.yaml").write_text(
        CHECK_PROFILE.replace(r"check_city_\d{4}-\d{2}-\d{2}\.csv$", r"undated_city\.csv$")
        .replace("from_filename: '(\\d{4})-(\\d{2})-(\\d{2})'", "command_line: true")
        .replace("name: check_city", "name: undated_city"),
        encoding="utf-8",
    )
    write_csv(
        settings.landing_dir / "undated_city.csv",
        [["Unique Key", "Created Date"], ["1", "06/30/2023 09:00:00 AM"]],
    )

    without = invoke("ingest")
    with_date = invoke("ingest", "--as-of", "2023-06-30")

    assert without.exit_code == 1 and "run `hotline ingest --as-of YYYY-MM-DD`" in one_line(without.output)
    assert with_date.exit_code == 0, with_date.output
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as connection:
        assert connection.execute("select _snapshot_date::varchar from raw.hotline_work_orders").fetchall() == [
            ("2023-06-30",)
        ]


# --- hotline profiles check -------------------------------------------------------------------


@pytest.fixture
def city_export(tmp_path: Path, profiles_dir: Path) -> Path:
    """An export of check_city's layout outside the landing folder: no sign-off times, two
    statuses outside the vocabulary, one row whose closing time is unreadable."""
    (profiles_dir / "check_city.yaml").write_text(CHECK_PROFILE, encoding="utf-8")
    return write_csv(
        tmp_path / "exports" / "check_city_2023-07-02.csv",
        [
            ["Unique Key", "Created Date", "Closed Date", "Status", "Borough"],
            ["1", "07/01/2023 08:30:00 AM", "07/01/2023 05:00:00 PM", "Closed", "BRONX"],
            ["2", "07/01/2023 09:30:00 AM", "", "Open", "QUEENS"],
            ["3", "07/01/2023 10:30:00 AM", "", "Cancelled", "QUEENS"],
            ["4", "07/01/2023 11:30:00 AM", "", "Cancelled", "BRONX"],
            ["5", "07/01/2023 12:30:00 PM", "2023-07-01 17:30", "Closed", "BRONX"],
        ],
    )


def test_profiles_check_says_what_would_load_without_loading_anything(settings, invoke, city_export):
    result = invoke("profiles", "check", str(city_export))

    assert result.exit_code == 0, result.output
    output = one_line(result.output)
    assert "profile check_city: 5 rows → 4 would load, 1 would be quarantined; export date 2023-07-02" in output
    assert "headers read: Unique Key, Created Date, Closed Date, Status" in output
    assert "headers no column reads: Borough" in output
    assert "status values outside the vocabulary (become 未知; map them): 'Cancelled' ×2" in output
    assert (
        "quarantined ×1: Closed Date is not a timestamp like %m/%d/%Y %I:%M:%S %p (first: row 6: '2023-07-01 17:30')"
    ) in output
    kpis = {
        match.group(1): match.group(2)
        for match in re.finditer(r"^\s*([a-z_]+)\s+(yes|no)\b", result.output, flags=re.MULTILINE)
    }
    assert kpis["work_orders"] == "yes"
    assert kpis["completion_rate"] == "yes"
    assert kpis["signed_on_time_rate"] == "no"  # the export has no sign-off times
    assert kpis["satisfaction_rate"] == "no"
    assert re.search(r"signed_on_time_rate\s+no\s+needs signed_at", result.output)
    assert "working days (calendar:): China's official calendar" in output  # the default
    # Open/Closed say nothing of a send-back: 0% would claim none was sent back
    assert re.search(r"send_back_rate\s+no\s+needs send_back_recorded", result.output)
    assert not settings.warehouse_path.exists()
    assert not settings.warehouse_path.parent.exists()


def test_profiles_check_counts_the_orders_that_would_load_as_void(invoke, profiles_dir, tmp_path):
    (profiles_dir / "check_city.yaml").write_text(
        CHECK_PROFILE.replace("Closed: 已办结}", "Closed: 已办结, Cancelled: 已作废}")
        + "void_when: {Duplicate: ['true']}\n",
        encoding="utf-8",
    )
    export = write_csv(
        tmp_path / "check_city_2023-07-02.csv",
        [
            ["Unique Key", "Created Date", "Closed Date", "Status", "Duplicate"],
            ["1", "07/01/2023 08:30:00 AM", "", "Open", "false"],
            ["2", "07/01/2023 09:30:00 AM", "", "Cancelled", "false"],
            ["3", "07/01/2023 10:30:00 AM", "07/01/2023 11:00:00 AM", "Closed", "true"],
        ],
    )

    output = one_line(invoke("profiles", "check", str(export)).output)

    assert "3 rows → 3 would load" in output
    assert "void orders (已作废, by the status map or void_when): 2; they load and count in no KPI" in output
    assert "headers no column reads" not in output  # Duplicate is read, by void_when


@pytest.mark.parametrize(
    ("calendar", "said"),
    [
        ("MA", "Morocco: Monday to Friday, less its public holidays"),  # not Massachusetts
        ("us-ma", "United States, subdivision MA: Monday to Friday, less its public holidays"),
        ("IL", "Israel: Sunday to Thursday"),
    ],
)
def test_profiles_check_says_which_countrys_working_days_a_calendar_counts(
    invoke, profiles_dir, city_export, calendar, said
):
    (profiles_dir / "check_city.yaml").write_text(CHECK_PROFILE + f"calendar: {calendar}\n", encoding="utf-8")

    output = one_line(invoke("profiles", "check", str(city_export)).output)

    assert f"working days (calendar:): {said}" in output


@pytest.mark.parametrize("setting", ["gate", "quarantine", "clear"])
def test_profiles_check_finds_times_out_of_order_before_the_gate_does(invoke, profiles_dir, tmp_path, setting):
    (profiles_dir / "check_city.yaml").write_text(CHECK_PROFILE + f"out_of_order_times: {setting}\n", encoding="utf-8")
    export = write_csv(
        tmp_path / "check_city_2023-07-02.csv",
        [
            ["Unique Key", "Created Date", "Closed Date", "Status"],
            ["1", "07/01/2023 08:30:00 AM", "06/30/2023 05:00:00 PM", "Closed"],  # closed the day before
            ["2", "07/01/2023 09:30:00 AM", "07/01/2023 08:00:00 AM", "Closed"],
            ["3", "07/01/2023 10:30:00 AM", "07/01/2023 12:00:00 AM", "Closed"],  # a date alone: the same day
            ["4", "07/01/2023 11:30:00 AM", "07/02/2023 09:00:00 AM", "Closed"],
        ],
    )

    output = one_line(invoke("profiles", "check", str(export)).output)

    if setting == "gate":
        assert "4 rows → 4 would load, 0 would be quarantined" in output
        assert "times out of order ×2: Closed Date is before Created Date: they load, and the gate" in output
        assert "set `out_of_order_times: quarantine` (or `clear`, to keep the row without that time)" in output
    elif setting == "clear":
        assert "4 rows → 4 would load, 0 would be quarantined" in output
        assert (
            "times out of order ×2: Closed Date is before Created Date: they load with the later time emptied" in output
        )
    else:
        assert "4 rows → 2 would load, 2 would be quarantined" in output
        assert "quarantined ×2: Closed Date is before Created Date" in output
        assert "times out of order" not in output


def test_profiles_check_exits_1_for_a_file_no_profile_matches(settings, invoke, city_export, tmp_path):
    stranger = write_csv(tmp_path / "exports" / "stranger_2023-07-02.csv", [["a", "b"], ["1", "2"]])

    result = invoke("profiles", "check", str(city_export), str(stranger))

    assert result.exit_code == 1
    output = one_line(result.output)
    assert "profile check_city: 5 rows" in output  # the other file is still checked
    assert f"rejected: {stranger}: no source profile matches this file name" in output
    assert not settings.warehouse_path.exists()


def test_profiles_check_counts_a_row_with_two_problems_once(settings, invoke, city_export):
    write_csv(
        city_export,
        [
            ["Unique Key", "Created Date", "Closed Date", "Status"],
            ["1", "07/01/2023 08:30:00 AM", "", "Open"],
            ["", "07/01/2023 09:30:00 AM", "2023-07-01 17:30", "Closed"],  # no id and an unreadable time
        ],
    )

    result = invoke("profiles", "check", str(city_export))

    assert "profile check_city: 2 rows → 1 would load, 1 would be quarantined" in one_line(result.output)


def test_profiles_check_quarantines_what_the_load_would_for_bytes_cut_in_half(settings, invoke, tmp_path):
    # one id with a stray byte in a GB18030 export: the check and the load both quarantine that row
    from demodata.hotline_exports import EXPORT_HEADERS

    rows = [[export_row(工单编号=f"2301030000{n:05d}-01").get(h, "") for h in EXPORT_HEADERS] for n in range(30)]
    lines = [",".join(row).encode("gb18030") for row in [list(EXPORT_HEADERS), *rows]]
    lines[3] = lines[3].replace(b"-01,", b"-01\xff,", 1)
    export = tmp_path / "12345_gongdan_20230103.csv"
    export.write_bytes(b"\r\n".join(lines) + b"\r\n")

    output = one_line(invoke("profiles", "check", str(export)).output)

    assert "30 rows → 29 would load, 1 would be quarantined" in output
    assert "quarantined ×1: 工单编号 holds bytes that are not gb18030 (a character cut in half?)" in output
    settings.landing_dir.mkdir(parents=True, exist_ok=True)
    (settings.landing_dir / export.name).write_bytes(export.read_bytes())
    assert "1 files loaded (30 rows read: 29 loaded, 1 quarantined)" in one_line(invoke("ingest").output)


def test_profiles_check_counts_reasons_by_kind_not_by_row_or_value(settings, invoke, tmp_path):
    from demodata.hotline_exports import EXPORT_HEADERS

    rows = [export_row(工单编号=order) for order in ("A", "A", "B", "B", "C")]
    rows += [export_row(工单编号="D", 诉求类型="咨询类"), export_row(工单编号="E", 诉求类型="其它类")]
    rows += [export_row(工单编号="F", 诉求类型="求'助")]  # a value with a quote in it
    rows += [export_row(工单编号="G", 诉求内容=text) for text in ("路灯不亮", "路灯已修好")]
    rows += [export_row(工单编号="2.30103E+14"), export_row(工单编号="2.30103E+14", 诉求内容="别的")]
    export = tmp_path / "12345_gongdan_20230103.csv"
    lines = [list(EXPORT_HEADERS)] + [[row.get(h, "") for h in EXPORT_HEADERS] for row in rows]
    export.write_bytes("\r\n".join(",".join(line) for line in lines).encode("gb18030"))

    output = one_line(invoke("profiles", "check", str(export)).output)

    assert "12 rows → 3 would load, 9 would be quarantined" in output
    assert "quarantined ×2: duplicate of row … (identical, row … loaded)" in output
    assert "quarantined ×3: 诉求类型 is not one of the known values" in output
    assert "quarantined ×2: 工单编号 … appears in rows … with different values, fix the export and reload it" in output
    assert (
        "quarantined ×2: 工单编号 is a number Excel wrote in scientific notation, its digits lost: "
        "land the export as the system wrote it, not opened and saved in Excel"
    ) in output


def test_profiles_check_counts_ids_with_spaces_and_rows_of_several_sheets_as_one_kind(settings, invoke, tmp_path):
    import openpyxl

    from demodata.hotline_exports import EXPORT_HEADERS

    book = openpyxl.Workbook()
    first, second = book.active, book.create_sheet("2月")
    first.title = "1月"
    for sheet, rows in (
        (first, [export_row(工单编号="2023 001"), export_row(工单编号="B"), export_row(工单编号="C")]),
        # each id again with other values: 2023 001 within this sheet too, B and C across sheets
        (second, [export_row(工单编号=order, 诉求内容="别的") for order in ("2023 001", "B", "C")]),
    ):
        sheet.append(list(EXPORT_HEADERS))
        for row in rows:
            sheet.append([row.get(name, "") for name in EXPORT_HEADERS])
    export = tmp_path / "12345_gongdan_20230103.xlsx"
    book.save(export)

    output = one_line(invoke("profiles", "check", str(export)).output)

    assert "6 rows → 0 would load, 6 would be quarantined" in output
    assert "quarantined ×6: 工单编号 … appears in rows … with different values, fix the export and reload it" in output


def test_profiles_check_finds_the_export_date_of_a_from_path_profile_in_the_date_folder(settings, invoke, profiles_dir):
    (profiles_dir / "path_city.yaml").write_text(
        CHECK_PROFILE.replace("name: check_city", "name: path_city")
        .replace(r"check_city_\d{4}-\d{2}-\d{2}\.csv$", r"noise\.csv$")
        .replace("from_filename:", "from_path:"),
        encoding="utf-8",
    )
    export = write_csv(
        settings.landing_dir / "2022-06-30" / "noise.csv",
        [["Unique Key", "Created Date"], ["1", "06/30/2022 08:30:00 AM"]],
    )

    loaded = invoke("ingest")
    result = invoke("profiles", "check", str(export))

    assert loaded.exit_code == 0 and "1 files loaded" in one_line(loaded.output)
    assert "export date 2022-06-30" in one_line(result.output)
    assert result.exit_code == 0


# --- hotline profiles draft -------------------------------------------------------------------

US_311_ROWS = [
    ["Unique Key", "Created Date", "Closed Date", "Agency", "Complaint Type", "Descriptor", "Incident Address",
     "Status", "Due Date", "Borough", "Open Data Channel Type", "On Time"],
    ["41069627", "01/11/2019 12:19:31 AM", "01/11/2019 02:10:05 AM", "NYPD", "Noise - Residential",
     "Loud Music/Party", "123 MAIN ST", "Closed", "01/11/2019 08:19:31 AM", "BROOKLYN", "PHONE", "ONTIME"],
    ["41069628", "01/11/2019 01:02:00 PM", "", "DOT", "Street Condition", "Pothole", "45 ELM AVE", "Open", "",
     "BRONX", "ONLINE", "OVERDUE"],
    ["41069629", "01/11/2019 11:59:59 PM", "01/12/2019 09:00:00 AM", "DSNY", "Dirty Conditions", "Trash", "",
     "Cancelled", "", "QUEENS", "MOBILE", "ONTIME"],
    ["41069630", "01/11/2019 11:00:00 PM", "", "DOT", "Street Condition", "Pothole", "", "Open", "", "BRONX",
     "PHONE", "TBD"],
]  # fmt: skip


def without_todo_targets(text: str) -> str:
    """The draft as a user leaves it after going through the TODO lines: a value the draft found
    no member for (a commented `VALUE: ?` line) is mapped to the first member its TODO offers."""
    return re.sub(
        r"^(\s+)# (.+?): \?\s+# TODO: no member fits; map it to one of ([^,\s]+).*$",
        r"\1\2: \3",
        text,
        flags=re.MULTILINE,
    )


def test_profiles_draft_writes_a_profile_the_loader_accepts_and_that_loads_the_export(settings, invoke, profiles_dir):
    export = write_csv(settings.landing_dir / "311_service_requests_2019-01-11.csv", US_311_ROWS)
    drafted = profiles_dir / "311_service_requests.yaml"

    result = invoke("profiles", "draft", str(export), "--output", str(drafted))

    assert result.exit_code == 0, result.output
    assert "profile 311_service_requests →" in one_line(result.output)
    text = drafted.read_text(encoding="utf-8")
    assert "# TBD: ?   # TODO: no member fits; map it to one of 是, 否" in text
    drafted.write_text(without_todo_targets(text), encoding="utf-8")
    profile = load_profile(drafted)
    assert profile.name == "311_service_requests"
    assert profile.matches(export.name, US_311_ROWS[0])
    assert {"work_order_id", "received_at", "completed_at", "status"} <= {column.name for column in profile.columns}

    loaded = invoke("ingest")

    assert loaded.exit_code == 0, loaded.output
    assert "1 files loaded (4 rows read: 4 loaded, 0 quarantined)" in one_line(loaded.output)


def test_profiles_draft_refuses_to_overwrite_an_existing_file(settings, invoke, tmp_path):
    export = write_csv(tmp_path / "311_service_requests_2019-01-11.csv", US_311_ROWS)
    output = tmp_path / "mine.yaml"
    output.write_text("# my own profile, keep it\n", encoding="utf-8")

    result = invoke("profiles", "draft", str(export), "--output", str(output))

    assert result.exit_code == 1
    assert f"error: {output} exists; choose another --output or remove it" in one_line(result.output)
    assert output.read_text(encoding="utf-8") == "# my own profile, keep it\n"
