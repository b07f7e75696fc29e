-- Hotline KPIs by year; the formulas live in int_hotline_kpis_by_period.
{{ kpi_hotline_for_grain('year') }}
