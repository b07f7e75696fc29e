"""Turning mapped text cells into typed columns, and naming what is wrong with each bad row."""

from __future__ import annotations

import pandas as pd

from ingestion.profiles import ColumnSpec, SourceProfile

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


def typed_column(values: pd.Series, column: ColumnSpec) -> tuple[pd.Series, pd.Series]:
    """The typed column and, per row, the problem with its value ('' when fine)."""
    present = values.ne("")
    if column.type == "timestamp":
        typed = parse_timestamps(values, column.formats)
        bad = present & typed.isna()
        expected = column.formats[0] if column.formats else "a timestamp"
        problem = f"{column.header} is not a timestamp like {expected}: '" + values + "'"
    elif column.type == "flag":
        typed = parse_flags(values)
        bad = present & typed.isna()
        problem = f"{column.header} is not 是/否: '" + values + "'"
    else:
        typed = values.where(present, None)
        bad = pd.Series(False, index=values.index)
        problem = pd.Series("", index=values.index)
    return typed, problem.where(bad, "")


def row_problems(mapped: pd.DataFrame, profile: SourceProfile) -> tuple[pd.DataFrame, pd.Series]:
    """Typed columns for every row, and each row's problems joined by '; ' ('' for a good row)."""
    typed = {}
    problems = []
    for column in profile.columns:
        values = mapped[column.name]
        typed[column.name], problem = typed_column(values, column)
        if column.name in profile.required:
            problem = problem.mask(values.eq(""), f"{column.header} is empty")
        if column.name in profile.allowed:
            unknown = values.ne("") & ~values.isin(profile.allowed[column.name])
            problem = problem.mask(unknown, f"{column.header} '" + values + "' is not one of the known values")
        problems.append(problem)
    frame = pd.concat(problems, axis=1)
    has_problem = frame.ne("").any(axis=1)
    joined = pd.Series("", index=mapped.index, dtype="string")
    if has_problem.any():
        joined[has_problem] = frame[has_problem].apply(lambda row: "; ".join(p for p in row if p), axis=1)
    return pd.DataFrame(typed, index=mapped.index), joined
