-- One row per liaison case and step reached (联系工作台账).
with latest as (

    {{ latest_rows(source('raw', 'liaison_steps'), ['case_id', 'step']) }}

),

final as (

    select
        case_id,
        member_id,
        representative_id,
        step,
        step_date,
        nullif(unit, '') as unit,
        nullif(result, '') as result,
        nullif(rating, '') as rating,
        -- lineage: when the office first knew of the record, and the newest export
        first_seen_date,
        _snapshot_date as last_snapshot_date
    from latest

)

select * from final
