"""Quarterly member scoring, as the committee office checks it.

Takes the demo data (a small hotline set and the office's registers for 2022-2023) after the
session's daily run (tests/conftest.py), runs the quarterly scoring DAG through Airflow itself,
and reads only the published artifacts: every active member scored, each score explained item
by item, caps, joint proposals, the year's grade by the part-year rule, a member's dossier and
workbook reconciled with the marts, and a frozen quarter that a late record cannot change.
"""

from __future__ import annotations

import datetime as dt
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from core.settings import PROJECT_DIR, get_settings
from demodata.committee_members import ACTIVITIES
from demodata.hotline_exports import REJECTED_XLSX
from pipeline import steps
from tests.conftest import HASH_KEY
from tests.fixtures.shared_runs import airflow_dags_test, copy_data
from tests.publication.dashboard_browser import open_dashboard

pytestmark = pytest.mark.slow
RUN_DATE = "2024-01-15"  # the quarterly run after the office's January export scores 2023Q4


def run_quarterly_dag(data_dir: Path) -> subprocess.CompletedProcess:
    return airflow_dags_test(data_dir, "member_scoring_quarterly", RUN_DATE)


@pytest.fixture(scope="module")
def published(tmp_path_factory, daily_demo):
    # as `make run`: the quarterly run after the daily one, here on a copy of the session's daily run
    data_dir = copy_data(daily_demo.data_dir, tmp_path_factory.mktemp("members") / "data")
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setenv("HOTLINE_DATA_DIR", str(data_dir))
    monkeypatch.setenv("HOTLINE_HASH_KEY", HASH_KEY)
    settings = get_settings()
    run = run_quarterly_dag(data_dir)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    yield settings
    monkeypatch.undo()


def published_query(settings, sql: str, parameters: list | None = None) -> list[tuple]:
    with duckdb.connect(str(settings.published_dir / "warehouse.duckdb"), read_only=True) as bi:
        return bi.execute(sql, parameters or []).fetchall()


def test_every_member_active_in_a_quarter_has_a_score(published):
    roster = pd.read_excel(sorted((published.landing_dir / "members").glob("委员名册_*.xlsx"))[-1], engine="calamine")
    q4_start, q4_end = dt.datetime(2023, 10, 1), dt.datetime(2023, 12, 31)
    active = roster[
        (roster["任职开始日期"] <= q4_end) & (roster["任职结束日期"].isna() | (roster["任职结束日期"] >= q4_start))
    ]
    scored = {
        member
        for (member,) in published_query(
            published, "select member_id from fct_member_quarterly_scores where quarter = '2023Q4'"
        )
    }
    assert scored == set(active["委员编号"])


def test_a_score_is_explained_item_by_item_from_the_published_tables(published):
    mismatches = published_query(
        published,
        """
        select scores.member_id, scores.quarter
        from fct_member_quarterly_scores as scores
        inner join fct_member_score_items as items using (member_id, quarter)
        group by scores.member_id, scores.quarter, scores.total_points
        having abs(scores.total_points - sum(items.points)) > 1e-9 or count(*) != 14
        """,
    )
    assert mismatches == []
    over_cap = published_query(published, "select count(*) from fct_member_score_items where points > cap")
    assert over_cap == [(0,)]
    capped = published_query(
        published,
        "select count(*) from fct_member_score_items where item = 'hotline_shift' and points_before_cap > cap",
    )
    assert capped[0][0] > 0  # some members did more shifts than the cap pays for
    # a full item: its records are listed, and records × points each = points before the cap
    unexplained = published_query(
        published,
        """
        select count(*) from fct_member_score_items
        where item in ('activity', 'hotline_shift', 'opinion_submitted')
          and records_counted != len(string_split(coalesce(source_record_ids, ''), ', ')) * (records_counted > 0)::int
        """,
    )
    assert unexplained == [(0,)]


def test_joint_proposers_get_half_and_the_first_proposer_all(published):
    proposals = pd.concat(
        pd.read_excel(path, engine="calamine", dtype=str)
        for path in (published.landing_dir / "members").glob("提案_*.xlsx")
    ).drop_duplicates("提案编号", keep="last")
    joint = proposals[proposals["联名提案人"].notna()].iloc[0]
    quarter = f"{joint['提交日期'][:4]}Q{(int(joint['提交日期'][5:7]) + 2) // 3}"
    first, partner = joint["第一提案人"], joint["联名提案人"].split("；")[0]
    rows = dict(
        published_query(
            published,
            """
            select member_id, points_each * 0 + records_counted from fct_member_score_items
            where item = 'proposal_submitted' and quarter = ? and member_id in (?, ?)
              and source_record_ids like '%' || ? || '%'
            """,
            [quarter, first, partner, joint["提案编号"]],
        )
    )
    assert rows[first] >= 1.0
    assert rows[partner] % 1 == 0.5  # the joint share shows as a half record


