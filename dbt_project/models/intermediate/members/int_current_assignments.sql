-- Member–representative assignments in force at the newest export of the office's registers.
with assignments as (

    select * from {{ ref('stg_members__assignments') }}

),

data_cut as (

    select * from {{ ref('int_member_data_cut') }}

),

final as (

    select assignments.member_id, assignments.representative_id
    from assignments
    cross join data_cut
    where assignments.started_date <= data_cut.as_of_date
        and (assignments.ended_date is null or assignments.ended_date >= data_cut.as_of_date)

)

select * from final
