"""Exports whose header is not on the first row: a title, the time of the export or who took it
above it (as many city systems write their Excel and CSV exports), a total row below.

The file loads by its profile as if those rows were not there: the header is found among the
first rows by the profile's headers, each record keeps the row number the file shows, and the
rows above the header and the total under the records are named on the file's ledger row
(masked) instead of being loaded or quarantined: they are not records.
"""

from __future__ import annotations

import csv
import datetime as dt

import duckdb
import openpyxl
import pytest

from demodata.hotline_exports import EXPORT_HEADERS
from ingestion.drafting import draft
from ingestion.loader import reading_notes
from ingestion.profile_check import check_file
from ingestion.profiles import load_profiles
from ingestion.readers import HEADER_SEARCH_ROWS, read_export
from pipeline import steps
from tests.conftest import export_row, landed_work_orders

ROWS = [
    export_row(),
    export_row(工单编号="230103000000002-01", 诉求内容="路灯不亮，来电人王芳，电话13900001111"),
]
TITLE = "启东市12345政务服务便民热线工单明细表"
EXPORTED = ["导出时间：2023-01-03 08:00:00", "", "导出人：李明 13700002222"]
# what the ledger says of the rows above the header (the exporter's phone masked)
ABOVE = f"rows 1-2 above it not loaded: {TITLE} | 导出时间：2023-01-03 08:00:00 导出人：李明 [电话已隐去]"
TOTAL = "row 7 under the records not loaded (a total): 合计：2 条"
NOT_READ = (
    "sheet 统计 also holds data and is not loaded (it has no header row with the columns of the sheet loaded): "
    "if it is part of the export, give it that header row (or land it as a file of its own)"
)


