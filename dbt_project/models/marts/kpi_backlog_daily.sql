-- Open and overdue-open dispatched work orders at the end of each day: the backlog the
-- hotline chases (an overdue order is chased the day after its deadline).
-- Each order adds one to the days of an interval (open: from its dispatch day to the day
-- before it is completed; overdue-open: from the day after its deadline, while open), so a
-- day's counts are running sums of the intervals' starts and ends, not a join of every day
-- with every order (scale 10: 730 days × 2 M orders).
with cases as (

    select dispatched_date, completed_date, completion_due_date, as_of_date
    from {{ ref('fct_cases') }}
    -- a void order (已作废) is nobody's backlog, nor is one completed at a time the export omits
    where
        is_dispatched and dispatched_date is not null and not coalesce(is_void, false)
        and (completed_date is not null or not coalesce(is_completed, false))

),

calendar as (

    select * from {{ ref('int_calendar_workdays') }}

),

days as (

    select calendar.calendar_date
    from calendar
    where calendar.calendar_date >= (select min(cases.dispatched_date) from cases)
        and calendar.calendar_date <= (select max(cases.as_of_date) from cases)

),

intervals as (

    -- [first day, end day): open, then overdue-open; an order still open is open to the end of its
    -- source's newest export (as_of_date), all that source can say, the newest source's to the end
    select
        dispatched_date as first_day,
        coalesce(completed_date, cast({{ dbt.dateadd('day', 1, 'as_of_date') }} as date)) as end_day,
        1 as is_open
    from cases
    union all
    select
        greatest(dispatched_date, cast({{ dbt.dateadd('day', 1, 'completion_due_date') }} as date)) as first_day,
        coalesce(completed_date, cast({{ dbt.dateadd('day', 1, 'as_of_date') }} as date)) as end_day,
        0 as is_open
    from cases
    where completion_due_date is not null

),

changes as (

    select
        first_day as change_day,
        is_open,
        1 as order_count
    from intervals
    where end_day is null or end_day > first_day
    union all
    select
        end_day as change_day,
        is_open,
        -1 as order_count
    from intervals
    where end_day > first_day

),

daily_changes as (

    select
        change_day,
        sum(case when is_open = 1 then order_count else 0 end) as open_change,
        sum(case when is_open = 0 then order_count else 0 end) as overdue_change
    from changes
    group by change_day

),

timeline as (

    -- a day's row after that day's changes, so its counts include them
    select change_day as calendar_date, open_change, overdue_change, false as is_day
    from daily_changes
    union all
    select
        calendar_date,
        0 as open_change,
        0 as overdue_change,
        true as is_day
    from days

),

running_totals as (

    select
        calendar_date as as_of_date,
        cast(sum(open_change) over running as {{ dbt.type_bigint() }}) as open_orders,
        cast(sum(overdue_change) over running as {{ dbt.type_bigint() }}) as overdue_open_orders,
        is_day
    from timeline
    window running as (order by calendar_date, is_day rows between unbounded preceding and current row)

),

final as (

    select
        as_of_date,
        open_orders,
        overdue_open_orders
    from running_totals
    where is_day

)

select * from final
