"""Table fingerprints, and a record of them that holds while the warehouse file is untouched.

A table's fingerprint is its row count and the order-independent sum of its row hashes; a
table with a row source column (ROW_SOURCE_COLUMNS) has one per value of that column too. The
build's plan compares the raw tables' with those of the last build to know what to rebuild
(pipeline/build_state.py), and the gate compares every checked table's with those of its last
passing run to reuse its checks (quality/reuse.py).

Both used to hash the raw tables: on a day's run at scale 10, 6 M export rows twice, 2 s each
time. So the build records the raw tables' fingerprints with the warehouse file's state once
dbt is done (record), and the gate takes them from that record (recorded) when the file is in
that same state: the same size, inode and change time (ctime: set by the kernel on every
write, not settable by hand), and the same write-ahead log or none. Any write to the warehouse
since (an ingest, a build, an UPDATE in a DuckDB shell) moves that state, and the tables are
hashed again; git's index trusts a file's stat the same way.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

# A column that says which file a row came from: a raw table's rows of one file are inserted
# together (ingest) and deleted together (reload), and never updated. A table with one keeps
# its fingerprint per file too, and its phone/ID scan reads only the rows of files new or
# changed since the last passing gate (a day's run adds one export to two years of them).
# Sound for any column: a change to any row changes the fingerprint of its file; the column
# only decides how little is read again. (Not dbt's invocation id of an incremental model: a
# rebuild takes rows away from older runs, whose fingerprints then change and are read whole.)
# The staged orders go by the file of each order's latest row: a day's export moves a few
# thousand orders out of a few dozen earlier files' groups, so those groups are read again, not
# the whole table (scale 10: 2.17 M orders, their scan 3.2 s → 0.3 s).
ROW_SOURCE_COLUMNS = {"_file_id": "file", "file_id": "file", "last_file_id": "file"}
NULL_SOURCE = "\0null"  # rows without a source: when they change, the whole table is read

Fingerprints = dict[str, str]  # schema.table → "count:sum"
BySource = dict[str, tuple[str, dict[str, str]]]  # schema.table → (source column, value → "count:sum")


def table_fingerprints(
    connection, schemas: tuple[str, ...], tables: set[str], known: tuple[Fingerprints, BySource] | None = None
) -> tuple[Fingerprints, BySource]:
    """schema.table → row count and order-independent sum of row hashes, for every table and view
    of `schemas` and the tables named in `tables` that exist; and for those with a row source
    column (ROW_SOURCE_COLUMNS), that column and the same per value of it. A table `known` has
    (from `recorded`) is taken from it, not hashed."""
    known_fingerprints, known_by_source = known or ({}, {})
    found: dict[tuple[str, str], list[str]] = {}
    for schema, table, column in connection.execute(
        "select table_schema, table_name, column_name from information_schema.columns "
        "where table_catalog = current_database() order by 1, 2, ordinal_position"
    ).fetchall():
        found.setdefault((schema, table), []).append(column)
    fingerprints, by_source = {}, {}
    for (schema, table), columns in found.items():
        name = f"{schema}.{table}"
        if schema not in schemas and name not in tables:
            continue
        source = next((column for column in ROW_SOURCE_COLUMNS if column in columns), None)
        if name in known_fingerprints and (source is None or name in known_by_source):
            fingerprints[name] = known_fingerprints[name]
            if source:
                by_source[name] = tuple(known_by_source[name])
            continue
        group = f'coalesce(cast("{source}" as varchar), ?)' if source else "?"  # without one: one group
        parts = connection.execute(
            f'select {group}, count(*), coalesce(sum(hash(t)::hugeint), 0) from "{schema}"."{table}" as t group by all',
            [NULL_SOURCE],
        ).fetchall()
        if source:
            by_source[name] = (source, {value: f"{count}:{total}" for value, count, total in parts})
        fingerprints[name] = f"{sum(part[1] for part in parts)}:{sum(part[2] for part in parts)}"
    return fingerprints, by_source


def file_state(warehouse_path: Path) -> list[int]:
    """What any write to the warehouse changes: its file's size, inode and ctime, and its WAL's."""
    state = []
    for path in (warehouse_path, warehouse_path.with_name(warehouse_path.name + ".wal")):
        try:
            found = path.stat()
        except FileNotFoundError:
            state += [-1, -1, -1]
        else:
            state += [found.st_size, found.st_ino, found.st_ctime_ns]
    return state


def _record_path(warehouse_path: Path) -> Path:
    return warehouse_path.with_name(warehouse_path.name + ".fingerprints.json")


def record(warehouse_path: Path, fingerprints: Fingerprints, by_source: BySource) -> None:
    """Keep these fingerprints, valid while the warehouse file stays as it is now. The caller
    holds the writer lock and has closed its connections to the warehouse."""
    path = _record_path(warehouse_path)
    temporary = path.with_suffix(".tmp")
    document = {"file_state": file_state(warehouse_path), "fingerprints": fingerprints, "by_source": by_source}
    temporary.write_text(json.dumps(document), encoding="utf-8")
    os.replace(temporary, path)


def recorded(warehouse_path: Path) -> tuple[Fingerprints, BySource] | None:
    """The recorded fingerprints, if the warehouse file is as it was when they were recorded."""
    path = _record_path(warehouse_path)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return None
    if document.get("file_state") != file_state(warehouse_path):
        return None
    return document["fingerprints"], document["by_source"]
