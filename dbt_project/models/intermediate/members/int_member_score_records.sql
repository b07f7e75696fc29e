-- Every record that earns rubric points, as (member, item, record, date, share), and the
-- quarter it is scored in: its own quarter, or, when it reached the office only after that
-- quarter was frozen, the quarter of the export that first showed it (a late record).
with activities as (

    select * from {{ ref('stg_members__activities') }}
    where attendance = '出席'

),

proposals as (

    select * from {{ ref('stg_members__proposals') }}

),

reports as (

    select * from {{ ref('stg_members__opinion_reports') }}

),

shifts as (

    select * from {{ ref('stg_members__hotline_shifts') }}

),

steps as (

    select * from {{ ref('stg_members__liaison_steps') }}

),

assignments as (

    select * from {{ ref('stg_members__assignments') }}

),

freezes as (

    select * from {{ ref('stg_members__score_freezes') }}

),

status_first_seen as (

    select * from {{ ref('stg_members__status_first_seen') }}

),

rules as (

    select
        max(case when rule = 'joint_proposer_share' then value end) as joint_proposer_share,
        coalesce(max(case when rule = 'first_proposer_share_when_joint' then value end), 1.0)
            as first_proposer_share_when_joint
    from {{ ref('scoring_rules') }}

),

proposers as (

    select
        proposals.proposal_id,
        proposals.first_proposer_id as member_id,
        case when proposals.joint_proposer_ids is null then 1.0 else rules.first_proposer_share_when_joint end as share
    from proposals
    cross join rules
    union all
    select joint.proposal_id, joint.member_id, rules.joint_proposer_share as share
    from (
        select proposal_id, trim({{ split_into_rows('joint_proposer_ids', '；') }}) as member_id
        from proposals
        where joint_proposer_ids is not null
    ) as joint
    cross join rules
    where joint.member_id != ''

),

records as (

    select
        member_id,
        case activity_type
            when '全体会议' then 'plenary_attended'
            when '常委会议' then 'standing_meeting_attended'
            when '志愿服务' then 'volunteer'
            else 'activity'
        end as item,
        record_id,
        activity_date as record_date,
        first_seen_date,
        1.0 as share,
        '会议活动' as source_register
    from activities

    union all

    {%- for item, condition in [
        ('proposal_submitted', 'true'),
        ('proposal_filed', 'proposals.is_filed'),
        ('proposal_key', 'proposals.is_key'),
        ('proposal_adopted', 'proposals.is_adopted'),
    ] %}
    select
        proposers.member_id,
        '{{ item }}' as item,
        proposals.proposal_id as record_id,
        proposals.submitted_date as record_date,
        -- a bonus arrives when the export first shows it, not when the proposal did
        greatest(proposals.first_seen_date, coalesce(status_first_seen.first_seen_date, proposals.first_seen_date))
            as first_seen_date,
        proposers.share,
        '提案' as source_register
    from proposals
    inner join proposers on proposals.proposal_id = proposers.proposal_id
    left join status_first_seen
        on proposals.proposal_id = status_first_seen.record_id
        and status_first_seen.item = '{{ item }}'
    where {{ condition }}

    union all
    {%- endfor %}

    {%- for item, condition in [
        ('opinion_submitted', 'true'),
        ('opinion_adopted', 'reports.is_adopted'),
        ('opinion_endorsed', 'reports.is_endorsed'),
    ] %}
    select
        reports.member_id,
        '{{ item }}' as item,
        reports.report_id as record_id,
        reports.submitted_date as record_date,
        greatest(reports.first_seen_date, coalesce(status_first_seen.first_seen_date, reports.first_seen_date))
            as first_seen_date,
        1.0 as share,
        '社情民意' as source_register
    from reports
    left join status_first_seen
        on reports.report_id = status_first_seen.record_id
        and status_first_seen.item = '{{ item }}'
    where {{ condition }}

    union all
    {%- endfor %}

    select
        member_id, 'hotline_shift' as item, record_id, shift_date as record_date, first_seen_date, 1.0 as share,
        '热线值班' as source_register
    from shifts

    union all

    -- a documented contact counts only with a representative assigned to the member that day
    select
        steps.member_id,
        'representative_contact' as item,
        steps.case_id as record_id,
        steps.step_date as record_date,
        steps.first_seen_date,
        1.0 as share,
        '联系工作台账' as source_register
    from steps
    inner join assignments
        on steps.member_id = assignments.member_id
        and steps.representative_id = assignments.representative_id
        and steps.step_date >= assignments.started_date
        and (assignments.ended_date is null or steps.step_date <= assignments.ended_date)
    where steps.step = '连线'

    union all

    -- a case carried through all eight steps (连线 … 评议), dated by its 评议
    select
        member_id,
        'liaison_case_completed' as item,
        case_id as record_id,
        max(case when step = '评议' then step_date end) as record_date,
        max(first_seen_date) as first_seen_date,
        1.0 as share,
        '联系工作台账' as source_register
    from steps
    group by member_id, case_id
    having count(distinct step) = 8

),

placed as (

    select
        records.*,
        {{ quarter_label('records.record_date') }} as record_quarter,
        freezes.frozen_date,
        freezes.frozen_date is not null and records.first_seen_date > freezes.frozen_date as is_late
    from records
    left join freezes on {{ quarter_label('records.record_date') }} = freezes.quarter

),

quarters as (

    select distinct quarter from {{ ref('int_member_quarters') }}

),

next_open as (

    -- a late record goes to the first later quarter still open when the office received it
    select placed.record_id, placed.item, placed.member_id, min(quarters.quarter) as open_quarter
    from placed
    inner join quarters on quarters.quarter > placed.record_quarter
    left join freezes on quarters.quarter = freezes.quarter
    where placed.is_late and (freezes.frozen_date is null or freezes.frozen_date >= placed.first_seen_date)
    group by 1, 2, 3

),

final as (

    select
        placed.member_id,
        placed.item,
        placed.record_id,
        placed.record_date,
        placed.record_quarter,
        placed.first_seen_date,
        placed.frozen_date,
        placed.is_late,
        case when placed.is_late then next_open.open_quarter else placed.record_quarter end as scored_quarter,
        placed.share,
        placed.source_register
    from placed
    left join next_open
        on placed.record_id = next_open.record_id
        and placed.item = next_open.item
        and placed.member_id = next_open.member_id

)

select * from final
