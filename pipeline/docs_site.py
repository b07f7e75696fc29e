"""The dbt docs site (models, columns with their Chinese labels, lineage, tests, catalog) as one
static HTML file, published with each version: `<version>/docs/index.html`.

Cheap by design: `dbt docs generate --no-compile --static` reuses the build's target (its
manifest.json and partial parse), so it only reads the catalog from the warehouse and inlines
manifest and catalog into dbt's index page, which then opens offline without a server.
Runs under the writer lock publication holds, after publication has closed the warehouse.

A daily run changes rows, not the site: when the dbt project and the warehouse's tables and
columns (names, types, comments: what the catalog holds) are those the publication in force
documented, its page is copied instead of generated again (docs/incremental.md).
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import sys
import time
from pathlib import Path

from core.errors import PipelineError
from core.settings import Settings
from pipeline.dbt_runner import dbt_environment, dbt_working_dir, run_relayed

log = logging.getLogger(__name__)
DOCS_PAGE = Path("docs") / "index.html"  # inside a version folder
DOCS_SOURCE = Path("docs") / ".source"  # beside it: the digest of what the page documents


def docs_source(settings: Settings) -> str:
    """A digest of what the docs site shows: the dbt project's files and every relation's columns
    (not the raw tables', nor those in audit: a build's failing test rows, which it does not show)."""
    from core.warehouse import connect
    from pipeline.build_state import project_fingerprint

    with connect(settings.warehouse_path, read_only=True, settings=settings) as connection:
        columns = connection.execute(
            """
            select c.table_schema, c.table_name, c.column_name, c.data_type, c.ordinal_position,
                   coalesce(d.comment, ''), coalesce(t.comment, '')
            from information_schema.columns as c
            left join duckdb_columns() as d
                on d.database_name = c.table_catalog and d.schema_name = c.table_schema
                and d.table_name = c.table_name and d.column_name = c.column_name
            left join duckdb_tables() as t
                on t.database_name = c.table_catalog and t.schema_name = c.table_schema and t.table_name = c.table_name
            where c.table_catalog = current_database() and c.table_schema not in ('raw', 'audit')
            order by all
            """
        ).fetchall()
    digest = hashlib.sha256(project_fingerprint(settings.dbt_project_dir).encode())
    digest.update(repr(columns).encode())
    return digest.hexdigest()


def write_dbt_docs(settings: Settings, version_dir: Path) -> Path:
    """Generate the static docs site from the last build's target and copy it into `version_dir`."""
    target = settings.dbt_target_dir
    page = version_dir / DOCS_PAGE
    source = docs_source(settings)
    in_force = settings.published_dir / "current"
    if (in_force / DOCS_SOURCE).exists() and (in_force / DOCS_SOURCE).read_text() == source:
        page.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(in_force / DOCS_PAGE, page)
        (version_dir / DOCS_SOURCE).write_text(source)
        log.info("dbt docs unchanged since the publication in force: its page copied")
        return page
    if not (target / "manifest.json").exists():
        raise PipelineError(f"{target / 'manifest.json'}: no dbt build to document; run `hotline build` first")
    static_page = target / "static_index.html"
    static_page.unlink(missing_ok=True)  # never publish an older build's docs
    environment = dbt_environment(settings)
    started = time.monotonic()
    exit_code = run_relayed(
        [
            str(Path(sys.executable).parent / "dbt"),
            "docs",
            "generate",
            "--no-compile",  # the build compiled every node; its manifest.json is reused as it is
            "--static",
            "--project-dir",
            str(settings.dbt_project_dir),
            "--profiles-dir",
            str(settings.dbt_project_dir),
            "--target-path",
            str(target),
            "--log-path",
            str(target.parent / "logs"),
        ],
        env=environment,
        cwd=dbt_working_dir(settings),
    )
    if exit_code != 0 or not static_page.exists():
        raise PipelineError(
            f"dbt docs generate failed (exit {exit_code}); nothing published; see {target.parent / 'logs' / 'dbt.log'}"
        )
    page.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(static_page, page)
    (version_dir / DOCS_SOURCE).write_text(source)
    log.info("dbt docs generated in %.1f s (%d kB)", time.monotonic() - started, page.stat().st_size // 1024)
    return page
