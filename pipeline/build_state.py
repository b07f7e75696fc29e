"""What `hotline build` must rebuild (docs/incremental.md).

An incremental build rebuilds only the models downstream of the raw tables that changed since
the last build, and within them the big hotline models (stg_hotline__work_orders,
fct_case_events, fct_cases) redo only the work orders whose export rows changed. That is only
sound when the last build succeeded and was made by the same dbt project: a changed model,
macro, seed (the calendar, the time limits) or var can change any row. So a successful build
records a hash of the project's files and of each raw table's rows as the build saw them; a
build finds a full refresh needed when there is no such record (no build yet, or the last one
failed) or the project's hash differs.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from core.fingerprints import recorded, table_fingerprints
from core.settings import Settings
from core.warehouse import open_duckdb

# dbt's own output inside the project folder, when someone runs dbt there by hand
_NOT_PROJECT = {"target", "logs", "dbt_packages", ".user.yml"}


def project_fingerprint(project_dir: Path) -> str:
    """SHA-256 over the dbt project's files (names and bytes): models, macros, seeds, vars."""
    digest = hashlib.sha256()
    for path in sorted(project_dir.rglob("*")):
        relative = path.relative_to(project_dir)
        if not path.is_file() or relative.parts[0] in _NOT_PROJECT or "__pycache__" in relative.parts:
            continue
        digest.update(str(relative).encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _state_path(settings: Settings) -> Path:
    return settings.dbt_target_dir.parent / "build_state.json"


@dataclass(frozen=True)
class BuildPlan:
    full_refresh_reason: str | None  # None: incremental
    project_fingerprint: str
    source_signatures: dict[str, list]
    changed_sources: list[str] = field(default_factory=list)  # raw tables changed since the last build
    # the raw tables' fingerprints (core/fingerprints.py), recorded for the gate once dbt is done
    raw_fingerprints: tuple[dict, dict] = ({}, {})
    # the hotline exports new since the last build (or whose ledger row changed), by file id;
    # None: find the changed orders by hashing every snapshot row (changed_files says when)
    hotline_changed_files: list[str] | None = None


def raw_fingerprints(warehouse_path: Path) -> tuple[dict, dict]:
    """The raw tables' fingerprints, whole and per file: what the build reads (taken from the
    record while the warehouse is untouched since it was made)."""
    if not warehouse_path.exists():
        return {}, {}
    known = recorded(warehouse_path)
    with open_duckdb(warehouse_path, read_only=True) as connection:
        return table_fingerprints(connection, ("raw",), set(), known)


def source_signatures(fingerprints: dict[str, str]) -> dict[str, list]:
    """Each raw table's row count and hash of its rows (order-independent), as build_state.json keeps them."""
    signatures = {}
    for name, fingerprint in fingerprints.items():
        count, total = fingerprint.split(":")
        signatures[name.removeprefix("raw.")] = [int(count), total]
    return signatures


def built_relations(warehouse_path: Path) -> list[str]:
    """The tables and views dbt made (every schema but raw and the test failures in audit): a
    record of a build holds only for a warehouse that still has them all."""
    if not warehouse_path.exists():
        return []
    with open_duckdb(warehouse_path, read_only=True) as connection:
        return [
            name
            for (name,) in connection.execute(
                "select table_schema || '.' || table_name from information_schema.tables "
                "where table_catalog = current_database() and table_schema not in ('raw', 'audit') order by 1"
            ).fetchall()
        ]


def plan(settings: Settings, *, full_refresh: bool = False) -> BuildPlan:
    """Full refresh (and why) or incremental (and which raw tables changed)."""
    fingerprint = project_fingerprint(settings.dbt_project_dir)
    fingerprints = raw_fingerprints(settings.warehouse_path)
    signatures = source_signatures(fingerprints[0])
    path = _state_path(settings)
    recorded = json.loads(path.read_text()) if path.exists() else None
    if full_refresh:
        reason = "asked for"
    elif recorded is None or not settings.warehouse_path.exists():
        reason = "no successful build of this warehouse on record"
    elif not set(recorded.get("relations", [])) <= set(built_relations(settings.warehouse_path)):
        # a new or restored warehouse file beside an older record: build it whole
        reason = "the warehouse lacks tables the last build made"
    elif recorded.get("project_fingerprint") != fingerprint:
        reason = "the dbt project (models, macros, seeds or vars) changed since the last build"
    else:
        before = recorded.get("source_signatures", {})
        tables = signatures.keys() | before.keys()
        changed = sorted(table for table in tables if signatures.get(table) != before.get(table))
        files = changed_files(recorded.get("source_files"), fingerprints[1])
        return BuildPlan(None, fingerprint, signatures, changed, fingerprints, files)
    return BuildPlan(reason, fingerprint, signatures, sorted(signatures), fingerprints)


# what the staged orders are read from (stg_hotline__work_order_snapshots): an export row, and
# its file's ledger row (profile, deadline policy)
HOTLINE_EXPORTS, LEDGER = "raw.hotline_work_orders", "raw.load_ledger"
CHANGED_FILES_TABLE = "build_plan.hotline_changed_files"


def changed_files(before: dict | None, by_source: dict) -> list[str] | None:
    """The hotline exports new since the last build, or whose ledger row changed (their rows are
    all still there: each of their orders is redone whole), from the per-file fingerprints.

    None when an export went away or its rows changed (a reload, a hand edit: rows may have left
    an order, and which ones is not known from the rows left), or when there is nothing to
    compare with: the changed orders are then found by hashing every snapshot row."""
    if not before or HOTLINE_EXPORTS not in before or HOTLINE_EXPORTS not in by_source:
        return None
    exports_now, exports_then = by_source[HOTLINE_EXPORTS][1], before[HOTLINE_EXPORTS]
    if any(exports_now.get(file) != fingerprint for file, fingerprint in exports_then.items()):
        return None
    ledger_now, ledger_then = (by_source.get(LEDGER) or (None, {}))[1], before.get(LEDGER, {})
    return sorted(
        file for file in exports_now if file not in exports_then or ledger_now.get(file) != ledger_then.get(file)
    )


def write_changed_files(settings: Settings, built: BuildPlan) -> None:
    """Tell stg_hotline__work_orders which exports changed (a table of their file ids), or, by its
    absence, to hash every snapshot row to find the changed orders. Written afresh for every
    build: a list left from an earlier one must never be read."""
    if not settings.warehouse_path.exists():
        return  # the first build: a full refresh
    schema = CHANGED_FILES_TABLE.split(".")[0]
    with open_duckdb(settings.warehouse_path) as connection:
        connection.execute(f"drop schema if exists {schema} cascade")
        if built.full_refresh_reason is None and built.hotline_changed_files is not None:
            connection.execute(f"create schema {schema}")
            connection.execute(f"create table {CHANGED_FILES_TABLE} (file_id varchar not null)")
            # none when only other sources changed (the model is then not selected at all)
            connection.execute(
                f"insert into {CHANGED_FILES_TABLE} select unnest(?::varchar[])", [built.hotline_changed_files]
            )


def drop_changed_files(settings: Settings) -> None:
    """The build is over: its list of changed exports goes, leaving nothing behind that the next
    build, the gate or the docs site would see."""
    if settings.warehouse_path.exists():
        with open_duckdb(settings.warehouse_path) as connection:
            connection.execute(f"drop schema if exists {CHANGED_FILES_TABLE.split('.')[0]} cascade")


def dbt_build_args(settings: Settings, built: BuildPlan) -> list[str] | None:
    """The `dbt build` arguments for the plan; None when nothing changed since the last build."""
    if built.full_refresh_reason:
        return ["build", "--full-refresh"]
    manifest = settings.dbt_target_dir / "manifest.json"
    known = (
        {node["name"] for node in json.loads(manifest.read_text())["sources"].values() if node["source_name"] == "raw"}
        if manifest.exists()
        else set(built.changed_sources)
    )
    changed = [table for table in built.changed_sources if table in known]
    if not changed:
        return None
    # unit tests test the SQL, unchanged since the full build that ran them
    return ["build", "--select", *(f"source:raw.{table}+" for table in changed), "--exclude-resource-type", "unit_test"]


def forget(settings: Settings) -> None:
    """A build is starting: until it succeeds, the next one must be a full refresh."""
    _state_path(settings).unlink(missing_ok=True)


def record_success(settings: Settings, built: BuildPlan) -> None:
    path = _state_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {
        "project_fingerprint": built.project_fingerprint,
        "source_signatures": built.source_signatures,
        "full_refresh": built.full_refresh_reason is not None,
        "relations": built_relations(settings.warehouse_path),
        # per file, for the next build's changed_files
        "source_files": {
            table: files
            for table, (_, files) in built.raw_fingerprints[1].items()
            if table in (HOTLINE_EXPORTS, LEDGER)
        },
    }
    path.write_text(json.dumps(state, indent=1) + "\n")
