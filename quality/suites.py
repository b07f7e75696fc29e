"""Expectation suites as code: what each table checked by the gate must satisfy.

Great Expectations validates DataFrames read from DuckDB (its SQL route returns no rows on
DuckDB, see DESIGN.md). Row-level checks on large tables stay in dbt tests, which run in the
database; these suites add what needs the whole picture (reconciliation, leaks) and guard
the published marts once more before publication.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from core.kpi_definitions import rate_columns
from ingestion.contract import work_order_contract

# counts that must add up from the parts (towns, units, categories) to the whole city
ADDITIVE_COLUMNS = ("work_orders", "complaints", "dispatched", "due", "completions", "rated")
# marts split by a dimension, with the columns that name a row besides period_start
SPLIT_MARTS = {
    "kpi_town_monthly": ("town",),
    "kpi_unit_monthly": ("handling_unit",),
    "kpi_category_l1_monthly": ("category_l1_code", "category_l1_name"),
    "kpi_category_l2_monthly": ("category_l1_code", "category_l1_name", "category_l2_code", "category_l2_name"),
    "kpi_category_l3_monthly": (
        "category_l1_code",
        "category_l1_name",
        "category_l2_code",
        "category_l2_name",
        "category_l3_code",
        "category_l3_name",
    ),
    "kpi_appeal_type_monthly": ("appeal_type",),
}
# (mart, filter): each filter selects one complete split of the city
SPLITS = (
    ("kpi_town_monthly", "true"),
    ("kpi_unit_monthly", "true"),
    ("kpi_category_l1_monthly", "true"),
    ("kpi_category_l2_monthly", "true"),
    ("kpi_category_l3_monthly", "true"),
    ("kpi_appeal_type_monthly", "true"),
)
# the contract's vocabulary, 其他 and 未知 included (an export without a type still publishes)
APPEAL_TYPES = work_order_contract().vocabularies["appeal_types"]


@dataclass(frozen=True)
class Check:
    expectation: str  # the Great Expectations class name
    kwargs: dict
    sensitive: bool = False  # never copy failing values into the report (they may be personal data)


@dataclass(frozen=True)
class Suite:
    name: str
    query: str  # what to validate, read from the warehouse
    key: tuple[str, ...]  # columns that name a failing row in the report
    checks: tuple[Check, ...] = field(default_factory=tuple)


def _kpi_suite(table: str, key: tuple[str, ...] = ("period_start",)) -> Suite:
    # every rate of the KPI definitions (dbt_project.yml) is a share in [0, 1]
    rates = rate_columns()
    return Suite(
        name=table,
        query=f"select * from marts.{table}",
        key=key,
        checks=(
            Check("ExpectTableRowCountToBeBetween", {"min_value": 1}),
            Check("ExpectColumnValuesToNotBeNull", {"column": "period_start"}),
            Check("ExpectCompoundColumnsToBeUnique", {"column_list": list(key)})
            if len(key) > 1
            else Check("ExpectColumnValuesToBeUnique", {"column": "period_start"}),
            Check("ExpectColumnValuesToBeBetween", {"column": "work_orders", "min_value": 0}),
            Check("ExpectColumnValuesToBeBetween", {"column": "complaints", "min_value": 0}),
            *(Check("ExpectColumnValuesToBeBetween", {"column": c, "min_value": 0, "max_value": 1}) for c in rates),
            Check(
                "ExpectColumnPairValuesAToBeGreaterThanB",
                # complaints are null where no order of the period has a known type (kpi_availability)
                {
                    "column_A": "work_orders",
                    "column_B": "complaints",
                    "or_equal": True,
                    "ignore_row_if": "either_value_is_missing",
                },
            ),
        ),
    )


def _parts_add_up_suite(mart: str, where: str) -> Suite:
    """Each month, the parts of a split mart add up to the city's figures."""
    # a part that cannot say (null: kpi_availability, such as the orders of unknown type) adds
    # nothing, as its orders add nothing to the city's count; the sum is null, as the city's
    # is, when no part with orders that month can say (a part without orders counts 0)
    sums = ", ".join(
        f"case when bool_or(parts.{c} is null) and bool_and(parts.{c} is null or parts.work_orders = 0) "
        f"then null else sum(parts.{c}) end as parts_{c}"
        for c in ADDITIVE_COLUMNS
    )
    city = ", ".join(f"city.{c}" for c in ADDITIVE_COLUMNS)
    return Suite(
        name=f"{mart} adds up to the city" + (f" ({where})" if where != "true" else ""),
        query=f"""
            with parts as (
                select period_start, {sums} from marts.{mart} as parts where {where} group by period_start
            )
            select city.period_start, {city}, {", ".join(f"parts.parts_{c}" for c in ADDITIVE_COLUMNS)}
            from marts.kpi_hotline_monthly as city
            full join parts using (period_start)
        """,
        key=("period_start",),
        checks=tuple(
            Check(
                "ExpectColumnPairValuesToBeEqual",
                {"column_A": column, "column_B": f"parts_{column}"}
                # a count no order of the month can support is null in the city and in its parts
                | ({"ignore_row_if": "both_values_are_missing"} if column == "complaints" else {}),
            )
            for column in ADDITIVE_COLUMNS
        ),
    )


