"""The daily DAG, run by the real scheduler as a deployment runs it.

`scripts/airflow.sh start` starts Airflow (scheduler, dag-processor, triggerer, api-server) once
for the module, on a tiny generated landing folder, and `scripts/airflow.sh stop` stops it after
the last test. In file order:

1. the test unpauses `hotline_daily` through the REST API, so the scheduler creates the one run
   catchup allows (the latest whole day, which loads every file landed: the demo's files dated up
   to the backfill's last day, and one it rejects), and waits for it to succeed;
2. a backfill of two days across the end of a month (`airflow backfill create`, run by the same
   scheduler on a new deployment: a full build, then an incremental one) lands and publishes
   what that scheduled run did, which loaded the same files at once (that an incremental build
   equals a full one is tests/pipeline/test_incremental_build.py's);
3. `stop` stops every process `start` started.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from itertools import pairwise
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pytest

from core.settings import PROJECT_DIR
from tests.conftest import HASH_KEY

pytestmark = pytest.mark.slow

SCRIPT = str(PROJECT_DIR / "scripts" / "airflow.sh")
RUN_TIMEOUT = 600  # seconds, for the scheduled run to finish once the DAG is unpaused (a loaded CI machine: 250)
# The backfill's runs are timed by the scheduled run on this machine (each of them does at most
# that run's work): a loaded machine is slow, not wrong. Without that measure (the backfill test
# run alone), the default.
BACKFILL_RUNS_PER_SCHEDULED_RUN = 4
BACKFILL_TIMEOUT = 600  # seconds, at least
COMPONENTS = ("api-server", "dag-processor", "triggerer", "scheduler")
LOCAL = ZoneInfo("Asia/Shanghai")
# two days of the demo, across the end of a month: the backfill's first run loads January (a full
# build), the second the first of February (an incremental build in a new month)
BACKFILL_DAYS = (dt.date(2022, 1, 31), dt.date(2022, 2, 1))
# the raw columns that hold the moment a row was written, not data (the marts have none): the only
# ones a backfill may change
WALL_CLOCK_COLUMNS = {"_loaded_at", "loaded_at", "quarantined_at", "replaced_at", "created_at"}


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

    def runs(self, **query: str) -> list[dict]:
        suffix = f"?{urllib.parse.urlencode(query)}" if query else ""
        return self.request("GET", f"/api/v2/dags/hotline_daily/dagRuns{suffix}")["dag_runs"]

    def pids(self) -> dict[str, int]:
        return {name: int((self.home / "run" / f"{name}.pid").read_text()) for name in COMPONENTS}

    def logs_tail(self) -> str:
        parts = []
        for log in sorted((self.home / "logs").rglob("*.log")):
            if "components" in log.parts or "dag_id=" in str(log):
                parts.append(f"--- {log}\n" + "\n".join(log.read_text(errors="replace").splitlines()[-15:]))
        return "\n".join(parts)[-6000:]


@pytest.fixture(scope="module")
def airflow(tmp_path_factory):
    """Airflow started by the script on a tiny landing folder, once for the module; stopped by it
    after the last test, also when one fails."""
    data_dir = tmp_path_factory.mktemp("scheduled") / "data"
    (data_dir / "landing").mkdir(parents=True)
    port = free_port()
    environment = {
        **os.environ,
        "HOTLINE_DATA_DIR": str(data_dir),
        "HOTLINE_HASH_KEY": HASH_KEY,
        "HOTLINE_TASK_RETRIES": "0",
        "HOTLINE_AIRFLOW_PORT": str(port),
        "HOTLINE_AIRFLOW_STOP_TIMEOUT": "30",
    }
    environment.pop("AIRFLOW_HOME", None)  # the script puts it under the data folder
    environment.pop("HOTLINE_LANDING_DIR", None)
    started = Airflow(data_dir, port, environment)
    # the demo's hotline exports, written while Airflow starts (the daily DAG stays paused until a
    # test unpauses it); not the office's registers (5 s to write), all dated after the backfill's days
    generate = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, pathlib; from demodata.hotline_exports import generate_hotline_exports; "
            "generate_hotline_exports(pathlib.Path(sys.argv[1]), scale=0.01)",
            str(data_dir / "landing"),
        ],
        cwd=PROJECT_DIR,
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
        # the files dated up to the backfill's last day: what its runs load between them. The
        # scheduler's work is the same for two years of exports, and a run's cost mostly fixed
        # (dbt, the gate, publication)
        last = BACKFILL_DAYS[-1].strftime("%Y%m%d")
        for path in (data_dir / "landing").rglob("*_*"):
            dated = re.search(r"_(\d{8})", path.name)
            if path.is_file() and dated and dated[1] > last:
                path.unlink()
        yield started
    finally:
        generate.kill()
        began = time.monotonic()
        started.script("stop", timeout=300)  # a no-op after test_stop_stops_every_process_start_started
        started.timings.setdefault("stop", time.monotonic() - began)
        print("seconds: " + ", ".join(f"{step} {seconds:.0f}" for step, seconds in started.timings.items()))


def registered_dag(airflow: Airflow) -> dict:
    """The daily DAG once the dag-processor has registered it (paused, the first time)."""
    deadline = time.monotonic() + 120
    while True:
        try:
            return airflow.request("GET", "/api/v2/dags/hotline_daily")
        except urllib.error.HTTPError as missing:
            assert missing.code == 404 and time.monotonic() < deadline, airflow.logs_tail()
            time.sleep(1)


def wait_for_a_finished_run(airflow: Airflow) -> list[dict]:
    deadline = time.monotonic() + RUN_TIMEOUT
    while time.monotonic() < deadline:
        runs = airflow.runs()
        if runs and all(run["state"] in ("success", "failed") for run in runs):
            return runs
        time.sleep(2)
    pytest.fail(
        f"no finished run within {RUN_TIMEOUT}s: a stuck run, or a machine too slow for RUN_TIMEOUT\n"
        f"{airflow.logs_tail()}"
    )


def test_the_scheduler_runs_the_daily_load_and_publishes_the_warehouse(airflow):
    # the dag-processor registers the DAGs paused; wait for it, then unpause
    began = time.monotonic()
    dag = registered_dag(airflow)
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
    assert {task["task_id"]: task["state"] for task in tasks} == {
        **dict.fromkeys(("ingest", "build", "quality_gate", "publish"), "success"),
        "publish_postgres": "skipped",  # no HOTLINE_PG_DSN here: the DuckDB file is the only publication
    }
    airflow.timings.update({task["task_id"]: task["duration"] for task in tasks})
    assert (airflow.data_dir / "published" / "warehouse.duckdb").exists()
    events = airflow.request("GET", "/api/v2/assets/events?source_dag_id=hotline_daily")["asset_events"]
    assert [(event["uri"], event["extra"]["changed"]) for event in events] == [("hotline://published/warehouse", True)]

    # LocalExecutor forks one worker per core, not 32
    scheduler = airflow.pids()["scheduler"]
    workers = [args for args in session_processes(scheduler) if "LocalExecutor" in args]
    assert len(workers) == os.cpu_count(), workers


# --- a backfill builds the warehouse the scheduled run built ------------------------------------


def local_day(timestamp: str) -> dt.date:
    """The day in Asia/Shanghai of a timestamp the REST API gives (in UTC)."""
    return dt.datetime.fromisoformat(timestamp.replace("Z", "+00:00")).astimezone(LOCAL).date()


def allowed_seconds(airflow: Airflow, floor: float, runs: float) -> float:
    """`runs` times the scheduled run's duration on this machine, at least `floor` seconds."""
    return max(floor, runs * airflow.timings.get("scheduled run", 0))


