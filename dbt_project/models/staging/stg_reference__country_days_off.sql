with country_days_off as (

    select * from {{ source('raw', 'country_days_off') }}

),

final as (

    select
        working_calendar,
        calendar_date,
        holiday_name
    from country_days_off

)

select * from final
