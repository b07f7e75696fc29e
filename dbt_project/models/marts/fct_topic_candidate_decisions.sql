-- The office's decisions on topic candidates (候选议题台账), each tied to the candidate key the
-- candidates, topics and persistence marts share: the category code as written, else the
-- code of the category name written.
with decisions as (

    select * from {{ ref('stg_committee__candidate_decisions') }}

),

categories as (

    select
        level_3_code,
        coalesce(nullif(level_3_name, ''), level_2_name) as category_name
    from {{ ref('appeal_categories') }}

),

codes as (

    -- one row per code: the standard prints 090499 under two level-2 items
    select level_3_code, max(category_name) as category_name
    from categories
    group by level_3_code

),

resolved as (

    select
        decisions.*,
        coalesce(by_code.level_3_code, by_name.level_3_code) as resolved_code,
        coalesce(by_code.category_name, by_name.category_name, decisions.category_l3_name) as resolved_name
    from decisions
    left join codes as by_code on decisions.category_l3_code = by_code.level_3_code
    left join categories as by_name on decisions.category_l3_name = by_name.category_name

),

final as (

    select
        -- ids
        decision_id,
        decision_date,
        decision,

        -- the candidate
        {{ candidate_key('resolved_code', 'town') }} as candidate_key,
        resolved_code as category_l3_code,
        resolved_name as category_l3_name,
        town,

        -- outcome
        topic_id,
        reason,
        row_number() over (
            partition by resolved_code, town order by decision_date desc, decision_id desc
        ) = 1 as is_latest_for_key
    from resolved

)

select * from final
