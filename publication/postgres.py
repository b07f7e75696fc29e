"""Copy the current DuckDB publication into PostgreSQL, for BI tools that connect over the network
(FineBI, Superset, Metabase, Power BI, Tableau).

Layout in the database (HOTLINE_PG_DSN):
    hotline_v<version>.<mart>   each publication's marts, as tables, with the DuckDB comments
    published.<mart>            views onto the version in force: what BI users query
    hotline_meta.publications   one row per version kept: fingerprint, data as of, row counts, current
    hotline_reader              a role without login; BI accounts are made members of it

The marts are exactly the tables of published/warehouse.duckdb (the version `current` points at),
so Postgres and the file never disagree about what passed the gate. Each version is loaded with
COPY into its own schema, and the views in `published` are switched to it in the same transaction:
a BI query sees the previous publication or the new one, never half of either. The newest
HOTLINE_PUBLISH_KEEP versions stay; older schemas are dropped.
"""

from __future__ import annotations

import json
import logging
import random
import re
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import psycopg
from psycopg import sql

from core.errors import PipelineError
from core.settings import Settings
from core.warehouse import open_duckdb

log = logging.getLogger(__name__)

PUBLISHED_SCHEMA = "published"
META_SCHEMA = "hotline_meta"
VERSION_PREFIX = "hotline_v"
READER_ROLE = "hotline_reader"
# one publisher at a time per database: a session-level advisory lock (any constant key)
PUBLISH_LOCK_KEY = 0x686F746C696E65  # "hotline"
# the switch takes every published view at once or none, waiting at most this long each try: well
# under PostgreSQL's deadlock_timeout (1s), so a BI query that holds one view and waits for another
# is never the one cancelled as a deadlock; the publisher lets go and tries again
SWITCH_LOCK_TIMEOUT = "200ms"
SWITCH_WAIT_SECONDS = 120
PRUNE_LOCK_TIMEOUT = "5s"  # a BI query still reading an old version defers its drop to the next publish
COPY_CHUNK_BYTES = 1 << 20

# DuckDB type → PostgreSQL type, for types whose DuckDB text PostgreSQL reads as it is
SCALAR_TYPES = {
    "BOOLEAN": "boolean",
    "TINYINT": "smallint",
    "UTINYINT": "smallint",
    "SMALLINT": "smallint",
    "USMALLINT": "integer",
    "INTEGER": "integer",
    "UINTEGER": "bigint",
    "BIGINT": "bigint",
    "UBIGINT": "numeric(20,0)",
    "HUGEINT": "numeric(39,0)",
    "UHUGEINT": "numeric(39,0)",
    "FLOAT": "real",
    "DOUBLE": "double precision",
    "VARCHAR": "text",
    "DATE": "date",
    "TIME": "time",
    "TIME WITH TIME ZONE": "timetz",
    "TIMESTAMP": "timestamp",
    "TIMESTAMP_S": "timestamp",
    "TIMESTAMP_MS": "timestamp",
    "TIMESTAMP_NS": "timestamp",
    "TIMESTAMP WITH TIME ZONE": "timestamptz",  # written with its offset (the session runs in UTC)
    "INTERVAL": "interval",
    "UUID": "uuid",
    "JSON": "jsonb",
}
DECIMAL = re.compile(r"DECIMAL\((\d+),(\d+)\)")
LIST = re.compile(r"(.+?)\[\d*\]")  # INTEGER[] (list) or INTEGER[3] (array)
# a list as PostgreSQL's array text: {"a",NULL,"b\"c"}; every element quoted, so any text is safe
ARRAY_TEXT = (
    "case when {value} is null then null else '{{' || array_to_string(list_transform({value}, "
    "lambda x: coalesce('\"' || replace(replace(x::varchar, '\\', '\\\\'), '\"', '\\\"') || '\"', 'NULL')), ',') "
    "|| '}}' end"
)


