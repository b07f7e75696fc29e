"""kill -9 of `hotline ingest`, `hotline build` and `hotline publish` at random moments.

A small demo (the hotline exports of `hotline generate --scale 0.01`, and the office's registers
copied from the session's, tests/fixtures/shared_runs.py) in a private HOTLINE_DATA_DIR, of which only the
exports from October 2022 on are used (fewer files make every ingest and build shorter; the
kills need no more). The exports of 2023 are held back and land in slices, one per
ingest kill, so that each killed ingest has new files to load. dbt's unit tests, which test
the SQL and not the data, are left out (HOTLINE_DBT_UNIT_TESTS=never; the session's daily run
runs them). Every command runs as a subprocess in its own session, and only the CLI's pid gets
SIGKILL (not its process group): dbt must die with its parent by itself. Each kill is followed
by a normal run of the same step, which must succeed. After every kill and every run: the
ledger agrees with the raw and quarantine tables, no process of this test is left, and the
publication in force is a complete version (the old one or the new one).

Delays come from `random.Random(7)`, as fractions of the step's duration (measured in this
run once the step has run normally, before that the duration measured on the development
machine, BASELINE_SECONDS, scaled by how long generating the exports took here), stratified: the k-th of
a step's KILLS_PER_STEP kills falls at random in the k-th part of its duration, so that each
step is killed while starting up and late (dbt building marts, a version being written).
A build's late kills wait for dbt instead of a clock: they fall when dbt starts a node drawn
at random from the later part of its node list, so dbt is surely running, however fast or
slow this machine is against the baseline.

The publication kills need marts that differ from the publication in force each time: the
warehouse and gate report of two gated states (late 2022 only, then to the end of 2023) are
kept and put back in turn (B, then A), so each killed publish has a real new version to write.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import psutil
import pytest

from demodata.hotline_exports import generate_hotline_exports
from ingestion.ledger import file_id
from publication.publish import PUBLISHED_FILES, current_fingerprint
from tests.conftest import HASH_KEY
from tests.fixtures.shared_runs import member_records, session_root
from tests.reliability.cases import KILLS_PER_STEP

pytestmark = pytest.mark.slow

PROJECT_DIR = Path(__file__).resolve().parents[2]
HOTLINE = str(Path(sys.executable).parent / "hotline")
SCALE = "0.01"
# seconds each command took at --scale 0.01 on the development machine (2 CPUs, shared)
# ("generate": the hotline exports alone)
BASELINE_SECONDS = {"generate": 1.4, "ingest": 29.5, "build": 23.3, "check": 20.1, "publish": 13.5}
RUN_TIMEOUT = 300


@dataclass
class Demo:
    data_dir: Path
    env: dict[str, str]
    held_back: list[list[Path]]  # slices of exports to land, one per ingest kill
    speed: float = 1.0  # this machine's time for generating the exports over the baseline's
    measured: dict[str, float] = field(default_factory=dict)  # last normal run of each step
    log: list[str] = field(default_factory=list)  # what each kill hit, for the summary
    states: dict[str, Path] = field(default_factory=dict)  # gated states kept to publish in turn

    @property
    def landing(self) -> Path:
        return self.data_dir / "landing"

    @property
    def warehouse(self) -> Path:
        return self.data_dir / "warehouse" / "hotline.duckdb"

    @property
    def published(self) -> Path:
        return self.data_dir / "published"

    @property
    def gate_report(self) -> Path:
        return self.data_dir / "quality" / "gate_report.json"

    def expected_seconds(self, step: str) -> float:
        return self.measured.get(step) or BASELINE_SECONDS[step] * self.speed


# --- running and killing the CLI ----------------------------------------------------------


def _start(demo: Demo, args: list[str], log_name: str) -> tuple[subprocess.Popen, Path]:
    log_path = demo.data_dir.parent / "logs" / log_name
    log_path.parent.mkdir(exist_ok=True)
    with log_path.open("wb") as output:
        process = subprocess.Popen(
            [HOTLINE, *args],
            cwd=PROJECT_DIR,
            env=demo.env,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # not in pytest's process group; we kill the CLI's pid only
        )
    return process, log_path


def _tail(path: Path, lines: int = 15) -> str:
    return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


def run(demo: Demo, *args: str) -> float:
    """Run one CLI command to the end; it must exit 0. Returns (and records) its duration."""
    step = args[0]
    started = time.monotonic()
    process, log_path = _start(demo, list(args), f"{len(demo.log):02d}_{step}.log")
    try:
        code = process.wait(timeout=RUN_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        raise AssertionError(f"hotline {' '.join(args)} ran over {RUN_TIMEOUT}s:\n{_tail(log_path)}") from None
    seconds = time.monotonic() - started
    assert code == 0, f"hotline {' '.join(args)} exited {code} after a kill:\n{_tail(log_path)}"
    demo.measured[step] = seconds
    demo.log.append(f"run  hotline {' '.join(args)}: {seconds:.1f}s")
    return seconds


@dataclass
class Kill:
    hit: bool  # killed while running (False: it had finished before the delay)
    children: list[int]  # the CLI's descendants (dbt) alive at the moment of the kill
    log_path: Path


def kill_at(
    demo: Demo, rng: random.Random, *args: str, stratum: int, expected: float | None = None, at_dbt_node: bool = False
) -> Kill:
    """Start a CLI command and SIGKILL its pid (only) at a random moment of its expected duration.

    The k-th kill of a step (stratum k of KILLS_PER_STEP) falls at random in the k-th part of the
    duration, so each step is killed early (starting up) and late (writing). With at_dbt_node,
    the same fraction is taken of dbt's node list instead: the kill falls when dbt starts that
    node, so it cannot come after a build that was quicker than expected."""
    step = args[0]
    expected = expected or demo.expected_seconds(step)
    fraction = (stratum + rng.random()) / KILLS_PER_STEP
    delay = 0.95 * expected * fraction
    started = time.monotonic()
    process, log_path = _start(demo, list(args), f"{len(demo.log):02d}_{step}_killed.log")
    children: list[int] = []
    try:
        if at_dbt_node:
            _wait_for_dbt_node(process, log_path, fraction)
        else:
            process.wait(timeout=delay)
        finished = True
    except subprocess.TimeoutExpired:
        with contextlib.suppress(psutil.NoSuchProcess):
            children = [child.pid for child in psutil.Process(process.pid).children(recursive=True)]
        os.kill(process.pid, signal.SIGKILL)  # the CLI only: dbt, if running, must follow by itself
        finished = False
    code = process.wait()
    delay = time.monotonic() - started
    state = f"exited {code} before the kill" if finished else "killed"
    with_children = f" with {len(children)} child process(es) running" if children else ""
    demo.log.append(f"kill hotline {' '.join(args)} at {delay:.1f}s of ~{expected:.1f}s: {state}{with_children}")
    if finished:
        assert code == 0, f"hotline {' '.join(args)} failed on its own:\n{_tail(log_path)}"
    return Kill(not finished, children, log_path)


def assert_children_died(kill: Kill, wait: float = 15.0) -> None:
    """The processes the killed CLI had started (dbt) are gone: ended, or zombies nobody reaped."""
    deadline = time.monotonic() + wait
    alive = kill.children
    while alive and time.monotonic() < deadline:
        time.sleep(0.1)
        alive = [pid for pid in alive if _alive(pid)]
    assert alive == [], f"child processes outlived the killed CLI: {[_describe(pid) for pid in alive]}"


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _describe(pid: int) -> str:
    try:
        return f"{pid}: {' '.join(psutil.Process(pid).cmdline())[:200]}"
    except psutil.Error:
        return str(pid)


def _note(demo: Demo, text: str) -> None:
    demo.log[-1] += f"; {text}"


DBT_PROGRESS = re.compile(r"\b(\d+) of (\d+) (?:START|OK|PASS)")  # dbt's "182 of 320 START …" lines


def _dbt_progress(log_path: Path) -> str:
    """How far dbt got before the kill, from its progress lines."""
    found = DBT_PROGRESS.findall(log_path.read_text(encoding="utf-8", errors="replace"))
    return f"dbt at node {found[-1][0]} of {found[-1][1]}" if found else "before dbt ran any node"


def _wait_for_dbt_node(process: subprocess.Popen, log_path: Path, fraction: float) -> None:
    """Return if the command ends; raise TimeoutExpired (time to kill) once dbt has started the
    node at `fraction` of its node list."""
    deadline = time.monotonic() + RUN_TIMEOUT
    while process.poll() is None:
        found = DBT_PROGRESS.findall(log_path.read_text(encoding="utf-8", errors="replace"))
        if found and int(found[-1][0]) >= max(1, int(fraction * int(found[-1][1]))):
            raise subprocess.TimeoutExpired(process.args, fraction)
        if time.monotonic() > deadline:
            raise AssertionError(f"{process.args} ran over {RUN_TIMEOUT}s:\n{_tail(log_path)}")
        time.sleep(0.05)


def _loaded_names(demo: Demo) -> set[str]:
    with duckdb.connect(str(demo.warehouse), read_only=True) as connection:
        rows = connection.execute("select file_name from raw.load_ledger where status = 'loaded'").fetchall()
    return {name for (name,) in rows}


def leftover_processes(demo: Demo, wait: float = 15.0) -> list[str]:
    """Live processes (dbt above all) whose command line names this test's data folder."""
    deadline = time.monotonic() + wait
    marker = str(demo.data_dir)
    while True:
        alive = []
        for process in psutil.process_iter(["pid", "cmdline", "status"]):
            try:
                command = " ".join(process.info["cmdline"] or [])
                if marker in command and process.info["status"] != psutil.STATUS_ZOMBIE:
                    alive.append(f"{process.info['pid']}: {command[:200]}")
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.2)


