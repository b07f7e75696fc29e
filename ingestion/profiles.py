"""Source profiles: YAML files that describe an export layout, checked before anything loads.

The language is documented in docs/source_profiles.md. A profile for the work-order table is
checked against the canonical contract (ingestion/contract.py): unknown columns, type clashes,
value maps into values outside a vocabulary and unmapped required columns fail with one line
naming the profile file, the key and what to do.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from core.errors import PipelineError
from ingestion import country_calendars
from ingestion.contract import Contract, contract_for

COLUMN_TYPES = ("text", "timestamp", "date", "flag")
PERSONAL_KINDS = ("hash", "mask_text")
SPECIAL_FORMATS = ("excel", "iso8601")
FLAG_WORDS = {"是", "否", "y", "n", "yes", "no", "true", "false", "1", "0", "有", "无"}
DOC = "docs/source_profiles.md"
VOID_STATUS = "已作废"  # the status of a void order (work_order_statuses seed: is_void)
SEND_BACK_STATUS = "已退单"  # sent back by the unit: a status 311 systems do not have (kpi input send_back_recorded)


# --- the YAML, as declared models -------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class SplitModel(_Strict):
    separator: str
    part: int = 0


class ColumnModel(_Strict):
    from_: str | list[str] | None = Field(default=None, alias="from")
    aliases: list[str] = []
    join: list[str] | None = None
    separator: str = " "
    value: str | None = None
    split: SplitModel | None = None
    map: dict[str, str] = {}
    else_: str | None = Field(default=None, alias="else")
    default: str | None = None
    type: Literal["text", "timestamp", "date", "flag", "integer"] | None = None
    formats: list[str] | None = None
    personal: Literal["hash", "mask_text"] | None = None

    @model_validator(mode="after")
    def one_source(self) -> ColumnModel:
        given = [key for key, value in (("from", self.from_), ("join", self.join), ("value", self.value)) if value]
        if len(given) > 1:
            raise ValueError(f"give one of from, join or value, not {' and '.join(given)}")
        if not given and self.default is None:
            raise ValueError("needs `from: <header>`, `join: [headers]`, `value: <constant>` or `default:`")
        if self.else_ is not None and not self.map:
            raise ValueError("`else:` gives the value for what `map:` does not name: give a `map:` too")
        return self


class VoidMatchModel(_Strict):
    matches: str  # a regular expression searched in the cell


class MatchModel(_Strict):
    filename: str
    headers_include: list[str] = []


class SnapshotDateModel(_Strict):
    from_filename: str | None = None
    from_path: str | None = None
    newest_timestamp: bool = False
    command_line: bool = False

    @model_validator(mode="after")
    def exactly_one(self) -> SnapshotDateModel:
        given = [
            key
            for key in ("from_filename", "from_path", "newest_timestamp", "command_line")
            if getattr(self, key) not in (None, False)
        ]
        if len(given) != 1:
            raise ValueError("give exactly one of from_filename, from_path, newest_timestamp: true, command_line: true")
        return self


class ProfileModel(_Strict):
    name: str
    table: str
    match: MatchModel
    snapshot_date: SnapshotDateModel
    timezone: str = "Asia/Shanghai"
    store_timezone: str = "keep"
    timestamp_formats: list[str] = []
    deadline: Literal["export", "calendar", "export_only"] = "export"
    # the working days deadlines and durations count: China's official calendar, Monday to Friday,
    # or a country's working week less its public holidays (an ISO code, a subdivision after a hyphen)
    calendar: str = "china"
    out_of_order_times: Literal["gate", "quarantine", "clear"] = "gate"
    # a header and what in it marks an order void, where the status does not say (a DUPLICATE flag)
    void_when: dict[str, list[str] | VoidMatchModel] = {}
    columns: dict[str, str | ColumnModel]
    required: list[str] | None = None
    allowed: dict[str, list[str]] = {}
    key: str | None = None

    @field_validator("timezone", "store_timezone")
    @classmethod
    def known_zone(cls, zone: str, info) -> str:
        if info.field_name == "store_timezone" and zone == "keep":
            return zone
        try:
            zoneinfo.ZoneInfo(zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {zone!r}; use an IANA name like Asia/Shanghai") from None
        return zone

    @field_validator("calendar")
    @classmethod
    def known_calendar(cls, name: str) -> str:
        return country_calendars.canonical_name(name)

    @field_validator("table", "name")
    @classmethod
    def identifier(cls, text: str, info) -> str:
        if info.field_name == "table" and not re.fullmatch(r"[a-z_][a-z0-9_]*", text):
            raise ValueError(f"{text!r} is not a table name (lower-case letters, digits, _)")
        return text


# --- the profile the loader uses --------------------------------------------------------


@dataclass(frozen=True)
class ColumnSpec:
    """How one canonical column is made from an export's cells."""

    name: str
    sources: tuple[str, ...] = ()  # headers, first non-empty wins (coalesce / aliases)
    join: tuple[str, ...] = ()
    separator: str = " "
    value: str | None = None
    split: tuple[str, int] | None = None
    value_map: tuple[tuple[str, str], ...] = ()
    # what a non-empty value the map does not name becomes, unless the vocabulary has it already
    otherwise: str | None = None
    vocabulary: tuple[str, ...] = ()
    default: str | None = None
    type: str = "text"
    formats: tuple[str, ...] = ()
    personal: str | None = None

    @property
    def headers(self) -> tuple[str, ...]:
        return self.sources or self.join

    @property
    def header(self) -> str:
        """What a message calls this column: its header, or what it is made of."""
        if self.sources:
            return self.sources[0]
        if self.join:
            return "+".join(self.join)
        return f"{self.name} (constant)"


