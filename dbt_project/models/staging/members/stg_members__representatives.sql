-- One row per sector representative (界别群众库), latest export; name and phone only as keyed hashes.
with latest as (

    {{ latest_rows(source('raw', 'sector_representatives'), ['representative_id']) }}

),

final as (

    select
        -- ids
        representative_id,
        name_hash,
        phone_hash,
        -- where the representative sits
        sector_code,
        nullif(identity_type, '') as identity_type,
        library_kind,
        nullif(library, '') as library,
        nullif(town, '') as town,
        cast(nullif(update_year, '') as integer) as update_year,
        -- lineage: when the office first knew of the record, and the newest export
        first_seen_date,
        _snapshot_date as last_snapshot_date
    from latest

)

select * from final
