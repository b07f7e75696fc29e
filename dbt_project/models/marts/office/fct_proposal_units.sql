-- Proposal ↔ handling unit: one row per proposal and unit it was assigned to, the lead unit
-- (主办) and each co-handling unit (协办), so a BI tool counts proposals per unit without
-- splitting fct_proposals.co_handling_units.
with proposals as (

    select * from {{ ref('fct_proposals') }}

),

co_handling as (

    select
        proposal_id,
        trim({{ split_into_rows('co_handling_units', '；') }}) as unit
    from proposals
    where co_handling_units is not null

),

final as (

    select proposal_id, handling_unit as unit, 'lead' as unit_role from proposals
    where handling_unit is not null

    union all

    select distinct proposal_id, unit, 'co' as unit_role from co_handling
    where unit != ''

)

select * from final
