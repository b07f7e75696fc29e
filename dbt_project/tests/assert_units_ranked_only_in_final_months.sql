-- A unit ranking is published only for a month final for every unit (macros/period_maturity.sql):
-- a rank in a month where some unit's rates can still move would be a ranking by data cut.
with units as (

    select * from {{ ref('kpi_unit_monthly') }}

),

months as (

    select period_start, bool_and(is_final) as is_month_final, count(unit_rank) as ranked_units
    from units
    group by period_start

),

final as (

    select *
    from months
    where not is_month_final and ranked_units > 0

)

select * from final
