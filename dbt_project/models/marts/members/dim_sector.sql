-- One row per sector (界别) of the committee's 17-sector roll-up, with its sub-sectors.
with sectors as (

    select * from {{ ref('stg_members__sectors') }}

),

final as (

    select
        sector_code,
        max(sector_name) as sector_name,
        {{ dbt.listagg('sub_sector_name', "'、'", 'order by sub_sector_code') }} as sub_sectors,
        cast(count(sub_sector_code) as integer) as sub_sector_count
    from sectors
    group by 1

)

select * from final
