{#- numerator / denominator as a fraction, null when the denominator is zero (a rate with
    nothing to count is unknown, not 0). Either may be an expression. -#}
{% macro safe_ratio(numerator, denominator) -%}
    ({{ numerator }}) * 1.0 / nullif({{ denominator }}, 0)
{%- endmacro %}
