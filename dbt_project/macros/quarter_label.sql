{#- '2023Q4' for a date in the fourth quarter of 2023. -#}
{% macro quarter_label(date_expression) -%}
    cast(extract(year from {{ date_expression }}) as varchar) || 'Q' || cast(extract(quarter from {{ date_expression }}) as varchar)
{%- endmacro %}
