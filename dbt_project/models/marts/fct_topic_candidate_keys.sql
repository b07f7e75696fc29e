-- One row per topic candidate across months (level-3 category × town): how persistently it
-- ranked among the month's top candidates, and the office's latest decision on it, so a
-- lasting problem shows once instead of as many monthly rows.
with candidates as (

    select * from {{ ref('fct_topic_candidates') }}

),

decisions as (

    select * from {{ ref('fct_topic_candidate_decisions') }}

),

links as (

    select * from {{ ref('fct_topic_candidate_links') }}

),

rules as (

    select max(case when rule = 'candidate_persistence_top_n' then value end) as top_n
    from {{ ref('topic_rules') }}

),

categories as (

    -- one row per code: the standard prints 090499 under two level-2 items
    select
        level_3_code,
        max(level_1_name) as level_1_name,
        max(coalesce(nullif(level_3_name, ''), level_2_name)) as category_name
    from {{ ref('appeal_categories') }}
    group by level_3_code

),

months as (

    select
        count(distinct period_start) as months_observed,
        max(period_start) as latest_month_date
    from candidates

),

keys as (

    -- every candidate ever ranked, and what the register and the topics name
    select category_l3_code, town from candidates
    union
    select category_l3_code, town from decisions
    where category_l3_code is not null
    union
    select category_l3_code, town from links
    where category_l3_code is not null

),

standing as (

    select
        candidates.category_l3_code,
        candidates.town,
        max(candidates.category_l1_name) as category_l1_name,
        max(candidates.category_l3_name) as category_l3_name,
        count(*) as months_ranked,
        sum(case when candidates.candidate_rank <= rules.top_n then 1 else 0 end) as months_in_top_n,
        min(candidates.period_start) as first_ranked_month_date,
        max(candidates.period_start) as last_ranked_month_date,
        min(case when candidates.candidate_rank <= rules.top_n then candidates.period_start end)
            as first_top_month_date,
        max(case when candidates.candidate_rank <= rules.top_n then candidates.period_start end)
            as last_top_month_date,
        min(candidates.candidate_rank) as best_rank,
        sum(candidates.appeals) as appeals_in_ranked_months
    from candidates
    cross join rules
    group by candidates.category_l3_code, candidates.town

),

top_months as (

    -- consecutive months share a run id: the month's number minus its position in the key's list
    select
        candidates.category_l3_code,
        candidates.town,
        extract(year from candidates.period_start) * 12 + extract(month from candidates.period_start)
        - row_number() over (
            partition by candidates.category_l3_code, candidates.town order by candidates.period_start
        ) as run_id
    from candidates
    cross join rules
    where candidates.candidate_rank <= rules.top_n

),

run_lengths as (

    select category_l3_code, town, run_id, count(*) as run_months
    from top_months
    group by category_l3_code, town, run_id

),

runs as (

    select category_l3_code, town, max(run_months) as longest_top_run_months
    from run_lengths
    group by category_l3_code, town

),

latest as (

    select candidates.category_l3_code, candidates.town, candidates.candidate_rank
    from candidates
    inner join months on candidates.period_start = months.latest_month_date

),

decision_counts as (

    select category_l3_code, town, count(*) as decisions
    from decisions
    group by category_l3_code, town

),

latest_decisions as (

    select * from decisions
    where is_latest_for_key

),

topic_counts as (

    select category_l3_code, town, count(distinct topic_id) as linked_topics
    from links
    group by category_l3_code, town

),

final as (

    select
        -- the candidate
        {{ candidate_key('keys.category_l3_code', 'keys.town') }} as candidate_key,
        -- the name the ranking shows, else the seed's
        coalesce(standing.category_l1_name, categories.level_1_name) as category_l1_name,
        keys.category_l3_code,
        coalesce(standing.category_l3_name, categories.category_name) as category_l3_name,
        keys.town,

        -- persistence
        cast(months.months_observed as integer) as months_observed,
        cast(rules.top_n as integer) as persistence_top_n,
        cast(coalesce(standing.months_ranked, 0) as integer) as months_ranked,
        cast(coalesce(standing.months_in_top_n, 0) as integer) as months_in_top_n,
        cast(coalesce(runs.longest_top_run_months, 0) as integer) as longest_top_run_months,
        standing.first_ranked_month_date,
        standing.last_ranked_month_date,
        standing.first_top_month_date,
        standing.last_top_month_date,
        cast(standing.best_rank as integer) as best_rank,
        cast(latest.candidate_rank as integer) as latest_month_rank,
        cast(coalesce(standing.appeals_in_ranked_months, 0) as {{ dbt.type_bigint() }}) as appeals_in_ranked_months,

        -- the office's decisions
        coalesce(latest_decisions.decision, '未决定') as candidate_status,
        latest_decisions.decision_date as status_date,
        latest_decisions.topic_id as status_topic_id,
        latest_decisions.reason as status_reason,
        cast(coalesce(decision_counts.decisions, 0) as integer) as decisions,
        cast(coalesce(topic_counts.linked_topics, 0) as integer) as linked_topics
    from keys
    cross join months
    cross join rules
    left join categories on keys.category_l3_code = categories.level_3_code
    left join standing on keys.category_l3_code = standing.category_l3_code and keys.town = standing.town
    left join runs on keys.category_l3_code = runs.category_l3_code and keys.town = runs.town
    left join latest on keys.category_l3_code = latest.category_l3_code and keys.town = latest.town
    left join latest_decisions
        on keys.category_l3_code = latest_decisions.category_l3_code and keys.town = latest_decisions.town
    left join decision_counts
        on keys.category_l3_code = decision_counts.category_l3_code and keys.town = decision_counts.town
    left join topic_counts on keys.category_l3_code = topic_counts.category_l3_code and keys.town = topic_counts.town

)

select * from final
