"""The PostgreSQL publication, against a real PostgreSQL 15 (tests/conftest.py starts one).

Each test publishes small DuckDB files made here, then reads the database as a BI tool's
account would: through the `published` schema, as a member of hotline_reader.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from decimal import Decimal
from pathlib import Path

import duckdb
import psycopg
import pytest
from typer.testing import CliRunner

from publication.postgres import publish_duckdb


def duckdb_file(path: Path, version: int, *, orders: int = 50, extra_column: bool = False) -> Path:
    """A small publication: a marker naming its version, and tables whose sizes follow from it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as connection:
        connection.execute("create table version_marker as select ? as version", [version])
        connection.execute(
            f"""
            create table fct_orders as
            select i as order_id,
                   (i * 1.25)::decimal(12, 2) as amount,
                   date '2023-01-01' + (i % 365)::integer as received_date,
                   timestamp '2023-01-01 08:30:00' + to_minutes(i) as received_at,
                   timestamptz '2023-01-01 08:30:00+08' + to_minutes(i) as dispatched_at,
                   i % 2 = 0 as is_complaint,
                   case when i % 3 = 0 then null
                        when i = 1 then ['引号"', 'back\\slash', 'a,b', '', null, '{{x}}']
                        when i = 2 then []::varchar[]
                        else ['噪声', '施工' || i] end as tags,
                   [i, i + 1] as numbers,
                   [(i * 1.25)::decimal(12, 2)] as amounts,
                   {{'street': '汇龙镇', 'n': i}} as place,
                   case when i % 7 = 0 then null else '投诉' end as appeal_type,
                   case i when 1 then E'第一行\n"引号", 逗号' when 2 then '' end as note,
                   'ab\x00'::blob as raw,
                   interval 1 month + to_days(i::integer) as waited
            from range({orders * version}) as t(i)
            """
        )
        middle = ", 'new' as added" if extra_column else ""
        connection.execute(
            f"create table dim_units as select i as unit_id{middle}, 'unit ' || i as unit_name "
            f"from range({10 * version}) as t(i)"
        )
        connection.execute("comment on table fct_orders is '工单：每张工单一行'")
        connection.execute("comment on column fct_orders.amount is 'Amount in yuan'")
        connection.execute("comment on column fct_orders.received_date is '来电日期'")
    return path


def publish(dsn: str, tmp_path: Path, version: int, keep: int = 3, **shape):
    path = tmp_path / f"v{version}" / "warehouse.duckdb"
    if not path.exists():
        duckdb_file(path, version, **shape)
    return publish_duckdb(
        dsn,
        path,
        version=f"2024010{version}T000000_{version:012d}",
        fingerprint=f"f{version}",
        data_as_of=None,
        keep=keep,
    )


def reader_dsn(dsn: str, admin: psycopg.Connection, name: str = "bi_user") -> str:
    """A BI tool's login: a member of hotline_reader and nothing more."""
    if not admin.execute("select 1 from pg_roles where rolname = %s", [name]).fetchone():
        admin.execute(f"create role {name} login in role hotline_reader")
    return dsn.replace("user=postgres", f"user={name}")


