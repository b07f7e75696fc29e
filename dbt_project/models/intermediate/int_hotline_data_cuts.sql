-- Each source's data cut: the date of its newest export, "now" for its open orders (so reruns
-- give the same answer and a source exported monthly is not judged by another's newer export).
-- From the ledger as well as the rows: an export that listed no order still moves the cut, so
-- that an order left open in the export before is judged as of that newer day.
with exports as (

    select * from {{ ref('stg_hotline__exports') }}

),

work_orders as (

    select * from {{ ref('stg_hotline__work_orders') }}

),

newest as (

    select source_profile, max(snapshot_date) as as_of_date from exports
    group by 1
    union all
    select source_profile, max(last_snapshot_date) as as_of_date from work_orders
    group by 1

),

final as (

    select
        source_profile,
        max(as_of_date) as as_of_date
    from newest
    group by 1

)

select * from final
