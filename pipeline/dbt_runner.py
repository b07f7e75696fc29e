"""Running the dbt project against the warehouse the settings name.

dbt runs in a child process: dbt-duckdb keeps its DuckDB connection open for the life of
the process, which would stop the gate and publication from opening the file afterwards
when a DAG runs all tasks in one process (`airflow dags test`). dbt's own progress lines
stream to the caller's output (the terminal, or the Airflow task log).

dbt dies with its parent, or it would go on writing the DuckDB file after the writer lock it
ran under was released: it runs in its own session (so its process group can be killed
whole), on Linux with a parent-death signal (so even a `kill -9` of `hotline build` kills
it), and when the parent is stopped by SIGTERM, Ctrl-C or an exception (an Airflow task
timeout) while dbt runs, dbt's process group is killed and waited for.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from core.errors import PipelineError
from core.settings import Settings, dbt_unit_tests

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DbtNodeResult:
    unique_id: str
    resource_type: str
    status: str
    failures: int | None
    message: str | None
    relation_name: str | None = None  # where the test's failing rows are kept (keep_failing_rows)


def run_dbt(settings: Settings, args: list[str], *, target_dir: Path | None = None) -> list[DbtNodeResult]:
    """Run one dbt command; returns each node's result. Raises PipelineError when dbt cannot run."""
    target_dir = target_dir or settings.dbt_target_dir
    target_dir.mkdir(parents=True, exist_ok=True)
    run_results = target_dir / "run_results.json"
    run_results.unlink(missing_ok=True)  # never judge this run by an older run's results
    environment = dbt_environment(settings)
    command = [
        str(Path(sys.executable).parent / "dbt"),
        *with_unit_test_setting(args),
        "--project-dir",
        str(settings.dbt_project_dir),
        "--profiles-dir",
        str(settings.dbt_project_dir),
        "--target-path",
        str(target_dir),
        "--log-path",
        str(settings.dbt_target_dir.parent / "logs"),
    ]
    reuse_shared_parse(settings, target_dir, environment)
    exit_code = run_relayed(command, env=environment, cwd=dbt_working_dir(settings))
    share_parse(settings, target_dir, environment)
    if not run_results.exists():
        raise PipelineError(
            f"dbt {args[0]} could not run (exit {exit_code}); see {settings.dbt_target_dir.parent / 'logs'}"
        )
    return read_run_results(run_results)


def keep_failing_rows(settings: Settings, results: list[DbtNodeResult]) -> list[DbtNodeResult]:
    """Keep the rows of the data tests that failed or warned in the audit schema, and name that
    table in the build's run_results.json (relation_name), where the gate report and the build's
    error message look for it. Returns the results with relation_name set.

    dbt is told to store no test's rows (dbt_project.yml): storing them makes every test a
    table, ~25 ms each, a third of a small build's time although nearly all tests pass. The
    tests that did not pass run once more with --store-failures, over the same marts (the
    caller holds the writer lock), in a target folder of their own so the build's artefacts stay;
    the tests of severity warn store their rows in the build itself (their own store_failures),
    and are not run again. The audit schema holds the rows of this build's failures only: earlier
    ones, and the empty tables of stored tests that passed, are dropped.
    """
    from core.warehouse import connect

    not_passed = [r for r in results if r.resource_type == "test" and r.status in ("fail", "warn")]
    stored = {r.relation_name.rsplit(".", 1)[-1].strip('"') for r in not_passed if r.relation_name}
    with connect(settings.warehouse_path, settings=settings) as connection:  # the rows of earlier failures go
        for (table,) in connection.execute(
            "select table_name from duckdb_tables() where schema_name = 'audit' and database_name = current_database()"
        ).fetchall():
            if table not in stored:
                connection.execute(f'drop table audit."{table}"')
    names = [r.unique_id.split(".")[2] for r in not_passed if not r.relation_name]
    if not names:
        return results
    rerun_dir = settings.dbt_target_dir.parent / "target_failing_rows"
    rerun_dir.mkdir(parents=True, exist_ok=True)
    parsed = settings.dbt_target_dir / "partial_parse.msgpack"
    if parsed.exists():  # the build's parse, reused: 5 s instead of 9 at scale 0.01
        shutil.copyfile(parsed, rerun_dir / parsed.name)
    try:
        run_dbt(settings, ["test", "--store-failures", "--select", *names], target_dir=rerun_dir)
    except PipelineError as error:  # the rows are a help to read the failure, never a reason to hide it
        log.warning("the failing tests' rows could not be kept: %s", error)
        return results
    rerun = json.loads((rerun_dir / "run_results.json").read_text())["results"]
    relations = {item["unique_id"]: item.get("relation_name") for item in rerun if item.get("relation_name")}
    build_results_path = settings.dbt_target_dir / "run_results.json"
    build_results = json.loads(build_results_path.read_text())
    for item in build_results["results"]:
        if item["unique_id"] in relations:
            item["relation_name"] = relations[item["unique_id"]]
    build_results_path.write_text(json.dumps(build_results), encoding="utf-8")
    return [replace(r, relation_name=relations.get(r.unique_id, r.relation_name)) for r in results]