def differences(first: Path, second: Path, schema: str) -> dict[str, str]:
    """Each table of a schema whose rows differ between two DuckDB files (as multisets, without the
    wall-clock columns), or that only one of them has."""
    connection = duckdb.connect()
    try:
        connection.execute(f"attach '{first}' as one (read_only)")
        connection.execute(f"attach '{second}' as two (read_only)")
        listing = "select table_catalog, table_name from information_schema.tables where table_schema = ?"
        tables = {"one": set(), "two": set()}
        for catalog, name in connection.execute(listing, [schema]).fetchall():
            tables.setdefault(catalog, set()).add(name)
        found = {table: "missing in one of them" for table in tables["one"] ^ tables["two"]}
        for table in sorted(tables["one"] & tables["two"]):
            columns = [
                name
                for (name,) in connection.execute(
                    "select column_name from information_schema.columns "
                    "where table_catalog = 'one' and table_schema = ? and table_name = ? order by ordinal_position",
                    [schema, table],
                ).fetchall()
                if name not in WALL_CLOCK_COLUMNS
            ]
            listed = ", ".join(f'"{name}"' for name in columns)
            only = {}
            for this, that in (("one", "two"), ("two", "one")):
                only[this] = connection.execute(
                    f'select * from (select {listed} from {this}.{schema}."{table}" '
                    f'except all select {listed} from {that}.{schema}."{table}") limit 3'
                ).fetchall()
            if only["one"] or only["two"]:
                found[table] = f"only in {first}: {only['one']}; only in {second}: {only['two']}"
        return found
    finally:
        connection.close()


