{#-
    The one definition of every hotline KPI (DOMAIN.md §3), for the given period grains and,
    optionally, split by dimensions (town, handling unit, category level).

    Each measure counts in the period of its own date:
      volume (work orders, complaints, direct answers, repeats)  by received date;
      sign-off, completion rate, send-backs, extensions          by dispatch date;
      on-time completion and overdue (应办结)                      by completion deadline;
      follow-up, satisfaction, handling time                     by completion date.
    A zero denominator gives null. YoY compares with the same period a year earlier.

    dimension_sets: a list of {column name: SQL expression over fct_cases}; every set has the
    same column names, and a case counts once per set (e.g. once under its level-1 and once
    under its level-2 category). Empty values count under '(未填)'.
-#}
{% macro hotline_kpis(grains, dimension_sets=[{}]) %}
{%- set dimensions = dimension_sets[0].keys() | list %}
{%- set count_columns = [] %}
{%- set measures = {
    'received_date': {
        'work_orders': '1',
        'complaints': "case when appeal_type = '投诉' then 1 when appeal_type != '未知' then 0 end",
        'direct_answers': 'case when is_direct_answer then 1 when not is_direct_answer then 0 end',
        'repeats': 'case when is_repeat_by_rule then 1 when not is_repeat_by_rule then 0 end',
    },
    'dispatched_date': {
        'dispatched': '1',
        'sign_offs_judged': 'case when is_signed_on_time is not null then 1 else 0 end',
        'signed_on_time': 'case when is_signed_on_time then 1 when not is_signed_on_time then 0 end',
        'dispatched_completed': 'case when is_completed then 1 when not is_completed then 0 end',
        'sent_back': 'case when is_sent_back then 1 when not is_sent_back then 0 end',
        'extended': 'case when is_extended then 1 when not is_extended then 0 end',
    },
    'completion_due_date': {
        'due': '1',
        'due_judged': 'case when is_completed_on_time is not null then 1 else 0 end',
        'completed_on_time': 'case when is_completed_on_time then 1 when not is_completed_on_time then 0 end',
        'overdue': 'case when not is_completed_on_time then 1 when is_completed_on_time then 0 end',
    },
    'completed_date': {
        'completions': '1',
        'followed_up': 'case when is_followed_up then 1 when not is_followed_up then 0 end',
        'rated': 'case when is_rated then 1 else 0 end',
        'satisfied': 'case when is_rated and is_satisfied then 1 else 0 end',
        'dissatisfied': 'case when is_rated and is_dissatisfied then 1 else 0 end',
        'handled_with_duration': 'case when handling_working_days is not null then 1 else 0 end',
        'handling_working_days_total': 'coalesce(handling_working_days, 0)',
    },
} %}
{%- for date_column, columns in measures.items() %}
{%- for name in columns %}
{%- do count_columns.append((date_column, name)) %}
{%- endfor %}
{%- endfor %}

with cases as (

    {%- for dimension_set in dimension_sets %}
    select
        {%- for name, expression in dimension_set.items() %}
        coalesce(cast({{ expression }} as varchar), '(未填)') as {{ name }},
        {%- endfor %}
        appeal_type,
        received_date,
        dispatched_date,
        completion_due_date,
        completed_date,
        is_direct_answer,
        is_repeat_by_rule,
        is_signed_on_time,
        is_completed,
        is_sent_back,
        is_extended,
        is_completed_on_time,
        is_followed_up,
        is_rated,
        is_satisfied,
        is_dissatisfied,
        handling_working_days,
        as_of_date
    from {{ ref('fct_cases') }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

),

calendar as (

    select * from {{ ref('int_calendar_workdays') }}

),

data_range as (

    select min(received_date) as first_date, max(as_of_date) as last_date from cases

),

dimension_values as (

    select distinct {{ (dimensions + ['1 as one']) | join(', ') }} from cases

),

period_spine as (

    {%- for grain in grains %}
    select distinct
        '{{ grain }}' as period_grain,
        {{ dbt.date_trunc(grain, 'calendar.calendar_date') }} as period_start
        {%- for dimension in dimensions %},
        dimension_values.{{ dimension }}
        {%- endfor %}
    from calendar
    cross join data_range
    cross join dimension_values
    where calendar.calendar_date between data_range.first_date and data_range.last_date
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

),

{%- for date_column, columns in measures.items() %}

counted_by_{{ date_column }} as (

    {%- for grain in grains %}
    select
        '{{ grain }}' as period_grain,
        {{ dbt.date_trunc(grain, date_column) }} as period_start,
        {%- for dimension in dimensions %}
        {{ dimension }},
        {%- endfor %}
        {%- for name, expression in columns.items() %}
        sum({{ expression }}) as {{ name }}{{ ',' if not loop.last }}
        {%- endfor %}
    from cases
    where {{ date_column }} is not null
    group by {{ range(1, dimensions | length + 3) | join(', ') }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

),
{%- endfor %}

counts as (

    select
        period_spine.period_grain,
        cast(period_spine.period_start as date) as period_start,
        {%- for dimension in dimensions %}
        period_spine.{{ dimension }},
        {%- endfor %}
        {%- for date_column, name in count_columns %}
        -- 0 for a period with no orders; null when no order of the period can say (kpi_availability)
        cast(
            case when counted_by_{{ date_column }}.period_start is null then 0 else counted_by_{{ date_column }}.{{ name }} end
            as {{ dbt.type_bigint() }}
        ) as {{ name }}{{ ',' if not loop.last }}
        {%- endfor %}
    from period_spine
    {%- for date_column in measures %}
    left join counted_by_{{ date_column }}
        on period_spine.period_grain = counted_by_{{ date_column }}.period_grain
        and period_spine.period_start = counted_by_{{ date_column }}.period_start
        {%- for dimension in dimensions %}
        and period_spine.{{ dimension }} = counted_by_{{ date_column }}.{{ dimension }}
        {%- endfor %}
    {%- endfor %}

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
        {%- for dimension in dimensions %}
        and counts.{{ dimension }} = last_year.{{ dimension }}
        {%- endfor %}

),

periods as (

    select
        with_last_year.*,
        cast(
            case period_grain
                when 'month' then {{ dbt.dateadd('month', 1, 'period_start') }}
                when 'quarter' then {{ dbt.dateadd('month', 3, 'period_start') }}
                else {{ dbt.dateadd('year', 1, 'period_start') }}
            end as date
        ) as period_end
    from with_last_year

),

flagged as (

    select
        periods.*,
        -- a period still running at the newest export is reported but flagged
        period_end <= {{ dbt.dateadd('day', 1, 'last_date') }} as is_complete_period
    from periods

),

final as (

    select
        period_grain,
        period_start,
        period_end,
        is_complete_period,
        {%- for dimension in dimensions %}
        {{ dimension }},
        {%- endfor %}

        -- volume (工单量, 投诉量) and YoY
        work_orders,
        work_orders_last_year,
        -- a running period is not compared with a whole one
        case when is_complete_period then
            {{ safe_ratio('work_orders - work_orders_last_year', 'work_orders_last_year') }}
        end as work_orders_yoy,
        complaints,
        complaints_last_year,
        case when is_complete_period then
            {{ safe_ratio('complaints - complaints_last_year', 'complaints_last_year') }}
        end as complaints_yoy,
        direct_answers,
        {{ safe_ratio('direct_answers', 'work_orders') }} as direct_answer_rate,
        repeats,
        {{ safe_ratio('repeats', 'work_orders') }} as repeat_rate,

        -- dispatch and sign-off (及时签收率, 办结率, 退单率, 延期率)
        dispatched,
        signed_on_time,
        sign_offs_judged,
        {{ safe_ratio('signed_on_time', 'sign_offs_judged') }} as signed_on_time_rate,
        dispatched_completed,
        {{ safe_ratio('dispatched_completed', 'dispatched') }} as completion_rate,
        sent_back,
        {{ safe_ratio('sent_back', 'dispatched') }} as send_back_rate,
        extended,
        {{ safe_ratio('extended', 'dispatched') }} as extension_rate,

        -- deadlines (按时办结率, 超期率)
        due,
        due_judged,
        completed_on_time,
        {{ safe_ratio('completed_on_time', 'due_judged') }} as completed_on_time_rate,
        overdue,
        {{ safe_ratio('overdue', 'due_judged') }} as overdue_rate,

        -- after completion (回访率, 满意率, 不满意率, 平均办理时长)
        completions,
        followed_up,
        {{ safe_ratio('followed_up', 'completions') }} as follow_up_rate,
        rated,
        satisfied,
        {{ safe_ratio('satisfied', 'rated') }} as satisfaction_rate,
        dissatisfied,
        {{ safe_ratio('dissatisfied', 'rated') }} as dissatisfaction_rate,
        {{ safe_ratio('handling_working_days_total', 'handled_with_duration') }} as avg_handling_working_days
    from flagged

)

select * from final
{% endmacro %}
