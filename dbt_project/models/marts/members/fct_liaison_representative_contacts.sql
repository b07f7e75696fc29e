-- Per member, quarter and assigned representative (the 1:5 rule): whether the member
-- contacted the representative (a 连线 step in the quarter). The link table behind the counts
-- of fct_liaison_coverage and its list of representatives not contacted.
with member_quarters as (

    select * from {{ ref('int_member_quarters') }}

),

assignments as (

    select * from {{ ref('stg_members__assignments') }}

),

steps as (

    select * from {{ ref('stg_members__liaison_steps') }}
    where step = '连线'

),

assigned as (

    select distinct
        member_quarters.member_id,
        member_quarters.quarter,
        assignments.representative_id
    from member_quarters
    inner join assignments
        on member_quarters.member_id = assignments.member_id
        and assignments.started_date < member_quarters.quarter_end
        and (assignments.ended_date is null or assignments.ended_date >= member_quarters.quarter_start)

),

contacted as (

    select distinct steps.member_id, {{ quarter_label('steps.step_date') }} as quarter, steps.representative_id
    from steps

),

final as (

    select
        assigned.member_id,
        assigned.quarter,
        assigned.representative_id,
        contacted.representative_id is not null as was_contacted
    from assigned
    left join contacted
        on assigned.member_id = contacted.member_id
        and assigned.quarter = contacted.quarter
        and assigned.representative_id = contacted.representative_id

)

select * from final
