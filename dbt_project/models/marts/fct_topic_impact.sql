-- For each consulted topic: appeals, complaint share and satisfaction in its categories and
-- towns over the N whole months before the consultation month and the N after it (N in the
-- topic_rules seed), so the committee sees whether a class of problems actually shrank.
-- Months after the newest export are not counted; the monthly means use the months observed.
-- Appeals have seasons, so the same categories in towns no topic covers serve as a control:
-- the change relative to the control is what the trend is judged on.
with topics as (

    select topic_id, title, consulted_date
    from {{ ref('fct_consultation_topics') }}
    where consulted_date is not null

),

scopes as (

    select * from {{ ref('int_topic_scopes') }}

),

cases as (

    select category_l3_name, town, received_date, appeal_type, is_rated, is_satisfied, as_of_date
    from {{ ref('fct_cases') }}
    where not coalesce(is_void, false)  -- a void order is no appeal

),

rules as (

    select
        max(case when rule = 'impact_window_months' then value end) as window_months,
        max(case when rule = 'impact_change_threshold_percent' then value end) / 100.0 as change_threshold,
        coalesce(max(case when rule = 'impact_min_monthly_appeals' then value end), 0) as min_monthly_appeals
    from {{ ref('topic_rules') }}

),

data_range as (

    select min(received_date) as first_date, max(as_of_date) as as_of_date from cases

),

observed as (

    -- whole months of data on each side of the consultation month, capped at the window
    select
        topics.topic_id,
        least(
            rules.window_months,
            greatest(
                0,
                {{ dbt.datediff(
                    dbt.date_trunc('month', 'data_range.first_date'), dbt.date_trunc('month', 'topics.consulted_date'), 'month'
                ) }}
                - case
                    when data_range.first_date > {{ dbt.date_trunc('month', 'data_range.first_date') }} then 1
                    else 0
                end
            )
        ) as months_before,
        least(rules.window_months, greatest(0, {{ dbt.datediff(
            dbt.date_trunc('month', 'topics.consulted_date'),
            dbt.date_trunc('month', dbt.dateadd('day', 1, 'data_range.as_of_date')), 'month'
        ) }} - 1)) as months_after
    from topics
    cross join rules
    cross join data_range

),

topic_categories as (

    select distinct topic_id, category_l3_name from scopes

),

covered_pairs as (

    -- category × town pairs some topic works on: never part of a control
    select distinct category_l3_name, town from scopes

),

scoped_cases as (

    select
        topic_categories.topic_id,
        cases.appeal_type,
        cases.is_rated,
        cases.is_satisfied,
        own_scope.topic_id is not null as is_in_scope,
        own_scope.topic_id is null and covered_pairs.town is null as is_control,
        {{ dbt.datediff(
            dbt.date_trunc('month', 'topics.consulted_date'), dbt.date_trunc('month', 'cases.received_date'), 'month'
        ) }} as month_offset
    from topics
    inner join topic_categories on topics.topic_id = topic_categories.topic_id
    inner join cases on topic_categories.category_l3_name = cases.category_l3_name
    left join scopes as own_scope
        on topic_categories.topic_id = own_scope.topic_id
        and cases.category_l3_name = own_scope.category_l3_name
        and cases.town = own_scope.town
    left join covered_pairs
        on cases.category_l3_name = covered_pairs.category_l3_name
        and cases.town = covered_pairs.town

),

