-- Appeal titles and texts (phone and ID numbers already masked at ingestion) with the keys a
-- topic candidate is grouped by, for the word counts of int_topic_candidate_terms and the
-- samples of fct_topic_candidate_samples.
with cases as (

    select * from {{ ref('fct_cases') }}

),

texts as (

    select work_order_id, title, appeal_text from {{ ref('stg_hotline__work_orders') }}

),

final as (

    select
        cases.work_order_id,
        cast({{ dbt.date_trunc('month', 'cases.received_date') }} as date) as period_start,
        cases.category_l3_code,
        coalesce(cases.town, '(未填)') as town,
        cases.received_at,
        texts.title as appeal_title,
        texts.appeal_text
    from cases
    inner join texts on cases.work_order_id = texts.work_order_id
    where cases.category_l3_code is not null and not coalesce(cases.is_void, false)  -- a void order is no appeal

)

select * from final
