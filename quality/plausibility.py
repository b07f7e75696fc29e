"""Plausibility checks: data that loads, builds and passes every type and key test, but cannot be true.

A received time years in the future, a completion before the receipt, a completion in 2099, a
town or category nobody knows, a whole export day missing, a negative backlog, a frozen quarter
that changed: each is a SQL query run inside DuckDB on the built warehouse, reported by the gate
as a named check (source "plausibility") with its failing row count and up to five sample rows.
Samples carry keys only (work order id, file name and row, period, quarter and member id), never
values, so the gate report copies no personal data.

Severity comes from the `plausibility_rules` seed (`dbt_project/seeds/plausibility_rules.csv`,
one row per check: `severity` error|warn and an optional parameter). An error blocks publication;
a warning passes (`passed=True`) with a message saying what it found. A check left out of the
seed keeps its default below.

| check | severity | reads | fires on |
|---|---|---|---|
| timestamp_after_export | error | fct_cases | a timestamp¹ at or after midnight `export_grace_days` (1) after the date of the export the row came from (`last_snapshot_date`) |
| timestamp_before_start | error | fct_cases | a timestamp¹ before `earliest_plausible_date` (2000-01-01) |
| dispatched_before_received | error | fct_cases | dispatched_at < received_at |
| completed_before_received | error | fct_cases | completed_at < received_at |
| completed_before_dispatched | error | fct_cases | completed_at < dispatched_at |
| signed_before_dispatched | error | fct_cases | signed_at < dispatched_at |
| negative_working_days | error | fct_cases | sign_working_days or handling_working_days < 0 |
| duration_over_limit | error | fct_cases | sign_working_days or handling_working_days > `max_handling_working_days` (365) |
| unknown_town | warn | fct_cases, reference.towns | a town not in the towns seed |
| unknown_category | warn | fct_cases | category names exported, but no DB44/T category matched (category_l3_code null) |
| missing_export_days | warn | raw.load_ledger, raw.hotline_work_orders | a day between a hotline profile's first and last export with no loaded file |
| negative_backlog | error | kpi_backlog_daily | open_orders or overdue_open_orders < 0 |
| backlog_counts_add_up | error | kpi_backlog_daily, fct_cases | overdue-open above open, a day missing inside the series, or the last day's open count differs from a recount in fct_cases |
| frozen_quarter_changed | error | int_member_score_items_frozen, fct_member_score_items, fct_member_quarterly_scores, stg_members__score_freezes | a frozen quarter whose published items or member totals differ from the append-only frozen copy (order-independent fingerprint per quarter, then the differing rows), or that is published from live data |
| frozen_quarter_drifted | warn | int_member_score_items_frozen, int_member_score_items_live | a frozen quarter scored from today's data differs from its frozen copy |

¹ received_at, dispatched_at, signed_at, completed_at, followed_up_at. fct_cases, kpi_backlog_daily,
fct_member_score_items and fct_member_quarterly_scores are in `marts`, int_* in `intermediate`, stg_* in
`staging`; the samples of the fct_cases checks name the export file and row of each order's
published state (staging.stg_hotline__work_orders, raw.load_ledger).

Decisions:

- Timestamps are judged in the published latest state (fct_cases), against the export that
  row came from. An older snapshot of the same order that a later export corrected is history
  in raw (append-only): it is not published and cannot be fixed, so it must not block forever.
- Wrong order of timestamps, negative and overlong durations are errors: they publish negative
  or absurd handling times and shift orders into wrong periods. 365 working days (about 17
  months) is far beyond any extension; a longer one is a typed year.
- Unknown town and unknown category are warnings: the order still counts in every city figure
  and the split marts still add up to the city (an unknown town is its own row, unmatched
  categories count under (未填)); other cities' exports (see tests/fixtures) use their own
  places and categories. The fix is a seed row or a profile mapping, not a blocked release.
- A missing export day is a warning by default: the next export carries every order's state,
  so the latest-state marts stay right and only first-seen dates and events shift; some
  sources export weekly or quarterly. `severity: error` in the seed makes a gap block.
- The backlog and frozen-quarter checks are errors: they are published figures that must add
  up, and frozen scores must never change once published.
- A frozen quarter that differs from what today's data would give is only a warning: that is
  exactly what freezing is for (a corrected record, a rubric change); the published scores
  stay frozen.
- A check that cannot run (a table missing) fails when its severity is error and warns
  otherwise.
"""  # noqa: E501 (the table above is copied into the README)

