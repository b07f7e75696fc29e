"""Write the KPI columns of every KPI mart's YAML (models/marts/kpi_*.yml) from the KPI definitions.

The KPIs are defined once, in dbt_project.yml (`vars: kpi_definitions`). Each KPI mart has its
own YAML beside its SQL, like every model. That file is hand-written (the mart's description,
contract, its own columns: period, dimensions, a unit's score; its model-level tests and unit
tests) except for one block of its `columns:` list, between the lines

    # BEGIN KPI columns ...
    # END KPI columns ...

which this script writes from the definitions: each published KPI's description and contract
type, in full in every file (YAML anchors do not reach across files, and the repetition is the
script's, not a person's). The KPIs' data checks (not null, a rate within [0, 1]) go into ONE
model-level test per mart, `kpi_columns_valid` (tests/generic/kpi_columns_valid.sql), between the
lines

    # BEGIN KPI tests ...
    # END KPI tests ...

in the model's `data_tests:` list; its rows are keyed by the mart's grain (its
unique_combination columns, or its unique column). A test per column and check cost a fixed
~0.3 s each on every build, 169 of them over the nine marts. The script replaces only what is
between the markers and keeps the rest of each file as it is, comments and layout included.

It also writes the semantic layer, models/semantic/hotline_kpis.yml, whole: a semantic model over
fct_cases with one measure per KPI measure (its `counts` summed by its `counted_by` date), and a
metric per KPI (simple for a measure, an offset for a last-year figure, a ratio or a derived
metric for numerator / denominator), so MetricFlow and BI tools reading the semantic manifest
compute what the KPI marts hold. Run it after adding, changing or removing a KPI:

    .venv/bin/python scripts/kpi_docs.py            rewrite the KPI block of each KPI mart's YAML
                                                    and the semantic layer
    .venv/bin/python scripts/kpi_docs.py --check    exit 1 when any of them is out of step

A test runs the same check over every file, so a definition never ships without its docs.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import yaml

from core.kpi_definitions import UNIT_COMMENTS, load_kpis

PROJECT_DIR = Path(__file__).resolve().parent.parent / "dbt_project"
MARTS_DIR = Path("models") / "marts"
# the marts whose columns include every published KPI: each has models/marts/<name>.yml with
# one generated block; a new KPI mart is added here and gets the two marker lines in its YAML
KPI_MARTS = (
    "kpi_hotline_monthly",
    "kpi_hotline_quarterly",
    "kpi_hotline_yearly",
    "kpi_town_monthly",
    "kpi_unit_monthly",
    "kpi_category_l1_monthly",
    "kpi_category_l2_monthly",
    "kpi_category_l3_monthly",
    "kpi_appeal_type_monthly",
)
SEMANTIC_FILE = Path("models") / "semantic" / "hotline_kpis.yml"
# what a metric can be sliced by: fct_cases columns, besides the dates measures count by
CASE_DIMENSIONS = (
    ("appeal_type", "诉求类型"),
    ("channel", "诉求渠道"),
    ("urgency", "紧急程度"),
    ("category_l1_name", "一级分类"),
    ("category_l2_name", "二级分类"),
    ("category_l3_name", "三级分类"),
    ("district", "区县"),
    ("town", "镇街"),
    ("handling_unit", "承办单位"),
    ("source_profile", "数据来源"),
)
DATE_LABELS = {
    "received_date": "受理日期",
    "dispatched_date": "派单日期",
    "completion_due_date": "应办结日期",
    "completed_date": "办结日期",
}
BEGIN = "# BEGIN KPI columns: written by scripts/kpi_docs.py from vars: kpi_definitions, do not edit"
END = "# END KPI columns"
TESTS_BEGIN = "# BEGIN KPI tests: written by scripts/kpi_docs.py from vars: kpi_definitions, do not edit"
TESTS_END = "# END KPI tests"


class _Dumper(yaml.SafeDumper):
    """Block style with nested lists indented under their key, as the hand-written YAML reads."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        return super().increase_indent(flow, False)


