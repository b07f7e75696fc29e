{#- The published KPI marts by month, quarter and year are slices of int_hotline_kpis_by_period,
    where every formula is defined once. -#}
{% macro kpi_hotline_for_grain(grain) %}
with periods as (

    select * from {{ ref('int_hotline_kpis_by_period') }}

),

final as (

    select
        period_start,
        period_end,
        is_complete_period,
        work_orders,
        work_orders_last_year,
        work_orders_yoy,
        complaints,
        complaints_last_year,
        complaints_yoy,
        direct_answers,
        direct_answer_rate,
        repeats,
        repeat_rate,
        dispatched,
        sign_offs_judged,
        signed_on_time,
        signed_on_time_rate,
        dispatched_completed,
        completion_rate,
        sent_back,
        send_back_rate,
        extended,
        extension_rate,
        due,
        due_judged,
        completed_on_time,
        completed_on_time_rate,
        overdue,
        overdue_rate,
        completions,
        followed_up,
        follow_up_rate,
        rated,
        satisfied,
        satisfaction_rate,
        dissatisfied,
        dissatisfaction_rate,
        avg_handling_working_days
    from periods
    where period_grain = '{{ grain }}'

)

select * from final
{% endmacro %}
