"""Loading landed exports: every row loaded or quarantined with its reason, each file once."""

from __future__ import annotations

import datetime as dt
import json
import shutil

import duckdb
import pytest

from core.settings import PROJECT_DIR, get_settings
from pipeline import steps
from tests.conftest import export_row


def query(settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def test_rows_with_bad_values_are_quarantined_with_file_row_and_reason(settings, land):
    land(
        "12345_gongdan_20230103.csv",
        [
            export_row(),
            export_row(工单编号="230103000000002-01", 来电时间="2023-02-30 10:00:00"),
            export_row(工单编号=""),
            export_row(工单编号="230103000000004-01", 诉求类型="咨询类"),
            export_row(工单编号="230103000000005-01", 是否延期="也许"),
        ],
    )
    report = steps.ingest(settings)

    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (5, 1, 4)
    quarantined = query(settings, "select row_number, reason from raw.quarantine order by row_number")
    assert quarantined == [
        (3, "来电时间 is not a timestamp like %Y-%m-%d %H:%M:%S (or 3 other formats): '2023-02-30 10:00:00'"),
        (4, "工单编号 is empty"),
        (5, "诉求类型 '咨询类' is not one of the known values"),
        (6, "是否延期 is not 是/否: '也许'"),
    ]
    assert query(settings, "select file_name, rows_read, rows_loaded, rows_quarantined from raw.load_ledger") == [
        ("12345_gongdan_20230103.csv", 5, 1, 4)
    ]


def test_a_malformed_csv_line_is_quarantined_not_lost(settings, land):
    path = land("12345_gongdan_20230103.csv", [export_row()])
    with path.open("ab") as handle:
        handle.write("只有,三个,单元格\n".encode("gb18030"))
    report = steps.ingest(settings)
    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (2, 1, 1)
    assert query(settings, "select row_number, reason from raw.quarantine") == [
        (3, "row has 3 cells, the header has 35")
    ]


def test_a_file_already_loaded_loads_nothing_the_second_time(settings, land):
    path = land("12345_gongdan_20230103.csv", [export_row()])
    first = steps.ingest(settings)
    shutil.copy(path, settings.landing_dir / "12345_gongdan_20230103-copy.csv")  # same bytes, new name
    second = steps.ingest(settings)

    assert first.files_loaded == 1 and first.rows_loaded == 1
    assert second.files_loaded == 0 and second.files_already_loaded == 2
    assert query(settings, "select count(*) from raw.hotline_work_orders") == [(1,)]


def test_unreadable_and_unknown_files_are_rejected_with_one_line_and_others_still_load(settings, land):
    land("12345_gongdan_20230103.csv", [export_row()])
    (settings.landing_dir / "12345_gongdan_20230104.xlsx").write_text("<html>error page</html>")
    (settings.landing_dir / "12345_tongji_202306.csv").write_text("镇街,工单量\n汇龙镇,12\n", encoding="gb18030")
    missing = [{k: v for k, v in export_row().items() if k != "来电时间"}]
    land("12345_gongdan_20230105.csv", missing)

    report = steps.ingest(settings)

    assert report.files_loaded == 1
    reasons = dict(report.rejected)
    assert "not a readable spreadsheet" in reasons["12345_gongdan_20230104.xlsx"]
    assert "no source profile matches" in reasons["12345_tongji_202306.csv"]
    assert "column 来电时间 missing" in reasons["12345_gongdan_20230105.csv"]
    assert all("\n" not in reason for reason in reasons.values())
    statuses = dict(query(settings, "select file_name, status from raw.load_ledger"))
    assert statuses["12345_gongdan_20230104.xlsx"] == "rejected"
    assert statuses["12345_gongdan_20230103.csv"] == "loaded"


def test_a_file_rejected_again_for_the_same_reason_changes_no_raw_table(settings, land):
    # a bad file left in the landing folder: each daily run names it again, and has nothing to rebuild
    bad = settings.landing_dir / "12345_gongdan_20230104.xlsx"
    bad.write_text("<html>error page</html>")
    land("12345_gongdan_20230103.csv", [export_row()])
    steps.ingest(settings)
    ledger_now = "select * from raw.load_ledger order by file_id"
    first = query(settings, ledger_now)

    again = steps.ingest(settings)

    assert [name for name, _ in again.rejected] == ["12345_gongdan_20230104.xlsx"]
    assert query(settings, ledger_now) == first
    assert query(settings, "select count(*) from raw.load_ledger_history") == [(0,)]
    # rejected for another reason: that is news, and the earlier rejection moves to the history
    land(bad.name, [{k: v for k, v in export_row().items() if k != "来电时间"}])
    steps.ingest(settings)
    assert query(settings, "select file_name, status from raw.load_ledger_history") == [
        ("12345_gongdan_20230104.xlsx", "rejected")
    ]
    [(reason,)] = query(settings, "select error from raw.load_ledger where file_id like 'rejected:%'")
    assert reason != dict(again.rejected)["12345_gongdan_20230104.xlsx"]


def test_a_landing_folder_moved_elsewhere_changes_no_rejection(settings, monkeypatch, tmp_path):
    # the reasons name the file's full path: the same file, rejected for the same reason, is no news
    (settings.landing_dir / "12345_gongdan_20230104.xlsx").write_text("<html>error page</html>")
    (settings.landing_dir / "12345_gongdan_20230105.csv").write_bytes(b"\xff\xfe\x00")
    steps.ingest(settings)
    moved = shutil.copytree(settings.landing_dir, tmp_path / "elsewhere" / "landing")
    monkeypatch.setenv("HOTLINE_LANDING_DIR", str(moved))

    again = steps.ingest(get_settings())

    assert sorted(name for name, _ in again.rejected) == ["12345_gongdan_20230104.xlsx", "12345_gongdan_20230105.csv"]
    assert all(reason.startswith(str(moved)) for _, reason in again.rejected)  # where the files are now
    assert query(settings, "select count(*) from raw.load_ledger_history") == [(0,)]


def test_personal_data_never_lands_in_clear(settings, land):
    land("12345_gongdan_20230103.xlsx", [export_row(), export_row(工单编号="", 诉求内容="身份证320681199001011234")])
    steps.ingest(settings)

    everything = json.dumps(
        query(settings, "select * from raw.hotline_work_orders") + query(settings, "select * from raw.quarantine"),
        ensure_ascii=False,
        default=str,
    )
    for clear in ("张伟", "13812345678", "320681199001011234", "人民中路88号"):
        assert clear not in everything
    [(name_hash, phone_hash, text)] = query(
        settings, "select caller_name_hash, caller_phone_hash, appeal_text from raw.hotline_work_orders"
    )
    assert len(name_hash) == 64 and len(phone_hash) == 64
    assert text == "夜间施工噪音扰民，请尽快处理，联系电话[电话已隐去]。"


def test_a_new_export_layout_is_a_new_profile_file_not_new_code(settings, land, monkeypatch, tmp_path):
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    text = (PROJECT_DIR / "ingestion" / "profiles" / "hotline_qidong_v2023.yaml").read_text(encoding="utf-8")
    renamed = (
        text.replace("name: hotline_qidong_v2023", "name: hotline_haian_v2024")
        .replace("^12345_gongdan_", "^haian_12345_")
        .replace("来电时间", "受理时间")
    )
    (profiles / "hotline_haian_v2024.yaml").write_text(renamed, encoding="utf-8")
    monkeypatch.setenv("HOTLINE_PROFILES_DIR", str(profiles))
    row = export_row()
    row["受理时间"] = row.pop("来电时间")
    land("haian_12345_20230103.csv", [row], encoding="utf-8-sig")

    report = steps.ingest(settings)

    assert report.rows_loaded == 1 and not report.rejected
    assert query(settings, "select received_at, _row_number from raw.hotline_work_orders") == [
        (dt.datetime(2023, 1, 3, 9, 12), 2)
    ]
    assert query(settings, "select source_profile from raw.load_ledger") == [("hotline_haian_v2024",)]


def test_until_leaves_later_exports_for_a_later_run(settings, land):
    land("12345_gongdan_20230103.csv", [export_row()])
    land("12345_gongdan_20230104.csv", [export_row(工单状态="已签收", 签收时间="2023-01-04 09:00:00")])

    first = steps.ingest(settings, until=dt.date(2023, 1, 3))
    second = steps.ingest(settings, until=dt.date(2023, 1, 4))

    assert (first.files_loaded, first.files_not_due) == (1, 1)
    assert (second.files_loaded, second.files_already_loaded) == (1, 1)


@pytest.mark.parametrize("name", ["12345_gongdan_20230103.csv", "12345_gongdan_20230103.xlsx"])
def test_timestamps_land_typed_in_local_time(settings, land, name):
    land(name, [export_row(签收时间="2023/01/03 11:30:00")], encoding="utf-8-sig")
    steps.ingest(settings)
    assert query(settings, "select received_at, signed_at, _snapshot_date from raw.hotline_work_orders") == [
        (dt.datetime(2023, 1, 3, 9, 12), dt.datetime(2023, 1, 3, 11, 30), dt.date(2023, 1, 3))
    ]


def test_files_named_with_a_future_or_no_date_are_rejected_not_taken_as_the_data_cut(settings, land):
    land("12345_gongdan_20230103.csv", [export_row()])
    land("12345_gongdan_20321231.csv", [export_row(工单编号="230103000000002-01")])
    land("12345_gongdan_20231399.csv", [export_row(工单编号="230103000000003-01")])

    report = steps.ingest(settings)

    reasons = dict(report.rejected)
    assert "export date 2032-12-31 in the file name is in the future" in reasons["12345_gongdan_20321231.csv"]
    assert "no valid export date" in reasons["12345_gongdan_20231399.csv"]
    assert report.files_loaded == 1


def test_an_export_split_over_sheets_loads_every_row_with_its_sheet(settings):
    import openpyxl

    from demodata.hotline_exports import EXPORT_HEADERS

    headers = list(EXPORT_HEADERS)
    book = openpyxl.Workbook()
    first, second = book.active, book.create_sheet("续表")
    first.title = "工单"
    for sheet, rows in (
        (first, [export_row(工单编号="A-1"), export_row(工单编号="A-2")]),
        # the next sheet: a new order, a bad one, and a copy of the first sheet's first order
        (
            second,
            [export_row(工单编号="B-1"), export_row(工单编号="B-2", 诉求类型="咨询类"), export_row(工单编号="A-1")],
        ),
    ):
        sheet.append(headers)
        for row in rows:
            sheet.append([row.get(name, "") for name in headers])
    book.save(settings.landing_dir / "12345_gongdan_20230103.xlsx")

    report = steps.ingest(settings)

    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (5, 3, 2)
    assert query(settings, "select work_order_id, _sheet, _row_number from raw.hotline_work_orders order by 1") == [
        ("A-1", "工单", 2),
        ("A-2", "工单", 3),
        ("B-1", "续表", 2),
    ]
    assert query(settings, "select sheet, row_number, reason from raw.quarantine order by row_number") == [
        ("续表", 3, "诉求类型 '咨询类' is not one of the known values"),
        ("续表", 4, "duplicate of row 2 of sheet 工单 (identical, row 2 of sheet 工单 loaded)"),
    ]
    [(warnings,)] = query(settings, "select warnings from raw.load_ledger")
    assert warnings == "records read from 2 sheets: 工单 (2), 续表 (3)"


def test_a_file_with_a_column_twice_is_rejected_with_the_column_named(settings):
    path = settings.landing_dir / "12345_gongdan_20230103.csv"
    path.write_text("工单编号,来电时间,诉求类型,工单状态,来电号码,来电号码\n1,2023-01-03 09:00:00,投诉,已受理,1,2\n")
    report = steps.ingest(settings)
    assert "column 来电号码 appears twice" in dict(report.rejected)["12345_gongdan_20230103.csv"]


def test_numbers_typed_anywhere_are_masked_and_quarantine_keeps_no_clear_number(settings, land):
    land(
        "12345_gongdan_20230103.csv",
        [
            export_row(工单标题="张伟13812345678反映噪音", 办理结果="已回电１３８１２３４５６７８"),
            export_row(工单编号="230103000000002-01", 来电时间="13912345678"),
            export_row(工单编号="230103000000003-01", 紧急程度="特急"),
            export_row(工单编号="   "),
        ],
    )
    report = steps.ingest(settings)

    assert (report.rows_loaded, report.rows_quarantined) == (1, 3)
    [(title, result)] = query(settings, "select title, handling_result from raw.hotline_work_orders")
    assert (title, result) == ("[姓名已隐去][电话已隐去]反映噪音", "已回电[电话已隐去]")
    quarantine = query(settings, "select row_number, reason, raw_values from raw.quarantine order by row_number")
    assert [reason for _, reason, _ in quarantine] == [
        "来电时间 is not a timestamp like %Y-%m-%d %H:%M:%S (or 3 other formats): '[电话已隐去]'",
        "紧急程度 '特急' is not one of the known values",
        "工单编号 is empty",
    ]
    assert all("13912345678" not in str(values) for _, _, values in quarantine)


def test_a_newer_row_of_an_order_that_is_quarantined_is_kept_under_its_order(settings, land):
    # what the marts make of it (the order keeps its last good row, flagged, and a dbt test warns)
    # is checked by tests/pipeline/test_incremental_build.py, through both kinds of build
    land("12345_gongdan_20230103.csv", [export_row()])
    land("12345_gongdan_20230104.csv", [export_row(工单状态="已办结", 办结时间="2023-01-04 25:00:00")])
    steps.ingest(settings)
    assert query(settings, "select record_key, reason from raw.quarantine") == [
        (
            "230103000000001-01",
            "办结时间 is not a timestamp like %Y-%m-%d %H:%M:%S (or 3 other formats): '2023-01-04 25:00:00'",
        )
    ]
    assert query(settings, "select _snapshot_date, status from raw.hotline_work_orders") == [
        (dt.date(2023, 1, 3), "已派单")
    ]


def test_the_callers_own_name_typed_into_free_text_is_masked(settings, land):
    land("12345_gongdan_20230103.csv", [export_row(诉求内容="来电人张伟反映夜间施工噪音，张伟要求处理。")])
    steps.ingest(settings)
    assert query(settings, "select appeal_text from raw.hotline_work_orders") == [
        ("来电人[姓名已隐去]反映夜间施工噪音，[姓名已隐去]要求处理。",)
    ]


def test_an_export_replaced_while_the_run_loads_it_is_loaded_by_the_next_run(settings, land, monkeypatch):
    from ingestion import loader

    land("12345_gongdan_20230103.csv", [export_row()])
    land("12345_gongdan_20230104.csv", [export_row(工单编号="230104000000001-01")])
    read_landed = loader.read_landed

    def replaced_first(path, *args, **kwargs):  # the office drops a corrected export meanwhile
        if path.name == "12345_gongdan_20230104.csv":
            land(path.name, [export_row(工单编号="230104000000001-01"), export_row(工单编号="230104000000002-01")])
            monkeypatch.setattr(loader, "read_landed", read_landed)
        return read_landed(path, *args, **kwargs)

    monkeypatch.setattr(loader, "read_landed", replaced_first)
    report = steps.ingest(settings)
    assert [name for name, _ in report.rejected] == ["12345_gongdan_20230104.csv"]
    [(status, error)] = query(
        settings, "select status, error from raw.load_ledger where file_name = '12345_gongdan_20230104.csv'"
    )
    assert status == "rejected" and "changed while it was being loaded; run ingest again" in error

    steps.ingest(settings)
    assert query(
        settings,
        "select rows_loaded from raw.load_ledger where file_name = '12345_gongdan_20230104.csv' and status = 'loaded'",
    ) == [(2,)]


def test_a_batch_whose_write_fails_stops_the_run_and_lands_nothing_of_it_or_after_it(settings, land, monkeypatch):
    # batches are written in a thread while the next is prepared (loader._BatchWriter): a write
    # that fails must still end the run, with the batches before it committed whole, in order
    from ingestion import loader

    days = [f"202301{day:02d}" for day in range(3, 8)]
    for day in days:
        land(f"12345_gongdan_{day}.csv", [export_row(工单编号=f"{day[2:]}00000000{n}-01") for n in range(1, 4)])
    monkeypatch.setattr(loader, "BATCH_ROWS", 3)  # a batch per file
    written, write = [], loader._write

    def fail_the_third(connection, table, rows, quarantined, entries, replaces=None):
        if len(written) == 2:
            raise OSError("disk full")
        write(connection, table, rows, quarantined, entries, replaces)
        written.append(entries[0].file_name)

    monkeypatch.setattr(loader, "_write", fail_the_third)
    with pytest.raises(OSError, match="disk full"):
        steps.ingest(settings)
    assert written == [f"12345_gongdan_{day}.csv" for day in days[:2]]
    assert query(settings, "select file_name, rows_loaded from raw.load_ledger order by file_name") == [
        (name, 3) for name in written
    ]
    assert query(settings, "select count(*) from raw.hotline_work_orders") == [(6,)]

    monkeypatch.setattr(loader, "_write", write)  # the disk has room again: the rest loads
    report = steps.ingest(settings)
    assert (report.files_loaded, report.files_already_loaded, report.rows_loaded) == (3, 2, 9)
    assert query(settings, "select count(*) from raw.hotline_work_orders") == [(15,)]
