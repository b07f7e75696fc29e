"""The attention workbook as the office opens it: a sheet per kind (empty ones too), Chinese
headers, dates as dates, text that cannot run as a formula, and a summary by kind and unit."""

from __future__ import annotations

import datetime as dt

import duckdb
import openpyxl

from publication.attention_workbook import NO_UNIT, SUMMARY_SHEET, write_attention_workbook

LINK = '=HYPERLINK("http://example.com/x","click")'


def test_a_sheet_per_kind_and_a_summary_per_kind_and_unit(tmp_path):
    published = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(published)) as connection:
        connection.execute(
            """
            create table dim_attention_kind as select * from (values
                ('stuck_liaison_case', '超时停留联系案例', 3, ''),
                ('overdue_work_order', '超期未办结工单', 1, ''),
                ('overdue_list_item', '超期未完成三清单事项', 2, '')
            ) as t(attention_kind, attention_kind_label, sort_order, description);
            create table fct_attention_items as select * from (values
                ('overdue_list_item', '超期未完成三清单事项', 'YT1/责任落实/1', '整改', '推进中', '城管局', null,
                 date '2023-12-29', 2, 0, date '2023-12-31'),
                ('stuck_liaison_case', '超时停留联系案例', 'LL1', ?, '连线（待凝心）', null, 'WY0001',
                 date '2024-01-05', 5, 3, date '2024-01-10'),
                ('stuck_liaison_case', '超时停留联系案例', 'LL2', '河道', '转办（待审批）', '城管局', 'WY0002',
                 date '2024-01-08', 2, 2, date '2024-01-10')
            ) as t(attention_kind, attention_kind_label, item_id, title, status, responsible_unit, member_id,
                   due_date, days_overdue, working_days_overdue, as_of_date);
            """,
            [LINK],
        )
    path = tmp_path / "attention.xlsx"

    counts = write_attention_workbook(published, path)

    assert counts == {"超期未办结工单": 0, "超期未完成三清单事项": 1, "超时停留联系案例": 2}
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames == [SUMMARY_SHEET, "超期未办结工单", "超期未完成三清单事项", "超时停留联系案例"]
    assert [cell.value for cell in workbook["超期未办结工单"][1]][:3] == ["编号", "事项", "当前状态"]
    assert workbook["超期未办结工单"].max_row == 1  # nothing late: the headers only

    liaison = workbook["超时停留联系案例"]
    header = [cell.value for cell in liaison[1]]
    rows = [{name: cell for name, cell in zip(header, row, strict=True)} for row in liaison.iter_rows(min_row=2)]
    assert [row["编号"].value for row in rows] == ["LL1", "LL2"]  # longest overdue first
    assert rows[0]["事项"].value == "'" + LINK
    assert rows[0]["应完成日期"].value == dt.datetime(2024, 1, 5) and rows[0]["应完成日期"].is_date
    assert rows[0]["超期工作日"].value == 3

    summary = [[cell.value for cell in row] for row in workbook[SUMMARY_SHEET].iter_rows()]
    assert [row[:2] for row in summary[1:4]] == [
        ["超期未办结工单", 0],
        ["超期未完成三清单事项", 1],
        ["超时停留联系案例", 2],
    ]
    by_unit = summary[6:]
    assert by_unit[0] == ["责任单位", "超期未办结工单", "超期未完成三清单事项", "超时停留联系案例", "合计"]
    assert by_unit[1:] == [["城管局", 0, 1, 1, 2], [NO_UNIT, 0, 0, 1, 1]]
