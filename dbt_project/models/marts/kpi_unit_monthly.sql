-- Hotline KPIs per handling unit and month, with the weighted three-rate score (响应, 解决,
-- 满意; weights in the unit_score_weights seed) and the unit's rank in the month.
-- A rate with no denominator drops out and the other weights carry the score. Units are ranked
-- only in a month final for every unit: a provisional month (macros/period_maturity.sql) would
-- rank units by how late in the month their orders came.
with unit_kpis as (

    select * from {{ ref('int_unit_kpis_monthly') }}

),

weights as (

    select
        max(case when component = 'response' then weight end) as response_weight,
        max(case when component = 'resolution' then weight end) as resolution_weight,
        max(case when component = 'satisfaction' then weight end) as satisfaction_weight
    from {{ ref('unit_score_weights') }}

),

rules as (

    select max(case when rule = 'unit_rank_min_dispatched' then value end) as min_dispatched
    from {{ ref('case_rules') }}

),

month_status as (

    -- the month is final for every unit (so for the city: every order has a unit or '(未填)')
    select period_start, bool_and(is_final) as is_month_final
    from unit_kpis
    group by period_start

),

scored as (

    select
        unit_kpis.*,
        100.0 * (
            coalesce(unit_kpis.signed_on_time_rate * weights.response_weight, 0)
            + coalesce(unit_kpis.completion_rate * weights.resolution_weight, 0)
            + coalesce(unit_kpis.satisfaction_rate * weights.satisfaction_weight, 0)
        ) / nullif(
            case when unit_kpis.signed_on_time_rate is not null then weights.response_weight else 0 end
            + case when unit_kpis.completion_rate is not null then weights.resolution_weight else 0 end
            + case when unit_kpis.satisfaction_rate is not null then weights.satisfaction_weight else 0 end,
            0
        ) as unit_score,
        case
            when unit_kpis.handling_unit = '(未填)' then 'no_unit'
            when not month_status.is_month_final then 'month_provisional'
            when unit_kpis.dispatched < rules.min_dispatched or unit_kpis.dispatched is null then 'too_few_dispatched'
        end as unranked_reason
    from unit_kpis
    cross join weights
    cross join rules
    inner join month_status on unit_kpis.period_start = month_status.period_start

),

flagged as (

    select
        *,
        unranked_reason is null as is_ranked
    from scored

),

final as (

    select
        *,
        case
            when is_ranked and unit_score is not null then
                cast(rank() over (
                    partition by period_start, (is_ranked and unit_score is not null)
                    order by unit_score desc
                ) as integer)
        end as unit_rank
    from flagged

)

select * from final
