"""An incremental build publishes the same marts as a full refresh of the same data.

The demo's exports are loaded in three batches, with an incremental build after each of the
last two: the first days (too few for any topic candidate), most days (with one of the first
days' exports reloaded), then the last days with a late second export of an old day among them,
which rewrites an old order, adds a repeat of it and quarantines a newer row of another. Every
mart is then compared, table by table and row by row (order-independent), with `hotline build
--full-refresh`, and the publication of the incremental builds with that of the full refresh.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path

import duckdb
import pytest

from core.errors import PipelineError
from core.warehouse import mart_tables
from demodata.hotline_exports import generate_hotline_exports
from pipeline import steps
from quality.results import warning_lines
from tests.conftest import export_row
from tests.fixtures.shared_runs import member_records, session_root

pytestmark = pytest.mark.slow


def query(settings, sql: str, params=None) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as connection:
        return connection.execute(sql, params or []).fetchall()


def mart_contents(settings, path=None, schema: str = "marts") -> dict[str, tuple]:
    """Each mart's row count and order-independent sum of row hashes (of a published copy's
    tables, given its `path` and schema main)."""
    with duckdb.connect(str(path or settings.warehouse_path), read_only=True) as connection:
        return {
            table: connection.execute(
                f'select count(*), coalesce(sum(hash(t)::hugeint), 0)::varchar from {schema}."{table}" as t'
            ).fetchone()
            for table in mart_tables(connection, schema)
        }


def ran_unit_tests(settings) -> bool:
    results = json.loads((settings.dbt_target_dir / "run_results.json").read_text())["results"]
    return any(item["unique_id"].startswith("unit_test.") for item in results)


def built_seeds(settings) -> bool:
    results = json.loads((settings.dbt_target_dir / "run_results.json").read_text())["results"]
    return any(item["unique_id"].startswith("seed.") for item in results)


def redone_orders(settings) -> set[str]:
    """Orders stg_hotline__work_orders redid in the last build."""
    invocation = json.loads((settings.dbt_target_dir / "run_results.json").read_text())["metadata"]["invocation_id"]
    rows = query(
        settings,
        "select work_order_id from staging.stg_hotline__work_orders where built_by_invocation_id = ?",
        [invocation],
    )
    return {order for (order,) in rows}


def changed_orders_found_by(settings) -> str:
    """How the last build's stg_hotline__work_orders found the orders to redo (its compiled SQL)."""
    model = Path("hotline_warehouse", "models", "staging", "stg_hotline__work_orders.sql")
    sql = (settings.dbt_target_dir / "compiled" / model).read_text(encoding="utf-8")
    if '"build_plan"."hotline_changed_files"' in sql:
        return "the new exports"
    return "hashing every snapshot row" if "now_built" in sql else "neither"


def loaded_files(settings) -> set[str]:
    return {file_id for (file_id,) in query(settings, "select file_id from raw.load_ledger where status = 'loaded'")}


def orders_in_files(settings, files: set[str]) -> set[str]:
    """Orders with a row, landed or quarantined, in these files."""
    rows = query(
        settings,
        """
        select trim(work_order_id) from raw.hotline_work_orders where list_contains(?, _file_id)
        union
        select record_key from raw.quarantine where list_contains(?, file_id)
        """,
        [sorted(files), sorted(files)],
    )
    return {order for (order,) in rows}


