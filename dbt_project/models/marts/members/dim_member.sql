-- One row per committee member: sector, town working committee, term, standing committee,
-- active dates, and the representatives currently assigned. Name and phone only as hashes.
with members as (

    select * from {{ ref('stg_members__roster') }}

),

assignments as (

    select * from {{ ref('stg_members__assignments') }}

),

current_assignments as (

    select assignments.member_id, count(*) as current_representatives
    from assignments
    cross join {{ ref('int_member_data_cut') }} as data_cut
    where assignments.started_on <= data_cut.as_of_date
        and (assignments.ended_on is null or assignments.ended_on >= data_cut.as_of_date)
    group by 1

),

final as (

    select
        members.member_id,
        members.name_hash,
        members.gender,
        members.sector_code,
        members.sector_name,
        members.town_committee,
        members.term,
        members.is_standing,
        members.started_on,
        members.ended_on,
        members.ended_on is null as is_serving,
        cast(coalesce(current_assignments.current_representatives, 0) as integer) as current_representatives
    from members
    left join current_assignments on members.member_id = current_assignments.member_id

)

select * from final
