-- Hotline KPIs per level-2 appeal category (DB44/T 2479-2024) and month: an order counts
-- once, under its level-2 category. KPIs as defined in dbt_project.yml (vars:
-- kpi_definitions), computed by macros/hotline_kpis.sql.
{{ hotline_kpis(['month'], [{
    'category_l1_code': 'category_l1_code',
    'category_l1_name': 'category_l1_name',
    'category_l2_code': 'category_l2_code',
    'category_l2_name': 'category_l2_name',
}]) }}
