"""Where the pipeline reads and writes, from environment variables with defaults under `data/`.

Every path a step uses comes from here, so the DAGs, the CLI and the tests agree.
"""

from __future__ import annotations

import os
import re
import secrets
import sys
from dataclasses import dataclass
from pathlib import Path

from core.errors import PipelineError

PROJECT_DIR = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    data_dir: Path

    @property
    def landing_dir(self) -> Path:
        return Path(os.environ.get("HOTLINE_LANDING_DIR", self.data_dir / "landing"))

    @property
    def warehouse_path(self) -> Path:
        return self.data_dir / "warehouse" / "hotline.duckdb"

    @property
    def published_dir(self) -> Path:
        return self.data_dir / "published"

    @property
    def quality_dir(self) -> Path:
        return self.data_dir / "quality"

    @property
    def dbt_project_dir(self) -> Path:
        return PROJECT_DIR / "dbt_project"

    @property
    def dbt_target_dir(self) -> Path:
        return self.data_dir / "dbt" / "target"

    @property
    def profiles_dirs(self) -> list[Path]:
        """The shipped source profiles, then each folder of HOTLINE_PROFILES_DIR (separated by ':').

        A deployment keeps its own profiles outside the code; one with the name of a shipped
        profile replaces it.
        """
        extra = os.environ.get("HOTLINE_PROFILES_DIR", "")
        return [PROJECT_DIR / "ingestion" / "profiles", *(Path(part) for part in extra.split(os.pathsep) if part)]

    @property
    def hash_key_path(self) -> Path:
        return self.data_dir / "secrets" / "hash_key"

    def hash_key(self) -> bytes:
        """The key for hashing personal data: HOTLINE_HASH_KEY, or a local key made on first use.

        The local key stays in the git-ignored data folder; production sets the variable.
        """
        from_env = os.environ.get("HOTLINE_HASH_KEY")
        if from_env:
            return from_env.encode()
        path = self.hash_key_path
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_hex(32))
            path.chmod(0o600)
        return path.read_text().strip().encode()

    @property
    def publish_keep(self) -> int:
        """Publications kept under published/versions and in PostgreSQL (HOTLINE_PUBLISH_KEEP, default 10)."""
        return positive_int("HOTLINE_PUBLISH_KEEP", 10)

    @property
    def pg_dsn(self) -> str | None:
        """The PostgreSQL database BI tools read (HOTLINE_PG_DSN: a libpq string or postgresql:// URI).

        Unset: the pipeline publishes the DuckDB file only.
        """
        return os.environ.get("HOTLINE_PG_DSN", "").strip() or None

    @property
    def dbt_parse_cache(self) -> Path | None:
        """A folder for dbt's parse of the project, shared by data folders (HOTLINE_DBT_PARSE_CACHE;
        unset: none). See pipeline/dbt_runner.py."""
        value = os.environ.get("HOTLINE_DBT_PARSE_CACHE", "").strip()
        return Path(value) if value else None

    @property
    def duckdb_temp_dir(self) -> Path:
        """Where DuckDB spills what does not fit in its memory limit: inside the data folder."""
        return self.data_dir / "tmp" / "duckdb"

    def duckdb_settings(self) -> dict[str, str | int]:
        """What every DuckDB connection of the pipeline runs with (ingest, dbt, the gate, publication).

        HOTLINE_DUCKDB_MEMORY_LIMIT: a size DuckDB reads ("2GB", "512MiB") or a share of the
        machine's memory ("20%"); default a quarter of the memory, at most 2 GiB, so that a big
        build spills to disk rather than taking the machine. HOTLINE_DUCKDB_THREADS: default the
        cores this process may use.
        """
        return {
            "memory_limit": duckdb_memory_limit(),
            "threads": positive_int("HOTLINE_DUCKDB_THREADS", len(os.sched_getaffinity(0))),
            "temp_directory": str(self.duckdb_temp_dir),
        }


def positive_int(name: str, default: int) -> int:
    """An environment variable holding a whole number above 0; one line naming it when it does not."""
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        number = 0
    if not 1 <= number <= sys.maxsize:
        raise PipelineError(
            f"{name}={value!r} is not a whole number above 0; set it to one (default {default}) or unset it"
        )
    return number


_MEMORY = re.compile(r"(\d+(\.\d+)?)\s*(%|b|bytes|[kmgt]i?b)", re.IGNORECASE)
DEFAULT_MEMORY_CAP = 2 * 1024**3


def duckdb_memory_limit() -> str:
    """HOTLINE_DUCKDB_MEMORY_LIMIT as DuckDB reads it; one line naming the setting when it cannot."""
    value = os.environ.get("HOTLINE_DUCKDB_MEMORY_LIMIT", "").strip()
    if not value:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        return f"{min(total // 4, DEFAULT_MEMORY_CAP) // 1024**2}MiB"
    found = _MEMORY.fullmatch(value)
    if not found or float(found.group(1)) <= 0 or (found.group(3) == "%" and float(found.group(1)) > 100):
        raise PipelineError(
            f"HOTLINE_DUCKDB_MEMORY_LIMIT={value!r} is not a memory size; set it like 2GB, 512MiB or 20% "
            "(of the machine's memory), or unset it (default a quarter of the memory, at most 2 GiB)"
        )
    return value


def task_retries() -> int:
    """Airflow retries of infrastructure failures (HOTLINE_TASK_RETRIES, default 1; 0 allowed)."""
    value = os.environ.get("HOTLINE_TASK_RETRIES", "").strip()
    return int(value) if value.isdigit() else 1


def max_field_chars(default: int) -> int:
    """The longest CSV cell read, in characters (HOTLINE_MAX_FIELD_CHARS)."""
    return positive_int("HOTLINE_MAX_FIELD_CHARS", default)


def get_settings() -> Settings:
    return Settings(data_dir=Path(os.environ.get("HOTLINE_DATA_DIR", PROJECT_DIR / "data")).resolve())


DBT_UNIT_TEST_CHOICES = ("on-full-refresh", "never")


def dbt_unit_tests() -> str:
    """When `dbt build` runs the dbt unit tests (HOTLINE_DBT_UNIT_TESTS): `on-full-refresh` (default;
    an incremental build leaves them out) or `never` (they test the SQL, not the data: a test
    suite runs them once rather than in every pipeline run)."""
    value = os.environ.get("HOTLINE_DBT_UNIT_TESTS", "").strip() or DBT_UNIT_TEST_CHOICES[0]
    if value not in DBT_UNIT_TEST_CHOICES:
        raise PipelineError(
            f"HOTLINE_DBT_UNIT_TESTS={value!r} is not one of {', '.join(DBT_UNIT_TEST_CHOICES)}; set one or unset it"
        )
    return value
