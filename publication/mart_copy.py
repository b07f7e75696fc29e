"""The marts into a new publication's warehouse, copying only those that changed.

A publication version holds every mart (warehouse.duckdb, one table each, and a Parquet file
each). A day's build changes some marts and leaves most as they were, so a new version starts
from a copy of the version in force (its DuckDB file; its Parquet files hard-linked) and
replaces only the tables whose signature moved: row count and order-independent sum of row
hashes (as the gate's fingerprint), columns, types and comments. Each version keeps its
tables' signatures in `.marts.json`; a version without one (or none in force) is written whole.
The version is still written in full in its own folder and swapped in at once (publish.py).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import duckdb

from core.warehouse import mart_tables, open_duckdb, table_content
from publication.comments import copy_comments

SIGNATURES = ".marts.json"


def table_signature(
    connection: duckdb.DuckDBPyConnection, catalog: str, schema: str, table: str, content: str | None = None
) -> str:
    """What a published copy of the table depends on: its rows (`content`, when the caller has
    hashed them: core.warehouse.table_content), columns, types and comments."""
    content = content or table_content(connection, f"{catalog}.{schema}", table)
    count, total = content.split(":")
    count = int(count)  # as signatures were written before (an int), so versions in force still match
    source = [catalog, schema, table]
    columns = connection.execute(
        "select column_name, data_type, comment from duckdb_columns() "
        "where database_name = ? and schema_name = ? and table_name = ? order by column_index",
        source,
    ).fetchall()
    comment = connection.execute(
        "select comment from duckdb_tables() where database_name = ? and schema_name = ? and table_name = ?", source
    ).fetchone()
    return hashlib.sha256(repr((count, total, columns, comment)).encode()).hexdigest()


def _previous(previous_dir: Path | None) -> dict[str, str]:
    """The signatures of the version in force, when it has them and its files."""
    if previous_dir is None or not (previous_dir / SIGNATURES).exists():
        return {}
    if not (previous_dir / "warehouse.duckdb").exists():
        return {}
    return json.loads((previous_dir / SIGNATURES).read_text(encoding="utf-8"))


def write_marts(
    version_dir: Path, warehouse_path: Path, previous_dir: Path | None, contents: dict[str, str] | None = None
) -> tuple[dict[str, int], list[str]]:
    """Every mart of `warehouse_path` into `version_dir` (warehouse.duckdb and Parquet files), from
    the version in force `previous_dir` where unchanged: (row count per table, tables copied).
    `contents`: the marts' rows as the caller hashed them (core.warehouse.table_content)."""
    previous = _previous(previous_dir)
    target = version_dir / "warehouse.duckdb"
    if previous:
        shutil.copyfile(previous_dir / "warehouse.duckdb", target)
    connection = open_duckdb(target)
    # rows in any order: the copy then writes its row groups in parallel, straight to the file
    # (fct_cases at scale 10: 4.9 → 2.9 s with its checkpoint), and SQL readers sort as they need
    connection.execute("set preserve_insertion_order = false")
    copied, tables, signatures = [], {}, {}
    try:
        connection.execute(f"attach '{warehouse_path}' as wh (read_only)")
        present = set(mart_tables(connection, "main", catalog=target.stem))
        wanted = mart_tables(connection, catalog="wh")
        for table in present - set(wanted):  # a mart gone since the version in force
            connection.execute(f'drop table main."{table}"')
        for table in wanted:
            signatures[table] = table_signature(connection, "wh", "marts", table, (contents or {}).get(table))
            parquet = version_dir / f"{table}.parquet"
            if table in present and previous.get(table) == signatures[table]:
                _link_or_copy(previous_dir / parquet.name, parquet)
            else:
                connection.execute(f'drop table if exists main."{table}"')
                # unsorted: sorting every row (order by all) was 60% of copying the two largest
                # marts at scale 10
                connection.execute(f'create table main."{table}" as select * from wh.marts."{table}"')
                copy_comments(connection, "wh", "marts", table)  # labels and meanings for BI tools
                connection.execute(f"copy main.\"{table}\" to '{parquet}' (format parquet)")
                copied.append(table)
            tables[table] = connection.execute(f'select count(*) from main."{table}"').fetchone()[0]
        connection.execute("detach wh")
        connection.execute("checkpoint")
    finally:
        connection.close()
    (version_dir / SIGNATURES).write_text(json.dumps(signatures, indent=1), encoding="utf-8")
    return tables, copied


def _link_or_copy(source: Path, target: Path) -> None:
    """A Parquet file of the version in force: never written again, so a hard link shares it safely."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)
