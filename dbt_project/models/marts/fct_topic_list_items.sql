-- Every item of every topic's three lists (三清单), with whether it is overdue.
with items as (

    select * from {{ ref('stg_committee__topic_list_items') }}

),

data_cut as (

    -- the newest list export: "today" for open items, so reruns give the same answer
    select max(last_snapshot_date) as as_of_date from items

),

final as (

    select
        -- ids
        items.topic_id,
        items.list_type,
        items.item_number,

        -- the item
        items.content,
        items.responsible_unit,
        items.due_date,
        items.progress,
        items.completed_date,
        items.feedback,

        -- status as of the newest export
        items.progress = '已完成' as is_done,
        items.progress != '已完成' and items.due_date < data_cut.as_of_date as is_overdue,
        case
            when items.progress != '已完成' and items.due_date < data_cut.as_of_date
                then cast({{ dbt.datediff('items.due_date', 'data_cut.as_of_date', 'day') }} as integer)
        end as days_overdue,
        data_cut.as_of_date
    from items
    cross join data_cut

)

select * from final
