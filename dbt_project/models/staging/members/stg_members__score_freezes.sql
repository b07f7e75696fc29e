-- One row per quarter the office has frozen (季度冻结).
with latest as (

    {{ latest_rows(source('raw', 'score_freezes'), ['quarter']) }}

),

final as (

    select
        quarter,
        frozen_date,
        -- lineage: when the office first knew of the record, and the newest export
        first_seen_date,
        _snapshot_date as last_snapshot_date
    from latest

)

select * from final