def test_the_workbook_has_a_sheet_per_sector_and_a_row_per_member(published):
    workbook = pd.read_excel(published.published_dir / "member_scores_2023Q4.xlsx", sheet_name=None, engine="calamine")
    sectors = [name for name in workbook if name[:2].isdigit()]
    assert len(sectors) == 17
    members = sum(len(workbook[name]) for name in sectors)
    assert (
        members
        == published_query(published, "select count(*) from fct_member_quarterly_scores where quarter = '2023Q4'")[0][0]
    )
    first = workbook[sectors[0]]
    assert {"委员编号", "季度总分", "界别排名", "全体排名", "年度等次", "12345热线值班"} <= set(first.columns)
    assert first["界别排名"].tolist() == sorted(first["界别排名"].tolist())


def test_the_year_grade_credits_part_year_members_with_the_full_year_members_median(published):
    """The grade rule recomputed from the roster export, the published records and the seeds."""
    roster = pd.read_excel(sorted((published.landing_dir / "members").glob("委员名册_*.xlsx"))[-1], engine="calamine")
    year_start, year_end = pd.Timestamp("2023-01-01"), pd.Timestamp("2023-12-31")
    roster["start"] = roster["任职开始日期"].clip(lower=year_start)
    roster["end"] = roster["任职结束日期"].fillna(year_end).clip(upper=year_end)
    roster = roster[roster["start"] <= roster["end"]].set_index("委员编号")
    full_year = roster[(roster["start"] == year_start) & (roster["end"] == year_end)].index
    records = pd.DataFrame(
        published_query(
            published,
            """
            select member_id, record_date, record_quarter, item, points_before_cap, cap
            from fct_member_score_records where quarter like '2023%'
            """,
        ),
        columns=["member", "date", "quarter", "item", "points", "cap"],
    )
    records["date"] = pd.to_datetime(records["date"])
    records = records[records["member"].isin(full_year)]

    def median_over(start, end) -> float:
        window = records[(records["date"] >= start) & (records["date"] <= end)]
        capped = window.groupby(["member", "quarter", "item"]).agg(points=("points", "sum"), cap=("cap", "first"))
        capped = capped["points"].where(capped["cap"].isna(), capped[["points", "cap"]].min(axis=1))
        return float(capped.groupby(level="member").sum().reindex(full_year, fill_value=0).median())

    bands = pd.read_csv(PROJECT_DIR / "dbt_project" / "seeds" / "score_bands.csv")
    graded_bands = bands.dropna(subset=["min_points"]).sort_values("min_points", ascending=False)
    rules = pd.read_csv(PROJECT_DIR / "dbt_project" / "seeds" / "scoring_rules.csv").set_index("rule")["value"]
    year_points = dict(
        published_query(
            published,
            "select member_id, sum(total_points) from fct_member_quarterly_scores"
            " where quarter like '2023%' group by 1",
        )
    )
    full_median = median_over(year_start, year_end)
    published_grades = {
        row[0]: row[1:]
        for row in published_query(
            published,
            "select member_id, service_days, expected_points, adjustment_points, grade"
            " from fct_member_yearly_grades where score_year = 2023",
        )
    }
    assert set(published_grades) == set(year_points)
    for member, (service_days, expected, adjustment, grade) in published_grades.items():
        start, end = roster.loc[member, "start"], roster.loc[member, "end"]
        assert service_days == (end - start).days + 1
        assert expected == pytest.approx(median_over(start, end)), member
        if service_days < rules["min_service_days_for_grade"]:
            assert (adjustment, grade) == (None, "不定等次"), member
            continue
        assert adjustment == pytest.approx(full_median - expected), member
        graded = year_points[member] + adjustment
        assert grade == graded_bands[graded_bands["min_points"] <= graded + 1e-9]["band"].iloc[0], member
    # the demo holds the cases the rule is for: a member who left after the January plenary,
    # and members who joined after January and are graded with the credit for what they missed
    short = [m for m, row in published_grades.items() if row[0] <= 10]
    assert short and all(published_grades[m][3] == "不定等次" for m in short)
    joined_late = [m for m in published_grades if roster.loc[m, "start"] > pd.Timestamp("2023-01-10")]
    assert any(published_grades[m][2] and published_grades[m][2] > 0 for m in joined_late)


