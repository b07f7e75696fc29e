-- Deadlines and working-day durations per work order, on its source's working calendar
-- (int_working_calendars: China's official one unless the profile names another).
-- Sign-off: within N working days of dispatch (N hours for urgent orders). Completion: the
-- export's own deadline where the export gives one and its profile says `deadline: export`
-- (the default) or `export_only`; otherwise the end of the Nth working day after dispatch, N the
-- order's own limit where the export gives one (time_limit_working_days; time_limit_hours: that
-- many hours after the dispatch) or the appeal type's
-- (time_limits seed), or the exported deadline after an approved extension. `export_only`: the
-- seed's limits (China's) never apply, so an order without its own deadline or limit has none.
with cases as (

    select * from {{ ref('stg_hotline__work_orders') }}

),

time_limits as (

    select * from {{ ref('stg_reference__time_limits') }}

),

calendars as (

    select * from {{ ref('int_working_calendars') }}

),

workdays as (

    select working_calendar, calendar_date, day_index from calendars
    where is_workday

),

with_limits as (

    select
        cases.work_order_id,
        cases.dispatched_at,
        cases.signed_at,
        cases.completed_at,
        cases.due_at,
        cases.is_extended,
        cases.deadline_policy,
        coalesce(cases.working_calendar, 'china') as working_calendar,
        limits.sign_limit_working_days,
        limits.sign_limit_hours,
        -- the order's own limit where the export gives one (办理时限 in working days)
        coalesce(cases.time_limit_working_days, limits.completion_limit_working_days) as completion_limit_working_days,
        cases.time_limit_hours,
        cases.time_limit_working_days is not null or cases.time_limit_hours is not null as has_own_limit,
        cast(cases.dispatched_at as date) as dispatched_date,
        cast(cases.signed_at as date) as signed_date,
        cast(cases.completed_at as date) as completed_date
    from cases
    left join time_limits as limits
        on cases.appeal_type = limits.appeal_type
        and cases.urgency = limits.urgency
        and cases.deadline_policy is distinct from 'export_only'

),

indexed as (

    select
        with_limits.*,
        -- the day's running count of working days, on the source's calendar
        dispatch_day.day_index as dispatched_workday_index,
        signed_day.day_index as signed_workday_index,
        completed_day.day_index as completed_workday_index
    from with_limits
    left join calendars as dispatch_day
        on with_limits.working_calendar = dispatch_day.working_calendar
        and with_limits.dispatched_date = dispatch_day.calendar_date
    left join calendars as signed_day
        on with_limits.working_calendar = signed_day.working_calendar
        and with_limits.signed_date = signed_day.calendar_date
    left join calendars as completed_day
        on with_limits.working_calendar = completed_day.working_calendar
        and with_limits.completed_date = completed_day.calendar_date

),

deadlines as (

    select
        indexed.*,
        sign_deadline.calendar_date as sign_due_date,
        completion_deadline.calendar_date as standard_completion_due_date
    from indexed
    left join workdays as sign_deadline
        on indexed.working_calendar = sign_deadline.working_calendar
        and sign_deadline.day_index = indexed.dispatched_workday_index + indexed.sign_limit_working_days
    left join workdays as completion_deadline
        on indexed.working_calendar = completion_deadline.working_calendar
        and completion_deadline.day_index
        = indexed.dispatched_workday_index + indexed.completion_limit_working_days

),

completion_deadlines as (

    select
        work_order_id,

        -- deadlines
        sign_due_date,
        case
            when sign_limit_hours is not null
                then {{ dbt.dateadd('hour', 'sign_limit_hours', 'dispatched_at') }}
        end as sign_due_at,
        case
            -- a deadline exported as a date alone (00:00 exactly) is the end of that day, as the
            -- calendar's are: an order completed on its deadline day is on time
            when
                due_at is not null and (deadline_policy in ('export', 'export_only') or is_extended)
                and due_at = date_trunc('day', due_at)
                then {{ dbt.dateadd('second', -1, dbt.dateadd('day', 1, 'due_at')) }}
            when due_at is not null and (deadline_policy in ('export', 'export_only') or is_extended) then due_at
            -- an own limit in hours (an urgent order's 24小时): that many hours after the dispatch
            when time_limit_hours is not null and dispatched_at is not null
                then {{ dbt.dateadd('hour', 'time_limit_hours', 'dispatched_at') }}
            -- the end of the deadline day: completion is compared by timestamp
            when standard_completion_due_date is not null
                then {{ dbt.dateadd(
                    'second', -1, dbt.dateadd('day', 1, 'cast(standard_completion_due_date as timestamp)')
                ) }}
        end as completion_due_at,
        case
            when due_at is not null and deadline_policy in ('export', 'export_only') then 'export'
            when due_at is not null and is_extended then 'export_extension'
            when time_limit_hours is not null and dispatched_at is not null then 'export_limit'
            when standard_completion_due_date is not null and has_own_limit then 'export_limit'
            when standard_completion_due_date is not null then 'calendar'
        end as deadline_source,

        -- working-day durations
        cast(signed_workday_index - dispatched_workday_index as integer) as sign_working_days,
        cast(completed_workday_index - dispatched_workday_index as integer) as handling_working_days,

        -- a dispatch date outside the official calendar cannot be timed: report, never guess
        (dispatched_at is not null and dispatched_workday_index is null) as is_beyond_calendar
    from deadlines

),

final as (

    select
        *,
        cast(completion_due_at as date) as completion_due_date
    from completion_deadlines

)

select * from final
