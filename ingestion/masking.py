"""Personal data: keyed hashes for identifiers, masks for numbers typed into free text.

A keyed hash (HMAC-SHA256, key outside the repository) lets analysts count repeat callers
without anyone being able to read, or brute-force from a phone book, who called.
"""

from __future__ import annotations

import hashlib
import hmac

import pandas as pd

# Operators type numbers in half- or full-width digits (Chinese input methods give １３８…),
# with spaces or hyphens, with +86. Bounded by anything but letters and digits, so hex
# digests and work-order ids (15 digits then "-01") never look like personal numbers.
_D = "[0-9０-９]"
_SEP = "[-\\s－]?"
_START = "(?<![0-9０-９A-Za-z])"
_END = "(?![0-9０-９A-Za-z])"
ID_NUMBER = (
    f"{_START}[1-9１-９]{_D}{{16}}[0-9０-９XxＸｘ]{_END}"  # 18-digit ID card, last may be X
    f"|{_START}[1-9１-９]{_D}{{14}}(?![0-9０-９A-Za-z-])"  # old 15-digit ID card
)
MOBILE = f"{_START}(?:[+＋]?(?:86|８６){_SEP})?[1１][3-9３-９]{_D}{_SEP}{_D}{{4}}{_SEP}{_D}{{4}}{_END}"
LANDLINE = f"{_START}[0０][1-9１-９]{_D}{{1,2}}{_SEP}{_D}{{7,8}}{_END}"
ID_MASK = "[证件号码已隐去]"
PHONE_MASK = "[电话已隐去]"

# What the quality gate looks for: any of these left in clear text is a leak.
CLEAR_PERSONAL_NUMBER = f"{ID_NUMBER}|{MOBILE}"


def keyed_hash(values: pd.Series, key: bytes) -> pd.Series:
    """HMAC-SHA256 of each non-empty value; empty stays null. Hashes each distinct value once.

    Values are normalised first (full-width to half-width, no spaces or hyphens, no +86 before
    a mobile number), so the same caller typed two ways still hashes the same.
    """
    cleaned = (
        values.fillna("")
        .str.normalize("NFKC")
        .str.replace(r"[\s-]", "", regex=True)
        .str.replace(r"^\+?86(1[3-9][0-9]{9})$", r"\1", regex=True)
    )
    distinct = cleaned[cleaned != ""].unique()
    keyed = hmac.new(key, digestmod=hashlib.sha256)  # the key schedule once; each value copies it
    digests = {}
    for value in distinct:
        state = keyed.copy()
        state.update(value.encode("utf-8"))
        digests[value] = state.hexdigest()
    return cleaned.map(digests).astype("string")


def mask_text(values: pd.Series) -> pd.Series:
    """Replace ID-card, mobile and landline numbers inside free text by a mask."""
    return (
        values.str.replace(ID_NUMBER, ID_MASK, regex=True)
        .str.replace(MOBILE, PHONE_MASK, regex=True)
        .str.replace(LANDLINE, PHONE_MASK, regex=True)
    )
