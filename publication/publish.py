"""Copy the gated marts to `data/published/`, atomically, keeping earlier publications.

Layout:
    published/warehouse.duckdb   the marts, one table each, for BI tools (open it read-only)
    published/kpis.json          the KPI marts as JSON
    published/kpis.xlsx          the same as a workbook, one sheet per grain
    published/kpi_trends.png     monthly volume, complaints and rates as a chart
    published/attention.xlsx     what is late today (fct_attention_items), a sheet per kind and a summary
    published/dashboard.html     the office's dashboard: one self-contained page, charts in Chinese
    published/manifest.json      what was published: fingerprint, gate, tables and row counts
    published/current            a link to the version folder in force; the names above go through it
    published/versions/<id>/     each publication in full, plus Parquet files of every mart
    published/docs/index.html   the dbt docs site (static, opens offline); docs/gate.html the
                                 quality gate's checks of this publication (质量检查结果)
    published/history.jsonl     one line per publication

Each publication is written in full into its own version folder; then the `current` link is
renamed onto it, so every published file switches at once and a reader sees the previous
publication or the new one, never half of either. A BI tool that holds the old file open
keeps reading it. A failed gate publishes nothing and leaves all of this alone.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from core.errors import PipelineError
from core.kpi_definitions import PERIOD_STATUS_LABELS
from core.settings import Settings
from core.warehouse import connect, mart_tables, marts_fingerprint, open_duckdb, table_content
from publication.attention_workbook import write_attention_workbook
from publication.dashboard import write_dashboard
from publication.gate_page import write_gate_page
from publication.mart_copy import write_marts
from publication.reports import write_trend_chart, write_workbook

KPI_TABLES = {"monthly": "kpi_hotline_monthly", "quarterly": "kpi_hotline_quarterly", "yearly": "kpi_hotline_yearly"}
PUBLISHED_FILES = (
    "warehouse.duckdb",
    "kpis.json",
    "kpis.xlsx",
    "kpi_trends.png",
    "attention.xlsx",
    "dashboard.html",
    "manifest.json",
    "docs",
)
GATE_PAGE = Path("docs") / "gate.html"  # inside a version folder, beside the dbt docs site


@dataclass(frozen=True)
class PublicationReport:
    changed: bool
    fingerprint: str
    directory: Path
    tables: dict[str, int]

    def summary(self) -> str:
        state = "published" if self.changed else "unchanged since the last publication"
        return f"{len(self.tables)} marts {state}: {self.directory / 'warehouse.duckdb'}"


def _kpis_document(connection: duckdb.DuckDBPyConnection, fingerprint: str) -> dict:
    as_of = connection.execute("select max(as_of_date) from wh.marts.fct_cases").fetchone()[0]
    document: dict = {"publication": fingerprint[:16], "data_as_of": as_of.isoformat() if as_of else None}
    # each row's period_status: final (最终) or provisional (暂定: its rates can still move)
    document["period_status_labels"] = PERIOD_STATUS_LABELS
    for grain, table in KPI_TABLES.items():
        frame = connection.execute(f"select * from wh.marts.{table} order by period_start").df()
        document[grain] = json.loads(frame.to_json(orient="records", date_format="iso", force_ascii=False))
        for row in document[grain]:  # dates, not midnight timestamps
            for key in ("period_start", "period_end", "final_from_date"):
                row[key] = row[key][:10] if row.get(key) else None
    return document


def _write_version(
    version_dir: Path, warehouse_path: Path, fingerprint: str, gate: dict, contents: dict[str, str]
) -> dict[str, int]:
    version_dir.mkdir(parents=True)
    # the marts that changed since the version in force are copied, the others taken from it
    current = version_dir.parent.parent / "current"
    tables, _ = write_marts(version_dir, warehouse_path, current.resolve() if current.exists() else None, contents)
    connection = open_duckdb(Path(":memory:"))
    try:
        connection.execute(f"attach '{warehouse_path}' as wh (read_only)")
        kpis = _kpis_document(connection, fingerprint)
        connection.execute("detach wh")
    finally:
        connection.close()
    (version_dir / "kpis.json").write_text(json.dumps(kpis, ensure_ascii=False, indent=2), encoding="utf-8")
    write_workbook(kpis, version_dir / "kpis.xlsx")
    write_trend_chart(kpis, version_dir / "kpi_trends.png")
    write_attention_workbook(version_dir / "warehouse.duckdb", version_dir / "attention.xlsx")
    write_dashboard(version_dir / "warehouse.duckdb", version_dir / "dashboard.html")  # from the published copy
    manifest = {
        "fingerprint": fingerprint,
        "data_as_of": kpis["data_as_of"],
        "published_at": dt.datetime.now().isoformat(timespec="seconds"),
        "gate_checked_at": gate.get("checked_at"),
        "dbt_invocation_id": gate.get("dbt_invocation_id"),
        "tables": tables,
    }
    (version_dir / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    return tables


def _swap_in(version_dir: Path, published_dir: Path) -> None:
    """Point `current` at the new version in one rename, so every published file switches at once."""
    temporary = published_dir / ".current.tmp"
    temporary.unlink(missing_ok=True)
    temporary.symlink_to(version_dir.relative_to(published_dir), target_is_directory=True)
    os.replace(temporary, published_dir / "current")
    for name in PUBLISHED_FILES:  # stable names for BI tools, through `current`
        link = published_dir / name
        if not (link.is_symlink() and os.readlink(link) == f"current/{name}"):
            link.unlink(missing_ok=True)
            link.symlink_to(Path("current") / name)


def _prune(versions_dir: Path, keep: int, current: Path) -> None:
    """Keep the newest `keep` complete publications; a half-written one (a publish that was
    killed) never counts as a version and is removed."""
    for partial in versions_dir.glob(".partial-*"):
        shutil.rmtree(partial, ignore_errors=True)
    versions = sorted(path for path in versions_dir.iterdir() if path.is_dir() and not path.name.startswith("."))
    for old in versions[: -max(keep, 1)]:
        if old.resolve() != current.resolve():
            shutil.rmtree(old)


def current_fingerprint(published_dir: Path) -> str | None:
    manifest = published_dir / "manifest.json"
    return json.loads(manifest.read_text())["fingerprint"] if manifest.exists() else None


def publish_marts(settings: Settings, *, write_docs: Callable[[Path], object] | None = None) -> PublicationReport:
    """`write_docs(version_dir)` adds the dbt docs site to a new version before it goes live."""
    gate_path = settings.quality_dir / "gate_report.json"
    if not gate_path.exists():
        raise PipelineError(f"{gate_path}: no quality gate report; run `hotline check` before publishing")
    gate = json.loads(gate_path.read_text())
    if not gate["passed"]:
        raise PipelineError(
            f"{gate_path}: the last quality gate failed; nothing published, the last good publication stays"
        )

    published = settings.published_dir
    # the caller holds the writer lock (pipeline.steps.publish): no build may change the marts meanwhile
    with connect(settings.warehouse_path, read_only=True, settings=settings) as connection:
        # each mart's rows, hashed once for the fingerprint and the copy's signatures
        contents = {table: table_content(connection, "marts", table) for table in mart_tables(connection)}
        fingerprint = marts_fingerprint(connection, contents=contents)
    if fingerprint != gate["marts_fingerprint"]:
        raise PipelineError(
            "the marts changed after the quality gate checked them; run `hotline check` again, then publish"
        )
    if fingerprint == current_fingerprint(published):
        manifest = json.loads((published / "manifest.json").read_text())
        return PublicationReport(False, fingerprint, published, manifest["tables"])
    stamp = dt.datetime.now().strftime("%Y%m%dT%H%M%S")
    version_dir = published / "versions" / f"{stamp}_{fingerprint[:12]}"
    # written under a hidden name and renamed when complete: a killed publish leaves no version
    partial = version_dir.with_name(f".partial-{version_dir.name}")
    tables = _write_version(partial, settings.warehouse_path, fingerprint, gate, contents)
    write_gate_page(gate, partial / GATE_PAGE)
    if write_docs is not None:
        write_docs(partial)
    partial.rename(version_dir)
    # history first: a publish killed between the two leaves a history line for a version
    # that never went live (its manifest says so), never a live version without one
    with (published / "history.jsonl").open("a", encoding="utf-8") as history:
        history.write((version_dir / "manifest.json").read_text().replace("\n", "") + "\n")
    _swap_in(version_dir, published)
    _prune(published / "versions", settings.publish_keep, published / "current")
    return PublicationReport(True, fingerprint, published, tables)
