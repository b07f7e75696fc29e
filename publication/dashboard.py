"""The office's dashboard: one self-contained HTML page in Chinese, written into each publication.

Built from the published warehouse only (what BI tools and the office see, after the gate), so a
figure on the page is a figure in the published marts. Plotly draws the charts; its script and
the data are embedded in the page, so it opens from a USB stick or an e-mail attachment with no
network. Sections:

    年度概览        the headline KPIs per year, with year-on-year change
    月度趋势        monthly volume and complaints; the three rates the city is judged on
    承办单位三率排名  the units of the latest ranked month, by weighted score
    诉求热点        work orders of the last 12 months by town and level-1 category
    委员履职得分     member quarterly points by sector, for the latest scored quarter
    待办提醒        counts of items needing attention, by kind (when the publication has them)
"""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path

import duckdb
import pandas as pd
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from core.kpi_definitions import published_kpis
from core.warehouse import open_duckdb

FONT = "PingFang SC, Microsoft YaHei, Noto Sans CJK SC, WenQuanYi Micro Hei, sans-serif"
TREND_RATES = ("signed_on_time_rate", "completed_on_time_rate", "satisfaction_rate")
UNITS_SHOWN = 20  # the unit ranking shows the best and the worst of this many
LATEST_MONTHS = 12  # the hotspot map covers this many months up to the data cut


def _has_table(connection: duckdb.DuckDBPyConnection, table: str) -> bool:
    return bool(
        connection.execute(
            "select count(*) from information_schema.tables where table_schema = 'main' and table_name = ?", [table]
        ).fetchone()[0]
    )