from __future__ import annotations

import csv
import datetime as dt
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType

import duckdb

from core.settings import PROJECT_DIR
from quality.results import SAMPLE_ROWS, CheckResult

log = logging.getLogger(__name__)
RULES_PATH = PROJECT_DIR / "dbt_project" / "seeds" / "plausibility_rules.csv"
SOURCE = "plausibility"
SEVERITIES = ("error", "warn")
TIMESTAMPS = ("received_at", "dispatched_at", "signed_at", "completed_at", "followed_up_at")


@dataclass(frozen=True)
class Spec:
    table: str  # what the report names as the checked table
    severity: str  # the default
    parameter: str | None = None  # the one setting the seed may give, if any


CHECKS: Mapping[str, Spec] = MappingProxyType(
    {
        "timestamp_after_export": Spec("fct_cases", "error", "export_grace_days"),
        "timestamp_before_start": Spec("fct_cases", "error", "earliest_plausible_date"),
        "dispatched_before_received": Spec("fct_cases", "error"),
        "completed_before_received": Spec("fct_cases", "error"),
        "completed_before_dispatched": Spec("fct_cases", "error"),
        "signed_before_dispatched": Spec("fct_cases", "error"),
        "negative_working_days": Spec("fct_cases", "error"),
        "duration_over_limit": Spec("fct_cases", "error", "max_handling_working_days"),
        "unknown_town": Spec("fct_cases", "warn"),
        "unknown_category": Spec("fct_cases", "warn"),
        "missing_export_days": Spec("load_ledger", "warn"),
        "negative_backlog": Spec("kpi_backlog_daily", "error"),
        "backlog_counts_add_up": Spec("kpi_backlog_daily", "error"),
        "frozen_quarter_changed": Spec("fct_member_score_items", "error"),
        "frozen_quarter_drifted": Spec("int_member_score_items_frozen", "warn"),
    }
)


def _default_severities() -> Mapping[str, str]:
    return MappingProxyType({name: spec.severity for name, spec in CHECKS.items()})


@dataclass(frozen=True)
class Rules:
    """Severity per check and the checks' limits; the defaults are the seed's values."""

    severities: Mapping[str, str] = field(default_factory=_default_severities)
    export_grace_days: int = 1
    earliest_plausible_date: dt.date = dt.date(2000, 1, 1)
    max_handling_working_days: int = 365

    def severity(self, check: str) -> str:
        return self.severities.get(check, CHECKS[check].severity)

    def with_severity(self, check: str, severity: str) -> Rules:
        if check not in CHECKS or severity not in SEVERITIES:
            raise ValueError(f"unknown check {check!r} or severity {severity!r}")
        return replace(self, severities=MappingProxyType({**self.severities, check: severity}))


PARAMETERS = {
    "export_grace_days": int,
    "earliest_plausible_date": dt.date.fromisoformat,
    "max_handling_working_days": int,
}


