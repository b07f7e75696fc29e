"""What lands from a fixed set of exports (malformed ones, foreign layouts, GB18030, BOM, XLSX)
is exactly what the loader landed before it was made fast: every raw table, the quarantine and
the ledger. The golden file was written by the row-by-row loader (tests/ingestion/golden_ingest.py)."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pytest

from ingestion import loader
from tests.ingestion.golden_ingest import GOLDEN, ingest_fixtures


def _dying_reader(*args) -> None:
    """A reading process that dies as it starts (out of memory, say)."""
    import os

    os._exit(3)


def _no_temporary_folder() -> None:
    raise PermissionError(13, "Permission denied", "/tmp")


READ_WAYS = ["in the loading process", "in a reading process", "in a reading process that dies"]


@pytest.mark.slow
@pytest.mark.parametrize("reader", [*READ_WAYS, "with no folder to hand the cells over in"])
def test_ingest_lands_what_the_golden_file_holds(reader, tmp_path, monkeypatch, caplog):
    for name in ("HOTLINE_DATA_DIR", "HOTLINE_HASH_KEY", "HOTLINE_PROFILES_DIR"):
        monkeypatch.setenv(name, "")  # restored after the test; ingest_fixtures sets them
    if reader != "in the loading process":  # as a run of many files reads them
        monkeypatch.setattr(loader, "READ_AHEAD_BYTES", 1)
        monkeypatch.setattr(loader, "READERS", 1)
    if reader == "in a reading process that dies":  # the loader reads the files left, in order
        monkeypatch.setattr(loader, "_start_reader", _dying_reader)
    if reader == "with no folder to hand the cells over in":  # a read-only /tmp: the loader reads them all
        monkeypatch.setattr(loader, "_handover_folder", _no_temporary_folder)
    golden = json.loads(GOLDEN.read_text())
    landed = json.loads(json.dumps(ingest_fixtures(tmp_path / "data")))
    failed = "the process reading exports failed" in caplog.text
    assert failed == (reader == "in a reading process that dies")  # the others read every file
    no_folder = "no folder to hand the cells over in" in caplog.text
    assert no_folder == (reader == "with no folder to hand the cells over in")

    # a raw table added since the golden file was written (a new register's) lands nothing here
    assert set(golden) <= set(landed)
    assert {table: landed[table]["row_count"] for table in set(landed) - set(golden)} == dict.fromkeys(
        set(landed) - set(golden), 0
    )
    for table in golden:
        assert landed[table].get("rows") == golden[table].get("rows"), table
        assert landed[table]["columns"] == golden[table]["columns"], table
        assert (landed[table]["row_count"], landed[table]["sha256"]) == (
            golden[table]["row_count"],
            golden[table]["sha256"],
        ), table
    # the cells the reading process handed over are all taken and removed
    assert not list(Path(tempfile.gettempdir()).glob(f"{loader.HANDOVER_PREFIX}{os.getpid()}-*"))
