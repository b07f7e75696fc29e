-- Every hotline KPI for the whole city by month, quarter and year; the KPIs are defined in
-- dbt_project.yml (vars: kpi_definitions) and computed by macros/hotline_kpis.sql.
{{ hotline_kpis(['month', 'quarter', 'year']) }}
