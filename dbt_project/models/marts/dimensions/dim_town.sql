-- Towns, streets and parks (镇街园区) of the districts the hotline serves (seed towns), plus
-- any place a work order names that the seed does not list, so that every fct_cases row
-- finds its town here.
with listed as (

    select * from {{ ref('towns') }}

),

cases as (

    select distinct district, town from {{ ref('fct_cases') }}
    where town is not null

),

unlisted as (

    select
        cast(null as varchar) as district_code,
        cases.district,
        cases.town,
        'unlisted' as kind,
        'unlisted' as status
    from cases
    where not exists (
            select 1 from listed
            where listed.town = cases.town and listed.district is not distinct from cases.district
        )

),

towns as (

    select district_code, district, town, kind, status from listed
    union all
    select * from unlisted

),

final as (

    select
        coalesce(district, '') || '/' || town as town_key,
        district_code,
        district,
        town,
        kind as town_kind,
        case kind
            when 'town' then '镇'
            when 'street' then '街道'
            when 'park' then '园区'
            else '未登记'
        end as town_kind_zh,
        status as town_status,
        case status
            when 'current' then '现行'
            when 'historical' then '已撤并（旧称）'
            else '未登记'
        end as town_status_zh
    from towns

)

select * from final
