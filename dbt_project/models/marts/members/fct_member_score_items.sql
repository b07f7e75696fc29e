-- One row per member, quarter and rubric item: the records that earned points, the points
-- before and after the quarter's cap. Frozen quarters come from the frozen copy.
with frozen as (

    select * from {{ ref('int_member_score_items_frozen') }}

),

live as (

    select * from {{ ref('int_member_score_items_live') }}

),

combined as (

    select
        member_id, sector_code, quarter, quarter_start, item_order, item, item_label, records_counted, points_each,
        points_before_cap, cap, points, source_record_ids, true as is_frozen
    from frozen

    union all

    select
        member_id, sector_code, quarter, quarter_start, item_order, item, item_label, records_counted, points_each,
        points_before_cap, cap, points, source_record_ids, false as is_frozen
    from live
    where quarter not in (select distinct frozen.quarter from frozen)

),

final as (

    select * from combined

)

select * from final
