"""Personal data: keyed hashes for identifiers, masks for numbers typed into free text.

A keyed hash (HMAC-SHA256, key outside the repository) lets analysts count repeat callers
without anyone being able to read, or brute-force from a phone book, who called.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import threading
import unicodedata
from collections.abc import Callable

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

# Operators type numbers in half- or full-width digits (Chinese input methods give １３８…),
# grouped by spaces, dots, hyphens, slashes or brackets (138.1234.5678, 320681 1987 0526 877X),
# after +86, 0086 or (+86). A number is made of whole digit groups: bounded by anything but
# letters and digits, so hex digests and work-order ids (15 digits then "-01") never look like
# personal numbers, nor do dates and times (":" separates nothing) or decimals (12345678.90).
# quality/pii.py finds the same numbers with code of its own, to catch what this misses.
_DIGIT_FORMS = "0-9\uff10-\uff19\U0001d7ce-\U0001d7ff\U0001fbf0-\U0001fbf9"  # ASCII once NFKC'd
_D = f"[{_DIGIT_FORMS}]"
_X = "[XxＸｘ]"
# what separates digit groups: whitespace, ( ) - . / _ · • dashes, in every width (each of
# these normalises (NFKC) to one or more of them); up to three in a row
_SEP_CHARS = (
    r"\s()\-./_"
    "\u00b7\u0387\u2010-\u2015\u2022\u2024-\u2026\u207b\u207d\u207e\u208b\u208d\u208e\u2212\u30fb"
    "\ufe19\ufe30-\ufe36\ufe4d-\ufe4f\ufe52\ufe58-\ufe5a\ufe63\uff08\uff09\uff0d-\uff0f\uff3f\uff65"
)
_SEP = f"[{_SEP_CHARS}]{{1,3}}"
_DOT = "[.\u2024\ufe52\uff0e]"
_DASHES = "-\ufe63\uff0d"
_LETTER_OR_DIGIT = f"[{_DIGIT_FORMS}A-Za-z]"
# a dot between digits is a decimal point unless both sides have seven digits or more
# (13812345678.13912345678 are two numbers; 0.13812345678 and 13812345678.90 are none)
_START = f"(?<!{_LETTER_OR_DIGIT})(?:(?<!{_D}{_DOT})|(?<={_D}{{7}}{_DOT}))"
_END = f"(?!{_LETTER_OR_DIGIT})"
# Digit groups joined by separators, with at least ten digits (the shortest number is a
# landline), after "+", "(+" or the "(" of an area code (0…, or three digits and ")" as in
# (415) 555-0134): where a number may hide. Each is then taken apart group by group (_mask_run).
NUMBER_RUN = (
    f"(?P<lead>[(（]?[+＋]|[(（](?=[0０]|{_D}{{3}}[)）]))?{_START}(?={_D}(?:(?:{_SEP})?{_D}){{9}})"
    f"{_D}++(?:{_SEP}{_D}++)*+(?:{_X}{_END})?"
)
ID_MASK = "[证件号码已隐去]"
PHONE_MASK = "[电话已隐去]"
NAME_MASK = "[姓名已隐去]"

# Numbers that are personal in any form, for tests that look for leaks with a regex: ID-card
# numbers written as one run of digits, mobiles with or without +86, spaces or hyphens. (The
# gate's check, quality/pii.py, also finds the grouped forms that only a checksum tells apart.)
_CLEAR_START = f"(?<!{_LETTER_OR_DIGIT})(?<!{_D}{_DOT})"
_CLEAR_END = f"(?!{_LETTER_OR_DIGIT})(?!{_DOT}{_D})"
_PLAIN_ID = (
    f"{_CLEAR_START}[1-9１-９]{_D}{{16}}(?:{_D}|{_X}){_CLEAR_END}"
    f"|{_CLEAR_START}[1-9１-９]{_D}{{14}}{_CLEAR_END}(?![{_DASHES}])"
)
_SPACED = "[-\\s－]?"
_PLAIN_MOBILE = (
    f"{_CLEAR_START}(?:[+＋]?[8８][6６]{_SPACED})?[1１][3-9３-９]{_D}{_SPACED}{_D}{{4}}{_SPACED}{_D}{{4}}{_CLEAR_END}"
)
CLEAR_PERSONAL_NUMBER = f"{_PLAIN_ID}|{_PLAIN_MOBILE}"

_RUN_PATTERN = re.compile(NUMBER_RUN)
# the digit forms of _DIGIT_FORMS in RE2's syntax (Arrow's regular expressions)
_DIGIT_CLASS_RE2 = r"[0-9\x{ff10}-\x{ff19}\x{1d7ce}-\x{1d7ff}\x{1fbf0}-\x{1fbf9}]"
_GROUP_PATTERN = re.compile(f"{_D}+{_X}?")
_AS_ASCII = {
    **{0xFF10 + d: str(d) for d in range(10)},
    **{0x1FBF0 + d: str(d) for d in range(10)},
    **{0x1D7CE + b * 10 + d: str(d) for b in range(5) for d in range(10)},
    **{ord(x): "X" for x in "xＸｘ"},
}
_MOBILE_NUMBER = re.compile(r"(?:86|0086)?1[3-9][0-9]{9}")
_LANDLINE_NUMBER = re.compile(r"0[1-9][0-9]{8,10}")
_AREA_CODE = re.compile(r"0[1-9][0-9]{1,2}")
# a North American number (311 exports): area code and exchange, maybe after the country code 1
_NORTH_AMERICAN_NUMBER = re.compile(r"1?[2-9][0-8][0-9][2-9][0-9]{6}")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


# written value → digest, kept across the batches of one ingest (an export is a snapshot: the same
# caller recurs in the next days' exports), up to this many values
DIGEST_CACHE_LIMIT = 300_000  # about 80 MB a column
MASKED_CACHE_LIMIT = 50_000  # texts with numbers, masked (mask_text): about 25 MB a column


_SPACES_HYPHENS = re.compile(r"[\s-]")
_PLUS_86 = re.compile(r"^\+?86(1[3-9][0-9]{9})$")
# what `re` takes for \s (every character str.isspace() accepts; none lies above U+3000), as an
# RE2 class: a value with none of these, no hyphen and no +86 in front is left as it is by
# _SPACES_HYPHENS and _PLUS_86, so Arrow finds the few values those need to run on
PYTHON_WHITESPACE = "".join(chr(code) for code in range(0x3001) if chr(code).isspace())
_NEEDS_CLEANING = "[" + "".join(f"\\x{{{ord(c):x}}}" for c in PYTHON_WHITESPACE) + "\\-]|^\\+?86"


def _cleaned(values: list[str]) -> list[str]:
    """Each value normalised as keyed_hash says: NFKC (Python's own, value by value: its Unicode
    tables decide the hashes), then spaces, hyphens and a +86 before a mobile removed, where a
    value has them (Arrow tells which)."""
    normalized = [unicodedata.normalize("NFKC", value) for value in values]
    if not normalized:
        return normalized
    flagged = pc.match_substring_regex(pa.array(normalized, type=pa.large_string()), _NEEDS_CLEANING)
    for i in np.flatnonzero(flagged.to_numpy(zero_copy_only=False)):
        normalized[i] = _PLUS_86.sub(r"\1", _SPACES_HYPHENS.sub("", normalized[i]))
    return normalized


def keyed_hash(values: pd.Series, key: bytes, cache: dict[str, str | None] | None = None) -> pd.Series:
    """HMAC-SHA256 of each non-empty value; empty stays null. Hashes each distinct value once.

    Values are normalised first (full-width to half-width, no spaces or hyphens, no +86 before
    a mobile number), so the same caller typed two ways still hashes the same. `cache` (for one
    key only) keeps the digests of values already seen, by how they were written.
    """
    cache = {} if cache is None else cache
    if len(cache) > DIGEST_CACHE_LIMIT:
        cache.clear()
    # Arrow's dictionary encoding gives the distinct values and each row's index into them: the
    # digests are computed per distinct value and spread back to the rows in one `take`
    encoded = _arrow_text(values.fillna("")).combine_chunks().dictionary_encode()
    distinct = encoded.dictionary.to_pylist()
    written = [value for value in distinct if value not in cache]
    digest = _hmac_sha256(key)
    cache.update(
        zip(written, [digest(value.encode("utf-8")) if value else None for value in _cleaned(written)], strict=True)
    )
    hashed = pa.array([cache[value] for value in distinct], type=pa.large_string()).take(encoded.indices)
    return _text_series(hashed, values.index)


def _hmac_sha256(key: bytes) -> Callable[[bytes], str]:
    """HMAC-SHA256 (RFC 2104) as hex, with the key's two padded blocks hashed once: hmac.digest
    hashes them again for every value, which for values this short doubles the work
    (tests/ingestion/test_vectorised_masking.py compares the two)."""
    block = 64
    key = (hashlib.sha256(key).digest() if len(key) > block else key).ljust(block, b"\0")
    inner = hashlib.sha256(bytes(byte ^ 0x36 for byte in key))
    outer = hashlib.sha256(bytes(byte ^ 0x5C for byte in key))

    def digest(message: bytes) -> str:
        first = inner.copy()
        first.update(message)
        second = outer.copy()
        second.update(first.digest())
        return second.hexdigest()

    return digest


def _arrow_text(values: pd.Series) -> pa.ChunkedArray:
    """A text column as Arrow large strings (no copy for pandas' Arrow-backed strings)."""
    array = pa.array(values, type=pa.large_string(), from_pandas=True)
    return array if isinstance(array, pa.ChunkedArray) else pa.chunked_array([array])


def _text_series(array: pa.Array | pa.ChunkedArray, index: pd.Index) -> pd.Series:
    if pd.StringDtype().storage == "pyarrow":
        return pd.Series(pd.arrays.ArrowStringArray(array), index=index, copy=False)
    return pd.Series(array.to_pylist(), index=index, dtype="string")


_LOCAL = threading.local()


def _duckdb() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB of this thread's own, kept (opening one costs more than a batch's query)."""
    if getattr(_LOCAL, "connection", None) is None:
        _LOCAL.connection = duckdb.connect()
    return _LOCAL.connection


def mask_names(texts: pd.Series, names: pd.Series) -> pd.Series:
    """Replace each row's own caller name (from the caller-name column of the same row, before it
    is hashed) inside its free text: operators often type it there. One-character names are left,
    since they would mask ordinary words.

    DuckDB's replace takes a pattern per row, vectorised (Python's str.replace, row by row, was
    one of the loader's largest costs); its length counts characters as len() does."""
    if texts.empty:
        return texts.copy()
    table = pa.table({"text": _arrow_text(texts), "name": pc.utf8_trim_whitespace(_arrow_text(names))})
    connection = _duckdb()
    connection.register("texts", table)
    try:
        masked = connection.sql(
            "select case when length(name) > 1 then replace(text, name, $mask) else text end as text from texts",
            params={"mask": NAME_MASK},
        ).to_arrow_table()["text"]
    finally:
        connection.unregister("texts")
    return _text_series(masked.cast(pa.large_string()), texts.index).astype(texts.dtype)


