"""A data folder's first dbt run starts from a parse of the project another data folder's run
made (HOTLINE_DBT_PARSE_CACHE): a fresh worker, or each pipeline of the test suite, then skips
dbt's whole parse (~4 s of CPU)."""

from __future__ import annotations

import pytest

from core.settings import get_settings
from pipeline.dbt_runner import run_dbt


def compile_one_model(data_dir, monkeypatch) -> str:
    """`dbt compile` of one model in a new data folder; dbt's log of it."""
    monkeypatch.setenv("HOTLINE_DATA_DIR", str(data_dir))
    settings = get_settings()
    results = run_dbt(settings, ["compile", "--select", "stg_reference__time_limits"])
    assert {result.status for result in results} == {"success"}
    assert settings.warehouse_path.exists()  # dbt opened the warehouse where the settings say
    return (settings.dbt_target_dir.parent / "logs" / "dbt.log").read_text()


@pytest.mark.slow
def test_a_new_data_folder_starts_from_the_shared_parse(tmp_path, monkeypatch):
    monkeypatch.setenv("HOTLINE_DBT_PARSE_CACHE", str(tmp_path / "parses"))
    first = compile_one_model(tmp_path / "first", monkeypatch)
    assert "Starting full parse" in first
    assert len(list((tmp_path / "parses").glob("*.msgpack"))) == 1

    second = compile_one_model(tmp_path / "second", monkeypatch)
    assert "Starting full parse" not in second
    assert "Partial parsing enabled" in second
