-- Rubric points per member, quarter and item as the data stands now: every rubric item for
-- every quarter a member was active (zero when nothing earned it), capped per quarter.
with member_quarters as (

    select * from {{ ref('int_member_quarters') }}

),

rubric as (

    select * from {{ ref('scoring_rubric') }}

),

records as (

    select * from {{ ref('int_member_score_records') }}

),

earned as (

    select
        member_id,
        scored_quarter as quarter,
        item,
        sum(share) as records_counted,
        {{ dbt.listagg('record_id', "', '", 'order by record_id') }} as source_record_ids
    from records
    group by 1, 2, 3

),

final as (

    select
        member_quarters.member_id,
        member_quarters.sector_code,
        member_quarters.quarter,
        member_quarters.quarter_start,
        rubric.item_order,
        rubric.item,
        rubric.label as item_label,
        cast(coalesce(earned.records_counted, 0) as double) as records_counted,
        rubric.points as points_each,
        coalesce(earned.records_counted, 0) * rubric.points as points_before_cap,
        rubric.cap_per_quarter as cap,
        case
            when rubric.cap_per_quarter is null then coalesce(earned.records_counted, 0) * rubric.points
            else least(coalesce(earned.records_counted, 0) * rubric.points, rubric.cap_per_quarter)
        end as points,
        earned.source_record_ids
    from member_quarters
    cross join rubric
    left join earned
        on member_quarters.member_id = earned.member_id
        and member_quarters.quarter = earned.quarter
        and rubric.item = earned.item

)

select * from final
