"""Expectation suites for the office's supervision marts: hard cases (疑难件) and key proposals.

The dbt tests check the same rules row by row; these guard the published marts once more
before publication. A deployment without these registers publishes empty marts, so none of
the suites asks for rows.
"""

from __future__ import annotations

from quality.suites import Check, Suite

OFFICE_SUITES: tuple[Suite, ...] = (
    Suite(
        # every hard case has a stage: a status the hard_case_statuses seed does not know has none
        name="hard cases staged",
        query="select case_id, status, stage from marts.fct_hard_cases",
        key=("case_id",),
        checks=(
            Check("ExpectColumnValuesToNotBeNull", {"column": "stage"}),
            Check("ExpectColumnValuesToBeUnique", {"column": "case_id"}),
        ),
    ),
    Suite(
        # overdue means open and past the deadline, nothing else
        name="hard cases overdue",
        query="""
            select case_id, is_overdue,
                   coalesce(not is_closed and deadline_date < as_of_date, false) as is_open_past_deadline
            from marts.fct_hard_cases
        """,
        key=("case_id",),
        checks=(
            Check("ExpectColumnPairValuesToBeEqual", {"column_A": "is_overdue", "column_B": "is_open_past_deadline"}),
        ),
    ),
    Suite(
        # no key proposal without a lead unit (主办单位)
        name="key proposals have a handling unit",
        query="select proposal_id, handling_unit from marts.fct_proposals where is_key",
        key=("proposal_id",),
        checks=(Check("ExpectColumnValuesToNotBeNull", {"column": "handling_unit"}),),
    ),
    Suite(
        # the supervision mart holds every key proposal, and nothing else
        name="key proposals supervised",
        query="""
            select
                coalesce(proposals.proposal_id, supervision.proposal_id) as proposal_id,
                coalesce(proposals.is_key, false) and supervision.proposal_id is not null as is_supervised
            from marts.fct_proposals as proposals
            full join marts.fct_key_proposal_supervision as supervision
                on proposals.proposal_id = supervision.proposal_id
            where proposals.is_key or supervision.proposal_id is not null
        """,
        key=("proposal_id",),
        checks=(Check("ExpectColumnValuesToBeInSet", {"column": "is_supervised", "value_set": [True]}),),
    ),
)
