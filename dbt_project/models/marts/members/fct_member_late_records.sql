-- Records that reached the office only after their quarter was frozen: where they belong,
-- where they were scored instead, and when each was first seen.
with records as (

    select * from {{ ref('int_member_score_records') }}

),

final as (

    select
        member_id,
        item,
        record_id,
        record_date,
        record_quarter,
        frozen_date,
        first_seen_date,
        scored_quarter
    from records
    where is_late

)

select * from final
