"""The office's quarterly scoring workbook: one sheet per sector, one row per member.

Read from the published warehouse only (what passed the gate), so the workbook always agrees
with what BI tools show. Every number in it can be traced to fct_member_score_items.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pandas as pd

from core.errors import PipelineError
from publication.reports import neutralise_formulas


class NoScoresForQuarter(PipelineError):
    """The published warehouse has no scores for the quarter asked for: nothing to write.

    A PipelineError, so the CLI prints it as it is; a scheduled run ends skipped instead of failed.
    """


def write_scoring_workbook(published_warehouse: Path, quarter: str, path: Path) -> int:
    """Write the workbook for `quarter` (e.g. 2023Q4) to `path`; returns the number of members."""
    if not published_warehouse.exists():
        raise PipelineError(f"{published_warehouse}: nothing published yet; run the pipeline first")
    with duckdb.connect(str(published_warehouse), read_only=True) as connection:
        items = connection.execute(
            """
            select member_id, item, item_label, points, item_order
            from fct_member_score_items
            where quarter = ?
            """,
            [quarter],
        ).df()
        if items.empty:
            quarters = [
                q
                for (q,) in connection.execute(
                    "select distinct quarter from fct_member_quarterly_scores order by 1"
                ).fetchall()
            ]
            choices = f"use one of {', '.join(quarters[-8:])}" if quarters else "none are published yet"
            raise NoScoresForQuarter(f"quarter {quarter}: no scores published; {choices}")
        members = connection.execute(
            """
            select scores.member_id as 委员编号, sectors.sector_code, sectors.sector_name,
                   members.town_committee as 所属镇街工委,
                   case when members.is_standing then '是' else '否' end as 常委,
                   scores.total_points as 季度总分, scores.rank_in_sector as 界别排名, scores.rank_overall as 全体排名,
                   scores.year_points as 年度总分, scores.year_band as 年度等次,
                   case when scores.is_frozen then '已冻结' else '未冻结' end as 状态
            from fct_member_quarterly_scores as scores
            inner join dim_member as members on scores.member_id = members.member_id
            inner join dim_sector as sectors on scores.sector_code = sectors.sector_code
            where scores.quarter = ?
            """,
            [quarter],
        ).df()
        late = connection.execute(
            "select * from fct_member_late_records where scored_quarter = ? order by member_id, record_id", [quarter]
        ).df()
    labels = items.sort_values("item_order").drop_duplicates("item")["item_label"].tolist()
    by_item = items.pivot_table(index="member_id", columns="item_label", values="points", aggfunc="sum")[labels]
    table = members.merge(by_item, left_on="委员编号", right_index=True, how="left")
    columns = [
        "委员编号",
        "所属镇街工委",
        "常委",
        *labels,
        "季度总分",
        "界别排名",
        "全体排名",
        "年度总分",
        "年度等次",
        "状态",
    ]

    temporary = path.with_name(f".{path.name}.tmp")
    with pd.ExcelWriter(temporary, engine="xlsxwriter") as writer:
        for (code, name), sector in table.groupby(["sector_code", "sector_name"], sort=True):
            sheet = f"{code} {name}"[:31]
            sheet_rows = neutralise_formulas(sector.sort_values(["界别排名", "委员编号"])[columns])
            sheet_rows.to_excel(writer, sheet_name=sheet, index=False)
            writer.sheets[sheet].freeze_panes(1, 1)
            writer.sheets[sheet].set_column(0, len(columns) - 1, 12)
        neutralise_formulas(late).to_excel(writer, sheet_name="迟报记录 late records", index=False)
    os.replace(temporary, path)
    return len(table)
