"""A KPI is defined once, in dbt_project.yml (`vars: kpi_definitions`), and everything else
follows: the marts' columns (dbt), their docs and contracts (scripts/kpi_docs.py), the gate's
range checks, the workbook's headers and `hotline kpis`."""

from __future__ import annotations

import csv
import datetime as dt
import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import openpyxl
import pytest
import yaml

from core import kpi_definitions
from core.errors import PipelineError
from core.kpi_definitions import load_kpis, published_kpis, rate_columns
from core.settings import PROJECT_DIR

DBT_PROJECT = PROJECT_DIR / "dbt_project"
RATES = (
    "direct_answer_rate",
    "repeat_rate",
    "signed_on_time_rate",
    "completion_rate",
    "send_back_rate",
    "extension_rate",
    "completed_on_time_rate",
    "overdue_rate",
    "follow_up_rate",
    "satisfaction_rate",
    "dissatisfaction_rate",
)
# the new KPIs the tests add in the one place: a measure, the rate it makes, and a formula
NEW_KPI = """
    - name: urgent_orders
      label_zh: 紧急件量
      unit: count
      counted_by: received_date
      counts: case when urgency = '紧急' then 1 when urgency is not null then 0 end
      description: Work orders received in the period marked urgent (紧急程度).
    - name: urgent_rate
      label_zh: 紧急件率
      unit: rate
      numerator: urgent_orders
      denominator: work_orders
      headline: true
    - name: undispatched
      label_zh: 未派单量
      unit: count
      data_type: bigint
      formula: work_orders - dispatched
      description: Work orders received in the period less those dispatched in it.
"""


