"""The office's quarterly scoring workbook: one sheet per sector, one row per member.

Read from the published warehouse only (what passed the gate), so the workbook always agrees
with what BI tools show. Every number in it can be traced to fct_member_score_items, and each
item to its records (the 一人一档 sheet, from fct_member_score_records); the year's grade sits
beside the figures it was read from (fct_member_yearly_grades). Headers are Chinese throughout.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from core.errors import PipelineError
from core.warehouse import open_duckdb
from publication.reports import neutralise_formulas

# the year's grade, with every ingredient (fct_member_yearly_grades), as the sheets head them
GRADE_HEADERS = {
    "member_id": "委员编号",
    "member_name": "姓名",
    "sector_name": "界别",
    "service_start_date": "本年任职起",
    "service_end_date": "本年任职止",
    "service_days": "任职天数",
    "days_in_year": "全年天数",
    "year_points": "年度得分",
    "benchmark_members": "全年在任委员人数",
    "median_points_full_year": "全年在任委员得分中位数",
    "expected_points": "任职期间全年在任委员得分中位数",
    "adjustment_points": "未任职期间补足分",
    "graded_points": "定等得分",
    "min_service_days": "定等最少任职天数",
    "band_min_points": "所定等次下限",
    "next_band_min_points": "上一等次下限",
    "band_thresholds": "等次标准",
    "grade": "年度等次",
}
# one row per record that earned points (fct_member_score_records)
RECORD_HEADERS = {
    "member_id": "委员编号",
    "member_name": "姓名",
    "quarter": "计分季度",
    "item_label": "考核项目",
    "record_date": "记录日期",
    "source_register": "来源台账",
    "record_id": "记录编号",
    "share": "份额",
    "points_each": "每条分值",
    "points_before_cap": "封顶前得分",
    "cap": "季度封顶",
    "points": "封顶后得分",
    "record_quarter": "记录所属季度",
    "late_note": "迟报说明",
}
# records that arrived after their quarter was frozen (fct_member_late_records)
LATE_HEADERS = {
    "member_id": "委员编号",
    "member_name": "姓名",
    "item_label": "考核项目",
    "record_id": "记录编号",
    "record_date": "记录日期",
    "record_quarter": "所属季度",
    "frozen_date": "该季度冻结日期",
    "first_seen_date": "首次报送日期",
    "scored_quarter": "计入季度",
}
GRADE_SHEET = "年度等次"
RECORD_SHEET = "一人一档"
LATE_SHEET = "迟报记录"


class NoScoresForQuarter(PipelineError):
    """The published warehouse has no scores for the quarter asked for: nothing to write.

    A PipelineError, so the CLI prints it as it is; a scheduled run ends skipped instead of failed.
    """


def late_note(is_late: bool, record_quarter: str, quarter: str) -> str:
    """What a record's late arrival meant, in the office's words ('' when it was on time)."""
    return f"迟报：属{record_quarter}（已冻结），计入{quarter}" if is_late else ""


def year_records(connection, year: int, up_to_quarter: str) -> pd.DataFrame:
    """Every record that earned points in `year`'s quarters up to `up_to_quarter`, with the member's name."""
    records = connection.execute(
        """
        select records.*, members.member_name
        from fct_member_score_records as records
        left join dim_member as members on records.member_id = members.member_id
        where records.quarter like ? and records.quarter <= ?
        order by records.member_id, records.quarter, records.item_order, records.record_date, records.record_id
        """,
        [f"{year}Q%", up_to_quarter],
    ).df()
    records["late_note"] = [
        late_note(bool(late), record_quarter, quarter)
        for late, record_quarter, quarter in zip(
            records["is_late"], records["record_quarter"], records["quarter"], strict=True
        )
    ]
    return records


def year_grades(connection, year: int) -> pd.DataFrame:
    """The year's grades with their ingredients (none until the year has ended)."""
    return connection.execute(
        """
        select grades.*, members.member_name, sectors.sector_name
        from fct_member_yearly_grades as grades
        left join dim_member as members on grades.member_id = members.member_id
        left join dim_sector as sectors on grades.sector_code = sectors.sector_code
        where grades.score_year = ?
        order by grades.sector_code, grades.member_id
        """,
        [year],
    ).df()


