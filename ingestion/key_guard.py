"""The hashing key must not change under a warehouse: hashes made with two keys never match.

A caller hashed with one key and again with another counts as two callers, and nothing else
would show it. The warehouse keeps a fingerprint of the key its personal-data hashes were
made with (an HMAC of a fixed label, from which the key cannot be recovered) and refuses
another key.
"""

from __future__ import annotations

import hashlib
import hmac

import duckdb

from core.errors import PipelineError

TABLE = "raw.hash_key_fingerprint"
LABEL = b"hotline-warehouse hash key fingerprint v1"
SHOWN = 12  # hex digits of a fingerprint shown in the error, enough to tell two apart


def fingerprint(key: bytes) -> str:
    return hmac.new(key, LABEL, hashlib.sha256).hexdigest()


def check_hash_key(connection: duckdb.DuckDBPyConnection, key: bytes) -> None:
    """Record the key's fingerprint on first use; raise PipelineError if a different key is used later."""
    current = fingerprint(key)
    connection.execute("create schema if not exists raw")
    connection.execute(
        f"""
        create table if not exists {TABLE} (
            fingerprint varchar not null,
            created_at timestamp not null default current_timestamp
        )
        """
    )
    row = connection.execute(f"select fingerprint from {TABLE} order by created_at limit 1").fetchone()
    if row is None:
        connection.execute(f"insert into {TABLE} (fingerprint) values (?)", [current])
        return
    (recorded,) = row
    if not hmac.compare_digest(recorded, current):
        raise PipelineError(
            "HOTLINE_HASH_KEY differs from the key this warehouse's personal-data hashes were made with "
            f"(fingerprint {current[:SHOWN]}… vs {recorded[:SHOWN]}… recorded in {TABLE}); set the original key, "
            "or follow the re-key procedure in the README"
        )
