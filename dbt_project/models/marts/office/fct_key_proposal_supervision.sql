-- One row per key proposal (重点提案) under joint supervision: its milestones (submitted, filed,
-- assigned, reply due, replied, rated), the one reached last, the reply deadline (overdue
-- replies as of the register's newest export) and the proposer's rating.
with key_proposals as (

    select * from {{ ref('fct_proposals') }}
    where is_key

),

final as (

    select
        -- ids
        proposal_id,
        title,
        first_proposer_id,
        proposer_count,
        sector_name,

        -- who handles it
        handling_unit,
        co_handling_units,
        co_handling_unit_count,

        -- milestones
        submitted_date,
        filed_date,
        assigned_date,
        reply_due_date,
        replied_date,
        rated_date,
        case
            when rated_date is not null then 'rated'
            when replied_date is not null then 'replied'
            when assigned_date is not null then 'assigned'
            when filed_date is not null or is_filed then 'filed'
            else 'submitted'
        end as milestone,
        case
            when rated_date is not null then '评价'
            when replied_date is not null then '答复'
            when assigned_date is not null then '交办'
            when filed_date is not null or is_filed then '立案'
            else '提交'
        end as milestone_label,
        case
            when replied_date is null and reply_due_date is not null
                then cast({{ dbt.datediff('as_of_date', 'reply_due_date', 'day') }} as integer)
        end as days_to_reply_due,

        -- overdue replies
        is_replied,
        is_reply_overdue,
        is_replied_late,
        days_past_reply_due,

        -- result and rating
        result_class,
        result_class_label,
        proposer_rating,
        proposer_rating is not null as is_rated,

        -- lineage
        as_of_date
    from key_proposals

)

select * from final