# --- what must hold after every kill and every run ----------------------------------------


def assert_ledger_consistent(demo: Demo) -> dict[str, str]:
    """Every loaded file: rows_read = rows_loaded + rows_quarantined, and the raw tables and
    the quarantine hold exactly that many of its rows; no file is loaded twice."""
    with duckdb.connect(str(demo.warehouse), read_only=True) as connection:
        tables = [  # every profile's raw table (hotline work orders, committee registers, …)
            name
            for (name,) in connection.execute(
                "select table_name from information_schema.columns "
                "where table_schema = 'raw' and column_name = '_file_id' order by 1"
            ).fetchall()
        ]
        landed_rows = " union all ".join(f"select _file_id as file_id from raw.{table}" for table in tables)
        problems = connection.execute(
            f"""
            with raw_rows as (select file_id, count(*) as n from ({landed_rows}) group by 1),
                 quarantined as (select file_id, count(*) as n from raw.quarantine group by 1)
            select l.file_name, l.rows_read, l.rows_loaded, l.rows_quarantined,
                   coalesce(r.n, 0), coalesce(q.n, 0)
            from raw.load_ledger l
            left join raw_rows r using (file_id)
            left join quarantined q using (file_id)
            where l.status = 'loaded'
              and (l.rows_read <> l.rows_loaded + l.rows_quarantined
                   or coalesce(r.n, 0) <> l.rows_loaded or coalesce(q.n, 0) <> l.rows_quarantined)
            """
        ).fetchall()
        assert problems == [], (
            f"ledger and tables disagree (read, loaded, quarantined, raw, quarantine): {problems[:5]}"
        )
        orphans = connection.execute(
            f"""
            select count(*) from ({landed_rows} union all select file_id from raw.quarantine)
            where file_id not in (select file_id from raw.load_ledger where status = 'loaded')
            """
        ).fetchone()[0]
        assert orphans == 0, f"{orphans} raw or quarantined rows belong to no loaded ledger row"
        twice = connection.execute(
            "select file_name, count(*) from raw.load_ledger where status = 'loaded' group by 1 having count(*) > 1"
        ).fetchall()
        assert twice == [], f"files loaded twice: {twice}"
        return dict(connection.execute("select file_id, file_name from raw.load_ledger").fetchall())


