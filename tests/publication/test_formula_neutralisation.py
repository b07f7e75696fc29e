"""Text in the workbooks never runs as a formula; numbers stay numbers."""

from __future__ import annotations

import duckdb
import openpyxl
import pandas as pd

from publication.reports import SHEETS, neutralise_formulas, write_workbook
from publication.scoring_workbook import write_scoring_workbook
from tests.scoring_marts import create_scoring_marts

LINK = '=HYPERLINK("http://example.com/x","click")'


def test_text_beginning_with_a_formula_trigger_gets_a_quote_and_nothing_else_changes():
    frame = pd.DataFrame(
        {
            "text": [LINK, "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "fine", "a=b", None],
            "numbers": [-0.05, -1.0, 0.0, 1.5, -3.0, 2.0, 7.0, 8.0, 9.0],
            "mixed": [-1, "-1", 2.5, "=1", None, True, "x", 0, "@"],
        }
    )
    neutralised = neutralise_formulas(frame)
    assert neutralised["text"].tolist()[:8] == [
        "'" + LINK,
        "'+cmd|' /C calc'!A0",
        "'-2+3",
        "'@SUM(A1)",
        "'\t=1",
        "'\r=1",
        "fine",
        "a=b",
    ]
    assert pd.isna(neutralised["text"].iloc[8])
    assert neutralised["numbers"].dtype == "float64"
    assert neutralised["numbers"].tolist() == frame["numbers"].tolist()
    assert neutralised["mixed"].tolist()[:4] == [-1, "'-1", 2.5, "'=1"]
    assert frame["text"].iloc[0] == LINK  # the caller's frame is left alone


def test_column_names_are_neutralised_too():
    assert neutralise_formulas(pd.DataFrame({"=cmd": ["x"], "name": ["y"]})).columns.tolist() == ["'=cmd", "name"]


def test_the_kpi_workbook_keeps_negative_numbers_and_quotes_formulas(tmp_path):
    rows = [
        {"period_start": "2023-01-01", "work_orders": 120, "work_orders_yoy": -0.05, "note": LINK},
        {"period_start": "2023-02-01", "work_orders": 100, "work_orders_yoy": 0.1, "note": "-ok"},
    ]
    path = tmp_path / "kpis.xlsx"
    write_workbook({grain: rows for grain in SHEETS}, path)

    sheet = openpyxl.load_workbook(path)[SHEETS["monthly"]]
    header = [cell.value for cell in sheet[1]]
    first, second = ({name: cell for name, cell in zip(header, row, strict=True)} for row in sheet.iter_rows(min_row=2))
    assert first["note"].value == "'" + LINK and first["note"].data_type == "s"
    assert second["note"].value == "'-ok"
    # a KPI's header is its label in the KPI definitions
    assert first["工单量同比"].value == -0.05 and first["工单量同比"].data_type == "n"
    assert first["工单量"].value == 120


def test_the_scoring_workbook_quotes_formulas_in_labels_and_late_records(tmp_path):
    published = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(published)) as connection:
        create_scoring_marts(connection, item_label="=1+1", town="+town", grade="@good", late_record_id=LINK)
    path = tmp_path / "member_scores_2023Q4.xlsx"
    assert write_scoring_workbook(published, "2023Q4", path) == 1

    workbook = openpyxl.load_workbook(path)
    sector = workbook["S1 经济界"]
    header = [cell.value for cell in sector[1]]
    row = {name: cell for name, cell in zip(header, sector[2], strict=True)}
    assert "'=1+1" in header
    assert row["'=1+1"].value == 5 and row["季度总分"].data_type == "n"
    assert row["所属镇街工委"].value == "'+town"
    assert row["年度等次"].value == "'@good"
    late = workbook["迟报记录"]
    late_row = {cell.value: value.value for cell, value in zip(late[1], late[2], strict=True)}
    assert late_row["记录编号"] == "'" + LINK
    assert [cell.value for cell in workbook["一人一档"][2]][3] == "'=1+1"
