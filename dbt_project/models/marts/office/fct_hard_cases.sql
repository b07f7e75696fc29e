-- One row per hard case (疑难件): its stage, age, deadline and overdue flag as of the register's
-- newest export, the work orders it names, and the appeals in its category and town over a
-- window before and after the consultation (window in the supervision_rules seed), so the
-- office sees whether the problem quietened after the consultation.
with hard_cases as (

    select * from {{ ref('stg_committee__hard_cases') }}

),

statuses as (

    select * from {{ ref('hard_case_statuses') }}

),

links as (

    select * from {{ ref('fct_hard_case_work_orders') }}

),

cases as (

    select category_l3_name, town, received_date, as_of_date from {{ ref('fct_cases') }}
    where not coalesce(is_void, false)  -- a void order is no appeal

),

calendar as (

    select calendar_date, workday_index from {{ ref('int_calendar_workdays') }}

),

rules as (

    select max(case when rule = 'hard_case_appeal_window_days' then value end) as window_days
    from {{ ref('supervision_rules') }}

),

register_cut as (

    -- the register's newest export: "now" for open cases, so reruns give the same answer
    select max(last_snapshot_date) as as_of_date from hard_cases

),

hotline_cut as (

    select min(received_date) as first_received_date, max(as_of_date) as hotline_as_of_date from cases

),

link_counts as (

    select
        case_id,
        count(*) as linked_work_orders,
        sum(case when is_in_warehouse then 1 else 0 end) as linked_work_orders_found
    from links
    group by 1

),

linked_scope as (

    -- a case registered by its work orders only: the category and town most of them share
    select case_id, category_l3_name, town
    from (
        select
            case_id,
            category_l3_name,
            town,
            row_number() over (
                partition by case_id order by count(*) desc, category_l3_name asc, town asc
            ) as scope_rank
        from links
        where is_in_warehouse and category_l3_name is not null
        group by case_id, category_l3_name, town
    ) as ranked
    where scope_rank = 1

),

scoped as (

    select
        hard_cases.*,
        coalesce(hard_cases.linked_category_l3_name, linked_scope.category_l3_name) as scope_category_l3_name,
        coalesce(hard_cases.linked_town, linked_scope.town) as scope_town,
        case
            when hard_cases.linked_category_l3_name is not null and hard_cases.linked_town is not null
                then 'register'
            when linked_scope.case_id is not null then 'linked work orders'
        end as scope_source,
        cast(coalesce(link_counts.linked_work_orders, 0) as integer) as linked_work_orders,
        cast(coalesce(link_counts.linked_work_orders_found, 0) as integer) as linked_work_orders_found,
        hard_cases.consulted_date is not null
        and coalesce(hard_cases.linked_category_l3_name, linked_scope.category_l3_name) is not null
        and coalesce(hard_cases.linked_town, linked_scope.town) is not null as is_measurable,
        statuses.stage,
        statuses.stage_label,
        statuses.stage_order,
        statuses.is_closed,
        register_cut.as_of_date,
        rules.window_days,
        coalesce(hard_cases.closed_date, register_cut.as_of_date) as age_end_date,
        {{ dbt.datediff('hotline_cut.first_received_date', 'hard_cases.consulted_date', 'day') }} as data_days_before,
        {{ dbt.datediff('hard_cases.consulted_date', 'hotline_cut.hotline_as_of_date', 'day') }} as data_days_after
    from hard_cases
    cross join register_cut
    cross join rules
    cross join hotline_cut
    left join statuses on hard_cases.status = statuses.status
    left join link_counts on hard_cases.case_id = link_counts.case_id
    left join linked_scope on hard_cases.case_id = linked_scope.case_id

),

appeals as (

    select
        scoped.case_id,
        sum(
            case
                when cases.received_date < scoped.consulted_date
                    and cases.received_date >= scoped.consulted_date - scoped.window_days then 1
                else 0
            end
        ) as scope_appeals_before,
        sum(
            case
                when cases.received_date >= scoped.consulted_date
                    and cases.received_date < scoped.consulted_date + scoped.window_days then 1
                else 0
            end
        ) as scope_appeals_after
    from scoped
    inner join cases
        on scoped.scope_category_l3_name = cases.category_l3_name
        and scoped.scope_town = cases.town
        and cases.received_date >= scoped.consulted_date - scoped.window_days
        and cases.received_date < scoped.consulted_date + scoped.window_days
    where scoped.consulted_date is not null
    group by 1

),

final as (

    select
        -- ids
        scoped.case_id,
        scoped.title,

        -- what it is about
        scoped.linked_work_orders,
        scoped.linked_work_orders_found,
        scoped.scope_category_l3_name,
        scoped.scope_town,
        scoped.scope_source,

        -- who
        scoped.lead_unit,
        scoped.responsible_member_id,

        -- stage and dates
        scoped.status,
        scoped.stage,
        scoped.stage_label,
        scoped.stage_order,
        scoped.is_closed,
        scoped.opened_date,
        scoped.consulted_date,
        scoped.agreed_measures,
        scoped.deadline_date,
        scoped.closed_date,
        scoped.result,

        -- age: until closed, or until the register's newest export while open
        cast({{ dbt.datediff('scoped.opened_date', 'scoped.age_end_date', 'day') }} as integer) as age_days,
        cast(age_end.workday_index - opened.workday_index as integer) as age_working_days,

        -- deadline: past it and not closed
        coalesce(not scoped.is_closed and scoped.deadline_date < scoped.as_of_date, false) as is_overdue,
        case
            when not scoped.is_closed and scoped.deadline_date < scoped.as_of_date
                then cast({{ dbt.datediff('scoped.deadline_date', 'scoped.as_of_date', 'day') }} as integer)
        end as days_overdue,
        coalesce(scoped.is_closed and scoped.closed_date > scoped.deadline_date, false) as is_closed_late,

        -- appeals in the case's category and town around the consultation
        cast(scoped.window_days as integer) as appeal_window_days,
        case
            when scoped.consulted_date is not null
                then cast(least(scoped.window_days, greatest(0, scoped.data_days_before)) as integer)
        end as days_before_observed,
        case
            when scoped.consulted_date is not null
                then cast(least(scoped.window_days, greatest(0, scoped.data_days_after + 1)) as integer)
        end as days_after_observed,
        case
            when scoped.is_measurable then cast(coalesce(appeals.scope_appeals_before, 0) as {{ dbt.type_bigint() }})
        end as scope_appeals_before,
        case
            when scoped.is_measurable then cast(coalesce(appeals.scope_appeals_after, 0) as {{ dbt.type_bigint() }})
        end as scope_appeals_after,

        -- lineage
        scoped.as_of_date,
        scoped.first_seen_date,
        scoped.last_snapshot_date
    from scoped
    left join appeals on scoped.case_id = appeals.case_id
    left join calendar as opened on scoped.opened_date = opened.calendar_date
    left join calendar as age_end on scoped.age_end_date = age_end.calendar_date

)

select * from final
