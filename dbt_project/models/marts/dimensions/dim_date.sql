-- The calendar for BI tools to join and filter on: every day of the official working-day
-- calendar (statutory holidays and make-up working days, int_calendar_workdays), with its
-- ISO week, quarter and Chinese labels. Also the time spine of the semantic layer.
with calendar as (

    select * from {{ ref('int_calendar_workdays') }}

),

final as (

    select
        calendar_date,
        cast(extract(year from calendar_date) as integer) as calendar_year,
        cast(extract(quarter from calendar_date) as integer) as calendar_quarter,
        {{ quarter_label('calendar_date') }} as quarter_label,
        cast(extract(month from calendar_date) as integer) as calendar_month,
        cast(date_trunc('month', calendar_date) as date) as month_start,
        strftime(calendar_date, '%Y-%m') as month_label,
        cast(extract(isoyear from calendar_date) as integer) as iso_year,
        cast(extract(week from calendar_date) as integer) as iso_week,
        cast(extract(isodow from calendar_date) as integer) as iso_day_of_week,
        ['星期一', '星期二', '星期三', '星期四', '星期五', '星期六', '星期日'][
            extract(isodow from calendar_date)
        ] as weekday_zh,
        is_workday,
        day_kind,
        case day_kind
            when 'workday' then '工作日'
            when 'weekend' then '休息日'
            when 'holiday' then '法定节假日'
            when 'makeup_workday' then '调休工作日'
        end as day_kind_zh,
        day_kind = 'holiday' as is_holiday,
        day_kind = 'makeup_workday' as is_makeup_workday,
        nullif(holiday_name, '') as holiday_name,
        nullif(holiday_name_zh, '') as holiday_name_zh,
        cast(workday_index as bigint) as workday_index
    from calendar

)

select * from final
