"""The committee's planted topics: register and 三清单 files, and their effect on the exports."""

from __future__ import annotations

import hashlib
import re
from datetime import date, datetime, timedelta
from pathlib import Path

import chinese_calendar
import pandas as pd
import pytest

from demodata.committee_topics import (
    CANDIDATE_HEADERS,
    DECISIONS,
    LIST_TYPES,
    LISTS_HEADERS,
    PROGRESS,
    REGISTER_HEADERS,
    SOURCES,
    STATUSES,
    PlantedTopic,
    planted_topics,
    write_candidate_register,
    write_committee_topics,
)
from demodata.hotline_exports import (
    HOT_CATEGORIES,
    TOWNS,
    TYPES,
    ExportSummary,
    generate_hotline_exports,
    load_categories,
)

SCALE = 0.05
SEED = 12345
AS_OF = date(2023, 12, 31)
DATA_FIRST, DATA_LAST = date(2022, 1, 1), date(2023, 12, 31)
WINDOW_DAYS = 182  # "6 months" either side of the consultation
BOM = b"\xef\xbb\xbf"
DAILY = re.compile(r"12345_gongdan_(\d{8})\.(csv|xlsx)$")
STEPS = ("调研日期", "协商日期", "交办日期", "反馈日期")
SEP = "；"


# --- reading what was written ------------------------------------------------------------


def read_orders(folder: Path) -> pd.DataFrame:
    """One row per work order (its last clean snapshot), as a user would count them."""
    frames = []
    for path in sorted(folder.iterdir()):
        if not DAILY.match(path.name):
            continue
        if path.suffix == ".xlsx":
            frame = pd.read_excel(path, sheet_name="工单导出", engine="calamine", dtype=object)
            frame["来电时间"] = frame["来电时间"].map(
                lambda v: v.strftime("%Y-%m-%d %H:%M:%S") if isinstance(v, datetime) else v
            )
            frame = frame.astype(object).where(frame.notna(), "").astype(str)
        else:
            encoding = "utf-8-sig" if path.read_bytes()[:3] == BOM else "gb18030"
            frame = pd.read_csv(path, encoding=encoding, dtype=str, keep_default_na=False)
        frames.append(frame[["工单编号", "来电时间", "诉求类型", "三级分类", "镇街"]])
    rows = pd.concat(frames, ignore_index=True)
    rows["received"] = pd.to_datetime(rows["来电时间"], format="%Y-%m-%d %H:%M:%S", errors="coerce")
    rows = rows[(rows["工单编号"] != "") & rows["received"].notna() & rows["诉求类型"].isin(TYPES)]
    return rows.drop_duplicates("工单编号", keep="last").set_index("工单编号").sort_index()


def read_register(folder: Path, as_of: date = AS_OF) -> pd.DataFrame:
    return pd.read_excel(folder / f"议题登记_{as_of:%Y%m%d}.xlsx", sheet_name="议题登记", engine="calamine")


def read_lists(folder: Path, as_of: date = AS_OF) -> pd.DataFrame:
    return pd.read_excel(folder / f"三清单_{as_of:%Y%m%d}.xlsx", sheet_name="三清单", engine="calamine")


def monthly_rates(
    orders: pd.DataFrame, categories: list[str], towns: list[str], consulted: date
) -> tuple[float, float]:
    """Appeals per 30 days in the categories x towns, in the ~6 months before and after the
    consultation day (windows clipped to the exported years)."""
    day = orders["received"].dt.date
    hit = orders["三级分类"].isin(categories) & orders["镇街"].isin(towns)
    rates = []
    for lo, hi in (
        (max(consulted - timedelta(days=WINDOW_DAYS), DATA_FIRST), consulted - timedelta(days=1)),
        (consulted + timedelta(days=1), min(consulted + timedelta(days=WINDOW_DAYS), DATA_LAST)),
    ):
        count = int((hit & (day >= lo) & (day <= hi)).sum())
        rates.append(count * 30 / ((hi - lo).days + 1))
    return rates[0], rates[1]


def effect_ratios(landing: Path, topics: list[PlantedTopic]) -> pd.DataFrame:
    """Per topic in the written register: before/after rates counted from the written exports."""
    orders = read_orders(landing)
    register = read_register(landing / "committee").set_index("议题编号")
    effect = {t.topic_id: t.effect for t in topics}
    out = []
    for topic_id, row in register.iterrows():
        consulted = row["协商日期"].date()
        before, after = monthly_rates(orders, row["关联分类"].split(SEP), row["关联镇街"].split(SEP), consulted)
        out.append({"topic_id": topic_id, "effect": effect[topic_id], "consulted": consulted,
                    "before": before, "after": after})  # fmt: skip
    frame = pd.DataFrame(out).set_index("topic_id")
    frame["kind"] = pd.cut(frame["effect"], [-1.0, -0.3, -0.001, 0.0], labels=["strong", "mild", "none"])
    return frame


