-- A few appeals behind each of the month's top topic candidates, their titles and texts masked
-- at ingestion as everywhere in the warehouse, so an analyst can read what the numbers count.
-- Chosen by a hash of the work-order id: spread over the month, the same on every rebuild.
with candidates as (

    select * from {{ ref('fct_topic_candidates') }}

),

texts as (

    select * from {{ ref('int_case_texts') }}

),

rules as (

    select
        max(case when rule = 'candidate_samples_top_n' then value end) as top_n,
        max(case when rule = 'candidate_samples_per_candidate' then value end) as per_candidate
    from {{ ref('topic_rules') }}

),

top_candidates as (

    select candidates.*
    from candidates
    cross join rules
    where candidates.candidate_rank <= rules.top_n

),

ranked as (

    select
        top_candidates.period_start,
        top_candidates.candidate_rank,
        top_candidates.candidate_key,
        top_candidates.category_l3_code,
        top_candidates.category_l3_name,
        top_candidates.town,
        texts.work_order_id,
        texts.received_at,
        texts.appeal_title,
        texts.appeal_text,
        row_number() over (
            partition by top_candidates.period_start, top_candidates.category_l3_code, top_candidates.town
            order by md5(texts.work_order_id), texts.work_order_id
        ) as sample_number
    from top_candidates
    inner join texts
        on top_candidates.period_start = texts.period_start
        and top_candidates.category_l3_code = texts.category_l3_code
        and top_candidates.town = texts.town

),

final as (

    select
        ranked.period_start,
        ranked.candidate_rank,
        ranked.candidate_key,
        ranked.category_l3_code,
        ranked.category_l3_name,
        ranked.town,
        cast(ranked.sample_number as integer) as sample_number,
        ranked.work_order_id,
        ranked.received_at,
        ranked.appeal_title,
        ranked.appeal_text
    from ranked
    cross join rules
    where ranked.sample_number <= rules.per_candidate

)

select * from final
