-- One row per hard case (疑难件) of the office's register, its latest state in the dated exports.
with latest as (

    {{ latest_rows(source('raw', 'committee_hard_cases'), ['case_id']) }}

),

final as (

    select
        -- ids
        trim(case_id) as case_id,
        nullif(trim(title), '') as title,

        -- what it is about: work orders (a list), or a category and town
        nullif(trim(replace(linked_work_order_ids, ';', '；')), '') as linked_work_order_ids,
        nullif(trim(linked_category), '') as linked_category_l3_name,
        nullif(trim(linked_town), '') as linked_town,

        -- who
        nullif(trim(lead_unit), '') as lead_unit,
        nullif(trim(responsible_member_id), '') as responsible_member_id,

        -- consultation and follow-up
        opened_date,
        consulted_date,
        nullif(trim(agreed_measures), '') as agreed_measures,
        deadline_date,
        trim(status) as status,
        closed_date,
        nullif(trim(result), '') as result,

        -- lineage: when the office first knew of the case, and the newest export
        first_seen_date,
        _snapshot_date as last_snapshot_date
    from latest

)

select * from final
