-- Every hotline KPI for the whole city by month, quarter and year; formulas in macros/hotline_kpis.sql.
{{ hotline_kpis(['month', 'quarter', 'year']) }}
