-- Appeals grouped by level-3 category × town × month and scored for consultation: volume,
-- growth against the trailing baseline, complaint share, dissatisfaction, repeat rate and the
-- category's spread across towns, each as a percentile among the month's groups, weighted by
-- the topic_scoring_weights seed.
{%- set components = ['volume', 'growth', 'complaint_share', 'dissatisfaction', 'repeat_rate', 'spread'] %}

with cases as (

    select * from {{ ref('fct_cases') }}
    where category_l3_code is not null and not coalesce(is_void, false)  -- a void order is no appeal

),

rules as (

    select
        max(case when rule = 'candidate_min_appeals' then value end) as min_appeals,
        max(case when rule = 'candidate_baseline_months' then value end) as baseline_months
    from {{ ref('topic_rules') }}

),

weights as (

    select
        {%- for component in components %}
        {%- if not loop.first %},{% endif %}
        coalesce(max(case when component = '{{ component }}' then weight end), 0) as {{ component }}_weight
        {%- endfor %}
    from {{ ref('topic_scoring_weights') }}

),

data_range as (

    select min(received_date) as first_date, max(as_of_date) as as_of_date from cases

),

groups as (

    select
        cast({{ dbt.date_trunc('month', 'received_date') }} as date) as period_start,
        category_l3_code,
        max(category_l1_name) as category_l1_name,
        max(category_l2_code) as category_l2_code,
        max(category_l2_name) as category_l2_name,
        max(coalesce(category_l3_name, category_l2_name)) as category_l3_name,
        coalesce(town, '(未填)') as town,
        count(*) as appeals,
        sum(case when appeal_type = '投诉' then 1 else 0 end) as complaints,
        sum(case when is_rated then 1 else 0 end) as rated,
        sum(case when is_rated and is_dissatisfied then 1 else 0 end) as dissatisfied,
        sum(case when is_repeat_by_rule then 1 else 0 end) as repeats
    from cases
    group by 1, 2, 7

),

spread as (

    select period_start, category_l3_code, count(distinct town) as towns_affected
    from groups
    group by 1, 2

),

baselines as (

    -- mean monthly appeals of the same category and town over the preceding months; months
    -- without appeals count as zero; null until the data covers the whole baseline
    select
        groups.period_start,
        groups.category_l3_code,
        groups.town,
        case
            when {{ dbt.dateadd('month', '-rules.baseline_months', 'groups.period_start') }}
                >= {{ dbt.date_trunc('month', 'data_range.first_date') }}
                then coalesce(sum(earlier.appeals), 0) * 1.0 / rules.baseline_months
        end as baseline_appeals
    from groups
    cross join rules
    cross join data_range
    left join groups as earlier
        on groups.category_l3_code = earlier.category_l3_code
        and groups.town = earlier.town
        and earlier.period_start < groups.period_start
        and earlier.period_start >= {{ dbt.dateadd('month', '-rules.baseline_months', 'groups.period_start') }}
    group by groups.period_start, groups.category_l3_code, groups.town, rules.baseline_months, data_range.first_date

),

measured as (

    select
        groups.*,
        baselines.baseline_appeals,
        (groups.appeals - baselines.baseline_appeals) / nullif(baselines.baseline_appeals, 0) as growth_rate,
        -- a problem that appears from nothing grows fastest of all
        case
            when baselines.baseline_appeals = 0 then 1e9
            else (groups.appeals - baselines.baseline_appeals) / nullif(baselines.baseline_appeals, 0)
        end as growth_for_ranking,
        groups.complaints * 1.0 / groups.appeals as complaint_share,
        groups.dissatisfied * 1.0 / nullif(groups.rated, 0) as dissatisfaction_rate,
        groups.repeats * 1.0 / groups.appeals as repeat_rate,
        spread.towns_affected
    from groups
    cross join rules
    inner join baselines
        on groups.period_start = baselines.period_start
        and groups.category_l3_code = baselines.category_l3_code
        and groups.town = baselines.town
    inner join spread
        on groups.period_start = spread.period_start
        and groups.category_l3_code = spread.category_l3_code
    where groups.appeals >= rules.min_appeals

),

percentiles as (

    -- sqlfluff misreads the indentation of a window function inside a Jinja loop
    -- noqa: disable=LT02
    select
        *,
        {%- for component, column in [
            ('volume', 'appeals'), ('growth', 'growth_for_ranking'), ('complaint_share', 'complaint_share'),
            ('dissatisfaction', 'dissatisfaction_rate'), ('repeat_rate', 'repeat_rate'), ('spread', 'towns_affected'),
        ] %}
        case when {{ column }} is not null then percent_rank() over (
            partition by period_start, {{ column }} is null order by {{ column }}
        ) else 0 end as {{ component }}_percentile
        {{- ',' if not loop.last }}
        {%- endfor %}
    from measured
    -- noqa: enable=LT02

),

scored as (

    select
        percentiles.*,
        100.0 * (
            {%- for component in components %}
            {{ component }}_percentile * {{ component }}_weight{{ ' +' if not loop.last }}
            {%- endfor %}
        ) / nullif(
            {%- for component in components %}
            {{ component }}_weight{{ ' +' if not loop.last }}
            {%- endfor %},
            0
        ) as candidate_score
    from percentiles
    cross join weights

),

final as (

    select
        *,
        cast(row_number() over (
            partition by period_start order by candidate_score desc, appeals desc, category_l3_code asc, town asc
        ) as integer) as candidate_rank
    from scored

)

select * from final
