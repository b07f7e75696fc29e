-- One row per proposal (提案) with its first and joint proposers and results.
with latest as (

    {{ latest_rows(source('raw', 'member_proposals'), ['proposal_id']) }}

),

final as (

    select
        proposal_id,
        title,
        first_proposer_id,
        nullif(replace(joint_proposer_ids, ';', '；'), '') as joint_proposer_ids,
        submitted_date,
        coalesce(is_filed, false) as is_filed,
        coalesce(is_key, false) as is_key,
        coalesce(is_adopted, false) as is_adopted,
        nullif(handling_result, '') as handling_result,
        nullif(proposer_rating, '') as proposer_rating,
        -- handling (提案办理): units, assignment, reply deadline and reply
        filed_date,
        nullif(trim(handling_unit), '') as handling_unit,
        nullif(trim(replace(co_handling_units, ';', '；')), '') as co_handling_units,
        assigned_date,
        reply_due_date,
        replied_date,
        rated_date,
        -- lineage: when the office first knew of the record, and the newest export
        first_seen_date,
        _snapshot_date as last_snapshot_date
    from latest

)

select * from final
