-- One row per sub-sector (子界别) with its sector: the list dim_sector joins into sub_sectors,
-- as rows a BI tool can join and count.
with sectors as (

    select * from {{ ref('stg_members__sectors') }}

),

final as (

    select
        sub_sector_code,
        sub_sector_name,
        sector_code,
        sector_name
    from sectors
    where sub_sector_code is not null

)

select * from final
