-- The working-day calendar must cover every day between its first and last date (a year
-- added by hand to cn_calendar_additions.csv is filled out by the week: int_calendar_workdays).
with calendar as (

    select calendar_date from {{ ref('int_calendar_workdays') }}

),

bounds as (

    select min(calendar_date) as first_date, max(calendar_date) as last_date, count(*) as days
    from calendar

),

final as (

    select *
    from bounds
    where days != {{ dbt.datediff('first_date', 'last_date', 'day') }} + 1

)

select * from final
