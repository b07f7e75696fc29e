"""Personal data: keyed hashes for identifiers, masks for numbers typed into free text.

A keyed hash (HMAC-SHA256, key outside the repository) lets analysts count repeat callers
without anyone being able to read, or brute-force from a phone book, who called.
"""

from __future__ import annotations

import hashlib
import hmac

import pandas as pd

# An 18-digit ID-card number (last may be X), a mobile number, a landline with area code.
# Bounded by anything but ASCII letters and digits, so hex digests never look like numbers.
ID_NUMBER = r"(?<![0-9A-Za-z])[1-9][0-9]{16}[0-9Xx](?![0-9A-Za-z])"
MOBILE = r"(?<![0-9A-Za-z])1[3-9][0-9]{9}(?![0-9A-Za-z])"
LANDLINE = r"(?<![0-9A-Za-z])0[1-9][0-9]{1,2}-?[0-9]{7,8}(?![0-9A-Za-z])"
ID_MASK = "[证件号码已隐去]"
PHONE_MASK = "[电话已隐去]"

# What the quality gate looks for: any of these left in clear text is a leak.
CLEAR_PERSONAL_NUMBER = f"{ID_NUMBER}|{MOBILE}"


def keyed_hash(values: pd.Series, key: bytes) -> pd.Series:
    """HMAC-SHA256 of each non-empty value (trimmed); empty stays null. Hashes each distinct value once."""
    cleaned = values.fillna("").str.strip()
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
