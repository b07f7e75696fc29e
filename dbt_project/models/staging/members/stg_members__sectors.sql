-- One row per sector and sub-sector (界别).
with latest as (

    {{ latest_rows(source('raw', 'committee_sectors'), ['sector_code', "coalesce(sub_sector_code, '')"]) }}

),

final as (

    select
        sector_code,
        sector_name,
        nullif(sub_sector_code, '') as sub_sector_code,
        nullif(sub_sector_name, '') as sub_sector_name,
        -- lineage: when the office first knew of the record, and the newest export
        first_seen_date,
        _snapshot_date as last_snapshot_date
    from latest

)

select * from final