def load_rules(path: Path = RULES_PATH) -> Rules:
    """The rules in the seed CSV; a check the seed leaves out keeps its default."""
    if not path.exists():
        return Rules()
    severities = dict(_default_severities())
    settings: dict[str, object] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            name = (row.get("check_name") or "").strip()
            if name not in CHECKS:
                raise ValueError(f"{path.name} line {line}: unknown check {name!r}; known: {', '.join(CHECKS)}")
            severity = (row.get("severity") or "").strip() or CHECKS[name].severity
            if severity not in SEVERITIES:
                raise ValueError(f"{path.name} line {line}: severity {severity!r} is not error or warn")
            severities[name] = severity
            parameter, value = (row.get("parameter") or "").strip(), (row.get("value") or "").strip()
            if not parameter:
                continue
            if parameter != CHECKS[name].parameter:
                raise ValueError(f"{path.name} line {line}: {name} takes no parameter {parameter!r}")
            try:
                settings[parameter] = PARAMETERS[parameter](value)
            except ValueError as error:
                raise ValueError(f"{path.name} line {line}: {parameter} = {value!r}: {error}") from None
    return Rules(severities=MappingProxyType(severities), **settings)


@dataclass
class Finding:
    failing_rows: int
    sample: list[dict]
    detail: str = ""  # what the failing rows have in common (columns, values of codes, quarters)


# --- work orders (fct_cases) ---------------------------------------------------------------------


def _failing_cases(connection, where: str, counts: Mapping[str, str] | None = None) -> Finding:
    """The work orders of fct_cases that match `where`, with their export file and row as the sample."""
    rows = connection.execute(
        f"select work_order_id, count(*) over () from marts.fct_cases where {where} "
        f"order by work_order_id limit {SAMPLE_ROWS}"
    ).fetchall()
    if not rows:
        return Finding(0, [])
    detail = ""
    if counts:  # how many rows each condition catches, e.g. per timestamp column
        figures = connection.execute(
            "select " + ", ".join(f"count(*) filter (where {condition})" for condition in counts.values())
            + f" from marts.fct_cases where {where}"
        ).fetchone()  # fmt: skip
        detail = ", ".join(f"{label} {figure}" for label, figure in zip(counts, figures, strict=True) if figure)
    return Finding(rows[0][1], _with_lineage(connection, [row[0] for row in rows]), detail)


def _with_lineage(connection, work_order_ids: list[str]) -> list[dict]:
    """work_order_id, and the file and row its published (latest) state was read from."""
    try:
        found = {
            work_order_id: (file_name, row_number)
            for work_order_id, file_name, row_number in connection.execute(
                "select orders.work_order_id, ledger.file_name, orders.last_row_number "
                "from staging.stg_hotline__work_orders as orders "
                "left join raw.load_ledger as ledger on orders.last_file_id = ledger.file_id "
                "where list_contains(?, orders.work_order_id)",
                [work_order_ids],
            ).fetchall()
        }
    except duckdb.Error:  # lineage is a help, not the check
        found = {}
    sample = []
    for work_order_id in work_order_ids:
        row = {"work_order_id": str(work_order_id)}
        file_name, row_number = found.get(work_order_id, (None, None))
        if file_name is not None:
            row |= {"file_name": str(file_name), "row_number": str(row_number)}
        sample.append(row)
    return sample


def _any(conditions: Mapping[str, str]) -> str:
    return "(" + " or ".join(conditions.values()) + ")"


def timestamp_after_export(connection, rules: Rules) -> Finding:
    limit = f"(cast(last_snapshot_date as timestamp) + to_days({int(rules.export_grace_days)}))"
    conditions = {column: f"{column} >= {limit}" for column in TIMESTAMPS}
    return _failing_cases(connection, _any(conditions), conditions)


def timestamp_before_start(connection, rules: Rules) -> Finding:
    start = f"timestamp '{rules.earliest_plausible_date.isoformat()}'"
    conditions = {column: f"{column} < {start}" for column in TIMESTAMPS}
    return _failing_cases(connection, _any(conditions), conditions)


# the checks a profile can take to the load instead (`out_of_order_times: quarantine`,
# ingestion/validation.py TIME_ORDER)
TIME_ORDER_CHECKS = (
    "dispatched_before_received",
    "completed_before_received",
    "completed_before_dispatched",
    "signed_before_dispatched",
)


