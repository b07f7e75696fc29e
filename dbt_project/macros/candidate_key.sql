{#- What identifies a topic candidate across months: its level-3 category code and town as one
    value ("040201|汇龙镇"), shared by the candidates, the office's register and the topics. -#}
{% macro candidate_key(code_column, town_column) %}
    {{ code_column }} || '|' || {{ town_column }}
{%- endmacro %}
