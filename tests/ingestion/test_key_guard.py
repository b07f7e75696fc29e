"""The warehouse refuses a hashing key other than the one its personal-data hashes were made with."""

from __future__ import annotations

import duckdb
import pytest

from core.errors import PipelineError
from ingestion.key_guard import TABLE, check_hash_key, fingerprint

KEY = b"test-key-not-a-secret"


@pytest.fixture
def warehouse(tmp_path):
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as connection:
        yield connection


def test_the_first_key_is_recorded_as_a_fingerprint_never_as_the_key(warehouse):
    check_hash_key(warehouse, KEY)
    rows = warehouse.execute(f"select fingerprint, created_at from {TABLE}").fetchall()
    assert len(rows) == 1
    recorded, created_at = rows[0]
    assert recorded == fingerprint(KEY) and created_at is not None
    assert KEY.decode() not in recorded and KEY.hex() not in recorded


def test_the_same_key_passes_again_and_again(warehouse):
    for _ in range(3):
        check_hash_key(warehouse, KEY)
    assert warehouse.execute(f"select count(*) from {TABLE}").fetchone() == (1,)


def test_another_key_is_refused_in_one_line_naming_both_fingerprints(warehouse):
    check_hash_key(warehouse, KEY)
    with pytest.raises(PipelineError) as raised:
        check_hash_key(warehouse, b"another-key")
    message = str(raised.value)
    assert message.startswith("HOTLINE_HASH_KEY differs from the key this warehouse's personal-data hashes were made")
    assert f"(fingerprint {fingerprint(b'another-key')[:12]}… vs {fingerprint(KEY)[:12]}…" in message
    assert message.endswith("set the original key, or follow the re-key procedure in the README")
    assert "\n" not in message and "another-key" not in message
    assert warehouse.execute(f"select fingerprint from {TABLE}").fetchall() == [(fingerprint(KEY),)]


def test_the_fingerprint_survives_reopening_the_warehouse(tmp_path):
    path = str(tmp_path / "warehouse.duckdb")
    with duckdb.connect(path) as connection:
        check_hash_key(connection, KEY)
    with duckdb.connect(path) as connection, pytest.raises(PipelineError):
        check_hash_key(connection, b"another-key")
    with duckdb.connect(path) as connection:
        check_hash_key(connection, KEY)


def test_an_in_memory_warehouse_with_a_raw_schema_already_there():
    with duckdb.connect(":memory:") as connection:
        connection.execute("create schema raw")
        check_hash_key(connection, KEY)
        with pytest.raises(PipelineError):
            check_hash_key(connection, KEY + b"!")
