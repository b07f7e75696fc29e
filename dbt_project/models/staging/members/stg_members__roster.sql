-- One row per committee member (委员名册), latest export. Members are public office holders: the
-- name is kept in clear; the phone only as a keyed hash.
with latest as (

    {{ latest_rows(source('raw', 'committee_members'), ['member_id']) }}

),

final as (

    select
        -- ids
        member_id,
        member_name,
        phone_hash,
        -- membership
        nullif(gender, '') as gender,
        sector_code,
        sector_name,
        nullif(town_committee, '') as town_committee,
        nullif(term, '') as term,
        coalesce(is_standing, false) as is_standing,
        started_date,
        ended_date,
        -- lineage: when the office first knew of the record, and the newest export
        first_seen_date,
        _snapshot_date as last_snapshot_date
    from latest

)

select * from final
