"""Every malformed export of the case table loads, loads in part, or is rejected with one line.

All the files of `cases.CASES` land in ONE folder and load with ONE `steps.ingest` (one
warehouse); each file's ledger row is then checked on its own, and the ledger against the
raw and quarantine tables. Reader-level behaviour is in tests/ingestion/test_malformed_exports.py;
here each file goes through the whole ingest: reader, profile match, export date, validation,
masking and the ledger.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest

from core.settings import Settings, get_settings
from core.warehouse import connect
from pipeline import steps
from tests.conftest import HASH_KEY
from tests.reliability.cases import CASES, PROFILE, Case, write_case

RAW_TABLE = "raw.hotline_work_orders"
INVISIBLE = re.compile("[\x00\u200b\u200c\u200d\u2060\ufeff]")


@dataclass
class Ingested:
    settings: Settings
    report: object | None
    error: BaseException | None
    ledger: dict[str, list[dict]] = field(default_factory=dict)  # file name → its ledger rows
    raw_rows: dict[str, int] = field(default_factory=dict)  # file_id → rows in the raw table
    quarantine: dict[str, list[dict]] = field(default_factory=dict)  # file_id → its quarantine rows
    raw_ids: list[str] = field(default_factory=list)


def _records(connection, query: str) -> list[dict]:
    cursor = connection.execute(query)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> Ingested:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HOTLINE_DATA_DIR", str(tmp_path_factory.mktemp("malformed") / "data"))
        patch.setenv("HOTLINE_HASH_KEY", HASH_KEY)
        for name in ("HOTLINE_LANDING_DIR", "HOTLINE_MAX_FIELD_CHARS", "HOTLINE_PROFILES_DIR"):
            patch.delenv(name, raising=False)
        settings = get_settings()
        settings.landing_dir.mkdir(parents=True)
        for case in CASES:
            write_case(case, settings.landing_dir)
        report, error = None, None
        try:
            report = steps.ingest(settings)
        except Exception as raised:  # noqa: BLE001 - the test says whether it raised
            error = raised
        result = Ingested(settings, report, error)
        if not settings.warehouse_path.exists():
            return result
        with connect(settings.warehouse_path, read_only=True) as connection:
            for row in _records(connection, "select * from raw.load_ledger order by file_name"):
                result.ledger.setdefault(row["file_name"], []).append(row)
            result.raw_rows = dict(
                connection.execute(f"select _file_id, count(*) from {RAW_TABLE} group by 1").fetchall()
            )
            for row in _records(connection, "select * from raw.quarantine order by file_id, row_number"):
                result.quarantine.setdefault(row["file_id"], []).append(row)
            result.raw_ids = [
                text
                for row in connection.execute(f"select work_order_id, hotline_order_id from {RAW_TABLE}").fetchall()
                for text in row
                if text is not None
            ]
    return result


def _one_row(ingested: Ingested, name: str) -> dict:
    rows = ingested.ledger.get(name, [])
    assert len(rows) == 1, f"{name}: {len(rows)} ledger rows, expected one: {rows}"
    return rows[0]


def test_the_ingest_never_raised(ingested: Ingested) -> None:
    assert ingested.error is None, f"steps.ingest raised {ingested.error!r}"
    visible = [case for case in CASES if case.expect.status != "ignored"]
    assert ingested.report.files_seen == len(visible)
    assert ingested.report.files_already_loaded == 0
    assert ingested.report.files_loaded == sum(case.expect.status == "loaded" for case in CASES)
    assert len(ingested.report.rejected) == sum(case.expect.status == "rejected" for case in CASES)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_each_malformed_export_loads_or_is_rejected_as_expected(ingested: Ingested, case: Case) -> None:
    expect = case.expect
    if expect.status == "ignored":
        assert case.name not in ingested.ledger
        return
    row = _one_row(ingested, case.name)
    assert row["status"] == expect.status, f"{case.name}: {row['status']}: {row['error']}"
    if expect.status == "rejected":
        assert row["file_id"] == f"rejected:{case.name}"
        assert expect.reason in row["error"], row["error"]
        assert row["rows_read"] is None and row["rows_loaded"] is None and row["rows_quarantined"] is None
        return
    assert row["source_profile"] == PROFILE
    assert row["error"] is None
    assert (row["rows_loaded"], row["rows_quarantined"]) == (expect.loaded, expect.quarantined)
    assert ingested.raw_rows.get(row["file_id"], 0) == expect.loaded
    reasons = [item["reason"] for item in ingested.quarantine.get(row["file_id"], [])]
    assert len(reasons) == expect.quarantined
    if expect.reason is not None:
        assert any(expect.reason in reason for reason in reasons), reasons


def test_the_ledger_agrees_with_the_raw_and_quarantine_tables(ingested: Ingested) -> None:
    loaded = [row for rows in ingested.ledger.values() for row in rows if row["status"] == "loaded"]
    assert loaded
    for row in loaded:
        name = row["file_name"]
        assert row["rows_read"] == row["rows_loaded"] + row["rows_quarantined"], name
        assert ingested.raw_rows.get(row["file_id"], 0) == row["rows_loaded"], name
        assert len(ingested.quarantine.get(row["file_id"], [])) == row["rows_quarantined"], name
    # nothing in the raw or quarantine tables that no loaded ledger row accounts for
    ids = {row["file_id"] for row in loaded}
    assert set(ingested.raw_rows) <= ids
    assert set(ingested.quarantine) <= ids


def test_every_ledger_row_is_one_of_the_cases(ingested: Ingested) -> None:
    names = {case.name for case in CASES if case.expect.status != "ignored"}
    assert set(ingested.ledger) == names


def test_two_empty_files_are_two_ledger_rows(ingested: Ingested) -> None:
    empty = [case.name for case in CASES if case.data == b""]
    assert len(empty) == 2
    rows = [_one_row(ingested, name) for name in empty]
    assert {row["file_id"] for row in rows} == {f"rejected:{name}" for name in empty}


def test_every_rejection_is_one_line_naming_the_file(ingested: Ingested) -> None:
    landing = ingested.settings.landing_dir
    for name, rows in ingested.ledger.items():
        for row in rows:
            if row["status"] == "rejected":
                assert "\n" not in row["error"] and "\r" not in row["error"], row["error"]
                assert row["error"].startswith(f"{landing / name}: "), row["error"]
                assert len(row["error"]) < 400, row["error"]


def test_no_nul_or_zero_width_character_reaches_the_raw_table(ingested: Ingested) -> None:
    assert ingested.raw_ids
    assert [text for text in ingested.raw_ids if INVISIBLE.search(text)] == []


def test_an_optional_header_missing_loads_with_a_ledger_warning(ingested: Ingested) -> None:
    (case,) = [case for case in CASES if case.what.startswith("an optional header missing")]
    assert "标签" in _one_row(ingested, case.name)["warnings"]


def test_a_bom_before_a_gb18030_body_is_recorded_as_such(ingested: Ingested) -> None:
    (case,) = [case for case in CASES if case.what == "UTF-8 BOM in front of a GB18030 body"]
    assert _one_row(ingested, case.name)["encoding"] == "gb18030 (after a UTF-8 BOM)"


def test_quarantined_rows_of_a_file_in_a_sub_folder_name_it_as_the_ledger_does(ingested: Ingested) -> None:
    (case,) = [case for case in CASES if "/" in case.name and not case.name.startswith(".")]
    row = _one_row(ingested, case.name)
    names = {item["file_name"] for item in ingested.quarantine[row["file_id"]]}
    assert names == {case.name}
