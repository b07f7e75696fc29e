"""Rows sharing one id inside one export, reloading files after a profile was fixed, and the
hashing-key guard: each through `steps.ingest` / `steps.reload` into a real DuckDB warehouse."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import duckdb
import pytest

from core.errors import PipelineError
from pipeline import steps
from tests.conftest import export_row

SHIPPED_FILE = "12345_gongdan_20230103.csv"


def query(settings, sql: str, *params) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as connection:
        return connection.execute(sql, list(params)).fetchall()


def ledger_adds_up(settings) -> bool:
    """Every file's rows_read = rows_loaded + rows_quarantined, and the raw and quarantine tables agree."""
    rows = query(
        settings,
        """
        select l.file_id, l.rows_read, l.rows_loaded, l.rows_quarantined,
               (select count(*) from raw.hotline_work_orders w where w._file_id = l.file_id),
               (select count(*) from raw.quarantine q where q.file_id = l.file_id)
        from raw.load_ledger l where l.status = 'loaded'
        """,
    )
    return bool(rows) and all(read == loaded + quarantined and (loaded, quarantined) == (raw, held)
                              for _, read, loaded, quarantined, raw, held in rows)  # fmt: skip


# --- the same id twice in one export --------------------------------------------------------


@pytest.mark.parametrize("name", ["12345_gongdan_20230103.csv", "12345_gongdan_20230103.xlsx"])
def test_an_identical_copy_of_a_row_is_quarantined_as_a_duplicate_and_the_first_loads(settings, land, name):
    land(name, [export_row(), export_row(), export_row(工单编号="230103000000002-01"), export_row()])

    report = steps.ingest(settings)

    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (4, 2, 2)
    assert query(settings, "select work_order_id, _row_number from raw.hotline_work_orders order by 1") == [
        ("230103000000001-01", 2),
        ("230103000000002-01", 4),
    ]
    quarantined = query(settings, "select row_number, record_key, reason from raw.quarantine order by row_number")
    assert quarantined == [
        (3, "230103000000001-01", "duplicate of row 2 (identical, row 2 loaded)"),
        (5, "230103000000001-01", "duplicate of row 2 (identical, row 2 loaded)"),
    ]
    assert ledger_adds_up(settings)


def test_two_different_rows_with_one_id_are_both_quarantined_each_naming_both_rows(settings, land):
    land(
        SHIPPED_FILE,
        [
            export_row(),
            export_row(工单编号="230103000000002-01"),
            export_row(工单状态="已签收", 签收时间="2023-01-03 11:00:00"),
        ],
    )

    report = steps.ingest(settings)

    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (3, 1, 2)
    assert query(settings, "select work_order_id from raw.hotline_work_orders") == [("230103000000002-01",)]
    quarantined = query(settings, "select row_number, record_key, reason from raw.quarantine order by row_number")
    assert [(row, key) for row, key, _ in quarantined] == [(2, "230103000000001-01"), (4, "230103000000001-01")]
    for _, _, reason in quarantined:
        assert "duplicate" not in reason
        assert "appears in rows 2, 4 with different values" in reason
    assert ledger_adds_up(settings)


def test_every_row_is_loaded_or_quarantined_once_when_duplicates_meet_other_problems(settings, land):
    path = land(
        SHIPPED_FILE,
        [
            export_row(),  # 2: loaded
            export_row(),  # 3: identical copy of 2
            export_row(工单编号="230103000000002-01", 来电时间="2023-02-30 10:00:00"),  # 4: bad time, and 6 differs
            export_row(工单编号="230103000000003-01"),  # 5: loaded
            export_row(工单编号="230103000000002-01"),  # 6: same id as 4, different values
            export_row(工单编号="230103000000004-01", 紧急程度="特急"),  # 7: outside `allowed:`
        ],
    )
    with path.open("ab") as handle:
        handle.write("只有,三个,单元格\n".encode("gb18030"))  # 8: a malformed line

    report = steps.ingest(settings)

    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (7, 2, 5)
    loaded = [row for (row,) in query(settings, "select _row_number from raw.hotline_work_orders")]
    reasons = dict(query(settings, "select row_number, reason from raw.quarantine"))
    assert sorted(loaded + list(reasons)) == [2, 3, 4, 5, 6, 7, 8]
    assert reasons[3].startswith("duplicate of row 2")
    assert reasons[4].startswith("来电时间 is not a timestamp") and "appears in rows 4, 6" in reasons[4]
    assert "appears in rows 4, 6" in reasons[6]
    assert ledger_adds_up(settings)