def _split_tests(kpi) -> tuple[bool, dict | None, list]:
    """A KPI's data tests as (not null?, its range or None, the other tests, which stay on the column)."""
    not_null, bounds, others = False, None, []
    for test in kpi.column_doc.get("data_tests", []):
        if test == "not_null":
            not_null = True
        elif isinstance(test, dict) and list(test) == ["between"]:
            arguments = test["between"].get("arguments", test["between"])
            bounds = {"column": kpi.name, "min_value": arguments["min_value"], "max_value": arguments["max_value"]}
        else:
            others.append(test)
    return not_null, bounds, others


def kpi_columns_block(kpis) -> str:
    """The published KPIs as the entries of a `columns:` list, unindented."""
    labels = {kpi.name: kpi.label_zh for kpi in kpis}
    columns = []
    for kpi in kpis:
        if not kpi.published:
            continue
        # the Chinese label, unit and formula the database's column comment carries (macros/persist_docs.sql)
        meta = {"label_zh": kpi.label_zh, "unit": UNIT_COMMENTS[kpi.unit]}
        if formula := kpi.formula_zh(labels):
            meta["formula_zh"] = formula
        column = {key: value for key, value in kpi.column_doc.items() if key != "data_tests"}
        if others := _split_tests(kpi)[2]:
            column["data_tests"] = others
        columns.append({**column, "config": {"meta": meta}})
    return yaml.dump(columns, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


def kpi_tests_block(kpis, mart: str, key_columns: list[str]) -> str:
    """The mart's one `kpi_columns_valid` test over every published KPI, as a `data_tests:` entry, unindented."""
    not_null, ranges = [], []
    for kpi in kpis:
        if kpi.published:
            is_not_null, bounds, _ = _split_tests(kpi)
            not_null += [kpi.name] if is_not_null else []
            ranges += [bounds] if bounds else []
    test = {
        "kpi_columns_valid": {
            "name": f"kpi_columns_valid_{mart}",
            "arguments": {"key_columns": key_columns, "not_null": not_null, "ranges": ranges},
        }
    }
    return yaml.dump([test], Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


def key_columns(path: Path, model: dict) -> list[str]:
    """The mart's grain, from its hand-written tests: its unique_combination columns, or its unique column."""
    for test in model.get("data_tests") or []:
        if isinstance(test, dict) and "unique_combination" in test:
            combination = test["unique_combination"]
            return list(combination.get("arguments", combination)["columns"])
    unique = [column["name"] for column in model.get("columns") or [] if "unique" in (column.get("data_tests") or [])]
    if len(unique) != 1:
        raise SystemExit(f"{path}: needs a unique_combination test or one unique column (its grain), for its KPI test")
    return unique


def spliced(path: Path, text: str, block: str, begin: str = BEGIN, end: str = END) -> str:
    """`text` (a KPI mart's YAML) with `block` between its marker lines, indented as they are;
    every other line as it was."""
    lines = text.splitlines(keepends=True)
    begins = [i for i, line in enumerate(lines) if line.strip() == begin]
    ends = [i for i, line in enumerate(lines) if line.strip() == end]
    if len(begins) != 1 or len(ends) != 1 or ends[0] < begins[0]:
        where = "its columns list where the KPI columns go" if begin == BEGIN else "its model-level data_tests list"
        raise SystemExit(f"{path}: needs the line {begin!r} and, below it, the line {end!r}, once each, in {where}")
    marker = lines[begins[0]]
    indent = marker[: len(marker) - len(marker.lstrip())]
    generated = [f"{indent}{line}" if line.strip() else line for line in block.splitlines(keepends=True)]
    return "".join([*lines[: begins[0] + 1], *generated, *lines[ends[0] :]])


def _names_in(expression: str, names: set[str]) -> list[str]:
    """The KPI names an SQL expression over measures refers to, in order of first use."""
    found = []
    for word in re.findall(r"[a-z][a-z0-9_]*", expression):
        if word in names and word not in found:
            found.append(word)
    return found


def _metric(kpi, kpis_by_name: dict) -> dict:
    """One KPI as a MetricFlow metric."""
    description = kpi.description
    if kpi.complete_periods_only:
        description += " (The KPI marts leave it null for a period still running; the metric does not know periods.)"
    metric: dict = {"name": kpi.name, "label": kpi.label_zh, "description": description}
    if kpi.is_measure:
        metric.update(type="simple", type_params={"measure": kpi.name})
    elif kpi.last_year_of:
        metric.update(
            type="derived",
            type_params={
                "expr": f"{kpi.last_year_of}_a_year_before",
                "metrics": [
                    {"name": kpi.last_year_of, "offset_window": "1 year", "alias": f"{kpi.last_year_of}_a_year_before"}
                ],
            },
        )
    elif kpi.numerator:
        names = set(kpis_by_name)
        if kpi.numerator in names and kpi.denominator in names and kpis_by_name[kpi.numerator].is_measure:
            metric.update(type="ratio", type_params={"numerator": kpi.numerator, "denominator": kpi.denominator})
        else:
            inputs = _names_in(f"{kpi.numerator} {kpi.denominator}", names)
            metric.update(
                type="derived",
                type_params={
                    "expr": f"({kpi.numerator}) / nullif({kpi.denominator}, 0)",
                    "metrics": [{"name": name} for name in inputs],
                },
            )
    else:  # a formula over measures
        metric.update(
            type="derived",
            type_params={
                "expr": kpi.formula,
                "metrics": [{"name": name} for name in _names_in(kpi.formula, set(kpis_by_name))],
            },
        )
    metric["config"] = {"meta": {"unit": kpi.unit, "published": kpi.published}}
    return metric


def semantic_layer(kpis) -> str:
    """The semantic models and metrics of every KPI, as the YAML file dbt parses."""
    by_name = {kpi.name: kpi for kpi in kpis}
    dates = list(dict.fromkeys(kpi.counted_by for kpi in kpis if kpi.is_measure))
    cases = {
        "name": "hotline_cases",
        "label": "工单",
        "description": "Every work order (fct_cases), for the KPI measures: each counts its orders by its own date.",
        "model": "ref('fct_cases')",
        "defaults": {"agg_time_dimension": "received_date"},
        "entities": [{"name": "work_order", "type": "primary", "expr": "work_order_id"}],
        "dimensions": [
            *(
                {
                    "name": date,
                    "label": DATE_LABELS.get(date, date),
                    "type": "time",
                    "type_params": {"time_granularity": "day"},
                }
                for date in dates
            ),
            *({"name": name, "label": label, "type": "categorical"} for name, label in CASE_DIMENSIONS),
        ],
        "measures": [
            {
                "name": kpi.name,
                "label": kpi.label_zh,
                "description": kpi.description,
                "agg": "sum",
                "expr": kpi.sums,
                "agg_time_dimension": kpi.counted_by,
            }
            for kpi in kpis
            if kpi.is_measure
        ],
    }
    unit_months = {
        "name": "unit_months",
        "label": "承办单位月度考核",
        "description": "One row per handling unit and month (kpi_unit_monthly): the unit's three-rate score.",
        "model": "ref('kpi_unit_monthly')",
        "defaults": {"agg_time_dimension": "period_start"},
        "entities": [
            {"name": "unit_month", "type": "primary", "expr": "handling_unit || '/' || cast(period_start as varchar)"}
        ],
        "dimensions": [
            {"name": "period_start", "label": "月份", "type": "time", "type_params": {"time_granularity": "month"}},
            {"name": "handling_unit", "label": "承办单位", "type": "categorical"},
            {"name": "is_ranked", "label": "参与排名", "type": "categorical"},
        ],
        "measures": [
            {
                "name": "unit_score",
                "label": "承办单位综合得分",
                "description": "The unit's weighted three-rate score (0-100) of a month; averaged over several.",
                "agg": "average",
                "expr": "unit_score",
            }
        ],
    }
    metrics = [_metric(kpi, by_name) for kpi in kpis]
    metrics.append(
        {
            "name": "unit_score",
            "label": "承办单位综合得分",
            "description": (
                "Weighted score 0-100 of a handling unit in a month: 100 × Σ weight × rate / Σ weight over 响应 "
                "(signed_on_time_rate), 解决 (completion_rate) and 满意 (satisfaction_rate), weights in "
                "seeds/unit_score_weights.csv; asked for several units or months, their average."
            ),
            "type": "simple",
            "type_params": {"measure": "unit_score"},
            "config": {"meta": {"unit": "score", "published": True}},
        }
    )
    header = (
        "# Written by scripts/kpi_docs.py from vars: kpi_definitions in dbt_project.yml; do not edit.\n"
        "# The semantic layer (MetricFlow): one metric per KPI, computed as the KPI marts compute it.\n"
    )
    document = {"version": 2, "semantic_models": [cases, unit_months], "metrics": metrics}
    return header + yaml.dump(document, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


def kpi_mart_files(project_dir: Path) -> dict[Path, str]:
    """Each KPI mart's YAML as it should read: its hand-written part kept, its KPI block from the definitions."""
    kpis = load_kpis(project_dir / "dbt_project.yml")
    published = [kpi.name for kpi in kpis if kpi.published]
    block = kpi_columns_block(kpis)
    wanted = {}
    for mart in KPI_MARTS:
        path = project_dir / MARTS_DIR / f"{mart}.yml"
        if not path.exists():
            raise SystemExit(f"{path}: missing; every KPI mart has its YAML beside its SQL")
        text = spliced(path, path.read_text(encoding="utf-8"), block)
        models = (yaml.safe_load(text) or {}).get("models") or []
        if [model.get("name") for model in models] != [mart]:
            raise SystemExit(f"{path}: must document {mart} and only it")
        tests = kpi_tests_block(kpis, mart, key_columns(path, models[0]))
        text = spliced(path, text, tests, TESTS_BEGIN, TESTS_END)
        names = [column["name"] for column in models[0].get("columns") or []]
        if doubled := sorted({name for name in published if names.count(name) > 1}):
            raise SystemExit(f"{path}: {', '.join(doubled)} written by hand too; the KPI block has them")
        wanted[path] = text
    strays = sorted(
        path
        for path in (project_dir / "models").rglob("*.yml")
        if path not in wanted
        and any(line.strip() in (BEGIN, TESTS_BEGIN) for line in path.read_text(encoding="utf-8").splitlines())
    )
    if strays:
        raise SystemExit(f"{', '.join(map(str, strays))}: a KPI block in a model not in KPI_MARTS of {__file__}")
    return wanted


def generated_files(project_dir: Path) -> dict[Path, str]:
    """Every file the script writes, as it should read: the KPI marts' YAML and the semantic layer."""
    return {
        **kpi_mart_files(project_dir),
        project_dir / SEMANTIC_FILE: semantic_layer(load_kpis(project_dir / "dbt_project.yml")),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when a KPI mart's YAML is out of step")
    parser.add_argument("--project-dir", type=Path, default=PROJECT_DIR, help="the dbt project (default: ours)")
    arguments = parser.parse_args(argv)
    stale = [
        (path, text)
        for path, text in generated_files(arguments.project_dir).items()
        if not path.exists() or path.read_text(encoding="utf-8") != text
    ]
    if not stale:
        print(f"{len(KPI_MARTS)} KPI marts' YAML and the semantic layer in step with the KPI definitions")
        return 0
    if arguments.check:
        for path, _ in stale:
            print(f"{path}: out of step with the KPI definitions; run python scripts/kpi_docs.py", file=sys.stderr)
        return 1
    for path, text in stale:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"{path}: KPI columns written from the KPI definitions")
    return 0


if __name__ == "__main__":
    sys.exit(main())