def test_every_table_arrives_with_its_rows_types_and_comments(pg_dsn, tmp_path):
    report = publish(pg_dsn, tmp_path, 1)
    source = tmp_path / "v1" / "warehouse.duckdb"
    with duckdb.connect(str(source), read_only=True) as duck, psycopg.connect(pg_dsn) as pg:
        tables = [name for (name,) in duck.execute("select table_name from duckdb_tables() order by 1").fetchall()]
        published = [
            name
            for (name,) in pg.execute(
                "select table_name from information_schema.tables where table_schema = 'published' order by 1"
            )
        ]
        assert published == tables
        for table in tables:
            expected = duck.execute(f"select count(*) from {table}").fetchone()[0]
            assert pg.execute(f"select count(*) from published.{table}").fetchone()[0] == expected
        assert report.tables == {"dim_units": 10, "fct_orders": 50, "version_marker": 1}

        types = dict(
            pg.execute(
                "select column_name, format_type(atttypid, atttypmod) from information_schema.columns c "
                "join pg_attribute a on a.attrelid = 'published.fct_orders'::regclass and a.attname = c.column_name "
                "where table_schema = 'published' and table_name = 'fct_orders'"
            ).fetchall()
        )
        assert types == {
            "order_id": "bigint",
            "amount": "numeric(12,2)",
            "received_date": "date",
            "received_at": "timestamp without time zone",
            "dispatched_at": "timestamp with time zone",
            "is_complaint": "boolean",
            "tags": "text[]",
            "numbers": "bigint[]",
            "amounts": "numeric(12,2)[]",
            "place": "jsonb",
            "appeal_type": "text",
            "note": "text",
            "raw": "bytea",
            "waited": "interval",
        }
        # values survive the trip: sums, instants, lists, nulls, Chinese text
        duck.execute("set TimeZone = 'UTC'")
        assert pg.execute("select sum(amount) from published.fct_orders").fetchone()[0] == Decimal(
            str(duck.execute("select sum(amount) from fct_orders").fetchone()[0])
        )
        row = pg.execute(
            "select received_at, dispatched_at, tags, numbers, place, appeal_type "
            "from published.fct_orders where order_id = 7"
        ).fetchone()
        assert row[0] == dt.datetime(2023, 1, 1, 8, 37)
        assert row[1] == dt.datetime(2023, 1, 1, 0, 37, tzinfo=dt.UTC)
        assert (row[2], row[3], row[4], row[5]) == (["噪声", "施工7"], [7, 8], {"street": "汇龙镇", "n": 7}, None)
        assert pg.execute("select count(*) from published.fct_orders where tags is null").fetchone()[0] == 17
        assert pg.execute("select count(*) from published.fct_orders where note is null").fetchone()[0] == 48
        odd = pg.execute(
            "select order_id, tags, note, amounts, raw, waited::text from published.fct_orders "
            "where order_id in (1, 2) order by 1"
        ).fetchall()
        assert odd == [
            (
                1,
                ['引号"', "back\\slash", "a,b", "", None, "{x}"],
                '第一行\n"引号", 逗号',
                [Decimal("1.25")],
                b"ab\x00",
                "1 mon 1 day",
            ),
            (2, [], "", [Decimal("2.50")], b"ab\x00", "1 mon 2 days"),
        ]

        # comments: on the views BI users browse and on the version's tables, as DuckDB has them
        comments = dict(
            pg.execute(
                "select coalesce(a.attname, '(table)'), d.description from pg_description d "
                "left join pg_attribute a on a.attrelid = d.objoid and a.attnum = d.objsubid "
                "where d.objoid = 'published.fct_orders'::regclass"
            ).fetchall()
        )
        assert comments == {"(table)": "工单：每张工单一行", "amount": "Amount in yuan", "received_date": "来电日期"}
        version_table = f"{report.schema}.fct_orders"
        assert pg.execute("select obj_description(%s::regclass)", [version_table]).fetchone()[0] == "工单：每张工单一行"
        assert pg.execute("select obj_description('published.dim_units'::regclass)").fetchone()[0] is None


def test_a_bi_session_never_sees_half_a_publication(pg_dsn, tmp_path):
    publish(pg_dsn, tmp_path, 1, orders=20_000)
    expected = {1: (20_000, 10), 2: (40_000, 20)}  # version → (fct_orders, dim_units) rows
    seen: list[tuple] = []
    errors: list[Exception] = []
    done = threading.Event()

    def read_in_a_loop() -> None:
        with psycopg.connect(pg_dsn, autocommit=True) as bi:
            while not done.is_set():
                try:
                    seen.append(
                        bi.execute(
                            "select (select version from published.version_marker), "
                            "(select count(*) from published.fct_orders), (select count(*) from published.dim_units)"
                        ).fetchone()
                    )
                except psycopg.Error as error:
                    errors.append(error)
                    return
                time.sleep(0.01)

    reader = threading.Thread(target=read_in_a_loop)
    reader.start()
    try:
        time.sleep(0.2)
        # the second version also moves a column of dim_units: its view is dropped and made anew
        publish(pg_dsn, tmp_path, 2, orders=20_000, extra_column=True)
        time.sleep(0.2)
    finally:
        done.set()
        reader.join(timeout=30)
    assert not errors, errors
    assert seen[0][0] == 1 and seen[-1][0] == 2
    assert all((orders, units) == expected[version] for version, orders, units in seen), set(seen)


