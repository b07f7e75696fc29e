-- Which canonical columns each source profile actually fills: one row per profile × contract
-- column, with the rows that carry a value, and one for calendar_time_limits (its profile lets
-- China's time limits set deadlines: `deadline:` is not export_only). What an export lacks decides which KPIs it can
-- support (kpi_availability) and which case flags stay unknown (fct_cases).
{%- set contract_columns = [] %}
{%- if execute %}
{%- set contract_columns = run_query(
    "select column_name from " ~ ref('work_order_contract') ~ " order by column_name"
).columns[0].values() %}
{%- endif %}
-- depends_on: {{ ref('work_order_contract') }}
with snapshots as (

    select * from {{ ref('stg_hotline__work_order_snapshots') }}

),

counted as (

    select
        coalesce(source_profile, '(unknown)') as source_profile,
        count(*) as rows_total
        {%- for column in contract_columns %}
        {{- ',' }}
        count({{ column }}) as {{ column }}
        {%- endfor %},
        -- not a column: the rows whose profile lets China's time limits set deadlines (kpi_inputs)
        count(*) filter (where deadline_policy != 'export_only') as calendar_time_limits
    from snapshots
    group by 1

),

final as (

    {%- for column in contract_columns %}
    select
        source_profile,
        '{{ column }}' as column_name,
        rows_total,
        {{ column }} as rows_with_value,
        {{ column }} > 0 as has_values
    from counted
    union all
    {%- endfor %}
    select
        source_profile,
        'calendar_time_limits' as column_name,
        rows_total,
        calendar_time_limits as rows_with_value,
        calendar_time_limits > 0 as has_values
    from counted

)

select * from final
