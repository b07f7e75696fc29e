"""Shared fixtures: a private data folder per test, small exports in every real format, and the
demo's pipeline run shared by the session's read-only tests (tests/fixtures/shared_runs.py)."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from core.settings import Settings, get_settings
from demodata.hotline_exports import EXPORT_HEADERS, ExportSummary
from tests.fixtures.shared_runs import HASH_KEY, airflow_dags_test, build_once, member_records, session_root

DEMO_SCALE = 0.02  # the smallest demo whose 2023 figures show the planted year-on-year changes
DAILY_RUN_DATE = "2024-01-01"  # the daily run after the last demo export (2023-12-31)

# Airflow imported by the tests keeps its config and metadata out of the user's ~/airflow
os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="airflow-tests-"))
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
# dbt unit tests check the SQL, not the data: the session's daily run (`daily_demo`) runs them;
# every other pipeline run of the suite leaves them out. The modules about dbt builds keep the
# default setting, to show that incremental builds leave them out by themselves.
os.environ["HOTLINE_DBT_UNIT_TESTS"] = "never"
DBT_UNIT_TEST_MODULES = ("tests/pipeline/test_incremental_build.py",)

# The modules that run pipelines, longest first. `make test` hands whole modules to its workers
# (--dist loadfile) in collection order; starting the longest first keeps one from running alone
# at the end. test_end_to_end.py comes before the other readers of the session's daily run, so
# that it builds the run while the other worker is busy.
LONGEST_FIRST = (
    "tests/reliability/test_kills.py",
    "tests/dags/test_scheduled_run.py",
    "tests/test_end_to_end.py",
    "tests/pipeline/test_incremental_build.py",
    "tests/test_topic_pipeline.py",
    "tests/test_foreign_exports.py",
    "tests/test_member_scoring.py",
    # then the modules of 10-20 s (a dbt run, the demo generator, a container layout), so that the
    # last minute is made of short modules and both workers end together (they ended 22 s apart)
    "tests/test_kpi_definitions.py",
    "tests/demodata/test_hotline_exports.py",
    "tests/demodata/test_committee_topics.py",
    "tests/test_docker_compose.py",
    "tests/pipeline/test_dbt_parse_cache.py",
    "tests/test_semantic_layer.py",
    "tests/ingestion/test_golden_ingest.py",
    "tests/pipeline/test_duckdb_settings.py",
)


def pytest_configure(config: pytest.Config) -> None:
    # pytest-xdist otherwise reorders modules by their number of tests, which puts these last
    if hasattr(config.option, "loadscopereorder"):
        config.option.loadscopereorder = False


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {module: position for position, module in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(rank)))  # stable: file order otherwise


@pytest.fixture(scope="session", autouse=True)
def _one_dbt_parse_per_session(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Every pipeline of the session starts from the session's first parse of the dbt project
    (pipeline/dbt_runner.py, HOTLINE_DBT_PARSE_CACHE) rather than parsing it whole again."""
    os.environ["HOTLINE_DBT_PARSE_CACHE"] = str(session_root(tmp_path_factory) / "dbt_parse")


