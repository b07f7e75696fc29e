"""The committee office's member registers: cumulative quarterly snapshots of ten spreadsheets."""

from __future__ import annotations

import hashlib
import inspect
import re
from datetime import date, datetime, timedelta
from pathlib import Path

import chinese_calendar
import pandas as pd
import pytest

from demodata.committee_members import (
    ACTIVITIES,
    ASSIGNMENTS,
    FREEZES,
    HEADERS,
    LIAISON,
    MEMBERS,
    OPINIONS,
    PROPOSALS,
    REPRESENTATIVES,
    SECTORS_FILE,
    SHIFTS,
    STEPS,
    MemberRecordsSummary,
    generate_member_records,
    quarter_label,
    snapshot_dates,
)
from demodata.hotline_exports import PARKS, TOWNS
from tests.fixtures.shared_runs import member_records, session_root

SEED = 12345
START, END = date(2022, 1, 1), date(2023, 12, 31)
TAGS = ("20220410", "20220710", "20221010", "20230110", "20230410", "20230710", "20231010", "20240110")
FILE = re.compile(r"^(.+)_(\d{8})\.xlsx$")
ID_COLUMN = {
    MEMBERS: "委员编号", REPRESENTATIVES: "群众编号", SHIFTS: "记录编号", PROPOSALS: "提案编号", OPINIONS: "信息编号",
    ACTIVITIES: "记录编号", FREEZES: "季度",
}  # fmt: skip
DUTY_DATE = {SHIFTS: "值班日期", OPINIONS: "报送日期", ACTIVITIES: "活动日期"}


def _as_date(value: object) -> date | None:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NaT:
        return None
    assert isinstance(value, datetime), f"not an Excel date cell: {value!r}"
    return value.date()


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, MemberRecordsSummary]:
    # the session's copy, which the pipeline tests land: written with the generator's default seed
    assert inspect.signature(generate_member_records).parameters["seed"].default == SEED
    return member_records(session_root(tmp_path_factory))


@pytest.fixture(scope="module")
def tables(generated) -> dict[tuple[str, str], pd.DataFrame]:
    """(stem, YYYYMMDD) -> the sheet, dates as `date`, empty cells as None."""
    folder, _ = generated
    out = {}
    for path in sorted(folder.iterdir()):
        stem, tag = FILE.match(path.name).groups()
        frame = pd.read_excel(path, sheet_name=stem, engine="calamine", dtype=object)
        frame = frame.astype(object).where(frame.notna(), None)
        for column in frame.columns:
            if column.endswith("日期"):
                frame[column] = frame[column].map(_as_date)
        out[stem, tag] = frame
    return out


def _last(tables, stem: str) -> pd.DataFrame:
    return tables[stem, TAGS[-1]]


def _tag_date(tag: str) -> date:
    return datetime.strptime(tag, "%Y%m%d").date()


# --- files -------------------------------------------------------------------------------


def test_snapshot_files_and_headers(generated, tables) -> None:
    folder, summary = generated
    assert [f"{d:%Y%m%d}" for d in snapshot_dates(START, END)] == list(TAGS)
    expected = sorted(f"{stem}_{tag}.xlsx" for stem in HEADERS for tag in TAGS)
    assert sorted(p.name for p in folder.iterdir()) == expected == sorted(summary.files)
    assert summary.snapshots == len(TAGS) == 8
    for (stem, _), frame in tables.items():
        assert tuple(frame.columns) == HEADERS[stem]
    assert HEADERS[MEMBERS] == ("委员编号", "姓名", "性别", "界别代码", "界别", "所属镇街工委", "届次", "是否常委",
                                "任职开始日期", "任职结束日期", "联系电话")  # fmt: skip
    assert HEADERS[LIAISON] == (
        "案例编号",
        "委员编号",
        "群众编号",
        "步骤",
        "步骤日期",
        "承办单位",
        "办理结果",
        "评议等级",
    )
    assert HEADERS[FREEZES] == ("季度", "冻结日期")


def test_summary_counts_match_the_last_snapshot(generated, tables) -> None:
    _, s = generated
    last = {stem: _last(tables, stem) for stem in HEADERS}
    assert s.members == len(last[MEMBERS]) == 309
    assert s.sectors == last[SECTORS_FILE]["界别代码"].nunique() == 17
    assert s.sub_sectors == last[SECTORS_FILE]["子界别代码"].notna().sum() == 7
    assert s.representatives == len(last[REPRESENTATIVES])
    assert s.assignments == len(last[ASSIGNMENTS])
    assert s.liaison_cases == last[LIAISON]["案例编号"].nunique()
    assert s.liaison_steps == len(last[LIAISON])
    assert s.hotline_shifts == len(last[SHIFTS])
    assert s.proposals == len(last[PROPOSALS])
    assert s.opinion_reports == len(last[OPINIONS])
    assert s.activities == len(last[ACTIVITIES])
    for stem, column in ID_COLUMN.items():
        assert last[stem][column].is_unique, stem


