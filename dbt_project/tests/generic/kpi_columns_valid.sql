{#-
    Every KPI column of a KPI mart in one test (scripts/kpi_docs.py writes its arguments from
    vars: kpi_definitions): each column in `not_null` has no null, each `ranges` entry's column
    lies within [min_value, max_value] where not null. One test per mart rather than one per
    column and check, which cost a fixed ~0.3 s each on every build. A failing row names the
    column, the check, the row (its key columns) and the value.
-#}
{% test kpi_columns_valid(model, key_columns, not_null=[], ranges=[]) %}

{%- set row_key -%}
    concat_ws(', '
    {%- for column in key_columns %}, '{{ column }}=' || coalesce(cast({{ column }} as varchar), 'null'){% endfor -%})
{%- endset -%}
{%- set checks = [] -%}
{%- for column in not_null -%}
    {%- do checks.append(
        "select '" ~ column ~ "' as kpi_column, 'not null' as expected, " ~ row_key ~ " as row_key, "
        ~ "cast(" ~ column ~ " as varchar) as kpi_value from " ~ model ~ " where " ~ column ~ " is null"
    ) -%}
{%- endfor -%}
{%- for range in ranges -%}
    {%- do checks.append(
        "select '" ~ range.column ~ "' as kpi_column, 'between " ~ range.min_value ~ " and " ~ range.max_value
        ~ "' as expected, " ~ row_key ~ " as row_key, cast(" ~ range.column ~ " as varchar) as kpi_value from "
        ~ model ~ " where " ~ range.column ~ " < " ~ range.min_value ~ " or " ~ range.column ~ " > " ~ range.max_value
    ) -%}
{%- endfor -%}

{%- if checks %}
{{ checks | join('\nunion all\n') }}
{%- else %}
select null as kpi_column, null as expected, null as row_key, null as kpi_value where false
{%- endif %}

{% endtest %}
