{#- One row per part of a delimited text value, as a select-list expression
    (e.g. 关联镇街 "汇龙镇；北新镇" → two rows). Adapter-specific, hence dispatched. -#}
{% macro split_into_rows(column, separator) %}
    {{ return(adapter.dispatch('split_into_rows')(column, separator)) }}
{% endmacro %}

{% macro default__split_into_rows(column, separator) %}
    unnest(string_split({{ column }}, '{{ separator }}'))
{% endmacro %}

{% macro postgres__split_into_rows(column, separator) %}
    unnest(string_to_array({{ column }}, '{{ separator }}'))
{% endmacro %}