def test_the_same_id_in_two_exports_is_a_later_snapshot_not_a_duplicate(settings, land):
    land(SHIPPED_FILE, [export_row()])
    land("12345_gongdan_20230104.csv", [export_row(工单状态="已签收", 签收时间="2023-01-04 09:00:00")])

    report = steps.ingest(settings)

    assert (report.rows_loaded, report.rows_quarantined) == (2, 0)
    assert query(settings, "select status, _snapshot_date from raw.hotline_work_orders order by 2") == [
        ("已派单", dt.date(2023, 1, 3)),
        ("已签收", dt.date(2023, 1, 4)),
    ]


# --- reloading after a profile was fixed ------------------------------------------------------

RELOAD_PROFILE = """\
name: reload_city
table: hotline_work_orders
match:
  filename: '^reload_city_'
snapshot_date:
  from_filename: '(\\d{{4}})-(\\d{{2}})-(\\d{{2}})'
timestamp_formats: ["%Y-%m-%d %H:%M:%S"]
columns:
  work_order_id: Id
  received_at: Created
  urgency: {{from: Priority, map: {{{urgency_map}}}}}
allowed:
  urgency: [一般, 紧急]
"""
BROKEN_MAP = "Normal: 一般"  # misses Urgent, a value `allowed:` lists as 紧急
FIXED_MAP = "Normal: 一般, Urgent: 紧急"
FIRST, SECOND = "reload_city_2023-07-01.csv", "reload_city_2023-07-02.csv"


def write_reload_profile(folder: Path, urgency_map: str) -> None:
    (folder / "reload_city.yaml").write_text(RELOAD_PROFILE.format(urgency_map=urgency_map), encoding="utf-8")


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([header, *rows])


@pytest.fixture
def loaded_with_a_gap(settings, land, tmp_path, monkeypatch):
    """Two exports loaded through a profile whose value map misses Urgent (two rows quarantined),
    and one export of the shipped profile beside them."""
    folder = tmp_path / "profiles"
    folder.mkdir()
    monkeypatch.setenv("HOTLINE_PROFILES_DIR", str(folder))
    write_reload_profile(folder, BROKEN_MAP)
    header = ["Id", "Created", "Priority"]
    write_csv(
        settings.landing_dir / FIRST,
        header,
        [
            ["1", "2023-07-01 09:00:00", "Normal"],
            ["2", "2023-07-01 10:00:00", "Urgent"],
            ["3", "2023-07-01 11:00:00", "Urgent"],
        ],
    )
    write_csv(settings.landing_dir / SECOND, header, [["4", "2023-07-02 09:00:00", "Normal"]])
    land(SHIPPED_FILE, [export_row()])
    report = steps.ingest(settings)
    assert (report.files_loaded, report.rows_loaded, report.rows_quarantined) == (3, 3, 2)
    assert query(settings, "select row_number, reason from raw.quarantine order by 1") == [
        (3, "Priority 'Urgent' is not one of the known values"),
        (4, "Priority 'Urgent' is not one of the known values"),
    ]
    return folder


def city_rows(settings) -> list[tuple]:
    return query(
        settings,
        "select work_order_id, urgency, _file_name from raw.hotline_work_orders "
        "where _file_name like 'reload_city%' order by work_order_id",
    )


