-- Each member's total per quarter, rank within the sector and overall, and, once a year is
-- complete, the year's total and band (score_bands seed).
with items as (

    select * from {{ ref('fct_member_score_items') }}

),

bands as (

    select * from {{ ref('score_bands') }}

),

quarters as (

    select
        member_id,
        sector_code,
        quarter,
        quarter_start,
        {{ dbt.dateadd('month', 3, 'quarter_start') }} as quarter_end,
        sum(points) as total_points,
        bool_and(is_frozen) as is_frozen
    from items
    group by 1, 2, 3, 4, 5

),

data_cut as (

    select as_of_date from {{ ref('int_member_data_cut') }}

),

years as (

    select
        member_id,
        extract(year from quarter_start) as score_year,
        sum(total_points) as year_points,
        count(*) as quarters_active
    from quarters
    group by 1, 2

),

banded as (

    select
        years.member_id,
        years.score_year,
        years.year_points,
        max(bands.min_points) as band_floor
    from years
    cross join data_cut
    -- a member active only part of the year is banded on the year's pace (points × 4 / quarters)
    inner join bands on years.year_points * 4.0 / years.quarters_active >= bands.min_points
    -- a year gets its band once it has ended
    where cast(cast(years.score_year as integer) + 1 || '-01-01' as date) <= data_cut.as_of_date
    group by 1, 2, 3

),

final as (

    select
        quarters.member_id,
        quarters.sector_code,
        quarters.quarter,
        quarters.quarter_start,
        quarters.total_points,
        -- a quarter still running is shown, but nobody is ranked on half a quarter
        case
            when quarters.quarter_end <= data_cut.as_of_date then
                cast(rank() over (
                    partition by quarters.quarter, quarters.sector_code order by quarters.total_points desc
                ) as integer)
        end as rank_in_sector,
        case
            when quarters.quarter_end <= data_cut.as_of_date then
                cast(rank() over (partition by quarters.quarter order by quarters.total_points desc) as integer)
        end as rank_overall,
        quarters.is_frozen,
        banded.year_points,
        bands.band as year_band
    from quarters
    cross join data_cut
    left join banded
        on quarters.member_id = banded.member_id
        and extract(year from quarters.quarter_start) = banded.score_year
    left join bands on banded.band_floor = bands.min_points

)

select * from final
