"""The pipeline's steps. The DAGs, the CLI and the tests call these functions and nothing else.

Each step takes the settings (paths) and returns a small report; a problem the user can fix
raises PipelineError with a one-line message.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from core.errors import PipelineError
from core.settings import Settings

log = logging.getLogger(__name__)

Progress = Callable[[int, int, str], None]


def generate(settings: Settings, *, scale: float = 1.0, seed: int = 12345, progress: Progress | None = None):
    """Write the demo exports into the landing folder (the hotline's daily files, 2022-2023)."""
    from demodata.hotline_exports import generate_hotline_exports

    settings.landing_dir.mkdir(parents=True, exist_ok=True)

    from demodata.committee_members import generate_member_records

    def report(done: int, total: int) -> None:
        if progress:
            progress(done, total, "exports")

    summary = generate_hotline_exports(settings.landing_dir, scale=scale, seed=seed, progress=report)
    generate_member_records(settings.landing_dir / "members", seed=seed)
    return summary


def ingest(
    settings: Settings,
    *,
    until: dt.date | None = None,
    as_of: dt.date | None = None,
    progress: Progress | None = None,
):
    """Load every landed export not yet in the ledger (exports dated up to `until`, when given).

    `as_of` is the export date of files whose profile takes it from the command line.
    """
    from core.warehouse import connect, writer_lock
    from ingestion.key_guard import check_hash_key
    from ingestion.loader import ingest_landing
    from ingestion.profiles import load_profiles

    profiles = load_profiles(settings.profiles_dirs)
    key = settings.hash_key()
    with writer_lock(settings.warehouse_path), connect(settings.warehouse_path, settings=settings) as connection:
        check_hash_key(connection, key)
        report = ingest_landing(
            connection, settings.landing_dir, profiles, key, until=until, as_of=as_of, progress=progress
        )
    log.info("ingest: %s", report.summary())
    if report.files_loaded:  # where the loading process's time went: what bounded the load
        log.info("ingest: %s", report.time_spent())
    return report


def reload(
    settings: Settings,
    *,
    profile_name: str | None = None,
    names: list[str] | None = None,
    as_of: dt.date | None = None,
    progress: Progress | None = None,
):
    """Read again files already loaded (a profile's, or the named ones), after a profile was fixed."""
    from core.warehouse import connect, writer_lock
    from ingestion.key_guard import check_hash_key
    from ingestion.loader import reload_files
    from ingestion.profiles import load_profiles

    profiles = load_profiles(settings.profiles_dirs)
    key = settings.hash_key()
    with writer_lock(settings.warehouse_path), connect(settings.warehouse_path, settings=settings) as connection:
        check_hash_key(connection, key)
        report = reload_files(
            connection,
            settings.landing_dir,
            profiles,
            key,
            profile_name=profile_name,
            names=names,
            as_of=as_of,
            progress=progress,
        )
    log.info("reload: %s", report.summary())
    return report


def build(settings: Settings, *, full_refresh: bool = False):
    """dbt build: seeds, staging, intermediate and marts, with their tests and unit tests.

    Incremental when the last build succeeded with the same dbt project: the big hotline
    models redo only the work orders whose exports changed, and the unit tests (which test the
    unchanged SQL, not the data) are left out. Otherwise, or with `full_refresh`, everything
    is rebuilt (docs/incremental.md).
    """
    from core.fingerprints import record as record_fingerprints
    from core.warehouse import writer_lock
    from pipeline import build_state
    from pipeline.dbt_runner import describe_failures, keep_failing_rows, read_run_results, run_dbt
    from quality.gate import record_failed_build

    # a gate report belongs to one build: the last one no longer speaks for the new marts
    (settings.quality_dir / "gate_report.json").unlink(missing_ok=True)
    with writer_lock(settings.warehouse_path):
        plan = build_state.plan(settings, full_refresh=full_refresh)
        args = build_state.dbt_build_args(settings, plan)
        previous_results = settings.dbt_target_dir / "run_results.json"
        if args is None and previous_results.exists():
            # no raw table changed since the last build: its results still describe the marts
            log.info("build: nothing changed since the last build")
            record_fingerprints(settings.warehouse_path, *plan.raw_fingerprints)
            return read_run_results(previous_results)
        build_state.forget(settings)
        build_state.write_changed_files(settings, plan)
        reason = plan.full_refresh_reason
        if reason:  # a full refresh is checked whole: the gate reuses nothing (quality/reuse.py)
            from quality.reuse import forget as forget_gate_results

            forget_gate_results(settings)
        changed = ", ".join(plan.changed_sources)
        log.info("build: %s", f"full refresh ({reason})" if reason else f"incremental (changed: {changed})")
        try:
            results = keep_failing_rows(settings, run_dbt(settings, args or ["build"]))
        finally:
            build_state.drop_changed_files(settings)
        failed = [r for r in results if r.status in ("error", "fail")]
        if not failed:  # dbt does not write the raw tables: the gate need not hash them again
            record_fingerprints(settings.warehouse_path, *plan.raw_fingerprints)
    if failed:
        record_failed_build(settings)
        skipped = sum(r.status == "skipped" for r in results)
        raise PipelineError(
            f"dbt build failed ({len(failed)} failing, {skipped} skipped because of them): "
            f"{describe_failures(results, settings.dbt_target_dir)}; "
            f"details in {settings.dbt_target_dir / 'run_results.json'}"
        )
    build_state.record_success(settings, plan)
    log.info("build: %d dbt nodes passed", len(results))
    return results


def check(settings: Settings, *, check_all: bool = False):
    """The quality gate: dbt test results plus the expectation suites. Raises when it fails.

    Checks over tables unchanged since the last passing gate are reused, unless `check_all`."""
    import json

    from core.warehouse import writer_lock
    from publication.gate_page import write_gate_page
    from quality.gate import run_gate
    from quality.results import warning_lines

    with writer_lock(settings.warehouse_path):
        report = run_gate(settings, check_all=check_all)
    # the same checks as a page to read in a browser, failing ones first (gate_report.html)
    page = write_gate_page(json.loads(report.path.read_text(encoding="utf-8")), report.path.with_suffix(".html"))
    if not report.passed:
        raise PipelineError(
            f"quality gate failed: {report.first_failure()}; full report in {report.path} (as a page: {page})"
        )
    log.info("gate: %d checks passed", len(report.checks))
    for line in warning_lines(report.checks):  # passed, but worth a look (in the Airflow task's log too)
        log.warning("gate: %s", line)
    return report


def publish(settings: Settings):
    """Copy the gated marts to the published file BI tools read; keeps the last good one otherwise."""
    from core.warehouse import writer_lock
    from pipeline.docs_site import write_dbt_docs
    from publication.publish import publish_marts

    with writer_lock(settings.warehouse_path):  # no build may change the marts while they are copied
        return publish_marts(settings, write_docs=lambda version_dir: write_dbt_docs(settings, version_dir))


def publish_postgres(settings: Settings):
    """Copy the current publication into PostgreSQL (HOTLINE_PG_DSN), for BI tools that connect over the
    network; switches its `published` schema to the new version in one transaction."""
    from publication.postgres import publish_to_postgres

    # reads only the published file (pinned to one version), so it needs no warehouse lock
    return publish_to_postgres(settings)


def scoring_workbook(settings: Settings, quarter: str):
    """The office's scoring workbook for a quarter (e.g. 2023Q4), from the published marts."""
    import re

    from publication.scoring_workbook import write_scoring_workbook

    if not re.fullmatch(r"20\d\dQ[1-4]", quarter):
        raise PipelineError(f"quarter {quarter!r}: write it like 2023Q4")
    path = settings.published_dir / f"member_scores_{quarter}.xlsx"
    members = write_scoring_workbook(settings.published_dir / "warehouse.duckdb", quarter, path)
    log.info("scoring workbook: %d members → %s", members, path)
    # 一人一档: a page per member for the quarter's year, beside the workbook
    from publication.member_dossier import write_member_dossiers

    dossiers = settings.published_dir / f"member_dossiers_{quarter[:4]}"
    pages = write_member_dossiers(settings.published_dir / "warehouse.duckdb", quarter, dossiers)
    log.info("member dossiers: %d pages → %s", pages, dossiers)
    return path, members


def attention(settings: Settings) -> dict:
    """What is late as of the last publication: items per kind and per unit, and the workbook
    every publication writes (attention.xlsx, by publication.publish from fct_attention_items)."""
    from core.warehouse import open_duckdb

    warehouse = settings.published_dir / "warehouse.duckdb"
    if not warehouse.exists():
        raise PipelineError(f"{warehouse}: nothing published yet; run `make run` or `hotline run`")
    with open_duckdb(warehouse, read_only=True, settings=settings) as connection:
        by_kind = connection.execute(
            """
            select kinds.attention_kind_label, count(items.item_id), max(items.as_of_date)
            from dim_attention_kind as kinds
            left join fct_attention_items as items on kinds.attention_kind = items.attention_kind
            group by kinds.attention_kind_label, kinds.sort_order order by kinds.sort_order
            """
        ).fetchall()
        by_unit = connection.execute(
            """
            select responsible_unit, count(*) from fct_attention_items
            where responsible_unit is not null group by 1 order by 2 desc, 1
            """
        ).fetchall()
    return {"by_kind": by_kind, "by_unit": by_unit, "workbook": settings.published_dir / "attention.xlsx"}


def published_kpis(settings: Settings) -> dict:
    """The KPIs as last published (what BI tools see)."""
    import json

    path = settings.published_dir / "kpis.json"
    if not path.exists():
        raise PipelineError(f"{path}: nothing published yet; run `make run` or `hotline run`")
    return json.loads(path.read_text(encoding="utf-8"))


def _ledger_summary(connection) -> tuple[tuple, list[tuple], list[tuple]]:
    loaded = connection.execute(
        """
        select count(*), coalesce(sum(rows_read), 0), coalesce(sum(rows_loaded), 0),
               coalesce(sum(rows_quarantined), 0), max(snapshot_date)
        from raw.load_ledger where status = 'loaded'
        """
    ).fetchone()
    rejected = connection.execute(
        "select file_name, error from raw.load_ledger where status = 'rejected' order by file_name"
    ).fetchall()
    warned = connection.execute(
        "select file_name, warnings from raw.load_ledger where warnings is not null order by file_name"
    ).fetchall()
    return loaded, rejected, warned


def status(settings: Settings) -> dict:
    """What the last runs did: files and rows loaded, rejected files, the gate, the publication."""
    import json

    import duckdb

    from core.warehouse import connect

    try:
        with connect(settings.warehouse_path, read_only=True, settings=settings) as connection:
            loaded, rejected, warned = _ledger_summary(connection)
    except duckdb.IOException:
        raise PipelineError(
            f"{settings.warehouse_path}: a pipeline step is writing the warehouse; run this again when it finishes"
        ) from None
    gate_path = settings.quality_dir / "gate_report.json"
    gate = json.loads(gate_path.read_text()) if gate_path.exists() else None
    manifest_path = settings.published_dir / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else None
    return {
        "files_loaded": loaded[0],
        "rows_read": loaded[1],
        "rows_loaded": loaded[2],
        "rows_quarantined": loaded[3],
        "newest_export": loaded[4],
        "rejected": rejected,
        "warnings": warned,
        "gate": gate,
        "gate_path": gate_path,
        "publication": manifest,
        "published_file": settings.published_dir / "warehouse.duckdb",
        # the dbt docs site and the gate's page of the publication in force (through `current`)
        "published_docs": {
            label: path
            for label, path in (
                ("dbt docs", settings.published_dir / "docs" / "index.html"),
                ("quality gate checks", settings.published_dir / "docs" / "gate.html"),
            )
            if path.exists()
        },
    }
