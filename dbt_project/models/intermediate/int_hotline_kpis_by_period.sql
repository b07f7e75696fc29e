-- Every hotline KPI, defined once, for each month, quarter and year (DOMAIN.md §3).
-- Each measure counts in the period of its own date: volume by received date, sign-off by
-- dispatch date, completion by due date (应办结), satisfaction by completion date.
{%- set grains = ['month', 'quarter', 'year'] %}

with cases as (

    select * from {{ ref('fct_cases') }}

),

calendar as (

    select * from {{ ref('int_calendar_workdays') }}

),

data_range as (

    select min(received_date) as first_date, max(as_of_date) as last_date from cases

),

period_spine as (

    {%- for grain in grains %}
    select distinct
        '{{ grain }}' as period_grain,
        {{ dbt.date_trunc(grain, 'calendar.calendar_date') }} as period_start
    from calendar
    cross join data_range
    where calendar.calendar_date between data_range.first_date and data_range.last_date
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

),

received as (

    {%- for grain in grains %}
    select
        '{{ grain }}' as period_grain,
        {{ dbt.date_trunc(grain, 'received_date') }} as period_start,
        count(*) as work_orders,
        sum(case when appeal_type = '投诉' then 1 else 0 end) as complaints,
        sum(case when is_direct_answer then 1 else 0 end) as direct_answers
    from cases
    group by 1, 2
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

),

dispatched as (

    {%- for grain in grains %}
    select
        '{{ grain }}' as period_grain,
        {{ dbt.date_trunc(grain, 'dispatched_date') }} as period_start,
        count(*) as dispatched,
        sum(case when is_signed_on_time then 1 else 0 end) as signed_on_time
    from cases
    where is_dispatched
    group by 1, 2
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

),

due as (

    {%- for grain in grains %}
    select
        '{{ grain }}' as period_grain,
        {{ dbt.date_trunc(grain, 'completion_due_date') }} as period_start,
        count(*) as due,
        sum(case when is_completed_on_time then 1 else 0 end) as completed_on_time
    from cases
    where completion_due_date is not null
    group by 1, 2
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

),

rated as (

    {%- for grain in grains %}
    select
        '{{ grain }}' as period_grain,
        {{ dbt.date_trunc(grain, 'completed_date') }} as period_start,
        count(*) as rated,
        sum(case when is_satisfied then 1 else 0 end) as satisfied
    from cases
    where is_rated and completed_date is not null
    group by 1, 2
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

),

counts as (

    select
        period_spine.period_grain,
        cast(period_spine.period_start as date) as period_start,
        cast(coalesce(received.work_orders, 0) as {{ dbt.type_bigint() }}) as work_orders,
        cast(coalesce(received.complaints, 0) as {{ dbt.type_bigint() }}) as complaints,
        cast(coalesce(received.direct_answers, 0) as {{ dbt.type_bigint() }}) as direct_answers,
        cast(coalesce(dispatched.dispatched, 0) as {{ dbt.type_bigint() }}) as dispatched,
        cast(coalesce(dispatched.signed_on_time, 0) as {{ dbt.type_bigint() }}) as signed_on_time,
        cast(coalesce(due.due, 0) as {{ dbt.type_bigint() }}) as due,
        cast(coalesce(due.completed_on_time, 0) as {{ dbt.type_bigint() }}) as completed_on_time,
        cast(coalesce(rated.rated, 0) as {{ dbt.type_bigint() }}) as rated,
        cast(coalesce(rated.satisfied, 0) as {{ dbt.type_bigint() }}) as satisfied
    from period_spine
    left join received
        on period_spine.period_grain = received.period_grain
        and period_spine.period_start = received.period_start
    left join dispatched
        on period_spine.period_grain = dispatched.period_grain
        and period_spine.period_start = dispatched.period_start
    left join due
        on period_spine.period_grain = due.period_grain
        and period_spine.period_start = due.period_start
    left join rated
        on period_spine.period_grain = rated.period_grain
        and period_spine.period_start = rated.period_start

),

with_last_year as (

    select
        counts.*,
        last_year.work_orders as work_orders_last_year,
        last_year.complaints as complaints_last_year,
        data_range.last_date
    from counts
    cross join data_range
    left join counts as last_year
        on counts.period_grain = last_year.period_grain
        and counts.period_start = {{ dbt.dateadd('year', 1, 'last_year.period_start') }}

),

final as (

    select
        period_grain,
        period_start,
        cast(
            case period_grain
                when 'month' then {{ dbt.dateadd('month', 1, 'period_start') }}
                when 'quarter' then {{ dbt.dateadd('month', 3, 'period_start') }}
                else {{ dbt.dateadd('year', 1, 'period_start') }}
            end as date
        ) as period_end,
        -- a period still running at the newest export is reported but flagged
        cast(
            case period_grain
                when 'month' then {{ dbt.dateadd('month', 1, 'period_start') }}
                when 'quarter' then {{ dbt.dateadd('month', 3, 'period_start') }}
                else {{ dbt.dateadd('year', 1, 'period_start') }}
            end as date
        ) <= {{ dbt.dateadd('day', 1, 'last_date') }} as is_complete_period,

        -- volume
        work_orders,
        work_orders_last_year,
        (work_orders - work_orders_last_year) * 1.0 / nullif(work_orders_last_year, 0) as work_orders_yoy,
        complaints,
        complaints_last_year,
        (complaints - complaints_last_year) * 1.0 / nullif(complaints_last_year, 0) as complaints_yoy,

        -- handling
        direct_answers,
        direct_answers * 1.0 / nullif(work_orders, 0) as direct_answer_rate,
        dispatched,
        signed_on_time,
        signed_on_time * 1.0 / nullif(dispatched, 0) as signed_on_time_rate,
        due,
        completed_on_time,
        completed_on_time * 1.0 / nullif(due, 0) as completed_on_time_rate,

        -- evaluation
        rated,
        satisfied,
        satisfied * 1.0 / nullif(rated, 0) as satisfaction_rate
    from with_last_year

)

select * from final