# --- fixtures ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def topics() -> list[PlantedTopic]:
    return planted_topics(load_categories(), SEED)


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ExportSummary]:
    folder = tmp_path_factory.mktemp("landing_topics")
    return folder, generate_hotline_exports(folder, scale=SCALE, seed=SEED)


@pytest.fixture(scope="module")
def unplanted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ExportSummary]:
    folder = tmp_path_factory.mktemp("landing_no_topics")
    return folder, generate_hotline_exports(folder, scale=SCALE, seed=SEED, topics=[])


# --- planted topics ----------------------------------------------------------------------


def test_planted_topics_shape(topics) -> None:
    assert 18 <= len(topics) <= 22
    assert topics == planted_topics(load_categories(), SEED)  # deterministic
    assert topics != planted_topics(load_categories(), SEED + 1)
    assert len({t.topic_id for t in topics}) == len(topics)
    kinds = pd.Series([t.effect for t in topics])
    assert (kinds <= -0.4).sum() >= 5 and (kinds >= -0.6).all()
    assert (kinds == 0.0).sum() >= 5
    assert kinds.between(-0.2, -0.1).sum() >= 5
    pairs = [(c, town) for t in topics for c in t.category_l3_names for town in t.towns]
    assert len(pairs) == len(set(pairs))  # no pair belongs to two topics
    for t in topics:
        assert re.fullmatch(r"YT20\d\d-\d{3}", t.topic_id) and t.topic_id[2:6] == str(t.consulted_date.year)
        assert date(2022, 6, 1) <= t.consulted_date <= date(2023, 6, 30)
        assert 1 <= len(t.category_l3_names) <= 2 and t.category_l3_names[0] in HOT_CATEGORIES
        assert 1 <= len(t.towns) <= 3 and set(t.towns) <= set(TOWNS)
        assert all(HOT_CATEGORIES[c][1] >= 1.0 for c in t.category_l3_names)  # categories with volume


# --- the files ---------------------------------------------------------------------------


def test_register_and_lists_files(planted, topics) -> None:
    folder, summary = planted
    committee = folder / "committee"
    assert sorted(p.name for p in committee.iterdir()) == [
        "三清单_20231231.xlsx",
        "候选议题台账_20231231.xlsx",
        "议题登记_20231231.xlsx",
    ]
    register, lists = read_register(committee), read_lists(committee)
    assert tuple(register.columns) == REGISTER_HEADERS
    assert tuple(lists.columns) == LISTS_HEADERS
    for frame, columns in ((register, STEPS), (lists, ("完成时限", "完成日期"))):
        for column in columns:
            assert pd.api.types.is_datetime64_any_dtype(frame[column]), column
    assert summary.topics == len(register) == len(topics)
    assert summary.topic_list_items == len(lists)
    by_id = {t.topic_id: t for t in topics}
    for row in register.itertuples(index=False):
        topic = by_id[row.议题编号]
        assert row.关联分类 == SEP.join(topic.category_l3_names) and row.关联镇街 == SEP.join(topic.towns)
        assert row.协商日期.date() == topic.consulted_date and row.议题名称 == topic.title
    assert set(register["议题来源"]) <= set(SOURCES)
    assert set(register["状态"]) <= set(STATUSES)
    assert register["牵头单位"].str.startswith(("启东市", "南通市")).all()
    # 3-6 items per topic over the three lists
    assert set(lists["议题编号"]) == set(register["议题编号"])
    assert lists.groupby("议题编号").size().between(3, 6).all()
    assert set(lists["清单类型"]) == set(LIST_TYPES) and set(lists["完成情况"]) <= set(PROGRESS)
    assert not lists.duplicated(["议题编号", "清单类型", "序号"]).any()


