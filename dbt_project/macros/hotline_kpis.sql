{#-
    Every hotline KPI (DOMAIN.md §3), for the given period grains and, optionally, split by
    dimensions (town, handling unit, category level). The KPIs themselves are the entries of
    `vars: kpi_definitions` in dbt_project.yml, the one place a KPI is defined; this macro
    turns them into SQL:
      a measure (counted_by, counts)   sum(counts) over the orders whose counted_by date falls
                                       in the period, e.g. volume by received date, sign-off
                                       by dispatch date, on-time completion by completion
                                       deadline (应办结), satisfaction by completion date;
      last_year_of                     that measure in the same period a year earlier;
      numerator, denominator           safe_ratio: a zero denominator gives null;
      formula                          the SQL as written.

    Every row says whether its period is final or provisional (period_status, is_final,
    final_from_date): the one rule of macros/period_maturity.sql.

    dimension_sets: a list of {column name: SQL expression over fct_cases}; every set has the
    same column names, and a case counts once per set (e.g. once under its level-1 and once
    under its level-2 category). Empty values count under '(未填)'.
-#}
{% macro hotline_kpis(grains, dimension_sets=[{}]) %}
{%- set definitions = kpi_definitions() %}
{%- set dimensions = dimension_sets[0].keys() | list %}
{%- set measures = [] %}
{%- set last_year_columns = [] %}
{#- the dates measures count by, each with its measures; received_date also bounds the data #}
{%- set date_columns = ['received_date'] %}
{%- for kpi in definitions %}
    {%- if 'counts' in kpi %}
        {%- if kpi.name in dimensions %}
            {{ exceptions.raise_compiler_error("hotline_kpis: dimension " ~ kpi.name ~ " has the name of a measure") }}
        {%- endif %}
        {%- do measures.append(kpi) %}
        {%- if kpi.counted_by not in date_columns %}{% do date_columns.append(kpi.counted_by) %}{% endif %}
    {%- elif 'last_year_of' in kpi %}
        {%- do last_year_columns.append(kpi) %}
    {%- endif %}
{%- endfor %}
{%- set counted_date_columns = [] %}
{%- for date_column in date_columns %}
    {%- if measures | selectattr('counted_by', 'equalto', date_column) | list %}
        {%- do counted_date_columns.append(date_column) %}
    {%- endif %}
{%- endfor %}

with {{ settled_orders_ctes(ref('fct_cases')) }}

cases as (

    {%- for dimension_set in dimension_sets %}
    select
        {%- for name, expression in dimension_set.items() %}
        coalesce(cast({{ expression }} as varchar), '(未填)') as {{ name }},
        {%- endfor %}
        {%- for date_column in date_columns %}
        {{ date_column }},
        {%- endfor %}
        as_of_date,
        settled_date,
        coalesce(is_void, false) as is_void,
        -- each order's contribution to each measure
        {%- for measure in measures %}
        {{ measure_sql(measure) }} as {{ measure.name }}{{ ',' if not loop.last }}
        {%- endfor %}
    from settled_orders
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

),

measurable as (

    -- whether any order can say: a period with no orders counts 0 of what the sources report,
    -- and nothing (null) of what none of them does (投诉量 from exports with no appeal type)
    select
        {%- for measure in measures %}
        bool_or({{ measure.name }} is not null) as {{ measure.name }}{{ ',' if not loop.last }}
        {%- endfor %}
    from cases

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

{%- for date_column in counted_date_columns %}

counted_by_{{ date_column }} as (

    {%- for grain in grains %}
    select
        '{{ grain }}' as period_grain,
        {{ dbt.date_trunc(grain, date_column) }} as period_start,
        {%- for dimension in dimensions %}
        {{ dimension }},
        {%- endfor %}
        {%- for measure in measures | selectattr('counted_by', 'equalto', date_column) %}
        {%- if measure.get('counts_void_orders') %}
        sum(cases.{{ measure.name }}) as {{ measure.name }},
        {%- else %}
        -- orders that are all void: a period with no orders to count (0, or null as below)
        case
            when bool_and(cases.is_void) then case when any_value(measurable.{{ measure.name }}) then 0 end
            else sum(cases.{{ measure.name }})
        end as {{ measure.name }},
        {%- endif %}
        {%- endfor %}
        -- when the orders counted here stop moving the period's rates (macros/period_maturity.sql)
        max(settled_date) as last_settled_date,
        count(*) - count(settled_date) as unsettled_orders
    from cases
    cross join measurable
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
        {%- for measure in measures %}
        -- 0 for a period with no orders, where some source can say; null when no order of the
        -- period can say (kpi_availability)
        cast(
            case
                when counted_by_{{ measure.counted_by }}.period_start is null
                    then case when measurable.{{ measure.name }} then 0 end
                else counted_by_{{ measure.counted_by }}.{{ measure.name }}
            end
            as {{ dbt.type_bigint() }}
        ) as {{ measure.name }},
        {%- endfor %}
        -- an order counts in the period by each of its dates: the latest and the unknown of all
        greatest(
            {%- for date_column in counted_date_columns %}
            counted_by_{{ date_column }}.last_settled_date{{ ',' if not loop.last }}
            {%- endfor %}
        ) as last_settled_date,
        (
            {%- for date_column in counted_date_columns %}
            coalesce(counted_by_{{ date_column }}.unsettled_orders, 0){{ ' +' if not loop.last }}
            {%- endfor %}
        ) as unsettled_orders
    from period_spine
    cross join measurable
    {%- for date_column in counted_date_columns %}
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
        {%- for kpi in last_year_columns %}
        last_year.{{ kpi.last_year_of }} as {{ kpi.name }},
        {%- endfor %}
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
        period_end <= {{ dbt.dateadd('day', 1, 'last_date') }} as is_complete_period,
        -- final once every order counted in it is settled (macros/period_maturity.sql)
        {{ period_final_from_date('period_end', 'last_settled_date', 'unsettled_orders', 'last_date') }}
            as final_from_date
    from periods

),

matured as (

    select
        flagged.*,
        {{ period_status_columns('final_from_date', 'last_date') }}
    from flagged

),

final as (

    select
        period_grain,
        period_start,
        period_end,
        is_complete_period,
        period_status,
        is_final,
        final_from_date,
        {%- for dimension in dimensions %}
        {{ dimension }},
        {%- endfor %}
        {%- for kpi in published_kpi_definitions() %}
        {{ kpi_column_sql(kpi) }}{{ ',' if not loop.last }}
        {%- endfor %}
    from matured

)

select * from final
{% endmacro %}


{#- The KPI entries of dbt_project.yml (vars: kpi_definitions), each checked to say how it is
    computed in exactly one way. -#}
{% macro kpi_definitions() %}
{%- set definitions = var('kpi_definitions') %}
{%- for kpi in definitions %}
    {%- set ways = ['counts', 'last_year_of', 'numerator', 'formula'] | select('in', kpi) | list %}
    {%- if ways | length != 1 %}
        {{ exceptions.raise_compiler_error(
            "kpi_definitions: " ~ kpi.get('name', kpi) ~ " needs exactly one of counts, last_year_of, "
            ~ "numerator (with denominator) or formula; it has " ~ (ways | join(', ') or 'none')) }}
    {%- endif %}
    {%- if 'counts' in kpi and 'counted_by' not in kpi %}
        {{ exceptions.raise_compiler_error("kpi_definitions: " ~ kpi.name ~ " counts by no date (counted_by)") }}
    {%- endif %}
    {%- if 'numerator' in kpi and 'denominator' not in kpi %}
        {{ exceptions.raise_compiler_error("kpi_definitions: " ~ kpi.name ~ " has a numerator but no denominator") }}
    {%- endif %}
{%- endfor %}
{{ return(definitions) }}
{% endmacro %}


{#- What one order adds to a measure: its `counts`, and nothing for a void order (已作废, fct_cases.is_void)
    unless the measure says counts_void_orders: true. core/kpi_definitions.py (Kpi.sums) says the
    same for the semantic layer. -#}
{% macro measure_sql(kpi) -%}
    {%- if kpi.get('counts_void_orders') -%}
        ({{ kpi.counts }})
    {%- else -%}
        case when not coalesce(is_void, false) then {{ kpi.counts }} end
    {%- endif -%}
{%- endmacro %}


{#- The KPIs that are mart columns (not the measures marked published: false), in order. -#}
{% macro published_kpi_definitions() %}
{%- set published = [] %}
{%- for kpi in kpi_definitions() %}
    {%- if kpi.get('published', true) %}{% do published.append(kpi) %}{% endif %}
{%- endfor %}
{{ return(published) }}
{% endmacro %}


{#- One KPI column of the final select: measures and last-year columns are already columns;
    ratios and formulas are computed from them. -#}
{% macro kpi_column_sql(kpi) -%}
    {%- if 'counts' in kpi or 'last_year_of' in kpi -%}
        {{ kpi.name }}
    {%- elif 'formula' in kpi -%}
        ({{ kpi.formula }}) as {{ kpi.name }}
    {%- elif kpi.get('complete_periods_only') -%}
        case when is_complete_period then {{ safe_ratio(kpi.numerator, kpi.denominator) }} end as {{ kpi.name }}
    {%- else -%}
        {{ safe_ratio(kpi.numerator, kpi.denominator) }} as {{ kpi.name }}
    {%- endif -%}
{%- endmacro %}
