-- Work orders whose newest export row was quarantined: the warehouse still shows them in an
-- older state, which the order's row in raw.quarantine explains.
with cases as (

    select work_order_id, last_snapshot_date from {{ ref('stg_hotline__work_orders') }}

),

quarantined as (

    select * from {{ ref('stg_hotline__quarantined_rows') }}

),

final as (

    select
        cases.work_order_id,
        max(quarantined.snapshot_date) as newest_quarantined_snapshot_date
    from cases
    inner join quarantined on cases.work_order_id = quarantined.record_key
    where quarantined.snapshot_date > cases.last_snapshot_date
    group by 1

)

select * from final
