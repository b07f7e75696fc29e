-- Hotline KPIs per appeal type (诉求类型) and month, e.g. 平均办理时长 for consultations against
-- other types (the Jiangsu benchmark: 1.4 and 4.6 working days). KPIs as defined in
-- dbt_project.yml (vars: kpi_definitions), computed by macros/hotline_kpis.sql.
{{ hotline_kpis(['month'], [{'appeal_type': 'appeal_type'}]) }}