def _periods_complete_suite() -> Suite:
    """No month, quarter or year missing between a KPI mart's first and last period."""
    marts = {
        "kpi_hotline_monthly": "month",
        "kpi_hotline_quarterly": "quarter",
        "kpi_hotline_yearly": "year",
        **dict.fromkeys(SPLIT_MARTS, "month"),
    }
    steps = {"month": 1, "quarter": 3, "year": 12}
    query = " union all ".join(
        f"""select '{mart}' as mart, count(distinct period_start) as periods,
                   cast(datediff('month', min(period_start), max(period_start)) / {steps[grain]} + 1 as bigint)
                       as expected_periods
            from marts.{mart}"""
        for mart, grain in marts.items()
    )
    return Suite(
        name="kpi periods complete",
        query=query,
        key=("mart",),
        checks=(Check("ExpectColumnPairValuesToBeEqual", {"column_A": "periods", "column_B": "expected_periods"}),),
    )


def _ledger_suite(raw_tables: list[str]) -> Suite:
    """Per loaded file: rows read = rows loaded + rows quarantined, and the rows are really there."""
    landed = " union all ".join(f"select _file_id as file_id from raw.{table}" for table in raw_tables)
    return Suite(
        name="load_ledger_reconciliation",
        query=f"""
            with landed as (
                select file_id, count(*) as rows_in_raw from ({landed}) as landed_rows group by 1
            ),
            quarantined as (
                select file_id, count(*) as rows_in_quarantine from raw.quarantine group by 1
            )
            select
                ledger.file_name,
                ledger.rows_read,
                ledger.rows_loaded + ledger.rows_quarantined as rows_accounted,
                ledger.rows_loaded,
                coalesce(landed.rows_in_raw, 0) as rows_in_raw,
                ledger.rows_quarantined,
                coalesce(quarantined.rows_in_quarantine, 0) as rows_in_quarantine
            from raw.load_ledger as ledger
            left join landed using (file_id)
            left join quarantined using (file_id)
            where ledger.status = 'loaded'
        """,
        key=("file_name",),
        checks=(
            Check("ExpectColumnPairValuesToBeEqual", {"column_A": "rows_read", "column_B": "rows_accounted"}),
            Check("ExpectColumnPairValuesToBeEqual", {"column_A": "rows_loaded", "column_B": "rows_in_raw"}),
            Check(
                "ExpectColumnPairValuesToBeEqual", {"column_A": "rows_quarantined", "column_B": "rows_in_quarantine"}
            ),
        ),
    )


def build_suites(raw_tables: list[str]) -> tuple[Suite, ...]:
    """Every suite the gate runs; `raw_tables` are the tables the source profiles load into."""
    # clear phone and ID numbers: quality/pii.py scans every text column (personal_data_checks)
    from quality.office_suites import OFFICE_SUITES  # it imports Suite and Check from here

    return (*mart_suites(), *MEMBER_SUITES, *OFFICE_SUITES, _ledger_suite(raw_tables), HASHED_IDENTITIES_SUITE)


KEYED_DIGEST = "[0-9a-f]{64}"  # what masking.keyed_hash writes: HMAC-SHA256 in lower-case hex

HASHED_IDENTITIES_SUITE = Suite(
    # callers and representatives are private people: their names and phones are keyed hashes,
    # never clear text (a profile that forgot `personal: hash` would let them through). Members
    # are public office holders: their names are published in clear, their phones hashed.
    # (quality/pii.py's clear_name_checks looks for callers' and representatives' names in clear.)
    name="identities hashed",
    # DuckDB sets the digests aside, so only the other values reach pandas and the expectation
    # (at scale 10 the 4.3 M identities took 1 GiB of the gate's memory in pandas and GX)
    query=f"""
        select record, value from (
            select 'caller ' || work_order_id as record, caller_name_hash as value
            from staging.stg_hotline__work_orders
            union all select 'caller phone ' || work_order_id, caller_phone_hash from staging.stg_hotline__work_orders
            union all select 'member phone ' || member_id, phone_hash from staging.stg_members__roster
            union all select 'representative ' || representative_id, name_hash from staging.stg_members__representatives
            union all select 'representative phone ' || representative_id, phone_hash
            from staging.stg_members__representatives
        )
        where not regexp_full_match(value, '{KEYED_DIGEST}')
    """,
    key=("record",),
    checks=(
        Check("ExpectColumnValuesToMatchRegex", {"column": "value", "regex": f"^{KEYED_DIGEST}$"}, sensitive=True),
    ),
)


