-- The score items of every frozen quarter, as they stood when first built after the freeze.
-- Append-only and never rebuilt (full_refresh: false): a frozen quarter's published scores
-- never change, whatever arrives or whatever the rubric says later.
{{ config(materialized='incremental', full_refresh=false, on_schema_change='fail') }}

with live as (

    select * from {{ ref('int_member_score_items_live') }}

),

freezes as (

    select * from {{ ref('stg_members__score_freezes') }}

),

final as (

    select live.*, freezes.frozen_date
    from live
    inner join freezes on live.quarter = freezes.quarter
    {%- if is_incremental() %}
    where live.quarter not in (select distinct built.quarter from {{ this }} as built)
    {%- endif %}

)

select * from final
