{#-
    The post-hook of an incremental model keyed on work_order_id: the orders staging no longer
    has (no export row left) are deleted, as a full refresh would not make them.
-#}
{% macro delete_orders_staging_dropped(relation) %}
    delete from {{ relation }}
    where work_order_id not in (select work_order_id from {{ ref('stg_hotline__work_orders') }})
{% endmacro %}