def write_scoring_workbook(published_warehouse: Path, quarter: str, path: Path) -> int:
    """Write the workbook for `quarter` (e.g. 2023Q4) to `path`; returns the number of members."""
    if not published_warehouse.exists():
        raise PipelineError(f"{published_warehouse}: nothing published yet; run the pipeline first")
    year = int(quarter[:4])
    with open_duckdb(published_warehouse, read_only=True) as connection:
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
            select scores.member_id as 委员编号, members.member_name as 姓名, sectors.sector_code, sectors.sector_name,
                   members.town_committee as 所属镇街工委,
                   case when members.is_standing then '是' else '否' end as 常委,
                   scores.total_points as 季度总分, scores.rank_in_sector as 界别排名, scores.rank_overall as 全体排名,
                   grades.year_points as 年度得分, grades.adjustment_points as 未任职期间补足分,
                   grades.graded_points as 定等得分, grades.grade as 年度等次,
                   case when scores.is_frozen then '已冻结' else '未冻结' end as 状态
            from fct_member_quarterly_scores as scores
            inner join dim_member as members on scores.member_id = members.member_id
            inner join dim_sector as sectors on scores.sector_code = sectors.sector_code
            left join fct_member_yearly_grades as grades
                on scores.member_id = grades.member_id and extract(year from scores.quarter_start) = grades.score_year
            where scores.quarter = ?
            """,
            [quarter],
        ).df()
        grades = year_grades(connection, year)
        records = year_records(connection, year, quarter)
        late = connection.execute(
            """
            select late.*, members.member_name, rubric.item_label
            from fct_member_late_records as late
            left join dim_member as members on late.member_id = members.member_id
            left join (select distinct item, item_label from fct_member_score_items) as rubric
                on late.item = rubric.item
            where late.scored_quarter = ?
            order by late.member_id, late.record_id
            """,
            [quarter],
        ).df()
    labels = items.sort_values("item_order").drop_duplicates("item")["item_label"].tolist()
    by_item = items.pivot_table(index="member_id", columns="item_label", values="points", aggfunc="sum")[labels]
    table = members.merge(by_item, left_on="委员编号", right_index=True, how="left")
    columns = [
        "委员编号",
        "姓名",
        "所属镇街工委",
        "常委",
        *labels,
        "季度总分",
        "界别排名",
        "全体排名",
        "年度得分",
        "未任职期间补足分",
        "定等得分",
        "年度等次",
        "状态",
    ]

    temporary = path.with_name(f".{path.name}.tmp")
    with pd.ExcelWriter(temporary, engine="xlsxwriter") as writer:
        for (code, name), sector in table.groupby(["sector_code", "sector_name"], sort=True):
            sheet = f"{code} {name}"[:31]
            sheet_rows = neutralise_formulas(sector.sort_values(["界别排名", "委员编号"])[columns])
            sheet_rows.to_excel(writer, sheet_name=sheet, index=False)
            writer.sheets[sheet].freeze_panes(1, 2)
            writer.sheets[sheet].set_column(0, len(columns) - 1, 12)
        _sheet(writer, GRADE_SHEET, grades, GRADE_HEADERS)
        _sheet(writer, RECORD_SHEET, records, RECORD_HEADERS)
        _sheet(writer, LATE_SHEET, late, LATE_HEADERS)
    os.replace(temporary, path)
    return len(table)


def _sheet(writer: pd.ExcelWriter, name: str, frame: pd.DataFrame, headers: dict[str, str]) -> None:
    chosen = frame.reindex(columns=list(headers)).rename(columns=headers)
    for column in chosen.columns:  # dates as dates, without a time of day
        if pd.api.types.is_datetime64_any_dtype(chosen[column]):
            chosen[column] = chosen[column].dt.date
    neutralise_formulas(chosen).to_excel(writer, sheet_name=name, index=False)
    writer.sheets[name].freeze_panes(1, 2)
    writer.sheets[name].set_column(0, len(headers) - 1, 14)
