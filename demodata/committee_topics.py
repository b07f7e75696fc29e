"""Planted consultation topics (议题) of the committee, and the two files its office keeps.

The committee screens 12345 appeals into topics, researches them (调研), consults on them
(协商), hands them to units (交办) and gets feedback (反馈); per topic it keeps three lists
(三清单: 协商建议, 责任落实, 结果反馈). DOMAIN.md §1.

A `PlantedTopic` names the level-3 categories and towns it is about, the day of the
consultation and the planted effect: the hotline generator moves that share of the appeals
in those categories and towns received after the consultation to other categories, so the
warehouse can show whether a class of problems shrank (``effect=-0.5``) or not (``0.0``).

Everything is deterministic for a seed; the XLSX files carry a fixed creation date so that
their bytes are reproducible.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import chinese_calendar
import numpy as np
import pandas as pd
import xlsxwriter

from demodata.hotline_exports import (
    PLACE_WEIGHTS,
    TOWNS,
    XLSX_CREATED,
    _category_units,
    _local_government,
    load_categories,
)

REGISTER_SHEET = "议题登记"
REGISTER_HEADERS: tuple[str, ...] = (
    "议题编号", "议题名称", "关联分类", "关联镇街", "议题来源", "调研日期", "协商日期", "交办日期",
    "反馈日期", "状态", "牵头单位",
)  # fmt: skip
REGISTER_DATE_COLUMNS = ("调研日期", "协商日期", "交办日期", "反馈日期")
LISTS_SHEET = "三清单"
LISTS_HEADERS: tuple[str, ...] = (
    "议题编号", "清单类型", "序号", "内容", "责任单位", "完成时限", "完成情况", "完成日期", "反馈意见",
)  # fmt: skip
LISTS_DATE_COLUMNS = ("完成时限", "完成日期")
LIST_TYPES = ("协商建议", "责任落实", "结果反馈")
STATUSES = ("调研中", "已协商", "已交办", "已反馈", "已办结")
PROGRESS = ("已完成", "推进中", "未启动")
SOURCES = ("12345诉求", "委员提案", "社情民意")
SOURCE_P = (0.6, 0.2, 0.2)
JOIN = "；"
DATE_FORMAT = "yyyy-mm-dd"

# --- planted topics ---------------------------------------------------------------------
# consultations between mid-2022 and mid-2023, so each has half a year of appeals on both sides
FIRST_CONSULTATION = date(2022, 6, 15)
LAST_CONSULTATION = date(2023, 6, 30)
N_STRONG, N_NONE, N_MILD = 6, 6, 8
STRONG_EFFECT = (-0.6, -0.4)
MILD_EFFECT = (-0.2, -0.1)
TOWN_COUNT_P = (0.35, 0.45, 0.20)  # 1, 2 or 3 towns
SECOND_CATEGORY_SHARE = 0.4
# main level-3 category (all carry volume in the hotline generator) -> title themes
THEMES: dict[str, tuple[str, ...]] = {
    "物业服务问题": ("老旧小区物业服务提升", "住宅小区物业管理规范"),
    "噪声污染": ("夜间施工和商铺噪声扰民治理", "居民区噪声污染整治"),
    "拖欠、克扣工资": ("根治拖欠农民工工资", "劳动者工资支付保障"),
    "道路设施": ("道路破损和窨井盖隐患整治", "城乡道路设施维护"),
    "水电气暖": ("供水供电稳定保障", "老旧管网改造和供水水质提升"),
    "车乱停放": ("小区周边停车秩序治理", "背街小巷车辆乱停整治"),
    "市容环卫": ("垃圾清运和环境卫生提升", "城乡结合部环境卫生整治"),
}
# related categories that a topic may take in as well
RELATED: dict[str, tuple[str, ...]] = {
    "物业服务问题": ("小区公共设施", "电梯问题", "车库车位管理"),
    "噪声污染": ("大气污染", "店外经营"),
    "拖欠、克扣工资": ("解除、终止劳动关系",),
    "道路设施": ("公共设施",),
    "水电气暖": ("燃料燃气",),
    "车乱停放": ("占道挪车", "车库车位管理"),
    "市容环卫": ("店外经营", "房屋违建（破损）"),
}

# --- steps and lists --------------------------------------------------------------------
SURVEY_LEAD_DAYS = (21, 57)  # 调研 3-8 weeks before 协商
HANDOVER_DAYS = (7, 29)  # 交办 1-4 weeks after 协商
FEEDBACK_DAYS = (60, 270)  # 反馈 2-9 months after 交办: the effect takes months to show
TASK_DAYS = (30, 60, 90, 120)  # 责任落实 time limits after 交办
LATE_DONE_SHARE = 0.10  # 责任落实 completed, but after the time limit
STUCK_SHARE = 0.12  # 责任落实 not completed at all (overdue once the limit has passed)
MIN_STUCK = 2
SUGGESTIONS = (
    "建立{issue}定期会商机制，每季度通报{towns}相关诉求办理情况",
    "对{towns}{cat}集中点位开展专项排查，建立问题台账",
    "明确{issue}牵头部门和属地责任，压实首接负责",
    "发挥委员工作站作用，组织委员定期走访{towns}听取群众意见",
    "将{cat}治理纳入镇街年度为民办实事项目",
)
TASKS = (
    "完成{towns}{issue}专项排查并建立整改台账",
    "制定{issue}整治方案并明确时间节点",
    "对反映集中的点位逐一整改销号",
    "建立{cat}诉求快速响应和联动处置机制",
    "开展{cat}相关政策宣传和入户走访",
    "落实长效管理措施并纳入日常考核",
)
RESULTS = {
    "strong": ("协商后{towns}{cat}类诉求明显减少，群众反映较好", "满意"),
    "mild": ("{towns}{cat}类诉求有所减少，部分问题仍有反复", "基本满意，建议持续跟踪"),
    "none": ("{towns}{cat}类诉求未见明显减少，问题仍有反复", "不满意，建议纳入下一轮协商"),
}


@dataclass(frozen=True)
class PlantedTopic:
    topic_id: str  # YT + year of the consultation plan + sequence, e.g. YT2022-007
    title: str
    category_l3_names: tuple[str, ...]
    towns: tuple[str, ...]
    consulted_date: date  # 协商日期
    effect: float  # -0.5: appeals in its categories x towns fall by half after consultation; 0.0: no change


def _workday_on_or_after(d: date) -> date:
    while not _is_workday(d):
        d += timedelta(days=1)
    return d


def _is_workday(d: date) -> bool:
    try:
        return chinese_calendar.is_workday(d)
    except NotImplementedError:  # beyond the package's known years: plain weekdays
        return d.weekday() < 5


def planted_topics(categories: pd.DataFrame, seed: int) -> list[PlantedTopic]:
    """About 20 topics consulted between mid-2022 and mid-2023: 6 strong, 6 without and 8
    with a mild planted effect. No (category, town) pair belongs to two topics."""
    rng = np.random.default_rng([seed, 0x7A1])
    available = set(categories["level_3_name"])
    mains = [name for name in THEMES if name in available]
    if not mains:
        raise ValueError("none of the topic categories is in the category table")
    n_topics = N_STRONG + N_NONE + N_MILD
    kinds = rng.permutation(["strong"] * N_STRONG + ["none"] * N_NONE + ["mild"] * N_MILD)
    order = np.concatenate([rng.permutation(len(mains)) for _ in range(-(-n_topics // len(mains)))])
    span = (LAST_CONSULTATION - FIRST_CONSULTATION).days
    offsets = np.linspace(0, span - 10, n_topics) + rng.integers(0, 10, n_topics)
    consulted = [_workday_on_or_after(FIRST_CONSULTATION + timedelta(days=int(o))) for o in offsets]
    consulted = [min(d, LAST_CONSULTATION) for d in consulted]
    town_p = PLACE_WEIGHTS[: len(TOWNS)] / PLACE_WEIGHTS[: len(TOWNS)].sum()

    used: set[tuple[str, str]] = set()
    drafts = []
    for i in range(n_topics):
        main = mains[order[i]]
        free = [k for k, town in enumerate(TOWNS) if (main, town) not in used]
        if not free:
            continue
        p = town_p[free] / town_p[free].sum()
        n_towns = min(len(free), 1 + rng.choice(3, p=TOWN_COUNT_P))
        towns = tuple(TOWNS[free[k]] for k in sorted(rng.choice(len(free), size=n_towns, replace=False, p=p)))
        names = [main]
        related = [c for c in RELATED.get(main, ()) if c in available and all((c, t) not in used for t in towns)]
        if related and rng.random() < SECOND_CATEGORY_SHARE:
            names.append(related[rng.integers(len(related))])
        used.update((c, t) for c in names for t in towns)
        themes = THEMES[main]
        title = "、".join(towns) + themes[rng.integers(len(themes))]
        kind = kinds[i]
        if kind == "strong":
            effect = round(float(rng.uniform(*STRONG_EFFECT)), 2)
        elif kind == "mild":
            effect = round(float(rng.uniform(*MILD_EFFECT)), 2)
        else:
            effect = 0.0
        drafts.append((consulted[i], title, tuple(names), towns, effect))

    topics = []
    sequence: dict[int, int] = {}
    for consulted_date, title, names, towns, effect in drafts:  # already in date order
        year = consulted_date.year
        sequence[year] = sequence.get(year, 0) + int(rng.integers(1, 9))  # other topics come in between
        topics.append(PlantedTopic(f"YT{year}-{sequence[year]:03d}", title, names, towns, consulted_date, effect))
    return topics


def _kind(effect: float) -> str:
    if effect <= -0.3:
        return "strong"
    return "mild" if effect < 0 else "none"


def _days(rng: np.random.Generator, bounds: tuple[int, int]) -> timedelta:
    return timedelta(days=int(rng.integers(*bounds)))


def _plan(topics: list[PlantedTopic], seed: int) -> list[dict[str, Any]]:
    """Dates, units and list items per topic, independent of the as-of date."""
    rng = np.random.default_rng([seed, 0x7A2])
    cats = load_categories()
    units = dict(zip(cats["level_3_name"], _category_units(cats), strict=True))
    plans = []
    for topic in topics:
        consulted = topic.consulted_date
        survey = _workday_on_or_after(consulted - _days(rng, SURVEY_LEAD_DAYS))
        handed = _workday_on_or_after(consulted + _days(rng, HANDOVER_DAYS))
        feedback = _workday_on_or_after(handed + _days(rng, FEEDBACK_DAYS))
        lead = units.get(topic.category_l3_names[0], "启东市政务服务管理办公室")
        towns_text = "、".join(topic.towns)
        main = topic.category_l3_names[0]
        fill = {"cat": main, "issue": main if main.endswith("问题") else main + "问题", "towns": towns_text}
        locals_ = list(_local_government(np.asarray(topic.towns, dtype=object)))
        others = [units[c] for c in topic.category_l3_names[1:] if c in units and units[c] != lead]
        n_items = int(rng.integers(3, 7))
        n_suggest = min(int(rng.integers(1, 3)), n_items - 2)
        n_tasks = n_items - n_suggest - 1
        items: list[dict[str, Any]] = []
        for k, text in enumerate(rng.choice(len(SUGGESTIONS), size=n_suggest, replace=False), start=1):
            done = consulted + timedelta(days=int(rng.integers(2, max(3, (handed - consulted).days))))
            items.append(
                {
                    "type": "协商建议",
                    "seq": k,
                    "text": SUGGESTIONS[text].format(**fill),
                    "unit": lead,
                    "due": handed,
                    "done": min(done, handed),
                    "visible": consulted,
                    "start": consulted,
                }
            )
        task_units = [lead, *locals_, *others]
        for k, text in enumerate(rng.choice(len(TASKS), size=n_tasks, replace=False), start=1):
            due = _workday_on_or_after(handed + timedelta(days=int(rng.choice(TASK_DAYS))))
            if rng.random() < LATE_DONE_SHARE:
                done = due + timedelta(days=int(rng.integers(10, 60)))
            else:
                done = due - timedelta(days=int(rng.integers(0, 25)))
            items.append(
                {
                    "type": "责任落实",
                    "seq": k,
                    "text": TASKS[text].format(**fill),
                    "unit": task_units[(k - 1) % len(task_units)],
                    "due": due,
                    "done": max(done, handed),
                    "visible": handed,
                    "start": handed + timedelta(days=int(rng.integers(3, 30))),
                }
            )
        result_text, opinion = RESULTS[_kind(topic.effect)]
        items.append(
            {
                "type": "结果反馈",
                "seq": 1,
                "text": result_text.format(**fill),
                "unit": lead,
                "due": feedback + _days(rng, (0, 15)),
                "done": feedback,
                "visible": handed,
                "start": feedback,
                "opinion": opinion,
            }
        )
        plans.append(
            {
                "topic": topic,
                "source": SOURCES[rng.choice(len(SOURCES), p=SOURCE_P)],
                "survey": survey,
                "handed": handed,
                "feedback": feedback,
                "lead": lead,
                "items": items,
            }
        )
    # a few responsibilities are never completed: overdue once their time limit has passed
    tasks = [item for plan in plans for item in plan["items"] if item["type"] == "责任落实"]
    if tasks:
        n_stuck = min(len(tasks), max(MIN_STUCK, round(STUCK_SHARE * len(tasks))))
        for i, k in enumerate(rng.choice(len(tasks), size=n_stuck, replace=False)):
            tasks[k]["done"] = None
            if i == 0 or rng.random() < 0.3:  # never even started
                tasks[k]["start"] = date.max
    return plans


def _status(plan: dict[str, Any], as_of: date) -> str:
    topic = plan["topic"]
    if as_of < topic.consulted_date:
        return "调研中"
    if as_of < plan["handed"]:
        return "已协商"
    if as_of < plan["feedback"]:
        return "已交办"
    tasks = [item for item in plan["items"] if item["type"] == "责任落实"]
    finished = all(item["done"] is not None and item["done"] <= as_of for item in tasks)
    return "已办结" if finished else "已反馈"


def _item_row(topic_id: str, item: dict[str, Any], as_of: date) -> list[Any]:
    done = item["done"] if item["done"] is not None and item["done"] <= as_of else None
    if done is not None:
        progress = "已完成"
    elif as_of >= item["start"]:
        progress = "推进中"
    else:
        progress = "未启动"
    if item["type"] == "结果反馈":
        opinion = item["opinion"] if done else ""
    elif item["type"] == "责任落实":
        if done is not None:
            opinion = "按期完成" if done <= item["due"] else "逾期完成"
        else:
            opinion = "已逾期，督办中" if item["due"] < as_of else ""
    else:
        opinion = "已采纳" if done else ""
    return [topic_id, item["type"], item["seq"], item["text"], item["unit"], item["due"], progress, done, opinion]


def _write_sheet(path: Path, sheet_name: str, headers: tuple[str, ...], dates: tuple[str, ...],
                 rows: list[list[Any]]) -> None:  # fmt: skip
    workbook = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False})
    workbook.set_properties({"created": XLSX_CREATED, "author": "政协启东市委员会"})
    sheet = workbook.add_worksheet(sheet_name)
    date_cell = workbook.add_format({"num_format": DATE_FORMAT})
    sheet.write_row(0, 0, headers)
    for j, name in enumerate(headers):
        sheet.set_column(j, j, 12 if name in dates else 16)
    for i, row in enumerate(rows, start=1):
        for j, value in enumerate(row):
            if value is None or value == "":
                continue
            if isinstance(value, date):
                sheet.write_datetime(i, j, value, date_cell)
            elif isinstance(value, int | float):
                sheet.write_number(i, j, value)
            else:
                sheet.write_string(i, j, str(value))
    workbook.close()


def write_committee_topics(
    folder: Path, topics: list[PlantedTopic], *, seed: int, as_of: date = date(2023, 12, 31)
) -> dict[str, Any]:
    """Write the topic register and the 三清单 as they stood on `as_of`.

    Topics not yet researched by `as_of` are left out; step dates not yet reached are empty.
    List rows appear once a topic is consulted on (协商建议) or handed over (责任落实 and
    结果反馈). An item is overdue when its time limit is before `as_of` and it is not done.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    register: list[list[Any]] = []
    items: list[list[Any]] = []
    for plan in _plan(list(topics), seed):
        topic = plan["topic"]
        if plan["survey"] > as_of:
            continue
        steps = [plan["survey"], topic.consulted_date, plan["handed"], plan["feedback"]]
        register.append([
            topic.topic_id, topic.title, JOIN.join(topic.category_l3_names), JOIN.join(topic.towns), plan["source"],
            *[d if d <= as_of else None for d in steps], _status(plan, as_of), plan["lead"],
        ])  # fmt: skip
        items += [_item_row(topic.topic_id, item, as_of) for item in plan["items"] if item["visible"] <= as_of]
    due, progress = LISTS_HEADERS.index("完成时限"), LISTS_HEADERS.index("完成情况")
    overdue = sum(1 for row in items if row[due] < as_of and row[progress] != "已完成")
    names = [f"{REGISTER_SHEET}_{as_of:%Y%m%d}.xlsx", f"{LISTS_SHEET}_{as_of:%Y%m%d}.xlsx"]
    _write_sheet(folder / names[0], REGISTER_SHEET, REGISTER_HEADERS, REGISTER_DATE_COLUMNS, register)
    _write_sheet(folder / names[1], LISTS_SHEET, LISTS_HEADERS, LISTS_DATE_COLUMNS, items)
    return {"topics": len(register), "list_items": len(items), "overdue_items": overdue, "files": names}


