-- The status history of every work order, derived from successive export snapshots.
-- A timestamp column gives an event at its own time (a new 派单时间 after the first is a
-- re-dispatch); a status seen in an export (已退单, 已归档) or a flag turning on (是否延期)
-- gives an event on that export's date, its time unknown. A re-dispatch with no 已退单 seen
-- before it implies a send-back the daily exports missed (evidence 'inferred'); a dispatch
-- after the order was completed reopens it (重办: 'reopened'), which implies no send-back.
{%- set timestamp_events = [
    ('received_at', 'accepted'),
    ('signed_at', 'signed'),
    ('completed_at', 'completed'),
    ('replied_at', 'replied'),
    ('followed_up_at', 'followed_up'),
] %}
{%- set event_order = {
    'accepted': 1, 'dispatched': 2, 'sent_back': 3, 're_dispatched': 4, 'reopened': 4, 'signed': 5,
    'extended': 6, 'completed': 7, 'replied': 8, 'followed_up': 9, 'archived': 10,
} %}

{#- Incremental (docs/incremental.md): redoes the orders stg_hotline__work_orders redid in this
    build; an order with no export row left loses its events. #}
{{ config(
    materialized='incremental',
    unique_key='work_order_id',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    post_hook="{{ delete_orders_staging_dropped(this) }}",
) }}

with snapshots as (

    select * from {{ ref('stg_hotline__work_order_snapshots') }}
    {%- if is_incremental() %}
    where work_order_id in (
            select redone.work_order_id from {{ ref('stg_hotline__work_orders') }} as redone
            where redone.built_by_invocation_id = '{{ invocation_id }}'
        )
    {%- endif %}

),

stamped as (

    {%- for column, event in timestamp_events %}
    select
        work_order_id,
        '{{ event }}' as event_type,
        {{ column }} as event_at,
        min(snapshot_date) as seen_in_export_date
    from snapshots
    where {{ column }} is not null
    group by 1, 2, 3
    union all
    {%- endfor %}
    select
        work_order_id,
        case when dispatch_number = 1 then 'dispatched' else 're_dispatched' end as event_type,
        dispatched_at as event_at,
        seen_in_export_date
    from (
        select
            work_order_id,
            dispatched_at,
            min(snapshot_date) as seen_in_export_date,
            row_number() over (partition by work_order_id order by dispatched_at) as dispatch_number
        from snapshots
        where dispatched_at is not null
        group by 1, 2
    ) as dispatches

),

status_changes as (

    select
        work_order_id,
        snapshot_date,
        status,
        is_extended,
        lag(status) over (
            partition by work_order_id order by snapshot_date, loaded_at, row_number
        ) as previous_status,
        lag(is_extended) over (
            partition by work_order_id order by snapshot_date, loaded_at, row_number
        ) as previous_is_extended
    from snapshots

),

seen_in_exports as (

    select
        work_order_id,
        case
            when status = '已退单' then 'sent_back'
            when status = '已归档' then 'archived'
        end as event_type,
        cast(null as timestamp) as event_at,
        snapshot_date as seen_in_export_date
    from status_changes
    where status in ('已退单', '已归档') and coalesce(previous_status, '') != status

    union all

    select
        work_order_id,
        'extended' as event_type,
        cast(null as timestamp) as event_at,
        snapshot_date as seen_in_export_date
    from status_changes
    where is_extended and not coalesce(previous_is_extended, false)

),

first_completions as (

    select work_order_id, min(event_at) as completed_at
    from stamped
    where event_type = 'completed'
    group by 1

),

reopenings as (

    -- a dispatch after the order was completed: reopened (重办), not dispatched again after a send-back
    select
        stamped.work_order_id,
        case
            when stamped.event_type = 're_dispatched' and stamped.event_at > first_completions.completed_at
                then 'reopened'
            else stamped.event_type
        end as event_type,
        stamped.event_at,
        stamped.seen_in_export_date
    from stamped
    left join first_completions on stamped.work_order_id = first_completions.work_order_id

),

observed as (

    select
        *,
        'timestamp' as evidence,
        event_at as sort_at
    from reopenings
    union all
    select
        *,
        'export_status' as evidence,
        -- known only by its export date: sorts at the end of that day
        {{ dbt.dateadd('second', 86399, 'cast(seen_in_export_date as timestamp)') }} as sort_at
    from seen_in_exports

),

numbered as (

    select
        *,
        sum(case when event_type = 'sent_back' then 1 else 0 end) over (partition by work_order_id) as sent_backs,
        row_number() over (partition by work_order_id, event_type order by sort_at) as occurrence
    from observed

),

inferred as (

    -- a re-dispatch implies a send-back before it, even when no daily export caught 已退单
    select
        work_order_id,
        'sent_back' as event_type,
        cast(null as timestamp) as event_at,
        seen_in_export_date,
        'inferred' as evidence,
        {{ dbt.dateadd('second', -1, 'sort_at') }} as sort_at
    from numbered
    where event_type = 're_dispatched' and occurrence > sent_backs

),

events as (

    select work_order_id, event_type, event_at, seen_in_export_date, evidence, sort_at from observed
    union all
    select * from inferred

),

final as (

    select
        work_order_id,
        cast(row_number() over (
            partition by work_order_id
            order by
                sort_at,
                case event_type
                    {%- for event, position in event_order.items() %}
                    when '{{ event }}' then {{ position }}
                    {%- endfor %}
                end
        ) as integer) as event_sequence,
        event_type,
        event_at,
        coalesce(cast(event_at as date), seen_in_export_date) as event_date,
        seen_in_export_date,
        evidence
    from events

)

select * from final
