-- Hotline KPIs per appeal category and month, at level 1 and at level 2 (DB44/T 2479-2024);
-- a work order counts once under each level. KPIs as defined in dbt_project.yml
-- (vars: kpi_definitions), computed by macros/hotline_kpis.sql.
{{ hotline_kpis(['month'], [
    {'category_level': "'1'", 'category_code': 'category_l1_code', 'category_name': 'category_l1_name'},
    {'category_level': "'2'", 'category_code': 'category_l2_code', 'category_name': 'category_l2_name'},
]) }}
