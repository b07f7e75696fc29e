"""The dbt docs site (models, columns with their Chinese labels, lineage, tests, catalog) as one
static HTML file, published with each version: `<version>/docs/index.html`.

Cheap by design: `dbt docs generate --no-compile --static` reuses the build's target (its
manifest.json and partial parse), so it only reads the catalog from the warehouse and inlines
manifest and catalog into dbt's index page, which then opens offline without a server.
Runs under the writer lock publication holds, after publication has closed the warehouse.
"""

from __future__ import annotations

import logging
import shutil
import sys
import time
from pathlib import Path

from core.errors import PipelineError
from core.settings import Settings
from pipeline.dbt_runner import dbt_environment, run_relayed

log = logging.getLogger(__name__)
DOCS_PAGE = Path("docs") / "index.html"  # inside a version folder


def write_dbt_docs(settings: Settings, version_dir: Path) -> Path:
    """Generate the static docs site from the last build's target and copy it into `version_dir`."""
    target = settings.dbt_target_dir
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
    )
    if exit_code != 0 or not static_page.exists():
        raise PipelineError(
            f"dbt docs generate failed (exit {exit_code}); nothing published; see {target.parent / 'logs' / 'dbt.log'}"
        )
    page = version_dir / DOCS_PAGE
    page.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(static_page, page)
    log.info("dbt docs generated in %.1f s (%d kB)", time.monotonic() - started, page.stat().st_size // 1024)
    return page