def test_incremental_builds_publish_what_a_full_refresh_does(settings, land, monkeypatch, tmp_path_factory):
    # the demo, as `hotline generate --scale 0.01` writes it (the office's registers: the session's copy)
    generate_hotline_exports(settings.landing_dir, scale=0.01)
    shutil.copytree(member_records(session_root(tmp_path_factory))[0], settings.landing_dir / "members")
    # a city's first days: too few appeals for any topic candidate, so the topic model has no rows
    steps.ingest(settings, until=dt.date(2022, 1, 5))
    # no build on record: a full refresh (the dbt unit tests are left out, as in the last one)
    with monkeypatch.context() as unit_tests:
        unit_tests.setenv("HOTLINE_DBT_UNIT_TESTS", "never")
        steps.build(settings)
    assert built_seeds(settings)  # a full build; an incremental one starts from the raw tables that changed
    assert query(settings, "select count(*) from intermediate.int_topic_candidate_terms") == [(0,)]

    # most of the history, built incrementally on top (an empty first build once left the topic
    # model's date column untyped, and every later build failed), with one of the first days'
    # exports read again (`hotline reload`, as after a profile was fixed): its rows changed, so the
    # changed orders are found by hashing every snapshot row, not from the list of new exports
    [first_day] = [path.name for path in settings.landing_dir.glob("12345_gongdan_20220103.*")]
    steps.reload(settings, names=[first_day])
    steps.ingest(settings, until=dt.date(2023, 12, 20))
    steps.build(settings)
    assert not ran_unit_tests(settings) and not built_seeds(settings)
    assert changed_orders_found_by(settings) == "hashing every snapshot row"
    [(months,)] = query(settings, "select count(distinct period_start) from intermediate.int_topic_candidate_terms")
    assert months > 0
    steps.check(settings)
    first = steps.publish(settings)
    first_contents = mart_contents(settings)

    # the last days, as the daily run would load them, and among them a late second export of an
    # old day: it rewrites an order last seen that day, adds a repeat of it (same caller, address
    # and category) and a newer row of an older order that is quarantined (a bad completion time)
    # (an order another one is a repeat of: the rewrite takes it out of that caller's or address's
    # category, so the other order is no longer a repeat of it, though neither changed otherwise)
    [(old_order, old_day, repeated_by)] = query(
        settings,
        """
        select old.work_order_id, old.last_snapshot_date, later.work_order_id
        from marts.fct_cases as old
        inner join marts.fct_cases as later on later.repeat_of_work_order_id = old.work_order_id
        where old.last_snapshot_date between '2022-06-01' and '2022-06-30' and old.completed_at is not null
            and old.category_l3_name != '噪声污染'
        order by old.work_order_id, later.work_order_id limit 1
        """,
    )
    [(older_order, older_day)] = query(
        settings,
        "select work_order_id, last_snapshot_date from marts.fct_cases where last_snapshot_date < ? "
        "order by work_order_id limit 1",
        [old_day],
    )
    day = old_day.isoformat()
    land(
        f"12345_gongdan_{old_day:%Y%m%d}.xlsx",
        [
            export_row(工单编号=old_order, 来电时间=f"{day} 08:00:00", 派单时间=f"{day} 09:00:00"),
            export_row(工单编号="LATE-REPEAT-01", 来电时间=f"{day} 10:00:00", 派单时间=f"{day} 11:00:00"),
            export_row(工单编号=older_order, 工单状态="已办结", 办结时间=f"{day} 25:00:00"),
        ],
    )
    before = loaded_files(settings)
    contents_before = mart_contents(settings)
    steps.ingest(settings, until=dt.date(2023, 12, 30))
    steps.build(settings)
    assert not ran_unit_tests(settings)  # incremental
    assert changed_orders_found_by(settings) == "the new exports"  # only new exports came
    # it redoes the orders with a row in the new files, and no other; the older order's one new
    # row was quarantined, so its staged row stays as it was (and fct_cases flags it, below)
    new_orders = orders_in_files(settings, loaded_files(settings) - before)
    assert {old_order, "LATE-REPEAT-01", older_order} <= new_orders
    assert redone_orders(settings) == new_orders - {older_order}
    [(total,)] = query(settings, "select count(*) from marts.fct_cases")
    assert len(new_orders) < total / 5  # a day's work, not the whole history
    assert query(
        settings, "select repeat_of_work_order_id from marts.fct_cases where work_order_id = ?", [repeated_by]
    ) != [(old_order,)]
    assert query(
        settings,
        "select repeat_of_work_order_id, has_newer_quarantined_row from marts.fct_cases where work_order_id = ?",
        ["LATE-REPEAT-01"],
    ) == [(old_order, False)]
    # the older order keeps its last good row (not silently the quarantined one), flagged
    assert query(
        settings,
        "select last_snapshot_date, has_newer_quarantined_row from marts.fct_cases where work_order_id = ?",
        [older_order],
    ) == [(older_day, True)]
    # that warns (a test of severity warn), and only the warning test's rows are kept, in audit
    [(kept,)] = query(settings, "select table_name from duckdb_tables() where schema_name = 'audit'")
    assert query(settings, f'select value_field, n_records from audit."{kept}"') == [(True, 1)]
    # stored by the build itself (the test's own store_failures), not by a second dbt run
    assert not (settings.dbt_target_dir.parent / "target_failing_rows").exists()
    incremental = mart_contents(settings)

    # the gate reruns the suites of the marts that changed and reuses those of the others
    changed = {table for table, content in incremental.items() if contents_before[table] != content}
    gate = steps.check(settings)
    rerun, reused = suites_run_and_reused(gate)
    assert changed & MART_SUITES and changed - {"fct_cases"}  # the day moved the cases and more
    assert rerun & MART_SUITES == changed & MART_SUITES
    assert reused & MART_SUITES == MART_SUITES - changed and reused
    # the phone/ID scan of the raw exports reads the rows of the new files only
    [(new_files,)] = query(
        settings,
        "select count(distinct _file_id) from raw.hotline_work_orders where list_contains(?, _file_id)",
        [sorted(loaded_files(settings) - before)],
    )
    [scanned] = [check.message for check in gate.checks if check.check.startswith("no clear phone or ID numbers")]
    assert new_files and f"raw.hotline_work_orders: the rows of {new_files} new or changed file(s)" in scanned
    # and the staged orders those files touched: grouped by the file of each order's latest row
    [staged] = re.findall(r"staging.stg_hotline__work_orders: the rows of (\d+) new or changed file", scanned)
    assert new_files <= int(staged) < len(before) / 4
    # the warning does not block publication
    warned = [check for check in gate.checks if "has_newer_quarantined_row" in check.check]
    assert gate.passed and [check.passed for check in warned] == [True]
    assert warned[0].message.endswith(f'failing rows in "hotline"."audit"."{kept}"')
    # and it is the one warning a run shows besides its verdict (`hotline check`, `hotline report`)
    assert warning_lines(gate.checks) == [f"test: {warned[0].check}: {warned[0].message}"]
    published = steps.publish(settings)
    assert published.changed and published.fingerprint != first.fingerprint
    # the new version holds every mart as it is now, but copied only those that changed since the
    # version before (the first publication); it shares the others' files
    assert mart_contents(settings, published.directory / "warehouse.duckdb", "main") == incremental
    before, after = (published.directory / "versions" / version for version in versions(settings))
    shared = {
        path.stem
        for path in after.glob("*.parquet")
        if (before / path.name).exists() and (before / path.name).stat().st_ino == path.stat().st_ino
    }
    assert shared == {table for table in incremental if first_contents.get(table) == incremental[table]}
    assert shared and len(shared) < len(incremental)
    # the dbt docs site documents the same project and tables: the first publication's page, copied
    docs = [published.directory / "versions" / version / "docs" / "index.html" for version in versions(settings)]
    assert len(docs) == 2 and docs[0].read_bytes() == docs[1].read_bytes()

    # (the dbt unit tests, which a full refresh runs by default, are the session's daily run's:
    # tests/test_end_to_end.py; they test the SQL, and would only add their time here)
    with monkeypatch.context() as unit_tests:
        unit_tests.setenv("HOTLINE_DBT_UNIT_TESTS", "never")
        steps.build(settings, full_refresh=True)
    assert built_seeds(settings)
    full = mart_contents(settings)
    assert incremental.keys() == full.keys()
    assert {table for table in full if incremental[table] != full[table]} == set()
    # the full refresh passes the same gate and publishes nothing new: the same tables, KPIs, workbooks
    rerun, reused = suites_run_and_reused(steps.check(settings))
    assert reused == set()  # a full refresh is checked whole
    assert steps.publish(settings).changed is False
    assert json.loads((settings.published_dir / "manifest.json").read_text())["fingerprint"] == published.fingerprint

    # nothing changed: every one-mart suite is reused; a mart tampered with after it is checked again, and fails
    rerun, reused = suites_run_and_reused(steps.check(settings))
    assert reused >= MART_SUITES
    # so does a raw row of a file the gate had scanned: that file's rows are scanned again; and
    # a staged order (scanned by the file of its latest row): that file's orders are scanned again
    tampered = ("raw.hotline_work_orders", "staging.stg_hotline__work_orders")
    with duckdb.connect(str(settings.warehouse_path)) as connection:
        for table in tampered:
            connection.execute(
                f"update {table} set appeal_text = coalesce(appeal_text, '') || '，电话13912345678' "
                f"where rowid = (select min(rowid) from {table})"
            )
    with pytest.raises(PipelineError, match="quality gate failed: raw.hotline_work_orders"):
        steps.check(settings)
    report = json.loads((settings.quality_dir / "gate_report.json").read_text())
    failing = {check["check"]: check["failing_rows"] for check in report["checks"] if not check["passed"]}
    for table in tampered:  # (and the views on the raw table)
        assert failing[f"no clear phone or ID number in {table}.appeal_text"] == 1
    with duckdb.connect(str(settings.warehouse_path)) as connection:
        for table in tampered:
            connection.execute(f"update {table} set appeal_text = replace(appeal_text, '，电话13912345678', '')")
    steps.check(settings)
    with duckdb.connect(str(settings.warehouse_path)) as connection:
        connection.execute("update marts.kpi_hotline_yearly set completion_rate = 1.5")
    with pytest.raises(PipelineError, match="quality gate failed: kpi_hotline_yearly"):
        steps.check(settings)
    report = json.loads((settings.quality_dir / "gate_report.json").read_text())
    assert [check["check"] for check in report["checks"] if not check["passed"]] == [
        "ExpectColumnValuesToBeBetween(column=completion_rate, min_value=0, max_value=1)"
    ]
    # `hotline check --all` reuses nothing
    with pytest.raises(PipelineError):
        steps.check(settings, check_all=True)
    report = json.loads((settings.quality_dir / "gate_report.json").read_text())
    assert not [check for check in report["checks"] if check["message"].startswith("reused")]


# the suites over one mart each, named after it (quality/suites.py)
MART_SUITES = {
    "fct_cases",
    "kpi_hotline_monthly",
    "kpi_hotline_quarterly",
    "kpi_hotline_yearly",
    "kpi_town_monthly",
    "kpi_unit_monthly",
    "kpi_category_l1_monthly",
    "kpi_category_l2_monthly",
    "kpi_category_l3_monthly",
    "kpi_appeal_type_monthly",
}


def suites_run_and_reused(report) -> tuple[set[str], set[str]]:
    """The expectation suites the gate ran, and those whose earlier results it reused."""
    suites = [check for check in report.checks if check.source == "expectations"]
    reused = {check.table for check in suites if check.message.startswith("reused: passed at ")}
    return {check.table for check in suites} - reused, reused


def versions(settings) -> list[str]:
    return sorted(
        path.name for path in (settings.published_dir / "versions").iterdir() if not path.name.startswith(".")
    )
