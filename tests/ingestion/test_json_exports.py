"""JSON exports, as open-data APIs (Socrata's 311 data) and systems' own APIs give them: read in
every common shape, drafted, loaded or quarantined record by record, through a real warehouse."""

from __future__ import annotations

import json

import duckdb
import pytest
import yaml

from core.errors import PipelineError
from ingestion.drafting import draft
from ingestion.loader import reading_notes
from ingestion.readers import leading_rows, read_export
from pipeline import steps

RECORDS = [
    {"unique_key": "58000001", "created_date": "2023-06-01T08:03:00.000", "status": "Open", "agency": "NYPD"},
    {"unique_key": "58000002", "created_date": "2023-06-01T09:15:00.000", "status": "Closed", "agency": "DSNY"},
]
CELLS = [
    ["58000001", "2023-06-01T08:03:00.000", "Open", "NYPD"],
    ["58000002", "2023-06-01T09:15:00.000", "Closed", "DSNY"],
]
HEADER = ["unique_key", "created_date", "status", "agency"]


def socrata_rows_json() -> dict:
    """Socrata's rows.json: its own hidden columns (:sid, …) first, then the data's."""
    hidden = [{"name": "sid", "fieldName": ":sid"}, {"name": "created_at", "fieldName": ":created_at"}]
    columns = hidden + [{"name": name, "fieldName": name} for name in HEADER]
    return {"meta": {"view": {"columns": columns}}, "data": [[n, 1685600000, *row] for n, row in enumerate(CELLS)]}


SHAPES = {
    "an array of objects": (".json", json.dumps(RECORDS)),
    "JSON Lines": (".jsonl", "\n".join(json.dumps(record) for record in RECORDS) + "\n"),
    "JSON Lines under a .json name": (".json", "\n".join(json.dumps(record) for record in RECORDS)),
    "an API's wrapper": (".json", json.dumps({"code": 0, "msg": "ok", "data": {"total": 2, "list": RECORDS}})),
    "Socrata's rows.json": (".json", json.dumps(socrata_rows_json())),
    "a header row, then rows": (".json", json.dumps([HEADER, *CELLS])),
}


@pytest.mark.parametrize("shape", SHAPES)
def test_every_common_shape_of_json_reads_into_the_same_cells(tmp_path, shape):
    suffix, text = SHAPES[shape]
    path = tmp_path / f"requests{suffix}"
    path.write_text(text, encoding="utf-8")

    export = read_export(path)

    assert export.header == HEADER
    assert export.frame.values.tolist() == CELLS
    assert export.malformed_rows == []
    assert leading_rows(path)[:2] == [HEADER, CELLS[0]]  # where the draft and the load find the header


def test_values_that_are_not_text_become_the_cells_a_csv_would_hold(tmp_path):
    record = {"id": 7, "n": 3.0, "x": 2.5, "ok": True, "none": None, "location": {"lat": "40.7", "lon": -73.9}}
    path = tmp_path / "requests.json"
    path.write_text(json.dumps([record]), encoding="utf-8")

    export = read_export(path)

    assert dict(zip(export.header, export.frame.values.tolist()[0], strict=True)) == {
        "id": "7",
        "n": "3",
        "x": "2.5",
        "ok": "true",
        "none": "",
        "location.lat": "40.7",  # a nested object: one column per field
        "location.lon": "-73.9",
    }


def test_the_records_are_found_where_apis_put_them_and_a_line_break_in_a_value_stays(tmp_path):
    wrapped = tmp_path / "answer.json"  # a longer list of something else beside the records
    wrapped.write_text(json.dumps({"errors": [{"e": 1}, {"e": 2}, {"e": 3}], "data": {"list": RECORDS}}))
    lines = tmp_path / "requests.jsonl"  # U+2028 inside a value: one record, not two halves
    lines.write_text(json.dumps({"id": "1", "note": "first\u2028second"}, ensure_ascii=False) + "\n", "utf-8")

    assert read_export(wrapped).frame.values.tolist() == CELLS
    assert read_export(lines).frame.values.tolist() == [["1", "first\u2028second"]]


def test_a_page_of_a_paged_api_is_loaded_and_said_to_be_a_part(tmp_path):
    whole, page = tmp_path / "whole.json", tmp_path / "page.json"
    whole.write_text(json.dumps({"code": 0, "data": {"total": 2, "list": RECORDS}}), encoding="utf-8")
    page.write_text(json.dumps({"code": 0, "data": {"totalCount": "900", "pageNo": 1, "list": RECORDS}}), "utf-8")

    assert reading_notes(read_export(whole)) == []
    assert reading_notes(read_export(page)) == [
        "the reply says it holds 900 records in all but the file has 2: "
        "a page of a paged API? export every page (or the whole period at once)"
    ]