def test_reloading_a_profile_after_its_value_map_was_fixed_loads_the_quarantined_rows_once(settings, loaded_with_a_gap):
    write_reload_profile(loaded_with_a_gap, FIXED_MAP)

    report = steps.reload(settings, profile_name="reload_city")

    assert (report.files_loaded, report.rows_read, report.rows_loaded, report.rows_quarantined) == (2, 4, 4, 0)
    assert city_rows(settings) == [
        ("1", "一般", FIRST),
        ("2", "紧急", FIRST),
        ("3", "紧急", FIRST),
        ("4", "一般", SECOND),
    ]
    assert query(settings, "select count(*) from raw.quarantine where file_name like 'reload_city%'") == [(0,)]
    assert query(
        settings,
        "select file_name, status, rows_read, rows_loaded, rows_quarantined from raw.load_ledger order by file_name",
    ) == [(SHIPPED_FILE, "loaded", 1, 1, 0), (FIRST, "loaded", 3, 3, 0), (SECOND, "loaded", 1, 1, 0)]
    # the earlier loads stay in the history; the shipped profile's file was not touched
    assert query(
        settings,
        "select file_name, rows_loaded, rows_quarantined, replaced_at is not null "
        "from raw.load_ledger_history order by file_name",
    ) == [(FIRST, 1, 2, True), (SECOND, 1, 0, True)]
    assert query(settings, "select count(*) from raw.hotline_work_orders where _file_name = ?", SHIPPED_FILE) == [(1,)]
    assert ledger_adds_up(settings)


def test_reloading_without_a_fix_changes_nothing_and_duplicates_nothing(settings, loaded_with_a_gap):
    before = city_rows(settings)

    report = steps.reload(settings, profile_name="reload_city")

    assert (report.rows_loaded, report.rows_quarantined) == (2, 2)
    assert city_rows(settings) == before
    assert query(settings, "select count(*) from raw.quarantine") == [(2,)]
    assert query(settings, "select count(*) from raw.load_ledger") == [(3,)]
    assert ledger_adds_up(settings)


@pytest.mark.parametrize(
    "named_as", ["its path under the landing folder", "a path", "a path from the landing folder's parent"]
)
def test_reloading_one_file_by_its_name_rereads_only_that_file(settings, loaded_with_a_gap, named_as, monkeypatch):
    write_reload_profile(loaded_with_a_gap, FIXED_MAP)
    name = {
        "its path under the landing folder": FIRST,
        "a path": str(settings.landing_dir / FIRST),
        "a path from the landing folder's parent": f"{settings.landing_dir.name}/{FIRST}",
    }[named_as]
    monkeypatch.chdir(settings.landing_dir.parent)

    report = steps.reload(settings, names=[name])

    assert (report.files_loaded, report.rows_loaded, report.rows_quarantined) == (1, 3, 0)
    assert city_rows(settings) == [
        ("1", "一般", FIRST),
        ("2", "紧急", FIRST),
        ("3", "紧急", FIRST),
        ("4", "一般", SECOND),
    ]
    assert query(settings, "select count(*) from raw.quarantine") == [(0,)]
    assert query(settings, "select file_name from raw.load_ledger_history") == [(FIRST,)]
    assert ledger_adds_up(settings)


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ({"names": ["reload_city_1999-01-01.csv"]}, "reload_city_1999-01-01.csv: not in the load ledger"),
        ({"names": [FIRST, "nope.csv"]}, "nope.csv: not in the load ledger"),
        ({"profile_name": "no_such_profile"}, "profile no_such_profile: no loaded files to reload"),
    ],
)
def test_reloading_something_never_loaded_is_a_one_line_error_and_changes_nothing(
    settings, loaded_with_a_gap, target, expected
):
    write_reload_profile(loaded_with_a_gap, FIXED_MAP)

    with pytest.raises(PipelineError) as raised:
        steps.reload(settings, **target)

    assert str(raised.value).startswith(expected)
    assert "\n" not in str(raised.value)
    assert query(settings, "select count(*) from raw.quarantine") == [(2,)]
    assert query(settings, "select count(*) from raw.load_ledger_history") == [(0,)]


