-- The year's grade per member, once the year has ended, with every ingredient on the row.
-- The rule (README, "Year-end grades"): a member who served the whole year is graded on the
-- year's points. A member who served part of it is credited, for the days not served, with what
-- a typical member earned on those days: the median points of the members who served the whole
-- year, minus their median points over the member's own days of service (both counted from the
-- records' dates, capped per quarter). A plenary held in January is in that median only for
-- members who served in January. Fewer days of service than the scoring_rules seed's
-- min_service_days_for_grade give no grade (the score_bands row without min_points).
with quarters as (

    select * from {{ ref('fct_member_quarterly_scores') }}

),

roster as (

    select * from {{ ref('stg_members__roster') }}

),

records as (

    select * from {{ ref('int_member_score_records') }}

),

rubric as (

    select * from {{ ref('scoring_rubric') }}

),

bands as (

    select * from {{ ref('score_bands') }}
    where min_points is not null

),

not_graded as (

    select max(band) as band from {{ ref('score_bands') }}
    where min_points is null

),

rules as (

    select coalesce(max(case when rule = 'min_service_days_for_grade' then value end), 0) as min_service_days
    from {{ ref('scoring_rules') }}

),

data_cut as (

    select as_of_date from {{ ref('int_member_data_cut') }}

),

years as (

    select
        quarters.member_id,
        cast(extract(year from quarters.quarter_start) as integer) as score_year,
        greatest(
            cast({{ dbt.date_trunc('year', 'min(quarters.quarter_start)') }} as date),
            cast('{{ var("scoring_start_date") }}' as date)
        ) as year_start,
        cast(
            {{ dbt.dateadd('day', -1, dbt.dateadd('year', 1, dbt.date_trunc('year', 'min(quarters.quarter_start)'))) }}
            as date
        ) as year_end,
        sum(quarters.total_points) as year_points
    from quarters
    group by 1, 2

),

service as (

    -- the days of the year the member served (the end date is the last day served)
    select
        years.member_id,
        roster.sector_code,
        years.score_year,
        years.year_start,
        years.year_end,
        years.year_points,
        greatest(roster.started_date, years.year_start) as service_start_date,
        least(coalesce(roster.ended_date, years.year_end), years.year_end) as service_end_date
    from years
    inner join roster on years.member_id = roster.member_id
    cross join data_cut
    -- a year is graded once it has ended
    where years.year_end < data_cut.as_of_date

),

windows as (

    select distinct score_year, service_start_date, service_end_date from service

),

benchmark_members as (

    -- the members who served the whole year
    select member_id, score_year from service
    where service_start_date = year_start and service_end_date = year_end

),

window_items as (

    -- each benchmark member's points on the days of each window, capped per quarter and item
    select
        windows.score_year,
        windows.service_start_date,
        windows.service_end_date,
        records.member_id,
        case
            when rubric.cap_per_quarter is null then sum(records.share) * rubric.points
            else least(sum(records.share) * rubric.points, rubric.cap_per_quarter)
        end as points
    from windows
    inner join benchmark_members on windows.score_year = benchmark_members.score_year
    inner join records
        on benchmark_members.member_id = records.member_id
        and records.record_date between windows.service_start_date and windows.service_end_date
    inner join rubric on records.item = rubric.item
    group by 1, 2, 3, 4, records.record_quarter, records.item, rubric.points, rubric.cap_per_quarter

),

window_points as (

    -- a benchmark member with no record in the window counts, with 0 points
    select
        windows.score_year,
        windows.service_start_date,
        windows.service_end_date,
        benchmark_members.member_id,
        coalesce(sum(window_items.points), 0) as points
    from windows
    inner join benchmark_members on windows.score_year = benchmark_members.score_year
    left join window_items
        on windows.score_year = window_items.score_year
        and windows.service_start_date = window_items.service_start_date
        and windows.service_end_date = window_items.service_end_date
        and benchmark_members.member_id = window_items.member_id
    group by 1, 2, 3, 4

),

window_medians as (

    select
        score_year,
        service_start_date,
        service_end_date,
        cast(count(*) as integer) as benchmark_members,
        {{ median_of('points') }} as median_points
    from window_points
    group by 1, 2, 3

),

measured as (

    select
        service.*,
        cast({{ dbt.datediff('service.service_start_date', 'service.service_end_date', 'day') }} + 1 as integer)
            as service_days,
        cast({{ dbt.datediff('service.year_start', 'service.year_end', 'day') }} + 1 as integer) as days_in_year,
        full_year.benchmark_members,
        full_year.median_points as median_points_full_year,
        own.median_points as expected_points,
        rules.min_service_days
    from service
    cross join rules
    left join window_medians as full_year
        on service.score_year = full_year.score_year
        and service.year_start = full_year.service_start_date
        and service.year_end = full_year.service_end_date
    left join window_medians as own
        on service.score_year = own.score_year
        and service.service_start_date = own.service_start_date
        and service.service_end_date = own.service_end_date

),

graded as (

    select
        measured.*,
        measured.service_days >= measured.min_service_days as is_graded,
        case
            when measured.service_days >= measured.min_service_days
                then coalesce(measured.median_points_full_year - measured.expected_points, 0)
        end as adjustment_points
    from measured

),

banded as (

    select
        graded.member_id,
        graded.score_year,
        max(bands.min_points) as band_min_points
    from graded
    inner join bands on graded.year_points + graded.adjustment_points >= bands.min_points
    where graded.is_graded
    group by 1, 2

),

next_bands as (

    select
        banded.member_id,
        banded.score_year,
        min(bands.min_points) as next_band_min_points
    from banded
    inner join bands on bands.min_points > banded.band_min_points
    group by 1, 2

),

thresholds as (

    select
        {{ dbt.listagg(
            "band || '≥' || case when min_points = floor(min_points) then cast(cast(min_points as integer) as varchar)"
            ~ " else cast(min_points as varchar) end",
            "'；'",
            'order by min_points desc',
        ) }} as band_thresholds
    from bands

),

final as (

    select
        graded.member_id,
        graded.sector_code,
        graded.score_year,
        graded.service_start_date,
        graded.service_end_date,
        graded.service_days,
        graded.days_in_year,
        graded.service_days = graded.days_in_year as is_full_year,
        graded.year_points,
        graded.benchmark_members,
        graded.median_points_full_year,
        graded.expected_points,
        graded.min_service_days,
        graded.is_graded,
        graded.adjustment_points,
        graded.year_points + graded.adjustment_points as graded_points,
        banded.band_min_points,
        next_bands.next_band_min_points,
        thresholds.band_thresholds,
        case when graded.is_graded then bands.band else not_graded.band end as grade
    from graded
    cross join thresholds
    cross join not_graded
    left join banded on graded.member_id = banded.member_id and graded.score_year = banded.score_year
    left join next_bands on graded.member_id = next_bands.member_id and graded.score_year = next_bands.score_year
    left join bands on banded.band_min_points = bands.min_points

)

select * from final
