-- One row per liaison case: the date of each of the eight steps (连线 → 凝心 → 转办 → 审批
-- → 办理 → 督办 → 回复 → 评议), working days between consecutive steps and over the whole
-- cycle, the step where an open case is stuck, and the representative's 评议 rating.
{%- set steps = [
    ('连线', 'contact'), ('凝心', 'consensus'), ('转办', 'forward'), ('审批', 'approve'),
    ('办理', 'handle'), ('督办', 'supervise'), ('回复', 'reply'), ('评议', 'rating'),
] %}

with steps as (

    select * from {{ ref('stg_members__liaison_steps') }}

),

calendar as (

    select * from {{ ref('int_calendar_workdays') }}

),

cases as (

    select
        case_id,
        max(member_id) as member_id,
        max(representative_id) as representative_id,
        {%- for step, name in steps %}
        max(case when step = '{{ step }}' then step_date end) as {{ name }}_date,
        {%- endfor %}
        max(case when step = '评议' then rating end) as rating,
        max(step_date) as last_step_date
    from steps
    group by 1

),

indexed as (

    select
        cases.*,
        {%- for step, name in steps %}
        {%- if not loop.first %},{% endif %}
        {{ name }}_day.workday_index as {{ name }}_index
        {%- endfor %}
    from cases
    {% for step, name in steps -%}
    left join calendar as {{ name }}_day on cases.{{ name }}_date = {{ name }}_day.calendar_date
    {% endfor %}

),

final as (

    select
        -- ids
        case_id,
        member_id,
        representative_id,

        -- the eight steps
        {%- for step, name in steps %}
        {{ name }}_date,
        {%- endfor %}

        -- working days from each step to the next
        {%- for step, name in steps[1:] %}
        cast({{ name }}_index - {{ steps[loop.index0][1] }}_index as integer) as working_days_to_{{ name }},
        {%- endfor %}
        cast(rating_index - contact_index as integer) as cycle_working_days,

        -- where the case stands
        -- closed: carried through all eight steps
        (
            {%- for step, name in steps %}
            {{ name }}_date is not null{{ ' and' if not loop.last }}
            {%- endfor %}
        ) as is_closed,
        case
            {%- for step, name in steps | reverse %}
            when {{ name }}_date is not null then '{{ step }}'
            {%- endfor %}
        end as last_step,
        case
            when not (
                    {%- for step, name in steps %}
                    {{ name }}_date is not null{{ ' and' if not loop.last }}
                    {%- endfor %}
                ) then
                case
                    {%- for step, name in steps | reverse %}
                    when {{ name }}_date is not null then '{{ step }}'
                    {%- endfor %}
                end
        end as stuck_at_step,
        rating,
        {{ quarter_label('contact_date') }} as opened_quarter,
        {{ quarter_label('rating_date') }} as closed_quarter
    from indexed

)

select * from final
