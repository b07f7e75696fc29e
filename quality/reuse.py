"""The gate reuses what it found on tables unchanged since its last passing run.

A check over a table that is byte for byte what it was at the last passing gate, run by the
same check code, gives the same result, so the gate need not run it again. After each passing
gate, `data/quality/gate_state.json` keeps a fingerprint of the checks' code (quality/*.py,
every suite's definition, the Great Expectations version, a digest of the hash key the name
scan uses) and, per table the checks read, its content fingerprint (row count and
order-independent sum of row hashes, as publication compares marts) with the time its checks
last ran. The next gate reruns an expectation suite or a personal-data scan only over tables
whose fingerprint moved, and lists the others' checks as reused, with that time.

A raw table's fingerprint is also kept per file, and the staged orders' per file of each
order's latest row (core/fingerprints.py): their phone/ID scan then reads only the rows of the
files (groups) new or changed since that gate.

Always rerun: the suites that tie several tables (reconciliations: the towns' totals equal
the city's, ...), the plausibility rules, the dbt results. Everything runs after a full
refresh (steps.build forgets the state), with `hotline check --all`, or when the code changed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

from core.fingerprints import NULL_SOURCE, recorded, table_fingerprints
from core.settings import Settings
from quality.results import CheckResult
from quality.suites import Suite

STATE_FILE = "gate_state.json"
QUALITY_CODE = Path(__file__).resolve().parent
# a table a suite's query reads: schema.table, the name quoted or not
TABLE_REFERENCE = re.compile(r'\b(raw|staging|intermediate|marts|reference)\."?([a-z_][a-z0-9_]*)"?', re.IGNORECASE)


def state_path(settings: Settings) -> Path:
    return settings.quality_dir / STATE_FILE


def forget(settings: Settings) -> None:
    """The next gate runs every check (after a full refresh)."""
    state_path(settings).unlink(missing_ok=True)


def code_fingerprint(settings: Settings, suites: list[Suite]) -> str:
    digest = hashlib.sha256()
    for path in sorted(QUALITY_CODE.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    digest.update(repr(suites).encode())
    digest.update(version("great_expectations").encode())
    digest.update(hashlib.sha256(settings.hash_key()).digest())
    return digest.hexdigest()


def suite_inputs(suite: Suite) -> set[str]:
    """The tables (schema.table) a suite's query reads."""
    return {f"{schema.lower()}.{table.lower()}" for schema, table in TABLE_REFERENCE.findall(suite.query)}


@dataclass
class Reuse:
    """What the last passing gate vouches for, against the tables as they are now.

    A check group (a suite, the phone/ID scan of a table, the name scan of a table) is reused
    when every table it reads has the fingerprint it had at the last passing gate; it then
    carries the time it last actually ran."""

    code: str
    now: str
    fingerprints: dict[str, str]
    # table → its row source column, and that column's value → fingerprint of its rows
    by_source: dict[str, tuple[str, dict[str, str]]] = field(default_factory=dict)
    previous: dict[str, str] = field(default_factory=dict)  # table → fingerprint at the last passing gate
    previous_by_source: dict[str, list] = field(default_factory=dict)  # by_source at the last passing gate
    checked_at: dict[str, str] = field(default_factory=dict)  # check group → when it last ran
    previous_checked_at: dict[str, str] = field(default_factory=dict)  # the same, as the last passing gate left it

    def unchanged(self, tables: set[str]) -> bool:
        return bool(tables) and all(
            table in self.fingerprints and self.previous.get(table) == self.fingerprints[table] for table in tables
        )

    def reusable(self, group: str, tables: set[str]) -> bool:
        """The group's earlier result holds: its tables are unchanged (else it is marked to run now)."""
        if group in self.checked_at and self.unchanged(tables):
            return True
        self.checked_at[group] = self.now
        return False

    def changed_sources(self, group: str, table: str) -> tuple[str, list[str]] | None:
        """The rows of `table` a check group must read again: its row source column and the values
        whose rows are new or changed since the last passing gate, when the group passed then
        over the rest. None: the whole table (no such column, or no earlier pass to build on)."""
        if table not in self.by_source or table not in self.previous_by_source:
            return None
        column, now = self.by_source[table]
        before_column, before = self.previous_by_source[table]
        if group not in self.previous_checked_at or column != before_column:
            return None
        changed = sorted(value for value, print_ in now.items() if before.get(value) != print_)
        return None if NULL_SOURCE in changed else (column, changed)

    def reused_suite(self, suite: Suite) -> list[CheckResult]:
        tables = ", ".join(sorted(suite_inputs(suite)))
        when = self.checked_at[f"suite:{suite.name}"]
        return [
            CheckResult(
                "expectations",
                suite.name,
                f"{check.expectation}({', '.join(f'{k}={v}' for k, v in check.kwargs.items() if k != 'regex')})",
                True,
                message=f"reused: passed at {when}; {tables} unchanged since",
            )
            for check in suite.checks
        ]

    def reused_scan(self, source: str, what: str, group: str, tables: set[str]) -> list[CheckResult]:
        """One passing check for the tables whose scan is reused (a passing scan is one line too)."""
        if not tables:
            return []
        return [
            CheckResult(
                source,
                ", ".join(sorted({table.split(".")[0] for table in tables})),
                f"{what} in {len(tables)} table(s) unchanged since their last scan",
                True,
                message=f"reused: passed at {min(self.checked_at[f'{group}:{t}'] for t in tables)}; "
                + ", ".join(sorted(tables)),
            )
        ]

    def save(self, settings: Settings) -> None:
        """After a passing gate: each table's fingerprint, and when each check group last ran."""
        path = state_path(settings)
        path.parent.mkdir(parents=True, exist_ok=True)
        state = {
            "code": self.code,
            "fingerprints": self.fingerprints,
            "by_source": self.by_source,
            "checked_at": self.checked_at,
        }
        path.write_text(json.dumps(state, indent=1), encoding="utf-8")


def load(settings: Settings, connection, suites: list[Suite], schemas: tuple[str, ...], *, check_all: bool) -> Reuse:
    code = code_fingerprint(settings, suites)
    inputs = set().union(*(suite_inputs(suite) for suite in suites))
    now = dt.datetime.now().isoformat(timespec="seconds")
    # the raw tables as the last build hashed them, while the warehouse is untouched since
    known = recorded(settings.warehouse_path)
    reuse = Reuse(code, now, *table_fingerprints(connection, schemas, inputs, known))
    path = state_path(settings)
    if not check_all and path.exists():
        state = json.loads(path.read_text(encoding="utf-8"))
        if state.get("code") == code:
            reuse.previous, reuse.checked_at = state["fingerprints"], state["checked_at"]
            reuse.previous_by_source = state.get("by_source", {})
            reuse.previous_checked_at = dict(state["checked_at"])
    return reuse
