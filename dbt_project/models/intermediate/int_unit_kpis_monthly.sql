-- Hotline KPIs per handling unit (承办单位) and month; KPIs as defined in dbt_project.yml
-- (vars: kpi_definitions), computed by macros/hotline_kpis.sql.
{{ hotline_kpis(['month'], [{'handling_unit': 'handling_unit'}]) }}