@dataclass(frozen=True)
class Column:
    name: str
    duckdb_type: str
    comment: str | None

    def mapping(self) -> tuple[str, str]:
        """(PostgreSQL type, DuckDB expression giving the text PostgreSQL's COPY reads) of this column."""
        quoted = '"' + self.name.replace('"', '""') + '"'
        scalar = _scalar_type(self.duckdb_type)
        if scalar:
            return scalar, quoted
        if self.duckdb_type == "BLOB":
            return "bytea", f"'\\x' || hex({quoted})"
        element = LIST.fullmatch(self.duckdb_type)
        if element and _scalar_type(element.group(1)) not in (None, "jsonb"):
            # a flat list of plain values: a PostgreSQL array BI tools can unnest
            as_list = f"{quoted}::{element.group(1)}[]"
            return f"{_scalar_type(element.group(1))}[]", ARRAY_TEXT.format(value=as_list)
        if self.duckdb_type.startswith(("STRUCT", "MAP", "UNION")) or element:
            return "jsonb", f"to_json({quoted})::varchar"  # nested values: JSON keeps their shape
        return "text", f"{quoted}::varchar"  # ENUM, BIT and anything newer: its text


def _scalar_type(duckdb_type: str) -> str | None:
    decimal = DECIMAL.fullmatch(duckdb_type)
    return f"numeric({decimal.group(1)},{decimal.group(2)})" if decimal else SCALAR_TYPES.get(duckdb_type)


@dataclass(frozen=True)
class Table:
    name: str
    comment: str | None
    columns: list[Column]


@dataclass(frozen=True)
class PostgresReport:
    changed: bool
    schema: str
    tables: dict[str, int]
    dropped: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        if not self.changed:
            return f"{len(self.tables)} marts unchanged in PostgreSQL: {PUBLISHED_SCHEMA} → {self.schema}"
        dropped = f"; dropped {', '.join(self.dropped)}" if self.dropped else ""
        return (
            f"{len(self.tables)} marts, {sum(self.tables.values()):,} rows published to PostgreSQL in "
            f"{self.seconds:.1f}s: {PUBLISHED_SCHEMA} → {self.schema}{dropped}"
        )


def version_schema(version: str) -> str:
    schema = VERSION_PREFIX + version.lower()
    if not re.fullmatch(r"[a-z0-9_]+", schema) or len(schema) > 63:
        raise PipelineError(f"publication version {version!r} does not make a PostgreSQL schema name")
    return schema


def publish_to_postgres(settings: Settings) -> PostgresReport:
    """Publish the version `published/current` points at to HOTLINE_PG_DSN."""
    if settings.pg_dsn is None:
        raise PipelineError("HOTLINE_PG_DSN is not set; set it to the PostgreSQL database BI tools read")
    current = settings.published_dir / "current"
    manifest_path = current / "manifest.json"
    if not manifest_path.exists():
        raise PipelineError(f"{current}: nothing published yet; run `hotline publish` first")
    version_dir = current.resolve()  # pinned: a file publication meanwhile does not change what is copied
    manifest = json.loads((version_dir / "manifest.json").read_text())
    return publish_duckdb(
        settings.pg_dsn,
        version_dir / "warehouse.duckdb",
        version=version_dir.name,
        fingerprint=manifest["fingerprint"],
        data_as_of=manifest.get("data_as_of"),
        keep=settings.publish_keep,
    )


def read_tables(source: duckdb.DuckDBPyConnection) -> list[Table]:
    """The tables of a published DuckDB file, with whatever comments its catalog holds."""
    tables = source.execute(
        "select table_name, comment from duckdb_tables() "
        "where database_name = current_database() and schema_name = 'main' order by table_name"
    ).fetchall()
    columns = source.execute(
        "select table_name, column_name, data_type, comment from duckdb_columns() "
        "where database_name = current_database() and schema_name = 'main' order by table_name, column_index"
    ).fetchall()
    by_table: dict[str, list[Column]] = {}
    for table, name, data_type, comment in columns:
        by_table.setdefault(table, []).append(Column(name, data_type, comment or None))
    return [Table(name, comment or None, by_table[name]) for name, comment in tables]