def mask_text(values: pd.Series, cache: dict[str, str] | None = None) -> pd.Series:
    """Replace ID-card, mobile and landline numbers inside free text by a mask.

    Only texts with ten digits or more can hold a number (NUMBER_RUN needs ten): Arrow counts
    them in one vectorised pass, and each such text is masked once however often it recurs.
    `cache` keeps the masked texts already seen (the same work order recurs in the next days'
    exports)."""
    if values.empty:
        return values.copy()
    cache = {} if cache is None else cache
    if len(cache) > MASKED_CACHE_LIMIT:
        cache.clear()
    texts = _arrow_text(values)
    digits = pc.count_substring_regex(texts, _DIGIT_CLASS_RE2).fill_null(0).to_numpy(zero_copy_only=False)
    candidates = digits >= 10
    masked = values.copy()
    if candidates.any():
        some = values[candidates]
        by_text = {}
        for text in pd.unique(some):
            if text not in cache:
                cache[text] = _RUN_PATTERN.sub(_mask_run, text)
            by_text[text] = cache[text]
        masked[candidates] = some.map(by_text)
    return masked


def _mask_run(match: re.Match) -> str:
    """Mask the numbers among a run of digit groups.

    A number is a stretch of whole groups: a mobile (after 86 or 0086 or not); an ID number of
    18 digits (last maybe X) or of 15 not followed by a dash (a work-order id is 15 digits then
    -NN); a landline (an area code group then 7-8 digits, or 10-12 digits run together). One
    run of digits is masked as an ID number whatever it holds, as it always was (an ID number
    with a typo is still somebody's); grouped digits only if they make a valid ID number
    (checksum and birth date), since grouped digits are often something else (two dates).
    """
    text, offset = match.group(0), match.start()
    lead = match.end("lead") - offset if match.group("lead") else 0
    groups = [(g.start(), g.end(), g.group().translate(_AS_ASCII)) for g in _GROUP_PATTERN.finditer(text, lead)]
    separators = [unicodedata.normalize("NFKC", text[a[1] : b[0]]) for a, b in zip(groups, groups[1:], strict=False)]
    following = match.string[match.end() : match.end() + 1]
    last_touches = bool(following) and re.match(_LETTER_OR_DIGIT, following) is not None

    def decimal_point(k: int) -> bool:  # between groups k and k + 1
        return separators[k] == "." and min(len(groups[k][2]), len(groups[k + 1][2].rstrip("X"))) < 7

    spans: list[tuple[int, int, str]] = []
    for i in range(len(groups)):
        if i > 0 and decimal_point(i - 1):
            continue
        digits = ""
        for j in range(i, len(groups)):
            digits += groups[j][2]
            if len(digits) > 18:
                break
            if (j == len(groups) - 1 and last_touches) or (j < len(groups) - 1 and decimal_point(j)):
                continue
            if j == i + 1 and decimal_point(i):
                continue
            after = text[groups[j][1] : groups[j][1] + 1] or following
            mask = _number_mask(digits, [group[2] for group in groups[i : j + 1]], after)
            if mask:
                spans.append((0 if i == 0 else groups[i][0], groups[j][1], mask))
    if not spans:
        return text
    merged: list[list] = []
    for start, end, mask in sorted(spans):
        if merged and start < merged[-1][1]:  # overlapping numbers: one mask over both
            merged[-1][1] = max(merged[-1][1], end)
            merged[-1][2] = ID_MASK if ID_MASK in (mask, merged[-1][2]) else mask
        else:
            merged.append([start, end, mask])
    pieces, position = [], 0
    for start, end, mask in merged:
        pieces += [text[position:start], mask]
        position = end
    return "".join(pieces) + text[position:]