MEMBER_SUITES: tuple[Suite, ...] = (
    Suite(
        # every member in the roster has a score row for each quarter they were active
        name="member scores complete",
        query="""
            select
                active.member_id || ' ' || active.quarter as member_quarter,
                scores.member_id is not null as has_score
            from intermediate.int_member_quarters as active
            left join marts.fct_member_quarterly_scores as scores
                on active.member_id = scores.member_id and active.quarter = scores.quarter
        """,
        key=("member_quarter",),
        checks=(Check("ExpectColumnValuesToBeInSet", {"column": "has_score", "value_set": [True]}),),
    ),
    Suite(
        # a score is its items: the points of the items add up to the total, and caps hold
        name="member score items add up",
        query="""
            select scores.member_id || ' ' || scores.quarter as member_quarter, scores.total_points,
                   sum(items.points) as item_points, count(items.item) as items,
                   sum(case when items.cap is not null and items.points > items.cap then 1 else 0 end) as over_cap
            from marts.fct_member_quarterly_scores as scores
            left join marts.fct_member_score_items as items
                on scores.member_id = items.member_id and scores.quarter = items.quarter
            group by 1, 2
        """,
        key=("member_quarter",),
        checks=(
            Check("ExpectColumnPairValuesToBeEqual", {"column_A": "total_points", "column_B": "item_points"}),
            Check("ExpectColumnValuesToBeBetween", {"column": "over_cap", "min_value": 0, "max_value": 0}),
            Check("ExpectColumnValuesToBeBetween", {"column": "items", "min_value": 1}),
        ),
    ),
    Suite(
        # 一人一档: a member's records add up to each item's points (quarters still open; a frozen
        # quarter keeps its frozen items, whatever the registers say later: frozen_quarter_drifted)
        name="member score records add up",
        query="""
            select items.member_id || ' ' || items.quarter || ' ' || items.item as member_item,
                   items.points, coalesce(records.points, 0) as record_points,
                   items.records_counted, coalesce(records.shares, 0) as record_shares
            from marts.fct_member_score_items as items
            left join (
                select member_id, quarter, item, sum(points) as points, sum(share) as shares
                from marts.fct_member_score_records
                group by 1, 2, 3
            ) as records
                on items.member_id = records.member_id and items.quarter = records.quarter and items.item = records.item
            where not items.is_frozen
        """,
        key=("member_item",),
        checks=(
            Check("ExpectColumnPairValuesToBeEqual", {"column_A": "points", "column_B": "record_points"}),
            Check("ExpectColumnPairValuesToBeEqual", {"column_A": "records_counted", "column_B": "record_shares"}),
        ),
    ),
    Suite(
        # the 1:5 rule: no representative is assigned to two members at the same time
        name="representatives assigned once",
        query="""
            select first.representative_id, first.member_id, second.member_id as other_member_id
            from staging.stg_members__assignments as first
            inner join staging.stg_members__assignments as second
                on first.representative_id = second.representative_id
                and first.member_id < second.member_id
                and first.started_date <= coalesce(second.ended_date, date '9999-12-31')
                and second.started_date <= coalesce(first.ended_date, date '9999-12-31')
        """,
        key=("representative_id",),
        checks=(Check("ExpectTableRowCountToEqual", {"value": 0}),),
    ),
    Suite(
        # ... and no member has more representatives than the rule allows
        name="representatives per member",
        query="""
            select current.member_id, count(*) as representatives, max(rules.value) as allowed
            from intermediate.int_current_assignments as current
            cross join (select value from reference.scoring_rules where rule = 'representatives_per_member') as rules
            group by 1
        """,
        key=("member_id",),
        checks=(
            Check(
                "ExpectColumnPairValuesAToBeGreaterThanB",
                {"column_A": "allowed", "column_B": "representatives", "or_equal": True},
            ),
        ),
    ),
)


def mart_suites() -> tuple[Suite, ...]:
    """The published marts' suites; the KPI suites check the KPIs the definitions name when the gate runs."""
    return (
        Suite(
            name="fct_cases",
            query="select work_order_id, appeal_type, received_at from marts.fct_cases",
            key=("work_order_id",),
            checks=(
                Check("ExpectTableRowCountToBeBetween", {"min_value": 1}),
                Check("ExpectColumnValuesToNotBeNull", {"column": "work_order_id"}),
                Check("ExpectColumnValuesToBeUnique", {"column": "work_order_id"}),
                Check("ExpectColumnValuesToNotBeNull", {"column": "received_at"}),
                Check("ExpectColumnValuesToBeInSet", {"column": "appeal_type", "value_set": list(APPEAL_TYPES)}),
            ),
        ),
        _kpi_suite("kpi_hotline_monthly"),
        _kpi_suite("kpi_hotline_quarterly"),
        _kpi_suite("kpi_hotline_yearly"),
        *(_kpi_suite(mart, ("period_start", *dimensions)) for mart, dimensions in SPLIT_MARTS.items()),
        *(_parts_add_up_suite(mart, where) for mart, where in SPLITS),
        _periods_complete_suite(),
    )
