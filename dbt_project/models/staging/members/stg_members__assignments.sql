-- One row per member–representative assignment (联系名单) and its period.
with latest as (

    {{ latest_rows(source('raw', 'member_assignments'), ['member_id', 'representative_id', 'started_date']) }}

),

final as (

    select
        member_id,
        representative_id,
        started_date,
        ended_date,
        -- lineage: when the office first knew of the record, and the newest export
        first_seen_date,
        _snapshot_date as last_snapshot_date
    from latest

)

select * from final