def _check_register(register: pd.DataFrame, as_of: date) -> None:
    steps = register[list(STEPS)].apply(pd.to_datetime)  # a column with no date at all reads as float
    assert (steps.notna().sum(axis=1) >= 1).all()
    for earlier, later in zip(STEPS, STEPS[1:], strict=False):
        both = steps[earlier].notna() & steps[later].notna()
        assert (steps.loc[both, earlier] < steps.loc[both, later]).all(), (earlier, later)
        assert (steps[earlier].notna() | steps[later].isna()).all()  # no gaps
    assert (steps.stack().dropna() <= pd.Timestamp(as_of)).all()
    reached = steps.notna().sum(axis=1)  # 1: 调研 only ... 4: 反馈
    expected = reached.map({1: {"调研中"}, 2: {"已协商"}, 3: {"已交办"}, 4: {"已反馈", "已办结"}})
    assert all(status in ok for status, ok in zip(register["状态"], expected, strict=True))


def test_step_dates_in_order_with_realistic_gaps(planted) -> None:
    register = read_register(planted[0] / "committee")
    _check_register(register, AS_OF)
    gaps = register[list(STEPS)].diff(axis=1).iloc[:, 1:]
    assert (gaps.stack().dropna().dt.days >= 7).all()
    assert (gaps["协商日期"].dt.days.between(21, 70)).all()  # research weeks before the consultation
    assert all(chinese_calendar.is_workday(d.date()) for d in register[list(STEPS)].stack().dropna())


@pytest.mark.parametrize("as_of", [date(2022, 5, 20), date(2022, 10, 31), date(2023, 3, 15), date(2024, 12, 31)])
def test_files_as_of_an_earlier_or_later_day(tmp_path: Path, topics, as_of: date) -> None:
    result = write_committee_topics(tmp_path, topics, seed=SEED, as_of=as_of)
    register, lists = read_register(tmp_path, as_of), read_lists(tmp_path, as_of)
    assert result["topics"] == len(register) and result["list_items"] == len(lists)
    assert result["files"] == [f"议题登记_{as_of:%Y%m%d}.xlsx", f"三清单_{as_of:%Y%m%d}.xlsx"]
    if as_of < min(t.consulted_date for t in topics) - timedelta(days=60):
        assert result["topics"] == result["list_items"] == 0  # nothing researched yet: headers only
        assert tuple(register.columns) == REGISTER_HEADERS and tuple(lists.columns) == LISTS_HEADERS
        return
    _check_register(register, as_of)
    assert (pd.to_datetime(lists["完成日期"]).dropna() <= pd.Timestamp(as_of)).all()
    assert set(lists["议题编号"]) <= set(register["议题编号"])


def test_list_items_and_overdue_count(planted) -> None:
    folder, summary = planted
    lists = read_lists(folder / "committee")
    done = lists["完成情况"] == "已完成"
    assert (lists["完成日期"].notna() == done).all()  # a completion date only when completed
    assert (lists.loc[done, "完成日期"] <= pd.Timestamp(AS_OF)).all()
    overdue = (lists["完成时限"] < pd.Timestamp(AS_OF)) & ~done
    assert summary.overdue_topic_items == overdue.sum() > 0
    assert (lists.loc[overdue, "清单类型"] == "责任落实").all()
    assert (lists.loc[overdue, "反馈意见"] == "已逾期，督办中").all()
    register = read_register(folder / "committee").set_index("议题编号")
    open_tasks = lists[(lists["清单类型"] == "责任落实") & ~done]["议题编号"].unique()
    assert not (register.loc[open_tasks, "状态"] == "已办结").any()  # closed only when all tasks are done


def test_committee_files_are_reproducible(planted, topics, tmp_path: Path) -> None:
    write_committee_topics(tmp_path / "a", topics, seed=SEED)
    write_committee_topics(tmp_path / "b", topics, seed=SEED)
    for name in ("议题登记_20231231.xlsx", "三清单_20231231.xlsx"):
        folders = (tmp_path / "a", tmp_path / "b", planted[0] / "committee")
        digests = {hashlib.sha256((f / name).read_bytes()).hexdigest() for f in folders}
        assert len(digests) == 1, name


# --- the effect in the exports -----------------------------------------------------------


def test_totals_per_year_do_not_change(planted, unplanted) -> None:
    (with_folder, with_topics), (without_folder, without) = planted, unplanted
    assert with_topics.work_orders_by_year == without.work_orders_by_year
    assert with_topics.complaints_by_year == without.complaints_by_year
    assert (with_topics.files, with_topics.rows, with_topics.work_orders) == (
        without.files, without.rows, without.work_orders)  # fmt: skip
    assert without.topics == without.topic_list_items == without.topic_orders_moved == 0
    # the same orders, only categories moved: and only out of topics' pairs after their consultation
    a, b = read_orders(with_folder), read_orders(without_folder)
    keys = ["来电时间", "诉求类型", "镇街"]
    assert a.index.equals(b.index) and a[keys].equals(b[keys])
    changed = b[a["三级分类"] != b["三级分类"]]
    assert len(changed) == with_topics.topic_orders_moved > 0
    eligible = pd.Series(False, index=changed.index)
    for t in planted_topics(load_categories(), SEED):
        if t.effect < 0:
            eligible |= (changed["三级分类"].isin(t.category_l3_names) & changed["镇街"].isin(t.towns)
                         & (changed["received"].dt.date > t.consulted_date))  # fmt: skip
    assert eligible.all()


