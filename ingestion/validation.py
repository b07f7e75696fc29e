"""Turning mapped text cells into typed columns, and naming what is wrong with each bad row."""

from __future__ import annotations

import pandas as pd

from ingestion.profiles import SourceProfile

FLAG_VALUES = {
    **dict.fromkeys(["是", "y", "yes", "true", "1", "有"], True),
    **dict.fromkeys(["否", "n", "no", "false", "0", "无"], False),
}


def parse_timestamps(values: pd.Series, formats: tuple[str, ...]) -> pd.Series:
    """Parse text with the first format that fits each value; unparseable → NaT."""
    parsed = pd.Series(pd.NaT, index=values.index, dtype="datetime64[us]")
    for fmt in formats:
        missing = parsed.isna() & values.ne("")
        if not missing.any():
            break
        parsed[missing] = pd.to_datetime(values[missing], format=fmt, errors="coerce")
    return parsed


def parse_flags(values: pd.Series) -> pd.Series:
    return values.str.strip().str.lower().map(FLAG_VALUES).astype("boolean")


class Problems:
    """Each row's problems, joined by '; ' ('' for a good row). Built sparsely: few rows are bad."""

    def __init__(self, index: pd.Index) -> None:
        self.messages = pd.Series("", index=index, dtype="object")

    def note(self, bad: pd.Series, message: pd.Series | str) -> None:
        if not bad.any():
            return
        new = message[bad] if isinstance(message, pd.Series) else message
        current = self.messages[bad]
        self.messages[bad] = current.where(current.eq(""), current + "; ") + new


def row_problems(mapped: pd.DataFrame, profile: SourceProfile) -> tuple[pd.DataFrame, pd.Series]:
    """Typed columns for every row, and each row's problems ('' for a good row)."""
    typed = {}
    problems = Problems(mapped.index)
    for column in profile.columns:
        values = mapped[column.name]
        present = values.ne("")
        if column.type in ("timestamp", "date"):
            typed[column.name] = parse_timestamps(values, column.formats)
            if column.type == "date":
                typed[column.name] = typed[column.name].dt.normalize()
            expected = column.formats[0] if column.formats else f"a {column.type}"
            bad = present & typed[column.name].isna()
            problems.note(bad, f"{column.header} is not a {column.type} like {expected}: '" + values + "'")
        elif column.type == "flag":
            typed[column.name] = parse_flags(values)
            bad = present & typed[column.name].isna()
            problems.note(bad, f"{column.header} is not 是/否: '" + values + "'")
        else:
            typed[column.name] = values.where(present, None)
        if column.name in profile.required:
            problems.note(~present, f"{column.header} is empty")
        if column.name in profile.allowed:
            unknown = present & ~values.isin(profile.allowed[column.name])
            problems.note(unknown, f"{column.header} '" + values + "' is not one of the known values")
    return pd.DataFrame(typed, index=mapped.index), problems.messages.astype("string")
