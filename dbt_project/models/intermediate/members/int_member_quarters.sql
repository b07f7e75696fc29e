-- Every quarter each member was active in, from the first quarter of the roster's records to
-- the quarter of the newest export. Part of a quarter counts (joined or left during it).
with members as (

    select * from {{ ref('stg_members__roster') }}

),

calendar as (

    select * from {{ ref('int_calendar_workdays') }}

),

data_range as (

    select min(members.started_date) as first_date, max(data_cut.as_of_date) as as_of_date
    from members
    cross join {{ ref('int_member_data_cut') }} as data_cut

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
