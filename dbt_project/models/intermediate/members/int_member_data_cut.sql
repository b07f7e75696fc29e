-- The newest export of the office's registers: "today" for the member marts. Taken over all
-- registers, because an export whose bytes did not change since the last one (say, a quiet
-- quarter for the roster) loads nothing new and so leaves no later date of its own.
{%- set registers = [
    'stg_members__roster', 'stg_members__representatives', 'stg_members__assignments',
    'stg_members__liaison_steps', 'stg_members__hotline_shifts', 'stg_members__proposals',
    'stg_members__opinion_reports', 'stg_members__activities', 'stg_members__score_freezes',
] %}

with newest as (

    {%- for register in registers %}
    select max(last_snapshot_date) as snapshot_date from {{ ref(register) }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

),

final as (

    select max(snapshot_date) as as_of_date from newest

)

select * from final
