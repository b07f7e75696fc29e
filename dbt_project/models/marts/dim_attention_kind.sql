-- The kinds of item on the office's attention list (attention_kinds seed), published so that a
-- kind with nothing late today still shows, with a count of 0, in BI tools and the workbook.
with attention_kinds as (

    select * from {{ ref('attention_kinds') }}

),

final as (

    select
        attention_kind,
        label_zh as attention_kind_label,
        sort_order,
        note as description
    from attention_kinds

)

select * from final
