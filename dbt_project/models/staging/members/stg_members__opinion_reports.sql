-- One row per 社情民意 report.
with latest as (

    {{ latest_rows(source('raw', 'member_opinion_reports'), ['report_id']) }}

),

final as (

    select
        report_id,
        member_id,
        title,
        submitted_date,
        coalesce(is_adopted, false) as is_adopted,
        coalesce(is_endorsed, false) as is_endorsed,
        -- lineage: when the office first knew of the record, and the newest export
        first_seen_date,
        _snapshot_date as last_snapshot_date
    from latest

)

select * from final