@dataclass(frozen=True)
class SourceProfile:
    name: str
    table: str
    filename_pattern: re.Pattern[str]
    headers_include: tuple[str, ...]
    columns: tuple[ColumnSpec, ...]
    required: tuple[str, ...]
    allowed: dict[str, tuple[str, ...]] = field(default_factory=dict)
    snapshot_source: str = "from_filename"  # from_filename | from_path | newest_timestamp | command_line
    snapshot_date_pattern: re.Pattern[str] | None = None
    timezone: str = "Asia/Shanghai"
    store_timezone: str = "keep"
    deadline: str = "export"
    calendar: str = "china"  # china | weekdays | a country (US-NY): the working days its orders are counted on
    # rows whose times run backwards (completed before received, …): gate (load them; the gate's
    # plausibility checks stop the publication), quarantine (each row, with its reason) or clear
    # (the later time is no time: emptied, the row loaded, the ledger says how many)
    out_of_order_times: str = "gate"
    key: str | None = None  # the column that identifies a record (duplicate ids in one file)
    # header → the values (lower case) or the pattern that mark a row void: its status is 已作废
    void_when: tuple[tuple[str, frozenset[str] | re.Pattern[str]], ...] = ()
    path: Path | None = None

    def matches_name(self, file_name: str) -> bool:
        return bool(self.filename_pattern.search(file_name))

    def matches(self, file_name: str, headers: list[str]) -> bool:
        return self.matches_name(file_name) and all(header in headers for header in self.headers_include)

    @property
    def dated_by_name(self) -> bool:
        return self.snapshot_source in ("from_filename", "from_path")

    def snapshot_date(self, relative_path: str) -> dt.date | None:
        """The export date a file's name (or path under landing) gives; None when it gives none."""
        if not self.dated_by_name:
            return None
        text = relative_path.rsplit("/", 1)[-1] if self.snapshot_source == "from_filename" else relative_path
        found = self.snapshot_date_pattern.search(text)
        if not found:
            return None
        try:
            return dt.date(*(int(part) for part in found.groups()[:3]))
        except (ValueError, TypeError):
            return None

    @property
    def converts_timezone(self) -> bool:
        return self.store_timezone not in ("keep", self.timezone)


# --- loading and checking ---------------------------------------------------------------


