-- Latest state of each work order from the successive export snapshots.
with snapshots as (

    select * from {{ ref('stg_hotline__work_order_snapshots') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by work_order_id
            -- newest export first; of two exports of one day, the one loaded later, then the
            -- later file name (a deterministic choice); within one file, the row furthest down
            order by snapshot_date desc, loaded_at desc, file_name desc, row_number desc
        ) as snapshot_rank,
        cast(count(*) over (partition by work_order_id) as integer) as snapshot_count,
        min(snapshot_date) over (partition by work_order_id) as first_seen_date
    from snapshots

),

final as (

    select
        -- ids
        work_order_id,
        hotline_order_id,
        title,

        -- caller, hashed
        caller_name_hash,
        caller_phone_hash,
        caller_id_number_hash,
        address_hash,
        caller_gender,
        is_confidential,

        -- content
        appeal_text,
        appeal_type,
        channel,
        category_l1_name,
        category_l2_name,
        category_l3_name,
        urgency,

        -- location
        district,
        town,
        community,

        -- routing
        handling_unit,
        assisting_units,

        -- timestamps (Asia/Shanghai local time)
        received_at,
        dispatched_at,
        signed_at,
        completed_at,
        replied_at,
        followed_up_at,
        due_at,

        -- status and result
        is_extended,
        status,
        handling_result,
        follow_up_result,
        satisfaction,
        is_repeat,
        tags,

        -- lineage
        snapshot_count,
        first_seen_date,
        snapshot_date as last_snapshot_date,
        file_id as last_file_id,
        row_number as last_row_number
    from ranked
    where snapshot_rank = 1

)

select * from final
