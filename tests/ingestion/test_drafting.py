"""Drafting a starting source profile from an export's headers and values."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from pathlib import Path

import openpyxl
import pytest
import yaml

from demodata.hotline_exports import EXPORT_HEADERS
from ingestion.drafting import (
    DICTIONARY_PATH,
    contract_columns,
    detect_formats,
    draft,
    draft_profile,
    normalize,
)
from ingestion.profile_check import check_file
from ingestion.profiles import load_profile

QIDONG_PROFILE = Path(__file__).resolve().parents[2] / "ingestion" / "profiles" / "hotline_qidong_v2023.yaml"


def write_csv(path: Path, rows: list[list[str]], encoding: str) -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def header_of(spec: str | dict) -> str:
    return spec if isinstance(spec, str) else spec["from"]


def line_of(text: str, start: str) -> str:
    return next(line for line in text.splitlines() if line.strip().startswith(start))


@pytest.fixture
def us_311(tmp_path: Path) -> Path:
    rows = [
        ["Unique Key", "Created Date", "Closed Date", "Agency", "Complaint Type", "Descriptor", "Incident Address",
         "Status", "Due Date", "Resolution Description", "Borough", "Open Data Channel Type", "ontime", "Latitude"],
        ["41069627", "01/11/2019 12:19:31 AM", "01/11/2019 02:10:05 AM", "NYPD", "Noise - Residential",
         "Loud Music/Party", "123 MAIN ST", "Closed", "01/11/2019 08:19:31 AM", "The police responded.", "BROOKLYN",
         "PHONE", "ONTIME", "40.61"],
        ["41069628", "01/11/2019 01:02:00 PM", "", "DOT", "Street Condition", "Pothole", "45 ELM AVE", "Open", "",
         "", "BRONX", "ONLINE", "OVERDUE", "40.82"],
        ["41069629", "01/11/2019 11:59:59 PM", "01/12/2019 09:00:00 AM", "DSNY", "Dirty Conditions", "Trash", "",
         "Cancelled", "", "", "QUEENS", "MOBILE", "ONTIME", "40.71"],
        ["41069630", "01/11/2019 11:59:59 PM", "", "DSNY", "Dirty Conditions", "Trash", "",
         "Email Sent", "", "", "QUEENS", "MOBILE", "", "40.71"],
    ]  # fmt: skip
    return write_csv(tmp_path / "311_service_requests_2019-01-11.csv", rows, "utf-8")


def test_english_311_export_maps_headers_formats_and_values(us_311):
    report = draft(us_311)
    profile = yaml.safe_load(report.text)

    assert profile["name"] == "311_service_requests"
    assert profile["table"] == "hotline_work_orders"
    assert profile["match"]["filename"] == r"^311_service_requests_\d{4}-\d{2}-\d{2}\.csv$"
    assert re.search(profile["match"]["filename"], us_311.name)
    assert profile["match"]["headers_include"] == ["Unique Key", "Created Date"]
    found = re.search(profile["snapshot_date"]["from_filename"], us_311.name)
    assert dt.date(*map(int, found.groups())) == dt.date(2019, 1, 11)
    assert "timezone" not in profile and "# TODO: set the export's zone, e.g. America/New_York" in report.text
    assert profile["deadline"] == "export_only"  # China's limits and holidays time no 311 request
    assert profile["calendar"] == "weekdays"
    assert profile["timestamp_formats"] == ["%m/%d/%Y %I:%M:%S %p"]
    assert profile["required"] == ["work_order_id", "received_at"]

    columns = profile["columns"]
    assert {name: header_of(spec) for name, spec in columns.items()} == {
        "work_order_id": "Unique Key",
        "address_hash": "Incident Address",
        "channel": "Open Data Channel Type",
        "category_l1_name": "Complaint Type",
        "category_l2_name": "Descriptor",
        "town": "Borough",
        "handling_unit": "Agency",
        "received_at": "Created Date",
        "dispatched_at": "Created Date",  # no dispatch time: the clock starts at receipt
        "completed_at": "Closed Date",
        "due_at": "Due Date",
        "is_on_time_reported": "ontime",
        "status": "Status",
        "handling_result": "Resolution Description",
    }
    assert list(columns) == [c.name for c in contract_columns() if c.name in columns]  # the contract's order
    assert columns["address_hash"]["personal"] == "hash"
    assert columns["handling_result"]["personal"] == "mask_text"
    assert all(isinstance(columns[name], str) for name in ("received_at", "completed_at", "due_at"))  # the default
    assert columns["status"]["map"] == {
        "Closed": "已办结",
        "Open": "办理中",
        "Cancelled": "已作废",
        "Email Sent": "未知",
    }
    assert line_of(report.text, "Email Sent:").endswith("# TODO: check")
    assert "TODO" not in line_of(report.text, "Closed:") and "TODO" not in line_of(report.text, "Cancelled:")
    assert columns["channel"]["map"] == {"PHONE": "电话", "ONLINE": "网站", "MOBILE": "APP/小程序"}
    assert columns["is_on_time_reported"]["map"] == {"ONTIME": "是", "OVERDUE": "否"}
    assert "退单率 (send_back_rate)" in report.unsupported_kpis  # no 311 status says sent back

    assert report.unmatched_headers == ["Latitude"]
    assert "#   - Latitude" in report.text
    assert "#   - appeal_type (诉求类型)" in report.text
    assert "#   - 投诉量 (complaints): needs appeal_type" in report.text
    assert "#   - 满意率 (satisfaction_rate): needs satisfaction" in report.text
    assert "工单量 (work_orders)" not in report.text  # received_at is mapped
    assert report.todos[1:] == [
        "status: 'Email Sent' -> 未知",
        "timezone: set the export's zone (without one, Asia/Shanghai is assumed)",
        "calendar: weekdays counts no holiday; name the country (US-NY, CA-ON, GB-ENG) to leave its holidays out",
    ]
    assert report.todos[0].startswith("dispatched_at: the export has no dispatch time")
    # each is marked in the file too, which is what `profiles draft` counts
    assert "TODO: no dispatch time" in line_of(report.text, "dispatched_at:")
    assert [line.split(":")[0].strip() for line in report.todo_lines] == [
        "# TODO",  # the zone
        "# TODO",  # the country, for its public holidays
        "dispatched_at",
        "Email Sent",
    ]
    assert "calendar: US-NY" in next(line for line in report.todo_lines if "holidays" in line)


def test_gb18030_export_with_chinese_headers_and_excel_serial_dates(tmp_path):
    rows = [
        ["工单号", "受理时间", "办结时间", "办理时限", "诉求类别", "工单状态", "所属镇街", "承办部门", "联系电话",
         "来电人", "问题描述", "是否超期", "满意度"],
        ["A001", "44931.4375", "44932.5", "44936", "投诉", "已办结", "汇龙镇", "城管局", "13812345678", "张伟",
         "路灯不亮", "否", "满意"],
        ["A002", "44931.6", "", "44936", "咨询", "处理中", "惠萍镇", "住建局", "13900000000", "李娜", "咨询公积金",
         "否", "很满意"],
        ["A003", "44932", "44933.25", "44937", "表扬", "已办结", "汇龙镇", "城管局", "", "王芳", "感谢", "是",
         "不满意"],
    ]  # fmt: skip
    path = write_csv(tmp_path / "12345_gongdan_20230105.csv", rows, "gb18030")

    report = draft(path)
    profile = yaml.safe_load(report.text)

    assert report.encoding == "gb18030" and "(csv, gb18030; 3 rows, 13 headers)" in report.text
    assert profile["name"] == "12345_gongdan"
    assert profile["match"]["filename"] == r"^12345_gongdan_\d{8}\.csv$"
    assert profile["match"]["headers_include"] == ["工单号", "受理时间"]
    assert profile["snapshot_date"] == {"from_filename": r"(\d{4})(\d{2})(\d{2})"}
    assert profile["timezone"] == "Asia/Shanghai"
    assert "deadline" not in profile  # the default: the export's deadline, else China's limits
    assert profile["timestamp_formats"] == ["excel"]

    columns = profile["columns"]
    assert {name: header_of(spec) for name, spec in columns.items()} == {
        "work_order_id": "工单号",
        "caller_name_hash": "来电人",
        "caller_phone_hash": "联系电话",
        "appeal_text": "问题描述",
        "appeal_type": "诉求类别",
        "town": "所属镇街",
        "handling_unit": "承办部门",
        "received_at": "受理时间",
        "dispatched_at": "受理时间",
        "completed_at": "办结时间",
        "due_at": "办理时限",
        "status": "工单状态",
        "satisfaction": "满意度",
    }
    assert columns["caller_name_hash"] == {"from": "来电人", "personal": "hash"}
    assert columns["caller_phone_hash"] == {"from": "联系电话", "personal": "hash"}
    assert columns["appeal_text"] == {"from": "问题描述", "personal": "mask_text"}
    assert columns["appeal_type"]["map"] == {"表扬": "表扬/感谢"}  # 投诉 and 咨询 are already members
    assert columns["status"]["map"] == {"处理中": "办理中"}
    assert columns["satisfaction"]["map"] == {"很满意": "非常满意"}
    assert report.unmatched_headers == ["是否超期"]  # not 是否按时办结: it says the opposite
    assert "#   - 是否超期" in report.text
    assert "按时办结率 (completed_on_time_rate)" not in report.text  # the clock starts at 受理时间
    assert "#   - 及时签收率 (signed_on_time_rate): needs signed_at" in report.text
    assert [todo.split(":")[0] for todo in report.todos] == ["dispatched_at"]


def test_xlsx_message_board_export_with_mixed_date_formats(tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["留言编号", "留言用户", "留言主题", "留言时间", "留言详情", "答复意见", "答复时间", "点赞数"])
    sheet.append(["1001", "A00012", "噪音扰民", "2020/1/5", "楼下夜间施工", "已转城管处理", "2020/1/8 9:30:00", "3"])
    sheet.append(["1002", "A00013", "路灯不亮", "2020-01-05 10:02:00", "路灯坏了", "已修复", "2020/1/9 10:00:00", "0"])
    sheet.append(["1003", "A00014", "公交线路", "2020-01-06 11:00:00", "建议加开公交", "", "", "12"])
    sheet.append(["1004", "A00015", "学位咨询", dt.datetime(2020, 1, 7, 8, 15), "学区划分", "", "", "1"])
    path = tmp_path / "问政留言_导出.xlsx"
    workbook.save(path)

    report = draft(path)
    profile = yaml.safe_load(report.text)

    assert profile["name"] == "问政留言_导出"
    assert profile["match"]["filename"] == r"^问政留言_导出\.xlsx$"
    assert re.search(profile["match"]["filename"], path.name)
    assert profile["snapshot_date"] == {"newest_timestamp": True}
    assert "# command_line: true" in report.text
    assert report.formats == {
        "received_at": ["%Y-%m-%d %H:%M:%S", "%Y/%m/%d"],  # most common first
        "dispatched_at": ["%Y-%m-%d %H:%M:%S", "%Y/%m/%d"],  # the clock starts at the posting time
        "completed_at": ["%Y/%m/%d %H:%M:%S"],
    }
    assert profile["timestamp_formats"] == ["%Y-%m-%d %H:%M:%S", "%Y/%m/%d"]
    columns = profile["columns"]
    assert columns["received_at"] == "留言时间"
    assert columns["completed_at"] == {"from": "答复时间", "formats": ["%Y/%m/%d %H:%M:%S"]}
    assert columns["work_order_id"] == "留言编号"
    assert columns["caller_name_hash"] == {"from": "留言用户", "personal": "hash"}
    assert columns["title"] == {"from": "留言主题", "personal": "mask_text"}
    assert columns["appeal_text"] == {"from": "留言详情", "personal": "mask_text"}
    assert columns["handling_result"] == {"from": "答复意见", "personal": "mask_text"}
    assert report.unmatched_headers == ["点赞数"]
    assert "#   - 满意率 (satisfaction_rate): needs satisfaction" in report.text


def test_a_message_board_with_a_reply_time_only_is_closed_by_the_reply_and_not_rated_is_empty(tmp_path):
    rows = [
        ["留言编号", "留言时间", "回复时间", "满意度"],
        ["1", "2023-03-05 08:03:00", "2023-03-06 09:30:00", "满意"],
        ["2", "2023-03-05 10:15:00", "", "未评价"],
    ]
    report = draft(write_csv(tmp_path / "市长留言板_2023年3月.csv", rows, "utf-8"))
    columns = yaml.safe_load(report.text)["columns"]
    # the completion KPIs need a completion: the reply is proposed, marked for the reader to check
    assert columns["completed_at"] == columns["replied_at"] == "回复时间"
    assert "TODO: no completion time: the reply closes the case" in line_of(report.text, "completed_at:")
    assert "(completion_rate)" not in report.text and "(avg_handling_working_days)" not in report.text
    assert columns["satisfaction"] == {"from": "满意度", "map": {"未评价": ""}}  # not rated: no rating


@pytest.mark.parametrize(
    ("limits", "column"),
    [(["5", "10", "15"], "time_limit_working_days"), (["2023-06-08 18:00:00", "", "2023-06-09"], "due_at")],
    ids=["days", "deadlines"],
)
def test_a_time_limit_given_in_days_is_drafted_as_the_orders_own_limit_not_a_deadline(tmp_path, limits, column):
    rows = [["工单编号", "受理时间", "派单时间", "办理时限"]]
    rows += [[f"A{n}", "2023-06-01 08:00:00", "2023-06-01 09:00:00", limit] for n, limit in enumerate(limits)]
    report = draft(write_csv(tmp_path / "12345工单导出(2023-06-01).csv", rows, "gb18030"))
    columns = yaml.safe_load(report.text)["columns"]
    assert header_of(columns[column]) == "办理时限"
    assert {"due_at", "time_limit_working_days"} - {column} <= set(report.unmapped_columns)


def test_limits_in_hours_among_days_feed_both_limit_columns_and_the_rest_is_left_to_a_person(tmp_path):
    limits = ["5个工作日", "3个工作日", "10个工作日", "15个工作日", "5个工作日", "3个工作日", "5个工作日", "3个工作日",
              "10个工作日", "24小时", "5个工作日", "另行约定"]  # fmt: skip
    rows = [["工单编号", "受理时间", "派单时间", "办理时限"]]
    rows += [[f"A{n}", "2023-06-01 08:00:00", "2023-06-01 09:00:00", limit] for n, limit in enumerate(limits)]
    report = draft(write_csv(tmp_path / "12345工单导出(2023-06-01).csv", rows, "gb18030"))

    columns = yaml.safe_load(report.text)["columns"]
    assert header_of(columns["time_limit_working_days"]) == header_of(columns["time_limit_hours"]) == "办理时限"
    assert "1 value(s) not a number of days, e.g. '另行约定'" in line_of(report.text, "time_limit_working_days:")
    assert any(todo.startswith("time_limit_working_days: ") for todo in report.todos)


def test_a_zero_date_is_no_value_to_find_a_format_for():
    values = ["2023-06-01 08:00:00", "0000-00-00 00:00:00", "0000-00-00"]
    assert detect_formats(values) == (["%Y-%m-%d %H:%M:%S"], [], [])


def test_detect_formats_orders_by_frequency_and_reports_what_fits_nothing():
    values = ["2020/1/5", "2020-01-05 10:02:00", "2020-01-06 11:00:00", "", "n/a", "2020-01-06 11:00:00"]
    assert detect_formats(values) == (["%Y-%m-%d %H:%M:%S", "%Y/%m/%d"], ["n/a"], [])
    assert detect_formats(["2023-07-01T08:30:00", "2023-07-01T08:30:00+08:00", "2023-07-02T09:00:00Z"])[0] == [
        "iso8601"
    ]
    assert detect_formats(["44197.4375", "44198"])[0] == ["excel"]
    assert detect_formats(["123", "99999999.5"])[0] == []  # numbers outside 1970-2100 are no dates
    # day-first dates are told apart by a day above 12; without one the US order wins, flagged
    assert detect_formats(["13/01/2019", "02/01/2019"])[0] == ["%d/%m/%Y"]
    assert detect_formats(["01/02/2019"]) == (["%m/%d/%Y"], [], ["%d/%m/%Y"])
    # what Chinese systems write: hours and minutes in characters, dots, Java's ".0" of a second
    assert detect_formats(["2023年1月5日 8时10分", "2023年01月06日 09时05分"])[0] == ["%Y年%m月%d日 %H时%M分"]
    assert detect_formats(["2023.01.06 08:00", "2023.1.7 9:30"])[0] == ["%Y.%m.%d %H:%M"]
    assert detect_formats(["2023/01/09 10:00:00.0"])[0] == ["%Y/%m/%d %H:%M:%S.%f"]


def test_name_can_be_given_and_a_missing_id_is_a_todo(tmp_path):
    path = write_csv(tmp_path / "export.csv", [["Created Date", "Foo"], ["2023-01-05", "x"]], "utf-8")
    report = draft(path, name="city_b_311")
    profile = yaml.safe_load(report.text)
    assert profile["name"] == "city_b_311"
    assert "work_order_id" not in profile["columns"]  # so loading it says the required column is unmapped
    assert "  # work_order_id: ?   # TODO: no header looked like 工单编号" in report.text
    assert report.missing_required == ["work_order_id"]
    assert profile["match"]["headers_include"] == ["Created Date"]
    assert draft_profile(path, name="city_b_311") == report.text


def test_values_nothing_fits_are_left_out_of_the_map_with_a_todo(tmp_path):
    rows = [
        ["Case Number", "Created Date", "Satisfaction", "Repeat", "Priority"],
        ["1", "2023-01-05", "Very Satisfied", "Y", "Normal"],
        ["2", "2023-01-05", "Neutral", "X", "P2"],
        ["3", "2023-01-05", "4", "N", "Urgent"],
    ]
    report = draft(write_csv(tmp_path / "cases.csv", rows, "utf-8"))
    columns = yaml.safe_load(report.text)["columns"]
    assert columns["satisfaction"]["map"] == {"Very Satisfied": "非常满意", "4": "满意"}  # 4 = its level_rank
    assert line_of(report.text, '"4":').endswith("# TODO: check")
    assert line_of(report.text, "# Neutral: ?").endswith(
        'map it to one of 非常满意, 满意, 基本满意, 不满意, 非常不满意, or to "" (empty)'
    )
    assert columns["is_repeat"] == {"from": "Repeat"}  # Y and N are flags already; X has no suggestion
    assert '# X: ?   # TODO: no member fits; map it to one of 是, 否, or to "" (empty)' in report.text
    # the map with no entry is a comment too: uncommented as the TODO says, the profile stays valid
    edited = report.text.replace("    # map:", "    map:").replace("      # X: ?", '      X: ""')
    assert yaml.safe_load(edited)["columns"]["is_repeat"] == {"from": "Repeat", "map": {"X": ""}}
    assert columns["urgency"]["map"] == {"Normal": "一般", "P2": "一般", "Urgent": "紧急"}
    assert line_of(report.text, "P2:").endswith("# TODO: check")
    assert report.todos == [
        "urgency: 'P2' -> 一般",
        "satisfaction: 'Neutral' -> ?",
        "satisfaction: '4' -> 满意",
        "is_repeat: 'X' -> ?",
        "timezone: set the export's zone (without one, Asia/Shanghai is assumed)",
        "calendar: weekdays counts no holiday; name the country (US-NY, CA-ON, GB-ENG) to leave its holidays out",
    ]  # fmt: skip (in the contract's column order, then the settings)


def test_a_vocabulary_column_with_many_values_gets_a_todo_instead_of_a_map(tmp_path):
    rows = [["工单编号", "来电时间", "诉求渠道"]] + [[f"A{i}", "2023-01-05 08:00:00", f"渠道{i}"] for i in range(40)]
    report = draft(write_csv(tmp_path / "gongdan.csv", rows, "utf-8"))
    profile = yaml.safe_load(report.text)
    assert profile["columns"]["channel"] == "诉求渠道"
    assert "TODO: 40 distinct values, 40 outside the vocabulary" in line_of(report.text, "channel:")


def test_headers_that_need_quoting_stay_valid_yaml(tmp_path):
    rows = [
        ["ID: #", "Created\nDate", "Status", "Notes\n(internal)"],
        ["1", "2023-01-05", "yes", ""],
        ["2", "2023-01-05", "No", ""],
    ]
    workbook = openpyxl.Workbook()
    for row in rows:  # a spreadsheet: header cells there may hold line breaks
        workbook.active.append(row)
    path = tmp_path / "weird [1].xlsx"
    workbook.save(path)
    report = draft(path)
    profile = yaml.safe_load(report.text)
    assert re.search(profile["match"]["filename"], path.name)
    assert header_of(profile["columns"]["received_at"]) == "Created\nDate"
    assert profile["columns"]["status"]["map"] == {"yes": "未知", "No": "未知"}  # strings, not booleans
    assert report.unmatched_headers == ["ID: #", "Notes\n(internal)"]
    assert "#   - Notes (internal)" in report.text


@pytest.mark.parametrize(
    ("sample", "others", "name"),
    [
        ("市长留言板_2023年12月.csv", ["市长留言板_2024年3月.csv"], "市长留言板"),
        ("2023年1月工单.csv", ["2024年11月工单.csv"], "工单"),
        ("311_cases_2023-01.csv", ["311_cases_2024-12.csv"], "311_cases"),
        ("requests_202301.csv", ["requests_202412.csv"], "requests"),
        ("311_Service_Requests_2023.csv", ["311_Service_Requests_2024.csv"], "311_service_requests"),
    ],
)
def test_a_month_or_year_in_the_file_name_is_not_taken_for_the_export_date(tmp_path, sample, others, name):
    rows = [["工单编号", "来电时间", "诉求内容"], ["A1", "2023-01-05 08:00:00", "路灯不亮"]]
    report = draft(write_csv(tmp_path / sample, rows, "utf-8"))
    profile = yaml.safe_load(report.text)
    # the next months' files are the same layout: one profile, named without the month, finds them
    assert profile["name"] == name
    assert all(re.search(profile["match"]["filename"], other) for other in [sample, *others])
    # a month's file may be exported any time after: its newest event dates it, not the month
    assert profile["snapshot_date"] == {"newest_timestamp": True}
    assert "the file name carries a " in line_of(report.text, "snapshot_date:")


def test_the_demo_export_drafts_like_the_shipped_profile(tmp_path):
    rows = [list(EXPORT_HEADERS), ["x"] * len(EXPORT_HEADERS)]
    report = draft(write_csv(tmp_path / "12345_gongdan_20230103.csv", rows, "utf-8"))
    shipped = yaml.safe_load(QIDONG_PROFILE.read_text(encoding="utf-8"))["columns"]
    assert report.mapped == {name: header_of(spec) for name, spec in shipped.items()}
    assert report.unmatched_headers == [] and "#   (none)" in report.text
    assert report.unmapped_columns == [c.name for c in contract_columns() if c.name not in shipped]


def test_the_header_dictionary_is_consistent_with_the_contract():
    dictionary = yaml.safe_load(DICTIONARY_PATH.read_text(encoding="utf-8"))
    columns = {column.name: column for column in contract_columns()}
    assert set(dictionary["headers"]) <= set(columns)
    owner: dict[str, str] = {}
    for column, headers in dictionary["headers"].items():
        for header in headers:
            assert isinstance(header, str), (column, header)
            assert owner.setdefault(normalize(header), column) == column, f"{header} listed twice"
    for column, table in dictionary["values"].items():
        members = (*(columns[column].vocabulary or ("是", "否")), "")  # "": none given
        for member, aliases in table.items():
            assert member in members, (column, member)
            assert all(isinstance(alias, str) for alias in aliases), (column, member)


def test_a_follow_up_result_that_holds_satisfaction_levels_is_drafted_as_the_rating(tmp_path):
    rows = [["工单编号", "受理时间", "办结时间", "回访结果"]]
    results = ["满意", "基本满意", "未回访", "不满意", "满意", "满意"]
    rows += [[f"A{n}", "2023-06-01 08:00:00", "2023-06-02 09:00:00", result] for n, result in enumerate(results)]
    report = draft(write_csv(tmp_path / "12345工单导出(2023-06-01).csv", rows, "gb18030"))

    columns = yaml.safe_load(report.text)["columns"]
    assert columns["satisfaction"] == {"from": "回访结果", "map": {"未回访": ""}}
    assert "follow_up_result" not in columns
    assert "满意率 (satisfaction_rate)" not in report.text  # no longer among the KPIs it cannot support


def test_a_311_duplicate_flag_is_drafted_as_void_orders_not_as_repeats(tmp_path):
    rows = [["SR_NUMBER", "SR_TYPE", "STATUS", "CREATED_DATE", "CLOSED_DATE", "DUPLICATE"]]
    rows += [
        ["SR24-0001", "Pothole in Street", "Open", "04/05/2024 09:15:22 AM", "", "false"],
        ["SR24-0002", "Pothole in Street", "Completed", "04/05/2024 10:15:22 AM", "04/06/2024 10:15:22 AM", "true"],
        ["SR24-0003", "Graffiti Removal", "Canceled", "04/05/2024 11:15:22 AM", "04/05/2024 12:15:22 PM", "false"],
    ]
    path = write_csv(tmp_path / "311_Service_Requests_2024-06-05.csv", rows, "utf-8")

    report = draft(path)
    profile = yaml.safe_load(report.text)

    assert profile["void_when"] == {"DUPLICATE": ["true"]}
    assert "is_repeat" not in profile["columns"]
    assert profile["columns"]["status"]["map"]["Canceled"] == "已作废"
    assert line_of(report.text, "void_when:").split("#")[1].strip().startswith("TODO: check")
    (tmp_path / "profiles").mkdir()
    saved = tmp_path / "profiles" / "chicago.yaml"
    saved.write_text(report.text, encoding="utf-8")
    checked = check_file(path, [load_profile(saved)])  # the draft loads as it stands
    assert checked.error is None and checked.rows_quarantined == 0


def test_an_apis_english_keys_over_chinese_values_draft_as_a_chinese_system(tmp_path):
    records = [
        {"orderNo": "GD0001", "acceptTime": "2024-07-03 14:22:05", "dispatchTime": "2024-07-03 15:00:00",
         "finishTime": "2024-07-05 10:00:00", "limitTime": "5个工作日", "appealType": "投诉", "orderStatus": "已办结",
         "deptName": "市住建局", "content": "小区路灯不亮，请尽快维修。"},
        {"orderNo": "GD0002", "acceptTime": "2024-07-04 09:10:00", "dispatchTime": "2024-07-04 09:30:00",
         "finishTime": "", "limitTime": "3个工作日", "appealType": "咨询", "orderStatus": "已撤销",
         "deptName": "市人社局", "content": "咨询社保转移办理流程。"},
    ]  # fmt: skip
    path = tmp_path / "gov_workorder_dump_20240818.json"
    path.write_text(json.dumps({"code": 0, "data": {"total": 2, "list": records}}, ensure_ascii=False), "utf-8")

    report = draft(path)
    profile = yaml.safe_load(report.text)

    assert {name: header_of(spec) for name, spec in profile["columns"].items()} == {
        "work_order_id": "orderNo",
        "appeal_text": "content",
        "appeal_type": "appealType",
        "handling_unit": "deptName",
        "received_at": "acceptTime",
        "dispatched_at": "dispatchTime",
        "completed_at": "finishTime",
        "time_limit_working_days": "limitTime",
        "status": "orderStatus",
    }
    assert profile["timezone"] == "Asia/Shanghai"
    assert "deadline" not in profile and "calendar" not in profile  # China's limits and calendar apply
    assert profile["columns"]["status"]["map"] == {"已撤销": "已作废"}
    assert "退单率 (send_back_rate)" not in report.unsupported_kpis  # a Chinese system's orders can be sent back


@pytest.mark.parametrize(
    "resolution",
    [
        "The Department of Sanitation determined that this complaint is a duplicate of a previously filed one.",  # NYC
        "Case Noted. duplicate of case 101004703442",  # Boston
        "Case Invalid. Not enough information to locate the problem",  # Boston: no real request
    ],
)
def test_a_resolution_that_calls_a_request_a_duplicate_is_drafted_as_void_when(tmp_path, resolution):
    rows = [["Unique Key", "Created Date", "Closed Date", "Status", "Resolution Description"]]
    rows += [
        ["1", "01/05/2024 10:22:31 AM", "01/05/2024 11:22:31 AM", "Closed", "The Police Department responded."],
        ["2", "01/05/2024 10:25:31 AM", "01/05/2024 12:22:31 PM", "Closed", resolution],
        ["3", "01/05/2024 10:27:31 AM", "01/05/2024 12:22:31 PM", "Closed", "Case Resolved. Duplicate signs removed."],
        ["4", "01/05/2024 10:28:31 AM", "01/05/2024 12:22:31 PM", "Closed", "Not a duplicate of #12345; fixed."],
    ]  # fmt: skip
    path = write_csv(tmp_path / "311_service_requests_2024-01-06.csv", rows, "utf-8")

    report = draft(path)
    profile = yaml.safe_load(report.text)

    assert list(profile["void_when"]) == ["Resolution Description"]
    (tmp_path / "profiles").mkdir()
    saved = tmp_path / "profiles" / "nyc.yaml"
    saved.write_text(report.text, encoding="utf-8")
    checked = check_file(path, [load_profile(saved)])
    assert checked.error is None and checked.void_rows == 1  # the duplicate, not the other


def test_times_with_utc_offsets_draft_the_zone_that_has_them_and_check_warns_without_it(tmp_path):
    # a Socrata portal's ISO times carry the city's offset, which moves with daylight saving (12 March 2023)
    rows = [["service_request_id", "requested_datetime", "closed_date", "status_description"]]
    rows += [
        ["101", "2023-03-10T08:15:22.000-05:00", "2023-03-13T10:00:00.000-04:00", "Closed"],
        ["102", "2023-03-14T23:30:00.000-04:00", "", "Open"],
    ]
    path = write_csv(tmp_path / "sr_export_2023-03-15.csv", rows, "utf-8")

    report = draft(path)
    profile = yaml.safe_load(report.text)

    # New York's offsets at those instants: it converts the times to the wall time they were written in
    assert profile["timezone"] == "America/New_York"
    assert "-04:00, -05:00" in line_of(report.text, "timezone:")
    assert profile["columns"]["status"] == {"from": "status_description", "map": {"Closed": "已办结", "Open": "办理中"}}
    (tmp_path / "profiles").mkdir()
    saved = tmp_path / "profiles" / "toronto.yaml"
    saved.write_text(report.text, encoding="utf-8")
    assert not [note for note in check_file(path, [load_profile(saved)]).notes if "UTC offsets" in note]

    # without it, Asia/Shanghai is assumed and every time would move 12 or 13 hours: check says so
    saved.write_text(report.text.replace("timezone: America/New_York", "# timezone:"), encoding="utf-8")
    notes = check_file(path, [load_profile(saved)]).notes
    assert any("UTC offsets (-04:00, -05:00) that Asia/Shanghai" in note for note in notes), notes
