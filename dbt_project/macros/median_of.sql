{#- The median of an expression within a group. Adapter-specific, hence dispatched. -#}
{% macro median_of(expression) %}
    {{ return(adapter.dispatch('median_of')(expression)) }}
{% endmacro %}

{% macro default__median_of(expression) %}
    median({{ expression }})
{% endmacro %}

{% macro postgres__median_of(expression) %}
    percentile_cont(0.5) within group (order by {{ expression }})
{% endmacro %}