def test_reloading_exports_dated_on_the_command_line_keeps_each_files_recorded_date(settings, tmp_path, monkeypatch):
    folder = tmp_path / "profiles"
    folder.mkdir()
    monkeypatch.setenv("HOTLINE_PROFILES_DIR", str(folder))
    undated = RELOAD_PROFILE.replace("from_filename: '(\\d{{4}})-(\\d{{2}})-(\\d{{2}})'", "command_line: true")
    (folder / "reload_city.yaml").write_text(undated.format(urgency_map=BROKEN_MAP), encoding="utf-8")
    header = ["Id", "Created", "Priority"]
    write_csv(settings.landing_dir / "reload_city_a.csv", header, [["1", "2023-06-01 09:00:00", "Urgent"]])
    steps.ingest(settings, as_of=dt.date(2023, 6, 2))
    write_csv(settings.landing_dir / "reload_city_b.csv", header, [["2", "2023-06-02 09:00:00", "Normal"]])
    steps.ingest(settings, as_of=dt.date(2023, 6, 3))
    (folder / "reload_city.yaml").write_text(undated.format(urgency_map=FIXED_MAP), encoding="utf-8")

    report = steps.reload(settings, profile_name="reload_city")

    assert report.rejected == []
    assert query(settings, "select work_order_id, urgency, _snapshot_date from raw.hotline_work_orders order by 1") == [
        ("1", "紧急", dt.date(2023, 6, 2)),
        ("2", "一般", dt.date(2023, 6, 3)),
    ]


def test_a_corrected_export_landed_under_its_old_name_replaces_the_earlier_load(settings, land):
    land(SHIPPED_FILE, [export_row(), export_row(工单编号="230103000000002-01", 办结时间="2023-01-02 10:00:00")])
    steps.ingest(settings)
    # the city fixes the completion time before the receipt and exports the day again, same name
    land(SHIPPED_FILE, [export_row(), export_row(工单编号="230103000000002-01", 办结时间="2023-01-03 18:00:00")])

    report = steps.ingest(settings)

    assert report.files_loaded == 1 and report.files_replaced == 1
    assert "1 replaced an earlier load of the same name" in report.summary()
    assert query(settings, "select work_order_id, completed_at from raw.hotline_work_orders order by 1") == [
        ("230103000000001-01", None),
        ("230103000000002-01", dt.datetime(2023, 1, 3, 18)),
    ]  # once each: the earlier load's rows are gone
    assert query(settings, "select count(*) from raw.load_ledger where file_name = ?", SHIPPED_FILE) == [(1,)]
    assert query(settings, "select count(*) from raw.load_ledger_history") == [(1,)]  # kept for the record
    assert ledger_adds_up(settings)


def one_name_source(settings, tmp_path, monkeypatch) -> tuple[list[str], Path]:
    """A source that always writes `export.csv`, dated on the command line (known once read)."""
    folder = tmp_path / "profiles"
    folder.mkdir()
    monkeypatch.setenv("HOTLINE_PROFILES_DIR", str(folder))
    undated = RELOAD_PROFILE.replace("from_filename: '(\\d{{4}})-(\\d{{2}})-(\\d{{2}})'", "command_line: true")
    undated = undated.replace("filename: '^reload_city_'", "filename: '^export\\.csv$'")
    (folder / "one_name.yaml").write_text(undated.format(urgency_map=FIXED_MAP), encoding="utf-8")
    return ["Id", "Created", "Priority"], settings.landing_dir / "export.csv"