def publish_duckdb(
    dsn: str,
    duckdb_path: Path,
    *,
    version: str,
    fingerprint: str,
    data_as_of: str | None,
    keep: int,
) -> PostgresReport:
    """Load every table of a DuckDB file into hotline_v<version>, switch `published` to it, prune."""
    began = time.monotonic()
    schema = version_schema(version)
    try:
        connection = psycopg.connect(dsn, autocommit=True)
    except psycopg.ProgrammingError as error:  # a malformed DSN; an unreachable server is left to retries
        raise PipelineError(f"HOTLINE_PG_DSN: {error}".splitlines()[0]) from None
    with connection, open_duckdb(duckdb_path, read_only=True) as source:
        connection.execute("select pg_advisory_lock(%s)", [PUBLISH_LOCK_KEY])
        _prepare(connection)
        current = connection.execute(
            "select schema_name, tables from hotline_meta.publications where is_current"
        ).fetchone()
        if current and current[0] == schema and _schema_exists(connection, schema):
            return PostgresReport(False, schema, current[1])
        tables = read_tables(source)
        with connection.transaction():
            counts = _load(connection, source, schema, tables)
            _switch(connection, schema, tables)
            connection.execute(
                "insert into hotline_meta.publications (schema_name, fingerprint, data_as_of, tables) "
                "values (%s, %s, %s, %s) on conflict (schema_name) do update set fingerprint = excluded.fingerprint, "
                "data_as_of = excluded.data_as_of, tables = excluded.tables, loaded_at = now()",
                [schema, fingerprint, data_as_of, json.dumps(counts)],
            )
            connection.execute("update hotline_meta.publications set is_current = (schema_name = %s)", [schema])
        dropped = _prune(connection, keep, schema)
    report = PostgresReport(True, schema, counts, dropped, time.monotonic() - began)
    log.info("postgres: %s", report.summary())
    return report


def _prepare(connection: psycopg.Connection) -> None:
    """The schemas, the metadata table and the reader role with its grants; idempotent."""
    role_exists = connection.execute("select 1 from pg_roles where rolname = %s", [READER_ROLE]).fetchone()
    if not role_exists:
        try:
            connection.execute(sql.SQL("create role {} nologin").format(sql.Identifier(READER_ROLE)))
        except psycopg.errors.DuplicateObject:
            pass  # created meanwhile from another database of the same server
        except psycopg.errors.InsufficientPrivilege:
            raise PipelineError(
                f"HOTLINE_PG_DSN: its user may not create roles; have an administrator run "
                f"`create role {READER_ROLE} nologin`, then publish again"
            ) from None
    reader = sql.Identifier(READER_ROLE)
    with connection.transaction():
        for schema in (PUBLISHED_SCHEMA, META_SCHEMA):
            name = sql.Identifier(schema)
            connection.execute(sql.SQL("create schema if not exists {}").format(name))
            connection.execute(sql.SQL("grant usage on schema {} to {}").format(name, reader))
            # views made later by this publisher are readable at once, whatever grant step they miss
            connection.execute(
                sql.SQL("alter default privileges in schema {} grant select on tables to {}").format(name, reader)
            )
        connection.execute(
            """
            create table if not exists hotline_meta.publications (
                schema_name text primary key,
                fingerprint text not null,
                data_as_of date,
                tables jsonb not null,
                loaded_at timestamptz not null default now(),
                is_current boolean not null default false
            )
            """
        )
        connection.execute(
            "comment on table hotline_meta.publications is "
            "'Publications kept in PostgreSQL: the schema holding each, its fingerprint, the day its data "
            "runs to and its row counts per mart; is_current marks the one the published views show.'"
        )
        connection.execute(
            sql.SQL("grant select on all tables in schema {} to {}").format(sql.Identifier(META_SCHEMA), reader)
        )


def _schema_exists(connection: psycopg.Connection, schema: str) -> bool:
    return connection.execute("select 1 from pg_namespace where nspname = %s", [schema]).fetchone() is not None


