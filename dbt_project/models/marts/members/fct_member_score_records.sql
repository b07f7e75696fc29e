-- One row per record that earned rubric points (一人一档): the item, the record's date, register
-- and id, the quarter it was scored in, and its points before and after the quarter's cap. Points
-- each and the cap come from fct_member_score_items (the frozen copy for frozen quarters), so the
-- records of a member, quarter and item add up to that item's points.
with records as (

    select * from {{ ref('int_member_score_records') }}

),

items as (

    select * from {{ ref('fct_member_score_items') }}

),

priced as (

    select
        records.member_id,
        items.sector_code,
        items.quarter,
        items.quarter_start,
        items.item_order,
        items.item,
        items.item_label,
        records.source_register,
        records.record_id,
        records.record_date,
        records.record_quarter,
        records.first_seen_date,
        records.is_late,
        records.share,
        items.points_each,
        records.share * items.points_each as points_before_cap,
        items.cap
    from records
    inner join items
        on records.member_id = items.member_id
        and records.scored_quarter = items.quarter
        and records.item = items.item

),

running as (

    -- the cap is filled in date order: the records after it is reached earn nothing
    select
        priced.*,
        coalesce(sum(priced.points_before_cap) over (
            partition by priced.member_id, priced.quarter, priced.item
            order by priced.record_date, priced.record_id
            rows between unbounded preceding and 1 preceding
        ), 0) as points_before_this
    from priced

),

final as (

    select
        member_id,
        sector_code,
        quarter,
        quarter_start,
        item_order,
        item,
        item_label,
        source_register,
        record_id,
        record_date,
        record_quarter,
        first_seen_date,
        is_late,
        share,
        points_each,
        points_before_cap,
        cap,
        case
            when cap is null then points_before_cap
            else greatest(least(points_before_cap, cap - points_before_this), 0)
        end as points
    from running

)

select * from final
