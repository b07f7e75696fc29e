-- One row per consultation topic (议题): its closed loop (调研 → 协商 → 交办 → 反馈) and
-- the state of its three lists.
with topics as (

    select * from {{ ref('stg_committee__topics') }}

),

items as (

    select * from {{ ref('fct_topic_list_items') }}

),

list_counts as (

    select
        topic_id,
        cast(sum(case when list_type = '协商建议' then 1 else 0 end) as integer) as suggestions,
        cast(sum(case when list_type = '责任落实' then 1 else 0 end) as integer) as responsibilities,
        cast(sum(case when list_type = '结果反馈' then 1 else 0 end) as integer) as feedback_items,
        cast(sum(case when is_done then 1 else 0 end) as integer) as items_done,
        cast(sum(case when is_overdue then 1 else 0 end) as integer) as items_overdue,
        cast(count(*) as integer) as list_items
    from items
    group by 1

),

final as (

    select
        -- ids
        topics.topic_id,
        topics.title,
        topics.topic_source,
        topics.lead_unit,

        -- scope
        topics.linked_categories,
        topics.linked_towns,

        -- closed loop
        topics.status,
        topics.researched_date,
        topics.consulted_date,
        topics.assigned_date,
        topics.feedback_date,
        cast({{ dbt.datediff('topics.consulted_date', 'topics.assigned_date', 'day') }} as integer)
            as days_consultation_to_assignment,
        cast({{ dbt.datediff('topics.assigned_date', 'topics.feedback_date', 'day') }} as integer)
            as days_assignment_to_feedback,
        topics.status in ('已反馈', '已办结') as has_feedback,

        -- three lists
        coalesce(list_counts.list_items, 0) as list_items,
        coalesce(list_counts.suggestions, 0) as suggestions,
        coalesce(list_counts.responsibilities, 0) as responsibilities,
        coalesce(list_counts.feedback_items, 0) as feedback_items,
        coalesce(list_counts.items_done, 0) as items_done,
        coalesce(list_counts.items_overdue, 0) as items_overdue
    from topics
    left join list_counts on topics.topic_id = list_counts.topic_id

)

select * from final
