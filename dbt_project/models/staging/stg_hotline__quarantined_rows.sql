-- Quarantined export rows that name their record, with the date of the export they came from.
with quarantine as (

    select * from {{ source('raw', 'quarantine') }}

),

ledger as (

    select file_id, snapshot_date from {{ source('raw', 'load_ledger') }}

),

final as (

    select
        quarantine.file_id,
        quarantine.row_number,
        quarantine.record_key,
        quarantine.reason,
        ledger.snapshot_date
    from quarantine
    inner join ledger on quarantine.file_id = ledger.file_id
    where quarantine.record_key is not null

)

select * from final
