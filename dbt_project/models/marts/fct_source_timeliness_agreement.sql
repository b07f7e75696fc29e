-- Where an export gives its own on-time verdict, how often it agrees with the warehouse's
-- (completion compared with the deadline by timestamp). A low agreement means the city
-- counts differently (by date, from another clock start, with other pauses): look before
-- comparing the published rate with the city's own.
with cases as (

    select * from {{ ref('fct_cases') }}

),

final as (

    select
        source_profile,
        count(*) as work_orders,
        count(is_on_time_reported) as with_reported_verdict,
        cast(
            sum(case when is_on_time_reported is not null and is_completed_on_time is not null then 1 else 0 end)
            as {{ dbt.type_bigint() }}
        ) as compared,
        cast(sum(case when is_on_time_reported = is_completed_on_time then 1 else 0 end) as {{ dbt.type_bigint() }})
            as agreeing,
        {{ safe_ratio(
            'sum(case when is_on_time_reported = is_completed_on_time then 1 else 0 end)',
            'sum(case when is_on_time_reported is not null and is_completed_on_time is not null then 1 else 0 end)'
        ) }} as agreement_rate
    from cases
    group by 1

)

select * from final