def _comment(connection: psycopg.Connection, kind: str, target: sql.Composable, text: str | None) -> None:
    # a NULL comment clears one left on a replaced view
    connection.execute(sql.SQL("comment on {} {} is {}").format(sql.SQL(kind), target, sql.Literal(text)))


def _comments(connection: psycopg.Connection, kind: str, schema: str, table: Table) -> None:
    relation = sql.Identifier(schema, table.name)
    _comment(connection, kind, relation, table.comment)
    for column in table.columns:
        _comment(connection, "column", sql.Identifier(schema, table.name, column.name), column.comment)


def _load(
    connection: psycopg.Connection, source: duckdb.DuckDBPyConnection, schema: str, tables: Iterable[Table]
) -> dict[str, int]:
    """Create hotline_v<version> and COPY every table into it (inside the caller's transaction)."""
    # left by a publish that loaded this version and was later rolled back or pruned
    connection.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(schema)))
    connection.execute(sql.SQL("create schema {}").format(sql.Identifier(schema)))
    counts = {}
    source.execute("set TimeZone = 'UTC'")  # timestamps with time zone written with an unambiguous offset
    source.execute("set enable_progress_bar = false")  # no bar in task logs
    with tempfile.TemporaryDirectory(prefix="hotline-pg-") as scratch:
        for table in tables:
            counts[table.name] = _create_and_copy(connection, source, schema, table, Path(scratch))
    return counts


def _create_and_copy(
    connection: psycopg.Connection, source: duckdb.DuckDBPyConnection, schema: str, table: Table, scratch: Path
) -> int:
    mappings = [column.mapping() for column in table.columns]
    target = sql.Identifier(schema, table.name)
    columns = sql.SQL(", ").join(
        sql.SQL("{} {}").format(sql.Identifier(column.name), sql.SQL(pg_type))
        for column, (pg_type, _) in zip(table.columns, mappings, strict=True)
    )
    connection.execute(sql.SQL("create table {} ({})").format(target, columns))
    rows = _copy(connection, source, target, table.name, [expression for _, expression in mappings], scratch)
    _comments(connection, "table", schema, table)
    connection.execute(sql.SQL("analyze {}").format(target))  # BI queries get real plans at once
    return rows


def _copy(
    connection: psycopg.Connection,
    source: duckdb.DuckDBPyConnection,
    target: sql.Composable,
    table: str,
    expressions: list[str],
    scratch: Path,
) -> int:
    """DuckDB writes the table as CSV, PostgreSQL reads it with COPY: no row passes through Python.

    Both mean the same by CSV: an unquoted empty field is NULL, "" an empty string.
    """
    path = scratch / "table.csv"
    source.execute(
        f"copy (select {', '.join(expressions)} from main.\"{table}\") to '{path}' (format csv, header false)"
    )
    with path.open("rb") as data, connection.cursor() as cursor:
        with cursor.copy(sql.SQL("copy {} from stdin (format csv, encoding 'UTF8')").format(target)) as copy:
            while chunk := data.read(COPY_CHUNK_BYTES):
                copy.write(chunk)
        rows = cursor.rowcount
    path.unlink()
    return rows


