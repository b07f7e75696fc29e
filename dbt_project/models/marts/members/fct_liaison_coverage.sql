-- Per member and quarter: the representatives assigned (the 1:5 rule), how many of them the
-- member contacted (a 连线 step in the quarter), and which were not contacted.
with member_quarters as (

    select * from {{ ref('int_member_quarters') }}

),

per_representative as (

    select * from {{ ref('fct_liaison_representative_contacts') }}

),

cases as (

    select * from {{ ref('fct_liaison_cases') }}

),

case_counts as (

    select
        member_id,
        quarter,
        sum(opened) as cases_opened,
        sum(closed) as cases_closed,
        {{ median_of('case when closed = 1 then cycle_working_days end') }} as median_cycle_working_days
    from (
        select member_id, opened_quarter as quarter, 1 as opened, 0 as closed, cycle_working_days from cases
        union all
        select member_id, closed_quarter as quarter, 0 as opened, 1 as closed, cycle_working_days
        from cases
        where is_closed
    ) as case_quarters
    group by 1, 2

),

rules as (

    select max(case when rule = 'representatives_per_member' then value end) as target
    from {{ ref('scoring_rules') }}

),

coverage as (

    select
        member_quarters.member_id,
        member_quarters.sector_code,
        member_quarters.quarter,
        cast(count(per_representative.representative_id) as integer) as assigned_representatives,
        cast(sum(case when per_representative.was_contacted then 1 else 0 end) as integer) as contacted_representatives,
        cast(max(rules.target) as integer) as target_representatives,
        sum(case when per_representative.was_contacted then 1 else 0 end) * 1.0 / max(rules.target) as coverage_rate,
        {{ dbt.listagg(
            "case when not per_representative.was_contacted then per_representative.representative_id end",
            "', '", 'order by per_representative.representative_id'
        ) }} as uncontacted_representative_ids
    from member_quarters
    cross join rules
    left join per_representative
        on member_quarters.member_id = per_representative.member_id
        and member_quarters.quarter = per_representative.quarter
    group by 1, 2, 3

),

final as (

    select
        coverage.*,
        cast(coalesce(case_counts.cases_opened, 0) as integer) as cases_opened,
        cast(coalesce(case_counts.cases_closed, 0) as integer) as cases_closed,
        cast(case_counts.median_cycle_working_days as double) as median_cycle_working_days
    from coverage
    left join case_counts
        on coverage.member_id = case_counts.member_id
        and coverage.quarter = case_counts.quarter

)

select * from final
