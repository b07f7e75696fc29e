"""The dbt project's one convention, checked: a YAML beside each model, source() only in
staging, marts named fct_/dim_/kpi_, dates _date, every mart behind the published exposure, whole
column descriptions, not_null as a constraint on a contracted mart, and a
Chinese label on every published table, column and English code."""

from __future__ import annotations

import csv
import re

import yaml

from core.settings import PROJECT_DIR

MODELS = PROJECT_DIR / "dbt_project" / "models"
SQL_MODELS = sorted(MODELS.rglob("*.sql"))


def test_every_model_has_its_own_yaml_beside_it():
    missing = [str(path.relative_to(MODELS)) for path in SQL_MODELS if not path.with_suffix(".yml").exists()]
    assert missing == []


def test_only_staging_reads_sources():
    outside = [
        str(path.relative_to(MODELS))
        for path in SQL_MODELS
        if "source(" in path.read_text(encoding="utf-8") and path.relative_to(MODELS).parts[0] != "staging"
    ]
    assert outside == []


def test_marts_are_named_for_what_they_hold():
    marts = [path.stem for path in (MODELS / "marts").rglob("*.sql")]
    assert [name for name in marts if not name.startswith(("fct_", "dim_", "kpi_"))] == []


def test_no_date_column_ends_in_on():
    offenders = [
        f"{path.relative_to(MODELS)}: {match}"
        for path in [*SQL_MODELS, *MODELS.rglob("*.yml")]
        for match in re.findall(r"\b[a-z_]+_on\b", path.read_text(encoding="utf-8"))
        if match not in {"depends_on", "is_completed_on"}
    ]
    assert offenders == []


def test_the_published_warehouse_exposures_name_every_mart():
    """Both copies BI tools read (the DuckDB file, the Postgres schema) hold every mart."""
    exposures = yaml.safe_load((MODELS / "exposures.yml").read_text(encoding="utf-8"))["exposures"]
    for name in ("published_warehouse", "bi_database_postgres"):
        published = next(exposure for exposure in exposures if exposure["name"] == name)
        named = {re.search(r"ref\('([^']+)'\)", item).group(1) for item in published["depends_on"]}
        assert named == {path.stem for path in (MODELS / "marts").rglob("*.sql")}, name


# What a BI tool shows: every published mart (models/marts) and each of its columns has a Chinese
# label, which dbt writes into the database's comment (macros/persist_docs.sql). docs/design.md.
LABEL_HOW = (
    "add `config: {meta: {label_zh: 中文名}}` to it in its YAML (for a column with a unit, "
    "`config: {meta: {label_zh: 办理时长, unit: 工作日}}`; KPI columns get theirs from "
    "vars: kpi_definitions through scripts/kpi_docs.py)"
)
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def _mart_models():
    for path in sorted((MODELS / "marts").rglob("*.yml")):
        for model in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("models") or []:
            yield path.relative_to(MODELS), model


def _label(entry: dict) -> str:
    meta = {**(entry.get("meta") or {}), **((entry.get("config") or {}).get("meta") or {})}
    return str(meta.get("label_zh") or "")


def test_every_published_table_and_column_has_a_chinese_label():
    unlabelled = [
        f"{path}: {model['name']}{'.' + column['name'] if column is not model else ''}"
        for path, model in _mart_models()
        for column in [model, *(model.get("columns") or [])]
        if not CHINESE.search(_label(column))
    ]
    assert unlabelled == [], f"no Chinese label: {unlabelled}; {LABEL_HOW}"


def test_every_english_code_of_a_published_column_has_a_chinese_label():
    """A column whose accepted_values are English codes (event_type: accepted, …) has each code's
    label in seeds/code_labels.csv, which BI tools join to through the dim_code_labels mart."""
    with (MODELS.parent / "seeds" / "code_labels.csv").open(encoding="utf-8") as seed:
        labelled = {(row["code_set"], row["code"]) for row in csv.DictReader(seed) if CHINESE.search(row["label_zh"])}
    missing = []
    for path, model in _mart_models():
        for column in model.get("columns") or []:
            for test in column.get("data_tests") or []:
                accepted = test.get("accepted_values") if isinstance(test, dict) else None
                if accepted is None:
                    continue
                values = (accepted.get("arguments") or accepted).get("values") or []
                missing += [
                    f"{path}: {model['name']}.{column['name']} = {value!r}"
                    for value in values
                    if isinstance(value, str)
                    and re.search("[A-Za-z]", value)
                    and (column["name"], value) not in labelled
                ]
    assert missing == [], (
        f"English codes without a Chinese label: {missing}; add a row `<column>,<code>,<中文标签>,<note>` "
        "per code to dbt_project/seeds/code_labels.csv"
    )


# what dbt reads from a column's entry; anything else is a description cut short: in a one-line
# `{name: …, description: a, b}` an unquoted comma ends the description and makes `b` a key
COLUMN_KEYS = {
    "name",
    "description",
    "data_type",
    "config",
    "meta",
    "data_tests",
    "constraints",
    "granularity",
    "quote",
}


def test_every_column_description_reaches_dbt_whole():
    cut = [
        f"{path.relative_to(MODELS)}: {model['name']}.{column['name']} (keys {sorted(set(column) - COLUMN_KEYS)})"
        for path in sorted(MODELS.rglob("*.yml"))
        for model in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("models") or []
        for column in model.get("columns") or []
        if set(column) - COLUMN_KEYS
    ]
    assert cut == [], f'descriptions cut at a comma: {cut}; quote them (description: "a, b")'


def test_a_contracted_mart_states_not_null_as_a_constraint_not_a_test():
    """DuckDB refuses a null while the model builds: a not_null data test beside the contract
    would check it again as a node of its own (docs/design.md, Conventions)."""
    tested = [
        f"{path}: {model['name']}.{column['name']}"
        for path, model in _mart_models()
        if ((model.get("config") or {}).get("contract") or {}).get("enforced")
        for column in model.get("columns") or []
        if "not_null" in (column.get("data_tests") or [])
    ]
    assert tested == [], f"write `constraints: [{{type: not_null}}]` instead of the not_null test: {tested}"