def _switch(connection: psycopg.Connection, schema: str, tables: list[Table]) -> None:
    """Point the views in `published` at `schema`, inside the caller's transaction.

    Why views replaced in one transaction rather than renaming schemas: the `published` schema
    itself never changes, so its grants, default privileges and BI tools' saved connections stay;
    CREATE OR REPLACE VIEW keeps each view's grants and any view a BI administrator built on it.
    And a rename is seen name by name: a query resolving its tables while the rename commits
    could join one from each version. Here every view is locked from before its replacement
    until commit: a query that started before reads the old version to its end, one that starts
    meanwhile waits and then reads the new one, so no query sees two versions. Version schemas
    keep their names, so an old one can be inspected.
    """
    published = sql.Identifier(PUBLISHED_SCHEMA)
    existing = {
        name
        for (name,) in connection.execute(
            "select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace "
            "where n.nspname = %s and c.relkind = 'v'",
            [PUBLISHED_SCHEMA],
        )
    }
    _lock_views(connection, existing)
    for table in tables:
        view = sql.Identifier(PUBLISHED_SCHEMA, table.name)
        body = sql.SQL("view {} as select * from {}").format(view, sql.Identifier(schema, table.name))
        if table.name in existing:
            try:
                with connection.transaction():  # a savepoint: a failed replace leaves the rest standing
                    connection.execute(sql.SQL("create or replace ") + body)
            except psycopg.errors.InvalidTableDefinition:  # columns renamed, dropped or retyped
                _drop_view(connection, table.name)
                connection.execute(sql.SQL("create ") + body)
        else:
            connection.execute(sql.SQL("create ") + body)
        _comments(connection, "view", PUBLISHED_SCHEMA, table)
    for gone in sorted(existing - {table.name for table in tables}):
        _drop_view(connection, gone)
    connection.execute(
        sql.SQL("grant select on all tables in schema {} to {}").format(published, sql.Identifier(READER_ROLE))
    )


def _lock_views(connection: psycopg.Connection, names: set[str]) -> None:
    """Lock every existing view of `published` in one go (kept until commit), trying again while BI
    queries hold some: a publisher that waited holding half of them could deadlock with a query
    that holds the other half."""
    if not names:
        return
    statement = sql.SQL("lock table {} in access exclusive mode").format(
        sql.SQL(", ").join(sql.Identifier(PUBLISHED_SCHEMA, name) for name in sorted(names))
    )
    deadline = time.monotonic() + SWITCH_WAIT_SECONDS
    while True:
        try:
            with connection.transaction():  # a savepoint: a timed-out try releases what it took
                connection.execute(f"set local lock_timeout = '{SWITCH_LOCK_TIMEOUT}'")
                connection.execute(statement)
            connection.execute("set local lock_timeout = default")
            return
        except psycopg.errors.LockNotAvailable:
            if time.monotonic() > deadline:
                raise PipelineError(
                    f"PostgreSQL: BI sessions kept the {PUBLISHED_SCHEMA} views busy for {SWITCH_WAIT_SECONDS}s "
                    "(an open transaction? see pg_stat_activity); publish again later, the previous publication stays"
                ) from None
            time.sleep(random.uniform(0.05, 0.3))


def _drop_view(connection: psycopg.Connection, name: str) -> None:
    try:
        with connection.transaction():
            connection.execute(sql.SQL("drop view {}").format(sql.Identifier(PUBLISHED_SCHEMA, name)))
    except psycopg.errors.DependentObjectsStillExist as error:
        detail = (error.diag.message_detail or "").replace("\n", "; ")
        raise PipelineError(
            f"PostgreSQL: {PUBLISHED_SCHEMA}.{name} changed its columns but other objects depend on it "
            f"({detail}); drop or adapt them, then publish again (the previous publication stays)"
        ) from None


def _prune(connection: psycopg.Connection, keep: int, current: str) -> list[str]:
    """Drop version schemas beyond the newest `keep` (names sort by publication time); never the current."""
    schemas = [
        name
        for (name,) in connection.execute(
            "select nspname from pg_namespace where nspname ~ %s order by nspname", [f"^{VERSION_PREFIX}[0-9]"]
        )
    ]
    dropped = []
    for old in schemas[: -max(keep, 1)]:
        if old == current:
            continue
        try:
            with connection.transaction():
                connection.execute(f"set local lock_timeout = '{PRUNE_LOCK_TIMEOUT}'")
                connection.execute(sql.SQL("drop schema {} cascade").format(sql.Identifier(old)))
                connection.execute("delete from hotline_meta.publications where schema_name = %s", [old])
        except psycopg.errors.LockNotAvailable:
            log.warning("postgres: %s is still being read; it is dropped by a later publication", old)
            continue
        dropped.append(old)
    return dropped
