"""The marts' table and column comments (Chinese label, meaning, unit, formula: written by dbt,
macros/persist_docs.sql) carried into the published warehouse, where BI tools show them.

`create table … as select` copies rows, not comments, so publication copies them itself.
"""

from __future__ import annotations

import duckdb


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def copy_comments(connection: duckdb.DuckDBPyConnection, catalog: str, schema: str, table: str) -> None:
    """Give main.<table> the comments of <catalog>.<schema>.<table>, table and columns."""
    source = [catalog, schema, table]
    comment = connection.execute(
        "select comment from duckdb_tables() where database_name = ? and schema_name = ? and table_name = ?", source
    ).fetchone()
    statements = [f'comment on table main."{table}" is {_literal(comment[0])}'] if comment and comment[0] else []
    columns = connection.execute(
        "select column_name, comment from duckdb_columns() "
        "where database_name = ? and schema_name = ? and table_name = ? and comment is not null",
        source,
    ).fetchall()
    statements += [f'comment on column main."{table}"."{column}" is {_literal(text)}' for column, text in columns]
    if statements:  # one transaction per table: a commit per comment costs seconds over every mart
        connection.execute(";\n".join(["begin", *statements, "commit"]))
