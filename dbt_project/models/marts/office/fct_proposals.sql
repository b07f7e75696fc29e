-- One row per proposal (提案): proposers, sector, 立案 and 重点, handling and co-handling units,
-- reply deadline and reply, result class (A/B/C/D) and the proposer's rating, judged as of the
-- register's newest export. Reply deadlines missing from the register come from the
-- supervision_rules seed (months after assignment).
with proposals as (

    select * from {{ ref('stg_members__proposals') }}

),

proposers as (

    select
        proposal_id,
        count(*) as proposer_count,
        sum(case when proposer_role = 'joint' then 1 else 0 end) as joint_proposer_count
    from {{ ref('fct_proposal_proposers') }}
    group by 1

),

members as (

    select member_id, sector_code, sector_name from {{ ref('dim_member') }}

),

result_classes as (

    select * from {{ ref('proposal_result_classes') }}

),

rules as (

    select max(case when rule = 'proposal_reply_due_months' then value end) as reply_due_months
    from {{ ref('supervision_rules') }}

),

register_cut as (

    -- the register's newest export: "now" for replies still awaited, so reruns give the same answer
    select max(last_snapshot_date) as as_of_date from proposals

),

due as (

    select
        proposals.*,
        coalesce(
            proposals.reply_due_date,
            cast({{ dbt.dateadd('month', 'rules.reply_due_months', 'proposals.assigned_date') }} as date)
        ) as reply_due_date_final,
        case
            when proposals.reply_due_date is not null then 'register'
            when proposals.assigned_date is not null then 'rule'
        end as reply_due_source,
        register_cut.as_of_date
    from proposals
    cross join rules
    cross join register_cut

),

final as (

    select
        -- ids
        due.proposal_id,
        due.title,

        -- proposers and sector (the first proposer's)
        due.first_proposer_id,
        due.joint_proposer_ids,
        cast(coalesce(proposers.proposer_count, 1) as integer) as proposer_count,
        cast(coalesce(proposers.joint_proposer_count, 0) as integer) as joint_proposer_count,
        members.sector_code,
        members.sector_name,

        -- 立案 and 重点
        due.submitted_date,
        due.is_filed,
        due.is_key,
        due.filed_date,

        -- handling
        due.handling_unit,
        due.co_handling_units,
        cast(
            case
                when due.co_handling_units is null then 0
                else length(due.co_handling_units) - length(replace(due.co_handling_units, '；', '')) + 1
            end as integer
        ) as co_handling_unit_count,
        due.assigned_date,
        due.reply_due_date_final as reply_due_date,
        due.reply_due_source,
        due.replied_date,
        due.replied_date is not null as is_replied,

        -- replies: past the deadline with none yet (as of the newest export), or given late
        coalesce(
            due.is_filed and due.replied_date is null and due.reply_due_date_final < due.as_of_date, false
        ) as is_reply_overdue,
        coalesce(due.replied_date > due.reply_due_date_final, false) as is_replied_late,
        case
            when due.replied_date is null and due.reply_due_date_final < due.as_of_date
                then cast({{ dbt.datediff('due.reply_due_date_final', 'due.as_of_date', 'day') }} as integer)
            when due.replied_date > due.reply_due_date_final
                then cast({{ dbt.datediff('due.reply_due_date_final', 'due.replied_date', 'day') }} as integer)
        end as days_past_reply_due,

        -- result and rating
        nullif(upper(trim(due.handling_result)), '') as result_class,
        result_classes.label as result_class_label,
        due.is_adopted,
        due.proposer_rating,
        due.rated_date,

        -- lineage
        due.as_of_date,
        due.first_seen_date,
        due.last_snapshot_date
    from due
    left join proposers on due.proposal_id = proposers.proposal_id
    left join members on due.first_proposer_id = members.member_id
    left join result_classes on upper(trim(due.handling_result)) = result_classes.result_class

)

select * from final