# --- the candidate register (候选议题台账) ---------------------------------------------------
# The office reviews the month's topic candidates (fct_topic_candidates) every quarter and
# keeps its decisions on a candidate (a level-3 category × town) in a spreadsheet: 关注 (watch),
# 选定 (selected as a topic: the topic's 议题编号) or 不采纳 (rejected, with the reason).
CANDIDATE_SHEET = "候选议题台账"
CANDIDATE_HEADERS: tuple[str, ...] = (
    "记录编号", "决定日期", "分类编码", "三级分类", "镇街", "决定", "议题编号", "理由",
)  # fmt: skip
CANDIDATE_DATE_COLUMNS = ("决定日期",)
DECISIONS = ("关注", "选定", "不采纳")
REVIEW_MONTHS = (1, 4, 7, 10)  # quarterly reviews of the previous quarter's candidates
REVIEW_DAY = 10
REVIEW_SHORTLIST = 12  # the previous quarter's busiest category × town groups the review looks at
WATCHED_PER_REVIEW = 2
WATCH_REASONS = ("诉求量持续较高，列入关注", "投诉集中，待进一步调研", "诉求量较上季度上升，持续跟踪")
SELECT_REASON = "诉求集中且持续，纳入议题{topic_id}开展调研协商"
REJECT_REASONS = {
    "consult": "以政策咨询为主，由职能部门答复，不列为协商议题",
    "faded": "关注后诉求量回落，不再列为候选",
    "planned": "已纳入部门年度整治计划，不再重复协商",
}