def _before(later: str, earlier: str) -> str:
    """`later` is before `earlier`. A time at midnight exactly is a day (exports that give a
    date alone, such as a reply date of a message board, set it at 00:00): it is before a time
    only when its day is, so a same-day reply dated 2023-06-15 is not before a message at 09:12."""
    return (
        f"({later} < {earlier} and not ({later} = date_trunc('day', {later}) "
        f"and cast({later} as date) = cast({earlier} as date)))"
    )


def dispatched_before_received(connection, rules: Rules) -> Finding:
    return _failing_cases(connection, _before("dispatched_at", "received_at"))


def completed_before_received(connection, rules: Rules) -> Finding:
    return _failing_cases(connection, _before("completed_at", "received_at"))


def completed_before_dispatched(connection, rules: Rules) -> Finding:
    return _failing_cases(connection, _before("completed_at", "dispatched_at"))


def signed_before_dispatched(connection, rules: Rules) -> Finding:
    return _failing_cases(connection, _before("signed_at", "dispatched_at"))


def negative_working_days(connection, rules: Rules) -> Finding:
    conditions = {"sign_working_days": "sign_working_days < 0", "handling_working_days": "handling_working_days < 0"}
    return _failing_cases(connection, _any(conditions), conditions)


def duration_over_limit(connection, rules: Rules) -> Finding:
    limit = int(rules.max_handling_working_days)
    conditions = {
        "sign_working_days": f"sign_working_days > {limit}",
        "handling_working_days": f"handling_working_days > {limit}",
    }
    finding = _failing_cases(connection, _any(conditions), conditions)
    finding.detail = f"{finding.detail} (limit {limit} working days)" if finding.failing_rows else ""
    return finding


def _top_values(connection, expression: str, where: str) -> str:
    """The commonest values of a code column among failing rows: codes, never personal data."""
    rows = connection.execute(
        f"select {expression} as value, count(*) as n from marts.fct_cases where {where} "
        "group by 1 order by n desc, value limit 5"
    ).fetchall()
    return ", ".join(f"{value} ({n})" for value, n in rows)


def unknown_town(connection, rules: Rules) -> Finding:
    where = "town is not null and town not in (select town from reference.towns where town is not null)"
    finding = _failing_cases(connection, where)
    if finding.failing_rows:
        finding.detail = "towns not in the towns seed: " + _top_values(connection, "town", where)
    return finding


def unknown_category(connection, rules: Rules) -> Finding:
    where = "category_l3_code is null and coalesce(category_l1_name, category_l2_name, category_l3_name) is not null"
    finding = _failing_cases(connection, where)
    if finding.failing_rows:
        names = "concat_ws('/', category_l1_name, category_l2_name, category_l3_name)"
        finding.detail = "names matching no DB44/T category: " + _top_values(connection, names, where)
    return finding


# --- exports, backlog ----------------------------------------------------------------------------


