-- Hotline KPIs per town (镇街) and month; formulas in macros/hotline_kpis.sql.
{{ hotline_kpis(['month'], [{'town': 'town'}]) }}