def test_a_source_that_writes_one_file_name_keeps_each_days_snapshot(settings, tmp_path, monkeypatch):
    header, export = one_name_source(settings, tmp_path, monkeypatch)
    write_csv(export, header, [["1", "2023-06-01 09:00:00", "Normal"]])
    steps.ingest(settings, as_of=dt.date(2023, 6, 1))
    write_csv(export, header, [["1", "2023-06-01 09:00:00", "Urgent"], ["2", "2023-06-02 08:00:00", "Normal"]])

    report = steps.ingest(settings, as_of=dt.date(2023, 6, 2))

    assert report.files_replaced == 0  # the next day's snapshot, not a correction of the last
    both_days = [
        ("1", "一般", dt.date(2023, 6, 1)),
        ("1", "紧急", dt.date(2023, 6, 2)),
        ("2", "一般", dt.date(2023, 6, 2)),
    ]
    snapshots = "select work_order_id, urgency, _snapshot_date from raw.hotline_work_orders order by 3, 1"
    assert query(settings, snapshots) == both_days
    # a reload reads the landed file again: the last day's load; the first day's stays as it was
    reloaded = steps.reload(settings, names=["export.csv"])
    assert (reloaded.files_loaded, reloaded.rows_loaded) == (1, 2)
    assert query(settings, snapshots) == both_days
    # the file changed since: ingest loads it, a reload is refused rather than guess which load it was
    write_csv(export, header, [["3", "2023-06-03 08:00:00", "Normal"]])
    with pytest.raises(PipelineError, match="export.csv: the file changed since it was loaded; `hotline ingest`"):
        steps.reload(settings, names=["export.csv"])
    assert query(settings, snapshots) == both_days


def test_a_corrected_export_not_due_yet_replaces_nothing(settings, tmp_path, monkeypatch):
    header, export = one_name_source(settings, tmp_path, monkeypatch)
    write_csv(export, header, [["1", "2023-06-01 09:00:00", "Normal"]])
    steps.ingest(settings, as_of=dt.date(2023, 6, 5))
    write_csv(export, header, [["1", "2023-06-01 09:00:00", "Urgent"]])  # corrected

    report = steps.ingest(settings, as_of=dt.date(2023, 6, 5), until=dt.date(2023, 6, 3))  # a backfill

    assert (report.files_loaded, report.files_replaced, report.files_not_due) == (0, 0, 1)
    assert query(settings, "select work_order_id, urgency from raw.hotline_work_orders") == [("1", "一般")]
    assert ledger_adds_up(settings)


def test_reloading_a_file_no_longer_in_the_landing_folder_is_a_one_line_error(settings, loaded_with_a_gap):
    (settings.landing_dir / SECOND).unlink()

    with pytest.raises(PipelineError) as raised:
        steps.reload(settings, profile_name="reload_city")

    assert str(raised.value) == (
        f"{settings.landing_dir / SECOND}: no longer in the landing folder; put it back to reload it"
    )
    assert query(settings, "select count(*) from raw.hotline_work_orders") == [(3,)]


# --- the hashing key --------------------------------------------------------------------------


def test_ingesting_with_another_hash_key_is_refused_before_anything_loads(settings, land, monkeypatch):
    monkeypatch.setenv("HOTLINE_HASH_KEY", "key-a")
    land(SHIPPED_FILE, [export_row()])
    steps.ingest(settings)
    land("12345_gongdan_20230104.csv", [export_row(工单编号="230104000000001-01")])
    monkeypatch.setenv("HOTLINE_HASH_KEY", "key-b")

    with pytest.raises(PipelineError) as raised:
        steps.ingest(settings)

    message = str(raised.value)
    assert message.startswith("HOTLINE_HASH_KEY differs from the key this warehouse's personal-data hashes were made")
    assert "\n" not in message and "key-a" not in message and "key-b" not in message
    assert query(settings, "select file_name from raw.load_ledger") == [(SHIPPED_FILE,)]

    monkeypatch.setenv("HOTLINE_HASH_KEY", "key-a")
    assert steps.ingest(settings).files_loaded == 1
