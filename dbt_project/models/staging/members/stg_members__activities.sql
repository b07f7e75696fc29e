-- One row per member and meeting or activity (会议活动) with attendance.
with latest as (

    {{ latest_rows(source('raw', 'member_activities'), ['record_id']) }}

),

final as (

    select
        record_id,
        member_id,
        activity_type,
        activity_name,
        activity_date,
        attendance,
        -- lineage: when the office first knew of the record, and the newest export
        first_seen_date,
        _snapshot_date as last_snapshot_date
    from latest

)

select * from final
