-- Each member's total per quarter and rank within the sector and overall. Quarter scores stay
-- points: the year's grade is fct_member_yearly_grades.
with items as (

    select * from {{ ref('fct_member_score_items') }}

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
        quarters.is_frozen
    from quarters
    cross join data_cut

)

select * from final
