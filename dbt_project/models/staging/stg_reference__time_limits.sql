with time_limits as (

    select * from {{ ref('time_limits') }}

),

final as (

    select
        appeal_type,
        urgency,
        sign_limit_working_days,
        sign_limit_hours,
        completion_limit_working_days
    from time_limits

)

select * from final
