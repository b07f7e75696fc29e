-- Latest state of each consultation topic (议题) from the dated exports of the register.
with snapshots as (

    select * from {{ source('raw', 'committee_topics') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by trim(topic_id) order by _snapshot_date desc, _loaded_at desc, _row_number desc
        ) as snapshot_rank
    from snapshots

),

final as (

    select
        -- ids
        trim(topic_id) as topic_id,
        trim(title) as title,

        -- scope
        replace(linked_categories, ';', '；') as linked_categories,
        replace(linked_towns, ';', '；') as linked_towns,
        nullif(trim(source), '') as topic_source,
        nullif(trim(lead_unit), '') as lead_unit,

        -- dates of the closed loop
        researched_date,
        consulted_date,
        assigned_date,
        feedback_date,
        trim(status) as status,

        -- lineage
        _snapshot_date as last_snapshot_date
    from ranked
    where snapshot_rank = 1

)

select * from final
