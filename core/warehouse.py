"""The pipeline's DuckDB file: one writer at a time, across processes."""

from __future__ import annotations

import fcntl
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from core.errors import PipelineError
from core.settings import Settings, get_settings


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


def apply_duckdb_settings(
    connection: duckdb.DuckDBPyConnection, settings: Settings | None = None
) -> duckdb.DuckDBPyConnection:
    """Give a connection the memory limit, threads and spill folder of the settings (HOTLINE_DUCKDB_*).

    Set after connecting rather than as connect()'s config: DuckDB refuses a second connection
    to an open file with another config, and a reader (a test, a BI tool in the process) may hold one.
    """
    chosen = (settings or get_settings()).duckdb_settings()
    Path(chosen["temp_directory"]).mkdir(parents=True, exist_ok=True)
    [spill] = connection.execute("select current_setting('temp_directory')").fetchone()
    for name, value in chosen.items():
        if name == "temp_directory" and spill == value:
            continue  # DuckDB refuses to set it again, even to itself, once it has spilled there
        quoted = str(value).replace("'", "''")
        connection.execute(f"set {name} = '{quoted}'")
    return connection


def open_duckdb(path: Path, *, read_only: bool = False, settings: Settings | None = None) -> duckdb.DuckDBPyConnection:
    """duckdb.connect with the pipeline's DuckDB settings (apply_duckdb_settings)."""
    connection = duckdb.connect(str(path), read_only=read_only)
    try:
        return apply_duckdb_settings(connection, settings)
    except BaseException:
        connection.close()
        raise


@contextmanager
def connect(
    warehouse_path: Path, *, read_only: bool = False, settings: Settings | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    if read_only and not warehouse_path.exists():
        raise PipelineError(f"{warehouse_path}: no warehouse yet; run `hotline ingest` and `hotline build` first")
    warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        connection = open_duckdb(warehouse_path, read_only=read_only, settings=settings)
    except duckdb.IOException as error:
        if "Could not set lock on file" not in str(error):
            raise
        raise lock_conflict(warehouse_path, str(error)) from None
    try:
        yield connection
    finally:
        connection.close()


def lock_conflict(warehouse_path: Path, message: str) -> PipelineError:
    """The one-line error for DuckDB's "Conflicting lock is held in <exe> (PID n)": who, and what to do."""
    found = re.search(r"Conflicting lock is held in (.*?) \(PID (\d+)\)", message)
    if not found:
        return PipelineError(
            f"{warehouse_path}: another process has the warehouse open; wait for it to finish or stop it"
        )
    executable, pid = found.group(1), int(found.group(2))
    command = _command_line(pid)
    if command is None:
        return PipelineError(
            f"{warehouse_path}: PID {pid} ({executable}) had the warehouse open and no longer runs here "
            f"(it has just ended, or runs in another container); run the command again, or stop it where it runs"
        )
    return PipelineError(
        f"{warehouse_path}: PID {pid} has the warehouse open: {command}; "
        f"wait for it to finish or stop it with `kill {pid}`"
    )


def _command_line(pid: int, limit: int = 500) -> str | None:
    """The command line of `pid`, on one line, if it runs here; else None."""
    try:
        arguments = Path(f"/proc/{pid}/cmdline").read_bytes().rstrip(b"\0").split(b"\0")
    except OSError:
        return None
    command = " ".join(argument.decode(errors="replace") for argument in arguments)
    command = " ".join(command.split())  # one line
    if not command:  # a zombie: it has ended
        return None
    return command if len(command) <= limit else command[: limit - 1] + "…"


def mart_tables(connection: duckdb.DuckDBPyConnection, schema: str = "marts", catalog: str | None = None) -> list[str]:
    """The tables of a schema (of an attached catalog, when given), by name."""
    rows = connection.execute(
        "select table_name from information_schema.tables where table_schema = ? "
        "and (? is null or table_catalog = ?) order by table_name",
        [schema, catalog, catalog],
    ).fetchall()
    return [name for (name,) in rows]


def table_content(connection: duckdb.DuckDBPyConnection, schema: str, table: str) -> str:
    """A table's rows, whatever their order: "row count:sum of row hashes"."""
    count, total = connection.execute(
        f'select count(*), coalesce(sum(hash(t)::hugeint), 0)::varchar from {schema}."{table}" as t'
    ).fetchone()
    return f"{count}:{total}"


def marts_fingerprint(
    connection: duckdb.DuckDBPyConnection, schema: str = "marts", contents: dict[str, str] | None = None
) -> str:
    """A digest of every mart's content (row count and order-independent sum of row hashes) and
    layout (columns, types, and the table and column comments BI tools show as labels).

    Equal content gives an equal fingerprint, whatever order dbt wrote the rows in: the gate
    stamps its report with it and publication compares it with what it is about to copy. A
    deployment that renames a column or fixes a label over the same rows is a new publication
    (a row hash does not see a column's name, and no hash sees a comment). `contents` (table →
    table_content, of this connection's marts) spares a caller that has already hashed the
    marts hashing them again; a mart it lacks is hashed here.
    """
    import hashlib

    contents = contents or {}
    digest = hashlib.sha256()
    for table in mart_tables(connection, schema):
        content = contents.get(table) or table_content(connection, schema, table)
        digest.update(f"{table}:{content};".encode())
    layout = connection.execute(
        """
        select t.table_name, t.comment, c.column_name, c.data_type, c.comment
        from duckdb_tables() as t
        join duckdb_columns() as c using (database_name, schema_name, table_name)
        where t.database_name = current_database() and t.schema_name = ?
        order by t.table_name, c.column_index
        """,
        [schema],
    ).fetchall()
    digest.update(repr(layout).encode())
    return digest.hexdigest()
