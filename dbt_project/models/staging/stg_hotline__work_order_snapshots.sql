-- Every export row of every work order, cleaned: one row per work order per snapshot.
-- Values stay as exported (null when the export has none); defaults are the latest-state model's.
with snapshots as (

    select * from {{ source('raw', 'hotline_work_orders') }}

),

ledger as (

    select file_id, source_profile, deadline_policy from {{ source('raw', 'load_ledger') }}

),

final as (

    select
        -- ids
        trim(work_order_id) as work_order_id,
        nullif(trim(hotline_order_id), '') as hotline_order_id,
        title,

        -- caller, hashed
        caller_name_hash,
        caller_phone_hash,
        caller_id_number_hash,
        address_hash,
        nullif(trim(caller_gender), '') as caller_gender,
        is_confidential,

        -- content
        appeal_text,
        case
            when trim(appeal_type) in ('表扬', '感谢') then '表扬/感谢'
            else trim(appeal_type)
        end as appeal_type,
        nullif(trim(channel), '') as channel,
        nullif(trim(category_l1_name), '') as category_l1_name,
        nullif(trim(category_l2_name), '') as category_l2_name,
        nullif(trim(category_l3_name), '') as category_l3_name,
        nullif(trim(urgency), '') as urgency,

        -- location
        nullif(trim(district), '') as district,
        nullif(trim(town), '') as town,
        nullif(trim(community), '') as community,

        -- routing
        nullif(trim(handling_unit), '') as handling_unit,
        nullif(trim(assisting_units), '') as assisting_units,

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
        trim(status) as status,
        handling_result,
        nullif(trim(follow_up_result), '') as follow_up_result,
        nullif(trim(satisfaction), '') as satisfaction,
        is_repeat,
        nullif(trim(tags), '') as tags,
        -- the export's own on-time verdict, kept beside the computed one
        is_on_time_reported,

        -- lineage: the profile that read the row, and whether its deadlines win (deadline: export)
        ledger.source_profile,
        coalesce(ledger.deadline_policy, 'export') as deadline_policy,
        _snapshot_date as snapshot_date,
        _loaded_at as loaded_at,
        _file_id as file_id,
        _file_name as file_name,
        _row_number as row_number
    from snapshots
    left join ledger on snapshots._file_id = ledger.file_id

)

select * from final
