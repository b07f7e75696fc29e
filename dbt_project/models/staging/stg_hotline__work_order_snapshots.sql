-- Every export row of every work order, cleaned: one row per work order per snapshot.
-- Values stay as exported (null when the export has none); defaults are the latest-state model's.
with snapshots as (

    select * from {{ source('raw', 'hotline_work_orders') }}

),

ledger as (

    select file_id, source_profile, deadline_policy, working_calendar from {{ source('raw', 'load_ledger') }}

),

final as (

    select
        -- ids
        trim(snapshots.work_order_id) as work_order_id,
        nullif(trim(snapshots.hotline_order_id), '') as hotline_order_id,
        snapshots.title,

        -- caller, hashed
        snapshots.caller_name_hash,
        snapshots.caller_phone_hash,
        snapshots.caller_id_number_hash,
        snapshots.address_hash,
        nullif(trim(snapshots.caller_gender), '') as caller_gender,
        snapshots.is_confidential,

        -- content
        snapshots.appeal_text,
        case
            when trim(snapshots.appeal_type) in ('表扬', '感谢') then '表扬/感谢'
            else trim(snapshots.appeal_type)
        end as appeal_type,
        nullif(trim(snapshots.channel), '') as channel,
        nullif(trim(snapshots.category_l1_name), '') as category_l1_name,
        nullif(trim(snapshots.category_l2_name), '') as category_l2_name,
        nullif(trim(snapshots.category_l3_name), '') as category_l3_name,
        nullif(trim(snapshots.urgency), '') as urgency,

        -- location
        nullif(trim(snapshots.district), '') as district,
        nullif(trim(snapshots.town), '') as town,
        nullif(trim(snapshots.community), '') as community,

        -- routing
        nullif(trim(snapshots.handling_unit), '') as handling_unit,
        nullif(trim(snapshots.assisting_units), '') as assisting_units,

        -- timestamps (Asia/Shanghai local time)
        snapshots.received_at,
        snapshots.dispatched_at,
        snapshots.signed_at,
        snapshots.completed_at,
        snapshots.replied_at,
        snapshots.followed_up_at,
        snapshots.due_at,
        snapshots.time_limit_working_days,
        snapshots.time_limit_hours,

        -- status and result
        snapshots.is_extended,
        trim(snapshots.status) as status,
        snapshots.handling_result,
        nullif(trim(snapshots.follow_up_result), '') as follow_up_result,
        nullif(trim(snapshots.satisfaction), '') as satisfaction,
        snapshots.is_repeat,
        nullif(trim(snapshots.tags), '') as tags,
        -- the export's own on-time verdict, kept beside the computed one
        snapshots.is_on_time_reported,

        -- lineage: the profile that read the row, and whether its deadlines win (deadline: export)
        ledger.source_profile,
        coalesce(ledger.deadline_policy, 'export') as deadline_policy,
        -- the working days its deadlines and durations count: china (official) or weekdays
        coalesce(ledger.working_calendar, 'china') as working_calendar,
        snapshots._snapshot_date as snapshot_date,
        snapshots._loaded_at as loaded_at,
        snapshots._file_id as file_id,
        snapshots._file_name as file_name,
        snapshots._row_number as row_number
    from snapshots
    left join ledger on snapshots._file_id = ledger.file_id

)

select * from final
