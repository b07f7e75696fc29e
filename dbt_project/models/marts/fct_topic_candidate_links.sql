-- Which candidates each consultation topic came from: one row per topic × candidate key, from
-- the topic's scope in the register (linked categories × towns) and from the office's 选定
-- decisions naming the topic, with the candidate's standing before it was selected.
with topics as (

    select * from {{ ref('stg_committee__topics') }}

),

scopes as (

    select * from {{ ref('int_topic_scopes') }}

),

decisions as (

    select * from {{ ref('fct_topic_candidate_decisions') }}

),

candidates as (

    select * from {{ ref('fct_topic_candidates') }}

),

rules as (

    select max(case when rule = 'candidate_persistence_top_n' then value end) as top_n
    from {{ ref('topic_rules') }}

),

categories as (

    select
        level_3_code,
        coalesce(nullif(level_3_name, ''), level_2_name) as category_name
    from {{ ref('appeal_categories') }}

),

scoped as (

    select
        scopes.topic_id,
        categories.level_3_code as category_l3_code,
        scopes.category_l3_name,
        scopes.town
    from scopes
    left join categories on scopes.category_l3_name = categories.category_name

),

selected as (

    select
        topic_id,
        category_l3_code,
        max(category_l3_name) as category_l3_name,
        town,
        min(decision_date) as selected_date
    from decisions
    where decision = '选定' and topic_id is not null
    group by topic_id, category_l3_code, town

),

linked as (

    select
        coalesce(scoped.topic_id, selected.topic_id) as topic_id,
        coalesce(scoped.category_l3_code, selected.category_l3_code) as category_l3_code,
        coalesce(scoped.category_l3_name, selected.category_l3_name) as category_l3_name,
        coalesce(scoped.town, selected.town) as town,
        scoped.topic_id is not null as is_in_topic_scope,
        selected.topic_id is not null as is_selected_in_register,
        selected.selected_date
    from scoped
    full outer join selected
        on scoped.topic_id = selected.topic_id
        and scoped.category_l3_code = selected.category_l3_code
        and scoped.town = selected.town

),

dated as (

    -- the evidence the office had: the months before the selection (without a 选定 decision,
    -- before the topic's research, else its consultation)
    {%- set selection = 'coalesce(linked.selected_date, topics.researched_date, topics.consulted_date)' %}
    select
        linked.*,
        cast({{ dbt.date_trunc('month', selection) }} as date) as selection_month_date
    from linked
    left join topics on linked.topic_id = topics.topic_id

),

evidence as (

    select
        dated.topic_id,
        dated.category_l3_code,
        dated.town,
        sum(case when candidates.candidate_rank <= rules.top_n then 1 else 0 end) as months_in_top_n,
        min(candidates.candidate_rank) as best_rank
    from dated
    cross join rules
    inner join candidates
        on dated.category_l3_code = candidates.category_l3_code
        and dated.town = candidates.town
        and candidates.period_start < dated.selection_month_date
    group by dated.topic_id, dated.category_l3_code, dated.town

),

final as (

    select
        -- ids
        dated.topic_id,
        {{ candidate_key('dated.category_l3_code', 'dated.town') }} as candidate_key,
        dated.category_l3_code,
        dated.category_l3_name,
        dated.town,

        -- where the link comes from
        dated.is_in_topic_scope,
        dated.is_selected_in_register,
        dated.selected_date,

        -- the candidate's standing before the selection
        dated.selection_month_date,
        cast(coalesce(evidence.months_in_top_n, 0) as integer) as months_in_top_n_before_selection,
        cast(evidence.best_rank as integer) as best_rank_before_selection
    from dated
    left join evidence
        on dated.topic_id = evidence.topic_id
        and dated.category_l3_code = evidence.category_l3_code
        and dated.town = evidence.town

)

select * from final