def kpi_docs_script():
    spec = importlib.util.spec_from_file_location("kpi_docs", PROJECT_DIR / "scripts" / "kpi_docs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def project_with_new_kpi(tmp_path: Path) -> Path:
    """A copy of the dbt project whose definitions end with NEW_KPI: the only edit."""
    project = tmp_path / "dbt_project"
    shutil.copytree(DBT_PROJECT, project, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
    definitions = project / "dbt_project.yml"
    text = definitions.read_text(encoding="utf-8")
    anchor = "\nmodels:\n"
    assert text.count(anchor) == 1
    definitions.write_text(text.replace(anchor, NEW_KPI.rstrip() + "\n" + anchor), encoding="utf-8")
    return project


def test_the_kpi_marts_yaml_is_in_step_with_the_definitions():
    """Each KPI mart's YAML (beside its SQL) has the KPI columns scripts/kpi_docs.py writes from
    the definitions, in full and in order, and no file outside the script's list has such a block."""
    script = kpi_docs_script()
    wanted = script.kpi_mart_files(DBT_PROJECT)
    assert sorted(wanted) == sorted(DBT_PROJECT / "models" / "marts" / f"{mart}.yml" for mart in script.KPI_MARTS)
    generated = sorted(
        path for path in (DBT_PROJECT / "models").rglob("*.yml") if script.BEGIN in path.read_text("utf-8")
    )
    assert generated == sorted(wanted), "a file with a generated KPI block that --check does not cover"
    published = [kpi.name for kpi in published_kpis()]
    for path, text in wanted.items():
        assert path.read_text(encoding="utf-8") == text, (
            f"{path.name} is out of step with the KPI definitions: run python scripts/kpi_docs.py"
        )
        assert (path.parent / f"{path.stem}.sql").exists(), path.name
        (model,) = yaml.safe_load(text)["models"]
        assert model["name"] == path.stem
        names = [column["name"] for column in model["columns"]]
        start = names.index(published[0])
        assert names[start : start + len(published)] == published, model["name"]
        assert model["config"]["contract"] == {"enforced": True}, model["name"]


def test_the_kpi_docs_script_keeps_the_hand_written_part(tmp_path):
    """The script rewrites only the lines between the markers (KPI columns, KPI test): a KPI that
    goes is gone from every mart, the hand-written lines around the blocks (comments too) stay
    byte for byte."""
    script = kpi_docs_script()
    project = tmp_path / "dbt_project"
    shutil.copytree(DBT_PROJECT / "models", project / "models")
    definitions = yaml.safe_load((DBT_PROJECT / "dbt_project.yml").read_text(encoding="utf-8"))
    definitions["vars"]["kpi_definitions"] = [
        entry for entry in definitions["vars"]["kpi_definitions"] if entry["name"] != "follow_up_rate"
    ]
    (project / "dbt_project.yml").write_text(yaml.safe_dump(definitions, allow_unicode=True), encoding="utf-8")
    unit_yaml = project / "models" / "marts" / "kpi_unit_monthly.yml"
    unit_yaml.write_text(unit_yaml.read_text(encoding="utf-8").replace("models:\n", "models:  # mine\n", 1))

    def outside_the_block(text: str) -> list[str]:
        lines = text.splitlines()
        for begin_marker, end_marker in ((script.BEGIN, script.END), (script.TESTS_BEGIN, script.TESTS_END)):
            begin = next(i for i, line in enumerate(lines) if line.strip() == begin_marker)
            end = next(i for i, line in enumerate(lines) if line.strip() == end_marker)
            lines = lines[: begin + 1] + lines[end:]
        return lines

    before = {mart: (project / "models" / "marts" / f"{mart}.yml").read_text("utf-8") for mart in script.KPI_MARTS}
    assert script.main(["--check", "--project-dir", str(project)]) == 1
    assert script.main(["--project-dir", str(project)]) == 0
    assert script.main(["--check", "--project-dir", str(project)]) == 0
    for mart in script.KPI_MARTS:
        after = (project / "models" / "marts" / f"{mart}.yml").read_text("utf-8")
        assert outside_the_block(after) == outside_the_block(before[mart]), mart
        assert "follow_up_rate" not in after and "followed_up" in after, mart
    assert "models:  # mine\n" in unit_yaml.read_text(encoding="utf-8")

    # a KPI mart's YAML without its markers, or a KPI column written by hand as well, is refused
    text = unit_yaml.read_text(encoding="utf-8")
    unit_yaml.write_text(text.replace(script.END, "# the end"), encoding="utf-8")
    with pytest.raises(SystemExit, match="kpi_unit_monthly.yml: needs the line"):
        script.kpi_mart_files(project)
    unit_yaml.write_text(
        text.replace("      - name: unit_rank\n", "      - name: work_orders\n      - name: unit_rank\n"),
        encoding="utf-8",
    )
    with pytest.raises(SystemExit, match="work_orders written by hand too"):
        script.kpi_mart_files(project)


def test_the_definitions_name_every_published_kpi_once():
    kpis = load_kpis()
    assert rate_columns() == RATES  # the gate's range checks, as before the definitions
    assert [kpi.name for kpi in kpis if not kpi.published] == ["handled_with_duration", "handling_working_days_total"]
    assert [kpi.name for kpi in kpis if kpi.headline] == [
        "work_orders",
        "work_orders_yoy",
        "complaints",
        "complaints_yoy",
        "signed_on_time_rate",
        "completed_on_time_rate",
        "satisfaction_rate",
    ]
    by_name = {kpi.name: kpi for kpi in kpis}
    assert by_name["direct_answer_rate"].description == "直办率 = direct_answers / work_orders."
    assert by_name["avg_handling_working_days"].unit == "working_days"
    assert by_name["work_orders_yoy"].complete_periods_only


def test_the_kpi_inputs_seed_names_kpis_as_the_definitions_do():
    """kpi_availability and the profile checks label a KPI as the workbook does."""
    labels = {kpi.name: kpi.label_zh for kpi in published_kpis()}
    with (DBT_PROJECT / "seeds" / "contract" / "kpi_inputs.csv").open(encoding="utf-8") as seed:
        inputs = {row["kpi"]: row["label_zh"] for row in csv.DictReader(seed)}
    assert {kpi: labels.get(kpi) for kpi in inputs} == inputs


def test_the_gate_names_only_defined_columns():
    from quality.suites import ADDITIVE_COLUMNS, mart_suites

    published = {kpi.name for kpi in published_kpis()}
    assert set(ADDITIVE_COLUMNS) <= published
    for suite in mart_suites():
        if suite.name.startswith("kpi_") and " " not in suite.name:
            columns = {check.kwargs.get("column") for check in suite.checks} - {None, "period_start"}
            assert columns <= published, suite.name


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ({"name": "x_rate", "label_zh": "某率", "unit": "rate", "numerator": "a"}, "numerator and denominator"),
        (
            {"name": "x", "label_zh": "某", "unit": "count", "counts": "1", "formula": "1", "description": "d"},
            "exactly one of",
        ),
        ({"name": "x", "label_zh": "某", "unit": "count", "counts": "1", "description": "d"}, "counted_by"),
        ({"name": "x", "label_zh": "某", "unit": "percent", "formula": "1", "description": "d"}, "unit must be"),
        ({"name": "X-1", "label_zh": "某", "unit": "count", "formula": "1"}, "lower-case column name"),
        ({"name": "x", "label_zh": "某", "unit": "count", "formula": "1", "descripton": "d"}, "unknown field"),
        ({"name": "x", "label_zh": "工单量", "unit": "count", "formula": "1", "description": "d"}, "label 工单量"),
        ({"name": "x", "label_zh": "某", "unit": "count", "last_year_of": "rated_x", "description": "d"}, "not a"),
    ],
)
def test_a_definition_that_cannot_be_computed_is_refused(tmp_path, entry, problem):
    project = tmp_path / "dbt_project.yml"
    definitions = yaml.safe_load((DBT_PROJECT / "dbt_project.yml").read_text(encoding="utf-8"))
    definitions["vars"]["kpi_definitions"].append(entry)
    project.write_text(yaml.safe_dump(definitions, allow_unicode=True), encoding="utf-8")
    with pytest.raises(PipelineError, match=problem):
        load_kpis(project)


