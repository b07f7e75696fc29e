-- Which KPIs each source's exports can support: a KPI is available when every column of at
-- least one of its input sets (kpi_inputs seed) carries values in that source's rows. A KPI
-- an export cannot support is null in the KPI marts; this table says why.
with coverage as (

    select * from {{ ref('int_hotline_column_coverage') }}

),

kpi_inputs as (

    select * from {{ ref('kpi_inputs') }}

),

non_column_inputs as (

    -- inputs that are a profile's setting or what its rows show, not a column: said in words
    select * from {{ ref('kpi_non_column_inputs') }}

),

sources as (

    select distinct source_profile from coverage

),

inputs_per_source as (

    select
        sources.source_profile,
        kpi_inputs.kpi,
        kpi_inputs.label_zh,
        kpi_inputs.alternative,
        kpi_inputs.column_name,
        non_column_inputs.lacking,
        coalesce(coverage.has_values, false) as has_values
    from sources
    cross join kpi_inputs
    left join coverage
        on sources.source_profile = coverage.source_profile
        and kpi_inputs.column_name = coverage.column_name
    left join non_column_inputs on kpi_inputs.column_name = non_column_inputs.input

),

alternatives as (

    select
        source_profile,
        kpi,
        label_zh,
        alternative,
        bool_and(has_values) as is_complete,
        -- what this input set lacks: columns without values, then the inputs that are no column
        concat_ws(
            ' and ',
            'no values in '
            || string_agg(case when not has_values and lacking is null then column_name end, '+' order by column_name),
            string_agg(case when not has_values then lacking end, ' and ' order by column_name)
        ) as missing
    from inputs_per_source
    group by 1, 2, 3, 4

),

final as (

    select
        source_profile,
        kpi,
        label_zh as kpi_label_zh,
        bool_or(is_complete) as is_available,
        case
            when not bool_or(is_complete)
                then 'the export has ' || string_agg(missing, ' or ' order by alternative)
        end as reason
    from alternatives
    group by 1, 2, 3

)

select * from final
