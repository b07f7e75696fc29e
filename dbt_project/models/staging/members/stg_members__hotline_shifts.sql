-- One row per 12345 hotline shift of a member (热线值班).
with latest as (

    {{ latest_rows(source('raw', 'member_hotline_shifts'), ['record_id']) }}

),

final as (

    select
        record_id,
        member_id,
        shift_date,
        cast(nullif(hours, '') as double) as hours,
        cast(nullif(calls, '') as integer) as calls,
        -- lineage: when the office first knew of the record, and the newest export
        first_seen_date,
        _snapshot_date as last_snapshot_date
    from latest

)

select * from final
