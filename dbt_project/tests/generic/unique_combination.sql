{#- Rows are unique over a combination of columns (dbt_utils' test, written here because
    the dbt hub cannot be reached from these machines).

    only_orders_this_build_redid: for a mart rebuilt by work order (incremental, delete+insert
    on work_order_id, docs/incremental.md), check only the orders this build redid, as
    stg_hotline__work_orders stamps them: the rows of every other order are as the last
    successful build left them, and its tests passed (a failed build makes the next one a full
    refresh, which redoes and so checks every order). A day's build then reads its few thousand
    orders instead of the whole mart (fct_case_events at scale 10: 11 M rows, 1.3–2.1 s). -#}
{% test unique_combination(model, columns, only_orders_this_build_redid=false) %}

select {{ columns | join(', ') }}, count(*) as occurrences
from {{ model }}
{%- if only_orders_this_build_redid %}
where work_order_id in (
    select redone.work_order_id from {{ ref('stg_hotline__work_orders') }} as redone
    where redone.built_by_invocation_id = '{{ invocation_id }}'
)
{%- endif %}
group by {{ columns | join(', ') }}
having count(*) > 1

{% endtest %}