sides as (

    -- sqlfluff misreads the indentation of this Jinja loop's last iteration
    -- noqa: disable=LT02
    select
        scoped_cases.topic_id,
        {%- for side, condition in [
            ('before', 'scoped_cases.month_offset < 0 and scoped_cases.month_offset >= -observed.months_before'),
            ('after', 'scoped_cases.month_offset > 0 and scoped_cases.month_offset <= observed.months_after'),
        ] %}
        sum(case when scoped_cases.is_in_scope and {{ condition }} then 1 else 0 end) as appeals_{{ side }},
        sum(case when scoped_cases.is_in_scope and {{ condition }} and scoped_cases.appeal_type = '投诉'
            then 1 else 0 end) as complaints_{{ side }},
        sum(case when scoped_cases.is_in_scope and {{ condition }} and scoped_cases.is_rated then 1 else 0 end)
            as rated_{{ side }},
        sum(case when scoped_cases.is_in_scope and {{ condition }}
            and scoped_cases.is_rated and scoped_cases.is_satisfied then 1 else 0 end) as satisfied_{{ side }},
        sum(case when scoped_cases.is_control and {{ condition }} then 1 else 0 end) as control_appeals_{{ side }}
        {{- ',' if not loop.last }}
        {%- endfor %}
    from scoped_cases
    inner join observed on scoped_cases.topic_id = observed.topic_id
    group by 1
    -- noqa: enable=LT02

),

measured as (

    select
        topics.topic_id,
        topics.title,
        topics.consulted_date,
        cast(observed.months_before as integer) as months_before,
        cast(observed.months_after as integer) as months_after,
        cast(coalesce(sides.appeals_before, 0) as {{ dbt.type_bigint() }}) as appeals_before,
        cast(coalesce(sides.appeals_after, 0) as {{ dbt.type_bigint() }}) as appeals_after,
        coalesce(sides.appeals_before, 0) * 1.0 / nullif(observed.months_before, 0) as monthly_appeals_before,
        coalesce(sides.appeals_after, 0) * 1.0 / nullif(observed.months_after, 0) as monthly_appeals_after,
        coalesce(sides.control_appeals_before, 0) * 1.0 / nullif(observed.months_before, 0)
            as control_monthly_appeals_before,
        coalesce(sides.control_appeals_after, 0) * 1.0 / nullif(observed.months_after, 0)
            as control_monthly_appeals_after,
        sides.complaints_before * 1.0 / nullif(sides.appeals_before, 0) as complaint_share_before,
        sides.complaints_after * 1.0 / nullif(sides.appeals_after, 0) as complaint_share_after,
        sides.satisfied_before * 1.0 / nullif(sides.rated_before, 0) as satisfaction_rate_before,
        sides.satisfied_after * 1.0 / nullif(sides.rated_after, 0) as satisfaction_rate_after,
        rules.change_threshold,
        rules.min_monthly_appeals
    from topics
    cross join rules
    inner join observed on topics.topic_id = observed.topic_id
    left join sides on topics.topic_id = sides.topic_id

),

changes as (

    select
        *,
        (monthly_appeals_after - monthly_appeals_before) / nullif(monthly_appeals_before, 0) as monthly_appeals_change,
        (control_monthly_appeals_after - control_monthly_appeals_before) / nullif(control_monthly_appeals_before, 0)
            as control_appeals_change
    from measured

),

final as (

    select
        topic_id,
        title,
        consulted_date,
        months_before,
        months_after,
        appeals_before,
        appeals_after,
        monthly_appeals_before,
        monthly_appeals_after,
        monthly_appeals_change,
        control_monthly_appeals_before,
        control_monthly_appeals_after,
        control_appeals_change,
        -- the change beyond what the control towns saw over the same months
        (1 + monthly_appeals_change) / nullif(1 + control_appeals_change, 0) - 1 as change_against_control,
        complaint_share_before,
        complaint_share_after,
        satisfaction_rate_before,
        satisfaction_rate_after,
        case
            when months_before = 0 or months_after = 0 or monthly_appeals_before is null then 'not yet measurable'
            when monthly_appeals_before = 0 then 'no appeals before'
            when monthly_appeals_before < min_monthly_appeals then 'too few appeals to judge'
            when coalesce(
                    (1 + monthly_appeals_change) / nullif(1 + control_appeals_change, 0) - 1, monthly_appeals_change
                ) <= -change_threshold then 'fell'
            when coalesce(
                    (1 + monthly_appeals_change) / nullif(1 + control_appeals_change, 0) - 1, monthly_appeals_change
                ) >= change_threshold then 'rose'
            else 'unchanged'
        end as appeals_trend
    from changes

)

select * from final
