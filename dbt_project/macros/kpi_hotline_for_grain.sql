{#- The published KPI marts by month, quarter and year are slices of int_hotline_kpis_by_period,
    where every formula is defined once; the columns are the KPIs of dbt_project.yml
    (vars: kpi_definitions). -#}
{% macro kpi_hotline_for_grain(grain) %}
with periods as (

    select * from {{ ref('int_hotline_kpis_by_period') }}

),

final as (

    select
        period_start,
        period_end,
        is_complete_period,
        period_status,
        is_final,
        final_from_date,
        {%- for kpi in published_kpi_definitions() %}
        {{ kpi.name }}{{ ',' if not loop.last }}
        {%- endfor %}
    from periods
    where period_grain = '{{ grain }}'

)

select * from final
{% endmacro %}