# --- members, sectors, representatives --------------------------------------------------------


def test_members_and_sectors(tables) -> None:
    sectors = _last(tables, SECTORS_FILE)
    assert len(sectors) == 16 + 7
    assert sorted(sectors["界别代码"].unique()) == [f"{k:02d}" for k in range(1, 18)]
    parties = sectors[sectors["界别代码"] == "02"]
    assert list(parties["子界别代码"]) == [f"02-{k}" for k in range(1, 8)]
    assert list(parties["子界别名称"]) == ["民革", "民盟", "民建", "民进", "农工", "致公", "九三"]
    assert sectors.loc[sectors["界别代码"] != "02", "子界别代码"].isna().all()
    names = dict(zip(sectors["界别代码"], sectors["界别名称"], strict=True))

    members = _last(tables, MEMBERS)
    assert list(members["委员编号"]) == [f"WY{k:04d}" for k in range(1, 310)]
    assert set(members["界别代码"]) == set(names)
    for code, label in zip(members["界别代码"], members["界别"], strict=True):
        assert label == names[code] or (
            code == "02" and re.fullmatch(r"民主党派（(民革|民盟|民建|民进|农工|致公|九三)）", label)
        )
    assert set(members["所属镇街工委"]) <= {*TOWNS, *PARKS, "市直"}
    assert set(members["届次"]) == {"第十六届"}
    assert set(members["性别"]) <= {"男", "女"}
    assert 25 <= (members["是否常委"] == "是").sum() <= 35
    assert members["联系电话"].str.fullmatch(r"1\d{10}").all()
    assert members["联系电话"].is_unique
    assert 3 <= members["任职结束日期"].notna().sum() <= 15  # some leave
    assert 3 <= (members["任职开始日期"] > START).sum() <= 15  # some join mid-term
    ended = members.dropna(subset=["任职结束日期"])
    assert (ended["任职结束日期"] > ended["任职开始日期"]).all()


def test_representatives_library(tables) -> None:
    reps = _last(tables, REPRESENTATIVES)
    assert 4_400 <= len(reps) <= 4_700
    assert reps["群众编号"].str.fullmatch(r"QZ\d{5}").all()
    assert reps["联系电话"].str.fullmatch(r"1\d{10}").all() and reps["联系电话"].is_unique
    assert reps["身份类别"].nunique() >= 110
    assert set(reps["库别"]) == {"主库", "分库"}
    sectors = _last(tables, SECTORS_FILE)
    names = dict(zip(sectors["界别代码"], sectors["界别名称"], strict=True))
    main = reps[reps["库别"] == "主库"]
    assert main["所属库"].nunique() == 14
    assert not {"中共", "无党派", "特邀"} & set(main["所属库"])
    assert (main["所属库"] == main["界别代码"].map(names)).all()
    assert reps.loc[reps["库别"] == "分库", "所属库"].nunique() == 17
    assert set(reps["镇街"]) <= {*TOWNS, *PARKS}
    assert set(reps["更新年度"]) == {2022, 2023}
    first = tables[REPRESENTATIVES, TAGS[0]]
    assert set(first["更新年度"]) == {2022}
    assert len(first) < len(reps)  # the 2023 update adds representatives


def test_every_active_member_has_five_representatives(tables) -> None:
    for tag in TAGS:
        day = _tag_date(tag)
        members = tables[MEMBERS, tag]
        active = members[members["任职结束日期"].map(lambda d, day=day: d is None or d >= day)]
        links = tables[ASSIGNMENTS, tag]
        current = links[links["结束日期"].map(lambda d, day=day: d is None or d >= day)]
        assert (links["开始日期"] <= day).all()
        counts = current.groupby("委员编号").size()
        assert set(active["委员编号"]) == set(counts.index), tag
        assert (counts == 5).all(), tag
        assert current["群众编号"].is_unique, tag  # nobody serves two members at once
    # over the whole period: a representative's assignments never overlap
    links = _last(tables, ASSIGNMENTS).sort_values(["群众编号", "开始日期"])
    for _, rows in links.groupby("群众编号"):
        ends = list(rows["结束日期"])[:-1]
        assert all(e is not None and e < s for e, s in zip(ends, list(rows["开始日期"])[1:], strict=True))


