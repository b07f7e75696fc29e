"""A warehouse another process holds open: one line saying who holds it and what to do."""

from __future__ import annotations

import subprocess
import sys

import pytest

from core.errors import PipelineError
from core.warehouse import connect, lock_conflict

HOLDER = """
import sys, duckdb
connection = duckdb.connect(sys.argv[1])
connection.execute("create table if not exists t (x integer)")
print("holding", flush=True)
sys.stdin.read()  # until the test closes our stdin
"""


@pytest.fixture
def held_warehouse(tmp_path):
    """A warehouse file a second process has open for writing, and that process."""
    path = tmp_path / "warehouse.duckdb"
    script = tmp_path / "hold_warehouse.py"
    script.write_text(HOLDER)
    holder = subprocess.Popen(
        [sys.executable, str(script), str(path), "--marker-for-the-test"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "holding"
        yield path, holder
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
        holder.stdout.close()


@pytest.mark.parametrize("read_only", [False, True])
def test_a_held_warehouse_names_the_holder_and_how_to_stop_it(held_warehouse, read_only):
    path, holder = held_warehouse
    with pytest.raises(PipelineError) as raised, connect(path, read_only=read_only):
        pass
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: PID {holder.pid} has the warehouse open: ")
    assert "--marker-for-the-test" in message  # its command line, read from /proc
    assert message.endswith(f"wait for it to finish or stop it with `kill {holder.pid}`")
    assert raised.value.__cause__ is None and raised.value.__suppress_context__  # no DuckDB traceback


def test_once_the_holder_has_gone_the_warehouse_opens(held_warehouse):
    path, holder = held_warehouse
    holder.stdin.close()
    holder.wait(timeout=30)
    with connect(path) as connection:
        assert connection.execute("select count(*) from t").fetchone() == (0,)


def test_a_holder_that_no_longer_runs_is_named_without_a_command_line(tmp_path):
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    pid = int(finished.stdout)
    duckdb_says = (
        f'IO Error: Could not set lock on file "{tmp_path}/w.duckdb": Conflicting lock is held in '
        f"/usr/bin/python3.11 (PID {pid}). See also https://duckdb.org/docs/current/connect/concurrency"
    )
    message = str(lock_conflict(tmp_path / "w.duckdb", duckdb_says))
    assert message.startswith(f"{tmp_path / 'w.duckdb'}: PID {pid} (/usr/bin/python3.11) had the warehouse open")
    assert "run the command again" in message and "\n" not in message


def test_a_lock_message_without_a_pid_still_says_what_to_do(tmp_path):
    message = str(lock_conflict(tmp_path / "w.duckdb", 'IO Error: Could not set lock on file "w.duckdb"'))
    assert (
        message == f"{tmp_path / 'w.duckdb'}: another process has the warehouse open; wait for it to finish or stop it"
    )
