"""dbt dies with its parent: a killed `hotline build` never leaves dbt writing the warehouse.

Each test starts a parent Python process that runs `run_relayed` (what runs dbt) on a
harmless child that starts a grandchild and sleeps, then stops the parent in some way.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.errors import PipelineError
from pipeline.dbt_runner import run_relayed, with_unit_test_setting

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parent-death signal is Linux-only")

# the child: starts a grandchild in its process group, says who is who, then sleeps
CHILD = """
import os, subprocess, sys, time
grandchild = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
print("child", os.getpid(), flush=True)
print("grandchild", grandchild.pid, flush=True)
time.sleep(60)
"""

PARENT = """
import signal, sys
from pipeline.dbt_runner import run_relayed
signal.signal(signal.SIGINT, signal.default_int_handler)
if sys.argv[1] == "airflow-like":  # a SIGTERM handler that does not end the process (Airflow calls on_kill)
    signal.signal(signal.SIGTERM, lambda signum, frame: print("on_kill", flush=True))
else:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
print("exit", run_relayed(sys.argv[2:]), flush=True)
"""


def _gone(pid: int) -> bool:
    """Not running: no such process, or a zombie waiting for whoever adopted it to reap it."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return True
    return state in ("Z", "X")


def _wait_gone(pid: int, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if _gone(pid):
            return True
        time.sleep(0.05)
    return _gone(pid)


@contextlib.contextmanager
def _parent(mode: str = "default"):
    """The parent process, and the pids of the child and grandchild it started."""
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, mode, sys.executable, "-c", CHILD],
        stdout=subprocess.PIPE,
        text=True,
    )
    pids: dict[str, int] = {}
    try:
        for _ in range(2):
            name, pid = parent.stdout.readline().split()
            pids[name] = int(pid)
        yield parent, pids
    finally:
        for pid in pids.values():  # never leave a sleeper behind, whatever the test found
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if parent.poll() is None:
            parent.kill()
        parent.wait(timeout=10)
        parent.stdout.close()


def test_a_sigkill_of_the_parent_kills_the_child():
    with _parent() as (parent, pids):
        assert not _gone(pids["child"])
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=10)
        assert _wait_gone(pids["child"]), "the child outlived its SIGKILLed parent"
        # (a grandchild is out of reach of the parent-death signal, which is not inherited)


def test_a_sigterm_of_the_parent_kills_the_child_process_group_then_ends_the_parent():
    with _parent() as (parent, pids):
        parent.send_signal(signal.SIGTERM)
        assert parent.wait(timeout=10) == -signal.SIGTERM
        assert _wait_gone(pids["child"]), "the child outlived its SIGTERMed parent"
        assert _wait_gone(pids["grandchild"]), "the child's process group was not killed"


def test_a_sigterm_handler_already_set_still_runs_after_the_child_is_killed():
    with _parent("airflow-like") as (parent, pids):
        parent.send_signal(signal.SIGTERM)
        output, _ = parent.communicate(timeout=10)
        assert output.split() == ["on_kill", "exit", str(-signal.SIGKILL)]
        assert parent.returncode == 0
        assert _wait_gone(pids["child"]) and _wait_gone(pids["grandchild"])


def test_ctrl_c_in_the_parent_kills_the_child_process_group():
    with _parent() as (parent, pids):
        parent.send_signal(signal.SIGINT)
        parent.wait(timeout=10)
        assert parent.returncode != 0  # KeyboardInterrupt went on up after the kill
        assert _wait_gone(pids["child"]) and _wait_gone(pids["grandchild"])


def test_output_is_relayed_and_the_exit_code_returned(capsys):
    code = run_relayed([sys.executable, "-c", "import sys; print('progress'); sys.exit('failed: 3')"])
    assert code == 1
    assert capsys.readouterr().out.splitlines() == ["progress", "failed: 3"]


def test_a_command_that_cannot_start_exits_127(tmp_path, capsys):
    assert run_relayed([tmp_path / "no-such-dbt", "build"]) == 127
    assert "no-such-dbt" in capsys.readouterr().out


def test_an_exception_in_the_relay_kills_the_child_process_group(monkeypatch):
    lines = []

    def print_then_fail(line, **kwargs):  # as if the task log went away mid-run
        lines.append(line.split())
        if len(lines) == 2:
            raise RuntimeError("the log went away")

    monkeypatch.setattr("builtins.print", print_then_fail)
    with pytest.raises(RuntimeError):
        run_relayed([sys.executable, "-c", CHILD])
    pids = {name: int(pid) for name, pid in lines}
    try:
        assert _gone(pids["child"]) and _wait_gone(pids["grandchild"])  # the child was reaped before raising
    finally:
        for pid in pids.values():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def test_unit_tests_leave_a_build_only_when_the_setting_says_never(monkeypatch):
    monkeypatch.delenv("HOTLINE_DBT_UNIT_TESTS", raising=False)
    assert with_unit_test_setting(["build", "--full-refresh"]) == ["build", "--full-refresh"]
    monkeypatch.setenv("HOTLINE_DBT_UNIT_TESTS", "never")
    assert with_unit_test_setting(["build", "--full-refresh"]) == [
        "build",
        "--full-refresh",
        "--exclude-resource-type",
        "unit_test",
    ]
    assert with_unit_test_setting(["docs", "generate"]) == ["docs", "generate"]
    monkeypatch.setenv("HOTLINE_DBT_UNIT_TESTS", "sometimes")
    with pytest.raises(PipelineError, match="HOTLINE_DBT_UNIT_TESTS='sometimes'"):
        with_unit_test_setting(["build"])
