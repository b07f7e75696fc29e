-- The office's attention list: one row per item that is late today, whatever register it
-- comes from. Each kind is one CTE below giving the same eight columns (attention_kind,
-- item_id, title, status, responsible_unit, member_id, due_date, as_of_date) and one name in
-- `kinds`; labels and order come from the attention_kinds seed; days overdue are counted
-- here once for all. "Today" is each register's own data cut, so reruns give the same list.
{%- set kinds = ['overdue_work_orders', 'overdue_list_items', 'stuck_liaison_cases'] %}
{%- set kinds = kinds + ['overdue_key_proposals', 'overdue_hard_cases'] %}

with attention_kinds as (

    select * from {{ ref('attention_kinds') }}

),

calendar as (

    select * from {{ ref('int_calendar_workdays') }}

),

working_calendars as (

    select * from {{ ref('int_working_calendars') }}

),

workdays as (

    select calendar_date, workday_index from calendar
    where is_workday

),

cases as (

    select * from {{ ref('fct_cases') }}

),

work_orders as (

    select * from {{ ref('stg_hotline__work_orders') }}

),

list_items as (

    select * from {{ ref('fct_topic_list_items') }}

),

liaison_cases as (

    select * from {{ ref('fct_liaison_cases') }}

),

liaison_steps as (

    select * from {{ ref('stg_members__liaison_steps') }}

),

step_limits as (

    select * from {{ ref('liaison_step_limits') }}

),

member_data_cut as (

    select * from {{ ref('int_member_data_cut') }}

),

key_proposals as (

    select * from {{ ref('fct_key_proposal_supervision') }}

),

hard_cases as (

    select * from {{ ref('fct_hard_cases') }}

),

-- (a) dispatched work orders still open past their completion deadline at the newest export
-- (fct_cases says so: is_completed_on_time is false for an open order once its due date has passed)
overdue_work_orders as (

    select
        'overdue_work_order' as attention_kind,
        cases.work_order_id as item_id,
        coalesce(work_orders.title, cases.category_l3_name, cases.category_l2_name) as title,
        cases.status,
        cases.handling_unit as responsible_unit,
        cast(null as varchar) as member_id,
        cases.completion_due_date as due_date,
        cases.as_of_date,
        work_orders.working_calendar  -- the other kinds: China's (null)
    from cases
    left join work_orders on cases.work_order_id = work_orders.work_order_id
    where not cases.is_completed and not cases.is_completed_on_time

),

-- (b) 三清单 items not done by their 完成时限 at the newest list export
overdue_list_items as (

    select
        'overdue_list_item' as attention_kind,
        topic_id || '/' || list_type || '/' || cast(item_number as varchar) as item_id,
        content as title,
        progress as status,
        responsible_unit,
        cast(null as varchar) as member_id,
        due_date,
        as_of_date
    from list_items
    where is_overdue

),

-- (c) open liaison cases waiting at one step longer than liaison_step_limits allows
liaison_subjects as (

    -- what a case is about (the 连线 record) and the unit it was forwarded to, if any
    select
        case_id,
        max(case when step = '连线' then result end) as subject,
        arg_max(unit, step_date) filter (where unit is not null) as unit
    from liaison_steps
    group by 1

),

liaison_waits as (

    select
        liaison_cases.case_id,
        liaison_cases.member_id,
        liaison_cases.stuck_at_step,
        step_limits.next_step,
        liaison_subjects.subject,
        liaison_subjects.unit,
        member_data_cut.as_of_date,
        due_day.calendar_date as due_date,
        as_of_day.workday_index - step_day.workday_index as working_days_waited,
        step_limits.limit_working_days
    from liaison_cases
    cross join member_data_cut
    inner join liaison_steps
        on liaison_cases.case_id = liaison_steps.case_id
        and liaison_cases.stuck_at_step = liaison_steps.step
    inner join step_limits on liaison_cases.stuck_at_step = step_limits.step
    left join liaison_subjects on liaison_cases.case_id = liaison_subjects.case_id
    left join calendar as step_day on liaison_steps.step_date = step_day.calendar_date
    left join calendar as as_of_day on member_data_cut.as_of_date = as_of_day.calendar_date
    -- the working day the next step was due: the limit's last working day after the step
    left join workdays as due_day
        on due_day.workday_index = step_day.workday_index + step_limits.limit_working_days
    where not liaison_cases.is_closed

),

stuck_liaison_cases as (

    select
        'stuck_liaison_case' as attention_kind,
        case_id as item_id,
        subject as title,
        stuck_at_step || '（待' || next_step || '）' as status,
        unit as responsible_unit,
        member_id,
        due_date,
        as_of_date
    from liaison_waits
    where working_days_waited > limit_working_days

),

-- (d) key proposals (重点提案) with no reply past their reply deadline, as of the register's cut
overdue_key_proposals as (

    select
        'overdue_key_proposal' as attention_kind,
        proposal_id as item_id,
        title,
        milestone_label as status,
        handling_unit as responsible_unit,
        first_proposer_id as member_id,
        reply_due_date as due_date,
        as_of_date
    from key_proposals
    where is_reply_overdue

),

-- (e) hard cases (疑难件) still open past the deadline agreed at consultation
overdue_hard_cases as (

    select
        'overdue_hard_case' as attention_kind,
        case_id as item_id,
        title,
        stage_label as status,
        lead_unit as responsible_unit,
        responsible_member_id as member_id,
        deadline_date as due_date,
        as_of_date
    from hard_cases
    where is_overdue

),

items as (

    {%- for kind in kinds %}
    select * from {{ kind }}
    {%- if not loop.last %}
    union all by name
    {%- endif %}
    {%- endfor %}

),

final as (

    select
        -- what and which
        items.attention_kind,
        attention_kinds.label_zh as attention_kind_label,
        items.item_id,
        items.title,
        items.status,

        -- who: a unit, or a member (public office holder); never a caller or representative
        items.responsible_unit,
        items.member_id,

        -- how late, as of the register's data cut
        items.due_date,
        cast({{ dbt.datediff('items.due_date', 'items.as_of_date', 'day') }} as integer) as days_overdue,
        -- on the calendar of the item's source (a work order's profile may name another)
        cast(as_of_day.day_index - due_day.day_index as integer) as working_days_overdue,
        items.as_of_date
    from items
    inner join attention_kinds on items.attention_kind = attention_kinds.attention_kind
    left join working_calendars as due_day
        on coalesce(items.working_calendar, 'china') = due_day.working_calendar
        and items.due_date = due_day.calendar_date
    left join working_calendars as as_of_day
        on coalesce(items.working_calendar, 'china') = as_of_day.working_calendar
        and items.as_of_date = as_of_day.calendar_date

)

select * from final
