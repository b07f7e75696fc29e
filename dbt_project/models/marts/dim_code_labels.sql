-- The Chinese label of every English code a published mart holds (event types, evidence,
-- deadline sources, trends, period grains), from the code_labels seed: join on
-- code_set = '<column name>' and code = <the column>.
with labels as (

    select * from {{ ref('code_labels') }}

),

final as (

    select
        code_set,
        code,
        label_zh,
        note as description
    from labels

)

select * from final
