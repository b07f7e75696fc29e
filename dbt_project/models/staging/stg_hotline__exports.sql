-- Every hotline export loaded, one row per file, rows or none: an export that listed no order
-- (a daily delta on a day nothing changed) still says how far its source has been exported.
-- A hotline export's ledger row names its profile's deadline policy; the office's registers
-- leave it empty.
with ledger as (

    select * from {{ source('raw', 'load_ledger') }}

),

final as (

    select
        file_id,
        file_name,
        source_profile,
        snapshot_date,
        rows_loaded
    from ledger
    where status = 'loaded' and deadline_policy is not null

)

select * from final
