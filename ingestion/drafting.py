"""Drafting a starting source profile from an export the warehouse has never seen.

`draft(path)` reads one work-order export, matches its headers against the known names in
`header_dictionary.yaml`, detects the timestamp formats of the mapped timestamp columns,
suggests value maps onto the contract's vocabularies, and writes the YAML text of a profile in
the language of `docs/source_profiles.md`, with comments saying what to check (lines marked
TODO), which headers it ignores, which canonical columns stay unmapped and which KPIs the
export therefore cannot support. `draft_profile(path)` returns just the text.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pandas as pd
import yaml

from ingestion.contract import SEEDS_DIR, work_order_contract
from ingestion.profiles import SEND_BACK_STATUS
from ingestion.readers import leading_rows, read_export, refuse_repeated_headers
from ingestion.validation import NO_DATE, offset_moments, offsets_text, parse_whole_numbers, zone_fits

DICTIONARY_PATH = Path(__file__).resolve().parent / "header_dictionary.yaml"

TABLE = "hotline_work_orders"
REQUIRED = ("work_order_id", "received_at")
FREE_TEXT = ("title", "appeal_text", "handling_result", "follow_up_result", "tags")
FLAG_VALUES = {"是", "否", "y", "n", "yes", "no", "true", "false", "1", "0", "有", "无"}
TRUE_WORDS = {"是", "y", "yes", "true", "1", "有"}
# a resolution saying the request duplicates another (NYC: "… this complaint is a duplicate of …",
# Boston: "Case Noted. duplicate of case 101004…") or is no real request (Boston: "Case Invalid")
# ("Not a duplicate of #…" is not)
_DUPLICATE_SAID = re.compile(r"(?i)\b(?:is|was) a duplicate\b|(?<!not a )\bduplicate of\b|\bcase invalid\b")
MAX_MAPPED_VALUES = 30  # a vocabulary column with more distinct values gets a TODO, not a map
MAX_SAMPLED_VALUES = 5000  # distinct timestamp values tried per column
EXCEL_RANGE = (25569.0, 73051.0)  # Excel serial days of 1970-01-01 and 2100-01-01

# tried in this order; ties (a value set several formats fit) go to the earlier one
STRPTIME_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y/%m/%d %H:%M:%S",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M",
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%Y/%m/%d %H:%M:%S.%f",
    "%Y年%m月%d日 %H:%M:%S",
    "%Y年%m月%d日 %H:%M",
    "%Y年%m月%d日 %H时%M分%S秒",
    "%Y年%m月%d日 %H时%M分",
    "%Y年%m月%d日",
    "%Y.%m.%d %H:%M:%S",
    "%Y.%m.%d %H:%M",
    "%Y.%m.%d",
    "%Y%m%d%H%M%S",
    "%Y%m%d",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y",
)
CANDIDATE_FORMATS = (*STRPTIME_FORMATS, "iso8601", "excel")

_ISO8601 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")
_NUMBER = re.compile(r"^\d+(\.\d+)?$")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_PLAIN = re.compile(r"^[\w%][\w .()/\-（）、]*(?<! )$")

# dates in file names, tried in this order: year, month, day with a separator, or 8 digits
# (optionally followed by the time, as in 20230105093000)
_FILENAME_DATES = (
    re.compile(r"(?<!\d)(\d{4})([-_.])(\d{1,2})\2(\d{1,2})(?!\d)"),
    re.compile(r"(\d{4})(年)(\d{1,2})月(\d{1,2})日"),
    re.compile(r"(?<!\d)((?:19|20)\d{2})()(\d{2})(\d{2})(?=\d{4}(?!\d)|\d{6}(?!\d)|(?!\d))"),
)
# a month or a year without a day (`留言_2023年3月.xlsx`, `311_cases_2023-01.csv`, `requests_2023.csv`):
# no export date, but the part of the name that changes from file to file
_FILENAME_PERIODS = (
    re.compile(r"((?:19|20)\d{2})年(\d{1,2})月"),
    re.compile(r"(?<!\d)((?:19|20)\d{2})[-_.]?(\d{1,2})(?!\d)"),
    re.compile(r"(?<!\d)((?:19|20)\d{2})()(?!\d)"),
)


@dataclass
class DraftReport:
    """What `draft` found; `text` is the profile to save, the rest is for printing."""

    path: Path
    name: str
    text: str
    file_format: str
    encoding: str | None
    rows: int
    mapped: dict[str, str] = field(default_factory=dict)  # canonical column -> header
    other_candidates: dict[str, list[str]] = field(default_factory=dict)  # column -> headers also fitting it
    unmatched_headers: list[str] = field(default_factory=list)
    unmapped_columns: list[str] = field(default_factory=list)
    unsupported_kpis: dict[str, list[list[str]]] = field(default_factory=dict)  # kpi -> missing columns per group
    timestamp_formats: list[str] = field(default_factory=list)  # the profile's default formats
    formats: dict[str, list[str]] = field(default_factory=dict)  # column -> formats its values need
    unparsed: dict[str, list[str]] = field(default_factory=dict)  # column -> values no format fits
    value_maps: dict[str, dict[str, str]] = field(default_factory=dict)  # column -> {value: suggestion}
    todos: list[str] = field(default_factory=list)  # one line per thing to check by hand
    snapshot_from_filename: str | None = None

    @property
    def todo_lines(self) -> list[str]:
        """The lines of the drafted profile marked TODO (what `profiles draft` counts)."""
        return [line for line in self.text.splitlines() if "TODO:" in line]

    @property
    def missing_required(self) -> list[str]:
        return [column for column in REQUIRED if column not in self.mapped]


# --- reference data -------------------------------------------------------------------


def normalize(text: str) -> str:
    """A header or value as matched: case-folded, without spaces, underscores or punctuation."""
    return re.sub(r"[\W_]+", "", str(text).casefold())


@dataclass(frozen=True)
class ContractColumn:
    """A contract column as the drafter uses it: its vocabulary's members, not the seed's name."""

    name: str
    data_type: str
    label_zh: str
    vocabulary: tuple[str, ...]  # members, empty when the column has no vocabulary


def contract_columns() -> list[ContractColumn]:
    contract = work_order_contract()
    return [
        ContractColumn(
            column.name,
            column.type,
            column.label_zh,
            contract.vocabularies[column.vocabulary] if column.vocabulary else (),
        )
        for column in contract.columns.values()
    ]


def kpi_inputs() -> dict[str, tuple[str, dict[str, list[str]]]]:
    """kpi -> (Chinese label, {alternative: [columns]})."""
    contract = work_order_contract()
    return {
        kpi: (contract.kpi_labels[kpi], {str(number): list(needs) for number, needs in enumerate(alternatives, 1)})
        for kpi, alternatives in contract.kpi_inputs.items()
    }


def _satisfaction_levels() -> list[dict[str, str]]:
    with (SEEDS_DIR / "satisfaction_levels.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@cache
def _dictionary(path: Path = DICTIONARY_PATH) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def header_aliases(columns: list[ContractColumn]) -> dict[str, list[str]]:
    """Canonical column -> normalized header names, in order of preference."""
    known = _dictionary()["headers"]
    aliases = {}
    for column in columns:
        names = [*known.get(column.name, []), column.label_zh, column.name]
        aliases[column.name] = list(dict.fromkeys(normalize(name) for name in names if name))
    return aliases


def value_synonyms(column: str) -> dict[str, str]:
    """Normalized value -> suggested member for one column."""
    table = _dictionary()["values"].get(column) or {}
    return {normalize(alias): member for member, aliases in table.items() for alias in [member, *aliases]}


# --- YAML text ------------------------------------------------------------------------


def _scalar(text: str) -> str:
    """A string as a YAML scalar that reads back as the same string in any flow or block spot."""
    if _PLAIN.match(text) and not text.startswith("%"):
        try:
            if (
                yaml.safe_load(f"[{text}]") == [text]
                and yaml.safe_load(f"{{{text}: v}}") == {text: "v"}
                and yaml.safe_load(f"k: {text}") == {"k": text}
            ):
                return text
        except yaml.YAMLError:
            pass
    return json.dumps(text, ensure_ascii=False)


def _comment(text: str) -> str:
    """Text safe inside a `#` comment: on one line."""
    return re.sub(r"[\r\n\t\v\f\x85\u2028\u2029]+", " ", text)


def _quoted_regex(pattern: str) -> str:
    return "'" + pattern.replace("'", "''") + "'"


def _flow_list(items: list[str], *, quote: bool = False) -> str:
    return "[" + ", ".join(json.dumps(item, ensure_ascii=False) if quote else _scalar(item) for item in items) + "]"


# --- timestamps -----------------------------------------------------------------------


def _is_iso8601(value: str) -> bool:
    if not _ISO8601.match(value):
        return False
    try:
        dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _fitting(values: list[str], fmt: str) -> set[str]:
    """The values a format reads; strptime patterns go through pandas, as the loader parses them."""
    if fmt == "excel":
        return {v for v in values if _NUMBER.match(v) and EXCEL_RANGE[0] <= float(v) <= EXCEL_RANGE[1]}
    if fmt == "iso8601":
        return {value for value in values if _is_iso8601(value)}
    parsed = pd.to_datetime(pd.Series(values, dtype="object"), format=fmt, errors="coerce")
    return {value for value, ok in zip(values, parsed.notna(), strict=True) if ok}


def detect_formats(values: list[str]) -> tuple[list[str], list[str], list[str]]:
    """The formats the values need (most values first), the values none fits, and formats that
    fit exactly the same values as the first one (an ambiguity to check, e.g. %m/%d vs %d/%m)."""
    counts = Counter(value.strip() for value in values if value and value.strip() and not re.fullmatch(NO_DATE, value))
    distinct = list(counts)[:MAX_SAMPLED_VALUES]
    fitting = {fmt: _fitting(distinct, fmt) for fmt in CANDIDATE_FORMATS}
    chosen: list[str] = []
    left = set(distinct)
    while left:
        weight = {fmt: sum(counts[value] for value in fitting[fmt] & left) for fmt in CANDIDATE_FORMATS}
        best = max(CANDIDATE_FORMATS, key=lambda fmt: weight[fmt])  # max keeps the first of equals
        if not weight[best]:
            break
        chosen.append(best)
        left -= fitting[best]
    ambiguous = []
    if len(chosen) == 1:
        ambiguous = [fmt for fmt in CANDIDATE_FORMATS if fmt != chosen[0] and fitting[fmt] == fitting[chosen[0]]]
    return chosen, [value for value in distinct if value in left], ambiguous


def _default_formats(per_column: dict[str, list[str]], order: list[str]) -> list[str]:
    """The format list that covers the most columns (the earliest column's, on ties)."""
    if not per_column:
        return []
    candidates = []
    for column in order:
        if column in per_column and per_column[column] not in candidates:
            candidates.append(per_column[column])
    return max(
        candidates,
        key=lambda fmts: sum(set(needed) <= set(fmts) for needed in per_column.values()),
    )


# --- file names -----------------------------------------------------------------------


def _filename_date(file_name: str) -> tuple[re.Match[str], str] | None:
    """The first date in a file name, and a `from_filename` regex that finds it (year, month, day)."""
    for finder in _FILENAME_DATES:
        for found in finder.finditer(file_name):
            year, separator, month, day = found.groups()
            try:
                dt.date(int(year), int(month), int(day))
            except ValueError:
                continue
            if separator == "年":
                written = r"(\d{4})年(\d{1,2})月(\d{1,2})日"
            else:
                sep = _escape(separator)
                month_digits, day_digits = (r"\d{2}" if len(part) == 2 else r"\d{1,2}" for part in (month, day))
                written = rf"(\d{{4}}){sep}({month_digits}){sep}({day_digits})"
            for regex in (written, r"(?<!\d)" + written):  # the plain one where it finds the same date
                again = re.search(regex, file_name)
                if again and again.start() == found.start():
                    return found, regex
    return None


# zones tried first for an export's UTC offsets (any zone with the same offsets at the same
# instants converts its times alike); then every zone the system knows, by name
_LIKELY_ZONES = (
    "America/New_York", "America/Chicago", "America/Denver", "America/Phoenix", "America/Los_Angeles",
    "America/Anchorage", "Pacific/Honolulu", "Europe/London", "Europe/Paris", "Australia/Sydney",
    "Asia/Shanghai", "Asia/Tokyo", "Asia/Singapore", "Asia/Kolkata",
)  # fmt: skip


def _zone_of_offsets(frame: pd.DataFrame, headers: list[str]) -> tuple[str | None, str]:
    """The time zone whose UTC offsets fit those the timestamps carry, and those offsets; (None,
    offsets) when no zone fits them all, (None, "") when no timestamp carries one."""
    import zoneinfo

    moments = offset_moments(frame, headers)
    if not moments:
        return None, ""
    names = [*_LIKELY_ZONES, *sorted(zoneinfo.available_timezones() - set(_LIKELY_ZONES))]
    return next((name for name in names if zone_fits(name, moments)), None), offsets_text(moments)


def _mostly_chinese(frame: pd.DataFrame, sample: int = 200) -> bool:
    """Whether the text of an export's first rows is mostly Chinese (a Chinese system with English keys)."""
    cells = [cell for cell in frame.head(sample).to_numpy().ravel().tolist() if isinstance(cell, str) and cell.strip()]
    worded = [cell for cell in cells if re.search(r"[^\W\d_]", cell)]  # not numbers, dates, codes of digits
    return bool(worded) and sum(bool(_CJK.search(cell)) for cell in worded) >= len(worded) / 2


def _satisfaction_levels_in(values: list[str]) -> bool:
    """Values that are mostly satisfaction levels or their synonyms (未回访: not rated)."""
    filled = [normalize(value) for value in values if value and value.strip()]
    known = {normalize(level["satisfaction"]) for level in _satisfaction_levels()} | set(value_synonyms("satisfaction"))
    return bool(filled) and sum(value in known for value in filled) >= len(filled) * 0.8


def _days_but(values: list[str]) -> list[str] | None:
    """When the filled values are counts of days (5, 10, 15天, 3个工作日) but for a few (24小时):
    those few; None when they are not (a deadline, or nothing)."""
    filled = [value for value in values if value and value.strip()]
    if not filled:
        return None
    counted = parse_whole_numbers(pd.Series(filled, dtype="string")).notna().tolist()
    others = sorted({value for value, is_days in zip(filled, counted, strict=True) if not is_days})
    return others if len(others) <= len(filled) / 5 and sum(counted) >= len(filled) * 0.8 else None


def _filename_period(file_name: str) -> re.Match[str] | None:
    """The first month (or year) in a file name that has no full date."""
    for finder in _FILENAME_PERIODS:
        for found in finder.finditer(file_name):
            if not found.group(2) or 1 <= int(found.group(2)) <= 12:
                return found
    return None


def _escape(text: str) -> str:
    """re.escape for file names, leaving `-`, `_`, spaces and letters readable."""
    return re.sub(r"([.^$*+?{}\[\]\\|()])", r"\\\1", text)


def filename_regex(file_name: str, date_at: int | None) -> str:
    """The file name as a regex, its variable digits generalised: every run of digits from the date
    on when it has one, else every run but a leading one (such as `311_` or `12345_`)."""
    stem, dot, suffix = file_name.rpartition(".")
    if not dot:
        stem, suffix = file_name, ""
    parts, at = [], 0
    for run in re.finditer(r"\d+", stem):
        parts.append(_escape(stem[at : run.start()]))
        variable = run.start() >= date_at if date_at is not None else run.start() > 0
        digits = run.group()
        # a month or day written in Chinese (`3月`, `12月`) has one digit or two, however it is padded
        loose = len(digits) == 1 or (len(digits) == 2 and stem[run.end() : run.end() + 1] in ("月", "日"))
        parts.append((r"\d{1,2}" if loose else rf"\d{{{len(digits)}}}") if variable else digits)
        at = run.end()
    parts.append(_escape(stem[at:]))
    return "^" + "".join(parts) + (_escape(dot + suffix) if dot else "") + "$"


def slugify(text: str) -> str:
    return re.sub(r"[\W_]+", "_", text.casefold()).strip("_")


def profile_name(path: Path) -> str:
    """The file's stem as a slug, without its date or month (and a time after it): a profile is a layout."""
    stem = path.stem
    dated = _filename_date(path.name)
    found = dated[0] if dated else _filename_period(path.name)
    if found and found.end() <= len(stem):
        rest = re.sub(r"^([-_.\s]*\d+)*", "", stem[found.end() :])
        stem = stem[: found.start()] + rest
    return slugify(stem) or slugify(path.stem) or "drafted_profile"


# --- the draft ------------------------------------------------------------------------


def _match_headers(
    headers: list[str], columns: list[ContractColumn]
) -> tuple[dict[str, str], dict[str, list[str]], list[str]]:
    aliases = header_aliases(columns)
    owner = {}
    for column in columns:
        for rank, alias in enumerate(aliases[column.name]):
            owner.setdefault(alias, (column.name, rank))
    fits: dict[str, list[tuple[int, str]]] = {}
    unmatched = []
    for header in headers:
        hit = owner.get(normalize(header))
        if hit is None:
            unmatched.append(header)
        else:
            fits.setdefault(hit[0], []).append((hit[1], header))
    mapped = {column: min(found)[1] for column, found in fits.items()}
    others = {column: [header for _, header in sorted(found)[1:]] for column, found in fits.items() if len(found) > 1}
    return mapped, others, unmatched


@cache
def _satisfaction_ranks() -> dict[str, str]:
    return {row["level_rank"]: row["satisfaction"] for row in _satisfaction_levels()}


def _suggest(column: ContractColumn, value: str, synonyms: dict[str, str]) -> tuple[str | None, bool]:
    """A suggested target for one value (None: nothing fits), and whether it is a guess to check."""
    hit = synonyms.get(normalize(value))
    if hit is not None:
        return hit, False
    if column.name == "satisfaction" and value.isdigit():
        by_rank = _satisfaction_ranks()
        if value in by_rank:
            return by_rank[value], True
    for fallback in ("其他", "未知"):
        if fallback in column.vocabulary:
            return fallback, True
    if column.name == "urgency" and column.vocabulary:
        return column.vocabulary[0], True  # 一般, also used when the export gives none
    return None, True


def _value_map(column: ContractColumn, values: list[str]) -> tuple[dict[str, tuple[str | None, bool]], str | None]:
    counts = Counter(value.strip() for value in values if value and value.strip())
    if column.data_type == "flag":
        outside = [value for value, _ in counts.most_common() if value.casefold() not in FLAG_VALUES]
    else:
        outside = [value for value, _ in counts.most_common() if value not in column.vocabulary]
    if not outside:
        return {}, None
    if len(counts) > MAX_MAPPED_VALUES:
        members = ", ".join(column.vocabulary) if column.vocabulary else "是/否"
        return {}, f"{len(counts)} distinct values, {len(outside)} outside the vocabulary ({members}): map them"
    synonyms = value_synonyms(column.name)
    return {value: _suggest(column, value, synonyms) for value in outside}, None


def _snapshot_lines(file_name: str) -> tuple[list[str], str | None, int | None]:
    found = _filename_date(file_name)
    if found:
        match, written = found
        return (
            [
                "snapshot_date:",
                f"  from_filename: {_quoted_regex(written)}   # year, month, day groups in the file name",
            ],
            written,
            match.start(),
        )
    # a month in the name is not the export's date (a month's file may be exported weeks later,
    # or all at once): the newest event in the file dates it
    period = _filename_period(file_name)
    carries = f"a {'month' if period.group(2) else 'year'} ({period.group()}), not a day" if period else "no date"
    return (
        [
            f"snapshot_date:                     # the file name carries {_comment(carries)}, so:",
            "  newest_timestamp: true           # the date of the newest event in the file (not a deadline)",
            "  # command_line: true             # or given by `hotline ingest --as-of YYYY-MM-DD`",
        ],
        None,
        period.start() if period else None,
    )


def _column_lines(
    column: ContractColumn,
    header: str,
    *,
    formats: list[str] | None,
    value_map: dict[str, tuple[str | None, bool]],
    comment: str,
) -> list[str]:
    keys: list[tuple[str, str]] = []
    if column.name.endswith("_hash"):
        keys.append(("personal", "hash"))
    elif column.name in FREE_TEXT:
        keys.append(("personal", "mask_text"))
    if formats:
        keys.append(("formats", _flow_list(formats, quote=True)))
    tail = f"   # {comment}" if comment else ""
    if not keys and not value_map:
        return [f"  {column.name}: {_scalar(header)}{tail}"]
    if not value_map:
        inner = ", ".join([f"from: {_scalar(header)}", *(f"{key}: {text}" for key, text in keys)])
        return [f"  {column.name}: {{{inner}}}{tail}"]
    lines = [f"  {column.name}:{tail}", f"    from: {_scalar(header)}"]
    lines += [f"    {key}: {text}" for key, text in keys]
    # a map with no entry yet is a comment too, so that uncommenting its lines gives valid YAML
    lines.append("    map:" if any(target is not None for target, _ in value_map.values()) else "    # map:")
    members = ", ".join(column.vocabulary) if column.vocabulary else "是, 否"
    for value, (target, guess) in value_map.items():
        if target is None:  # left out of the map, so the load reports it; a comment says what to do
            lines.append(
                f'      # {_scalar(value)}: ?   # TODO: no member fits; map it to one of {members}, or to "" (empty)'
            )
        else:
            lines.append(f"      {_scalar(value)}: {_scalar(target)}{'   # TODO: check' if guess else ''}")
    return lines


def draft(path: Path, *, name: str | None = None) -> DraftReport:
    """Read one work-order export and draft a source profile for it (see the module docstring)."""
    path = Path(path)
    columns = contract_columns()
    # the header is the first of the file's first rows naming the most contract columns (a title
    # or the export's time may come above it; the load finds the same row by the profile's headers)
    matches = [len(_match_headers([cell for cell in row if cell], columns)[0]) for row in leading_rows(path)]
    header_row = 1 + max(range(len(matches)), key=lambda i: (matches[i], -i)) if matches else 1
    export = read_export(path, header_row=header_row)
    refuse_repeated_headers(path, export.header)  # which of the two would the profile read?
    frame = export.frame.fillna("").astype(str)
    headers = [header for header in frame.columns if header.strip()]
    by_name = {column.name: column for column in columns}
    mapped, others, unmatched = _match_headers(headers, columns)
    # a time limit given as a number of days under a deadline's name (办理时限: 5, 10, 15) is the
    # order's own limit in working days, not a deadline that no value would read as
    header = mapped.get("due_at")
    not_days = _days_but(frame[header].tolist()) if header and "time_limit_working_days" not in mapped else None
    if not_days is not None:
        mapped["time_limit_working_days"] = mapped.pop("due_at")
        # urgent orders' limits in hours (24小时) among them: the same header feeds time_limit_hours
        hours = parse_whole_numbers(pd.Series(not_days, dtype="string"), "hours").notna().tolist()
        if any(hours):
            mapped["time_limit_hours"] = mapped["time_limit_working_days"]
        not_days = [value for value, in_hours in zip(not_days, hours, strict=True) if not in_hours]
    # a follow-up result (回访结果) whose values are satisfaction levels (满意, 基本满意, 不满意) is
    # the rating: read as a follow-up note, no satisfaction KPI could be computed
    header = mapped.get("follow_up_result")
    if header and "satisfaction" not in mapped and _satisfaction_levels_in(frame[header].tolist()):
        mapped["satisfaction"] = mapped.pop("follow_up_result")
    # a 311 system's DUPLICATE flag marks a request closed as another's duplicate: void, no
    # repeat appeal (重复件) of its own; the profile marks such rows void (void_when)
    void_when: list[tuple[str, str]] = []  # (header, its YAML)
    header = mapped.get("is_repeat")
    if header and "duplicate" in normalize(header) and not _CJK.search(header) and "status" in mapped:
        marks = sorted({value.strip() for value in frame[header].tolist() if value.strip().casefold() in TRUE_WORDS})
        if marks:
            void_when.append((mapped.pop("is_repeat"), _flow_list(marks, quote=True)))
    # NYC says so in the resolution: "… determined that this complaint is a duplicate of …"
    header = mapped.get("handling_result")
    if header and "status" in mapped and frame[header].str.contains(_DUPLICATE_SAID, na=False).any():
        void_when.append((header, f"{{matches: {json.dumps(_DUPLICATE_SAID.pattern)}}}"))
    # an export with no dispatch time (311 systems, message boards) starts the clock at receipt:
    # without it, no completion or timeliness KPI could be computed. A message board's reply is
    # its answer: with no completion time, the reply closes the case
    closed_by_reply = "completed_at" not in mapped and "replied_at" in mapped
    if closed_by_reply:
        mapped["completed_at"] = mapped["replied_at"]
    clock_from_receipt = (
        "dispatched_at" not in mapped and "received_at" in mapped and ("completed_at" in mapped or "due_at" in mapped)
    )
    if clock_from_receipt:
        mapped["dispatched_at"] = mapped["received_at"]

    if name is None:
        name = profile_name(path)
    report = DraftReport(path, name, "", export.file_format, export.encoding, len(frame))
    report.mapped = {column.name: mapped[column.name] for column in columns if column.name in mapped}
    report.other_candidates = others
    report.unmatched_headers = unmatched
    report.unmapped_columns = [column.name for column in columns if column.name not in mapped]

    if closed_by_reply:
        report.todos.append(
            f"completed_at: the export has no completion time, so the reply ({mapped['replied_at']}) closes a case; "
            "remove the line if a reply does not end the case"
        )
    if clock_from_receipt:
        report.todos.append(
            f"dispatched_at: the export has no dispatch time, so the clock starts at {mapped['received_at']}; "
            "remove the line if orders are answered by the hotline itself"
        )

    # timestamps
    timestamp_columns = [c.name for c in columns if c.data_type in ("timestamp", "date") and c.name in mapped]
    ambiguous: dict[str, list[str]] = {}
    for column in timestamp_columns:
        needed, unparsed, also = detect_formats(frame[mapped[column]].tolist())
        if needed:
            report.formats[column] = needed
        if unparsed:
            report.unparsed[column] = unparsed
        if also:
            ambiguous[column] = also
    report.timestamp_formats = _default_formats(report.formats, timestamp_columns)

    # value maps
    map_notes: dict[str, str] = {}
    if not_days:  # the others (24小时) quarantine their rows unless mapped to a number of days
        note = (
            f"{len(not_days)} value(s) not a number of days, e.g. {not_days[0]!r}: map them "
            "(map: {'另行约定': ''}) or their rows are quarantined"
        )
        map_notes["time_limit_working_days"] = note
        report.todos.append(f"time_limit_working_days: {note}")
    value_maps: dict[str, dict[str, tuple[str | None, bool]]] = {}
    for column_name, header in report.mapped.items():
        column = by_name[column_name]
        if not column.vocabulary and column.data_type != "flag":
            continue
        suggested, note = _value_map(column, frame[header].tolist())
        if suggested:
            value_maps[column_name] = suggested
            report.value_maps[column_name] = {v: target for v, (target, _) in suggested.items() if target is not None}
            guesses = [(value, target) for value, (target, guess) in suggested.items() if guess]
            report.todos += [f"{column_name}: {value!r} -> {target or '?'}" for value, target in guesses]
        if note:
            map_notes[column_name] = note
            report.todos.append(f"{column_name}: {note}")

    # KPIs (an export with English headers is drafted `deadline: export_only`: no China's limits)
    # a Chinese system: Chinese headers, or (an API's English keys) Chinese values
    chinese = any(_CJK.search(header) for header in report.mapped.values()) or _mostly_chinese(frame)
    given = {*mapped, "calendar_time_limits"} if chinese else set(mapped)
    if "dispatched_at" in mapped and not clock_from_receipt:
        given.add("dispatch_recorded")
    # a Chinese system's status has a send-back (退单); another's only where its values say so
    if "status" in mapped and (
        chinese or SEND_BACK_STATUS in {*report.value_maps.get("status", {}).values(), *frame[mapped["status"]]}
    ):
        given.add("send_back_recorded")
    for kpi, (label, groups) in kpi_inputs().items():
        missing = [[c for c in group if c not in given] for group in groups.values()]
        if all(missing):
            report.unsupported_kpis[f"{label} ({kpi})"] = missing

    snapshot, report.snapshot_from_filename, date_at = _snapshot_lines(path.name)
    include = [report.mapped[column] for column in REQUIRED if column in report.mapped]

    lines = [
        f"# Drafted by `hotline profiles draft` from {_comment(path.name)}",
        f"# ({export.file_format}{', ' + export.encoding if export.encoding else ''}; "
        f"{len(frame)} rows, {len(headers)} headers). A starting point: check every line marked TODO,",
        "# then save it in a profiles folder (HOTLINE_PROFILES_DIR) and try it with",
        "# `hotline profiles check FILE`. The keys are described in docs/source_profiles.md.",
        *(
            [f"# The header is on row {header_row}: the load skips the rows above it and notes them on the ledger."]
            if header_row > 1
            else []
        ),
        f"name: {_scalar(name)}",
        f"table: {TABLE}",
        "match:",
        f"  filename: {_quoted_regex(filename_regex(path.name, date_at))}",
        f"  headers_include: {_flow_list(include)}",
        *snapshot,
    ]
    zone, offsets = _zone_of_offsets(frame, [mapped[column] for column in timestamp_columns])
    if chinese and zone in (None, "Asia/Shanghai"):
        lines.append("timezone: Asia/Shanghai")
    elif zone:  # the offsets the times carry say it (a zone with the same offsets converts alike)
        lines.append(f"timezone: {zone}   # TODO: check: it fits the UTC offsets the times carry ({offsets})")
        report.todos.append(f"timezone: {zone} fits the UTC offsets the times carry ({offsets}); check it")
    else:
        lines += [
            "# TODO: set the export's zone, e.g. America/New_York (without a timezone, Asia/Shanghai is assumed)",
            "# timezone: America/New_York",
        ]
        report.todos.append("timezone: set the export's zone (without one, Asia/Shanghai is assumed)")
    if not chinese:
        report.todos.append(
            "calendar: weekdays counts no holiday; name the country (US-NY, CA-ON, GB-ENG) to leave its holidays out"
        )
        lines += [
            # China's time limits and holidays are no deadline for another country's requests
            "deadline: export_only   # only the export's own deadline (due_at) times an order; export adds China's",
            "# TODO: name the country to skip its public holidays too: a state after the hyphen, e.g. calendar: "
            "US-NY or US-MA (a code alone is a country: MA is Morocco); `profiles check` says which it is",
            "calendar: weekdays      # working days are Monday to Friday, not China's official calendar",
        ]
    if report.timestamp_formats:
        lines.append(
            f"timestamp_formats: {_flow_list(report.timestamp_formats, quote=True)}   # detected from the values"
        )
    elif timestamp_columns:
        lines.append('timestamp_formats: ["%Y-%m-%d %H:%M:%S"]   # TODO: check (the timestamp columns are empty)')
    lines.append("columns:")
    default = set(report.timestamp_formats)
    for column in columns:
        if column.name not in mapped:
            if column.name in REQUIRED:
                lines.append(f"  # {column.name}: ?   # TODO: no header looked like {column.label_zh}; name it here")
            continue
        notes = []
        own_formats = report.formats.get(column.name)
        if own_formats and set(own_formats) <= default:
            own_formats = None
        if column.name in report.unparsed:
            bad = report.unparsed[column.name]
            notes.append(f"TODO: {len(bad)} values fit no format, e.g. {bad[0]!r}")
        if column.name in ambiguous:
            notes.append(f"TODO: check: the values also fit {', '.join(ambiguous[column.name])}")
        if column.name in map_notes:
            notes.append(f"TODO: {map_notes[column.name]}")
        if column.name in others:
            notes.append(f"also fits: {', '.join(map(_comment, others[column.name]))}")
        if column.name == "completed_at" and closed_by_reply:
            notes.append("TODO: no completion time: the reply closes the case; remove if it does not")
        if column.name == "dispatched_at" and clock_from_receipt:
            notes.append("TODO: no dispatch time: the clock starts at receipt; remove if the hotline answers itself")
        lines += _column_lines(
            column,
            mapped[column.name],
            formats=own_formats,
            value_map=value_maps.get(column.name, {}),
            comment="; ".join(notes),
        )
    lines.append(f"required: {_flow_list(list(REQUIRED))}")
    if void_when:
        lines += [
            "void_when:   # TODO: check: a request the export calls a duplicate is void, counted in no KPI "
            "(remove to count it)",
            *(f"  {_scalar(header)}: {marks}" for header, marks in void_when),
        ]
        report.todos.append(
            f"void_when: what {', '.join(header for header, _ in void_when)} calls a duplicate or invalid, drafted void"
        )

    lines += ["", "# Headers that matched no canonical column (ignored when loading):"]
    lines += [f"#   - {_comment(header)}" for header in report.unmatched_headers] or ["#   (none)"]
    if others:
        lines.append("# Headers that also fit a column mapped above (ignored; swap one in if it is the better source):")
        lines += [f"#   - {_comment(header)} ({column})" for column, headers in others.items() for header in headers]
    lines.append("# Canonical columns left unmapped (map them above if the export has them under another name):")
    lines += [f"#   - {c} ({by_name[c].label_zh})" for c in report.unmapped_columns] or ["#   (none)"]
    lines.append("# KPIs this export cannot support (NULL with a reason in kpi_availability), and what they need:")
    lines += [
        f"#   - {kpi}: needs "
        + (", ".join(missing[0]) if len(missing) == 1 else " or ".join(f"({', '.join(group)})" for group in missing))
        for kpi, missing in report.unsupported_kpis.items()
    ] or ["#   (none)"]
    report.text = "\n".join(lines) + "\n"
    if report.missing_required:
        report.todos.insert(0, f"no header found for {', '.join(report.missing_required)}")
    return report


def draft_profile(path: Path, *, name: str | None = None) -> str:
    """The YAML text of a starting source profile for the work-order export at `path`."""
    return draft(path, name=name).text