def test_a_socrata_row_with_more_cells_than_columns_is_kept_aside(tmp_path):
    body = socrata_rows_json()
    body["data"].append([9, 1685600000, *CELLS[0], "a stray cell"])
    path = tmp_path / "rows.json"
    path.write_text(json.dumps(body), encoding="utf-8")

    export = read_export(path)

    assert export.frame.values.tolist() == CELLS
    assert [number for number, _ in export.malformed_rows] == [3]
    assert export.malformed_reasons[3] == "a row of 7 cells under 6 columns"


def test_a_chinese_systems_json_in_gb18030_reads(tmp_path):
    body = {"data": {"rows": [{"工单编号": "A1", "受理时间": "2023-06-01 08:00:00", "诉求内容": "路灯不亮"}]}}
    path = tmp_path / "工单导出.json"
    path.write_bytes(json.dumps(body, ensure_ascii=False).encode("gb18030"))

    export = read_export(path)

    assert export.encoding == "gb18030"
    assert export.frame.values.tolist() == [["A1", "2023-06-01 08:00:00", "路灯不亮"]]


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ('[{"id": 1}, {"id": 2', "not valid JSON at line 1, column 21"),
        ('{"count": 2, "status": "ok"}', "no list of records in this JSON"),
        ('{"data": [\n{"id": 1},\n{"id": 2},\n', "not valid JSON at line 4, column 1"),  # not JSON Lines
    ],
    ids=["cut short", "no records", "cut short, a record a line"],
)
def test_json_that_cannot_be_read_is_one_line_naming_the_file_and_what_to_do(tmp_path, text, said):
    path = tmp_path / "requests.json"
    path.write_text(text, encoding="utf-8")

    with pytest.raises(PipelineError) as raised:
        read_export(path)

    assert str(raised.value).startswith(f"{path}: {said}")
    assert "\n" not in str(raised.value)


def test_a_drafted_profile_loads_a_json_export_and_quarantines_each_bad_record(settings, tmp_path, monkeypatch):
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    monkeypatch.setenv("HOTLINE_PROFILES_DIR", str(profiles))
    records = [
        {**RECORDS[0], "resolution_description": "Call the caller back at (718) 555-0199."},
        RECORDS[1],
    ]
    sample = settings.landing_dir / "311_requests_2023-06-01.jsonl"
    sample.write_text("\n".join(json.dumps(record) for record in records) + "\n", encoding="utf-8")
    report = draft(sample)
    (profiles / "requests.yaml").write_text(report.text, encoding="utf-8")
    assert yaml.safe_load(report.text)["match"]["filename"] == r"^311_requests_\d{4}-\d{2}-\d{2}\.jsonl$"
    lines = [
        json.dumps({**RECORDS[0], "status": "Closed", "closed_date": "2023-06-02T10:00:00.000"}),
        '{"unique_key": "58000003", "created_date": "2023-06-02T08:00:00.0',  # cut short
        "",
        json.dumps(["58000004"]),  # no object
        json.dumps({"unique_key": "58000005", "created_date": "yesterday"}),
    ]
    (settings.landing_dir / "311_requests_2023-06-02.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")

    ingested = steps.ingest(settings)

    assert (ingested.files_loaded, ingested.rows_read, ingested.rows_loaded, ingested.rows_quarantined) == (2, 6, 3, 3)
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as connection:
        landed = connection.execute(
            "select work_order_id, status, completed_at, handling_result from raw.hotline_work_orders order by all"
        ).fetchall()
        held = connection.execute("select file_name, row_number, reason from raw.quarantine order by all").fetchall()
    assert [row[:2] for row in landed] == [("58000001", "办理中"), ("58000001", "已办结"), ("58000002", "已办结")]
    assert landed[0][3] == "Call the caller back at [电话已隐去]."
    day_two = "311_requests_2023-06-02.jsonl"
    assert [row[:2] for row in held] == [(day_two, 2), (day_two, 4), (day_two, 5)]  # by line
    assert held[0][2].startswith("not valid JSON at column")
    assert held[1][2] == "a record that is no JSON object"
    assert held[2][2].startswith("created_date is not a timestamp")
