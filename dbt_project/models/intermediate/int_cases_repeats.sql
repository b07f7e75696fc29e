-- Repeat appeals and false closures by the rules in the case_rules seed (DOMAIN.md §3).
-- Repeat: an earlier appeal from the same caller (hashed phone) or the same address (hashed),
-- in the same level-3 category, within the window. False closure (假闭环): after an order
-- is completed, the same address and category appear again within the window in hours.
with cases as (

    select
        work_order_id,
        caller_phone_hash,
        address_hash,
        category_l2_name || '/' || coalesce(category_l3_name, '') as category_key,
        received_at,
        completed_at
    from {{ ref('stg_hotline__work_orders') }}

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
    from cases as later
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
    from cases as closed
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
        cases.work_order_id,
        latest_earlier.earlier_work_order_id is not null as is_repeat_by_rule,
        latest_earlier.earlier_work_order_id as repeat_of_work_order_id,
        false_closures.work_order_id is not null as is_false_closure
    from cases
    left join latest_earlier
        on cases.work_order_id = latest_earlier.work_order_id
        and latest_earlier.recency = 1
    left join false_closures on cases.work_order_id = false_closures.work_order_id

)

select * from final
