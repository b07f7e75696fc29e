-- Latest state of each item of a topic's three lists (三清单) from the dated exports.
with snapshots as (

    select * from {{ source('raw', 'committee_topic_list_items') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by trim(topic_id), trim(list_type), trim(item_number)
            order by _snapshot_date desc, _loaded_at desc, _row_number desc
        ) as snapshot_rank
    from snapshots

),

final as (

    select
        -- ids
        trim(topic_id) as topic_id,
        trim(list_type) as list_type,
        cast(trim(item_number) as integer) as item_number,

        -- the item
        content,
        nullif(trim(responsible_unit), '') as responsible_unit,
        due_date,
        coalesce(nullif(trim(progress), ''), '未启动') as progress,
        completed_date,
        nullif(trim(feedback), '') as feedback,

        -- lineage
        _snapshot_date as last_snapshot_date
    from ranked
    where snapshot_rank = 1

)

select * from final
