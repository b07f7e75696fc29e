-- Handling units (承办单位) as the work orders name them: one row per unit name, with when
-- it first and last received an order, so BI tools filter units and join kpi_unit_monthly
-- and fct_cases on unit_name.
with cases as (

    select * from {{ ref('fct_cases') }}
    where handling_unit is not null

),

final as (

    select
        handling_unit as unit_name,
        min(received_date) as first_received_date,
        max(received_date) as last_received_date,
        count(*) as work_orders,
        count(distinct town) as towns_served
    from cases
    group by handling_unit

)

select * from final
