-- What each consultation topic covers: one row per linked level-3 category and town.
with topics as (

    select * from {{ ref('stg_committee__topics') }}

),

categories as (

    select topic_id, trim({{ split_into_rows('linked_categories', '；') }}) as category_l3_name
    from topics

),

towns as (

    select topic_id, trim({{ split_into_rows('linked_towns', '；') }}) as town
    from topics

),

final as (

    select distinct
        categories.topic_id,
        categories.category_l3_name,
        towns.town
    from categories
    inner join towns on categories.topic_id = towns.topic_id
    where categories.category_l3_name != '' and towns.town != ''

)

select * from final
