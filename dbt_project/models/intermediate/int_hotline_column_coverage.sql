-- Which canonical columns each source profile actually fills: one row per profile × contract
-- column, with the rows that carry a value, and one for each input that is no column:
-- calendar_time_limits (its profile lets China's time limits set deadlines: `deadline:` is not
-- export_only), dispatch_recorded (a dispatch time of its own, not the receipt time copied) and
-- send_back_recorded (a status of its own for a send-back, 已退单: a 311 system has none).
-- What an export lacks decides which KPIs it can support (kpi_availability) and which case flags
-- stay unknown (fct_cases).
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

statuses_saying_nothing as (

    -- 未知 (a profile's `status: {value: 未知}`) and void say nothing of a send-back: a status
    -- column of only those is no status column
    select status from {{ ref('work_order_statuses') }}
    where is_void or status = '未知'

),

counted as (

    select
        coalesce(source_profile, '(unknown)') as source_profile,
        count(*) as rows_total
        {%- for column in contract_columns if column != 'status' %}
        {{- ',' }}
        count({{ column }}) as {{ column }}
        {%- endfor %},
        count(*) filter (
            where status is not null and status not in (select quiet.status from statuses_saying_nothing as quiet)
        ) as status,
        -- not columns (kpi_inputs): the rows whose profile lets China's time limits set deadlines,
        -- those with a dispatch time of their own, not the receipt time copied, and those sent back
        count(*) filter (where deadline_policy != 'export_only') as calendar_time_limits,
        count(*) filter (where dispatched_at != received_at) as dispatch_recorded,
        count(*) filter (where status = '已退单') as send_back_recorded
    from snapshots
    group by 1

),

final as (

    {%- for column in (contract_columns | list) + ['calendar_time_limits', 'dispatch_recorded', 'send_back_recorded'] %}
    select
        source_profile,
        '{{ column }}' as column_name,
        rows_total,
        {{ column }} as rows_with_value,
        {{ column }} > 0 as has_values
    from counted
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

)

select * from final
