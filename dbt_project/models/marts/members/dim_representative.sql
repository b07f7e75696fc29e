-- One row per sector representative (界别群众库): sector, identity type, library, town, the
-- year of the last yearly update, and the member currently assigned. Name and phone only as hashes.
with representatives as (

    select * from {{ ref('stg_members__representatives') }}

),

current_assignment as (

    select representative_id, max(member_id) as current_member_id
    from {{ ref('int_current_assignments') }}
    group by 1

),

final as (

    select
        representatives.representative_id,
        representatives.name_hash,
        representatives.sector_code,
        representatives.identity_type,
        representatives.library_kind,
        representatives.library,
        representatives.town,
        representatives.update_year,
        current_assignment.current_member_id
    from representatives
    left join current_assignment on representatives.representative_id = current_assignment.representative_id

)

select * from final
