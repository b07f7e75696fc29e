-- The official working-day calendar: the package-built seed, then each year added by hand to
-- cn_calendar_additions.csv that the package does not know yet, with the additions laid over
-- both (a correction), and a running count of working days so that durations and deadlines
-- become index arithmetic. An added year lists only what the State Council announced (its
-- holidays and make-up working days); its other days follow the week, Monday to Friday working,
-- as every official year does.
with package_calendar as (

    select * from {{ ref('cn_calendar') }}

),

additions as (

    select * from {{ ref('cn_calendar_additions') }}

),

added_years as (

    select distinct year(calendar_date) as calendar_year
    from additions
    where year(calendar_date) not in (select year(package_calendar.calendar_date) from package_calendar)

),

added_year_days as (

    select
        cast(unnest(generate_series(
            cast(make_date(calendar_year, 1, 1) as timestamp),
            cast(make_date(calendar_year, 12, 31) as timestamp),
            interval 1 day
        )) as date) as calendar_date
    from added_years

),

week_days as (

    select
        calendar_date,
        isodow(calendar_date) <= 5 as is_workday,
        case when isodow(calendar_date) <= 5 then 'workday' else 'weekend' end as day_kind,
        cast(null as varchar) as holiday_name,
        cast(null as varchar) as holiday_name_zh
    from added_year_days

),

merged as (

    select calendar_date, is_workday, day_kind, holiday_name, holiday_name_zh, 'chinesecalendar' as calendar_source
    from package_calendar
    where calendar_date not in (select additions.calendar_date from additions)

    union all

    select calendar_date, is_workday, day_kind, holiday_name, holiday_name_zh, 'additions' as calendar_source
    from week_days
    where calendar_date not in (select additions.calendar_date from additions)

    union all

    select calendar_date, is_workday, day_kind, holiday_name, holiday_name_zh, 'additions' as calendar_source
    from additions

),

final as (

    select
        calendar_date,
        is_workday,
        day_kind,
        holiday_name,
        holiday_name_zh,
        calendar_source,
        sum(case when is_workday then 1 else 0 end) over (
            order by calendar_date rows between unbounded preceding and current row
        ) as workday_index
    from merged

)

select * from final
