"""The hotline KPIs, as defined once in dbt_project.yml (`vars: kpi_definitions`).

dbt computes the KPI marts' columns from that list (macros/hotline_kpis.sql); this module
reads the same list for Python: the quality gate's range checks, the published workbook's
headers and formats, the `hotline kpis` table, and scripts/kpi_docs.py, which writes the
marts' column docs and contracts. The comment above the list in dbt_project.yml says what
each field means.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from core.errors import PipelineError
from core.settings import PROJECT_DIR

# where the definitions live; tests point this at a copy
DBT_PROJECT_FILE = PROJECT_DIR / "dbt_project" / "dbt_project.yml"
# unit → the Chinese unit people read (a rate and a change are shown as percentages)
UNITS = {"count": "件", "rate": "%", "change": "%", "working_days": "工作日"}
# a KPI mart row's period_status, for people: final once every order of the period is settled
# (dbt_project/macros/period_maturity.sql), provisional while its rates can still move
PERIOD_STATUS_LABELS = {"final": "最终", "provisional": "暂定"}
# unit → how the database's column comment states it (the stored value, not its display)
UNIT_COMMENTS = {"count": "件", "rate": "比率，0–1", "change": "相对变化，0.1 即 +10%", "working_days": "工作日"}
WAYS = ("counts", "last_year_of", "numerator", "formula")  # how a KPI is computed: exactly one
FIELDS = {
    "name",
    "label_zh",
    "unit",
    "description",
    "counted_by",
    "counts",
    "counts_void_orders",
    "last_year_of",
    "numerator",
    "denominator",
    "complete_periods_only",
    "formula",
    "published",
    "headline",
    "data_type",
    "data_tests",
}
RATE_TEST = {"between": {"arguments": {"min_value": 0, "max_value": 1}}}


@dataclass(frozen=True)
class Kpi:
    name: str
    label_zh: str
    unit: str  # count | rate | change | working_days
    description: str
    data_type: str
    published: bool = True  # a mart column (false: a measure only other KPIs divide)
    headline: bool = False  # a column of `hotline kpis`
    data_tests: tuple = ()  # besides the [0, 1] test of a rate
    counted_by: str | None = None
    counts: str | None = None
    counts_void_orders: bool = False  # a void order (已作废) adds to this measure; to no other
    last_year_of: str | None = None
    numerator: str | None = None
    denominator: str | None = None
    complete_periods_only: bool = False
    formula: str | None = None

    @property
    def is_rate(self) -> bool:
        """A share in [0, 1]: the gate and dbt check the range, reports show a percentage."""
        return self.unit == "rate"

    @property
    def is_measure(self) -> bool:
        return self.counts is not None

    @property
    def sums(self) -> str | None:
        """What one fct_cases row adds to the measure: its `counts`, nothing for a void order unless
        the measure counts them (the KPI marts' macro measure_sql says the same)."""
        if self.counts is None or self.counts_void_orders:
            return self.counts
        return f"case when not coalesce(is_void, false) then {self.counts} end"

    @property
    def column_doc(self) -> dict:
        """The column's entry in the marts' YAML: description, contract type and data tests."""
        entry: dict = {"name": self.name, "description": self.description, "data_type": self.data_type}
        tests = copy.deepcopy([*self.data_tests, *([RATE_TEST] if self.is_rate else [])])
        if tests:
            entry["data_tests"] = tests
        return entry

    def formula_zh(self, labels: dict[str, str]) -> str | None:
        """How the KPI is computed, in the Chinese labels of the KPIs it uses (`labels`: name →
        label_zh); None for a measure, which its description defines."""
        if self.last_year_of:
            return f"上年同期的{labels[self.last_year_of]}"
        if self.numerator is not None:
            numerator, denominator = (_in_labels(part, labels) for part in (self.numerator, self.denominator))
            numerator = f"({numerator})" if re.search(r"[-+]", self.numerator) else numerator
            return f"{numerator} / {denominator}"
        if self.formula is not None:
            return _in_labels(self.formula, labels)
        return None


def _in_labels(expression: str, labels: dict[str, str]) -> str:
    """A SQL expression over KPI columns with each column replaced by its Chinese label."""
    expression = re.sub(r"\b[a-z][a-z0-9_]*\b", lambda match: labels.get(match.group(0), match.group(0)), expression)
    return " ".join(expression.replace(" - ", " − ").split())


def load_kpis(path: Path | None = None) -> tuple[Kpi, ...]:
    """Every KPI entry, measures used only by others included, in the marts' column order."""
    path = path or DBT_PROJECT_FILE
    try:
        # libyaml's parser: dbt_project.yml is read by every KPI suite of a gate (9× 70 ms in Python)
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        entries = (yaml.load(path.read_text(encoding="utf-8"), Loader=loader).get("vars") or {})["kpi_definitions"]
    except (OSError, yaml.YAMLError, KeyError, AttributeError) as error:
        raise PipelineError(f"{path}: no readable vars: kpi_definitions ({error})") from None
    kpis = tuple(_kpi(entry, path) for entry in entries)
    names = [kpi.name for kpi in kpis]
    if duplicates := sorted({name for name in names if names.count(name) > 1}):
        raise PipelineError(f"{path}: kpi_definitions names {', '.join(duplicates)} more than once")
    labels = [kpi.label_zh for kpi in kpis]
    if duplicates := sorted({label for label in labels if labels.count(label) > 1}):
        raise PipelineError(f"{path}: kpi_definitions label {', '.join(duplicates)} more than once")
    measures = {kpi.name for kpi in kpis if kpi.is_measure}
    for kpi in kpis:
        if kpi.last_year_of is not None and kpi.last_year_of not in measures:
            raise PipelineError(f"{path}: {kpi.name}: last_year_of {kpi.last_year_of} is not a measure")
    return kpis


def published_kpis(path: Path | None = None) -> tuple[Kpi, ...]:
    """The KPIs that are columns of every KPI mart, in column order."""
    return tuple(kpi for kpi in load_kpis(path) if kpi.published)


def rate_columns(path: Path | None = None) -> tuple[str, ...]:
    """The published rates: shares that must lie in [0, 1]."""
    return tuple(kpi.name for kpi in published_kpis(path) if kpi.is_rate)


def _kpi(entry: dict, path: Path) -> Kpi:
    name = entry.get("name") if isinstance(entry, dict) else None
    if not isinstance(name, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", name):
        raise PipelineError(f"{path}: kpi_definitions entry {entry!r}: name must be a lower-case column name")
    problems = []
    if unknown := sorted(set(entry) - FIELDS):
        problems.append(f"unknown field(s) {', '.join(unknown)}")
    if not entry.get("label_zh"):
        problems.append("no label_zh")
    if entry.get("unit") not in UNITS:
        problems.append(f"unit must be one of {', '.join(UNITS)}")
    ways = [way for way in WAYS if way in entry]
    if len(ways) != 1:
        problems.append(f"needs exactly one of {', '.join(WAYS)}; has {', '.join(ways) or 'none'}")
    if "counts" in entry and not entry.get("counted_by"):
        problems.append("counts by no date (counted_by)")
    if ("numerator" in entry) != ("denominator" in entry):
        problems.append("needs both numerator and denominator")
    if "description" not in entry and "numerator" not in entry:
        problems.append("no description")
    if problems:
        raise PipelineError(f"{path}: kpi_definitions {name}: {'; '.join(problems)}")
    description = entry.get("description") or f"{entry['label_zh']} = {entry['numerator']} / {entry['denominator']}."
    return Kpi(
        name=name,
        label_zh=entry["label_zh"],
        unit=entry["unit"],
        description=" ".join(str(description).split()),
        data_type=entry.get("data_type", "bigint" if "counts" in entry or "last_year_of" in entry else "double"),
        published=entry.get("published", True),
        headline=entry.get("headline", False),
        data_tests=tuple(entry.get("data_tests") or ()),
        counted_by=entry.get("counted_by"),
        counts=None if entry.get("counts") is None else str(entry["counts"]),
        counts_void_orders=entry.get("counts_void_orders", False),
        last_year_of=entry.get("last_year_of"),
        numerator=None if entry.get("numerator") is None else str(entry["numerator"]),
        denominator=None if entry.get("denominator") is None else str(entry["denominator"]),
        complete_periods_only=entry.get("complete_periods_only", False),
        formula=entry.get("formula"),
    )
