-- The office's decisions on topic candidates (候选议题台账), each decision's latest state in the
-- dated exports of the register.
with latest as (

    {{ latest_rows(source('raw', 'committee_candidate_decisions'), ['trim(decision_id)']) }}

),

final as (

    select
        -- ids
        trim(decision_id) as decision_id,
        decision_date,
        trim(decision) as decision,

        -- the candidate, as the office wrote it
        nullif(trim(category_l3_code), '') as category_l3_code,
        nullif(trim(category_l3_name), '') as category_l3_name,
        trim(town) as town,

        -- outcome
        nullif(trim(topic_id), '') as topic_id,
        nullif(trim(reason), '') as reason,

        -- lineage: when the office first knew of the record, and the newest export
        first_seen_date,
        _snapshot_date as last_snapshot_date
    from latest

)

select * from final
