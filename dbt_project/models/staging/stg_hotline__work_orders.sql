-- Latest state of each work order from the successive export snapshots.
-- Incremental (docs/incremental.md): a daily build redoes only the orders whose snapshot rows
-- changed since the last build (a new export, a late export, a reload of a fixed file, any
-- edit); orders left with no row are deleted. When only new exports came (or ledger rows
-- changed), `hotline build` names them in build_plan.hotline_changed_files just before dbt runs
-- (pipeline/build_state.py, from each file's fingerprint; dropped at the start of every build)
-- and the orders with a row in them are redone. Without that table (an export went away or its
-- rows changed, or no earlier build to compare with) each order's row count and hash of its rows
-- tell, at the cost of hashing every snapshot row (scale 10: 2.1–2.5 s, against 0.25 s by the list).
{%- set changed_files = none %}
{%- if is_incremental() and execute %}
    {%- set changed_files = adapter.get_relation(
        database=this.database, schema='build_plan', identifier='hotline_changed_files'
    ) %}
{%- endif %}
{{ config(
    materialized='incremental',
    unique_key='work_order_id',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    post_hook="delete from {{ this }} where work_order_id not in (select work_order_id from "
        "{{ ref('stg_hotline__work_order_snapshots') }} where work_order_id is not null)",
) }}

-- these two CTEs are not materialized: an incremental build reads them twice (the changed
-- orders, then their rows), and DuckDB would otherwise materialise one of them, every column of
-- every snapshot row; at scale 10 that spilled past the memory limit: 14 s instead of 4
with all_snapshots as not materialized (

    select * from {{ ref('stg_hotline__work_order_snapshots') }}

),

hashed_snapshots as not materialized (

    select
        *,
        hash(all_snapshots) as row_hash
    from all_snapshots

),

{%- if is_incremental() and changed_files is not none %}

changed_orders as (

    select distinct all_snapshots.work_order_id
    from all_snapshots
    where all_snapshots.file_id in (
            select changed.file_id from {{ changed_files }} as changed
        )

),
{%- elif is_incremental() %}

now_built as (

    select
        work_order_id,
        count(*) as snapshot_count,
        cast(sum(row_hash) as hugeint) as snapshots_hash
    from hashed_snapshots
    group by 1

),

changed_orders as (

    select coalesce(now_built.work_order_id, built.work_order_id) as work_order_id
    from now_built
    full outer join {{ this }} as built
        on now_built.work_order_id = built.work_order_id
    where
        now_built.snapshot_count is distinct from built.snapshot_count
        or now_built.snapshots_hash is distinct from built.snapshots_hash

),
{%- endif %}

snapshots as (

    select * from hashed_snapshots
    {%- if is_incremental() %}
    where work_order_id in (select changed_orders.work_order_id from changed_orders)
    {%- endif %}

),

appeal_types as (

    select * from {{ ref('appeal_types') }}

),

statuses as (

    select * from {{ ref('work_order_statuses') }}

),

channels as (

    select * from {{ ref('channels') }}

),

consultation_tags as (

    select * from {{ ref('consultation_tags') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by work_order_id
            -- newest export first; of two exports of one day, the one loaded later, then the
            -- later file name (a deterministic choice); within one file, the row furthest down
            order by snapshot_date desc, loaded_at desc, file_name desc, row_number desc
        ) as snapshot_rank,
        cast(count(*) over (partition by work_order_id) as integer) as snapshot_count,
        min(snapshot_date) over (partition by work_order_id) as first_seen_date,
        cast(sum(row_hash) over (partition by work_order_id) as hugeint) as snapshots_hash
    from snapshots

),

final as (

    select
        -- ids
        ranked.work_order_id,
        ranked.hotline_order_id,
        ranked.title,

        -- caller, hashed
        ranked.caller_name_hash,
        ranked.caller_phone_hash,
        ranked.caller_id_number_hash,
        ranked.address_hash,
        ranked.caller_gender,
        coalesce(ranked.is_confidential, false) as is_confidential,

        -- content
        ranked.appeal_text,
        -- controlled vocabularies: nothing exported → 未知, a value outside the list → 其他/未知,
        -- so an export without the column still builds (kpi_availability says what it cannot support)
        case
            when ranked.appeal_type is null then '未知'
            when appeal_types.appeal_type is null then '其他'
            else ranked.appeal_type
        end as appeal_type,
        case
            when ranked.channel is null then null
            when channels.channel is null then '其他'
            else ranked.channel
        end as channel,
        ranked.category_l1_name,
        ranked.category_l2_name,
        ranked.category_l3_name,
        coalesce(ranked.urgency, '一般') as urgency,

        -- location
        ranked.district,
        ranked.town,
        ranked.community,

        -- routing
        ranked.handling_unit,
        ranked.assisting_units,

        -- timestamps (Asia/Shanghai local time)
        ranked.received_at,
        ranked.dispatched_at,
        ranked.signed_at,
        -- a completion time under a status that says the order is still in hand (a message
        -- board's interim reply under 办理中, an order reopened) is no completion yet
        case when not statuses.is_final and statuses.status != '未知' then null else ranked.completed_at end
            as completed_at,
        ranked.replied_at,
        ranked.followed_up_at,
        ranked.due_at,
        ranked.time_limit_working_days,
        ranked.time_limit_hours,

        -- status and result
        coalesce(ranked.is_extended, false) as is_extended,
        coalesce(statuses.status, '未知') as status,
        ranked.handling_result,
        ranked.follow_up_result,
        ranked.satisfaction,
        coalesce(ranked.is_repeat, false) as is_repeat,
        ranked.tags,
        -- taken into the committee's consultation (有事好商量): a tag of the consultation_tags seed
        exists(
            select 1 from consultation_tags
            where list_contains(regexp_split_to_array(trim(ranked.tags), '\s*[;；,，、]\s*'), consultation_tags.tag)
        ) as is_consultation_tagged,
        ranked.is_on_time_reported,

        -- lineage
        ranked.source_profile,
        ranked.deadline_policy,
        ranked.working_calendar,
        ranked.snapshot_count,
        ranked.first_seen_date,
        ranked.snapshot_date as last_snapshot_date,
        ranked.file_id as last_file_id,
        ranked.row_number as last_row_number,
        ranked.snapshots_hash,
        -- the build that last redid this order: the downstream incremental models redo these
        '{{ invocation_id }}' as built_by_invocation_id
    from ranked
    left join appeal_types on ranked.appeal_type = appeal_types.appeal_type
    left join statuses on ranked.status = statuses.status
    left join channels on ranked.channel = channels.channel
    where ranked.snapshot_rank = 1

)

select * from final