def candidate_groups(received: np.ndarray, categories: np.ndarray, towns: np.ndarray) -> pd.DataFrame:
    """Appeals per month × category × town (month as a datetime64[M]), the groups the
    warehouse ranks as candidates: what the demo office has in front of it at a review."""
    frame = pd.DataFrame({"month": received.astype("datetime64[M]"), "category": categories, "town": towns})
    return frame.value_counts().rename("appeals").reset_index()


def _reviews(first_month: date, as_of: date) -> list[date]:
    """Review days: the first working day from the 10th of each quarter's first month, once a
    whole quarter of data lies behind it."""
    days = []
    for year in range(first_month.year, as_of.year + 1):
        for month in REVIEW_MONTHS:
            day = _workday_on_or_after(date(year, month, REVIEW_DAY))
            if (year - first_month.year) * 12 + month - first_month.month >= 3 and day <= as_of:
                days.append(day)
    return days


def candidate_decisions(
    topics: list[PlantedTopic], groups: pd.DataFrame, *, seed: int, as_of: date
) -> list[dict[str, Any]]:
    """The office's decisions, consistent with the topics and the appeals.

    Each topic researched by `as_of` has its categories × towns 选定 on its 调研 day, its main
    one 关注 at the review before; at every quarterly review two of the previous quarter's
    busiest other groups are 关注, a busy consultation-heavy one is 不采纳, and a group watched
    two reviews ago whose appeals fell is 不采纳.
    """
    from demodata.hotline_exports import HOT_CATEGORIES

    rng = np.random.default_rng([seed, 0x7A4])
    cats = load_categories()
    names = np.where(cats["level_3_name"] == "", cats["level_2_name"], cats["level_3_name"])
    codes = dict(zip(names, cats["level_3_code"], strict=True))
    plans = {plan["topic"].topic_id: plan for plan in _plan(list(topics), seed)}
    in_topics = {(c, t) for topic in topics for c in topic.category_l3_names for t in topic.towns}
    consult_heavy = {name for name, (consult, problem) in HOT_CATEGORIES.items() if consult > problem}
    months = groups.assign(month=pd.to_datetime(groups["month"]).dt.date)
    first_month = min(months["month"], default=as_of.replace(day=1))
    reviews = _reviews(first_month, as_of)

    rows: list[dict[str, Any]] = []
    for topic in topics:
        survey = plans[topic.topic_id]["survey"]
        if survey > as_of:
            continue
        earlier = [day for day in reviews if day < survey]
        if earlier:
            rows.append({"date": earlier[-1], "key": (topic.category_l3_names[0], topic.towns[0]), "decision": "关注",
                         "topic": "", "reason": WATCH_REASONS[0]})  # fmt: skip
        for name in topic.category_l3_names:
            for town in topic.towns:
                rows.append({"date": survey, "key": (name, town), "decision": "选定", "topic": topic.topic_id,
                             "reason": SELECT_REASON.format(topic_id=topic.topic_id)})  # fmt: skip

    decided: set[tuple[str, str]] = set(in_topics)
    watched: list[tuple[date, tuple[str, str]]] = []
    for day in reviews:
        quarter_end = day.replace(day=1)
        quarter_start = date(quarter_end.year - (quarter_end.month <= 3), (quarter_end.month - 4) % 12 + 1, 1)
        recent = months[(months["month"] >= quarter_start) & (months["month"] < quarter_end)]
        busiest = (
            recent.groupby(["category", "town"])["appeals"].sum().reset_index()
            .sort_values(["appeals", "category", "town"], ascending=[False, True, True])
        )  # fmt: skip
        # "其他…" catch-all categories are no problem one could consult on
        pairs = zip(busiest["category"], busiest["town"], strict=True)
        shortlist = [(c, t) for c, t in pairs if not c.startswith("其他")][:REVIEW_SHORTLIST]
        heavy = [key for key in shortlist if key[0] in consult_heavy and key not in decided]
        if heavy:
            rows.append({"date": day, "key": heavy[0], "decision": "不采纳", "topic": "",
                         "reason": REJECT_REASONS["consult"]})  # fmt: skip
            decided.add(heavy[0])
        fresh = [key for key in shortlist if key not in decided and key[0] not in consult_heavy]
        for k in sorted(rng.choice(len(fresh), size=min(WATCHED_PER_REVIEW, len(fresh)), replace=False)):
            rows.append({"date": day, "key": fresh[k], "decision": "关注", "topic": "",
                         "reason": WATCH_REASONS[int(rng.integers(len(WATCH_REASONS)))]})  # fmt: skip
            decided.add(fresh[k])
            watched.append((day, fresh[k]))
        # a group watched two reviews ago that has left the shortlist is dropped
        for when, key in list(watched):
            if reviews.index(when) == reviews.index(day) - 2:
                watched.remove((when, key))
                if key not in shortlist:
                    reason = REJECT_REASONS["faded" if rng.random() < 0.7 else "planned"]
                    rows.append({"date": day, "key": key, "decision": "不采纳", "topic": "", "reason": reason})

    rows.sort(key=lambda row: (row["date"], DECISIONS.index(row["decision"]), row["key"]))
    sequence: dict[int, int] = {}
    for row in rows:
        sequence[row["date"].year] = sequence.get(row["date"].year, 0) + 1
        row["id"] = f"HX{row['date'].year}-{sequence[row['date'].year]:03d}"
        row["code"] = codes.get(row["key"][0], "")
    return rows


def write_candidate_register(
    folder: Path, topics: list[PlantedTopic], groups: pd.DataFrame, *, seed: int, as_of: date = date(2023, 12, 31)
) -> dict[str, Any]:
    """Write the office's candidate register (候选议题台账) as it stood on `as_of`."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    decisions = candidate_decisions(list(topics), groups, seed=seed, as_of=as_of)
    rows = [[d["id"], d["date"], d["code"], d["key"][0], d["key"][1], d["decision"], d["topic"], d["reason"]]
            for d in decisions]  # fmt: skip
    name = f"{CANDIDATE_SHEET}_{as_of:%Y%m%d}.xlsx"
    _write_sheet(folder / name, CANDIDATE_SHEET, CANDIDATE_HEADERS, CANDIDATE_DATE_COLUMNS, rows)
    counts = {decision: sum(d["decision"] == decision for d in decisions) for decision in DECISIONS}
    return {"decisions": len(decisions), **counts, "files": [name]}