def create_backfill(airflow: Airflow, *arguments: str) -> int:
    """`airflow backfill create --dag-id hotline_daily <arguments>`; how many attempts it took.

    The command writes the SQLite metadata database itself, beside the running scheduler, and can
    fail with "database is locked". The runs it made before that stay (each is committed on its
    own), as a backfill of their own; once that one is complete, the same command makes the rest.
    """
    deadline = time.monotonic() + BACKFILL_TIMEOUT
    for attempt in range(1, 4):
        created = airflow.script("backfill", "create", "--dag-id", "hotline_daily", *arguments, timeout=120)
        if created.returncode == 0:
            return attempt
        assert "database is locked" in created.stdout + created.stderr, created.stdout + created.stderr
        while any(
            backfill["completed_at"] is None
            for backfill in airflow.request("GET", "/api/v2/backfills?dag_id=hotline_daily")["backfills"]
        ):
            assert time.monotonic() < deadline, airflow.logs_tail()
            time.sleep(5)
    pytest.fail(f"backfill create: the database was locked three times\n{created.stderr[-3000:]}")


def test_a_backfill_builds_the_warehouse_the_scheduled_run_built(airflow):
    # the DAG must be unpaused for backfill runs to start; unpausing makes the catch-up run: let it finish
    dag = registered_dag(airflow)
    if dag["is_paused"]:
        airflow.request("PATCH", "/api/v2/dags/hotline_daily", {"is_paused": False})
    finished = wait_for_a_finished_run(airflow)
    assert [run["state"] for run in finished] == ["success"], airflow.logs_tail()
    before = {run["dag_run_id"] for run in finished}
    # the backfill writes the started Airflow's data folder: the scheduled run's warehouse and
    # publication are moved aside (its `current` links are relative: they move with it), and the
    # backfill starts without any, as a new deployment
    scheduled = airflow.data_dir.parent / "scheduled_run"
    scheduled.mkdir()
    for part in ("warehouse", "published"):
        shutil.move(airflow.data_dir / part, scheduled / part)
    shutil.rmtree(airflow.data_dir / "quality", ignore_errors=True)
    landing = airflow.data_dir / "landing"

    allowed = allowed_seconds(airflow, BACKFILL_TIMEOUT, BACKFILL_RUNS_PER_SCHEDULED_RUN)
    began = time.monotonic()
    first, last = (day.isoformat() for day in BACKFILL_DAYS)
    # backfill runs are not held back by the DAG's max_active_runs=1, only by the backfill's own
    # limit (default 10): one at a time, in date order, as the schedule would have run them
    attempts = create_backfill(airflow, "--from-date", first, "--to-date", last, "--max-active-runs", "1")
    airflow.timings["backfill create attempts"] = attempts
    deadline = began + allowed
    while True:
        backfill = airflow.runs(run_type="backfill", order_by="logical_date")
        if len(backfill) == len(BACKFILL_DAYS) and all(run["state"] in ("success", "failed") for run in backfill):
            break
        assert time.monotonic() < deadline, (
            f"backfill unfinished after {allowed:.0f}s ({BACKFILL_RUNS_PER_SCHEDULED_RUN} times the scheduled "
            f"run's {airflow.timings.get('scheduled run', 0):.0f}s, at least {BACKFILL_TIMEOUT}s): stuck, "
            f"or the machine slowed down since: {backfill}\n{airflow.logs_tail()}"
        )
        time.sleep(2)
    airflow.timings["backfill"] = time.monotonic() - began

    # one run a day, each for its day, one after the other in date order, and nothing else ran meanwhile
    assert [run["state"] for run in backfill] == ["success"] * len(BACKFILL_DAYS), airflow.logs_tail()
    assert [local_day(run["data_interval_start"]) for run in backfill] == list(BACKFILL_DAYS)
    assert [run["logical_date"] for run in backfill] == [run["data_interval_start"] for run in backfill]
    backfills = airflow.request("GET", "/api/v2/backfills?dag_id=hotline_daily")["backfills"]
    assert {backfill["max_active_runs"] for backfill in backfills} == {1}, backfills
    for earlier, later in pairwise(backfill):
        assert earlier["end_date"] <= later["start_date"], backfill
    assert {run["dag_run_id"] for run in airflow.runs()} - before == {run["dag_run_id"] for run in backfill}
    loaded_by_run = []
    for run, day in zip(backfill, BACKFILL_DAYS, strict=True):
        path = f"/api/v2/dags/hotline_daily/dagRuns/{run['dag_run_id']}/taskInstances/ingest/xcomEntries/return_value"
        ingested = airflow.request("GET", path)["value"]
        ingested = json.loads(ingested) if isinstance(ingested, str) else ingested
        assert ingested["until"] == day.isoformat(), ingested
        loaded_by_run.append(ingested["files_loaded"])

    backfilled = airflow.data_dir / "warehouse" / "hotline.duckdb"
    reference = scheduled / "warehouse" / "hotline.duckdb"
    # the ledger: the same files with the same rows, the exports dated up to the last day
    ledgers = []
    for warehouse in (backfilled, reference):
        with duckdb.connect(str(warehouse), read_only=True) as connection:
            ledgers.append(
                connection.execute(
                    "select file_name, rows_read, rows_loaded, rows_quarantined from raw.load_ledger "
                    "where status = 'loaded' order by file_name"
                ).fetchall()
            )
    last = BACKFILL_DAYS[-1].strftime("%Y%m%d")
    dated = [(path.name, re.search(r"_(\d{8})\.", path.name)) for path in landing.glob("12345_gongdan_*")]
    assert [name for name, *_ in ledgers[0]] == sorted(name for name, date in dated if date and date[1] <= last)
    assert ledgers[0] == ledgers[1]
    # each run loaded the exports of its own days and no later one (the landing folder holds the
    # second day's when the first runs)
    days = [re.search(r"_(\d{8})\.", name)[1] for name, *_ in ledgers[0]]
    first_day = BACKFILL_DAYS[0].strftime("%Y%m%d")
    assert loaded_by_run == [sum(day <= first_day for day in days), sum(day > first_day for day in days)]
    assert all(loaded_by_run), loaded_by_run
    # the raw tables, and every published mart, row for row
    assert differences(backfilled, reference, "raw") == {}
    published = [data_dir / "published" / "warehouse.duckdb" for data_dir in (airflow.data_dir, scheduled)]
    assert differences(*published, "main") == {}
    with duckdb.connect(str(published[0]), read_only=True) as connection:
        assert connection.execute("select count(*) from fct_cases").fetchone()[0] > 0


def test_stop_stops_every_process_start_started(airflow):
    pids = airflow.pids()
    began = time.monotonic()
    stop = airflow.script("stop", timeout=300)
    airflow.timings["stop"] = time.monotonic() - began
    assert stop.returncode == 0, stop.stderr
    assert {name: session_processes(pid) for name, pid in pids.items()} == dict.fromkeys(COMPONENTS, [])
    assert not list((airflow.home / "run").glob("*.pid"))
