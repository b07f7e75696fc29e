"""一人一档: one self-contained HTML page per member and year, beside the scoring workbook.

Each page lists every record that earned the member points in the year (item, date, register,
record id, points before and after the quarter's cap, and where a late record counted), the
items and totals of each quarter, and how the year's grade was reached, so that a member can
check a score line by line. Read from the published warehouse only, like the workbook; written
with Jinja2, every value escaped.
"""

from __future__ import annotations

import math
import os
import shutil
from pathlib import Path

import jinja2
import pandas as pd

from core.errors import PipelineError
from core.warehouse import open_duckdb
from publication.scoring_workbook import year_grades, year_records

TEMPLATES = Path(__file__).parent / "templates"


def points(value) -> str:
    """A number as the office writes points: 27.5, 20 (no .0), blank when there is none."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    rounded = round(float(value), 2)
    return f"{rounded:.0f}" if rounded == int(rounded) else f"{rounded:g}"


def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,  # every value from the warehouse is escaped
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["points"] = points
    return environment


def _rows(frame: pd.DataFrame) -> list[dict]:
    """Records with dates as ISO dates and missing values as None, for the template."""
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[column]):
            out[column] = out[column].dt.strftime("%Y-%m-%d")
    return [{k: (None if _missing(v) else v) for k, v in row.items()} for row in out.to_dict("records")]


def _missing(value) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def write_member_dossiers(published_warehouse: Path, quarter: str, folder: Path) -> int:
    """Write one page per member scored in `quarter`'s year up to `quarter` into `folder`; returns the count.

    The folder is written beside and swapped in whole, so a reader never sees half of it.
    """
    if not published_warehouse.exists():
        raise PipelineError(f"{published_warehouse}: nothing published yet; run the pipeline first")
    year = int(quarter[:4])
    with open_duckdb(published_warehouse, read_only=True) as connection:
        members = connection.execute(
            """
            select members.*, sectors.sector_name as sector_label
            from dim_member as members
            left join dim_sector as sectors on members.sector_code = sectors.sector_code
            where members.member_id in (
                select member_id from fct_member_quarterly_scores where quarter like ? and quarter <= ?
            )
            order by members.member_id
            """,
            [f"{year}Q%", quarter],
        ).df()
        quarters = connection.execute(
            "select * from fct_member_quarterly_scores where quarter like ? and quarter <= ? order by quarter",
            [f"{year}Q%", quarter],
        ).df()
        items = connection.execute(
            """
            select * from fct_member_score_items
            where quarter like ? and quarter <= ? and records_counted > 0
            order by quarter, item_order
            """,
            [f"{year}Q%", quarter],
        ).df()
        late = connection.execute(
            """
            select late.*, rubric.item_label
            from fct_member_late_records as late
            left join (select distinct item, item_label from fct_member_score_items) as rubric
                on late.item = rubric.item
            where late.scored_quarter like ? and late.scored_quarter <= ?
            order by late.member_id, late.scored_quarter, late.record_id
            """,
            [f"{year}Q%", quarter],
        ).df()
        grades = year_grades(connection, year)
        records = year_records(connection, year, quarter)

    template = _environment().get_template("member_dossier.html.j2")
    staging = folder.with_name(f".{folder.name}.tmp")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    by_member = {
        name: dict(tuple(frame.groupby("member_id"))) for name, frame in (("quarters", quarters), ("late", late))
    }
    by_quarter = {
        name: dict(tuple(frame.groupby(["member_id", "quarter"])))
        for name, frame in (("items", items), ("records", records))
    }
    grade_rows = {row["member_id"]: row for row in _rows(grades)}
    empty = pd.DataFrame()
    for member in _rows(members):
        member_id = member["member_id"]
        member["sector_name"] = member.pop("sector_label") or member.get("sector_name")
        member_quarters = []
        for quarter_row in _rows(by_member["quarters"].get(member_id, empty)):
            key = (member_id, quarter_row["quarter"])
            quarter_row["items"] = _rows(by_quarter["items"].get(key, empty))
            quarter_row["records"] = _rows(by_quarter["records"].get(key, empty))
            member_quarters.append(quarter_row)
        page = template.render(
            year=year,
            member=member,
            grade=grade_rows.get(member_id),
            quarters=member_quarters,
            quarters_total=sum(row["total_points"] for row in member_quarters),
            late=_rows(by_member["late"].get(member_id, empty)),
            generated_from=f"{quarter} 评分",
        )
        (staging / f"{member_id}.html").write_text(page, encoding="utf-8")
    old = folder.with_name(f".{folder.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if folder.exists():
        os.replace(folder, old)
    os.replace(staging, folder)
    shutil.rmtree(old, ignore_errors=True)
    return len(members)
