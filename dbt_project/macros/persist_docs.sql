{#- The comments a BI tool shows on every published table and column (persist_docs is on for the
    marts in dbt_project.yml). dbt's own persist_docs writes the description alone; this one
    leads with the Chinese label and unit from the YAML's `config: {meta: {label_zh, unit,
    formula_zh}}`, so an analyst reads e.g.
        及时签收率：及时签收率 = signed_on_time / sign_offs_judged (…)；单位：比率，0–1；公式：及时签收量 / 签收已判定量
    publication/comments.py copies these comments into the published warehouse. -#}

{% macro hotline_comment(meta, description) -%}
    {%- set meta = meta or {} -%}
    {%- set parts = [] -%}
    {%- for part in [meta.get('label_zh'), description | trim] if part -%}{%- do parts.append(part) -%}{%- endfor -%}
    {%- set text = [parts | join('：')] -%}
    {%- if meta.get('unit') -%}{%- do text.append('单位：' ~ meta['unit']) -%}{%- endif -%}
    {%- if meta.get('formula_zh') -%}{%- do text.append('公式：' ~ meta['formula_zh']) -%}{%- endif -%}
    {{- text | join('；') -}}
{%- endmacro %}

{% macro duckdb__persist_docs(relation, model, for_relation, for_columns) -%}
    {%- if for_relation and config.persist_relation_docs() -%}
        {%- set comment = hotline_comment(model.meta, model.description) -%}
        {%- if comment -%}
            {%- do run_query(alter_relation_comment(relation, comment)) -%}
        {%- endif -%}
    {%- endif -%}
    {%- if for_columns and config.persist_column_docs() and model.columns -%}
        {%- set existing = adapter.get_columns_in_relation(relation) | map(attribute="name") | list -%}
        {%- set columns = {} -%}
        {%- for name, column in model.columns.items() if name in existing -%}
            {%- do columns.update({name: {
                'description': hotline_comment(column.meta, column.description),
                'quote': column.quote,
            }}) -%}
        {%- endfor -%}
        {%- set sql = alter_column_comment(relation, columns) -%}
        {%- if sql | trim -%}
            {%- do run_query(sql) -%}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