@pytest.fixture(autouse=True)
def _dbt_unit_tests_where_tested(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    if request.node.nodeid.split("::")[0] in DBT_UNIT_TEST_MODULES:
        monkeypatch.delenv("HOTLINE_DBT_UNIT_TESTS")  # the default, as in production


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("HOTLINE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("HOTLINE_HASH_KEY", HASH_KEY)
    monkeypatch.delenv("HOTLINE_LANDING_DIR", raising=False)
    current = get_settings()
    current.landing_dir.mkdir(parents=True)
    return current


def export_row(**cells: str) -> dict[str, str]:
    """One valid export row (a complaint about noise, dispatched); override cells by header."""
    row = dict.fromkeys(EXPORT_HEADERS, "")
    row.update(
        {
            "工单编号": "230103000000001-01",
            "热线单号": "RX2301030000001",
            "工单标题": "噪音扰民",
            "来电人": "张伟",
            "来电号码": "13812345678",
            "性别": "男",
            "证件号码": "320681199001011234",
            "详细地址": "启东市汇龙镇人民中路88号3幢",
            "是否保密": "否",
            "诉求内容": "夜间施工噪音扰民，请尽快处理，联系电话13812345678。",
            "诉求类型": "投诉",
            "诉求渠道": "电话",
            "一级分类": "自然资源与环境保护",
            "二级分类": "污染防治",
            "三级分类": "噪声污染",
            "紧急程度": "一般",
            "区县": "启东市",
            "镇街": "汇龙镇",
            "社区": "城中社区",
            "承办单位": "启东市生态环境局",
            "来电时间": "2023-01-03 09:12:00",
            "派单时间": "2023-01-03 10:00:00",
            "是否延期": "否",
            "工单状态": "已派单",
            "是否重复件": "否",
        }
    )
    row.update(cells)
    return row


@pytest.fixture
def land(settings: Settings) -> Callable[..., Path]:
    """Write rows as one export file in the landing folder, in the format its name and encoding say."""
    from demodata.hotline_exports import write_export

    def write(name: str, rows: list[dict[str, str]], encoding: str = "gb18030") -> Path:
        path = settings.landing_dir / name
        write_export(
            pd.DataFrame(rows, columns=list(rows[0]) if rows else list(EXPORT_HEADERS)), path, encoding=encoding
        )
        return path

    return write


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A real PostgreSQL 15 server for the whole session (see tests/fixtures/postgres_server.py); its DSN."""
    from tests.fixtures.postgres_server import missing_binaries, postgres_server

    missing = missing_binaries()
    if missing:
        pytest.fail(missing)
    with postgres_server() as dsn:
        yield dsn


@pytest.fixture
def pg_dsn(postgres_server: str) -> Iterator[str]:
    """A new, empty database on the session's server, for one test; its DSN."""
    import uuid

    import psycopg
    from psycopg import sql

    name = f"hotline_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_server, autocommit=True) as admin:
        admin.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    yield postgres_server.replace("dbname=postgres", f"dbname={name}")
    with psycopg.connect(postgres_server, autocommit=True) as admin:
        admin.execute(sql.SQL("drop database {} with (force)").format(sql.Identifier(name)))


@dataclass(frozen=True)
class DemoRun:
    data_dir: Path
    planted: ExportSummary  # what the generator planted in the exports


@pytest.fixture(scope="session")
def daily_demo(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    """The demo exports (DEMO_SCALE) and the office's registers, landed as `make run` lands them and
    run once per session through `airflow dags test hotline_daily 2024-01-01` (the real DAG, dbt on
    DuckDB, the gate, publication). Shared by every worker: read it, never change it; a test that
    writes works on `copy_data(daily_demo.data_dir, tmp_path / "data")`."""
    from demodata.hotline_exports import generate_hotline_exports

    root = session_root(tmp_path_factory)

    def build(folder: Path) -> ExportSummary:
        landing = folder / "data" / "landing"
        landing.mkdir(parents=True)
        planted = generate_hotline_exports(landing, scale=DEMO_SCALE)
        shutil.copytree(member_records(root)[0], landing / "members")
        # the suite's one pipeline run with the dbt unit tests (tests/test_end_to_end.py checks they ran)
        run = airflow_dags_test(
            folder / "data", "hotline_daily", DAILY_RUN_DATE, env={"HOTLINE_DBT_UNIT_TESTS": "on-full-refresh"}
        )
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
        return planted

    folder, planted = build_once(root, "daily_demo", build)
    return DemoRun(folder / "data", planted)


def landed_work_orders(settings, file_name: str) -> list[tuple]:
    """The raw rows of one file, without the columns that name the file or the load."""
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as connection:
        columns = [
            name
            for (name,) in connection.execute(
                "select column_name from information_schema.columns where table_schema = 'raw' "
                "and table_name = 'hotline_work_orders' and column_name not in ('_file_id', '_file_name', "
                "'_snapshot_date', '_loaded_at', '_row_number', '_sheet') order by ordinal_position"
            ).fetchall()
        ]
        return connection.execute(
            f"select {', '.join(columns)} from raw.hotline_work_orders where _file_name = ? order by work_order_id",
            [file_name],
        ).fetchall()
