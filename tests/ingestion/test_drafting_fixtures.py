"""`hotline profiles draft` on exports of other shapes: a draft loads its own export as it is,
and only value maps are left to a person (the lines marked TODO)."""

from __future__ import annotations

import pytest

from ingestion.drafting import draft
from ingestion.profile_check import check_file
from ingestion.profiles import load_profile
from tests.fixtures import foreign_exports

WRITERS = {
    "us311_city_a": foreign_exports.write_us311_city_a,
    "message_board": foreign_exports.write_message_board,
    "provincial_codes": foreign_exports.write_provincial_codes,
    "split_by_category": foreign_exports.write_split_by_category,
}


@pytest.mark.parametrize("fixture", list(WRITERS))
def test_a_drafted_profile_reads_its_export_and_says_what_to_check(fixture, tmp_path, monkeypatch):
    monkeypatch.setenv("HOTLINE_PROFILES_DIR", str(tmp_path / "profiles"))
    landing = tmp_path / "landing"
    WRITERS[fixture](landing)
    export = sorted(path for path in landing.rglob("*") if path.is_file())[0]

    report = draft(export)
    (tmp_path / "profiles").mkdir()
    profile_path = tmp_path / "profiles" / "drafted.yaml"
    profile_path.write_text(report.text, encoding="utf-8")
    profile = load_profile(profile_path)  # the draft is a valid profile as it stands
    checked = check_file(export, [profile])

    assert checked.error is None, checked.error
    assert checked.profile == profile.name
    assert checked.rows > 0
    assert checked.rows_quarantined < checked.rows / 4  # a few planted bad rows, not a wrong format
    assert {"work_order_id", "received_at"} <= set(report.mapped)
    # what is left to a person is marked: value maps, guessed zones, the calendar, the clock's start
    for todo in report.todos:
        assert (
            todo.split(":")[0] in {*report.mapped, "timezone", "calendar", "snapshot_date", "dispatched_at"}
            or "map" in todo
        )
