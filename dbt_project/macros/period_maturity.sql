{#-
    Mature periods: the one rule for when a period's KPIs are final (最终) rather than
    provisional (暂定), used by every KPI mart through macros/hotline_kpis.sql (city, town,
    unit, category, appeal type). DOMAIN.md §3, "Final and provisional periods".

    An order is settled, and stops moving the rates of the periods it counts in, at the end of
    its settled_date:
      completed, and not later than deadline + window   completion date + the follow-up window
                                                        (its 回访 and 满意度 are still to come);
      otherwise, with a completion deadline             deadline + the window (an order still
                                                        open then is decided as overdue, and
                                                        one completed after that was decided
                                                        already, so a final period stays final);
      otherwise (open, no deadline: not dispatched)     unknown: it waits for a dispatch or an answer;
      void (已作废), or completed at a time the export     its received date: it moves no rate.
      omits and with no deadline
    An order of a source whose newest export (its as_of_date) is older than the newest of all
    has no settled date when it would settle after that export: its source cannot say yet.
    The window is the follow_up_window rule of the period_maturity_rules seed, in working days
    on the official calendar or in calendar days.

    A period is final once it has ended and every order counted in it (by any of its dates:
    received, dispatched, due, completed) is settled before the data cut; final_from_date is the
    first data cut at which it is, null while unknowable (the period is still running, or an
    order of it has no settled date yet).
-#}

{#- CTEs `maturity_rule`, `maturity_calendar` and `settled_orders`: every column of `orders_relation`
    (fct_cases) and each order's settled_date. Ends with a comma: more CTEs follow. -#}
{% macro settled_orders_ctes(orders_relation) %}
maturity_rule as (

    -- one row even when the seed lacks the rule: then no order settles and every period stays provisional
    select
        max(case when rule = 'follow_up_window' then value end) as window_days,
        max(case when rule = 'follow_up_window' then unit end) as window_unit
    from {{ ref('period_maturity_rules') }}

),

maturity_calendar as (

    select calendar_date, is_workday, workday_index from {{ ref('int_calendar_workdays') }}

),

order_windows as (

    select
        orders.*,
        -- the window's last day after completion and after the deadline
        case
            when maturity_rule.window_unit = 'calendar_days'
                then cast({{ dbt.dateadd('day', 'maturity_rule.window_days', 'orders.completed_date') }} as date)
            else completed_window.calendar_date
        end as completed_window_end_date,
        case
            when maturity_rule.window_unit = 'calendar_days'
                then cast({{ dbt.dateadd('day', 'maturity_rule.window_days', 'orders.completion_due_date') }} as date)
            else due_window.calendar_date
        end as due_window_end_date
    from {{ orders_relation }} as orders
    cross join maturity_rule
    -- a non-working day's index is the previous working day's: + N is the Nth working day after
    left join maturity_calendar as completed_day on orders.completed_date = completed_day.calendar_date
    left join maturity_calendar as completed_window
        on completed_window.is_workday
        and completed_window.workday_index = completed_day.workday_index + maturity_rule.window_days
    left join maturity_calendar as due_day on orders.completion_due_date = due_day.calendar_date
    left join maturity_calendar as due_window
        on due_window.is_workday
        and due_window.workday_index = due_day.workday_index + maturity_rule.window_days

),

order_settled_dates as (

    select
        * exclude (completed_window_end_date, due_window_end_date),
        case
            -- a void order (已作废) is counted in no rate: nothing of it is still to come
            when coalesce(is_void, false) then received_date
            when
                completed_date is not null
                and (due_window_end_date is null or completed_date <= due_window_end_date)
                then completed_window_end_date
            when completion_due_date is not null then due_window_end_date
            -- completed at a time the export leaves out, with no deadline: no rate waits on it
            when is_completed then received_date
        end as settled_date
    from order_windows

),

settled_orders as (

    select
        * exclude (settled_date),
        case
            -- a source whose newest export is older than another's cannot say yet what happens
            -- after it: an order of it settling later is unknown until that source exports again
            when as_of_date < max(as_of_date) over () and settled_date > as_of_date then null
            else settled_date
        end as settled_date
    from order_settled_dates

),
{% endmacro %}


{#- The first data cut at which a period is final: the period's last day, or the day after its
    last order settles if later; null while the period is running or an order of it has no
    settled date. -#}
{% macro period_final_from_date(period_end, last_settled_date, unsettled_orders, last_date) -%}
    case
        when
            {{ period_end }} <= {{ dbt.dateadd('day', 1, last_date) }}
            and {{ unsettled_orders }} = 0
            then cast(greatest(
                {{ dbt.dateadd('day', -1, period_end) }},
                {{ dbt.dateadd('day', 1, last_settled_date) }}
            ) as date)
    end
{%- endmacro %}


{#- is_final and period_status ('final' / 'provisional') from final_from_date and the data cut. -#}
{% macro period_status_columns(final_from_date, last_date) -%}
    coalesce({{ final_from_date }} <= {{ last_date }}, false) as is_final,
    case when {{ final_from_date }} <= {{ last_date }} then 'final' else 'provisional' end as period_status
{%- endmacro %}
