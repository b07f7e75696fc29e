"""Where the pipeline reads and writes, from environment variables with defaults under `data/`.

Every path a step uses comes from here, so the DAGs, the CLI and the tests agree.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

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


def get_settings() -> Settings:
    return Settings(data_dir=Path(os.environ.get("HOTLINE_DATA_DIR", PROJECT_DIR / "data")).resolve())
