{#- The latest row of each key across dated snapshot exports (newest export, then the later
    load, then the later file name, then the row furthest down), with the date of the first
    export that showed the key: when the office first knew of the record. -#}
{% macro latest_rows(relation, key_columns) %}
    select * from (
        select
            *,
            row_number() over (
                partition by {{ key_columns | join(', ') }}
                order by _snapshot_date desc, _loaded_at desc, _file_name desc, _row_number desc
            ) as snapshot_rank,
            min(_snapshot_date) over (partition by {{ key_columns | join(', ') }}) as first_seen_date
        from {{ relation }}
    ) as snapshots
    where snapshot_rank = 1
{% endmacro %}