def _one_line(error: ValidationError, where: str) -> str:
    errors = error.errors()
    # a column is `header | mapping`: the mapping's complaint says more than "not a string"
    first = next((e for e in errors if e["loc"] and e["loc"][-1] != "str" and "str" not in e["loc"][-1:]), errors[0])
    location = ".".join(str(part) for part in first["loc"] if str(part) != "str" and "ColumnModel" not in str(part))
    message = first["msg"].removeprefix("Value error, ")
    return f"{where}: {location}: {message}; see {DOC}"


def _compile(pattern: str, where: str, key: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as error:
        raise PipelineError(f"{where}: {key}: {pattern!r} is not a valid regular expression ({error})") from None


def _column_spec(name: str, raw: str | ColumnModel, model: ProfileModel, contract: Contract | None, where: str):
    if isinstance(raw, str):
        raw = ColumnModel(**{"from": raw})
    declared = contract.columns[name].type if contract else None
    if contract and raw.type and raw.type != declared:
        raise PipelineError(
            f"{where}: columns.{name}.type is {raw.type} but the contract says {declared}; "
            "remove `type:` (the contract sets it)"
        )
    column_type = declared or raw.type or "text"
    formats = tuple(raw.formats or (model.timestamp_formats if column_type in ("timestamp", "date") else ()))
    if column_type in ("timestamp", "date") and not formats:
        raise PipelineError(
            f"{where}: columns.{name} is a {column_type} without formats; add `formats:` or `timestamp_formats:`"
        )
    for fmt in formats:
        if fmt not in SPECIAL_FORMATS and "%" not in fmt:
            raise PipelineError(
                f"{where}: columns.{name}.formats: {fmt!r} is neither a strptime pattern nor one of {SPECIAL_FORMATS}"
            )
    sources = ([raw.from_] if isinstance(raw.from_, str) else list(raw.from_ or [])) + raw.aliases
    spec = ColumnSpec(
        name=name,
        sources=tuple(sources),
        join=tuple(raw.join or ()),
        separator=raw.separator,
        value=raw.value,
        split=(raw.split.separator, raw.split.part) if raw.split else None,
        value_map=tuple((value.strip(), target) for value, target in raw.map.items()),  # cells are trimmed
        otherwise=raw.else_,
        vocabulary=tuple((contract.vocabulary_of(name) if contract else None) or ()),
        default=raw.default,
        type=column_type,
        formats=formats,
        personal=raw.personal,
    )
    _check_values(spec, contract, where)
    return spec


def _check_values(spec: ColumnSpec, contract: Contract | None, where: str) -> None:
    """Constants, defaults and map targets must be values the warehouse understands."""
    produced = [("map", target) for _, target in spec.value_map if target != ""]  # "" empties a value
    produced += [("else", spec.otherwise)] if spec.otherwise not in (None, "") else []
    produced += [("value", spec.value)] if spec.value is not None else []
    produced += [("default", spec.default)] if spec.default is not None else []
    vocabulary = contract.vocabulary_of(spec.name) if contract else None
    for key, value in produced:
        if vocabulary is not None and value not in vocabulary:
            raise PipelineError(
                f"{where}: columns.{spec.name}.{key} gives {value!r}, which is not in the {spec.name} vocabulary "
                f"({', '.join(vocabulary)}); map to one of those"
            )
        if spec.type == "flag" and value.strip().lower() not in FLAG_WORDS:
            raise PipelineError(f"{where}: columns.{spec.name}.{key} gives {value!r} to a flag; use 是 or 否")


def load_profile(path: Path) -> SourceProfile:
    where = str(path)
    try:
        # BaseLoader keeps every scalar as text: codes like 01 and words like No stay as written
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.BaseLoader)
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        mark = getattr(error, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or error.__class__.__name__
        raise PipelineError(f"{where}: not valid YAML{at} ({problem}); fix the profile") from error
    if not isinstance(raw, dict):
        raise PipelineError(f"{where}: a profile is a mapping of settings; see {DOC}")
    try:
        model = ProfileModel.model_validate(raw)
    except ValidationError as error:
        raise PipelineError(_one_line(error, where)) from None
    contract = contract_for(model.table)
    if contract:
        unknown = [name for name in model.columns if name not in contract.columns]
        if unknown:
            raise PipelineError(
                f"{where}: columns.{unknown[0]} is not a column of the work-order contract "
                "(docs/work_order_contract.md); rename it to a contract column or remove it"
            )
    columns = tuple(_column_spec(name, spec, model, contract, where) for name, spec in model.columns.items())
    names = {column.name for column in columns}
    required = tuple(model.required if model.required is not None else (contract.required if contract else ()))
    for name in (*required, *(contract.required if contract else ())):
        if name not in names:
            raise PipelineError(f"{where}: required column {name} is not mapped under `columns:`; map it")
    for name in model.allowed:
        if name not in names:
            raise PipelineError(f"{where}: allowed.{name} names a column that is not mapped under `columns:`")
    snapshot = model.snapshot_date
    source = next(
        key
        for key in ("from_filename", "from_path", "newest_timestamp", "command_line")
        if getattr(snapshot, key) not in (None, False)
    )
    pattern = getattr(snapshot, source) if source in ("from_filename", "from_path") else None
    if pattern is not None and _compile(pattern, where, f"snapshot_date.{source}").groups < 3:
        raise PipelineError(
            f"{where}: snapshot_date.{source}: {pattern!r} needs three groups, year, month and day, "
            "e.g. '(\\d{{4}})(\\d{{2}})(\\d{{2}})'"
        )
    if model.void_when and "status" not in names:
        raise PipelineError(
            f"{where}: void_when sets a row's status to {VOID_STATUS}: map status under `columns:` "
            "(status: {value: 未知} when the export has none)"
        )
    void_when = tuple(
        (
            header,
            _compile(marks.matches, where, f"void_when.{header}.matches")
            if isinstance(marks, VoidMatchModel)
            else frozenset(mark.strip().lower() for mark in marks),
        )
        for header, marks in model.void_when.items()
    )
    key = model.key or ("work_order_id" if contract else None)
    if key is not None and key not in names:
        raise PipelineError(f"{where}: key {key} is not mapped under `columns:`")
    return SourceProfile(
        name=model.name,
        table=model.table,
        filename_pattern=_compile(model.match.filename, where, "match.filename"),
        headers_include=tuple(model.match.headers_include),
        columns=columns,
        required=required,
        # void_when's orders are void whatever `allowed:` lists for their status
        allowed={
            name: (*values, VOID_STATUS)
            if name == "status" and void_when and VOID_STATUS not in values
            else tuple(values)
            for name, values in model.allowed.items()
        },
        snapshot_source=source,
        snapshot_date_pattern=_compile(pattern, where, f"snapshot_date.{source}") if pattern else None,
        timezone=model.timezone,
        store_timezone=model.store_timezone,
        deadline=model.deadline,
        calendar=model.calendar,
        out_of_order_times=model.out_of_order_times,
        key=key,
        void_when=void_when,
        path=path,
    )


def load_profiles(directories: Path | list[Path]) -> list[SourceProfile]:
    """Every profile of the folders; a later folder's profile replaces an earlier one of the same name."""
    directories = [directories] if isinstance(directories, Path) else directories
    by_name: dict[str, SourceProfile] = {}
    for directory in directories:
        if not directory.is_dir():
            raise PipelineError(f"{directory}: profile folder not found; fix HOTLINE_PROFILES_DIR")
        in_folder: dict[str, Path] = {}  # two of one name in a folder: which was meant? (a draft left beside its edit)
        for path in sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")]):
            profile = load_profile(path)
            if profile.name in in_folder:
                raise PipelineError(
                    f"{path}: a second profile named {profile.name} in this folder (the first is "
                    f"{in_folder[profile.name].name}); rename one or remove it"
                )
            in_folder[profile.name] = path
            by_name[profile.name] = profile
    if not by_name:
        raise PipelineError(
            f"{', '.join(map(str, directories))}: no source profiles (*.yaml) found; add one per layout"
        )
    return list(by_name.values())