def missing_export_days(connection, rules: Rules) -> Finding:
    """Per source profile that loads work orders: exports missing between its first and last,
    by the source's own rhythm. A source exported daily misses each day without a loaded file;
    one exported weekly or monthly (the median gap between its exports, once it has three gaps;
    with one or two, the shortest when each is a week or more; else it is read as a daily source)
    misses an export where a gap runs over one and a half times that. Rejected files do not
    count as loaded (they name no export day anyway)."""
    rows = connection.execute(
        f"""
        with hotline_profiles as (
            select distinct ledger.source_profile
            from raw.load_ledger as ledger
            where ledger.file_id in (select distinct _file_id from raw.hotline_work_orders)
        ),
        exports as (
            select distinct source_profile, snapshot_date
            from raw.load_ledger
            where status = 'loaded' and snapshot_date is not null
                and source_profile in (select source_profile from hotline_profiles)
        ),
        gaps as (
            select source_profile, snapshot_date,
                datediff('day', lag(snapshot_date) over (partition by source_profile order by snapshot_date),
                    snapshot_date) as days
            from exports
        ),
        rhythms as (
            select source_profile,
                case
                    when count(days) >= 3 then greatest(1, median(days))
                    when count(days) <= 2 and min(days) >= 7 then min(days)  -- a new weekly or monthly source
                    else 1
                end as usual
            from gaps group by 1
        ),
        late as (
            select gaps.source_profile, gaps.snapshot_date, gaps.days,
                cast(greatest(1, round(gaps.days / rhythms.usual) - 1) as bigint) as missing
            from gaps join rhythms using (source_profile)
            where gaps.days > case when rhythms.usual = 1 then 1 else 1.5 * rhythms.usual end
        )
        select source_profile, cast(snapshot_date - to_days(days - 1) as date) as first_day,
            cast(snapshot_date - to_days(1) as date) as last_day,
            sum(missing) over ()
        from late order by first_day, source_profile limit {SAMPLE_ROWS}
        """
    ).fetchall()
    if not rows:
        return Finding(0, [])
    rejected = connection.execute("select count(*) from raw.load_ledger where status = 'rejected'").fetchone()[0]
    detail = f"{rows[0][3]} export(s) missing (days without a loaded export, by each source's rhythm)"
    if rejected:
        detail += f"; the ledger lists {rejected} rejected file(s), maybe among them"
    sample = [
        {
            "source_profile": str(profile),
            "period": first.isoformat() + ("" if first == last else f"..{last.isoformat()}"),
        }
        for profile, first, last, _ in rows
    ]
    return Finding(int(rows[0][3]), sample, detail)


def negative_backlog(connection, rules: Rules) -> Finding:
    rows = connection.execute(
        "select as_of_date, count(*) over () from marts.kpi_backlog_daily "
        f"where open_orders < 0 or overdue_open_orders < 0 order by as_of_date limit {SAMPLE_ROWS}"
    ).fetchall()
    return Finding(rows[0][1] if rows else 0, [{"period": day.isoformat()} for day, _ in rows])


def backlog_counts_add_up(connection, rules: Rules) -> Finding:
    rows = connection.execute(
        f"""
        with backlog as (
            select * from marts.kpi_backlog_daily
        ),
        span as (
            select min(as_of_date) as first_day, max(as_of_date) as last_day from backlog
        ),
        days as (
            select cast(unnest(generate_series(first_day, last_day, interval 1 day)) as date) as day
            from span where first_day is not null
        ),
        recount as (
            -- the open orders at the end of the series' last day, counted again from the cases
            -- (a void order, or one completed at a time the export omits, is open for nobody)
            select span.last_day, count(cases.work_order_id) as open_orders
            from span
            left join marts.fct_cases as cases
                on cases.is_dispatched
                and not coalesce(cases.is_void, false)
                and cases.dispatched_date <= span.last_day
                and (
                    cases.completed_date > span.last_day
                    or (
                        cases.completed_date is null and not coalesce(cases.is_completed, false)
                        -- a source whose newest export is older says nothing of that day
                        and cases.as_of_date >= span.last_day
                    )
                )
            where span.last_day is not null
            group by 1
        ),
        problems as (
            select as_of_date as day, 'overdue-open above open' as problem
            from backlog where overdue_open_orders > open_orders
            union all
            select days.day, 'day missing from the series'
            from days anti join backlog on days.day = backlog.as_of_date
            union all
            select recount.last_day, 'open orders differ from fct_cases (' || backlog.open_orders
                || ' published, ' || recount.open_orders || ' counted)'
            from recount inner join backlog on recount.last_day = backlog.as_of_date
            where backlog.open_orders != recount.open_orders
        )
        select day, problem, count(*) over () from problems order by day, problem limit {SAMPLE_ROWS}
        """
    ).fetchall()
    if not rows:
        return Finding(0, [])
    return Finding(
        rows[0][2],
        [{"period": day.isoformat(), "problem": problem} for day, problem, _ in rows],
        "; ".join(sorted({problem.split(" (")[0] for _, problem, _ in rows})),
    )