def _columns(connection: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    return {
        name
        for (name,) in connection.execute(
            "select column_name from information_schema.columns where table_schema = 'main' and table_name = ?",
            [table],
        ).fetchall()
    }


def _layout(figure: go.Figure, title: str, height: int = 420) -> go.Figure:
    figure.update_layout(
        title={"text": title, "x": 0.01},
        font={"family": FONT, "size": 13},
        height=height,
        margin={"l": 60, "r": 30, "t": 60, "b": 50},
        legend={"orientation": "h", "y": -0.15},
        template="plotly_white",
    )
    figure.update_yaxes(automargin=True)  # long unit and town names stay readable
    return figure


def _percent(value: float | None) -> str:
    return "—" if value is None or pd.isna(value) else f"{value:.1%}"


def _yearly_cards(connection: duckdb.DuckDBPyConnection, labels: dict[str, str]) -> str:
    years = connection.execute("select * from kpi_hotline_yearly order by period_start").df()
    if years.empty:
        return "<p>暂无年度数据。</p>"
    shown = [name for name in ("work_orders", "work_orders_yoy", "complaints", "complaints_yoy", *TREND_RATES)]
    header = "".join(f"<th>{html.escape(labels.get(name, name))}</th>" for name in shown)
    rows = []
    for _, year in years.iterrows():
        cells = []
        for name in shown:
            value = year.get(name)
            if name.endswith(("_rate", "_yoy")):
                cells.append(f"<td>{_percent(value)}</td>")
            else:
                cells.append(f"<td>{'—' if pd.isna(value) else f'{int(value):,}'}</td>")
        complete = "" if year.get("is_complete_period", True) else "（未满一年）"
        rows.append(f"<tr><th>{year['period_start'].year}年{complete}</th>{''.join(cells)}</tr>")
    return f'<table class="kpis"><tr><th>年度</th>{header}</tr>{"".join(rows)}</table>'


def _monthly_trends(connection: duckdb.DuckDBPyConnection, labels: dict[str, str]) -> list[go.Figure]:
    months = connection.execute("select * from kpi_hotline_monthly order by period_start").df()
    volume = go.Figure()
    for name in ("work_orders", "complaints"):
        volume.add_trace(go.Scatter(x=months["period_start"], y=months[name], mode="lines+markers", name=labels[name]))
    for name in ("work_orders_last_year",):
        volume.add_trace(
            go.Scatter(x=months["period_start"], y=months[name], mode="lines", name=labels[name], line={"dash": "dot"})
        )
    volume.update_yaxes(title_text="件")
    rates = go.Figure()
    for name in TREND_RATES:
        rates.add_trace(go.Scatter(x=months["period_start"], y=months[name], mode="lines+markers", name=labels[name]))
    rates.update_yaxes(tickformat=".0%", title_text="比率")
    for figure in (volume, rates):
        figure.update_xaxes(tickformat="%Y年%m月")
    return [
        _layout(volume, "月度工单量与投诉量（虚线：上年同期）"),
        _layout(rates, "月度三率：签收及时率、按时办结率、满意率"),
    ]


def _unit_ranking(connection: duckdb.DuckDBPyConnection, labels: dict[str, str]) -> tuple[go.Figure | None, str]:
    month = connection.execute("select max(period_start) from kpi_unit_monthly where unit_rank is not null").fetchone()[
        0
    ]
    if month is None:
        return None, "暂无可排名的月份。"
    units = connection.execute(
        "select handling_unit, unit_score, unit_rank, signed_on_time_rate, completion_rate, satisfaction_rate, "
        "dispatched from kpi_unit_monthly where period_start = ? and unit_rank is not null order by unit_rank",
        [month],
    ).df()
    shown = pd.concat([units.head(UNITS_SHOWN // 2), units.tail(UNITS_SHOWN // 2)]).drop_duplicates("handling_unit")
    shown = shown.sort_values("unit_rank", ascending=False)
    hover = [
        f"第{int(row.unit_rank)}名<br>{labels['signed_on_time_rate']} {_percent(row.signed_on_time_rate)}"
        f"<br>{labels['completion_rate']} {_percent(row.completion_rate)}"
        f"<br>{labels['satisfaction_rate']} {_percent(row.satisfaction_rate)}<br>派单 {int(row.dispatched)} 件"
        for row in shown.itertuples()
    ]
    figure = go.Figure(
        go.Bar(
            x=shown["unit_score"],
            y=shown["handling_unit"],
            orientation="h",
            hovertext=hover,
            hoverinfo="text+x",
            marker={"color": shown["unit_score"], "colorscale": "RdYlGn", "cmin": 60, "cmax": 100},
        )
    )
    figure.update_xaxes(title_text="综合得分（0-100）")
    shown_note = f"，显示前后各{UNITS_SHOWN // 2}家" if len(units) > UNITS_SHOWN else ""
    title = f"承办单位三率综合得分（{month:%Y年%m月}，共{len(units)}家参评{shown_note}）"
    return _layout(figure, title, height=max(420, 26 * len(shown) + 120)), ""


def _hotspots(connection: duckdb.DuckDBPyConnection) -> go.Figure:
    cells = connection.execute(
        f"""
        with cut as (select max(received_date) as last_date from fct_cases)
        select coalesce(town, '(未填)') as town, coalesce(category_l1_name, '(未分类)') as category, count(*) as orders
        from fct_cases, cut
        where received_date > cut.last_date - interval {LATEST_MONTHS} month
        group by all
        """
    ).df()
    table = cells.pivot_table(index="town", columns="category", values="orders", fill_value=0)
    table = table.loc[table.sum(axis=1).sort_values().index, table.sum().sort_values(ascending=False).index]
    figure = go.Figure(
        go.Heatmap(
            z=table.values,
            x=list(table.columns),
            y=list(table.index),
            colorscale="YlOrRd",
            hovertemplate="%{y} · %{x}<br>%{z} 件<extra></extra>",
        )
    )
    return _layout(
        figure, f"诉求热点：近{LATEST_MONTHS}个月各镇街一级分类工单量", height=max(420, 24 * len(table) + 160)
    )


def _member_scores(connection: duckdb.DuckDBPyConnection) -> tuple[go.Figure | None, str]:
    if not _has_table(connection, "fct_member_quarterly_scores"):
        return None, "本次发布不含委员履职得分。"
    # the latest quarter that has ended by the data cut: a quarter still running has no scores yet
    quarter = connection.execute(
        "select max(quarter) from fct_member_quarterly_scores "
        "where quarter_start + interval 3 month <= (select max(as_of_date) from fct_cases) + interval 1 day"
    ).fetchone()[0]
    if quarter is None:
        return None, "暂无委员履职得分。"
    sector_name = (
        "coalesce(sectors.sector_name, scores.sector_code)"
        if _has_table(connection, "dim_sector")
        else ("scores.sector_code")
    )
    join = "left join dim_sector as sectors using (sector_code)" if _has_table(connection, "dim_sector") else ""
    scores = connection.execute(
        f"select {sector_name} as sector, scores.total_points from fct_member_quarterly_scores as scores {join} "
        "where scores.quarter = ?",
        [quarter],
    ).df()
    figure = go.Figure()
    for sector, points in scores.groupby("sector", sort=True)["total_points"]:
        figure.add_trace(go.Box(y=points, name=str(sector), boxpoints="all", jitter=0.4, pointpos=0, showlegend=False))
    figure.update_yaxes(title_text="季度得分")
    return _layout(figure, f"委员履职得分分布（{quarter}，按界别，{len(scores)}名委员）", height=480), ""


def _attention(connection: duckdb.DuckDBPyConnection) -> tuple[go.Figure | None, str]:
    if not _has_table(connection, "fct_attention_items") or not _has_table(connection, "dim_attention_kind"):
        return None, "本次发布不含待办提醒清单。"
    # every kind, a kind with nothing late at 0 (the attention workbook lists the items themselves)
    counts = connection.execute(
        "select kinds.attention_kind_label as kind, count(items.item_id) as items "
        "from dim_attention_kind as kinds left join fct_attention_items as items using (attention_kind) "
        "group by kinds.attention_kind_label, kinds.sort_order order by kinds.sort_order desc"
    ).df()
    if counts.empty:
        return None, "未定义待办提醒类型。"
    figure = go.Figure(go.Bar(x=counts["items"], y=counts["kind"], orientation="h", text=counts["items"]))
    figure.update_xaxes(title_text="件")
    title = f"待办提醒：逾期及滞留事项（共{int(counts['items'].sum())}件，明细见 attention.xlsx）"
    return _layout(figure, title, height=max(300, 50 * len(counts) + 120)), ""


def write_dashboard(warehouse_path: Path, path: Path) -> Path:
    """Write the dashboard of the published warehouse at `warehouse_path` to `path`."""
    labels = {kpi.name: kpi.label_zh for kpi in published_kpis()}
    with open_duckdb(warehouse_path, read_only=True) as connection:
        as_of = connection.execute("select max(as_of_date) from fct_cases").fetchone()[0]
        sections: list[tuple[str, list[go.Figure], str]] = [
            ("年度概览", [], _yearly_cards(connection, labels)),
            ("月度趋势", _monthly_trends(connection, labels), ""),
        ]
        for title, (figure, note) in (
            ("承办单位三率排名", _unit_ranking(connection, labels)),
            ("诉求热点", (_hotspots(connection), "")),
            ("委员履职得分", _member_scores(connection)),
            ("待办提醒", _attention(connection)),
        ):
            sections.append((title, [figure] if figure is not None else [], note))
    body = []
    for number, (title, figures, note) in enumerate(sections):
        charts = "".join(
            figure.to_html(full_html=False, include_plotlyjs=False, div_id=f"chart-{number}-{index}")
            for index, figure in enumerate(figures)
        )
        text = f"<div class='note'>{note}</div>" if note and not note.startswith("<") else note
        body.append(f"<section><h2>{html.escape(title)}</h2>{text}{charts}</section>")
    stamp = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    page = f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>12345热线与委员履职数据看板</title>
<style>
body {{ font-family: {FONT}; margin: 0 auto; max-width: 1200px; padding: 16px; color: #222; }}
h1 {{ font-size: 24px; }} h2 {{ font-size: 19px; border-left: 4px solid #c00; padding-left: 8px; }}
table.kpis {{ border-collapse: collapse; width: 100%; }}
table.kpis th, table.kpis td {{ border: 1px solid #ddd; padding: 6px 8px; text-align: right; }}
table.kpis tr:first-child th {{ background: #f4f4f4; text-align: center; }}
.note {{ color: #666; }} .meta {{ color: #666; font-size: 13px; }}
</style>
<script type="text/javascript">{get_plotlyjs()}</script>
</head><body>
<h1>12345热线与委员履职数据看板</h1>
<p class="meta">数据截至 {as_of or "—"}；生成于 {stamp}；数据来自质量检查通过后发布的数据仓库。</p>
{"".join(body)}
</body></html>
"""
    path.write_text(page, encoding="utf-8")
    return path
