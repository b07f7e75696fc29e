-- Open and overdue-open dispatched work orders at the end of each day: the backlog the
-- hotline chases (an overdue order is chased the day after its deadline).
with cases as (

    select dispatched_date, completed_date, completion_due_date, as_of_date
    from {{ ref('fct_cases') }}
    where is_dispatched

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

final as (

    select
        days.calendar_date as as_of_date,
        cast(count(cases.dispatched_date) as {{ dbt.type_bigint() }}) as open_orders,
        cast(
            sum(case when cases.completion_due_date < days.calendar_date then 1 else 0 end)
            as {{ dbt.type_bigint() }}
        ) as overdue_open_orders
    from days
    left join cases
        on cases.dispatched_date <= days.calendar_date
        and (cases.completed_date is null or cases.completed_date > days.calendar_date)
    group by days.calendar_date

)

select * from final
