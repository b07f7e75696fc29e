-- Latest state of each work order from the successive export snapshots.
with snapshots as (

    select * from {{ ref('stg_hotline__work_order_snapshots') }}

),

appeal_types as (

    select * from {{ ref('appeal_types') }}

),

statuses as (

    select * from {{ ref('work_order_statuses') }}

),

channels as (

    select * from {{ ref('channels') }}

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
        coalesce(is_confidential, false) as is_confidential,

        -- content
        appeal_text,
        -- controlled vocabularies: nothing exported → 未知, a value outside the list → 其他/未知,
        -- so an export without the column still builds (kpi_availability says what it cannot support)
        case
            when ranked.appeal_type is null then '未知'
            when appeal_types.appeal_type is null then '其他'
            else ranked.appeal_type
        end as appeal_type,
        case
            when ranked.channel is null then null
            when channels.channel is null then '其他'
            else ranked.channel
        end as channel,
        category_l1_name,
        category_l2_name,
        category_l3_name,
        coalesce(urgency, '一般') as urgency,

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
        coalesce(is_extended, false) as is_extended,
        coalesce(statuses.status, '未知') as status,
        handling_result,
        follow_up_result,
        satisfaction,
        coalesce(is_repeat, false) as is_repeat,
        tags,
        is_on_time_reported,

        -- lineage
        source_profile,
        deadline_policy,
        snapshot_count,
        first_seen_date,
        snapshot_date as last_snapshot_date,
        file_id as last_file_id,
        row_number as last_row_number
    from ranked
    left join appeal_types on ranked.appeal_type = appeal_types.appeal_type
    left join statuses on ranked.status = statuses.status
    left join channels on ranked.channel = channels.channel
    where ranked.snapshot_rank = 1

)

select * from final