def test_strong_topics_shrink_and_zero_topics_do_not(planted, topics) -> None:
    ratios = effect_ratios(planted[0], topics)
    by_kind = ratios.groupby("kind", observed=True)[["before", "after"]].sum()
    ratio = by_kind["after"] / by_kind["before"]
    assert ratio["strong"] < 0.75, ratios
    assert ratio["none"] > 0.85, ratios
    assert ratio["strong"] < ratio["mild"] < ratio["none"] + 0.1
    # topic by topic the counts are too small at this scale (a few appeals a month): see the report


def test_unknown_topic_categories_are_refused(tmp_path: Path) -> None:
    bad = PlantedTopic("YT2022-001", "无效议题", ("不存在的分类",), ("汇龙镇",), date(2022, 7, 1), -0.5)
    with pytest.raises(ValueError, match="YT2022-001"):
        generate_hotline_exports(tmp_path, scale=0.001, end=date(2022, 1, 5), topics=[bad])


# --- the candidate register (候选议题台账) ---------------------------------------------------


def read_candidate_register(folder: Path, as_of: date = AS_OF) -> pd.DataFrame:
    return pd.read_excel(folder / f"候选议题台账_{as_of:%Y%m%d}.xlsx", sheet_name="候选议题台账", engine="calamine",
                         dtype={"分类编码": str})  # fmt: skip


def test_candidate_register_selects_each_topics_scope_on_its_research_day(planted) -> None:
    folder = planted[0] / "committee"
    decisions, register = read_candidate_register(folder), read_register(folder)
    assert tuple(decisions.columns) == CANDIDATE_HEADERS
    assert decisions["记录编号"].is_unique and set(decisions["决定"]) == set(DECISIONS)
    assert (decisions["决定日期"] <= pd.Timestamp(AS_OF)).all()
    chosen = decisions[decisions["决定"] == "选定"]
    scope = {
        (row["议题编号"], category, town, row["调研日期"])
        for _, row in register.iterrows()
        for category in row["关联分类"].split(SEP)
        for town in row["关联镇街"].split(SEP)
    }
    assert set(zip(chosen["议题编号"], chosen["三级分类"], chosen["镇街"], chosen["决定日期"], strict=True)) == scope
    # watched and rejected candidates are other categories × towns, each with a reason
    others = decisions[decisions["决定"] != "选定"]
    assert others["议题编号"].isna().all() and others["理由"].notna().all()
    topic_keys = {(c, t) for _, c, t, _ in scope}
    other_keys = set(zip(others["三级分类"], others["镇街"], strict=True))
    # a topic's main candidate may be watched before its research; everything else is another key
    mains = {(row["关联分类"].split(SEP)[0], row["关联镇街"].split(SEP)[0]) for _, row in register.iterrows()}
    assert other_keys & topic_keys <= mains
    rejected = others[others["决定"] == "不采纳"]
    assert not set(zip(rejected["三级分类"], rejected["镇街"], strict=True)) & topic_keys
    categories = load_categories()
    names = categories["level_3_name"].where(categories["level_3_name"] != "", categories["level_2_name"])
    code = dict(zip(names, categories["level_3_code"], strict=True))
    assert (decisions["分类编码"] == decisions["三级分类"].map(code)).all()


def test_candidate_register_is_reproducible(planted, topics, tmp_path: Path) -> None:
    groups = pd.DataFrame({"month": pd.to_datetime(["2023-01-01"] * 2), "category": ["噪声污染", "养老保险"],
                           "town": ["汇龙镇", "汇龙镇"], "appeals": [30, 40]})  # fmt: skip
    first = write_candidate_register(tmp_path / "a", topics, groups, seed=SEED)
    write_candidate_register(tmp_path / "b", topics, groups, seed=SEED)
    [name] = first["files"]
    assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert first["选定"] == sum(len(t.category_l3_names) * len(t.towns) for t in topics)
