"""The daily DAG, run by the real scheduler as a deployment runs it.

`scripts/airflow.sh start` starts Airflow (scheduler, dag-processor, triggerer, api-server) on a
tiny generated landing folder; the test unpauses `hotline_daily` through the REST API, so the
scheduler creates the one run catchup allows (the latest whole day, which loads every demo
export), waits for it to succeed, and stops everything with `scripts/airflow.sh stop`.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from core.settings import PROJECT_DIR
from tests.conftest import HASH_KEY

pytestmark = pytest.mark.slow

SCRIPT = str(PROJECT_DIR / "scripts" / "airflow.sh")
RUN_TIMEOUT = 300  # seconds, for the scheduled run to finish once the DAG is unpaused
COMPONENTS = ("api-server", "dag-processor", "triggerer", "scheduler")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def session_processes(session_id: int) -> list[str]:
    table = subprocess.run(["ps", "-eo", "sid=,args="], capture_output=True, text=True, check=True).stdout
    return [line.split(None, 1)[1] for line in table.splitlines() if line.split(None, 1)[0] == str(session_id)]


class Airflow:
    """The started Airflow, seen through its REST API."""

    def __init__(self, data_dir: Path, port: int, environment: dict[str, str]):
        self.data_dir = data_dir
        self.home = data_dir / "airflow"
        self.url = f"http://127.0.0.1:{port}"
        self.environment = environment
        self.token: str | None = None
        self.timings: dict[str, float] = {}

    def script(self, *arguments: str, timeout: float = 240) -> subprocess.CompletedProcess:
        return subprocess.run(
            [SCRIPT, *arguments], env=self.environment, capture_output=True, text=True, timeout=timeout
        )

    def request(self, method: str, path: str, body: dict | None = None) -> dict:
        if self.token is None and path != "/auth/token":
            passwords = json.loads((self.home / "simple_auth_manager_passwords.json.generated").read_text())
            self.token = self.request("POST", "/auth/token", {"username": "admin", "password": passwords["admin"]})[
                "access_token"
            ]
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, headers=headers, method=method)
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"{}")

    def pids(self) -> dict[str, int]:
        return {name: int((self.home / "run" / f"{name}.pid").read_text()) for name in COMPONENTS}

    def logs_tail(self) -> str:
        parts = []
        for log in sorted((self.home / "logs").rglob("*.log")):
            if "components" in log.parts or "dag_id=" in str(log):
                parts.append(f"--- {log}\n" + "\n".join(log.read_text(errors="replace").splitlines()[-15:]))
        return "\n".join(parts)[-6000:]


@pytest.fixture
def airflow(settings):
    """Airflow started by the script on a tiny landing folder; stopped by it, also when the test fails."""
    port = free_port()
    environment = {
        **os.environ,
        "HOTLINE_DATA_DIR": str(settings.data_dir),
        "HOTLINE_HASH_KEY": HASH_KEY,
        "HOTLINE_TASK_RETRIES": "0",
        "HOTLINE_AIRFLOW_PORT": str(port),
        "HOTLINE_AIRFLOW_STOP_TIMEOUT": "30",
    }
    environment.pop("AIRFLOW_HOME", None)  # the script puts it under the data folder
    started = Airflow(settings.data_dir, port, environment)
    # the demo exports are written while Airflow starts: the daily DAG stays paused until the test unpauses it
    generate = subprocess.Popen(
        [str(PROJECT_DIR / ".venv" / "bin" / "hotline"), "generate", "--scale", "0.01"],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        began = time.monotonic()
        start = started.script("start")
        started.timings["start"] = time.monotonic() - began
        assert start.returncode == 0, start.stdout + start.stderr + started.logs_tail()
        assert f"UI and REST API: {started.url}" in start.stdout
        assert "simple_auth_manager_passwords.json.generated" in start.stdout
        _, errors = generate.communicate(timeout=120)
        assert generate.returncode == 0, errors
        yield started
    finally:
        generate.kill()
        began = time.monotonic()
        started.script("stop", timeout=300)
        started.timings.setdefault("stop", time.monotonic() - began)
        print("seconds: " + ", ".join(f"{step} {seconds:.0f}" for step, seconds in started.timings.items()))


def wait_for_a_finished_run(airflow: Airflow) -> list[dict]:
    deadline = time.monotonic() + RUN_TIMEOUT
    while time.monotonic() < deadline:
        runs = airflow.request("GET", "/api/v2/dags/hotline_daily/dagRuns")["dag_runs"]
        if runs and all(run["state"] in ("success", "failed") for run in runs):
            return runs
        time.sleep(2)
    pytest.fail(f"no finished run within {RUN_TIMEOUT}s\n{airflow.logs_tail()}")


def test_the_scheduler_runs_the_daily_load_and_publishes_the_warehouse(airflow):
    # the dag-processor registers the DAGs paused; wait for it, then unpause
    began = time.monotonic()
    deadline = began + 120
    while True:
        try:
            dag = airflow.request("GET", "/api/v2/dags/hotline_daily")
            break
        except urllib.error.HTTPError as missing:
            assert missing.code == 404 and time.monotonic() < deadline, airflow.logs_tail()
            time.sleep(1)
    assert dag["is_paused"] is True
    unpaused_at = time.monotonic()
    airflow.timings["registered"] = unpaused_at - began
    airflow.request("PATCH", "/api/v2/dags/hotline_daily", {"is_paused": False})

    runs = wait_for_a_finished_run(airflow)
    airflow.timings["scheduled run"] = time.monotonic() - unpaused_at

    assert len(runs) == 1, runs  # catchup is off: only the latest whole day runs
    run = runs[0]
    assert (run["run_type"], run["state"]) == ("scheduled", "success"), airflow.logs_tail()
    assert run["data_interval_end"] == dag["next_dagrun_data_interval_end"]
    run_id = run["dag_run_id"]
    tasks = airflow.request("GET", f"/api/v2/dags/hotline_daily/dagRuns/{run_id}/taskInstances")["task_instances"]
    assert {task["task_id"]: task["state"] for task in tasks} == dict.fromkeys(
        ("ingest", "build", "quality_gate", "publish"), "success"
    )
    airflow.timings.update({task["task_id"]: task["duration"] for task in tasks})
    assert (airflow.data_dir / "published" / "warehouse.duckdb").exists()
    events = airflow.request("GET", "/api/v2/assets/events?source_dag_id=hotline_daily")["asset_events"]
    assert [(event["uri"], event["extra"]["changed"]) for event in events] == [("hotline://published/warehouse", True)]

    # LocalExecutor forks one worker per core, not 32
    scheduler = airflow.pids()["scheduler"]
    workers = [args for args in session_processes(scheduler) if "LocalExecutor" in args]
    assert len(workers) == os.cpu_count(), workers

    pids = airflow.pids()
    began = time.monotonic()
    stop = airflow.script("stop", timeout=300)
    airflow.timings["stop"] = time.monotonic() - began
    assert stop.returncode == 0, stop.stderr
    assert {name: session_processes(pid) for name, pid in pids.items()} == dict.fromkeys(COMPONENTS, [])
    assert not list((airflow.home / "run").glob("*.pid"))