# --- frozen quarters -----------------------------------------------------------------------------

_ITEM_COLUMNS = (
    "quarter, member_id, item, round(records_counted, 6) as records_counted, "
    "round(points_before_cap, 6) as points_before_cap, round(cap, 6) as cap, round(points, 6) as points, "
    "source_record_ids"
)
_ITEM_HASH = "hash(member_id, item, records_counted, points_before_cap, cap, points, source_record_ids)"
_FROZEN = f"select {_ITEM_COLUMNS} from intermediate.int_member_score_items_frozen"


def _changed_quarters(connection, left: str, right: str, row_hash: str) -> list[str]:
    """Quarters whose rows differ between two queries: an order-independent fingerprint per
    quarter (row count and the sum of the rows' hashes), so no sort and no row pairing is needed."""
    rows = connection.execute(
        f"""
        with left_prints as (
            select quarter, count(*) as row_count, sum({row_hash}) as fingerprint from ({left}) group by 1
        ),
        right_prints as (
            select quarter, count(*) as row_count, sum({row_hash}) as fingerprint from ({right}) group by 1
        )
        select quarter
        from left_prints full join right_prints using (quarter)
        where left_prints.row_count is distinct from right_prints.row_count
            or left_prints.fingerprint is distinct from right_prints.fingerprint
        order by quarter
        """
    ).fetchall()
    return [quarter for (quarter,) in rows]


def _differing_rows(connection, left: str, right: str, keys: str, quarters: list[str]) -> tuple[int, list[tuple]]:
    """The keys of the rows of the changed quarters found on one side only (a multiset difference both ways)."""
    if not quarters:
        return 0, []
    rows = connection.execute(
        f"""
        with left_rows as (select * from ({left}) where list_contains(?, quarter)),
        right_rows as (select * from ({right}) where list_contains(?, quarter)),
        differing as (
            (select * from left_rows except all select * from right_rows)
            union all
            (select * from right_rows except all select * from left_rows)
        ),
        differing_keys as (select distinct {keys} from differing)
        select *, count(*) over () from differing_keys order by all limit {SAMPLE_ROWS}
        """,
        [quarters, quarters],
    ).fetchall()
    return (rows[0][-1] if rows else 0), [row[:-1] for row in rows]


def frozen_quarter_changed(connection, rules: Rules) -> Finding:
    quarters = "(select distinct quarter from intermediate.int_member_score_items_frozen)"
    published = f"select {_ITEM_COLUMNS} from marts.fct_member_score_items where quarter in {quarters}"
    frozen_totals = (
        "select quarter, member_id, round(sum(points), 6) as total_points "
        "from intermediate.int_member_score_items_frozen group by 1, 2"
    )
    published_totals = (
        "select quarter, member_id, round(total_points, 6) as total_points "
        f"from marts.fct_member_quarterly_scores where quarter in {quarters}"
    )
    failing, sample, changed = 0, [], []
    for table, left, right, row_hash in (
        ("fct_member_score_items", _FROZEN, published, _ITEM_HASH),
        ("fct_member_quarterly_scores", frozen_totals, published_totals, "hash(member_id, total_points)"),
    ):
        quarters_changed = _changed_quarters(connection, left, right, row_hash)
        keys = "quarter, member_id, item" if table == "fct_member_score_items" else "quarter, member_id"
        count, rows = _differing_rows(connection, left, right, keys, quarters_changed)
        failing += count
        sample += [{"period": row[0], "member_id": str(row[1]), "table": table} for row in rows]
        changed += [f"{quarter} in {table}" for quarter in quarters_changed]
    # a quarter the office froze whose published items do not come from the frozen copy
    live = connection.execute(
        "select quarter, count(*) from marts.fct_member_score_items "
        "where not is_frozen and quarter in (select quarter from staging.stg_members__score_freezes) "
        "group by 1 order by 1"
    ).fetchall()
    for quarter, count in live:
        failing += count
        sample.append({"period": quarter, "table": "fct_member_score_items"})
        changed.append(f"{quarter} published from live data, not the frozen copy")
    detail = "changed: " + ", ".join(changed) if changed else ""
    return Finding(failing, sample[:SAMPLE_ROWS], detail)


