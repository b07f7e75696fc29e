"""The raw tables' fingerprints the build records stand in for hashing them again only while
the warehouse file is untouched (core/fingerprints.py): reading it keeps the record, any
write ends it, and a hand edit of one row is then seen in that row's file."""

from __future__ import annotations

import duckdb

from core.fingerprints import record, recorded, table_fingerprints


def fingerprints(path):
    with duckdb.connect(str(path), read_only=True) as connection:
        return table_fingerprints(connection, ("raw",), set())


def test_a_record_holds_until_the_warehouse_is_written(tmp_path):
    warehouse = tmp_path / "hotline.duckdb"
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("create schema raw")
        connection.execute("create table raw.exports (_file_id varchar, appeal_text varchar)")
        connection.execute("insert into raw.exports values ('a', '噪音'), ('a', '停水'), ('b', '路灯')")
    hashed, by_file = fingerprints(warehouse)
    record(warehouse, hashed, by_file)

    # readers leave it standing: the gate and the build take it instead of hashing
    for _ in range(2):
        with duckdb.connect(str(warehouse), read_only=True) as connection:
            connection.execute("select count(*) from raw.exports").fetchall()
    known = recorded(warehouse)
    assert known is not None and known[0] == hashed
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        assert table_fingerprints(connection, ("raw",), set(), known) == (hashed, by_file)

    # a hand edit of one row: the record no longer counts, and hashing again finds that row's file
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("update raw.exports set appeal_text = '电话13912345678' where appeal_text = '路灯'")
    assert recorded(warehouse) is None
    edited, edited_by_file = fingerprints(warehouse)
    assert edited["raw.exports"] != hashed["raw.exports"]
    files = by_file["raw.exports"][1]
    assert {value for value, print_ in edited_by_file["raw.exports"][1].items() if files[value] != print_} == {"b"}