def tiny_warehouse(path: Path) -> None:
    """fct_cases, the calendar and the maturity rule, as the KPI models read them: January 2023,
    three orders (two urgent, one in 城东镇), one of them dispatched and completed, and a void one."""
    with duckdb.connect(str(path)) as connection:
        connection.execute(
            """
            create schema marts;
            create schema intermediate;
            create table intermediate.int_calendar_workdays as
            select range::date as calendar_date, true as is_workday, row_number() over (order by range) as workday_index
            from range(date '2023-01-01', date '2023-02-01', interval 1 day);
            create schema reference;
            create table reference.period_maturity_rules as
            select 'follow_up_window' as rule, 5 as value, 'working_days' as unit;
            create table marts.fct_cases as select * from (values
                ('汇龙镇', '投诉', '紧急', date '2023-01-03', date '2023-01-03', date '2023-01-10', date '2023-01-05',
                 false, false, true, true, false, false, true, true, true, true, false, 2),
                ('汇龙镇', '咨询', '一般', date '2023-01-04', null, null, date '2023-01-04',
                 true, false, null, true, false, false, null, false, false, false, false, null),
                ('城东镇', '求助', '紧急', date '2023-01-05', null, null, null,
                 false, false, null, false, false, false, null, false, false, false, false, null)
            ) as t(town, appeal_type, urgency, received_date, dispatched_date, completion_due_date, completed_date,
                   is_direct_answer, is_repeat_by_rule, is_signed_on_time, is_completed, is_sent_back, is_extended,
                   is_completed_on_time, is_followed_up, is_rated, is_satisfied, is_dissatisfied,
                   handling_working_days);
            alter table marts.fct_cases add column as_of_date date default date '2023-01-31';
            -- and a void order (已作废), urgent and dispatched, that no KPI but voided_orders counts
            alter table marts.fct_cases add column is_void boolean default false;
            insert into marts.fct_cases (town, appeal_type, urgency, received_date, dispatched_date, is_void)
            values ('城西镇', '投诉', '紧急', date '2023-01-06', date '2023-01-06', true);
            """
        )


