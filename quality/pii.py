"""Clear personal numbers in text: the gate's own detector, and the check that runs it.

The masker (`ingestion/masking.py`) masks numbers as exports land; this module looks for what
it may have missed, with its own code (nothing is imported from the masker), in every text
column the warehouse keeps and publishes. It finds

- mobile numbers: 11 digits `1[3-9]…`, optionally after +86 / 0086 / (+86);
- ID-card numbers: 18 digits (the last may be X) that pass the GB 11643 checksum and carry a
  plausible birth date and province, and old 15-digit numbers with a plausible yymmdd date;
- landlines: an area code `0[1-9]x(x)` and a 7- or 8-digit number (or the 10–12 digits run
  together),
- North American numbers (311 exports): area code, exchange and line, grouped as `(415) 555-0134`,
  `415.555.0134` or `415 5550134`, maybe after 1 or +1 (reported as landlines; ten digits in one
  run are not taken for one: Chinese text is full of such order numbers and dates),

written in half- or full-width digits, with any separators between the digit groups (spaces,
dots, hyphens, slashes, underscores, brackets, middle dots, dashes; up to three in a row).

A number is made of whole digit groups: it neither starts after nor ends before an ASCII letter
or digit, so hex digests, `RX…` platform ids and longer digit strings are not numbers. The
warehouse's own values are told apart: a 15-digit work-order id before `-NN`
(`230103000000001-01`), timestamps (`:` is no separator, and their digit groups never make a
valid number), decimals (a dot between digits is a decimal point unless both sides have seven
digits or more: `0.13812345678` and `13812345678.90` hold no number, `138.1234.5678` does).

Names: callers and sector representatives are private people, so their names are hashed before
they land and exist in clear only while an export is being loaded. `find_names` looks for the
names of one load in that load's texts (for the loader to use). The gate looks for them by their
hashes (`clear_name_checks`): every value of a text column shaped like a Chinese name is hashed
with the warehouse's key and looked up among the callers' and representatives' name hashes.
Committee members are public office holders: their names are published in clear, and a value
that is a member's name is no finding (a representative who shares a member's name cannot be
told apart from the member).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import re
import time
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import pandas as pd

from core.fingerprints import ROW_SOURCE_COLUMNS
from quality.results import SAMPLE_ROWS, CheckResult

log = logging.getLogger(__name__)

SCANNED_SCHEMAS = ("raw", "staging", "marts")
CHECK_SOURCE = "personal_data"

# Digit forms NFKC turns into ASCII digits: full-width, mathematical, segmented.
DIGIT_FORMS = "0-9\uff10-\uff19\U0001d7ce-\U0001d7ff\U0001fbf0-\U0001fbf9"
# Characters whose NFKC holds a digit but which are no digit themselves: superscripts (m²),
# fractions, circled and bracketed list numbers (①, ⑴, ⒈), squared units (㎡), dates (㏠).
# NFKC would glue their digit to the next number ("①13812345678" → "113812345678"), so they
# are replaced first by U+FFFD, which ends a number as punctuation does but joins no digit
# groups. Unicode 14 (Python 3.11); tests/quality/test_pii.py recomputes the list.
NUMBER_MARKS = (
    "\u00b2\u00b3\u00b9\u00bc-\u00be\u2070\u2074-\u2079\u2080-\u2089\u2150-\u215f\u2189\u2460-\u249b"
    "\u24ea\u3251-\u325f\u32b1-\u32cb\u3358-\u3370\u3378\u3379\u339f-\u33a6\u33a8\u33af\u33e0-\u33fe"
    "\U0001f100-\U0001f10a"
)
# Separators between digit groups, after NFKC (full-width forms are folded by then).
SEPARATORS = r"\s.\-/_()\u00b7\u2010-\u2015\u2022\u2212\u30fb"
MAX_SEPARATORS = 3

_MARKS = re.compile(f"[{NUMBER_MARKS}]")
_GROUP = re.compile(r"[0-9]+(?:[Xx](?![0-9A-Za-z]))?")
_SEP = f"[{SEPARATORS}]"
# digit groups joined by separators, holding ten digits or more (fewer make no number)
_RUN = re.compile(  # (the first digit first, and then what comes before it: a faster search)
    f"[0-9](?<![0-9][0-9])(?=(?:{_SEP}{{0,{MAX_SEPARATORS}}}[0-9]){{9}})"
    f"[0-9]*+(?:{_SEP}{{1,{MAX_SEPARATORS}}}[0-9]++)*+(?:[Xx](?![0-9A-Za-z]))?"
)
_MOBILE = re.compile(r"(?:86|0086)?(1[3-9][0-9]{9})")
_AREA_CODE = re.compile(r"0[1-9][0-9]{1,2}")
_LANDLINE_RUN_TOGETHER = re.compile(r"0[1-9][0-9]{8,10}")
# North American Numbering Plan: area code [2-9][0-8]x, exchange [2-9]xx, line xxxx; 1 in front
_NANP = re.compile(r"1?([2-9][0-8][0-9][2-9][0-9]{6})")
_NANP_GROUPS = ([3, 3, 4], [3, 7], [1, 3, 3, 4], [1, 3, 7])  # grouped: ten digits in one run are often order numbers
# the first two digits of an ID number: the province (GB/T 2260), 83 for Taiwan residents' permits
PROVINCES = frozenset(
    [11, 12, 13, 14, 15, 21, 22, 23, *range(31, 38), *range(41, 47), *range(50, 55), *range(61, 66), 71, 81, 82, 83]
)
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"

# Every character NFKC turns into separators alone: the separators as typed, in any width.
SEPARATOR_FORMS = (
    (0x09, 0x0D), (0x1C, 0x20), (0x28, 0x29), (0x2D, 0x2F), (0x5F, 0x5F), (0x85, 0x85), (0xA0, 0xA0),
    (0xB7, 0xB7), (0x387, 0x387), (0x1680, 0x1680), (0x2000, 0x200A), (0x2010, 0x2015), (0x2022, 0x2022),
    (0x2024, 0x2026), (0x2028, 0x2029), (0x202F, 0x202F), (0x205F, 0x205F), (0x207B, 0x207B), (0x207D, 0x207E),
    (0x208B, 0x208B), (0x208D, 0x208E), (0x2212, 0x2212), (0x3000, 0x3000), (0x30FB, 0x30FB), (0xFE19, 0xFE19),
    (0xFE30, 0xFE36), (0xFE4D, 0xFE4F), (0xFE52, 0xFE52), (0xFE58, 0xFE5A), (0xFE63, 0xFE63), (0xFF08, 0xFF09),
    (0xFF0D, 0xFF0F), (0xFF3F, 0xFF3F), (0xFF65, 0xFF65),
)  # fmt: skip
_DIGIT_FORM_RANGES = ((0x30, 0x39), (0xFF10, 0xFF19), (0x1D7CE, 0x1D7FF), (0x1FBF0, 0x1FBF9))


def _re2_class(ranges) -> str:
    spell = "\\x{{{:X}}}".format
    return "[" + "".join(spell(lo) if lo == hi else f"{spell(lo)}-{spell(hi)}" for lo, hi in ranges) + "]"


def _python_class(ranges) -> str:
    spell = "\\U{:08x}".format
    return "[" + "".join(spell(lo) if lo == hi else f"{spell(lo)}-{spell(hi)}" for lo, hi in ranges) + "]"


# First passes that are cheap and let through everything the detector would find: ten digits
# (the shortest number is a landline) with at most three separators between each two, not right
# after an ASCII letter or digit. DuckDB (RE2) and Python spellings.
SQL_PREFILTER = (
    f"(?:^|[^0-9A-Za-z]){_re2_class(_DIGIT_FORM_RANGES)}"
    f"(?:{_re2_class(SEPARATOR_FORMS)}{{0,3}}{_re2_class(_DIGIT_FORM_RANGES)}){{9}}"
)
PYTHON_PREFILTER = re.compile(
    f"(?<![0-9A-Za-z]){_python_class(_DIGIT_FORM_RANGES)}"
    f"(?:{_python_class(SEPARATOR_FORMS)}{{0,3}}{_python_class(_DIGIT_FORM_RANGES)}){{9}}"
)
# Whole values that hold no number however their digits fall: a keyed hash or file id (64 hex
# characters: every digit run touches a letter, or is too long), a work-order id (15 digits
# before -NN), a UUID (dbt's invocation ids: now and then one ends in twelve digits, which read
# as a landline). Left out in the database, so that id columns do not all come back to Python.
_UUID = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
SQL_NEVER_A_NUMBER = f"[0-9a-fA-F]{{64}}|[0-9]{{15}}-[0-9]{{2}}|{_UUID}"


@dataclass(frozen=True)
class Finding:
    kind: str  # "mobile", "id_card" or "landline"
    value: str  # the number in ASCII digits, without separators or +86 (an ID's X upper-case)
    start: int  # where it stands in the normalised text
    end: int

    @property
    def masked(self) -> str:
        return mask_number(self.value)


def mask_number(value: str) -> str:
    """What a report may show of a number: `138****5678`, `320***********877X`."""
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def normalise(text: str) -> str:
    """Number marks set apart, then NFKC: full-width digits, letters and punctuation to ASCII."""
    return unicodedata.normalize("NFKC", _MARKS.sub("\ufffd", text))


def find_personal_data(text: str | None) -> list[Finding]:
    """Every clear phone or ID number in `text`, in order (positions in `normalise(text)`)."""
    if not text or not PYTHON_PREFILTER.search(text):  # fewer than ten digits together: nothing to find
        return []
    return _detect(text)


def _detect(text: str) -> list[Finding]:
    norm = normalise(text)
    found: list[Finding] = []
    for run in _runs(norm):
        found.extend(_in_run(norm, run))
    # a number inside a longer one (a mobile inside +86 and the mobile) counts once
    outer = [f for f in found if not any(o is not f and o.start <= f.start and f.end <= o.end for o in found)]
    return sorted(set(outer), key=lambda f: (f.start, f.end))


def find_personal_numbers(text: str | None) -> list[str]:
    """The clear phone and ID numbers in `text` (ASCII digits, no separators), in order."""
    return [finding.value for finding in find_personal_data(text)]


def redact(text: str) -> str:
    """`text` (normalised) with every number found masked, for a report."""
    norm = normalise(text)
    for finding in reversed(find_personal_data(text)):
        norm = norm[: finding.start] + finding.masked + norm[finding.end :]
    return norm


def find_in_series(values: pd.Series) -> pd.Series:
    """The numbers found in each value of `values`, for the values that hold any (same index).

    A vectorised regex first pass selects the few values with ten digits close together; only
    those are examined one by one.
    """
    text = values.astype("string")
    candidates = text[text.str.contains(PYTHON_PREFILTER, regex=True, na=False)]
    found = pd.Series([find_personal_numbers(value) for value in candidates], index=candidates.index, dtype=object)
    return found[[bool(numbers) for numbers in found]]


def find_names(text: str | None, names: Iterable[str]) -> list[str]:
    """The known `names` (say the callers of one load, in clear) that occur in `text`.

    Only at ingest time: names are keyed hashes in the warehouse, so the gate cannot use this.
    Names shorter than two characters are ignored (a surname alone is no name).
    """
    if not text:
        return []
    pattern = _names_pattern(frozenset(normalise(name).strip() for name in names if name))
    return pattern.findall(normalise(text)) if pattern else []


@lru_cache(maxsize=8)
def _names_pattern(names: frozenset[str]) -> re.Pattern | None:
    usable = sorted((name for name in names if len(name) >= 2), key=lambda name: (-len(name), name))
    return re.compile("|".join(map(re.escape, usable))) if usable else None


# --- the detector --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Group:
    text: str  # digits, maybe a final X
    start: int
    end: int
    left_ok: bool  # not right after an ASCII letter
    right_ok: bool  # not right before one


def _runs(norm: str) -> list[list[_Group]]:
    """Digit groups joined by separators: the stretches a number can be made of."""
    runs = []
    for run in _RUN.finditer(norm):
        groups = []
        for match in _GROUP.finditer(norm, run.start(), run.end()):
            start, end = match.span()
            groups.append(
                _Group(
                    match.group(),
                    start,
                    end,
                    left_ok=start == 0 or not _ascii_letter(norm[start - 1]),
                    right_ok=end == len(norm) or not _ascii_letter(norm[end]),
                )
            )
        runs.append(groups)
    return runs


def _ascii_letter(char: str) -> bool:
    return char.isascii() and char.isalpha()


def _in_run(norm: str, run: list[_Group]) -> list[Finding]:
    found = []
    separators = [norm[a.end : b.start] for a, b in zip(run, run[1:], strict=False)]
    for i, first in enumerate(run):
        if not first.left_ok or (i > 0 and _decimal_point(separators[i - 1], run[i - 1], first)):
            continue  # touches a letter, or is the fraction of a decimal: 0.13812345678
        digits = ""
        for j in range(i, len(run)):
            digits += run[j].text
            if len(digits) > 18:
                break
            last = run[j]
            if not last.right_ok or (j < len(run) - 1 and _decimal_point(separators[j], last, run[j + 1])):
                continue  # touches a letter, or is the whole part of a decimal: 13812345678.90
            if j == i + 1 and _decimal_point(separators[i], first, last):
                continue  # a decimal number: 12345678.90
            kind, value = _classify(digits, run[i : j + 1], norm[last.end : last.end + 1])
            if kind:
                found.append(Finding(kind, value, first.start, last.end))
    return found


def _decimal_point(separator: str, before: _Group, after: _Group) -> bool:
    """A dot between digits is a decimal point unless both sides have seven digits or more
    (13812345678.13912345678 are two numbers)."""
    return separator == "." and min(len(before.text), len(after.text.rstrip("Xx"))) < 7


def _classify(digits: str, groups: list[_Group], after: str) -> tuple[str | None, str]:
    if digits[-1] in "Xx":
        return ("id_card", digits.upper()) if len(digits) == 18 and valid_id18(digits.upper()) else (None, "")
    mobile = _MOBILE.fullmatch(digits)
    if mobile:
        return "mobile", mobile.group(1)
    if len(digits) == 18 and valid_id18(digits):
        return "id_card", digits
    if len(digits) == 15 and after != "-" and valid_id15(digits):  # not a work-order id 15 digits-NN
        return "id_card", digits
    if len(groups) == 1 and _LANDLINE_RUN_TOGETHER.fullmatch(digits):
        return "landline", digits
    if len(groups) > 1 and _AREA_CODE.fullmatch(groups[0].text) and 7 <= len(digits) - len(groups[0].text) <= 8:
        return "landline", digits
    north_american = _NANP.fullmatch(digits)
    if north_american and [len(group.text) for group in groups] in _NANP_GROUPS:
        return "landline", north_american.group(1)
    return None, ""


def valid_id18(number: str) -> bool:
    """GB 11643: province, birth date (1900 to today), check character."""
    if len(number) != 18 or not number[:17].isdigit() or int(number[:2]) not in PROVINCES:
        return False
    if not _plausible_birth(number[6:14]):
        return False
    return ID_CHECK_CHARS[sum(int(d) * w for d, w in zip(number, ID_WEIGHTS, strict=False)) % 11] == number[17]


def valid_id15(number: str) -> bool:
    """The old 15-digit number: province and a birth date yymmdd (19yy)."""
    return number.isdigit() and int(number[:2]) in PROVINCES and _plausible_birth("19" + number[6:12])


def _plausible_birth(yyyymmdd: str) -> bool:
    try:
        born = dt.date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8]))
    except ValueError:
        return False
    return dt.date(1900, 1, 1) <= born <= dt.date.today()


# --- the gate check ------------------------------------------------------------------------


@dataclass
class _Column:
    name: str
    findings: int = 0
    sample: list | None = None


def personal_data_checks(
    connection,
    schemas: tuple[str, ...] = SCANNED_SCHEMAS,
    only: set[str] | None = None,
    sources: dict[str, tuple[str, list[str]]] | None = None,
) -> list[CheckResult]:
    """No clear phone or ID number in any text column of any table or view of `schemas` (of
    those named `schema.table` in `only`, when given: the gate reuses its scan of the others).
    `sources` limits a table's scan to its rows whose source column holds one of the values
    given (schema.table → (column, values): the files new since the gate last scanned it).

    One failing check per column with findings (the rows named by their key, the numbers
    masked), or one passing check saying what was scanned. DuckDB selects the candidate rows
    with a regex (`SQL_PREFILTER`); only those are examined in Python.
    """
    started = time.perf_counter()
    tables = _tables_by_schema(connection, schemas, _is_text, only)
    checks, scanned_columns, scanned_tables, partly = [], 0, 0, []
    for (schema, table), entry in tables.items():
        source = (sources or {}).get(f"{schema}.{table}")
        scanned = _scanned(entry)
        if not scanned or (source is not None and not source[1]):
            continue
        scanned_tables += 1
        scanned_columns += len(scanned)
        if source is not None:
            what = ROW_SOURCE_COLUMNS[source[0]]
            partly.append(f"{schema}.{table}: the rows of {len(source[1])} new or changed {what}(s)")
        try:
            results = _scan_table(connection, schema, table, entry, source)
        except Exception as error:  # a table that cannot be read cannot be declared clean
            checks.append(
                CheckResult(
                    CHECK_SOURCE,
                    f"{schema}.{table}",
                    f"no clear phone or ID number in {schema}.{table}",
                    False,
                    message=f"could not be scanned: {str(error).splitlines()[0]}",
                )
            )
            continue
        for column in results:
            checks.append(
                CheckResult(
                    CHECK_SOURCE,
                    f"{schema}.{table}",
                    f"no clear phone or ID number in {schema}.{table}.{column.name}",
                    False,
                    failing_rows=column.findings,
                    sample=column.sample or [],
                    message=f"{column.findings} row(s) hold a clear phone or ID number (shown masked)",
                )
            )
    elapsed = time.perf_counter() - started
    log.info("personal data: %d text columns of %d tables scanned in %.2f s", scanned_columns, scanned_tables, elapsed)
    if not checks:
        checks.append(
            CheckResult(
                CHECK_SOURCE,
                ", ".join(schemas),
                "no clear phone or ID numbers in text columns",
                True,
                message=f"no clear phone or ID numbers in {scanned_columns} text columns of {scanned_tables} tables "
                f"({', '.join(schemas)}; {elapsed:.1f} s)" + (f"; of {'; '.join(partly)}" if partly else ""),
            )
        )
    return checks


def _holds_order_ids(column: str) -> bool:
    """work_order_id, hotline_order_id, repeat_of_work_order_id, sample_work_order_ids, …: an
    order id is an identifier the export gives, not personal data, though some systems build
    theirs as an ID number is built (an area code, a date, a serial: 320681230615001)."""
    return "order_id" in column


def _scanned(entry: dict) -> list[str]:
    """The text columns of a table that are scanned: all but those of order ids."""
    return [column for column in entry["text"] if not _holds_order_ids(column)]


def _own_ids(values: tuple) -> set[str]:
    """The ids a row names in its id columns (a quarantined row's record_key), as the detector
    spells a number: elsewhere in the row (its cells, kept in raw_values) they are that id."""
    return {token.upper() for value in values if value is not None for token in re.findall(r"[0-9A-Za-z]+", str(value))}


def _is_text(data_type: str) -> bool:
    return data_type in ("VARCHAR", "JSON", "VARCHAR[]", "JSON[]")


def _tables_by_schema(connection, schemas, is_text, only=None) -> dict[tuple[str, str], dict]:
    """(schema, table) → its type, all its columns and the columns whose type `is_text` accepts
    (only the tables named `schema.table` in `only`, when given)."""
    columns = connection.execute(
        f"""
        select c.table_schema, c.table_name, t.table_type, c.column_name, c.data_type
        from information_schema.columns as c
        join information_schema.tables as t using (table_catalog, table_schema, table_name)
        where c.table_catalog = current_database() and c.table_schema in ({", ".join("?" for _ in schemas)})
        order by 1, 2, c.ordinal_position
        """,
        list(schemas),
    ).fetchall()
    tables: dict[tuple[str, str], dict] = {}
    for schema, table, table_type, column, data_type in columns:
        if only is not None and f"{schema}.{table}" not in only:
            continue
        entry = tables.setdefault((schema, table), {"type": table_type, "all": [], "text": []})
        entry["all"].append(column)
        if is_text(data_type):
            entry["text"].append(column)
    return tables


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _key(columns: list[str], table_type: str) -> tuple[list[str], list[str]]:
    """(SQL expressions, labels) that name a row in a report: its file and row, its id, its row."""
    present = set(columns)
    for file_column, sheet_column, row_column in (
        ("_file_name", "_sheet", "_row_number"),
        ("file_name", "sheet", "row_number"),
    ):
        if file_column in present and row_column in present:
            named = [file_column, *([sheet_column] if sheet_column in present else []), row_column]
            return [_quote(column) for column in named], named
    for column in columns:
        if column == "id" or (column.endswith("_id") and column not in ("_file_id", "file_id")):
            return [_quote(column)], [column]
    if table_type == "BASE TABLE":
        return ["rowid"], ["rowid"]
    return ["row_number() over ()"], ["row"]


def _scan_table(
    connection, schema: str, table: str, entry: dict, rows_of: tuple[str, list[str]] | None = None
) -> list[_Column]:
    keys, labels = _key(entry["all"], entry["type"])
    source = f"{_quote(schema)}.{_quote(table)}"
    only_rows, parameters = "", []
    if rows_of is not None:  # only the rows whose source column holds one of these values
        only_rows = f"cast({_quote(rows_of[0])} as varchar) in (select unnest(?::varchar[])) and "
        parameters = [rows_of[1]]
    scanned = _scanned(entry)
    id_columns = [column for column in entry["all"] if _holds_order_ids(column) or column == "record_key"]
    conditions = []
    for column in scanned:
        value = f"cast({_quote(column)} as varchar)"
        # cheapest first: short codes cannot hold ten digits, most text has no ten digits together
        condition = (
            f"(length({value}) >= 10 and regexp_matches({value}, '{SQL_PREFILTER}')"
            f" and not regexp_full_match({value}, '{SQL_NEVER_A_NUMBER}'))"
        )
        conditions.append((value, condition))
    selected = ", ".join(
        [f"case when {condition} then {value} end" for value, condition in conditions]
        + [f"cast({_quote(column)} as varchar)" for column in id_columns]
    )
    key_columns = ", ".join(f"{expression} as _key_{n}" for n, expression in enumerate(keys))
    if keys == ["row_number() over ()"]:  # number the rows before filtering them
        source = f"(select *, row_number() over () as _pii_row from {source})"
        key_columns = "_pii_row as _key_0"
    rows = connection.execute(
        f"select {key_columns}, {selected} from {source} where {only_rows}({' or '.join(c for _, c in conditions)})",
        parameters,
    ).fetchall()
    results = [_Column(column) for column in scanned]
    for row in rows:
        key, values, ids = row[: len(keys)], row[len(keys) : len(keys) + len(scanned)], row[len(keys) + len(scanned) :]
        own_ids = _own_ids(ids) if ids else set()
        for result, value in zip(results, values, strict=True):
            findings = find_personal_data(value) if value is not None else []
            findings = [finding for finding in findings if finding.value not in own_ids]
            if not findings:
                continue
            result.findings += 1
            result.sample = result.sample or []
            if len(result.sample) < SAMPLE_ROWS:
                # (a row's sheet is named only where its workbook was read from several)
                named = {label: redact(str(part)) for label, part in zip(labels, key, strict=True) if part is not None}
                named["found"] = ", ".join(f"{finding.kind} {finding.masked}" for finding in findings)
                result.sample.append(named)
    return [result for result in results if result.findings]


# --- names in clear ------------------------------------------------------------------------

# where the private people's name hashes are, and where the public office holders' names are
PRIVATE_NAME_HASHES = (
    ("staging", "stg_hotline__work_orders", "caller_name_hash"),
    ("staging", "stg_members__representatives", "name_hash"),
)
PUBLIC_NAMES = ("staging", "stg_members__roster", "member_name")
# what is published is what must hold no private name; raw and staging keep exports' own columns
NAME_SCANNED_SCHEMAS = ("marts",)
# a "name" given by more rows than this share (and at least PLACEHOLDER_MIN_ROWS) is a placeholder
# such as 匿名 or 市民 that operators type for anonymous callers, not a person
PLACEHOLDER_SHARE = 0.01
PLACEHOLDER_MIN_ROWS = 20
# a whole value shaped like a Chinese personal name: two to four Han characters
SQL_NAME_SHAPE = "\\s*[\u4e00-\u9fff]{2,4}\\s*"


def name_hash(value: str, key: bytes) -> str:
    """The keyed hash a loader gives a name: HMAC-SHA256 of its NFKC form without spaces or hyphens."""
    cleaned = re.sub(r"[\s-]", "", unicodedata.normalize("NFKC", value))
    return hmac.new(key, cleaned.encode("utf-8"), hashlib.sha256).hexdigest()


def clear_name_checks(
    connection, key: bytes, schemas: tuple[str, ...] = NAME_SCANNED_SCHEMAS, only: set[str] | None = None
) -> list[CheckResult]:
    """No caller's or representative's name in clear in any text column of `schemas` (of those
    named `schema.table` in `only`, when given).

    Each distinct name-shaped value (2-4 Han characters) is hashed with `key` and looked up among
    the name hashes of callers and representatives; members' names (public) are allowed, and so
    are placeholders many callers share (匿名). Only the marts: what is published. One
    failing check per column with findings (rows named by their key, the name never shown), or
    one passing check.
    """
    existing = {
        (schema, table, column)
        for schema, table, column in connection.execute(
            "select table_schema, table_name, column_name from information_schema.columns"
            " where table_catalog = current_database()"
        ).fetchall()
    }
    private = {
        value for place in PRIVATE_NAME_HASHES if place in existing for value in _personal_hashes(connection, place)
    }
    if PUBLIC_NAMES in existing:
        private -= {name_hash(value, key) for value in _distinct(connection, PUBLIC_NAMES)}
    tables = _tables_by_schema(connection, schemas, lambda data_type: data_type == "VARCHAR", only)
    checks = []
    scanned = 0
    for (schema, table), entry in tables.items():
        source = f"{_quote(schema)}.{_quote(table)}"
        for column in entry["text"]:
            scanned += 1
            if not private:
                continue
            value = _quote(column)
            shaped = connection.execute(
                f"select distinct {value} from {source}"
                f" where length({value}) between 2 and 8 and regexp_full_match({value}, '{SQL_NAME_SHAPE}')"
            ).fetchall()
            names = [name for (name,) in shaped if name_hash(name, key) in private]
            if not names:
                continue
            keys, labels = _key(entry["all"], entry["type"])
            placeholders = ", ".join("?" for _ in names)
            [(count,)] = connection.execute(
                f"select count(*) from {source} where {value} in ({placeholders})", names
            ).fetchall()
            rows = connection.execute(
                f"select {', '.join(keys)} from {source} where {value} in ({placeholders}) limit {SAMPLE_ROWS}", names
            ).fetchall()
            checks.append(
                CheckResult(
                    CHECK_SOURCE,
                    f"{schema}.{table}",
                    f"no caller's or representative's name in clear in {schema}.{table}.{column}",
                    False,
                    failing_rows=count,
                    sample=[{label: str(part) for label, part in zip(labels, row, strict=True)} for row in rows],
                    message=f"{count} row(s) hold the name of a caller or sector representative in clear (not shown)",
                )
            )
    if not checks:
        checks.append(
            CheckResult(
                CHECK_SOURCE,
                ", ".join(schemas),
                "no caller's or representative's name in clear in text columns",
                True,
                message=f"{scanned} text columns scanned for {len(private)} hashed names "
                "of callers and representatives",
            )
        )
    return checks


def _personal_hashes(connection, place: tuple[str, str, str]) -> list[str]:
    """The name hashes at `place`, but for placeholders given by too many rows to be a person."""
    schema, table, column = place
    source, value = f"{_quote(schema)}.{_quote(table)}", _quote(column)
    rows = connection.execute(
        f"""
        select {value} from {source} where {value} is not null group by 1
        having count(*) <= greatest(?, ? * (select count(*) from {source}))
        """,
        [PLACEHOLDER_MIN_ROWS, PLACEHOLDER_SHARE],
    ).fetchall()
    return [found for (found,) in rows]


def _distinct(connection, place: tuple[str, str, str]) -> list[str]:
    schema, table, column = place
    source, value = f"{_quote(schema)}.{_quote(table)}", _quote(column)
    rows = connection.execute(f"select distinct {value} from {source} where {value} is not null").fetchall()
    return [found for (found,) in rows]
