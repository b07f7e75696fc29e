-- One row per work order: its latest state, category codes, deadlines and on-time flags.
with cases as (

    select * from {{ ref('stg_hotline__work_orders') }}

),

deadlines as (

    select * from {{ ref('int_cases_deadlines') }}

),

categories as (

    select * from {{ ref('appeal_categories') }}

),

satisfaction_levels as (

    select * from {{ ref('satisfaction_levels') }}

),

repeats as (

    select * from {{ ref('int_cases_repeats') }}

),

follow_up_results as (

    select * from {{ ref('follow_up_results') }}

),

quarantined_later as (

    select * from {{ ref('int_cases_quarantined_later') }}

),

event_counts as (

    select
        work_order_id,
        cast(sum(case when event_type in ('dispatched', 're_dispatched') then 1 else 0 end) as integer) as dispatch_count,
        cast(sum(case when event_type = 'sent_back' then 1 else 0 end) as integer) as send_back_count
    from {{ ref('fct_case_events') }}
    group by 1

),

data_cut as (

    -- the newest export seen: "now" for open orders, so reruns give the same answer
    select max(last_snapshot_date) as as_of_date from cases

),

joined as (

    select
        cases.*,
        deadlines.sign_due_date,
        deadlines.sign_due_at,
        deadlines.completion_due_date,
        deadlines.sign_working_days,
        deadlines.handling_working_days,
        deadlines.is_beyond_calendar,
        categories.level_1_code as category_l1_code,
        categories.level_2_code as category_l2_code,
        categories.level_3_code as category_l3_code,
        levels.satisfaction is not null as is_rated,
        coalesce(levels.counts_as_satisfied, false) as is_satisfied,
        coalesce(levels.counts_as_dissatisfied, false) as is_dissatisfied,
        coalesce(event_counts.dispatch_count, 0) as dispatch_count,
        coalesce(event_counts.send_back_count, 0) as send_back_count,
        coalesce(repeats.is_repeat_by_rule, false) as is_repeat_by_rule,
        repeats.repeat_of_work_order_id,
        coalesce(repeats.is_false_closure, false) as is_false_closure,
        quarantined_later.work_order_id is not null as has_newer_quarantined_row,
        -- a call that reached nobody is not a follow-up (follow_up_results seed)
        cases.followed_up_at is not null and coalesce(follow_up_results.is_valid_follow_up, true)
            as has_valid_follow_up,
        data_cut.as_of_date
    from cases
    inner join deadlines on cases.work_order_id = deadlines.work_order_id
    cross join data_cut
    left join event_counts on cases.work_order_id = event_counts.work_order_id
    left join repeats on cases.work_order_id = repeats.work_order_id
    left join quarantined_later on cases.work_order_id = quarantined_later.work_order_id
    left join follow_up_results on cases.follow_up_result = follow_up_results.follow_up_result
    left join categories
        on cases.category_l1_name = categories.level_1_name
        and cases.category_l2_name = categories.level_2_name
        and coalesce(cases.category_l3_name, '') = coalesce(categories.level_3_name, '')
    left join satisfaction_levels as levels on cases.satisfaction = levels.satisfaction

),

flagged as (

    select
        *,
        dispatched_at is not null as is_dispatched,
        dispatched_at is null and completed_at is not null as is_direct_answer,
        completed_at is not null as is_completed,
        has_valid_follow_up as is_followed_up,
        send_back_count > 0 as is_sent_back,
        case
            when dispatched_at is null then null
            when signed_at is not null and sign_due_at is not null then signed_at <= sign_due_at
            when signed_at is not null then cast(signed_at as date) <= sign_due_date
            -- not signed yet: late once the deadline has passed, undecided before
            when coalesce(cast(sign_due_at as date), sign_due_date) < as_of_date then false
        end as is_signed_on_time,
        case
            when dispatched_at is null or completion_due_date is null then null
            when completed_at is not null then cast(completed_at as date) <= completion_due_date
            when completion_due_date < as_of_date then false
        end as is_completed_on_time
    from joined

),

final as (

    select
        -- ids
        work_order_id,
        hotline_order_id,

        -- classification
        appeal_type,
        channel,
        urgency,
        category_l1_code,
        category_l1_name,
        category_l2_code,
        category_l2_name,
        category_l3_code,
        category_l3_name,

        -- place and routing
        district,
        town,
        handling_unit,

        -- timestamps (Asia/Shanghai local time) and dates
        received_at,
        dispatched_at,
        signed_at,
        completed_at,
        followed_up_at,
        cast(received_at as date) as received_date,
        cast(dispatched_at as date) as dispatched_date,
        cast(completed_at as date) as completed_date,
        sign_due_date,
        sign_due_at,
        completion_due_date,

        -- durations in working days
        sign_working_days,
        handling_working_days,

        -- status and flags
        status,
        is_dispatched,
        is_direct_answer,
        is_completed,
        is_signed_on_time,
        is_completed_on_time,
        is_followed_up,
        is_extended,
        is_sent_back,
        dispatch_count,
        send_back_count,
        is_repeat,
        is_repeat_by_rule,
        repeat_of_work_order_id,
        is_false_closure,
        is_beyond_calendar,
        has_newer_quarantined_row,

        -- evaluation
        satisfaction,
        is_rated,
        is_satisfied,
        is_dissatisfied,

        -- lineage
        first_seen_date,
        last_snapshot_date,
        snapshot_count,
        as_of_date
    from flagged

)

select * from final
