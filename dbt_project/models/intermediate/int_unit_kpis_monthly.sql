-- Hotline KPIs per handling unit (承办单位) and month; formulas in macros/hotline_kpis.sql.
{{ hotline_kpis(['month'], [{'handling_unit': 'handling_unit'}]) }}
