"""The raw schema: landed rows, quarantined rows and the load ledger (one row per file)."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path

import duckdb

from ingestion import country_calendars
from ingestion.contract import contract_for
from ingestion.profiles import SourceProfile

SQL_TYPES = {"text": "varchar", "timestamp": "timestamp", "date": "date", "flag": "boolean", "integer": "integer"}

LEDGER_DDL = """
create table if not exists raw.load_ledger (
    file_id varchar primary key,      -- SHA-256 of the file's bytes; `rejected:<path>` for a rejected file
    file_name varchar not null,
    source_profile varchar,
    file_format varchar,
    encoding varchar,
    snapshot_date date,
    status varchar not null,          -- loaded | rejected
    rows_read integer,
    rows_loaded integer,
    rows_quarantined integer,
    error varchar,
    loaded_at timestamp not null,
    warnings varchar,                 -- e.g. headers the profile names that the file lacks
    deadline_policy varchar,          -- export | calendar | export_only: the profile's `deadline:` setting
    working_calendar varchar          -- china | weekdays | a country (US-NY): the profile's `calendar:`
)
"""

# every ledger row a newer attempt replaced (a reject for a new reason, a load after a reject, a
# reload), with when it was replaced
LEDGER_HISTORY_DDL = """
create table if not exists raw.load_ledger_history as
select *, cast(null as timestamp) as replaced_at from raw.load_ledger with no data
"""

QUARANTINE_DDL = """
create table if not exists raw.quarantine (
    file_id varchar not null,
    file_name varchar not null,
    source_profile varchar not null,
    row_number integer not null,      -- row in the file, header = 1
    sheet varchar,                    -- the workbook sheet, when the file's rows come from several or not its first
    record_key varchar,               -- the row's own id (the profile's first required column), if it has one
    reason varchar not null,
    raw_values json,                  -- the row's cells by header, personal data hashed or masked
    quarantined_at timestamp not null
)
"""


@dataclass(frozen=True)
class LedgerEntry:
    file_id: str
    file_name: str
    source_profile: str | None
    file_format: str | None
    encoding: str | None
    snapshot_date: dt.date | None
    status: str
    rows_read: int | None
    rows_loaded: int | None
    rows_quarantined: int | None
    error: str | None
    loaded_at: dt.datetime
    warnings: str | None = None
    deadline_policy: str | None = None
    working_calendar: str | None = None


def file_id(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def ensure_raw_schema(connection: duckdb.DuckDBPyConnection, profiles: list[SourceProfile]) -> None:
    connection.execute("create schema if not exists raw")
    connection.execute(LEDGER_DDL)
    connection.execute(QUARANTINE_DDL)
    connection.execute("alter table raw.quarantine add column if not exists record_key varchar")
    connection.execute("alter table raw.quarantine add column if not exists sheet varchar")
    connection.execute("alter table raw.load_ledger add column if not exists warnings varchar")
    connection.execute("alter table raw.load_ledger add column if not exists deadline_policy varchar")
    connection.execute("alter table raw.load_ledger add column if not exists working_calendar varchar")
    connection.execute(LEDGER_HISTORY_DDL)
    # a history made before a ledger column was added takes it too (rows move there by name)
    for column in ("warnings", "deadline_policy", "working_calendar"):
        connection.execute(f"alter table raw.load_ledger_history add column if not exists {column} varchar")
    # the days off of the countries the profiles name (calendar: US-NY), for int_working_calendars
    country_calendars.land(connection, {profile.calendar for profile in profiles})
    for profile in profiles:
        columns = ",\n".join(f"    {name} {SQL_TYPES[kind]}" for name, kind in table_columns(profile).items())
        connection.execute(
            f"""
            create table if not exists raw.{profile.table} (
            {columns},
                _file_id varchar not null,
                _file_name varchar not null,
                _row_number integer not null,
                _sheet varchar,
                _snapshot_date date,
                _loaded_at timestamp not null
            )
            """
        )
        # the sheet of a row (RawExport.row_sheets), since workbooks split over sheets load whole
        connection.execute(f"alter table raw.{profile.table} add column if not exists _sheet varchar")
        # a profile that gains a column widens the table; older rows keep nulls there
        existing = {
            name
            for (name,) in connection.execute(
                "select column_name from information_schema.columns where table_schema = 'raw' and table_name = ?",
                [profile.table],
            ).fetchall()
        }
        for name, kind in table_columns(profile).items():
            if name not in existing:
                connection.execute(f"alter table raw.{profile.table} add column {name} {SQL_TYPES[kind]}")


def table_columns(profile: SourceProfile) -> dict[str, str]:
    """A raw table's columns: the whole contract where the table has one (so a profile that maps
    fewer columns still lands in the same shape), else the profile's own columns."""
    contract = contract_for(profile.table)
    if contract:
        return {name: column.type for name, column in contract.columns.items()}
    return {column.name: column.type for column in profile.columns}