def assert_everything_landed_is_accounted_for(demo: Demo) -> None:
    """After a normal ingest: each landed file is loaded (by content) or has a rejected row."""
    ledger = assert_ledger_consistent(demo)
    rejected = {name for key, name in ledger.items() if key.startswith("rejected:")}
    loaded = {key for key in ledger if not key.startswith("rejected:")}
    landed = [path for path in demo.landing.rglob("*") if path.is_file()]
    expected = {file_id(path) for path in landed if path.relative_to(demo.landing).as_posix() not in rejected}
    assert loaded == expected, f"{len(expected - loaded)} landed files not loaded, {len(loaded - expected)} unknown"


def assert_no_process_left(demo: Demo, after: str) -> None:
    left = leftover_processes(demo)
    assert left == [], f"after {after}, processes of the test still run (dbt outlived its parent?): {left}"


def assert_publication_whole(demo: Demo, allowed: set[str | None]) -> str | None:
    """`current` is a complete version (or nothing was ever published) whose fingerprint is
    allowed; the published names resolve through it; BI readers can open the published file."""
    current = demo.published / "current"
    if not current.is_symlink():
        assert None in allowed, f"nothing is published, expected one of {allowed}"
        assert not (demo.published / "warehouse.duckdb").exists()
        return None
    version = current.resolve()
    assert version.parent == (demo.published / "versions").resolve(), version
    assert not version.name.startswith("."), f"current points at a half-written version {version.name}"
    manifest = json.loads((version / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["fingerprint"] in allowed, f"published {manifest['fingerprint'][:12]}, expected {allowed}"
    for name in PUBLISHED_FILES:
        assert (version / name).exists(), f"version {version.name} lacks {name}"  # a file, or the docs folder
        assert (demo.published / name).resolve() == version / name, name
    for other in (demo.published / "versions").iterdir():  # a version is complete, or hidden (.partial-*)
        assert other.name.startswith(".") or (other / "manifest.json").is_file(), f"incomplete version {other}"
    with duckdb.connect(str(demo.published / "warehouse.duckdb"), read_only=True) as connection:  # a BI reader
        tables = connection.execute("select table_name from duckdb_tables() where schema_name = 'main'").fetchall()
        assert {name for (name,) in tables} == set(manifest["tables"])
        table, rows = next(iter(manifest["tables"].items()))
        assert connection.execute(f'select count(*) from "{table}"').fetchone()[0] == rows
    return manifest["fingerprint"]


# --- the demo -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    root = tmp_path_factory.mktemp("kills")
    env = {key: value for key, value in os.environ.items() if not key.startswith("HOTLINE_")}
    env.update(
        HOTLINE_DATA_DIR=str(root / "data"),
        HOTLINE_HASH_KEY=HASH_KEY,
        HOTLINE_DBT_UNIT_TESTS="never",
        PYTHONUNBUFFERED="1",
    )
    demo = Demo(root / "data", env, held_back=[])
    demo.landing.mkdir(parents=True)
    started = time.monotonic()
    generate_hotline_exports(demo.landing, scale=float(SCALE))
    demo.speed = (time.monotonic() - started) / BASELINE_SECONDS["generate"]
    # the registers `hotline generate` writes too: the session's copy, 7 s of XLSX writing less
    shutil.copytree(member_records(session_root(tmp_path_factory))[0], demo.landing / "members")
    for month in range(1, 10):  # state A is the last quarter of 2022
        for path in demo.landing.glob(f"12345_gongdan_2022{month:02d}*"):
            path.unlink()
    # 2023 lands later, in slices of whole months
    held = root / "held_back"
    held.mkdir()
    for stratum in range(KILLS_PER_STEP):  # one slice per ingest kill
        chunk = []
        for month in range(1 + 12 * stratum // KILLS_PER_STEP, 1 + 12 * (stratum + 1) // KILLS_PER_STEP):
            for path in sorted(demo.landing.glob(f"12345_gongdan_2023{month:02d}*")):
                chunk.append(path.rename(held / path.name))
        demo.held_back.append(chunk)
    assert all(demo.held_back)
    yield demo
    for process in psutil.Process().children(recursive=True):  # never leave anything behind
        process.kill()


def _keep_state(demo: Demo, name: str) -> Path:
    """Keep the warehouse and its gate report as they are now (a gated state to publish)."""
    kept = demo.data_dir.parent / "states" / name
    kept.mkdir(parents=True)
    shutil.copy2(demo.warehouse, kept / demo.warehouse.name)
    shutil.copy2(demo.gate_report, kept / demo.gate_report.name)
    demo.states[name] = kept
    return kept


def _put_back(demo: Demo, kept: Path) -> str:
    for leftover in demo.warehouse.parent.glob(demo.warehouse.name + ".wal"):
        leftover.unlink()
    shutil.copy2(kept / demo.warehouse.name, demo.warehouse)
    shutil.copy2(kept / demo.gate_report.name, demo.gate_report)
    return json.loads(demo.gate_report.read_text(encoding="utf-8"))["marts_fingerprint"]


def test_kill_9_of_ingest_build_and_publish_leaves_a_consistent_pipeline(demo: Demo) -> None:
    rng = random.Random(7)
    hits = {"ingest": 0, "build": 0, "publish": 0}
    build_kills_with_dbt_running = 0
    started = time.monotonic()

    def killed_build(stratum: int, allowed: set[str | None]) -> None:
        nonlocal build_kills_with_dbt_running
        kill = kill_at(demo, rng, "build", stratum=stratum, at_dbt_node=stratum > 0)
        hits["build"] += kill.hit
        build_kills_with_dbt_running += bool(kill.children)
        assert_children_died(kill)
        assert_no_process_left(demo, "a killed build")
        _note(demo, _dbt_progress(kill.log_path))
        assert_publication_whole(demo, allowed)

    # state A: the exports of the last quarter of 2022, ingested, built after a killed build, gated and published
    run(demo, "ingest", "--allow-rejected")
    assert_everything_landed_is_accounted_for(demo)
    killed_build(1, {None})
    run(demo, "build")
    run(demo, "check")
    state_a = _keep_state(demo, "a")
    run(demo, "publish")
    fingerprint_a = assert_publication_whole(demo, {json.loads(demo.gate_report.read_text())["marts_fingerprint"]})

    # ingest: each slice of 2023 lands, the ingest loading it is killed, then run again
    slice_seconds = demo.measured["ingest"] * len(demo.held_back[0]) / len(list(demo.landing.rglob("*.*")))
    for stratum, chunk in enumerate(demo.held_back):
        for path in chunk:
            path.rename(demo.landing / path.name)
        kill = kill_at(demo, rng, "ingest", "--allow-rejected", stratum=stratum, expected=max(slice_seconds, 3.0))
        hits["ingest"] += kill.hit
        assert_children_died(kill)
        assert_no_process_left(demo, "a killed ingest")
        assert_ledger_consistent(demo)
        _note(demo, f"{len(_loaded_names(demo) & {path.name for path in chunk})} of {len(chunk)} new files loaded")
        slice_seconds = run(demo, "ingest", "--allow-rejected")
        assert_everything_landed_is_accounted_for(demo)
        assert_publication_whole(demo, {fingerprint_a})

    # build: killed while dbt runs; the publication in force stays A
    for stratum in [k for k in range(KILLS_PER_STEP) if k != 1]:  # stratum 1 came first
        killed_build(stratum, {fingerprint_a})
        run(demo, "build")
        assert_no_process_left(demo, "a build")
    run(demo, "check")
    state_b = _keep_state(demo, "b")

    # publish: B over A, then A over B (and so on); each killed, then run again
    old = fingerprint_a
    for stratum in range(KILLS_PER_STEP):
        state = (state_b, state_a)[stratum % 2]
        new = _put_back(demo, state)
        assert new != old
        kill = kill_at(demo, rng, "publish", stratum=stratum)
        hits["publish"] += kill.hit
        assert_children_died(kill)
        assert_no_process_left(demo, "a killed publish")
        in_force = assert_publication_whole(demo, {old, new})
        partial = list((demo.published / "versions").glob(".partial-*"))
        _note(demo, f"{'new' if in_force == new else 'old'} publication in force, {len(partial)} .partial-* left")
        run(demo, "publish")
        assert assert_publication_whole(demo, {new}) == new
        assert not list((demo.published / "versions").glob(".partial-*")), "a half-written version was left"
        old = new

    assert_ledger_consistent(demo)  # the state put back last (A, late 2022, with an even number of kills)
    assert_no_process_left(demo, "the last run")
    summary = "\n".join(demo.log)
    print(f"\n{summary}\nkills that hit a running command: {hits}; {time.monotonic() - started:.0f}s")
    # the delays are fractions of each step's duration: most kills must hit a running command,
    # and at least one build kill must catch dbt running, or "dbt dies with its parent" is untested
    assert sum(hits.values()) >= 2 * KILLS_PER_STEP, summary
    assert build_kills_with_dbt_running >= 1, summary


# `hotline publish`, with a SIGKILL of itself the moment `current` points at the new version
KILLED_RIGHT_AFTER_THE_SWAP = """
import os, signal, sys
from publication import publish

swap_in = publish._swap_in

def swap_in_then_die(*args):
    swap_in(*args)
    os.kill(os.getpid(), signal.SIGKILL)

publish._swap_in = swap_in_then_die
from pipeline.cli import app

sys.argv = ["hotline", "publish"]
app()
"""


def test_a_publish_killed_right_after_the_swap_still_gets_its_history_line(demo: Demo) -> None:
    if set(demo.states) != {"a", "b"}:
        pytest.skip("needs the two gated states the kill test keeps")
    old = current_fingerprint(demo.published)
    gated = {
        kept: json.loads((kept / demo.gate_report.name).read_text(encoding="utf-8"))["marts_fingerprint"]
        for kept in demo.states.values()
    }
    new = _put_back(demo, next(kept for kept, fingerprint in gated.items() if fingerprint != old))
    died = subprocess.run(
        [sys.executable, "-c", KILLED_RIGHT_AFTER_THE_SWAP],
        cwd=PROJECT_DIR,
        env=demo.env,
        capture_output=True,
        timeout=RUN_TIMEOUT,
        start_new_session=True,
    )
    assert died.returncode == -signal.SIGKILL, died.stdout.decode(errors="replace")[-2000:]
    assert assert_publication_whole(demo, {new}) == new  # the swap is whole: the new version is in force
    run(demo, "publish")
    history = (demo.published / "history.jsonl").read_text(encoding="utf-8").splitlines()
    assert json.loads(history[-1])["fingerprint"] == new, "the publication in force is not in history.jsonl"
