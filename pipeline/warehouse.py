"""The pipeline's DuckDB file: one writer at a time, across processes."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from pipeline.errors import PipelineError


@contextmanager
def writer_lock(warehouse_path: Path) -> Iterator[None]:
    """Serialise warehouse writers (DuckDB allows one writing process); waits for the holder."""
    warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    with open(warehouse_path.with_suffix(".lock"), "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def connect(warehouse_path: Path, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    if read_only and not warehouse_path.exists():
        raise PipelineError(f"{warehouse_path}: no warehouse yet; run `hotline ingest` and `hotline build` first")
    warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    connection = duckdb.connect(str(warehouse_path), read_only=read_only)
    try:
        yield connection
    finally:
        connection.close()


def mart_tables(connection: duckdb.DuckDBPyConnection, schema: str = "marts") -> list[str]:
    rows = connection.execute(
        "select table_name from information_schema.tables where table_schema = ? order by table_name", [schema]
    ).fetchall()
    return [name for (name,) in rows]


def marts_fingerprint(connection: duckdb.DuckDBPyConnection, schema: str = "marts") -> str:
    """A digest of every mart's content (row count and order-independent sum of row hashes).

    Equal content gives an equal fingerprint, whatever order dbt wrote the rows in: the gate
    stamps its report with it and publication compares it with what it is about to copy.
    """
    import hashlib

    digest = hashlib.sha256()
    for table in mart_tables(connection, schema):
        count, total = connection.execute(
            f'select count(*), coalesce(sum(hash(t)::hugeint), 0)::varchar from {schema}."{table}" as t'
        ).fetchone()
        digest.update(f"{table}:{count}:{total};".encode())
    return digest.hexdigest()
