-- When the office first learned of each later status of a proposal or a 社情民意 report (立案,
-- key proposal, adopted, endorsed): the first export that showed the flag set. A bonus earned
-- after its quarter was frozen is then a late record like any other.
{%- set flags = [
    ('member_proposals', 'proposal_id', 'is_filed', 'proposal_filed'),
    ('member_proposals', 'proposal_id', 'is_key', 'proposal_key'),
    ('member_proposals', 'proposal_id', 'is_adopted', 'proposal_adopted'),
    ('member_opinion_reports', 'report_id', 'is_adopted', 'opinion_adopted'),
    ('member_opinion_reports', 'report_id', 'is_endorsed', 'opinion_endorsed'),
] %}

with first_seen as (

    {%- for table, key, flag, item in flags %}
    select {{ key }} as record_id, '{{ item }}' as item, min(_snapshot_date) as first_seen_date
    from {{ source('raw', table) }}
    where {{ flag }}
    group by 1
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

),

final as (

    select * from first_seen

)

select * from final
