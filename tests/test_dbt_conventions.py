"""The dbt project's one convention, checked: a YAML beside each model, source() only in
staging, marts named fct_/dim_/kpi_, dates _date, and every mart behind the published exposure."""

from __future__ import annotations

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
