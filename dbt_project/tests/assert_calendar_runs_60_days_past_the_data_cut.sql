-- Warns while the working-day calendar ends less than 60 days after the data cut, so that the
-- next year's holidays and make-up working days (announced by the State Council around
-- November) are added to seeds/cn_calendar_additions.csv before the first order dispatched
-- beyond the calendar fails the build (int_cases_deadlines.is_beyond_calendar).
{{ config(severity='warn', store_failures=true) }}

with calendar_end as (

    select max(calendar_date) as last_date from {{ ref('int_calendar_workdays') }}

),

data_cut as (

    select max(last_snapshot_date) as as_of_date from {{ ref('stg_hotline__work_orders') }}

),

final as (

    select
        calendar_end.last_date,
        data_cut.as_of_date,
        'the working-day calendar ends on ' || calendar_end.last_date || ', '
        || {{ dbt.datediff('data_cut.as_of_date', 'calendar_end.last_date', 'day') }}
        || ' days after the data cut: add the next year''s holidays and make-up working days'
        || ' to seeds/cn_calendar_additions.csv' as what_to_do
    from calendar_end
    cross join data_cut
    where data_cut.as_of_date > calendar_end.last_date - interval 60 day

)

select * from final
