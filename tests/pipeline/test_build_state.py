"""What `hotline build` rebuilds: in full until a build succeeds, then only what new raw rows feed."""

from __future__ import annotations

import duckdb

from pipeline import build_state


def test_a_build_is_full_until_one_succeeds_then_follows_the_raw_tables_that_changed(settings):
    settings.warehouse_path.parent.mkdir(parents=True)
    with duckdb.connect(str(settings.warehouse_path)) as connection:
        connection.execute("create schema raw")
        connection.execute("create table raw.hotline_work_orders as select 1 as id")
        connection.execute("create table raw.member_activities as select 1 as id")

    first = build_state.plan(settings)
    assert first.full_refresh_reason == "no successful build of this warehouse on record"
    assert build_state.dbt_build_args(settings, first) == ["build", "--full-refresh"]
    build_state.record_success(settings, first)

    unchanged = build_state.plan(settings)
    assert (unchanged.full_refresh_reason, unchanged.changed_sources) == (None, [])
    assert build_state.dbt_build_args(settings, unchanged) is None

    with duckdb.connect(str(settings.warehouse_path)) as connection:
        connection.execute("update raw.hotline_work_orders set id = 2")  # same row count, other content
    edited = build_state.plan(settings)
    assert edited.changed_sources == ["hotline_work_orders"]
    assert build_state.dbt_build_args(settings, edited)[:3] == ["build", "--select", "source:raw.hotline_work_orders+"]

    # a build that starts and does not succeed leaves the next one a full refresh
    build_state.forget(settings)
    assert build_state.plan(settings).full_refresh_reason is not None
    assert build_state.plan(settings, full_refresh=True).full_refresh_reason == "asked for"


def test_the_project_fingerprint_follows_every_project_file_but_dbt_output(tmp_path):
    (tmp_path / "seeds").mkdir()
    (tmp_path / "seeds" / "case_rules.csv").write_text("rule,value\nrepeat_window_days,30\n")
    (tmp_path / "target").mkdir()
    before = build_state.project_fingerprint(tmp_path)

    (tmp_path / "target" / "manifest.json").write_text("{}")
    assert build_state.project_fingerprint(tmp_path) == before
    (tmp_path / "seeds" / "case_rules.csv").write_text("rule,value\nrepeat_window_days,60\n")
    assert build_state.project_fingerprint(tmp_path) != before


def test_a_new_warehouse_beside_the_record_of_an_older_one_is_built_whole(settings):
    """A warehouse file deleted (or restored from a backup) while data/dbt/build_state.json
    stays: the record speaks of tables this warehouse does not have, so the build is full."""
    settings.warehouse_path.parent.mkdir(parents=True)
    with duckdb.connect(str(settings.warehouse_path)) as connection:
        connection.execute("create schema raw")
        connection.execute("create table raw.hotline_work_orders as select 1 as id")
        connection.execute("create schema marts")
        connection.execute("create table marts.fct_cases as select 1 as id")
    build_state.record_success(settings, build_state.plan(settings))
    assert build_state.plan(settings).full_refresh_reason is None

    settings.warehouse_path.unlink()
    with duckdb.connect(str(settings.warehouse_path)) as connection:  # the next ingest makes a new one
        connection.execute("create schema raw")
        connection.execute("create table raw.hotline_work_orders as select 2 as id")
    assert build_state.plan(settings).full_refresh_reason == "the warehouse lacks tables the last build made"


def test_the_staged_orders_are_found_from_the_new_exports_only_when_no_earlier_export_changed(settings):
    """What the build tells stg_hotline__work_orders (build_plan.hotline_changed_files): the new
    exports and those whose ledger row changed; nothing, so that it hashes every snapshot row,
    when an earlier export's rows changed or went away."""
    settings.warehouse_path.parent.mkdir(parents=True)
    with duckdb.connect(str(settings.warehouse_path)) as connection:
        connection.execute("create schema raw")
        connection.execute("create table raw.hotline_work_orders (_file_id varchar, work_order_id varchar)")
        connection.execute("insert into raw.hotline_work_orders values ('a', 'W1'), ('b', 'W2')")
        connection.execute("create table raw.load_ledger (file_id varchar, source_profile varchar)")
        connection.execute("insert into raw.load_ledger values ('a', 'v2023'), ('b', 'v2023')")
        connection.execute("create table raw.member_activities as select 1 as id")
    build_state.record_success(settings, build_state.plan(settings))

    def listed() -> list[str] | None:
        """The file ids the build writes for the model; None when it writes no table."""
        plan = build_state.plan(settings)
        build_state.write_changed_files(settings, plan)
        with duckdb.connect(str(settings.warehouse_path), read_only=True) as connection:
            if not connection.execute("select 1 from duckdb_tables() where schema_name = 'build_plan'").fetchall():
                return None
            written = connection.execute("select file_id from build_plan.hotline_changed_files order by 1").fetchall()
        return [file for (file,) in written]

    def change(*statements: str) -> None:
        with duckdb.connect(str(settings.warehouse_path)) as connection:
            for statement in statements:
                connection.execute(statement)

    # only the office's registers changed: an empty list (the model is not even selected)
    change("insert into raw.member_activities values (2)")
    assert listed() == []
    # a new export, and a ledger row changed under an old one
    change(
        "insert into raw.hotline_work_orders values ('c', 'W1'), ('c', 'W3')",
        "insert into raw.load_ledger values ('c', 'v2023')",
        "update raw.load_ledger set source_profile = 'v2024' where file_id = 'a'",
    )
    assert listed() == ["a", "c"]
    # an earlier export's rows changed (a reload, a hand edit): hash every snapshot row instead
    change("update raw.hotline_work_orders set work_order_id = 'W9' where _file_id = 'b'")
    assert listed() is None
    change("update raw.hotline_work_orders set work_order_id = 'W2' where _file_id = 'b'")
    assert listed() == ["a", "c"]
    # an export gone: likewise
    change("delete from raw.hotline_work_orders where _file_id = 'b'")
    assert listed() is None
    # once the build is over, nothing of the list is left
    build_state.drop_changed_files(settings)
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as connection:
        assert connection.execute(
            "select count(*) from duckdb_tables() where schema_name = 'build_plan'"
        ).fetchone() == (0,)
