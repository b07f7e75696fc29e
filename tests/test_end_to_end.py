"""The whole pipeline, run by Airflow itself, checked against counts made from the landed files.

Runs `airflow dags test hotline_daily` (SQLite metadata, the real DAG, dbt on DuckDB, the gate,
publication) on a small generated data set, then treats the published artifact as a BI tool
would.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import chinese_calendar
import duckdb
import openpyxl
import pandas as pd
import pytest
import yaml

from core import kpi_definitions as kpi_catalogue
from core.errors import PipelineError
from core.settings import PROJECT_DIR, get_settings
from pipeline import steps
from tests.conftest import DAILY_RUN_DATE, HASH_KEY
from tests.fixtures.period_maturity import ExpectedStatus
from tests.fixtures.shared_runs import airflow_dags_test, copy_data
from tests.test_semantic_layer import metricflow_project, run_mf

pytestmark = pytest.mark.slow

RUN_DATE = DAILY_RUN_DATE  # the daily run after the last demo export (2023-12-31)
DAILY_EXPORT = re.compile(r"^12345_gongdan_\d{8}\.(csv|xlsx)$")
APPEAL_TYPES = {"咨询", "求助", "投诉", "举报", "建议", "表扬/感谢", "其他"}


def run_dag(data_dir: Path) -> subprocess.CompletedProcess:
    return airflow_dags_test(data_dir, "hotline_daily", RUN_DATE)


def read_landed(path: Path) -> pd.DataFrame:
    """The test's own reading of an export, independent of the ingestion package."""
    if path.suffix == ".xlsx":
        frame = pd.read_excel(path, engine="calamine", dtype=object)
        frame["来电时间"] = frame["来电时间"].map(
            lambda v: v.strftime("%Y-%m-%d %H:%M:%S") if isinstance(v, dt.datetime) else ("" if pd.isna(v) else str(v))
        )
        return frame.fillna("").astype(str)
    encoding = "utf-8-sig" if path.read_bytes()[:3] == b"\xef\xbb\xbf" else "gb18030"
    return pd.read_csv(path, encoding=encoding, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def pipeline_run(daily_demo):
    """The session's daily run of the demo (tests/conftest.py): read only."""
    return daily_demo.data_dir, daily_demo.planted


@pytest.fixture
def own_run(daily_demo, tmp_path):
    """A private copy of the session's daily run, for a test that changes it."""
    return copy_data(daily_demo.data_dir, tmp_path / "data"), daily_demo.planted


@pytest.fixture(scope="module")
def landed_counts(pipeline_run) -> dict:
    """Work orders and complaints per year, counted straight from the landed daily exports."""
    data_dir, _ = pipeline_run
    frames = [read_landed(path) for path in sorted((data_dir / "landing").iterdir()) if DAILY_EXPORT.match(path.name)]
    rows = pd.concat(frames, ignore_index=True)
    rows["received"] = pd.to_datetime(rows["来电时间"], format="%Y-%m-%d %H:%M:%S", errors="coerce")
    valid = rows[(rows["工单编号"] != "") & rows["received"].notna() & rows["诉求类型"].isin(APPEAL_TYPES)]
    orders = valid.drop_duplicates("工单编号")
    counts = {"rows": len(rows)}
    for year in (2022, 2023):
        in_year = orders[orders["received"].dt.year == year]
        counts[year] = {"work_orders": len(in_year), "complaints": int((in_year["诉求类型"] == "投诉").sum())}
    return counts


def published_kpis(data_dir: Path) -> dict:
    return json.loads((data_dir / "published" / "kpis.json").read_text(encoding="utf-8"))


def test_published_2023_figures_equal_a_direct_count_of_the_landed_exports(pipeline_run, landed_counts):
    data_dir, planted = pipeline_run
    yearly = {row["period_start"][:4]: row for row in published_kpis(data_dir)["yearly"]}
    this, last = landed_counts[2023], landed_counts[2022]

    assert yearly["2023"]["work_orders"] == this["work_orders"] == planted.work_orders_by_year[2023]
    assert yearly["2023"]["complaints"] == this["complaints"] == planted.complaints_by_year[2023]
    assert yearly["2023"]["work_orders_yoy"] == pytest.approx(this["work_orders"] / last["work_orders"] - 1)
    assert yearly["2023"]["complaints_yoy"] == pytest.approx(this["complaints"] / last["complaints"] - 1)
    # what the city reported, as planted: volume up about 12 %, complaints down about 6 %
    assert yearly["2023"]["work_orders_yoy"] == pytest.approx(0.12, abs=0.01)
    assert yearly["2023"]["complaints_yoy"] == pytest.approx(-0.06, abs=0.02)


def test_every_row_read_is_loaded_or_quarantined(pipeline_run, landed_counts):
    data_dir, planted = pipeline_run
    with duckdb.connect(str(data_dir / "warehouse" / "hotline.duckdb"), read_only=True) as connection:
        read, loaded, quarantined = connection.execute(
            "select sum(rows_read), sum(rows_loaded), sum(rows_quarantined) from raw.load_ledger "
            "where status = 'loaded' and source_profile = 'hotline_qidong_v2023'"
        ).fetchone()
        rejected = {
            name
            for (name,) in connection.execute(
                "select file_name from raw.load_ledger where status = 'rejected'"
            ).fetchall()
        }
    assert read == landed_counts["rows"] == planted.rows
    assert loaded + quarantined == read
    assert quarantined == sum(planted.broken_rows.values())
    assert rejected == set(planted.rejected_files)


def test_bi_tools_find_every_mart_in_the_published_file(pipeline_run):
    data_dir, _ = pipeline_run
    with duckdb.connect(str(data_dir / "published" / "warehouse.duckdb"), read_only=True) as bi:
        tables = {name for (name,) in bi.execute("select table_name from information_schema.tables").fetchall()}
        months = bi.execute("select count(*), min(period_start), max(period_start) from kpi_hotline_monthly").fetchone()
    assert {
        "fct_cases",
        "fct_case_events",
        "kpi_hotline_monthly",
        "kpi_hotline_quarterly",
        "kpi_hotline_yearly",
        "kpi_town_monthly",
        "kpi_unit_monthly",
        "kpi_category_l1_monthly",
        "kpi_category_l2_monthly",
        "kpi_category_l3_monthly",
        "kpi_appeal_type_monthly",
        "kpi_backlog_daily",
        "fct_topic_candidates",
        "fct_consultation_topics",
        "fct_topic_list_items",
        "fct_topic_impact",
    } <= tables
    assert months == (24, dt.date(2022, 1, 1), dt.date(2023, 12, 1))  # no month missing


def test_metricflow_gives_the_figures_of_the_kpi_marts(pipeline_run, tmp_path):
    """An analyst asking the semantic layer for a month's KPIs gets what the published marts say."""
    data_dir, _ = pipeline_run
    # on a copy: MetricFlow opens the warehouse for writing, and the session's run is shared
    warehouse = shutil.copy2(data_dir / "warehouse" / "hotline.duckdb", tmp_path / "hotline.duckdb")
    project, environment = metricflow_project(tmp_path, warehouse)
    names = [kpi.name for kpi in kpi_catalogue.published_kpis()]
    answer = tmp_path / "metrics.csv"
    query = run_mf(
        project, environment, "query", "--metrics", ",".join(names), "--group-by", "metric_time__month",
        "--csv", str(answer),
    )  # fmt: skip
    assert query.returncode == 0, (query.stdout + query.stderr)[-3000:]
    metrics = pd.read_csv(answer, parse_dates=["metric_time__month"]).set_index("metric_time__month")
    with duckdb.connect(str(data_dir / "published" / "warehouse.duckdb"), read_only=True) as bi:
        marts = bi.execute(f"select period_start, {', '.join(names)} from kpi_hotline_monthly").df()
    marts = marts.set_index(pd.to_datetime(marts["period_start"])).drop(columns="period_start")
    compared = 0
    for month, row in marts.iterrows():
        for name in names:
            if pd.notna(row[name]):  # the marts null a YoY for a running period; MetricFlow has no periods
                assert metrics.loc[month, name] == pytest.approx(row[name]), f"{name} {month:%Y-%m}"
                compared += 1
    assert compared > 20 * len(names)


def test_bi_tools_on_postgres_find_the_published_marts_row_for_row(pipeline_run, pg_dsn, monkeypatch):
    import time

    import psycopg

    data_dir, _ = pipeline_run
    monkeypatch.setenv("HOTLINE_DATA_DIR", str(data_dir))
    monkeypatch.setenv("HOTLINE_PG_DSN", pg_dsn)
    began = time.monotonic()
    steps.publish_postgres(get_settings())
    print(f"publish to PostgreSQL: {time.monotonic() - began:.1f}s")

    with (
        duckdb.connect(str(data_dir / "published" / "warehouse.duckdb"), read_only=True) as duck,
        psycopg.connect(pg_dsn) as pg,
    ):
        catalog = "where schema_name = 'main' and database_name = current_database()"
        duck_columns = duck.execute(
            f"select table_name, column_name, comment from duckdb_columns() {catalog} order by table_name, column_index"
        ).fetchall()
        duck_tables = dict(duck.execute(f"select table_name, comment from duckdb_tables() {catalog}").fetchall())
        duck_counts = {table: duck.execute(f'select count(*) from "{table}"').fetchone()[0] for table in duck_tables}
        pg_columns = pg.execute(
            "select table_name, column_name, col_description(format('published.%I', table_name)::regclass, "
            "ordinal_position) from information_schema.columns where table_schema = 'published' "
            "order by table_name, ordinal_position"
        ).fetchall()
        pg_tables = dict(
            pg.execute(
                "select table_name, obj_description(format('published.%I', table_name)::regclass) "
                "from information_schema.tables where table_schema = 'published'"
            ).fetchall()
        )
        pg_counts = {
            table: pg.execute(f'select count(*) from published."{table}"').fetchone()[0] for table in pg_tables
        }
        yearly = "select period_start::date, work_orders, complaints from kpi_hotline_yearly order by 1"
        assert pg.execute(yearly.replace("from ", "from published.")).fetchall() == duck.execute(yearly).fetchall()
    assert pg_counts == duck_counts
    assert pg_columns == duck_columns  # names, order and comments (as far as DuckDB has them)
    assert pg_tables == duck_tables


def test_the_office_gets_the_kpis_as_a_workbook_and_a_chart(pipeline_run):
    data_dir, _ = pipeline_run
    published = data_dir / "published"
    workbook = pd.read_excel(published / "kpis.xlsx", sheet_name=None, engine="calamine")
    assert list(workbook) == ["按年 yearly", "按季 quarterly", "按月 monthly"]
    yearly = workbook["按年 yearly"]
    # headed by the KPIs' labels in the KPI definitions (dbt_project.yml)
    assert yearly["工单量"].tolist() == [row["work_orders"] for row in published_kpis(data_dir)["yearly"]]
    assert len(workbook["按月 monthly"]) == 24
    assert (published / "kpi_trends.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_hotline_kpis_cuts_no_figure_short_in_a_narrow_terminal(pipeline_run):
    from rich.cells import cell_len
    from typer.testing import CliRunner

    from pipeline.cli import app

    data_dir, _ = pipeline_run
    env = {"HOTLINE_DATA_DIR": str(data_dir), "HOTLINE_HASH_KEY": HASH_KEY, "COLUMNS": "80"}
    result = CliRunner().invoke(app, ["kpis", "--grain", "monthly"], env=env)

    assert result.exit_code == 0, result.output
    assert "…" not in result.output  # KPIs that do not fit go on to a table of their own
    periods = re.findall(r"^\s*(\d{4}-\d{2})\s", result.output, flags=re.MULTILINE)
    assert len(set(periods)) == 24 and len(periods) % 24 == 0
    rows = [line for line in result.output.splitlines() if re.match(r"\s*(期间|\d{4}-\d{2})", line)]
    assert max(cell_len(line) for line in rows) <= 80  # each table as wide as the terminal


CATEGORY_COLUMNS = tuple(f"category_l{level}_{part}" for level in (1, 2, 3) for part in ("code", "name"))
# what each split KPI mart is split by, as a function of a work order
MART_KEYS = {
    "kpi_town_monthly": (("town",), lambda order: [(order["town"],)]),
    "kpi_unit_monthly": (("handling_unit",), lambda order: [(order["handling_unit"],)]),
    "kpi_appeal_type_monthly": (("appeal_type",), lambda order: [(order["appeal_type"],)]),
    "kpi_category_l1_monthly": (
        ("category_l1_code", "category_l1_name"),
        lambda order: [(order["category_l1_code"], order["category_l1_name"])],
    ),
    "kpi_category_l2_monthly": (
        ("category_l1_code", "category_l1_name", "category_l2_code", "category_l2_name"),
        lambda order: [tuple(order[name] for name in CATEGORY_COLUMNS[:4])],
    ),
    "kpi_category_l3_monthly": (CATEGORY_COLUMNS, lambda order: [tuple(order[name] for name in CATEGORY_COLUMNS)]),
}


def published_orders(bi: duckdb.DuckDBPyConnection) -> tuple[list[dict], dt.date]:
    """The published work orders (an empty town, unit, type or category as the marts name it) and
    the data cut."""
    dates = ("received_date", "dispatched_date", "completion_due_date", "completed_date")
    names = ("town", "handling_unit", "appeal_type", *CATEGORY_COLUMNS)
    rows = bi.execute(f"select {', '.join(dates + names)} from fct_cases").fetchall()
    orders = [dict(zip(dates + names, row, strict=True)) for row in rows]
    for order in orders:
        order.update({name: order[name] or "(未填)" for name in names})
    return orders, bi.execute("select max(as_of_date) from fct_cases").fetchone()[0]


def test_a_kpi_period_is_final_only_once_every_order_counted_in_it_is_settled(pipeline_run):
    """For the city by month, quarter and year, and for towns, units, categories and appeal
    types by month: final or provisional, and from which data cut, as worked out from the
    published work orders and the official calendar."""
    data_dir, _ = pipeline_run
    city = {"kpi_hotline_monthly": "month", "kpi_hotline_quarterly": "quarter", "kpi_hotline_yearly": "year"}
    with duckdb.connect(str(data_dir / "published" / "warehouse.duckdb"), read_only=True) as bi:
        orders, as_of = published_orders(bi)
        published = {}
        for mart in [*city, *MART_KEYS]:
            columns = [*MART_KEYS.get(mart, ((),))[0], "period_start", "period_status", "final_from_date"]
            published[mart] = bi.execute(f"select {', '.join(columns)} from {mart}").fetchall()

    assert as_of == dt.date(2023, 12, 31)
    for mart, rows in published.items():
        expected = ExpectedStatus(orders, as_of, city.get(mart, "month"), MART_KEYS.get(mart, (None, None))[1])
        found = {row[:-2]: row[-2:] for row in rows}
        key_and_start = [(row[:-3], row[-3]) for row in rows]
        assert found == {
            (*key, start): (expected.status(key, start), expected.final_from_date(key, start))
            for key, start in key_and_start
        }, mart
        assert {status for status, _ in found.values()} == {"final", "provisional"}, mart


def test_the_just_ended_month_is_provisional_unranked_and_says_so(pipeline_run):
    """December 2023, at the data cut of 31 December: 暂定 in kpis.json and the workbook, no unit
    ranked; every earlier month final, with its units ranked."""
    data_dir, _ = pipeline_run
    monthly = published_kpis(data_dir)["monthly"]
    with duckdb.connect(str(data_dir / "published" / "warehouse.duckdb"), read_only=True) as bi:
        ranks = dict(
            bi.execute("select period_start, count(unit_rank) from kpi_unit_monthly group by period_start").fetchall()
        )
        december_reasons = bi.execute(
            "select distinct unranked_reason from kpi_unit_monthly "
            "where period_start = date '2023-12-01' and handling_unit != '(未填)'"
        ).fetchall()
    workbook = pd.read_excel(data_dir / "published" / "kpis.xlsx", sheet_name="按月 monthly", engine="calamine")

    assert {row["period_start"]: row["period_status"] for row in monthly} == {
        row["period_start"]: "provisional" if row["period_start"] == "2023-12-01" else "final" for row in monthly
    }
    assert ranks[dt.date(2023, 12, 1)] == 0 and december_reasons == [("month_provisional",)]
    assert all(count > 0 for month, count in ranks.items() if month < dt.date(2023, 12, 1))
    assert workbook["数据状态"].tolist() == ["最终"] * 23 + ["暂定"]


def kpi_definitions() -> dict[str, dict]:
    """The KPI definitions as dbt_project.yml states them, by name."""
    text = (PROJECT_DIR / "dbt_project" / "dbt_project.yml").read_text(encoding="utf-8")
    return {kpi["name"]: kpi for kpi in yaml.safe_load(text)["vars"]["kpi_definitions"]}


def yaml_labels() -> dict[tuple[str, str | None], str]:
    """(mart, column or None for the table) → its Chinese label, read from the marts' YAML."""
    labels = {}
    for path in (PROJECT_DIR / "dbt_project" / "models" / "marts").rglob("*.yml"):
        for model in yaml.safe_load(path.read_text(encoding="utf-8")).get("models") or []:
            for column in [model, *(model.get("columns") or [])]:
                name = None if column is model else column["name"]
                labels[(model["name"], name)] = column["config"]["meta"]["label_zh"]
    return labels


def test_bi_tools_see_a_chinese_label_on_every_published_table_and_column(pipeline_run):
    data_dir, _ = pipeline_run
    with duckdb.connect(str(data_dir / "published" / "warehouse.duckdb"), read_only=True) as bi:
        # `not internal`: DuckDB's own catalog views (duckdb_columns() …) list under main too, uncommented
        uncommented = [
            bi.execute(
                f"select count(*) from {catalog}() where comment is null and schema_name = 'main' and not internal"
            ).fetchone()[0]
            for catalog in ("duckdb_tables", "duckdb_columns")
        ]
        tables = bi.execute(
            "select table_name, comment from duckdb_tables() where schema_name = 'main' and not internal"
        ).fetchall()
        columns = bi.execute(
            "select table_name, column_name, comment from duckdb_columns() where schema_name = 'main' and not internal"
        ).fetchall()
        events = bi.execute(
            "select distinct e.event_type, l.label_zh from fct_case_events e left join dim_code_labels l "
            "on l.code_set = 'event_type' and l.code = e.event_type"
        ).fetchall()
    assert uncommented == [0, 0]
    labels = yaml_labels()
    assert [t for t, comment in tables if not comment.startswith(labels[(t, None)] + "：")] == []
    assert [(t, c) for t, c, comment in columns if not comment.startswith(labels[(t, c)])] == []
    # a KPI's comment gives its unit and its formula in the labels of the KPIs it divides
    kpis = kpi_definitions()
    rate = {(t, c): comment for t, c, comment in columns}[("kpi_hotline_monthly", "signed_on_time_rate")]
    definition = kpis["signed_on_time_rate"]
    formula = f"{kpis[definition['numerator']]['label_zh']} / {kpis[definition['denominator']]['label_zh']}"
    assert rate.startswith("及时签收率：") and "单位：比率" in rate and rate.endswith(f"公式：{formula}")
    # every event type a BI tool meets has a Chinese label to show
    assert events and all(label and re.search(r"[\u4e00-\u9fff]", label) for _, label in events)


def test_the_kpi_workbook_has_chinese_headers_and_rates_as_percentages(pipeline_run):
    data_dir, _ = pipeline_run
    units = {kpi["label_zh"]: kpi["unit"] for kpi in kpi_definitions().values()}
    workbook = openpyxl.load_workbook(data_dir / "published" / "kpis.xlsx")
    for sheet in workbook.worksheets:
        header = [cell.value for cell in sheet[1]]
        assert [name for name in header if not re.search(r"[\u4e00-\u9fff]", name)] == [], sheet.title
        rates = [position for position, name in enumerate(header) if units.get(name) in ("rate", "change")]
        assert len(rates) >= 10  # every published rate and year-on-year change
        cells = [row[position] for row in sheet.iter_rows(min_row=2) for position in rates]
        cells = [cell for cell in cells if cell.value is not None]  # a null rate is an empty cell
        assert cells and all("%" in cell.number_format for cell in cells)
        assert all(isinstance(cell.value, int | float) for cell in cells)  # numbers shown as percentages, not text


def test_each_publication_ships_its_docs_site_and_gate_page_readable_offline(pipeline_run):
    data_dir, _ = pipeline_run
    published = data_dir / "published"
    docs, gate_page = published / "docs" / "index.html", published / "docs" / "gate.html"
    # in the version folder of the publication in force, reached through the stable link
    assert docs.resolve().parent.parent == (published / "current").resolve()
    site = docs.read_text(encoding="utf-8")
    assert "MANIFEST.JSON INLINE DATA" not in site and "CATALOG.JSON INLINE DATA" not in site  # inlined
    # the manifest and catalog inlined: every published mart, with its Chinese labels (JSON-escaped)
    tables = json.loads((published / "manifest.json").read_text())["tables"]
    assert all(f'"name": "{table}"' in site for table in tables)
    assert json.dumps("及时签收率")[1:-1] in site
    page = gate_page.read_text(encoding="utf-8")
    for text in (site, page):  # nothing fetched from the network
        assert not re.search(r"""<(script|link|img)[^>]+(src|href)=["']?https?://""", text)
    gate = json.loads((data_dir / "quality" / "gate_report.json").read_text(encoding="utf-8"))
    assert "质量检查结果" in page and page.count("<tr>") + page.count('<tr class="failed">') >= len(gate["checks"])
    assert all(check["check"] in html.unescape(page) for check in gate["checks"])

    report = subprocess.run(
        [str(PROJECT_DIR / ".venv" / "bin" / "hotline"), "report"],
        env={**os.environ, "HOTLINE_DATA_DIR": str(data_dir), "HOTLINE_HASH_KEY": HASH_KEY},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert report.returncode == 0, report.stdout + report.stderr
    assert str(docs) in report.stdout.replace("\n", "") and str(gate_page) in report.stdout.replace("\n", "")


def test_a_full_refresh_runs_every_dbt_unit_test_by_default(pipeline_run):
    # the session's daily run is a first build (a full refresh) with HOTLINE_DBT_UNIT_TESTS at its default
    data_dir, _ = pipeline_run
    defined = {
        test["name"]
        for path in (PROJECT_DIR / "dbt_project" / "models").rglob("*.yml")
        for test in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("unit_tests", [])
    }
    results = json.loads((data_dir / "dbt" / "target" / "run_results.json").read_text())["results"]
    ran = {
        item["unique_id"].rsplit(".", 1)[-1]: item["status"]
        for item in results
        if item["unique_id"].startswith("unit_test.")
    }
    assert defined and set(ran) == defined
    assert set(ran.values()) == {"pass"}


def test_a_second_run_changes_nothing_published(own_run):
    data_dir, _ = own_run
    published = data_dir / "published"
    names = ("kpis.json", "kpis.xlsx", "kpi_trends.png", "manifest.json", "warehouse.duckdb")
    before = {name: (published / name).read_bytes() for name in names}

    second = run_dag(data_dir)

    assert second.returncode == 0, second.stdout[-3000:]
    # the landing folder still holds the two planted bad files: named again, but no raw table changed
    assert "build: nothing changed since the last build" in second.stdout + second.stderr
    assert {name: (published / name).read_bytes() for name in before} == before
    assert len((published / "history.jsonl").read_text().splitlines()) == 1


def test_a_failing_check_blocks_publication_and_keeps_the_last_good_one(own_run, monkeypatch):
    data_dir, _ = own_run
    monkeypatch.setenv("HOTLINE_DATA_DIR", str(data_dir))
    monkeypatch.setenv("HOTLINE_HASH_KEY", HASH_KEY)
    settings = get_settings()
    published_before = (settings.published_dir / "kpis.json").read_bytes()
    with duckdb.connect(str(settings.warehouse_path)) as connection:
        connection.execute(
            "update marts.kpi_hotline_monthly set satisfaction_rate = 1.5 where period_start = date '2023-05-01'"
        )

    with pytest.raises(PipelineError) as failed:
        steps.check(settings)
    with pytest.raises(PipelineError, match="quality gate failed"):
        steps.publish(settings)

    message = str(failed.value)
    assert "kpi_hotline_monthly" in message and "satisfaction_rate" in message and "2023-05-01" in message
    report = json.loads((settings.quality_dir / "gate_report.json").read_text())
    assert not report["passed"]
    assert (settings.published_dir / "kpis.json").read_bytes() == published_before

    # the next good build publishes again, while a BI tool keeps the old file open read-only
    with duckdb.connect(str(settings.published_dir / "warehouse.duckdb"), read_only=True) as bi:
        rows_seen = bi.execute("select count(*) from fct_cases").fetchone()
        with duckdb.connect(str(settings.warehouse_path)) as connection:
            connection.execute(
                "delete from marts.fct_cases where work_order_id = (select min(work_order_id) from marts.fct_cases)"
            )
            connection.execute(
                "update marts.kpi_hotline_monthly set satisfaction_rate = 0.9 where period_start = date '2023-05-01'"
            )
        steps.check(settings)
        report = steps.publish(settings)
        assert report.changed
        assert bi.execute("select count(*) from fct_cases").fetchone() == rows_seen
    with duckdb.connect(str(settings.published_dir / "warehouse.duckdb"), read_only=True) as reopened:
        assert reopened.execute("select count(*) from fct_cases").fetchone()[0] == rows_seen[0] - 1


def test_a_new_label_over_the_same_rows_is_published(own_run, monkeypatch):
    """A deployment that only fixes a column's description (its BI label) changes no row: the
    publication must still carry the new label, not call the marts unchanged."""
    data_dir, _ = own_run
    monkeypatch.setenv("HOTLINE_DATA_DIR", str(data_dir))
    monkeypatch.setenv("HOTLINE_HASH_KEY", HASH_KEY)
    settings = get_settings()
    label = "工单编号：工单编号, the id of the work order at the hotline (fixed by a deployment)"
    with duckdb.connect(str(settings.warehouse_path)) as connection:
        connection.execute(f"comment on column marts.fct_cases.work_order_id is '{label}'")

    steps.check(settings)
    report = steps.publish(settings)

    assert report.changed
    with duckdb.connect(str(settings.published_dir / "warehouse.duckdb"), read_only=True) as bi:
        [(published_label,)] = bi.execute(
            "select comment from duckdb_columns() where table_name = 'fct_cases' and column_name = 'work_order_id'"
        ).fetchall()
    assert published_label == label


def test_a_failing_dbt_test_fails_the_build_and_the_gate_report_names_it(own_run, monkeypatch):
    data_dir, _ = own_run
    monkeypatch.setenv("HOTLINE_DATA_DIR", str(data_dir))
    monkeypatch.setenv("HOTLINE_HASH_KEY", HASH_KEY)
    settings = get_settings()
    with duckdb.connect(str(settings.warehouse_path)) as connection:
        connection.execute(
            "update raw.hotline_work_orders set received_at = null "
            "where work_order_id = (select max(work_order_id) from raw.hotline_work_orders)"
        )

    with pytest.raises(PipelineError, match="dbt build") as failed:
        steps.build(settings)

    # the failing test's rows are kept (only a failing test's: dbt stores none on its own), and
    # both the build's error and the gate report name the table that holds them
    kept = re.search(r"rows kept in (\S+)\)", str(failed.value))
    assert kept, str(failed.value)
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as connection:
        assert connection.execute(f"select count(*) from {kept[1]}").fetchone()[0] >= 1
        audit_tables = connection.execute(
            "select count(*) from duckdb_tables() where schema_name = 'audit'"
        ).fetchone()[0]
    assert 1 <= audit_tables <= 3, f"{audit_tables} tables in audit: rows kept for tests that passed"
    report = json.loads((settings.quality_dir / "gate_report.json").read_text())
    failing = [check for check in report["checks"] if not check["passed"]]
    assert not report["passed"]
    assert any(
        "received_at" in check["check"] and f"failing rows in {kept[1]}" in check["message"] for check in failing
    )
    with pytest.raises(PipelineError, match="quality gate failed"):
        steps.publish(settings)


# Faults written together into a copy of the built warehouse (each on rows of its own), each of
# which must block publication by name (gate check's table and name, as `hotline check` shows them).
INJECTED_FAULTS = {
    "received time years in the future": (
        "update marts.fct_cases set received_at = timestamp '2031-05-01 10:00:00' "
        "where work_order_id = (select min(work_order_id) from marts.fct_cases)",
        "timestamp_after_export",
    ),
    "completion before receipt": (
        "update marts.fct_cases set completed_at = received_at - interval 3 day "
        "where work_order_id = (select min(work_order_id) from marts.fct_cases where completed_at is not null)",
        "completed_before_received",
    ),
    "completion in 2099": (
        "update marts.fct_cases set completed_at = timestamp '2099-01-01 00:00:00' "
        "where work_order_id = (select max(work_order_id) from marts.fct_cases where completed_at is not null)",
        "timestamp_after_export",
    ),
    "negative handling time": (
        "update marts.fct_cases set handling_working_days = -249 "
        "where work_order_id = (select min(work_order_id) from marts.fct_cases where handling_working_days > 0)",
        "negative_working_days",
    ),
    "a rate above 100%": (
        "update marts.kpi_hotline_monthly set satisfaction_rate = 1.5 "
        "where period_start = (select min(period_start) from marts.kpi_hotline_monthly)",
        "column=satisfaction_rate",
    ),
    "more complaints than work orders": (
        "update marts.kpi_hotline_yearly set complaints = work_orders + 1 "
        "where period_start = (select min(period_start) from marts.kpi_hotline_yearly)",
        "ExpectColumnPairValuesAToBeGreaterThanB(column_A=work_orders, column_B=complaints",
    ),
    "a phone number in published top terms": (
        "update marts.fct_topic_candidates set top_terms = '噪音、13812345678' "
        "where candidate_rank = (select min(candidate_rank) from marts.fct_topic_candidates)",
        "marts.fct_topic_candidates.top_terms",
    ),
    "an ID number in a published list item": (
        "update marts.fct_topic_list_items set feedback = '联系人身份证 110101 1990 0307 7512' "
        "where topic_id = (select min(topic_id) from marts.fct_topic_list_items)",
        "marts.fct_topic_list_items.feedback",
    ),
    "a month missing from the monthly KPIs": (
        "delete from marts.kpi_hotline_monthly "
        "where period_start = (select min(period_start) + interval 1 month from marts.kpi_hotline_monthly)",
        "kpi periods complete",
    ),
    "a negative open backlog": (
        "update marts.kpi_backlog_daily set open_orders = -3 "
        "where as_of_date = (select max(as_of_date) from marts.kpi_backlog_daily)",
        "negative_backlog",
    ),
    "a work order published twice": (
        "insert into marts.fct_cases select * from marts.fct_cases limit 1",
        "ExpectColumnValuesToBeUnique(column=work_order_id)",
    ),
    "towns that do not add up to the city": (
        "update marts.kpi_town_monthly set work_orders = work_orders + 5 "
        "where period_start = (select min(period_start) from marts.kpi_town_monthly)",
        "kpi_town_monthly adds up to the city",
    ),
    "a caller's name in clear": (
        "update staging.stg_hotline__work_orders set caller_name_hash = '张晓明' "
        "where work_order_id = (select min(work_order_id) from staging.stg_hotline__work_orders)",
        "identities hashed: ExpectColumnValuesToMatchRegex(column=value)",
    ),
    "a landed row lost from the raw table": (
        "delete from raw.hotline_work_orders where rowid = (select min(rowid) from raw.hotline_work_orders)",
        "column_A=rows_loaded, column_B=rows_in_raw",
    ),
}


@pytest.fixture(scope="module")
def gate_with_faults(pipeline_run, tmp_path_factory):
    """The gate's verdict on a copy of the built warehouse with every fault written into it."""
    from quality.gate import run_gate

    data_dir, _ = pipeline_run
    copy = tmp_path_factory.mktemp("faults") / "data"
    for part in ("warehouse", "dbt/target"):
        shutil.copytree(data_dir / part, copy / part)
    with duckdb.connect(str(copy / "warehouse" / "hotline.duckdb")) as connection:
        for statement, _ in INJECTED_FAULTS.values():
            connection.execute(statement)
    previous = os.environ.get("HOTLINE_DATA_DIR")
    os.environ["HOTLINE_DATA_DIR"] = str(copy)
    try:
        return run_gate(get_settings())
    finally:
        if previous is None:
            os.environ.pop("HOTLINE_DATA_DIR")
        else:
            os.environ["HOTLINE_DATA_DIR"] = previous


@pytest.mark.parametrize("fault", list(INJECTED_FAULTS))
def test_an_injected_fault_blocks_publication_by_name(gate_with_faults, fault):
    _, expected_name = INJECTED_FAULTS[fault]
    failures = [f"{check.table}: {check.check}" for check in gate_with_faults.failures()]
    assert not gate_with_faults.passed
    assert any(expected_name in failure for failure in failures), failures


def test_a_clear_identity_is_named_by_its_record_and_never_shown(gate_with_faults):
    [check] = [check for check in gate_with_faults.failures() if check.table == "identities hashed"]
    assert check.failing_rows == 1
    assert [set(row) for row in check.sample] == [{"record"}] and check.sample[0]["record"].startswith("caller ")
    assert "张晓明" not in gate_with_faults.to_json()


# --- the attention list: what is late, from the landed files -------------------------------------

ATTENTION_SHEETS = {"orders": "超期未办结工单", "list_items": "超期未完成三清单事项", "liaison": "超时停留联系案例"}


def workdays_after(start: dt.date, end: dt.date) -> int:
    """Working days in (start, end] on China's official calendar, as the chinesecalendar package has it."""
    return sum(chinese_calendar.is_workday(start + dt.timedelta(days=n)) for n in range(1, (end - start).days + 1))


def newest_register(data_dir: Path, pattern: str) -> tuple[pd.DataFrame, dt.date]:
    """The newest export of an office register that the run loaded (dated up to the run date)."""
    run_date = dt.date.fromisoformat(RUN_DATE)
    dated = {dt.datetime.strptime(p.stem[-8:], "%Y%m%d").date(): p for p in (data_dir / "landing").glob(pattern)}
    cut = max(day for day in dated if day <= run_date)
    return pd.read_excel(dated[cut], engine="calamine", dtype={"序号": int}), cut


def late_from_landed_files(data_dir: Path, planted) -> dict[str, dict[str, tuple[int, int, dt.date]]]:
    """Per kind: item id → (calendar days, working days overdue, data cut), from the landed files alone."""
    late: dict[str, dict[str, tuple[int, int, dt.date]]] = {}

    # open dispatched orders past their 办结期限 at the newest daily export (each order's newest row)
    frames = []
    for path in sorted((data_dir / "landing").iterdir()):
        if DAILY_EXPORT.match(path.name) and path.name not in planted.rejected_files:
            frame = read_landed(path)
            frame["export_date"] = dt.datetime.strptime(re.search(r"\d{8}", path.name)[0], "%Y%m%d").date()
            frames.append(frame)
    rows = pd.concat(frames, ignore_index=True)
    cut = rows["export_date"].max()
    orders = (
        rows[rows["工单编号"] != ""].sort_values("export_date", kind="stable").drop_duplicates("工单编号", keep="last")
    )
    orders = orders.assign(due=pd.to_datetime(orders["办结期限"], errors="coerce").dt.date)
    open_late = orders[(orders["办结时间"] == "") & (orders["派单时间"] != "") & (orders["due"] < cut)]
    late["orders"] = {
        row.工单编号: ((cut - row.due).days, workdays_after(row.due, cut), cut) for row in open_late.itertuples()
    }

    # 三清单 items not 已完成 by their 完成时限 at the newest list export
    items, cut = newest_register(data_dir, "committee/三清单_*.xlsx")
    items["due"] = pd.to_datetime(items["完成时限"]).dt.date
    overdue = items[(items["完成情况"] != "已完成") & (items["due"] < cut)]
    late["list_items"] = {
        f"{row.议题编号}/{row.清单类型}/{row.序号}": ((cut - row.due).days, workdays_after(row.due, cut), cut)
        for row in overdue.itertuples()
    }

    # open liaison cases whose last step is older than the seed's limit, at the office's newest export
    steps, cut = newest_register(data_dir, "members/联系工作台账_*.xlsx")
    limits = pd.read_csv(PROJECT_DIR / "dbt_project" / "seeds" / "liaison_step_limits.csv").set_index("step")
    late["liaison"] = {}
    for case_id, case in steps.groupby("案例编号"):
        if len(case) == 8:  # closed: carried through all eight steps to 评议
            continue
        last = case.assign(order=case["步骤"].map(limits["step_order"])).sort_values("order").iloc[-1]
        since = pd.Timestamp(last["步骤日期"]).date()
        limit = int(limits.loc[last["步骤"], "limit_working_days"])
        waited = workdays_after(since, cut)
        if waited > limit:
            due = since
            while workdays_after(since, due) < limit:
                due += dt.timedelta(days=1)
            late["liaison"][case_id] = ((cut - due).days, waited - limit, cut)
    return late


def test_the_attention_workbook_lists_what_the_landed_files_say_is_late(pipeline_run):
    data_dir, planted = pipeline_run
    expected = late_from_landed_files(data_dir, planted)
    workbook = pd.read_excel(
        data_dir / "published" / "attention.xlsx", sheet_name=None, engine="calamine", dtype={"编号": str}
    )

    # key proposals and hard cases have their own sheets; tests/test_member_scoring.py checks them
    assert list(workbook) == ["汇总 summary", *ATTENTION_SHEETS.values(), "超期未答复重点提案", "超期未办结疑难件"]
    for kind, sheet in ATTENTION_SHEETS.items():
        listed = {
            row["编号"]: (row["超期天数"], row["超期工作日"], pd.Timestamp(row["数据截至"]).date())
            for _, row in workbook[sheet].iterrows()
        }
        assert listed == expected[kind], sheet
    assert len(expected["list_items"]) == planted.overdue_topic_items > 0
    assert len(expected["liaison"]) > 0  # the demo plants cases that stopped at a step
    # the summary counts every kind, the ones with nothing late included
    summary = workbook["汇总 summary"].head(len(ATTENTION_SHEETS))
    assert dict(zip(summary["事项类型"], summary["条数"], strict=True)) == {
        sheet: len(expected[kind]) for kind, sheet in ATTENTION_SHEETS.items()
    }