def test_bi_users_read_the_published_marts_and_change_nothing(pg_dsn, tmp_path):
    report = publish(pg_dsn, tmp_path, 1)
    with psycopg.connect(pg_dsn, autocommit=True) as admin:
        bi_dsn = reader_dsn(pg_dsn, admin)
    second = publish(pg_dsn, tmp_path, 2, extra_column=True)  # views made anew keep their readers

    with psycopg.connect(bi_dsn, autocommit=True) as bi:
        assert bi.execute("select count(*) from published.fct_orders").fetchone()[0] == 100
        assert bi.execute("select count(*) from published.dim_units").fetchone()[0] == 20
        current = bi.execute("select schema_name, tables from hotline_meta.publications where is_current").fetchall()
        assert current == [(second.schema, {"dim_units": 20, "fct_orders": 100, "version_marker": 1})]
        refused = [
            "insert into published.version_marker values (3)",
            "delete from published.fct_orders",
            "create table published.mine (x int)",
            "create view published.mine as select 1 as x",
            "create schema mine",
            "insert into hotline_meta.publications (schema_name, fingerprint, tables) values ('x', 'x', '{}')",
            f"select count(*) from {report.schema}.fct_orders",  # only through published
        ]
        for statement in refused:
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                bi.execute(statement)


def test_only_the_newest_versions_are_kept(pg_dsn, tmp_path):
    reports = [publish(pg_dsn, tmp_path, version, keep=2) for version in (1, 2, 3)]
    again = publish(pg_dsn, tmp_path, 3, keep=2)
    with psycopg.connect(pg_dsn) as pg:
        schemas = [
            name
            for (name,) in pg.execute("select nspname from pg_namespace where nspname like 'hotline_v%' order by 1")
        ]
        kept = pg.execute("select schema_name, is_current from hotline_meta.publications order by 1").fetchall()
        marker = pg.execute("select version from published.version_marker").fetchone()[0]
    assert schemas == [reports[1].schema, reports[2].schema]
    assert kept == [(reports[1].schema, False), (reports[2].schema, True)]
    assert marker == 3
    assert reports[2].dropped == [reports[0].schema]
    assert not again.changed


def test_the_cli_publishes_the_current_duckdb_publication(pg_dsn, tmp_path, monkeypatch):
    from pipeline.cli import app

    # the file publication's layout: a version folder with its manifest, and `current` pointing at it
    published = tmp_path / "data" / "published"
    version = published / "versions" / "20240101T000000_abcdef123456"
    duckdb_file(version / "warehouse.duckdb", 1)
    (version / "manifest.json").write_text(json.dumps({"fingerprint": "abc", "data_as_of": "2023-12-31"}))
    (published / "current").symlink_to(Path("versions") / version.name)
    monkeypatch.setenv("HOTLINE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("HOTLINE_PG_DSN", raising=False)

    unset = CliRunner().invoke(app, ["publish", "--target", "postgres"])
    assert unset.exit_code == 1 and "HOTLINE_PG_DSN is not set" in unset.output

    monkeypatch.setenv("HOTLINE_PG_DSN", pg_dsn)
    began = time.monotonic()
    result = CliRunner().invoke(app, ["publish", "--target", "postgres"])
    seconds = time.monotonic() - began
    assert result.exit_code == 0, result.output
    assert "published → hotline_v20240101t000000_abcdef123456" in " ".join(result.output.split())
    with psycopg.connect(pg_dsn) as pg:
        assert pg.execute("select data_as_of from hotline_meta.publications").fetchone()[0] == dt.date(2023, 12, 31)
    print(f"cli publish --target postgres: {seconds:.2f}s")

    monkeypatch.setenv("HOTLINE_PG_DSN", "host=127.0.0.1 port=1 user=postgres dbname=postgres connect_timeout=5")
    down = CliRunner().invoke(app, ["publish", "--target", "postgres"])
    assert down.exit_code == 1 and down.output.startswith("error: PostgreSQL (HOTLINE_PG_DSN)")
    assert len(down.output.strip().splitlines()) == 1
