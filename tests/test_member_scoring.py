"""Quarterly member scoring, as the committee office checks it.

Generates the demo data (a small hotline set and the office's registers for 2022-2023), runs
the quarterly scoring DAG through Airflow itself, and reads only the published artifacts:
every active member scored, each score explained item by item, caps, joint proposals, and a
frozen quarter that a late record cannot change.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from core.settings import PROJECT_DIR, get_settings
from demodata.committee_members import ACTIVITIES
from demodata.hotline_exports import REJECTED_XLSX
from pipeline import steps
from tests.conftest import HASH_KEY

pytestmark = pytest.mark.slow
RUN_DATE = "2024-01-15"  # the quarterly run after the office's January export scores 2023Q4


def run_quarterly_dag(data_dir: Path) -> subprocess.CompletedProcess:
    environment = {**os.environ, "HOTLINE_DATA_DIR": str(data_dir), "HOTLINE_HASH_KEY": HASH_KEY}
    environment["HOTLINE_TASK_RETRIES"] = "0"
    environment.pop("AIRFLOW_HOME", None)
    return subprocess.run(
        [str(PROJECT_DIR / "scripts" / "airflow.sh"), "dags", "test", "member_scoring_quarterly", RUN_DATE],
        env=environment,
        capture_output=True,
        text=True,
        timeout=900,
    )


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("members") / "data"
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setenv("HOTLINE_DATA_DIR", str(data_dir))
    monkeypatch.setenv("HOTLINE_HASH_KEY", HASH_KEY)
    settings = get_settings()
    settings.landing_dir.mkdir(parents=True)
    steps.generate(settings, scale=0.01)
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