def test_reassignments_start_the_day_after(tables) -> None:
    links = _last(tables, ASSIGNMENTS)
    members = _last(tables, MEMBERS).set_index("委员编号")
    starts = set(zip(links["委员编号"], links["开始日期"], strict=True))
    reassigned = [
        (m, end) for m, end in zip(links["委员编号"], links["结束日期"], strict=True)
        if end is not None and members.at[m, "任职结束日期"] != end
    ]  # fmt: skip
    assert 5 <= len(reassigned) <= 40
    assert all((m, end + timedelta(days=1)) in starts for m, end in reassigned)
    # mostly of the member's own sector
    sector = _last(tables, REPRESENTATIVES).set_index("群众编号")["界别代码"]
    own = (links["群众编号"].map(sector) == links["委员编号"].map(members["界别代码"])).mean()
    assert own > 0.75


# --- snapshots ---------------------------------------------------------------------------------


def _keys(stem: str, frame: pd.DataFrame) -> set:
    if stem == ASSIGNMENTS:
        return set(zip(frame["委员编号"], frame["群众编号"], frame["开始日期"], strict=True))
    if stem == LIAISON:
        return set(zip(frame["案例编号"], frame["步骤"], strict=True))
    if stem == SECTORS_FILE:
        return set(zip(frame["界别代码"], frame["子界别代码"], strict=True))
    return set(frame[ID_COLUMN[stem]])


def test_snapshots_are_cumulative_and_never_ahead_of_their_date(tables) -> None:
    for stem in HEADERS:
        previous: set = set()
        for tag in TAGS:
            frame = tables[stem, tag]
            keys = _keys(stem, frame)
            assert previous <= keys, (stem, tag)
            previous = keys
            for column in frame.columns:
                if column.endswith("日期"):
                    assert all(d is None or d <= _tag_date(tag) for d in frame[column]), (stem, tag, column)
    # a record keeps its id and its date across snapshots
    for stem, date_column in DUTY_DATE.items():
        first = tables[stem, TAGS[3]].set_index(ID_COLUMN[stem])[date_column]
        last = _last(tables, stem).set_index(ID_COLUMN[stem])[date_column]
        assert (last.loc[first.index] == first).all()