def query(settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def titled_workbook(rows: list[dict[str, str]]) -> openpyxl.Workbook:
    """A title merged across the columns, the export's time and who took it, a blank row, the
    header on row 4, the records, then a total row, as a city system's Excel export has them."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append([TITLE])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(EXPORT_HEADERS))
    sheet.append(EXPORTED)
    sheet.append([])
    sheet.append(list(EXPORT_HEADERS))
    for row in rows:
        sheet.append([row[header] for header in EXPORT_HEADERS])
    sheet.append([f"合计：{len(rows)} 条"])
    return book


def write_titled_csv(path, rows: list[dict[str, str]], title: list[str]) -> None:
    with path.open("w", encoding="gb18030", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(title)
        writer.writerow(EXPORTED)
        writer.writerow(EXPORT_HEADERS)
        writer.writerows([row[header] for header in EXPORT_HEADERS] for row in rows)
        writer.writerow([f"共 {len(rows)} 条"])  # one cell: a line of the wrong width


def test_a_workbook_with_a_title_above_its_header_loads_as_if_it_had_none(settings, land):
    book = titled_workbook(ROWS)
    book.create_sheet("统计").append(["合计", len(ROWS)])  # a summary on a sheet of its own
    book.save(settings.landing_dir / "12345_gongdan_20230103.xlsx")
    land("12345_gongdan_20230104.xlsx", ROWS)  # the same records, header on row 1

    report = steps.ingest(settings)

    assert report.rejected == []
    # the two records load; what is not a record is said on the ledger
    assert query(
        settings,
        "select file_name, rows_read, rows_loaded, rows_quarantined, warnings from raw.load_ledger order by 1",
    ) == [
        ("12345_gongdan_20230103.xlsx", 2, 2, 0, f"header on row 4; {ABOVE}; {TOTAL}; {NOT_READ}"),
        ("12345_gongdan_20230104.xlsx", 2, 2, 0, None),
    ]
    assert query(
        settings,
        "select _row_number from raw.hotline_work_orders where _file_name = '12345_gongdan_20230103.xlsx' order by 1",
    ) == [(5,), (6,)]
    assert query(settings, "select count(*) from raw.quarantine") == [(0,)]
    # the same values, typed and masked, as the export without a title
    titled = landed_work_orders(settings, "12345_gongdan_20230103.xlsx")
    assert titled == landed_work_orders(settings, "12345_gongdan_20230104.xlsx")
    assert len(titled) == 2
    assert "13700002222" not in str(query(settings, "select * from raw.load_ledger"))


@pytest.mark.parametrize(
    "title",
    [
        pytest.param([TITLE] + [""] * (len(EXPORT_HEADERS) - 1), id="saved-by-excel"),  # a line of commas after it
        pytest.param([f'{TITLE}（"按受理时间"）'], id="quoted-one-cell"),  # quotes: the csv module's path
    ],
)
def test_a_gb18030_csv_with_a_title_above_its_header_loads_its_records(settings, title):
    write_titled_csv(settings.landing_dir / "12345_gongdan_20230103.csv", ROWS, title)

    report = steps.ingest(settings)

    assert (report.rejected, report.rows_read, report.rows_loaded, report.rows_quarantined) == ([], 2, 2, 0)
    assert query(settings, "select _row_number, work_order_id from raw.hotline_work_orders order by 1") == [
        (4, "230103000000001-01"),
        (5, "230103000000002-01"),
    ]
    [(warnings,)] = query(settings, "select warnings from raw.load_ledger")
    assert warnings.startswith(f"header on row 3; rows 1-2 above it not loaded: {TITLE}")
    assert warnings.endswith("; row 6 under the records not loaded (a total): 共 2 条")


def test_a_header_further_down_than_the_search_is_rejected_with_the_usual_reason(settings):
    path = settings.landing_dir / "12345_gongdan_20230103.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerows([[f"说明第{n}行"] for n in range(1, HEADER_SEARCH_ROWS + 1)])
        writer.writerow(EXPORT_HEADERS)
        writer.writerow([ROWS[0][header] for header in EXPORT_HEADERS])

    report = steps.ingest(settings)

    [(name, error)] = report.rejected
    assert name == path.name
    assert error.endswith(
        "column 工单编号, 来电时间, 诉求类型, 工单状态 missing for profile hotline_qidong_v2023; "
        "add it to the export or map it in a source profile"
    )


def test_profiles_check_and_draft_read_the_header_below_the_title(settings, tmp_path):
    path = tmp_path / "gongdan_20230103.xlsx"
    titled_workbook(ROWS).save(path)

    report = draft(path)
    assert "# The header is on row 4" in report.text
    assert report.mapped["work_order_id"] == "工单编号" and report.mapped["received_at"] == "来电时间"

    folder = tmp_path / "profiles"
    folder.mkdir()
    (folder / "drafted.yaml").write_text(report.text, encoding="utf-8")
    drafted = [profile for profile in load_profiles(folder) if profile.name == report.name]
    checked = check_file(path, drafted, as_of=dt.date(2023, 1, 3))
    assert checked.error is None, checked.error
    assert (checked.rows, checked.rows_quarantined) == (2, 0)
    assert checked.notes == [f"header on row 4; {ABOVE}", TOTAL]


def test_a_last_record_is_never_taken_for_a_total(settings, land):
    # a sparse record, and under it, last, a record whose first cell reads like a total (an id a
    # system made up): both are records, loaded or quarantined as such
    rows = [{header: "" for header in EXPORT_HEADERS} | {"工单编号": "X-2"}, export_row(工单编号="合计-0001")]
    land("12345_gongdan_20230103.csv", rows)

    report = steps.ingest(settings)

    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (2, 1, 1)
    assert query(settings, "select work_order_id from raw.hotline_work_orders") == [("合计-0001",)]
    assert query(settings, "select warnings from raw.load_ledger") == [(None,)]


@pytest.mark.parametrize(
    ("total", "noted"),
    [
        ("共 3 条", "(a total): 共 3 条; the total says 3 rows but the file holds 2: is the export whole?"),
        ("合计,,,261", "(a total): 合计 261"),  # the sum of a column, not a count of rows
    ],
    ids=["a-count-that-disagrees", "a-sum"],
)
def test_a_total_that_counts_other_rows_than_were_read_is_flagged(settings, total, noted):
    path = settings.landing_dir / "12345_gongdan_20230103.csv"
    write_titled_csv(path, ROWS, [TITLE])
    path.write_text(path.read_text(encoding="gb18030").replace("共 2 条", total), encoding="gb18030")

    steps.ingest(settings)

    [(warnings,)] = query(settings, "select warnings from raw.load_ledger")
    assert warnings.endswith(noted)


@pytest.mark.parametrize("records", [65_534, 65_535])
def test_an_export_as_long_as_an_xls_sheet_holds_is_flagged(tmp_path, records):
    path = tmp_path / "cases.csv"
    path.write_text("工单编号\n" + "\n".join(map(str, range(records))) + "\n", encoding="utf-8")
    cut = [note for note in reading_notes(read_export(path)) if "as many as a sheet holds" in note]
    assert cut == (
        []
        if records < 65_535
        else [
            "65535 rows, as many as a sheet holds under its header: the system may have cut the export there; "
            "export the period in parts"
        ]
    )


def test_a_title_running_over_two_lines_in_a_quoted_cell_does_not_reject_the_csv(settings):
    path = settings.landing_dir / "12345_gongdan_20230103.csv"
    write_titled_csv(path, ROWS, [f"{TITLE}\n（按受理时间）"])

    report = steps.ingest(settings)

    assert (report.rejected, report.rows_loaded) == ([], 2)
    assert query(settings, "select _row_number from raw.hotline_work_orders order by 1") == [(4,), (5,)]
