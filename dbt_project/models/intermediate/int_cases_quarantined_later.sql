-- Work orders whose newest export row was quarantined: the warehouse still shows them in an
-- older state, which the order's row in raw.quarantine explains.
with cases as (

    select work_order_id, last_snapshot_date from {{ ref('stg_hotline__work_orders') }}

),

quarantine as (

    select file_id, record_key from {{ source('raw', 'quarantine') }} where record_key is not null

),

ledger as (

    select file_id, snapshot_date from {{ source('raw', 'load_ledger') }}

),

final as (

    select
        cases.work_order_id,
        max(ledger.snapshot_date) as newest_quarantined_snapshot_date
    from cases
    inner join quarantine on cases.work_order_id = quarantine.record_key
    inner join ledger on quarantine.file_id = ledger.file_id
    where ledger.snapshot_date > cases.last_snapshot_date
    group by 1

)

select * from final
