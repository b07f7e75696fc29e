"""Every DuckDB connection of the pipeline runs under HOTLINE_DUCKDB_MEMORY_LIMIT / _THREADS, spilling
inside the data folder: the pipeline's own connections and dbt's."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from core.errors import PipelineError
from core.settings import get_settings
from core.warehouse import connect, open_duckdb
from pipeline.dbt_runner import dbt_environment, dbt_working_dir

SHOWN = (
    "select current_setting('memory_limit') as m, current_setting('threads') as t, "
    "current_setting('temp_directory') as d"
)


def _in_effect(connection: duckdb.DuckDBPyConnection) -> tuple[str, int, str]:
    return connection.execute(SHOWN).fetchone()


def test_connections_take_the_limits_from_the_environment(settings, monkeypatch):
    monkeypatch.setenv("HOTLINE_DUCKDB_MEMORY_LIMIT", "300MiB")
    monkeypatch.setenv("HOTLINE_DUCKDB_THREADS", "1")
    with connect(settings.warehouse_path, settings=settings) as connection:
        connection.execute("create table t as select 1 as x")
        memory, threads, spill = _in_effect(connection)
    assert (memory, int(threads)) == ("300.0 MiB", 1)
    assert Path(spill).is_relative_to(settings.data_dir) and Path(spill).is_dir()
    # a reader of another file (the published copy) too, and one already holding the file does not stop it
    with (
        duckdb.connect(str(settings.warehouse_path), read_only=True),
        open_duckdb(settings.warehouse_path, read_only=True) as reader,
    ):
        assert _in_effect(reader)[:2] == ("300.0 MiB", 1)


def test_the_default_keeps_to_a_share_of_the_machine(settings, monkeypatch):
    monkeypatch.delenv("HOTLINE_DUCKDB_MEMORY_LIMIT", raising=False)
    monkeypatch.delenv("HOTLINE_DUCKDB_THREADS", raising=False)
    with connect(settings.warehouse_path, settings=settings) as connection:
        memory_limit, threads, _ = _in_effect(connection)
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    number, unit = memory_limit.split()
    limit = float(number) * {"KiB": 2**10, "MiB": 2**20, "GiB": 2**30}[unit]
    assert limit <= min(total / 4, 2 * 2**30) * 1.01
    assert int(threads) == len(os.sched_getaffinity(0))


@pytest.mark.parametrize(
    ("name", "value"),
    [("HOTLINE_DUCKDB_MEMORY_LIMIT", "lots"), ("HOTLINE_DUCKDB_MEMORY_LIMIT", "150%"), ("HOTLINE_DUCKDB_THREADS", "0")],
)
def test_a_bad_value_is_one_line_naming_the_setting(settings, monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(PipelineError, match=name) as raised:
        settings.duckdb_settings()
    assert "\n" not in str(raised.value)


@pytest.mark.slow
def test_dbt_runs_under_the_same_limits(settings, monkeypatch):
    monkeypatch.setenv("HOTLINE_DUCKDB_MEMORY_LIMIT", "300MiB")
    monkeypatch.setenv("HOTLINE_DUCKDB_THREADS", "1")
    settings.warehouse_path.parent.mkdir(parents=True)
    shown = subprocess.run(
        [
            str(Path(sys.executable).parent / "dbt"),
            "show",
            "--inline",
            SHOWN,
            "--output",
            "json",
            "--log-format",
            "text",
            "--project-dir",
            str(settings.dbt_project_dir),
            "--profiles-dir",
            str(settings.dbt_project_dir),
            "--target-path",
            str(settings.data_dir / "dbt_show" / "target"),
            "--log-path",
            str(settings.data_dir / "dbt_show" / "logs"),
        ],
        env=dbt_environment(get_settings()),
        cwd=dbt_working_dir(settings),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert shown.returncode == 0, shown.stdout[-2000:]
    [row] = json.loads(shown.stdout[shown.stdout.index("\n{") :])["show"]
    spill = (dbt_working_dir(settings) / row["d"]).resolve()  # relative to where dbt runs
    assert (row["m"], int(row["t"]), spill) == ("300.0 MiB", 1, settings.duckdb_temp_dir.resolve())


def test_a_connection_opened_after_a_spill_keeps_the_spill_folder(settings, monkeypatch):
    # DuckDB refuses to set temp_directory again, even to itself, once it has spilled there
    monkeypatch.setenv("HOTLINE_DUCKDB_MEMORY_LIMIT", "64MiB")
    monkeypatch.setenv("HOTLINE_DUCKDB_THREADS", "1")
    with connect(settings.warehouse_path, settings=settings) as first:
        first.execute("select count(*) from (select range, random() as x from range(5000000) order by x)").fetchone()
        with open_duckdb(settings.warehouse_path, settings=settings) as second:
            assert second.execute("select 1").fetchone() == (1,)
