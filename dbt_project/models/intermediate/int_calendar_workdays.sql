-- The official working-day calendar: the package-built seed with hand-made additions laid
-- over it (a newly announced year, a correction), and a running count of working days so
-- that durations and deadlines become index arithmetic.
with package_calendar as (

    select * from {{ ref('cn_calendar') }}

),

additions as (

    select * from {{ ref('cn_calendar_additions') }}

),

merged as (

    select calendar_date, is_workday, day_kind, holiday_name, holiday_name_zh, 'chinesecalendar' as calendar_source
    from package_calendar
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
