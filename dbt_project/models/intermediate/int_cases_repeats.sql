-- Repeat appeals and false closures by the rules in the case_rules seed (DOMAIN.md §3).
-- Repeat: an earlier appeal from the same caller (hashed phone) or the same address (hashed),
-- in the same level-3 category, within the window. False closure (假闭环): after an order
-- is completed, the same address and category appear again within the window in hours.

{#- Incremental (docs/incremental.md): an order's verdicts depend only on the orders that share
    its phone or its address, in its category. A build redoes every order that shares one of
    those with an order staging redid or dropped, by its keys now and by its keys as this model
    last saw them (kept in the rows for that), and the orders themselves. #}
{{ config(
    materialized='incremental',
    unique_key='work_order_id',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    post_hook="{{ delete_orders_staging_dropped(this) }}",
) }}

with void_statuses as (

    select status from {{ ref('work_order_statuses') }}
    where is_void

),

cases as (

    -- a void order (已作废: withdrawn, a duplicate) repeats nothing and nothing repeats it: no keys
    select
        orders.work_order_id,
        case when void_statuses.status is null then orders.caller_phone_hash end as caller_phone_hash,
        case when void_statuses.status is null then orders.address_hash end as address_hash,
        orders.category_l2_name || '/' || coalesce(orders.category_l3_name, '') as category_key,
        orders.received_at,
        orders.completed_at{% if is_incremental() %},
        orders.built_by_invocation_id = '{{ invocation_id }}' as is_redone{% endif %}
    from {{ ref('stg_hotline__work_orders') }} as orders
    left join void_statuses on orders.status = void_statuses.status

),

{%- if is_incremental() %}

changed_keys as (

    select
        caller_phone_hash,
        address_hash,
        category_key
    from cases
    where is_redone
    union
    select previous.caller_phone_hash, previous.address_hash, previous.category_key
    from {{ this }} as previous
    left join cases on previous.work_order_id = cases.work_order_id
    where cases.work_order_id is null or cases.is_redone

),

redo_orders as (

    select work_order_id from cases
    where is_redone
    {%- for key in ['caller_phone_hash', 'address_hash'] %}
    union
    select cases.work_order_id
    from cases
    inner join changed_keys
        on cases.{{ key }} = changed_keys.{{ key }}
        and cases.category_key = changed_keys.category_key
    {%- endfor %}

),

{%- endif %}

-- the orders whose verdicts this build decides
deciding as (

    select * from cases
    {%- if is_incremental() %}
    where work_order_id in (select redo_orders.work_order_id from redo_orders)
    {%- endif %}

),

rules as (

    select
        max(case when rule = 'repeat_window_days' then value end) as repeat_window_days,
        max(case when rule = 'false_closure_window_hours' then value end) as false_closure_window_hours
    from {{ ref('case_rules') }}

),

earlier_appeals as (

    {%- for key in ['caller_phone_hash', 'address_hash'] %}
    select
        later.work_order_id,
        earlier.work_order_id as earlier_work_order_id,
        earlier.received_at as earlier_received_at
    from deciding as later
    cross join rules
    inner join cases as earlier
        on later.{{ key }} = earlier.{{ key }}
        and later.category_key = earlier.category_key
        and earlier.received_at < later.received_at
        and later.received_at <= {{ dbt.dateadd('day', 'rules.repeat_window_days', 'earlier.received_at') }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

),

latest_earlier as (

    select
        work_order_id,
        earlier_work_order_id,
        row_number() over (
            partition by work_order_id order by earlier_received_at desc, earlier_work_order_id desc
        ) as recency
    from earlier_appeals

),

false_closures as (

    select distinct closed.work_order_id
    from deciding as closed
    cross join rules
    inner join cases as again
        on closed.address_hash = again.address_hash
        and closed.category_key = again.category_key
        and again.received_at > closed.completed_at
        and again.received_at <= {{ dbt.dateadd('hour', 'rules.false_closure_window_hours', 'closed.completed_at') }}
    where closed.completed_at is not null

),

final as (

    select
        deciding.work_order_id,
        latest_earlier.earlier_work_order_id is not null as is_repeat_by_rule,
        latest_earlier.earlier_work_order_id as repeat_of_work_order_id,
        false_closures.work_order_id is not null as is_false_closure,
        -- the keys matched on, as this build saw them: the next build finds the orders a change touches
        deciding.caller_phone_hash,
        deciding.address_hash,
        deciding.category_key
    from deciding
    left join latest_earlier
        on deciding.work_order_id = latest_earlier.work_order_id
        and latest_earlier.recency = 1
    left join false_closures on deciding.work_order_id = false_closures.work_order_id

)

select * from final
