-- Hotline KPIs per town (镇街) and month; KPIs as defined in dbt_project.yml
-- (vars: kpi_definitions), computed by macros/hotline_kpis.sql.
{{ hotline_kpis(['month'], [{'town': 'town'}]) }}
