-- One row per proposal and proposer: the first proposer (第一提案人) and each joint proposer
-- (联名提案人), with the member's sector.
with proposals as (

    select proposal_id, first_proposer_id, joint_proposer_ids from {{ ref('stg_members__proposals') }}

),

members as (

    select member_id, sector_code, sector_name from {{ ref('dim_member') }}

),

proposers as (

    select proposal_id, first_proposer_id as member_id, 'first' as proposer_role
    from proposals

    union all

    select distinct joint.proposal_id, joint.member_id, 'joint' as proposer_role
    from (
        select proposal_id, first_proposer_id, trim({{ split_into_rows('joint_proposer_ids', '；') }}) as member_id
        from proposals
        where joint_proposer_ids is not null
    ) as joint
    where joint.member_id != '' and joint.member_id != joint.first_proposer_id

),

final as (

    select
        proposers.proposal_id,
        proposers.member_id,
        proposers.proposer_role,
        members.sector_code,
        members.sector_name
    from proposers
    left join members on proposers.member_id = members.member_id

)

select * from final
