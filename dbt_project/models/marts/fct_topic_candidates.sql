-- Consultation topic candidates: appeals by level-3 category × town × month, ranked by the
-- weighted score, with the evidence an analyst needs to argue for one.
with scored as (

    select * from {{ ref('int_topic_candidates_scored') }}

),

terms as (

    select * from {{ ref('int_topic_candidate_terms') }}

),

final as (

    select
        -- the group
        scored.period_start,
        scored.category_l1_name,
        scored.category_l2_code,
        scored.category_l2_name,
        scored.category_l3_code,
        scored.category_l3_name,
        scored.town,
        {{ candidate_key('scored.category_l3_code', 'scored.town') }} as candidate_key,

        -- rank and score
        scored.candidate_rank,
        scored.candidate_score,

        -- evidence
        cast(scored.appeals as {{ dbt.type_bigint() }}) as appeals,
        scored.baseline_appeals,
        scored.growth_rate,
        cast(scored.complaints as {{ dbt.type_bigint() }}) as complaints,
        scored.complaint_share,
        scored.dissatisfaction_rate,
        scored.repeat_rate,
        cast(scored.towns_affected as {{ dbt.type_bigint() }}) as towns_affected,
        -- typed here: with no candidates the word counts come back as an empty, untyped frame
        cast(terms.top_terms as varchar) as top_terms,
        cast(terms.sample_work_order_ids as varchar) as sample_work_order_ids
    from scored
    left join terms
        on scored.period_start = terms.period_start
        and scored.category_l3_code = terms.category_l3_code
        and scored.town = terms.town

)

select * from final