def test_quarter_freezes(tables) -> None:
    freezes = _last(tables, FREEZES)
    assert list(freezes["季度"]) == ["2022Q1", "2022Q2", "2022Q3", "2022Q4", "2023Q1", "2023Q2", "2023Q3"]
    for label, frozen in zip(freezes["季度"], freezes["冻结日期"], strict=True):
        year, q = int(label[:4]), int(label[-1])
        quarter_end = date(year + q // 4, 3 * q % 12 + 1, 1) - timedelta(days=1)
        assert 18 <= (frozen - quarter_end).days <= 31, label
    assert tables[FREEZES, TAGS[0]].empty


def test_late_records_appear_only_after_their_quarter_was_frozen(generated, tables) -> None:
    _, summary = generated
    frozen = dict(zip(_last(tables, FREEZES)["季度"], _last(tables, FREEZES)["冻结日期"], strict=True))
    snapshots = [_tag_date(tag) for tag in TAGS]
    late = 0
    for stem, date_column in DUTY_DATE.items():
        first_seen: dict[str, date] = {}
        dated: dict[str, date] = {}
        for tag in TAGS:
            frame = tables[stem, tag]
            for record_id, day in zip(frame[ID_COLUMN[stem]], frame[date_column], strict=True):
                first_seen.setdefault(record_id, _tag_date(tag))
                dated[record_id] = day
        for record_id, seen in first_seen.items():
            day = dated[record_id]
            due = next(s for s in snapshots if s >= day)  # the first snapshot after the record's date
            freeze = frozen.get(quarter_label(day))
            if seen != due:
                assert freeze is not None and seen > freeze, (stem, record_id)
                late += 1
    assert late == summary.late_records
    assert 10 <= late <= 20


# --- liaison and duty records --------------------------------------------------------------------


def test_liaison_steps_in_order(tables) -> None:
    cases = _last(tables, LIAISON)
    assert cases["案例编号"].str.fullmatch(r"LL20(22|23)-\d{4}").all()
    order = {step: k for k, step in enumerate(STEPS)}
    open_cases = 0
    for _, rows in cases.groupby("案例编号", sort=False):
        steps = [order[s] for s in rows["步骤"]]
        assert steps == list(range(len(steps)))
        days = list(rows["步骤日期"])
        assert days == sorted(days)
        assert rows["委员编号"].nunique() == 1 and rows["群众编号"].nunique() == 1
        assert rows["承办单位"].isna().tolist() == [k < STEPS.index("转办") for k in steps]
        assert rows["评议等级"].notna().tolist() == [STEPS[k] == "评议" for k in steps]
        assert rows["办理结果"].notna().all()
        open_cases += steps[-1] != len(STEPS) - 1
    n = cases["案例编号"].nunique()
    assert 0.10 <= open_cases / n <= 0.25
    assert set(cases["评议等级"].dropna()) == {"满意", "基本满意", "不满意"}
    # the representative is one of the member's at the first step
    links = _last(tables, ASSIGNMENTS)
    first = cases[cases["步骤"] == "连线"].merge(links, on=["委员编号", "群众编号"])
    ok = (first["开始日期"] <= first["步骤日期"]) & (
        first["结束日期"].map(lambda d: d or date.max) >= first["步骤日期"]
    )
    assert ok.groupby(first["案例编号"]).any().all()
    per_year = cases.groupby([cases["委员编号"], cases["案例编号"].str[2:6]])["案例编号"].nunique()
    assert per_year.median() <= 6 and per_year.max() >= 10
    members = set(_last(tables, MEMBERS)["委员编号"])
    assert len(members - set(cases["委员编号"])) > 0  # some members have no case at all


def _per_quarter(frame: pd.DataFrame, column: str) -> pd.Series:
    return frame.groupby([frame["委员编号"], frame[column].map(quarter_label)]).size()


def test_duty_record_spread(tables) -> None:
    members = _last(tables, MEMBERS)
    shifts = _last(tables, SHIFTS)
    assert shifts["值班日期"].map(chinese_calendar.is_workday).all()  # the station is staffed on working days
    per_quarter = _per_quarter(shifts, "值班日期")
    assert len(set(members["委员编号"]) - set(shifts["委员编号"])) >= 30  # some never take a shift
    assert (per_quarter.between(1, 3)).mean() > 0.6
    assert (per_quarter >= 5).sum() >= 5  # above the rubric's cap of 4
    assert (shifts["接听来电数"] >= 0).all() and shifts["值班时长（小时）"].between(1, 8).all()

    activities = _last(tables, ACTIVITIES)
    assert set(activities["出席情况"]) == {"出席", "请假", "缺席"}
    assert set(activities["活动类型"]) == {"全体会议", "常委会议", "协商活动", "调研活动", "视察活动", "志愿服务"}
    plenary = activities[activities["活动类型"] == "全体会议"]
    assert {d.month for d in plenary["活动日期"]} == {1}
    assert plenary.groupby(plenary["活动日期"].map(lambda d: d.year)).size().between(290, 309).all()
    standing = set(members.loc[members["是否常委"] == "是", "委员编号"])
    meetings = activities[activities["活动类型"] == "常委会议"]
    assert set(meetings["委员编号"]) <= standing and meetings["活动日期"].nunique() == 8
    other = activities[activities["活动类型"].isin(["协商活动", "调研活动", "视察活动"])]
    assert (_per_quarter(other, "活动日期") > 5).sum() >= 5
    assert (_per_quarter(activities[activities["活动类型"] == "志愿服务"], "活动日期") > 5).sum() >= 2
    assert len(set(members["委员编号"]) - set(other["委员编号"])) >= 5  # some hardly take part

    proposals = _last(tables, PROPOSALS)
    assert proposals["提案编号"].str.fullmatch(r"TA20(22|23)-\d{3}").all()
    assert set(proposals["第一提案人"]) <= set(members["委员编号"])
    joint = proposals["联名提案人"].dropna()
    assert 0 < len(joint) < len(proposals)
    assert all(set(value.split("；")) <= set(members["委员编号"]) for value in joint)
    assert set(proposals["办理结果"].dropna()) == {"A", "B", "C", "D"}
    assert proposals.loc[proposals["是否立案"] == "否", "办理结果"].isna().all()
    opinions = _last(tables, OPINIONS)
    assert (opinions.loc[opinions["是否领导批示"] == "是", "是否采用"] == "是").all()


# --- reproducibility -------------------------------------------------------------------------------


def test_same_seed_gives_identical_bytes(tmp_path: Path) -> None:
    kwargs = {"seed": SEED, "start": date(2022, 1, 1), "end": date(2022, 6, 30)}
    folders = [tmp_path / "a", tmp_path / "b"]
    summaries = [generate_member_records(folder, **kwargs) for folder in folders]
    assert summaries[0] == summaries[1]
    assert summaries[0].late_records > 0
    for name in summaries[0].files:
        digests = {hashlib.sha256((folder / name).read_bytes()).hexdigest() for folder in folders}
        assert len(digests) == 1, name
    other = generate_member_records(tmp_path / "c", **{**kwargs, "seed": SEED + 1})
    name = f"{MEMBERS}_20220710.xlsx"
    assert (tmp_path / "c" / name).read_bytes() != (folders[0] / name).read_bytes()
    assert other.members == 309
