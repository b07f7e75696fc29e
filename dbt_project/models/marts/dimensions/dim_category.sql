-- The appeal category tree (DB44/T 2479-2024), one row per node at any of its three levels,
-- so that a fact at any level (fct_cases, kpi_category_l1/l2/l3_monthly) joins on its code
-- and rolls up by the level_1/level_2 columns.
with tree as (

    select * from {{ ref('appeal_categories') }}

),

nodes as (

    select distinct
        1 as category_level,
        level_1_code as category_code,
        level_1_name as category_name,
        cast(null as varchar) as parent_code,
        level_1_code,
        level_1_name,
        cast(null as varchar) as level_2_code,
        cast(null as varchar) as level_2_name
    from tree

    union all

    select distinct
        2 as category_level,
        level_2_code as category_code,
        level_2_name as category_name,
        level_1_code as parent_code,
        level_1_code,
        level_1_name,
        level_2_code,
        level_2_name
    from tree

    union all

    select
        3 as category_level,
        level_3_code as category_code,
        level_3_name as category_name,
        level_2_code as parent_code,
        level_1_code,
        level_1_name,
        level_2_code,
        level_2_name
    from tree

),

final as (

    select
        category_code,
        category_level,
        case category_level when 1 then '一级分类' when 2 then '二级分类' else '三级分类' end as category_level_zh,
        category_name,
        parent_code,
        level_1_code,
        level_1_name,
        level_2_code,
        level_2_name,
        level_1_name
        || coalesce(' > ' || level_2_name, '')
        || case when category_level = 3 then ' > ' || category_name else '' end as category_path
    from nodes

)

select * from final