def run_dbt(project: Path, warehouse: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            str(Path(sys.executable).parent / "dbt"),
            *args,
            "--project-dir",
            str(project),
            "--profiles-dir",
            str(project),
            "--target-path",
            str(project / "target"),
            "--log-path",
            str(project / "logs"),
        ],
        env={
            **os.environ,
            "HOTLINE_WAREHOUSE_PATH": str(warehouse),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
            "DBT_USE_COLORS": "False",
        },
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.slow
def test_a_new_kpi_is_one_entry_in_the_definitions(tmp_path, monkeypatch):
    """Add a measure and its rate to the definitions of a copy of the dbt project, and nothing
    else: the docs script writes its columns, dbt builds them into the marts under an enforced
    contract, the gate checks the rate's range, the workbook and `hotline kpis` show it."""
    from pipeline.cli import kpi_table_columns
    from publication.reports import SHEETS, write_workbook
    from quality.suites import build_suites

    project = project_with_new_kpi(tmp_path)
    monkeypatch.setattr(kpi_definitions, "DBT_PROJECT_FILE", project / "dbt_project.yml")

    # the docs and contracts of every KPI mart, written by the script
    assert kpi_docs_script().main(["--check", "--project-dir", str(project)]) == 1
    assert kpi_docs_script().main(["--project-dir", str(project)]) == 0
    for path in kpi_docs_script().kpi_mart_files(project):
        (model,) = yaml.safe_load(path.read_text(encoding="utf-8"))["models"]
        columns = {column["name"]: column for column in model["columns"]}
        assert columns["urgent_orders"]["data_type"] == "bigint", model["name"]
        assert columns["urgent_rate"]["description"] == "紧急件率 = urgent_orders / work_orders."
        # its range is checked by the mart's one KPI test, with every other KPI's
        (kpi_test,) = [test["kpi_columns_valid"] for test in model["data_tests"] if "kpi_columns_valid" in test]
        assert {"column": "urgent_rate", "min_value": 0, "max_value": 1} in kpi_test["arguments"]["ranges"]

    # the marts, built by dbt on a tiny warehouse
    warehouse = tmp_path / "tiny.duckdb"
    tiny_warehouse(warehouse)
    built = run_dbt(
        project, warehouse, "run", "--select", "int_hotline_kpis_by_period", "kpi_hotline_monthly", "kpi_town_monthly"
    )
    assert built.returncode == 0, built.stdout[-3000:]
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        month = connection.execute(
            "select work_orders, urgent_orders, urgent_rate, undispatched, direct_answer_rate, "
            "avg_handling_working_days, voided_orders, dispatched from marts.kpi_hotline_monthly"
        ).fetchall()
        towns = connection.execute(
            "select town, urgent_orders, urgent_rate from marts.kpi_town_monthly order by town"
        ).fetchall()
        rows = connection.execute("select * from marts.kpi_hotline_monthly").df()
    assert month == [(3, 2, pytest.approx(2 / 3), 2, pytest.approx(1 / 3), 2.0, 1, 1)]
    # the void order's town has orders to count no more than a town without any
    assert towns == [("城东镇", 1, 1.0), ("城西镇", 0, None), ("汇龙镇", 1, 0.5)]

    # the marts' KPI test passes, and catches a rate out of range, naming column, row and value
    kpi_tests = ("kpi_columns_valid_kpi_hotline_monthly", "kpi_columns_valid_kpi_town_monthly")
    tested = run_dbt(project, warehouse, "test", "--select", *kpi_tests)
    assert tested.returncode == 0, tested.stdout[-3000:]
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("update marts.kpi_town_monthly set urgent_rate = 1.5 where town = '城东镇'")
    tested = run_dbt(project, warehouse, "test", "--store-failures", "--select", *kpi_tests)
    assert tested.returncode != 0
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        failing = connection.execute("select * from audit.kpi_columns_valid_kpi_town_monthly").fetchall()
    assert failing == [("urgent_rate", "between 0 and 1", "period_start=2023-01-01, town=城东镇", "1.5")]

    # the gate's range checks
    suites = {suite.name: suite for suite in build_suites(["hotline_orders"])}
    for mart in ("kpi_hotline_monthly", "kpi_town_monthly", "kpi_unit_monthly", "kpi_category_l3_monthly"):
        assert {"column": "urgent_rate", "min_value": 0, "max_value": 1} in [
            check.kwargs for check in suites[mart].checks if check.expectation == "ExpectColumnValuesToBeBetween"
        ]

    # the workbook: the label as header, a percentage, the column and its meaning in the note
    rows["period_start"] = rows["period_start"].astype(str)
    rows["period_end"] = rows["period_end"].astype(str)
    records = rows.to_dict(orient="records")
    path = tmp_path / "kpis.xlsx"
    write_workbook({grain: records for grain in SHEETS}, path)
    sheet = openpyxl.load_workbook(path)[SHEETS["monthly"]]
    header = [cell.value for cell in sheet[1]]
    assert {"紧急件量", "紧急件率", "未派单量"} <= set(header)
    rate = sheet.cell(row=2, column=header.index("紧急件率") + 1)
    assert rate.value == pytest.approx(2 / 3) and rate.number_format == "0.00%"
    assert sheet.cell(row=1, column=header.index("紧急件率") + 1).comment.text.startswith("urgent_rate: 紧急件率 =")

    # `hotline kpis`: a headline KPI is a column, under its label
    assert ("紧急件率", "urgent_rate") in [(header, key) for header, key, _ in kpi_table_columns("monthly")]
    assert dt.date.fromisoformat(records[0]["period_start"][:10]) == dt.date(2023, 1, 1)


def test_the_semantic_layer_is_in_step_with_the_definitions():
    script = kpi_docs_script()
    path = DBT_PROJECT / script.SEMANTIC_FILE
    assert path.read_text(encoding="utf-8") == script.semantic_layer(load_kpis()), (
        f"{path.name} is out of step with the KPI definitions: run python scripts/kpi_docs.py"
    )