def frozen_quarter_drifted(connection, rules: Rules) -> Finding:
    live = (
        f"select {_ITEM_COLUMNS} from intermediate.int_member_score_items_live "
        "where quarter in (select distinct quarter from intermediate.int_member_score_items_frozen)"
    )
    quarters = _changed_quarters(connection, _FROZEN, live, _ITEM_HASH)
    count, rows = _differing_rows(connection, _FROZEN, live, "quarter, member_id, item", quarters)
    detail = f"today's data scores {', '.join(quarters)} differently; the published scores stay frozen"
    return Finding(count, [{"period": row[0], "member_id": str(row[1])} for row in rows], detail if quarters else "")


RUNNERS = {
    "timestamp_after_export": timestamp_after_export,
    "timestamp_before_start": timestamp_before_start,
    "dispatched_before_received": dispatched_before_received,
    "completed_before_received": completed_before_received,
    "completed_before_dispatched": completed_before_dispatched,
    "signed_before_dispatched": signed_before_dispatched,
    "negative_working_days": negative_working_days,
    "duration_over_limit": duration_over_limit,
    "unknown_town": unknown_town,
    "unknown_category": unknown_category,
    "missing_export_days": missing_export_days,
    "negative_backlog": negative_backlog,
    "backlog_counts_add_up": backlog_counts_add_up,
    "frozen_quarter_changed": frozen_quarter_changed,
    "frozen_quarter_drifted": frozen_quarter_drifted,
}
assert RUNNERS.keys() == CHECKS.keys()


def plausibility_checks(connection, rules: Rules | None = None) -> list[CheckResult]:
    """Every plausibility check on the built warehouse, in the order of CHECKS."""
    rules = load_rules() if rules is None else rules
    results = []
    for name, runner in RUNNERS.items():
        severity = rules.severity(name)
        started = time.perf_counter()
        try:
            finding = runner(connection, rules)
        except duckdb.Error as error:
            message = f"could not run ({severity}): {str(error).strip().splitlines()[0]}"
            results.append(CheckResult(SOURCE, CHECKS[name].table, name, severity == "warn", message=message))
            log.warning("plausibility: %s %s", name, message)
            continue
        elapsed = time.perf_counter() - started
        log.debug("plausibility: %s took %.3f s", name, elapsed)
        passed = finding.failing_rows == 0 or severity == "warn"
        message = ""
        if finding.failing_rows:
            message = f"{'warning: ' if severity == 'warn' else ''}{finding.failing_rows} row(s)"
            message += f": {finding.detail}" if finding.detail else ""
            if severity != "warn":  # what to do, beside the rows named in the sample
                message += (
                    f" (correct them in the export and reload it, or, if the source's data is so and the"
                    f" figures may stand, set {name} to warn in dbt_project/seeds/plausibility_rules.csv"
                    + (
                        "; or quarantine such rows at load, `out_of_order_times: quarantine` in the source's profile,"
                        " or keep them without the later time, `out_of_order_times: clear`)"
                        if name in TIME_ORDER_CHECKS
                        else ")"
                    )
                )
            if severity == "warn":
                log.warning("plausibility: %s: %s %s", name, message, finding.sample)
        results.append(
            CheckResult(
                SOURCE,
                CHECKS[name].table,
                name,
                passed,
                failing_rows=finding.failing_rows,
                sample=finding.sample,
                message=message,
            )
        )
    return results