def dbt_working_dir(settings: Settings) -> Path:
    """Where dbt runs: the warehouse's folder, which the paths of dbt_environment are relative to."""
    return settings.warehouse_path.parent


def dbt_environment(settings: Settings) -> dict[str, str]:
    """The environment dbt runs in (in dbt_working_dir): the warehouse, and the DuckDB limits every
    connection runs with.

    The paths are relative, so every data folder of one layout gives dbt the same profile: dbt
    reuses a parse of the project only under the profile it was made with (it hashes the
    connection's settings, paths included), and a parse costs ~4 s of CPU.
    """
    duckdb_settings = settings.duckdb_settings()
    Path(duckdb_settings["temp_directory"]).mkdir(parents=True, exist_ok=True)
    here = dbt_working_dir(settings)
    here.mkdir(parents=True, exist_ok=True)

    def relative(path) -> str:  # of the real paths: `..` out of a linked folder leads elsewhere
        return os.path.relpath(os.path.realpath(path), os.path.realpath(here))

    return {
        **os.environ,
        "HOTLINE_WAREHOUSE_PATH": relative(settings.warehouse_path),
        "HOTLINE_DUCKDB_MEMORY_LIMIT": str(duckdb_settings["memory_limit"]),
        "HOTLINE_DUCKDB_THREADS": str(duckdb_settings["threads"]),
        "HOTLINE_DUCKDB_TEMP_DIRECTORY": relative(duckdb_settings["temp_directory"]),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
        "DBT_USE_COLORS": "False",
    }


# HOTLINE_DBT_PARSE_CACHE: a folder where dbt runs keep their parse of the project
# (partial_parse.msgpack) for the runs of data folders that have none yet: workers started fresh
# (a container per task), the test suite's many pipelines. One file per profile (dbt parses whole
# under another); dbt checks each file of the project against the parse and re-parses what changed.
# what dbt_project/profiles.yml reads from the environment
PROFILE_VARIABLES = (
    "HOTLINE_WAREHOUSE_PATH",
    "HOTLINE_DUCKDB_MEMORY_LIMIT",
    "HOTLINE_DUCKDB_THREADS",
    "HOTLINE_DUCKDB_TEMP_DIRECTORY",
)
_PARSE_FILE = "partial_parse.msgpack"


def _shared_parse(settings: Settings, environment: Mapping[str, str]) -> Path | None:
    """The shared parse for this profile, dbt version and project (a changed project gets a new one)."""
    if settings.dbt_parse_cache is None:
        return None
    from importlib.metadata import version

    from pipeline.build_state import project_fingerprint

    key = [environment.get(name) for name in PROFILE_VARIABLES]
    key += [version("dbt-core"), project_fingerprint(settings.dbt_project_dir)]
    return settings.dbt_parse_cache / f"{hashlib.sha256(repr(key).encode()).hexdigest()[:16]}.msgpack"


def reuse_shared_parse(settings: Settings, target_dir: Path, environment: Mapping[str, str]) -> None:
    try:
        shared = _shared_parse(settings, environment)
        if shared and shared.is_file() and not (target_dir / _PARSE_FILE).exists():
            shutil.copyfile(shared, target_dir / _PARSE_FILE)
    except OSError as error:  # a help, never a reason to fail: dbt parses whole
        log.warning("the shared dbt parse could not be used: %s", error)


def share_parse(settings: Settings, target_dir: Path, environment: Mapping[str, str]) -> None:
    try:
        shared = _shared_parse(settings, environment)
        if shared is None or shared.exists() or not (target_dir / _PARSE_FILE).is_file():
            return
        shared.parent.mkdir(parents=True, exist_ok=True)
        partial = shared.with_name(f"{shared.name}.{os.getpid()}.{threading.get_ident()}.partial")
        shutil.copyfile(target_dir / _PARSE_FILE, partial)
        os.replace(partial, shared)  # whole or not at all, for a reader in another process
    except OSError as error:
        log.warning("the dbt parse could not be shared: %s", error)


def with_unit_test_setting(args: list[str]) -> list[str]:
    """The dbt arguments, leaving the unit tests out of a `build` when HOTLINE_DBT_UNIT_TESTS is `never`."""
    if args[:1] == ["build"] and "unit_test" not in args and dbt_unit_tests() == "never":
        return [*args, "--exclude-resource-type", "unit_test"]
    return args


# Runs in the child before the command: asks Linux to SIGKILL it when its parent dies, then
# becomes the command (the setting survives exec). A wrapper rather than a `preexec_fn`, which
# is unsafe in a process with threads (Airflow's task runner has some).
# argv: the parent's pid, then the command.
_DIE_WITH_PARENT = """
import ctypes, os, signal, sys
PR_SET_PDEATHSIG = 1
libc = ctypes.CDLL(None, use_errno=True)
if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
    sys.exit(f"prctl(PR_SET_PDEATHSIG): {os.strerror(ctypes.get_errno())}")
if os.getppid() != int(sys.argv[1]):
    sys.exit(f"{sys.argv[2]}: not started, its parent had already exited")
try:
    os.execvp(sys.argv[2], sys.argv[2:])
except OSError as error:
    print(f"{sys.argv[2]}: {error.strerror}", file=sys.stderr, flush=True)
    os._exit(127)
"""


