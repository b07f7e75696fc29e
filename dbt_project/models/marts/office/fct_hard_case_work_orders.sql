-- One row per hard case and work order it names (关联工单): the register's list split into rows,
-- with what the warehouse knows of each order (nulls when the order is not in fct_cases).
with hard_cases as (

    select case_id, linked_work_order_ids
    from {{ ref('stg_committee__hard_cases') }}
    where linked_work_order_ids is not null

),

links as (

    select distinct split.case_id, split.work_order_id
    from (
        select case_id, trim({{ split_into_rows('linked_work_order_ids', '；') }}) as work_order_id
        from hard_cases
    ) as split
    where split.work_order_id != ''

),

cases as (

    select work_order_id, received_date, appeal_type, category_l3_name, town, handling_unit, status, is_completed
    from {{ ref('fct_cases') }}

),

final as (

    select
        links.case_id,
        links.work_order_id,
        cases.work_order_id is not null as is_in_warehouse,
        cases.received_date,
        cases.appeal_type,
        cases.category_l3_name,
        cases.town,
        cases.handling_unit,
        cases.status,
        cases.is_completed
    from links
    left join cases on links.work_order_id = cases.work_order_id

)

select * from final
