{#-
    dbt-duckdb writes the new rows of an incremental Python model to a table named
    <model>__dbt_tmp<timestamp> in the main schema and never drops it (the table it means to be
    temporary is not): the model's post-hook drops them, or a daily build would leave one a day.
-#}
{% macro drop_python_batch_tables(relation) %}
    {%- if execute %}
        {%- set leftovers = run_query(
            "select table_schema, table_name from information_schema.tables "
            ~ "where table_catalog = current_database() and starts_with(table_name, '"
            ~ relation.identifier ~ "__dbt_tmp')"
        ) %}
        {%- for row in leftovers %}
            drop table if exists "{{ row[0] }}"."{{ row[1] }}";
        {%- endfor %}
    {%- endif %}
{% endmacro %}
