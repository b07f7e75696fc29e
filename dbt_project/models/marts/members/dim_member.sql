-- One row per committee member: sector, town working committee, term, standing committee,
-- active dates, and the representatives currently assigned. Members are public office holders:
-- the name is published in clear (the phone is not published).
with members as (

    select * from {{ ref('stg_members__roster') }}

),

current_assignments as (

    select member_id, count(*) as current_representatives
    from {{ ref('int_current_assignments') }}
    group by 1

),

final as (

    select
        members.member_id,
        members.member_name,
        members.gender,
        members.sector_code,
        members.sector_name,
        members.town_committee,
        members.term,
        members.is_standing,
        members.started_date,
        members.ended_date,
        members.ended_date is null as is_serving,
        cast(coalesce(current_assignments.current_representatives, 0) as integer) as current_representatives
    from members
    left join current_assignments on members.member_id = current_assignments.member_id

)

select * from final
