-- Every quarter each member was active in, from the first quarter of the roster's records to
-- the quarter of the newest duty record (never past the newest export). Part of a quarter
-- counts (joined or left during it). The office exports each register some days after a
-- quarter ends, so the quarter of the export date itself holds no records yet: it is left out
-- until one arrives, rather than published as a quarter of zeros.
with members as (

    select * from {{ ref('stg_members__roster') }}

),

calendar as (

    select * from {{ ref('int_calendar_workdays') }}

),

newest_record as (

    select max(record_date) as record_date
    from (
        select max(activity_date) as record_date from {{ ref('stg_members__activities') }}
        union all
        select max(shift_date) as record_date from {{ ref('stg_members__hotline_shifts') }}
        union all
        select max(submitted_date) as record_date from {{ ref('stg_members__proposals') }}
        union all
        select max(submitted_date) as record_date from {{ ref('stg_members__opinion_reports') }}
        union all
        select max(step_date) as record_date from {{ ref('stg_members__liaison_steps') }}
    ) as registers

),

data_range as (

    select
        min(members.started_date) as first_date,
        least(max(data_cut.as_of_date), max(newest_record.record_date)) as as_of_date
    from members
    cross join {{ ref('int_member_data_cut') }} as data_cut
    cross join newest_record

),

quarters as (

    select distinct cast({{ dbt.date_trunc('quarter', 'calendar.calendar_date') }} as date) as quarter_start
    from calendar
    cross join data_range
    where calendar.calendar_date
        between greatest(data_range.first_date, cast('{{ var("scoring_start_date") }}' as date))
        and data_range.as_of_date

),

final as (

    select
        members.member_id,
        members.sector_code,
        {{ quarter_label('quarters.quarter_start') }} as quarter,
        quarters.quarter_start,
        cast({{ dbt.dateadd('month', 3, 'quarters.quarter_start') }} as date) as quarter_end
    from members
    inner join quarters
        on members.started_date < {{ dbt.dateadd('month', 3, 'quarters.quarter_start') }}
        and (members.ended_date is null or members.ended_date >= quarters.quarter_start)

)

select * from final
