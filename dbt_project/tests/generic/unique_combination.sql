{#- Rows are unique over a combination of columns (dbt_utils' test, written here because
    the dbt hub cannot be reached from these machines). -#}
{% test unique_combination(model, columns) %}

select {{ columns | join(', ') }}, count(*) as occurrences
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1

{% endtest %}