class _Tables(HTMLParser):
    """The tables of an HTML page: each a (class, data-quarter, rows of cell texts)."""

    def __init__(self):
        super().__init__()
        self.tables: list[tuple[str, str, list[list[str]]]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "table":
            self.tables.append(
                (attributes.get("class") or attributes.get("id") or "", attributes.get("data-quarter"), [])
            )
        elif tag == "tr":
            self.tables[-1][2].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][2][-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def test_a_members_dossier_and_workbook_reconcile_item_by_item_with_the_published_marts(published):
    [(member, name, year_points, adjustment, graded, grade)] = published_query(
        published,
        """
        select grades.member_id, members.member_name, year_points, adjustment_points, graded_points, grade
        from fct_member_yearly_grades as grades inner join dim_member as members using (member_id)
        where score_year = 2023 and not is_full_year and is_graded
        order by service_days, member_id limit 1
        """,
    )
    marts_records = sorted(
        published_query(
            published,
            """
            select quarter, item_label, record_id, points_before_cap, points from fct_member_score_records
            where member_id = ? and quarter like '2023%'
            """,
            [member],
        )
    )
    items = {
        (quarter, label): points
        for quarter, label, points in published_query(
            published,
            "select quarter, item_label, points from fct_member_score_items"
            " where member_id = ? and quarter like '2023%'",
            [member],
        )
    }
    assert marts_records and len(name) >= 2  # a member's name is published in clear

    # the workbook: the member's records, each quarter's items, and the grade as it was reached
    workbook = pd.read_excel(published.published_dir / "member_scores_2023Q4.xlsx", sheet_name=None, engine="calamine")
    sheet = workbook["一人一档"]
    mine = sheet[sheet["委员编号"] == member]
    assert set(mine["姓名"]) == {name}
    assert (
        sorted(
            mine[["计分季度", "考核项目", "记录编号", "封顶前得分", "封顶后得分"]].itertuples(index=False, name=None)
        )
        == marts_records
    )
    by_item = mine.groupby(["计分季度", "考核项目"])["封顶后得分"].sum()
    assert {key: value for key, value in items.items() if value} == {k: v for k, v in by_item.items() if v}
    assert mine["封顶后得分"].sum() == pytest.approx(year_points)
    grades = workbook["年度等次"].set_index("委员编号").loc[member]
    assert (grades["年度得分"], grades["未任职期间补足分"], grades["定等得分"], grades["年度等次"]) == (
        pytest.approx(year_points),
        pytest.approx(adjustment),
        pytest.approx(graded),
        grade,
    )
    assert grades["年度得分"] + grades["未任职期间补足分"] == pytest.approx(grades["定等得分"])
    sector = next(
        frame for label, frame in workbook.items() if label[:2].isdigit() and member in set(frame["委员编号"])
    )
    row = sector.set_index("委员编号").loc[member]
    assert (row["姓名"], row["年度等次"], row["定等得分"]) == (name, grade, pytest.approx(graded))

    # the dossier: the same records, quarter by quarter, and the same reckoning of the grade
    page = (published.published_dir / "member_dossiers_2023" / f"{member}.html").read_text(encoding="utf-8")
    parser = _Tables()
    parser.feed(page)
    dossier_records = sorted(
        (quarter, cells[0], cells[3], float(cells[5]), float(cells[6]))
        for kind, quarter, rows in parser.tables
        if kind == "records"
        for cells in rows[1:]
    )
    assert dossier_records == [
        (q, label, rid, pytest.approx(b), pytest.approx(a)) for q, label, rid, b, a in marts_records
    ]
    for kind, quarter, rows in parser.tables:
        if kind == "items":
            for cells in rows[1:-1]:
                assert float(cells[5]) == pytest.approx(items[(quarter, cells[0])])
    grade_rows = {cells[0]: cells[1] for kind, _, rows in parser.tables if kind == "grade" for cells in rows}
    assert float(grade_rows["年度得分（各季度总分合计）"]) == pytest.approx(year_points)
    assert float(grade_rows["未任职期间补足分（中位数之差）"]) == pytest.approx(adjustment)
    assert float(grade_rows["定等得分（年度得分 + 补足分）"]) == pytest.approx(graded)
    assert grade_rows["年度等次"] == grade and name in page


def test_a_late_record_after_freezing_changes_nothing_published_for_the_frozen_quarter(published):
    settings = published
    frozen_before = published_query(
        settings, "select member_id, total_points from fct_member_quarterly_scores where quarter = '2023Q2' order by 1"
    )
    open_before = dict(
        published_query(
            settings, "select member_id, total_points from fct_member_quarterly_scores where quarter = '2023Q4'"
        )
    )
    # the office's next export brings an activity dated in 2023Q2, frozen since July
    members_dir = settings.landing_dir / "members"
    last = pd.read_excel(sorted(members_dir.glob(f"{ACTIVITIES}_*.xlsx"))[-1], engine="calamine", dtype=str)
    member = frozen_before[0][0]
    late = {column: "" for column in last.columns}
    late.update({"记录编号": "HD-LATE-0001", "委员编号": member, "活动类型": "调研活动", "活动名称": "补报调研",
                 "活动日期": "2023-05-18", "出席情况": "出席"})  # fmt: skip
    frame = pd.concat([last, pd.DataFrame([late])], ignore_index=True)
    frame["活动日期"] = frame["活动日期"].str[:10]
    frame.to_csv(members_dir / f"{ACTIVITIES}_20240120.csv", index=False, encoding="utf-8-sig")

    steps.ingest(settings)
    steps.build(settings)
    steps.check(settings)
    steps.publish(settings)

    frozen_after = published_query(
        settings, "select member_id, total_points from fct_member_quarterly_scores where quarter = '2023Q2' order by 1"
    )
    assert frozen_after == frozen_before
    assert published_query(
        settings, "select record_quarter, scored_quarter from fct_member_late_records where record_id = 'HD-LATE-0001'"
    ) == [("2023Q2", "2023Q4")]
    open_after = dict(
        published_query(
            settings, "select member_id, total_points from fct_member_quarterly_scores where quarter = '2023Q4'"
        )
    )
    assert open_after[member] >= open_before[member]
    assert {m: p for m, p in open_after.items() if m != member} == {m: p for m, p in open_before.items() if m != member}


def test_the_dashboard_opens_offline_with_every_chart_drawn(published):
    """The office opens data/published/dashboard.html in a browser with no network: every section
    is there, every chart has data, nothing fails; the screenshot is left for a person to look at."""
    page = open_dashboard(published.published_dir / "dashboard.html", "dashboard_member_scoring.png")
    assert page.console_errors == []
    assert page.headings == ["年度概览", "月度趋势", "承办单位三率排名", "诉求热点", "委员履职得分", "待办提醒"]
    titles = [chart["title"] for chart in page.charts]
    assert len(page.charts) >= 5, titles  # two trends, the unit ranking, the hotspots, the member scores
    for chart in page.charts:
        assert chart["drawn"] > 0 and chart["points"] and all(points > 0 for points in chart["points"]), chart
    quarter = "2023Q4"  # the quarter the run scores; 2024Q1 has not ended at the data cut
    members = published_query(
        published, "select count(*) from fct_member_quarterly_scores where quarter = ?", [quarter]
    )
    assert any(f"{quarter}，按界别，{members[0][0]}名委员" in title for title in titles), titles
    assert page.screenshot.stat().st_size > 50_000


# --- the office's supervision: hard cases (疑难件) and key proposals (重点提案) -----------------
# The same published run; each figure is recomputed from the office's own register files.


def _last_register(folder: Path, stem: str) -> tuple[pd.DataFrame, dt.date]:
    """The newest dated export of a register, and its export date (from the file name)."""
    path = sorted(folder.glob(f"{stem}_*.xlsx"))[-1]
    return pd.read_excel(path, engine="calamine", dtype=str), dt.datetime.strptime(path.stem[-8:], "%Y%m%d").date()


def test_37_hard_cases_each_with_a_stage_and_the_overdue_ones_as_the_register_says(published):
    register, exported = _last_register(published.landing_dir / "hard_cases", "疑难件")
    assert len(register) == 37
    deadline = pd.to_datetime(register["办理期限"]).dt.date
    overdue = (register["状态"] != "已办结") & deadline.notna() & (deadline < exported)
    expected = dict(zip(register["疑难件编号"], overdue, strict=True))
    rows = published_query(published, "select case_id, stage, is_overdue from fct_hard_cases")
    assert len(rows) == 37
    assert all(stage is not None for _, stage, _ in rows)
    assert {case: is_overdue for case, _, is_overdue in rows} == expected
    assert 0 < sum(expected.values()) < 37  # some overdue, not all
    # each linked work order is a row of the link table, and a work order of the warehouse
    links = {
        (case, order)
        for case, orders in zip(register["疑难件编号"], register["关联工单"].fillna(""), strict=True)
        for order in orders.split("；")
        if order
    }
    published_links = published_query(
        published, "select case_id, work_order_id, is_in_warehouse from fct_hard_case_work_orders"
    )
    assert {(case, order) for case, order, _ in published_links} == links
    assert all(found for _, _, found in published_links)
    members = {member for (member,) in published_query(published, "select member_id from dim_member")}
    assert set(register["责任委员"]) <= members


def test_23_key_proposals_each_with_a_handling_unit_and_overdue_replies_as_the_register_says(published):
    register, exported = _last_register(published.landing_dir / "members", "提案")
    key = register[register["是否重点提案"] == "是"]
    assert len(key) == 23
    supervised = published_query(
        published, "select proposal_id, handling_unit, milestone from fct_key_proposal_supervision"
    )
    assert {proposal for proposal, _, _ in supervised} == set(key["提案编号"])
    assert all(unit is not None for _, unit, _ in supervised)
    # replies awaited past their deadline: filed, no reply, 答复期限 before the export date
    due = pd.to_datetime(register["答复期限"]).dt.date
    awaited = (register["是否立案"] == "是") & register["答复日期"].isna() & due.notna() & (due < exported)
    overdue = {
        proposal
        for (proposal,) in published_query(published, "select proposal_id from fct_proposals where is_reply_overdue")
    }
    assert overdue == set(register.loc[awaited, "提案编号"])
    assert overdue & set(key["提案编号"])  # some key proposals are waiting past their deadline
    # one proposer row per first and joint proposer
    joint = register["联名提案人"].fillna("").map(lambda ids: len([i for i in ids.split("；") if i]))
    assert published_query(published, "select count(*) from fct_proposal_proposers") == [(len(register) + joint.sum(),)]


def test_the_consultation_tag_reaches_fct_cases_for_every_tagged_order_in_the_exports(published):
    tagged: set[str] = set()
    for path in sorted(published.landing_dir.glob("12345_gongdan_*")):
        if path.name == REJECTED_XLSX:  # the planted unreadable export, rejected by the loader too
            continue
        if path.suffix == ".xlsx":
            frame = pd.read_excel(path, engine="calamine", dtype=str)
        else:
            raw = path.read_bytes()
            encoding = "utf-8-sig" if raw.startswith(b"\xef\xbb\xbf") else "gb18030"
            frame = pd.read_csv(path, dtype=str, encoding=encoding, keep_default_na=False)
        tags = frame["标签"].fillna("").str.split(r"[;；]")
        ids = frame["工单编号"].fillna("")
        tagged |= {order for order, row in zip(ids, tags, strict=True) if order and "有事好商量" in row}
    published_tagged = published_query(published, "select work_order_id from fct_cases where is_consultation_tagged")
    assert tagged
    assert {order for (order,) in published_tagged} == tagged


def test_the_attention_workbook_lists_the_key_proposals_and_hard_cases_the_registers_say_are_late(published):
    workbook = pd.read_excel(
        published.published_dir / "attention.xlsx", sheet_name=None, engine="calamine", dtype={"编号": str}
    )
    proposals, exported = _last_register(published.landing_dir / "members", "提案")
    due = pd.to_datetime(proposals["答复期限"]).dt.date
    awaited = (proposals["是否重点提案"] == "是") & proposals["答复日期"].isna() & due.notna() & (due < exported)
    assert set(workbook["超期未答复重点提案"]["编号"]) == set(proposals.loc[awaited, "提案编号"]) != set()
    cases, exported = _last_register(published.landing_dir / "hard_cases", "疑难件")
    deadline = pd.to_datetime(cases["办理期限"]).dt.date
    late = (cases["状态"] != "已办结") & deadline.notna() & (deadline < exported)
    assert set(workbook["超期未办结疑难件"]["编号"]) == set(cases.loc[late, "疑难件编号"]) != set()


def test_no_quarter_of_zeros_after_the_newest_record(published):
    """The office's registers exported on 10 January hold records up to December: 2024Q1 is not
    a quarter yet, so no member or coverage table shows it as a quarter of zeros."""
    for table in ("fct_member_quarterly_scores", "fct_liaison_coverage"):
        assert published_query(published, f"select max(quarter) from {table}") == [("2023Q4",)], table
