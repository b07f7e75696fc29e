"""Source profiles: YAML files that map an export layout's Chinese headers to canonical columns."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from pipeline.errors import PipelineError

COLUMN_TYPES = ("text", "timestamp", "date", "flag")
PERSONAL_KINDS = ("hash", "mask_text")


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    header: str
    type: str = "text"
    formats: tuple[str, ...] = ()
    personal: str | None = None


@dataclass(frozen=True)
class SourceProfile:
    name: str
    table: str
    filename_pattern: re.Pattern[str]
    headers_include: tuple[str, ...]
    snapshot_date_pattern: re.Pattern[str]
    columns: tuple[ColumnSpec, ...]
    required: tuple[str, ...]
    allowed: dict[str, tuple[str, ...]] = field(default_factory=dict)
    path: Path | None = None

    def matches(self, file_name: str, headers: list[str]) -> bool:
        return bool(self.filename_pattern.search(file_name)) and all(
            header in headers for header in self.headers_include
        )

    def snapshot_date(self, file_name: str) -> dt.date | None:
        found = self.snapshot_date_pattern.search(file_name)
        if not found:
            return None
        try:
            return dt.date(*(int(part) for part in found.groups()))
        except ValueError:
            return None


def _column_spec(name: str, raw: str | dict, default_formats: list[str], where: str) -> ColumnSpec:
    if isinstance(raw, str):
        return ColumnSpec(name=name, header=raw)
    if not isinstance(raw, dict) or "from" not in raw:
        raise PipelineError(f"{where}: column {name} needs a header or a mapping with `from:`")
    column_type = raw.get("type", "text")
    personal = raw.get("personal")
    if column_type not in COLUMN_TYPES:
        raise PipelineError(f"{where}: column {name} has type {column_type!r}; use one of {COLUMN_TYPES}")
    if personal is not None and personal not in PERSONAL_KINDS:
        raise PipelineError(f"{where}: column {name} has personal {personal!r}; use one of {PERSONAL_KINDS}")
    formats = tuple(raw.get("formats") or (default_formats if column_type in ("timestamp", "date") else ()))
    return ColumnSpec(name=name, header=raw["from"], type=column_type, formats=formats, personal=personal)


def load_profile(path: Path) -> SourceProfile:
    where = str(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise PipelineError(f"{where}: not valid YAML ({error.__class__.__name__}); fix the profile") from error
    try:
        columns = tuple(
            _column_spec(name, spec, raw.get("timestamp_formats", []), where) for name, spec in raw["columns"].items()
        )
        names = {column.name for column in columns}
        for required in raw.get("required", []):
            if required not in names:
                raise PipelineError(f"{where}: required column {required} is not mapped under `columns:`")
        return SourceProfile(
            name=raw["name"],
            table=raw["table"],
            filename_pattern=re.compile(raw["match"]["filename"]),
            headers_include=tuple(raw["match"].get("headers_include", [])),
            snapshot_date_pattern=re.compile(raw["snapshot_date"]["from_filename"]),
            columns=columns,
            required=tuple(raw.get("required", [])),
            allowed={key: tuple(values) for key, values in (raw.get("allowed") or {}).items()},
            path=path,
        )
    except KeyError as error:
        raise PipelineError(
            f"{where}: setting {error.args[0]} is missing; see the comments in the shipped profiles"
        ) from error


def load_profiles(directory: Path) -> list[SourceProfile]:
    profiles = [load_profile(path) for path in sorted(directory.glob("*.yaml"))]
    if not profiles:
        raise PipelineError(f"{directory}: no source profiles (*.yaml) found; add one per export layout")
    return profiles
