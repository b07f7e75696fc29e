-- Each working calendar a source can count its days by (its profile's `calendar:`), day by day,
-- with a running count of its working days (day_index), so that deadlines and durations are
-- index arithmetic on the source's own calendar: china (the official calendar: holidays and
-- make-up working days), weekdays (Monday to Friday, no holidays) and each country a profile
-- names (its days off, weekend and public holidays, landed in raw.country_days_off).
with official as (

    select * from {{ ref('int_calendar_workdays') }}

),

country_days_off as (

    select * from {{ ref('stg_reference__country_days_off') }}

),

countries as (

    select distinct working_calendar from country_days_off

),

calendar_days as (

    select 'china' as working_calendar, calendar_date, is_workday, holiday_name
    from official

    union all

    select
        'weekdays' as working_calendar,
        calendar_date,
        isodow(calendar_date) <= 5 as is_workday,
        cast(null as varchar) as holiday_name
    from official

    union all

    select
        countries.working_calendar,
        official.calendar_date,
        days_off.calendar_date is null as is_workday,
        days_off.holiday_name
    from countries
    cross join official
    left join country_days_off as days_off
        on countries.working_calendar = days_off.working_calendar
        and official.calendar_date = days_off.calendar_date

),

final as (

    select
        working_calendar,
        calendar_date,
        is_workday,
        holiday_name,
        sum(case when is_workday then 1 else 0 end) over (
            partition by working_calendar order by calendar_date rows between unbounded preceding and current row
        ) as day_index
    from calendar_days

)

select * from final