def run_relayed(
    command: Sequence[str | os.PathLike], *, env: Mapping[str, str] | None = None, cwd: Path | None = None
) -> int:
    """Run `command`, relaying its output (stdout and stderr) line by line; returns its exit code.

    The command dies with this process, however this process ends (see the module docstring).
    Call it from a thread that stays until it returns: Linux sends the parent-death signal
    when the thread that started the child ends. A command that cannot be started exits 127.
    """
    launched = [os.fspath(part) for part in command]
    if sys.platform.startswith("linux"):
        launched = [sys.executable, "-I", "-S", "-c", _DIE_WITH_PARENT, str(os.getpid()), *launched]
    child = subprocess.Popen(
        launched,
        env=None if env is None else dict(env),
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        encoding="utf-8",
        errors="replace",  # a stray byte must not stop the relay, and with it the child
        start_new_session=True,  # its own process group, to kill whole; Ctrl-C reaches it through us
    )
    try:
        with _killed_on_sigterm(child):
            for line in child.stdout:  # relay as it comes: dbt's progress is the step's progress
                print(line, end="", flush=True)
            return child.wait()
    except BaseException:  # Ctrl-C, an Airflow timeout, a failed relay: the child must not outlive us
        _kill_process_group(child)
        raise
    finally:
        child.stdout.close()


def _kill_process_group(child: subprocess.Popen) -> None:
    """SIGKILL the child's process group (the child and whatever it started) and reap the child."""
    with contextlib.suppress(ProcessLookupError, PermissionError):  # the group has already gone
        os.killpg(child.pid, signal.SIGKILL)  # its pid is its group's id (start_new_session)
    child.wait()


@contextmanager
def _killed_on_sigterm(child: subprocess.Popen) -> Iterator[None]:
    """While the child runs, a SIGTERM to this process first kills the child's process group.

    Then the SIGTERM goes on as before: to the handler that was set (Airflow's calls the
    task's on_kill), or by default it ends this process, as it would have without the child.
    """
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may set signal handlers; the parent-death signal still holds
        return
    previous = signal.getsignal(signal.SIGTERM)
    if previous is None:  # a handler set outside Python: leave it alone
        yield
        return

    def on_sigterm(signum, frame):
        _kill_process_group(child)
        if callable(previous):
            previous(signum, frame)
        elif previous == signal.SIG_DFL:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTERM)

    signal.signal(signal.SIGTERM, on_sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def read_run_results(path: Path) -> list[DbtNodeResult]:
    results = json.loads(path.read_text())["results"]
    return [
        DbtNodeResult(
            unique_id=item["unique_id"],
            resource_type=item["unique_id"].split(".")[0],
            status=item["status"],
            failures=item.get("failures"),
            message=item.get("message"),
            relation_name=item.get("relation_name") if item["unique_id"].startswith("test.") else None,
        )
        for item in results
    ]


def describe_failures(results: list[DbtNodeResult], target_dir: Path, *, limit: int = 3) -> str:
    """Failed dbt nodes in human terms: which model and column, which test, how many rows,
    and the values that failed where the test stored them; skipped nodes are not listed."""
    failed = [result for result in results if result.status in ("error", "fail")]
    manifest_path = target_dir / "manifest.json"
    nodes = json.loads(manifest_path.read_text()).get("nodes", {}) if manifest_path.exists() else {}
    unit_tests = json.loads(manifest_path.read_text()).get("unit_tests", {}) if manifest_path.exists() else {}
    parts = []
    for result in failed[:limit]:
        node = nodes.get(result.unique_id) or unit_tests.get(result.unique_id) or {}
        first_line = (result.message or result.status).strip().splitlines()[0][:300]
        if result.resource_type == "test":
            model = (node.get("attached_node") or "").rsplit(".", 1)[-1] or "?"
            column = node.get("column_name")
            test = (node.get("test_metadata") or {}).get("name") or node.get("name", result.unique_id)
            where = f"{model}.{column}" if column else model
            rows = f" on {result.failures} row(s)" if result.failures else ""
            stored = result.relation_name
            parts.append(f"{where}: test {test} failed{rows}" + (f" (rows kept in {stored})" if stored else ""))
        elif result.resource_type == "unit_test":
            parts.append(f"unit test {node.get('name', result.unique_id)} of {node.get('model', '?')}: {first_line}")
        else:
            parts.append(f"{result.resource_type} {result.unique_id.rsplit('.', 1)[-1]}: {first_line}")
    more = f"; and {len(failed) - limit} more" if len(failed) > limit else ""
    return "; ".join(parts) + more