def loaded_file_ids(connection: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Files already loaded, by content hash → file name. Rejected files are tried again."""
    return dict(connection.execute("select file_id, file_name from raw.load_ledger where status = 'loaded'").fetchall())


def record(connection: duckdb.DuckDBPyConnection, entry: LedgerEntry) -> None:
    """Write a file's ledger row; an earlier row for the same file moves to the history."""
    connection.execute(
        "insert into raw.load_ledger_history by name select *, now()::timestamp as replaced_at "
        "from raw.load_ledger where file_id = ?",
        [entry.file_id],
    )
    connection.execute("delete from raw.load_ledger where file_id = ?", [entry.file_id])
    if entry.status == "loaded":  # the path's earlier rejection is history now
        rejected = f"rejected:{entry.file_name}"
        connection.execute(
            "insert into raw.load_ledger_history by name select *, now()::timestamp as replaced_at "
            "from raw.load_ledger where file_id = ?",
            [rejected],
        )
        connection.execute("delete from raw.load_ledger where file_id = ?", [rejected])
    connection.execute(
        "insert into raw.load_ledger by name select * from (values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)) "
        "as t(file_id, file_name, source_profile, file_format, encoding, snapshot_date, status, rows_read, "
        "rows_loaded, rows_quarantined, error, loaded_at, warnings, deadline_policy, working_calendar)",
        [
            entry.file_id,
            entry.file_name,
            entry.source_profile,
            entry.file_format,
            entry.encoding,
            entry.snapshot_date,
            entry.status,
            entry.rows_read,
            entry.rows_loaded,
            entry.rows_quarantined,
            entry.error,
            entry.loaded_at,
            entry.warnings,
            entry.deadline_policy,
            entry.working_calendar,
        ],
    )


def forget(connection: duckdb.DuckDBPyConnection, file_ids: list[str]) -> None:
    """Take loaded files out of the raw tables, the quarantine and the ledger (kept in its history),
    so that they load again: what `hotline reload` does after a profile was fixed."""
    tables = [
        name
        for (name,) in connection.execute(
            "select table_name from information_schema.columns "
            "where table_schema = 'raw' and column_name = '_file_id' order by 1"
        ).fetchall()
    ]
    for file_id in file_ids:
        for table in tables:
            connection.execute(f"delete from raw.{table} where _file_id = ?", [file_id])
        connection.execute("delete from raw.quarantine where file_id = ?", [file_id])
        connection.execute(
            "insert into raw.load_ledger_history by name select *, now()::timestamp as replaced_at "
            "from raw.load_ledger where file_id = ?",
            [file_id],
        )
        connection.execute("delete from raw.load_ledger where file_id = ?", [file_id])


LEDGER_COLUMNS = (
    "file_id, file_name, source_profile, file_format, encoding, snapshot_date, status, rows_read, "
    "rows_loaded, rows_quarantined, error, loaded_at, warnings, deadline_policy, working_calendar"
)


def record_loaded(connection: duckdb.DuckDBPyConnection, entries: list[LedgerEntry]) -> None:
    """`record` for a batch of loaded files (distinct ids and paths) in three statements, not
    five per file: earlier rows of these files, and the rejections of their paths, move to the
    history; the new rows go in."""
    if not entries:
        return
    replaced = [entry.file_id for entry in entries] + [f"rejected:{entry.file_name}" for entry in entries]
    connection.execute(
        "insert into raw.load_ledger_history by name select *, now()::timestamp as replaced_at "
        "from raw.load_ledger where file_id in (select unnest(?))",
        [replaced],
    )
    connection.execute("delete from raw.load_ledger where file_id in (select unnest(?))", [replaced])
    names = LEDGER_COLUMNS.split(", ")
    # one struct per entry, unnested into rows: typed by the table's columns, whatever is null
    connection.execute(
        f"insert into raw.load_ledger ({LEDGER_COLUMNS}) "
        f"select {', '.join(f'e.{name}' for name in names)} from (select unnest(?) as e)",
        [[{name: getattr(entry, name) for name in names} for entry in entries]],
    )
