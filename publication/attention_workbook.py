"""The office's attention workbook: what is late today, a sheet per kind and a summary to send.

Written with each publication from the published tables only (fct_attention_items, and
dim_attention_kind for the kinds and their order), so it lists exactly what BI tools show and
every kind has its sheet, empty on a day when nothing of that kind is late.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from core.errors import PipelineError
from core.warehouse import open_duckdb
from publication.reports import _width, neutralise_formulas

SUMMARY_SHEET = "汇总 summary"
# the columns of a kind's sheet, under the Chinese headers the office reads
ITEM_HEADERS = {
    "item_id": "编号",
    "title": "事项",
    "status": "当前状态",
    "responsible_unit": "责任单位",
    "member_id": "委员编号",
    "due_date": "应完成日期",
    "days_overdue": "超期天数",
    "working_days_overdue": "超期工作日",
    "as_of_date": "数据截至",
}
NO_UNIT = "（未转办单位）"  # a liaison case not yet forwarded: its member answers for it
MIN_COLUMN_WIDTH, MAX_COLUMN_WIDTH = 10, 60


def write_attention_workbook(published_warehouse: Path, path: Path) -> dict[str, int]:
    """Write the workbook to `path`; returns the number of items per kind label (0 included)."""
    if not published_warehouse.exists():
        raise PipelineError(f"{published_warehouse}: nothing published yet; run the pipeline first")
    with open_duckdb(published_warehouse, read_only=True) as connection:
        kinds = connection.execute(
            "select attention_kind, attention_kind_label from dim_attention_kind order by sort_order, attention_kind"
        ).fetchall()
        items = connection.execute("select * from fct_attention_items order by days_overdue desc, item_id").df()
    for column in ("due_date", "as_of_date"):  # dates, not midnight timestamps
        items[column] = pd.to_datetime(items[column]).dt.date

    counts = {label: int((items["attention_kind"] == kind).sum()) for kind, label in kinds}
    temporary = path.with_name(f".{path.name}.tmp")
    with pd.ExcelWriter(temporary, engine="xlsxwriter", date_format="yyyy-mm-dd") as writer:
        _write_summary(writer, items, kinds)
        for kind, label in kinds:
            rows = items[items["attention_kind"] == kind][list(ITEM_HEADERS)].rename(columns=ITEM_HEADERS)
            _write_sheet(writer, label[:31], rows)
    os.replace(temporary, path)
    return counts


def _write_summary(writer: pd.ExcelWriter, items: pd.DataFrame, kinds: list[tuple[str, str]]) -> None:
    """Counts per kind (with the longest delay and the data cut), then per unit and kind."""
    labels = [label for _, label in kinds]
    by_kind = pd.DataFrame(
        [
            {
                "事项类型": label,
                "条数": len(of_kind := items[items["attention_kind"] == kind]),
                "最长超期天数": of_kind["days_overdue"].max() if len(of_kind) else None,
                "数据截至": of_kind["as_of_date"].max() if len(of_kind) else None,
            }
            for kind, label in kinds
        ]
    )
    by_unit = (
        items.assign(责任单位=items["responsible_unit"].fillna(NO_UNIT))
        .pivot_table(index="责任单位", columns="attention_kind_label", values="item_id", aggfunc="count", fill_value=0)
        .reindex(columns=labels, fill_value=0)
    )
    by_unit["合计"] = by_unit.sum(axis=1)
    by_unit = by_unit.sort_values(["合计", "责任单位"], ascending=[False, True]).reset_index()
    by_unit.columns.name = None

    by_unit_start = len(by_kind) + 3  # two blank rows between the tables
    neutralise_formulas(by_kind).to_excel(writer, sheet_name=SUMMARY_SHEET, index=False)
    neutralise_formulas(by_unit).to_excel(writer, sheet_name=SUMMARY_SHEET, index=False, startrow=by_unit_start)
    sheet = writer.sheets[SUMMARY_SHEET]
    for position in range(max(by_kind.shape[1], by_unit.shape[1])):
        sheet.set_column(position, position, max(_column_width(by_kind, position), _column_width(by_unit, position)))


def _write_sheet(writer: pd.ExcelWriter, name: str, rows: pd.DataFrame) -> None:
    neutralise_formulas(rows).to_excel(writer, sheet_name=name, index=False)
    sheet = writer.sheets[name]
    sheet.freeze_panes(1, 1)
    for position in range(rows.shape[1]):
        sheet.set_column(position, position, _column_width(rows, position))


def _column_width(rows: pd.DataFrame, position: int) -> int:
    """Wide enough for the header and the longest value (Chinese characters count twice), capped."""
    if position >= rows.shape[1]:
        return 0
    texts = [str(rows.columns[position]), *(str(value) for value in rows.iloc[:, position] if pd.notna(value))]
    return min(max(MIN_COLUMN_WIDTH, *(_width(text) + 2 for text in texts)), MAX_COLUMN_WIDTH)
