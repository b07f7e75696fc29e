-- One row per work order: its latest state, category codes, deadlines and on-time flags.
-- Incremental (docs/incremental.md): a daily build redoes the orders staging redid, those whose
-- repeat verdict or newer-quarantined flag moved, those whose on-time verdict waits for the data
-- cut, and every order of a source whose column coverage changed; the data cut (as_of_date) is
-- then set on every row. Anything else (a seed, a model, a var) forces a full refresh.
-- The data cut is per source: its newest export, so that a source exported monthly does not
-- have its open orders judged overdue by another source's newer export.
{{ config(
    materialized='incremental',
    unique_key='work_order_id',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    post_hook=[
        "update {{ this }} as cases set as_of_date = cuts.as_of_date from {{ ref('int_hotline_data_cuts') }} as cuts "
        "where cases.source_profile is not distinct from cuts.source_profile "
        "and cases.as_of_date is distinct from cuts.as_of_date",
        "{{ delete_orders_staging_dropped(this) }}",
    ],
) }}

with all_cases as (

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

statuses as (

    select * from {{ ref('work_order_statuses') }}

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
        cast(sum(case when event_type in ('dispatched', 're_dispatched', 'reopened') then 1 else 0 end) as integer)
            as dispatch_count,
        cast(sum(case when event_type = 'sent_back' then 1 else 0 end) as integer) as send_back_count
    from {{ ref('fct_case_events') }}
    group by 1

),

coverage as (

    -- what each source fills at all: a flag an export cannot say anything about stays unknown
    -- (null), so its KPI is null with a reason in kpi_availability, never a misleading 0
    select
        source_profile,
        {%- for column in [
            'dispatched_at', 'signed_at', 'completed_at', 'followed_up_at', 'is_extended', 'status',
            'caller_phone_hash', 'address_hash', 'category_l2_name', 'tags', 'dispatch_recorded',
            'send_back_recorded',
        ] %}
        {%- if not loop.first %},{% endif %}
        bool_or(case when column_name = '{{ column }}' then has_values end) as has_{{ column }}
        {%- endfor %}
    from {{ ref('int_hotline_column_coverage') }}
    group by 1

),

data_cut as (

    -- each source's newest export: "now" for its open orders, so reruns give the same answer
    select * from {{ ref('int_hotline_data_cuts') }}

),

{%- if is_incremental() %}

built as (

    select * from {{ this }}

),

coverage_seen as (

    -- the coverage each source had at the last build, as its rows show it (a flag an export
    -- lacks leaves the column null on every row); at worst this redoes a source needlessly
    select
        source_profile,
        bool_or(is_dispatched is not null) as had_dispatched_at,
        bool_or(is_direct_answer is not null) as had_direct_answers,
        bool_or(is_completed is not null) as had_completed_at,
        bool_or(is_followed_up is not null) as had_follow_up,
        bool_or(is_extended is not null) as had_is_extended,
        coalesce(bool_or(not is_void), false) as had_status,
        bool_or(is_sent_back is not null and send_back_count = 0) as had_send_back_state,
        bool_or(is_signed_on_time is not null) as had_signed_at,
        bool_or(is_repeat_by_rule is not null) as had_repeat_inputs,
        bool_or(is_consultation_tagged is not null) as had_tags
    from built
    group by 1

),

coverage_changed as (

    select seen.source_profile
    from coverage_seen as seen
    left join coverage on seen.source_profile = coverage.source_profile
    where
        coalesce(coverage.has_dispatched_at, true) != seen.had_dispatched_at
        or coalesce(
            coverage.has_dispatched_at and coverage.has_completed_at and coverage.has_dispatch_recorded, true
        ) != seen.had_direct_answers
        or coalesce(coverage.has_completed_at, true) != seen.had_completed_at
        or coalesce(coverage.has_followed_up_at and coverage.has_completed_at, true) != seen.had_follow_up
        or coalesce(coverage.has_is_extended, true) != seen.had_is_extended
        or coalesce(coverage.has_status, true) != seen.had_status
        or coalesce(coverage.has_status and coverage.has_send_back_recorded, true) != seen.had_send_back_state
        or coalesce(coverage.has_signed_at and coverage.has_dispatched_at, true) != seen.had_signed_at
        or coalesce(
            (coverage.has_caller_phone_hash or coverage.has_address_hash) and coverage.has_category_l2_name, true
        ) != seen.had_repeat_inputs
        or coalesce(coverage.has_tags, true) != seen.had_tags

),

redo_orders as (

    -- redone by staging in this build
    select work_order_id from all_cases
    where built_by_invocation_id = '{{ invocation_id }}'
    union
    -- the repeat verdict looks across orders: a new order can make an older one a false closure
    select built.work_order_id
    from built
    left join repeats on built.work_order_id = repeats.work_order_id
    where
        built.repeat_of_work_order_id is distinct from repeats.repeat_of_work_order_id
        or built.is_false_closure is distinct from coalesce(repeats.is_false_closure, false)
    union
    -- a newer row quarantined, or fixed by a reload
    select built.work_order_id
    from built
    left join quarantined_later on built.work_order_id = quarantined_later.work_order_id
    where built.has_newer_quarantined_row != (quarantined_later.work_order_id is not null)
    union
    -- on-time verdicts still waiting for their source's data cut (all, should a cut ever go back);
    -- a built row's as_of_date is its source's cut at the last build
    select built.work_order_id
    from built
    left join data_cut on built.source_profile is not distinct from data_cut.source_profile
    where
        data_cut.as_of_date < built.as_of_date
        or (
            data_cut.as_of_date is distinct from built.as_of_date
            -- (a void order, or one completed at a time the export omits, waits for no verdict)
            and not coalesce(built.is_void, false)
            and (
                (built.is_signed_on_time is null and built.dispatched_at is not null and built.signed_at is null)
                or (
                    built.is_completed_on_time is null
                    and built.completion_due_at is not null
                    and built.completed_at is null
                    and not coalesce(built.is_completed, false)
                )
            )
        )
    union
    select built.work_order_id
    from built
    inner join coverage_changed on built.source_profile = coverage_changed.source_profile
    union
    -- a source without a profile name: compared as a group of its own
    select built.work_order_id
    from built
    where
        built.source_profile is null
        and exists (
            select 1 from coverage_changed
            where coverage_changed.source_profile is null
        )

),
{%- endif %}

cases as (

    select * from all_cases
    {%- if is_incremental() %}
    where work_order_id in (select redo_orders.work_order_id from redo_orders)
    {%- endif %}

),

joined as (

    select
        cases.*,
        deadlines.sign_due_date,
        deadlines.sign_due_at,
        deadlines.completion_due_date,
        deadlines.completion_due_at,
        deadlines.deadline_source,
        deadlines.sign_working_days,
        deadlines.handling_working_days,
        deadlines.is_beyond_calendar,
        categories.level_1_code as category_l1_code,
        categories.level_2_code as category_l2_code,
        categories.level_3_code as category_l3_code,
        coalesce(statuses.is_void, false) as has_void_status,
        coalesce(statuses.is_final, false) as has_final_status,
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
        data_cut.as_of_date,
        -- a source with no coverage row (none loaded yet) is taken as filling everything
        coalesce(coverage.has_dispatched_at, true) as has_dispatched_at,
        coalesce(coverage.has_signed_at, true) as has_signed_at,
        coalesce(coverage.has_completed_at, true) as has_completed_at,
        coalesce(coverage.has_followed_up_at, true) as has_followed_up_at,
        coalesce(coverage.has_is_extended, true) as has_is_extended,
        coalesce(coverage.has_status, true) as has_status,
        coalesce(coverage.has_dispatch_recorded, true) as has_dispatch_recorded,
        coalesce(coverage.has_send_back_recorded, true) as has_send_back_recorded,
        -- a repeat is the same caller or address with the same level-2 category (case_rules)
        coalesce(
            (coverage.has_caller_phone_hash or coverage.has_address_hash) and coverage.has_category_l2_name, true
        ) as has_repeat_inputs,
        coalesce(coverage.has_tags, true) as has_tags
    from cases
    inner join deadlines on cases.work_order_id = deadlines.work_order_id
    left join data_cut on cases.source_profile is not distinct from data_cut.source_profile
    left join event_counts on cases.work_order_id = event_counts.work_order_id
    left join repeats on cases.work_order_id = repeats.work_order_id
    left join quarantined_later on cases.work_order_id = quarantined_later.work_order_id
    left join follow_up_results on cases.follow_up_result = follow_up_results.follow_up_result
    left join coverage on cases.source_profile = coverage.source_profile
    left join categories
        on cases.category_l1_name = categories.level_1_name
        and cases.category_l2_name = categories.level_2_name
        and coalesce(cases.category_l3_name, '') = coalesce(categories.level_3_name, '')
    left join satisfaction_levels as levels on cases.satisfaction = levels.satisfaction
    left join statuses on cases.status = statuses.status

),

flagged as (

    select
        *,
        case when has_dispatched_at then dispatched_at is not null end as is_dispatched,
        -- unknown where the dispatch time is the receipt time copied (a 311 export): no order was
        -- seen answered without one
        case
            when has_dispatched_at and has_completed_at and has_dispatch_recorded
                then dispatched_at is null and completed_at is not null
        end as is_direct_answer,
        -- a final status without a completion time (Closed, no Closed Date): completed, when unknown
        case
            when has_completed_at then completed_at is not null or (has_final_status and not has_void_status)
        end as is_completed,
        case when has_followed_up_at and has_completed_at then has_valid_follow_up end as is_followed_up,
        -- unknown where no status ever says 已退单 (a 311 system has no send-back), unless a
        -- re-dispatch shows one
        case
            when (has_status and has_send_back_recorded) or send_back_count > 0 then send_back_count > 0
        end as is_sent_back,
        -- void (已作废: withdrawn, cancelled, a duplicate): no KPI counts it; unknown without a status
        case when has_void_status then true when has_status then false end as is_void,
        case
            -- a void order owes nothing: it is neither on time nor late
            when has_void_status or dispatched_at is null or not has_signed_at then null
            when signed_at is not null and sign_due_at is not null then signed_at <= sign_due_at
            when signed_at is not null then cast(signed_at as date) <= sign_due_date
            -- not signed yet: late once the deadline has passed, undecided before
            when coalesce(cast(sign_due_at as date), sign_due_date) < as_of_date then false
        end as is_signed_on_time,
        -- by timestamp: the export's own deadline, or the end of the calendar deadline's day
        case
            when has_void_status or dispatched_at is null or completion_due_at is null or not has_completed_at then null
            -- completed at a time the export does not give: neither on time nor late
            when completed_at is null and has_final_status then null
            when completed_at is not null then completed_at <= completion_due_at
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
        completion_due_at,
        deadline_source,

        -- durations in working days
        sign_working_days,
        handling_working_days,

        -- status and flags
        status,
        is_void,
        is_dispatched,
        is_direct_answer,
        is_completed,
        is_signed_on_time,
        is_completed_on_time,
        is_on_time_reported,
        is_followed_up,
        case when has_is_extended then is_extended end as is_extended,
        is_sent_back,
        dispatch_count,
        send_back_count,
        is_repeat,
        case when has_repeat_inputs then is_repeat_by_rule end as is_repeat_by_rule,
        repeat_of_work_order_id,
        is_false_closure,
        is_beyond_calendar,
        has_newer_quarantined_row,
        tags,
        -- null when the export carries no tags at all: it cannot say
        case when has_tags then is_consultation_tagged end as is_consultation_tagged,

        -- evaluation
        satisfaction,
        is_rated,
        is_satisfied,
        is_dissatisfied,

        -- lineage
        source_profile,
        first_seen_date,
        last_snapshot_date,
        snapshot_count,
        as_of_date
    from flagged

)

select * from final