def _number_mask(digits: str, groups: list[str], after: str) -> str | None:
    plain = len(groups) == 1
    if digits.endswith("X"):
        return ID_MASK if len(digits) == 18 and digits[0] != "0" and (plain or _valid_id18(digits)) else None
    if _MOBILE_NUMBER.fullmatch(digits):
        return PHONE_MASK
    if len(digits) == 18 and digits[0] != "0" and (plain or _valid_id18(digits)):
        return ID_MASK
    if len(digits) == 15 and digits[0] != "0" and not (after and after in _DASHES):
        return ID_MASK if plain or _birth_date_plausible("19" + digits[6:12]) else None
    if plain and _LANDLINE_NUMBER.fullmatch(digits):
        return PHONE_MASK
    if not plain and _AREA_CODE.fullmatch(groups[0]) and 7 <= len(digits) - len(groups[0]) <= 8:
        return PHONE_MASK
    if _NORTH_AMERICAN_NUMBER.fullmatch(digits) and _north_american_groups(groups):
        return PHONE_MASK
    return None


def _north_american_groups(groups: list[str]) -> bool:
    """Written as (415) 555-0134, 415.555.0134 or 415 5550134, maybe after 1 or +1. Not as one run
    of ten digits: Chinese text is full of those (order numbers, 2023010512 as a date and hour)."""
    lengths = [len(group) for group in groups[1:]] if groups[0] == "1" and len(groups) > 1 else [len(g) for g in groups]
    return lengths in ([3, 3, 4], [3, 7])


def _valid_id18(number: str) -> bool:
    return _birth_date_plausible(number[6:14]) and _check_char(number[:17]) == number[17]


def _check_char(body: str) -> str:
    return "10X98765432"[sum(int(digit) * weight for digit, weight in zip(body, _ID_WEIGHTS, strict=True)) % 11]


def _birth_date_plausible(yyyymmdd: str) -> bool:
    if not yyyymmdd.isdigit():
        return False
    try:
        born = dt.date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:]))
    except ValueError:
        return False
    return dt.date(1900, 1, 1) <= born <= dt.date.today()
