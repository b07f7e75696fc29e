"""The committee office's member registers: members, sector representatives and duty records.

DOMAIN.md §1 (委员联系界别群众, 12345 委员工作站), §4 (委员履职考核) and §5 (17 sectors, Qidong
places). The office exports its registers as cumulative snapshots, one set per quarter end
+ 10 days (``委员名册_20220410.xlsx`` … ``委员名册_20240110.xlsx``); each file holds every
record known by its date, so a record first appears in the first snapshot on or after the
day it was entered, and ids never change.

What a performance-scoring warehouse needs to get right is planted here:

* 309 members in 17 sectors (02 民主党派 with the seven parties as sub-sectors), about 30
  standing members; a few join or leave mid-term, so they are active only part of a quarter.
* About 4,500 sector representatives in 14 main and 17 sub libraries, updated yearly: the
  2023 update adds some and drops some (dropped rows keep 更新年度 2022).
* Each active member has exactly 5 current representatives (1:5); no representative serves
  two members at once; reassignments end the old row on day d and start the new one on d+1.
* Eight-step liaison cases with working-day delays; about 15 % stuck at some step.
* Hotline shifts, proposals, 社情民意 reports and meetings/activities with a realistic spread
  (inactive members, and a few above the rubric's quarterly caps).
* Each quarter is frozen about three weeks after it ends (季度冻结). A few duty records
  (activities, shifts, 社情民意) dated inside a quarter are entered only after that quarter
  was frozen: they first appear in a later snapshot (``MemberRecordsSummary.late_records``).

Everything is deterministic for a seed; the XLSX files carry a fixed creation date so that
their bytes are reproducible.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import chinese_calendar
import numpy as np
import xlsxwriter

from demodata.hotline_exports import GIVEN_CHARS, PARKS, PHONE_PREFIXES, PLACE_WEIGHTS, SURNAMES, TOWNS, XLSX_CREATED

DATE_FORMAT = "yyyy-mm-dd"
JOIN = "；"
AUTHOR = "政协启东市委员会办公室"
SESSION = "第十六届"

# --- files: stem (= sheet name) -> headers; date columns are written as Excel dates -------
MEMBERS = "委员名册"
SECTORS_FILE = "界别"
REPRESENTATIVES = "界别群众库"
ASSIGNMENTS = "联系名单"
LIAISON = "联系工作台账"
SHIFTS = "热线值班"
PROPOSALS = "提案"
OPINIONS = "社情民意"
ACTIVITIES = "会议活动"
FREEZES = "季度冻结"
HEADERS: dict[str, tuple[str, ...]] = {
    MEMBERS: ("委员编号", "姓名", "性别", "界别代码", "界别", "所属镇街工委", "届次", "是否常委", "任职开始日期",
              "任职结束日期", "联系电话"),
    SECTORS_FILE: ("界别代码", "界别名称", "子界别代码", "子界别名称"),
    REPRESENTATIVES: ("群众编号", "姓名", "联系电话", "界别代码", "身份类别", "库别", "所属库", "镇街", "更新年度"),
    ASSIGNMENTS: ("委员编号", "群众编号", "开始日期", "结束日期"),
    LIAISON: ("案例编号", "委员编号", "群众编号", "步骤", "步骤日期", "承办单位", "办理结果", "评议等级"),
    SHIFTS: ("记录编号", "委员编号", "值班日期", "值班时长（小时）", "接听来电数"),
    PROPOSALS: ("提案编号", "提案标题", "第一提案人", "联名提案人", "提交日期", "是否立案", "是否重点提案",
                "是否被部门采纳", "办理结果", "提案人评价", "立案日期", "主办单位", "协办单位", "交办日期",
                "答复期限", "答复日期", "评价日期"),
    OPINIONS: ("信息编号", "委员编号", "标题", "报送日期", "是否采用", "是否领导批示"),
    ACTIVITIES: ("记录编号", "委员编号", "活动类型", "活动名称", "活动日期", "出席情况"),
    FREEZES: ("季度", "冻结日期"),
}  # fmt: skip
DATE_COLUMNS: dict[str, tuple[str, ...]] = {
    MEMBERS: ("任职开始日期", "任职结束日期"),
    ASSIGNMENTS: ("开始日期", "结束日期"),
    LIAISON: ("步骤日期",),
    SHIFTS: ("值班日期",),
    PROPOSALS: ("提交日期", "立案日期", "交办日期", "答复期限", "答复日期", "评价日期"),
    OPINIONS: ("报送日期",),
    ACTIVITIES: ("活动日期",),
    FREEZES: ("冻结日期",),
}
SNAPSHOT_LAG_DAYS = 10  # a snapshot is exported 10 days after each quarter end
FREEZE_LAG_DAYS = 21  # a quarter's scores are frozen about 3 weeks after it ends

# --- sectors (DOMAIN.md §5) and how many members each has ----------------------------------
SECTORS: tuple[tuple[str, str], ...] = (
    ("01", "中共"), ("02", "民主党派"), ("03", "无党派"), ("04", "共青团和青联"), ("05", "工会"), ("06", "妇联"),
    ("07", "工商联"), ("08", "经济"), ("09", "科技和科协"), ("10", "教育和体育"), ("11", "文化艺术和新闻出版"),
    ("12", "医药卫生"), ("13", "农业和农村"), ("14", "社会福利和社会保障"), ("15", "少数民族和宗教"),
    ("16", "港澳台侨"), ("17", "特邀"),
)  # fmt: skip
SUB_SECTORS: tuple[tuple[str, str], ...] = (
    ("02-1", "民革"), ("02-2", "民盟"), ("02-3", "民建"), ("02-4", "民进"), ("02-5", "农工"), ("02-6", "致公"),
    ("02-7", "九三"),
)  # fmt: skip
SECTOR_NAMES = dict(SECTORS)
MEMBERS_PER_SECTOR = (40, 42, 10, 12, 14, 14, 24, 28, 16, 22, 14, 20, 18, 12, 6, 7, 10)  # 309
PARTY_MEMBERS = (6, 7, 7, 6, 6, 4, 6)  # 02's 42 members by sub-sector
NO_MAIN_LIBRARY = ("01", "03", "17")  # 中共, 无党派, 特邀: sub libraries only
N_STANDING = 30
N_JOINERS = 8  # join mid-term (the last member ids)
N_LEAVERS = 8  # leave mid-term (任职结束日期)
CITY_LEVEL = "市直"
CITY_LEVEL_SHARE = 0.45

# --- sector representatives (界别群众库) ---------------------------------------------------
REPS_PER_MEMBER = 15.2  # sectors with a main library
REPS_PER_MEMBER_NO_MAIN = 8
MAIN_LIBRARY_SHARE = 0.78
N_ADDED_2023 = 250
N_DROPPED_UNASSIGNED_2023 = 100
N_DROPPED_ASSIGNED_2023 = 12  # their members get a new representative the day after the update
N_OTHER_REASSIGNMENTS = 6
UPDATE_2023 = date(2023, 3, 15)
REPS_PER_MEMBER_FIXED = 5
WORK_COMMITTEES = (*TOWNS, *PARKS[:5])  # 14 town/park working committees
SPECIAL_GROUPS = ("新就业群体专门工作组", "民营经济专门工作组", "港澳台侨专门工作组")
IDENTITIES_GENERAL = (
    "个体工商户", "企业职工", "中小学教师", "乡村医生", "村（社区）干部", "新就业形态劳动者", "退役军人",
    "农村种植大户", "外卖骑手", "快递员", "网约车司机", "货车司机", "家政服务员", "物业服务人员", "环卫工人",
    "建筑工人", "农民工", "返乡创业青年", "大学生村官", "高校毕业生", "在校大学生", "幼儿园教师", "职业学校教师",
    "退休教师", "学生家长", "社区医生", "护士", "医院医生", "药店从业人员", "养老护理员", "残疾人",
    "残疾人亲属", "低保户", "留守老人", "留守儿童家长", "独居老人", "妇女代表", "巾帼志愿者", "女企业家",
    "青年志愿者", "青年企业家", "青年科技工作者", "共青团员", "少先队辅导员", "工会干部", "一线产业工人",
    "技术工人", "劳动模范", "工匠人才", "民营企业主", "民营企业管理人员", "商会会员", "小微企业主",
    "电商从业者", "农村电商从业者", "外贸企业从业人员", "金融从业人员", "银行职员", "会计", "律师",
    "人民调解员", "网格员", "楼道长", "业委会成员", "小区居民", "城市新居民", "外来务工人员", "科技工作者",
    "农技推广员", "企业研发人员", "科普志愿者", "工程技术人员", "文艺工作者", "非遗传承人", "新闻工作者",
    "自媒体从业者", "出版从业者", "体育教练", "社会体育指导员", "渔民", "养殖户", "家庭农场主",
    "农民专业合作社负责人", "农村致富带头人", "农机手", "村民代表", "新型职业农民", "社会组织负责人",
    "社会工作者", "慈善工作者", "失业人员", "灵活就业人员", "退休职工", "少数民族群众", "宗教界人士",
    "归侨侨眷", "港澳台同胞亲属", "台资企业员工", "留学归国人员", "基层民警", "消防员", "法律工作者",
    "心理咨询师", "民宿经营者", "旅游从业者", "餐饮从业者", "出租车司机", "船员", "港口工人", "海工企业职工",
    "个体诊所医生", "乡镇卫生院职工", "老年协会会员", "新乡贤",
)  # fmt: skip
IDENTITIES_BY_SECTOR: dict[str, tuple[str, ...]] = {
    "04": ("共青团员", "青年志愿者", "青年企业家", "在校大学生", "高校毕业生", "返乡创业青年"),
    "05": ("企业职工", "一线产业工人", "技术工人", "工会干部", "劳动模范", "工匠人才", "农民工"),
    "06": ("妇女代表", "巾帼志愿者", "女企业家", "家政服务员", "留守儿童家长"),
    "07": ("民营企业主", "民营企业管理人员", "商会会员", "小微企业主", "个体工商户", "电商从业者"),
    "08": ("金融从业人员", "银行职员", "会计", "外贸企业从业人员", "企业职工", "港口工人", "海工企业职工"),
    "09": ("科技工作者", "企业研发人员", "科普志愿者", "工程技术人员", "青年科技工作者"),
    "10": ("中小学教师", "幼儿园教师", "职业学校教师", "退休教师", "学生家长", "体育教练", "社会体育指导员"),
    "11": ("文艺工作者", "非遗传承人", "新闻工作者", "自媒体从业者", "出版从业者"),
    "12": ("乡村医生", "社区医生", "护士", "医院医生", "药店从业人员", "乡镇卫生院职工", "个体诊所医生"),
    "13": ("农村种植大户", "家庭农场主", "农民专业合作社负责人", "农村致富带头人", "渔民", "养殖户", "农机手"),
    "14": ("养老护理员", "残疾人", "低保户", "独居老人", "社会工作者", "慈善工作者", "失业人员"),
    "15": ("少数民族群众", "宗教界人士"),
    "16": ("归侨侨眷", "港澳台同胞亲属", "台资企业员工", "留学归国人员"),
}  # fmt: skip
SECTOR_IDENTITY_SHARE = 0.65

# --- liaison cases (联系工作台账) ----------------------------------------------------------
STEPS = ("连线", "凝心", "转办", "审批", "办理", "督办", "回复", "评议")
STEP_DELAYS = ((1, 6), (1, 6), (1, 4), (2, 11), (5, 16), (3, 11), (2, 11))  # working days before steps 2-8
FIRST_UNIT_STEP = STEPS.index("转办")
STUCK_SHARE = 0.15
CASES_ZERO_SHARE = 0.10
CASES_ACTIVE_SHARE = 0.04  # "very active" members: 10-18 cases a year
RATINGS = ("满意", "基本满意", "不满意")
RATING_P = (0.70, 0.24, 0.06)
UNITS = (
    "启东市住房和城乡建设局", "启东市城市管理局", "启东市交通运输局", "启东市农业农村局", "启东市教育体育局",
    "启东市卫生健康委员会", "启东市人力资源和社会保障局", "启东市民政局", "启东市市场监督管理局",
    "启东市生态环境局", "启东市水务局", "启东市医疗保障局", "启东市公安局", "启东市自然资源和规划局",
)  # fmt: skip
ISSUES = (
    "老旧小区加装电梯", "农村道路养护", "农民工工资支付", "学校周边交通安全", "居家养老服务", "医保异地报销",
    "农村生活污水治理", "小区停车难", "农贸市场环境卫生", "外卖骑手权益保障", "农村危桥改造", "河道保洁",
    "公交线路优化", "社区卫生服务", "新就业形态劳动者社会保障", "中小学课后服务", "农田水利设施维护",
    "小微企业融资", "沿海渔港安全", "乡村旅游发展", "垃圾分类", "城区内涝治理", "困难群众救助",
    "物业服务质量", "村级集体经济发展", "职业技能培训", "婴幼儿托育服务", "电动自行车充电安全",
    "农产品品牌建设", "非遗保护传承",
)  # fmt: skip
STEP_RESULTS = (
    "委员电话连线界别群众，了解{issue}有关诉求",
    "委员向群众解读{issue}相关政策，达成共识",
    "转{unit}办理",
    "经委员联络工作委员会审批同意交办",
    "{unit}已受理并安排专人办理",
    "委员跟踪督办，推动{issue}问题落实",
    "{unit}书面答复：{reply}",
    "群众对{issue}诉求办理情况进行评议",
)
REPLIES = ("问题已解决", "已列入年度计划逐步解决", "已向群众解释相关政策", "已协调相关镇街现场处理")

# --- duty records ---------------------------------------------------------------------------
SHIFT_NEVER_SHARE = 0.25
SHIFT_HIGH_SHARE = 0.06  # 4-7 shifts a quarter: above the rubric's cap of 4
SHIFT_HOURS = (2.0, 3.0, 3.5, 4.0)
SHIFT_HOURS_P = (0.2, 0.3, 0.3, 0.2)
CALLS_PER_HOUR = 2.5
PROPOSAL_COUNT_P = (0.30, 0.48, 0.15, 0.05, 0.02)  # 0-4 proposals a year as first proposer
PROPOSAL_AT_SESSION_SHARE = 0.7
JOINT_SHARE = 0.3
FILED_SHARE = 0.85
KEY_SHARE = 0.05  # drawn (the draw keeps the other columns' stream), then replaced by N_KEY_PROPOSALS
N_KEY_PROPOSALS = 23  # 重点提案 supervised over the two years (DOMAIN.md §1, Rugao)
N_KEY_OVERDUE = 3  # of them, replies past their deadline and still missing at the end
FILING_WORKDAYS = (3, 11)  # 立案 this many working days after submission
ASSIGNING_WORKDAYS = (1, 6)  # 交办 after 立案
REPLY_MONTHS = 3  # reply due three months after assignment (DOMAIN.md §4)
REPLY_BEFORE_RATING_DAYS = (3, 15)  # the reply comes this many days before the proposer's rating
CO_UNITS_P = (0.5, 0.35, 0.15)  # 0, 1 or 2 co-handling units
RESULT_CODES = ("A", "B", "C", "D")
RESULT_P = (0.45, 0.30, 0.15, 0.10)
ADOPTED_P = {"A": 0.8, "B": 0.6, "C": 0.3, "D": 0.0}
PROPOSAL_VERBS = ("加强", "推进", "进一步做好", "完善", "优化")
OPINION_NEVER_SHARE = 0.40
OPINION_ADOPTED_SHARE = 0.35
OPINION_ENDORSED_SHARE = 0.25  # of the adopted ones
OPINION_TITLES = ("关于{verb}{issue}工作的建议", "{issue}问题亟需重视", "群众反映{issue}方面存在困难")
ACTIVITY_TYPES = ("全体会议", "常委会议", "协商活动", "调研活动", "视察活动", "志愿服务")
EVENTS_PER_QUARTER = {"协商活动": 10, "调研活动": 8, "视察活动": 6, "志愿服务": 8}
EVENT_SIZE = (6, 20)
EVENT_NAMES = {
    "协商活动": "“有事好商量”{issue}专题协商会",
    "调研活动": "{issue}专题调研",
    "视察活动": "{place}{issue}工作视察",
    "志愿服务": "委员进{place}{service}志愿服务",
}
SERVICES = ("义诊", "普法宣传", "助学", "助老", "环境整治", "科普宣传", "文化惠民")
ATTENDANCE = ("出席", "请假", "缺席")
ATTENDANCE_P = {"全体会议": (0.92, 0.06, 0.02), "常委会议": (0.88, 0.10, 0.02), "other": (0.88, 0.09, 0.03)}
INACTIVE_SHARE = 0.10  # members who hardly take part in activities
VOLUNTEER_ENTHUSIASTS = 4
N_LATE = {ACTIVITIES: 6, SHIFTS: 5, OPINIONS: 4}  # duty records entered after their quarter was frozen


@dataclass(frozen=True)
class MemberRecordsSummary:
    """Counts as of the last snapshot (every record of the period)."""

    members: int
    sectors: int
    sub_sectors: int
    representatives: int
    assignments: int  # rows of 联系名单
    liaison_cases: int
    liaison_steps: int  # rows of 联系工作台账
    hotline_shifts: int
    proposals: int
    opinion_reports: int
    activities: int  # rows of 会议活动 (one per member and meeting/activity)
    late_records: int  # duty records first exported after their quarter's freeze date
    snapshots: int
    files: list[str]
    key_proposals: int = 0  # 重点提案 (是否重点提案 = 是) in the last snapshot


# ======================================================================================
# calendar
# ======================================================================================


def _is_workday(d: date) -> bool:
    try:
        return chinese_calendar.is_workday(d)
    except NotImplementedError:  # beyond the package's known years: plain weekdays
        return d.weekday() < 5


def quarter_ends(start: date, end: date) -> list[date]:
    """Last day of every quarter that overlaps [start, end]."""
    out = []
    year, q = start.year, (start.month - 1) // 3
    while True:
        month = 3 * q + 3
        last = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
        out.append(last)
        if last >= end:
            return out
        year, q = (year + 1, 0) if q == 3 else (year, q + 1)


def snapshot_dates(start: date = date(2022, 1, 1), end: date = date(2023, 12, 31)) -> list[date]:
    """The export days: each quarter end + 10 days."""
    return [q + timedelta(days=SNAPSHOT_LAG_DAYS) for q in quarter_ends(start, end)]


def quarter_label(d: date) -> str:
    return f"{d.year}Q{(d.month - 1) // 3 + 1}"


class _Calendar:
    def __init__(self, first: date, last: date) -> None:
        days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
        self.workdays = [d for d in days if _is_workday(d)]

    def on_or_after(self, d: date) -> date:
        return self.workdays[bisect_left(self.workdays, d)]

    def add(self, d: date, n: int) -> date:
        return self.workdays[bisect_left(self.workdays, d) + n]

    def between(self, first: date, last: date) -> list[date]:
        return self.workdays[bisect_left(self.workdays, first) : bisect_right(self.workdays, last)]


# ======================================================================================
# people
# ======================================================================================


def _names(rng: np.random.Generator, n: int) -> list[str]:
    given = list(GIVEN_CHARS)
    out = []
    for _ in range(n):
        name = SURNAMES[rng.integers(len(SURNAMES))] + given[rng.integers(len(given))]
        if rng.random() < 0.7:
            name += given[rng.integers(len(given))]
        out.append(name)
    return out


def _phones(rng: np.random.Generator, n: int, taken: set[str]) -> list[str]:
    out = []
    while len(out) < n:
        phone = PHONE_PREFIXES[rng.integers(len(PHONE_PREFIXES))] + f"{int(rng.integers(0, 10**8)):08d}"
        if phone not in taken:
            taken.add(phone)
            out.append(phone)
    return out


def _places(rng: np.random.Generator, n: int) -> list[str]:
    places = (*TOWNS, *PARKS)
    p = PLACE_WEIGHTS / PLACE_WEIGHTS.sum()
    return [places[k] for k in rng.choice(len(places), size=n, p=p)]


@dataclass
class _Member:
    member_id: str
    name: str
    gender: str
    sector: str
    sector_label: str
    place: str
    standing: bool
    start: date
    end: date | None
    phone: str

    def active(self, d: date) -> bool:
        return self.start <= d and (self.end is None or d <= self.end)


def _members(rng: np.random.Generator, start: date, end: date, phones: set[str]) -> list[_Member]:
    term_start = start - timedelta(days=4)
    codes = [code for (code, _), n in zip(SECTORS, MEMBERS_PER_SECTOR, strict=True) for _ in range(n)]
    parties = [name for (_, name), n in zip(SUB_SECTORS, PARTY_MEMBERS, strict=True) for _ in range(n)]
    labels, k = [], 0
    for code in codes:
        if code == "02":
            labels.append(f"{SECTOR_NAMES[code]}（{parties[k]}）")
            k += 1
        else:
            labels.append(SECTOR_NAMES[code])
    order = rng.permutation(len(codes))  # joiners are a random slice of the sectors
    codes, labels = [codes[i] for i in order], [labels[i] for i in order]
    n = len(codes)
    names = _names(rng, n)
    phone_list = _phones(rng, n, phones)
    genders = ["男" if g else "女" for g in rng.random(n) < 0.64]
    towns = _places(rng, n)
    places = [CITY_LEVEL if rng.random() < CITY_LEVEL_SHARE else towns[i] for i in range(n)]
    n_orig = n - N_JOINERS
    standing = set(rng.choice(n_orig, size=N_STANDING, replace=False).tolist())
    span = (end - start).days
    join_days = sorted(int(d) for d in rng.integers(span // 5, span - 45, N_JOINERS))
    leavers = rng.choice(n_orig, size=N_LEAVERS, replace=False)
    leave_days = rng.integers(span // 8, span - 30, N_LEAVERS)
    ends = {int(i): start + timedelta(days=int(d)) for i, d in zip(leavers, leave_days, strict=True)}
    members = []
    for i in range(n):
        first = term_start if i < n_orig else start + timedelta(days=join_days[i - n_orig])
        members.append(
            _Member(f"WY{i + 1:04d}", names[i], genders[i], codes[i], labels[i], places[i], i in standing, first,
                    ends.get(i), phone_list[i])
        )  # fmt: skip
    return members


@dataclass
class _Rep:
    rep_id: str
    name: str
    phone: str
    sector: str
    identity: str
    library_kind: str
    library: str
    place: str
    added: int  # 2022 or 2023
    dropped: bool = False


def _representatives(rng: np.random.Generator, members: list[_Member], phones: set[str]) -> list[_Rep]:
    per_sector = {code: 0 for code, _ in SECTORS}
    for m in members:
        per_sector[m.sector] += 1
    drafts: list[tuple[str, str]] = []  # (sector, kind)
    for code, _ in SECTORS:
        if code in NO_MAIN_LIBRARY:
            drafts += [(code, "分库")] * round(per_sector[code] * REPS_PER_MEMBER_NO_MAIN)
        else:
            n = round(per_sector[code] * REPS_PER_MEMBER)
            kinds = np.where(rng.random(n) < MAIN_LIBRARY_SHARE, "主库", "分库")
            drafts += [(code, str(kind)) for kind in kinds]
    n_2022 = len(drafts)
    weights = np.array(MEMBERS_PER_SECTOR, dtype=float)
    extra = rng.choice(len(SECTORS), size=N_ADDED_2023, p=weights / weights.sum())
    for k in extra:
        code = SECTORS[k][0]
        kind = "分库" if code in NO_MAIN_LIBRARY or rng.random() > MAIN_LIBRARY_SHARE else "主库"
        drafts.append((code, kind))
    order = list(rng.permutation(n_2022)) + list(range(n_2022, len(drafts)))  # ids: 2022 library first
    names = _names(rng, len(drafts))
    phone_list = _phones(rng, len(drafts), phones)
    homes = _places(rng, len(drafts))
    committee_p = PLACE_WEIGHTS[: len(WORK_COMMITTEES)] / PLACE_WEIGHTS[: len(WORK_COMMITTEES)].sum()
    reps = []
    for k, i in enumerate(order):
        code, kind = drafts[i]
        specific = IDENTITIES_BY_SECTOR.get(code)
        if specific and rng.random() < SECTOR_IDENTITY_SHARE:
            identity = specific[rng.integers(len(specific))]
        else:
            identity = IDENTITIES_GENERAL[rng.integers(len(IDENTITIES_GENERAL))]
        place = homes[k]
        if kind == "主库":
            library = SECTOR_NAMES[code]
        elif rng.random() < 0.15:
            library = SPECIAL_GROUPS[rng.integers(len(SPECIAL_GROUPS))]
        else:
            place = WORK_COMMITTEES[rng.choice(len(WORK_COMMITTEES), p=committee_p)]
            library = f"{place}工委"
        reps.append(
            _Rep(f"QZ{k + 1:05d}", names[k], phone_list[k], code, identity, kind, library, place,
                 2022 if i < n_2022 else 2023)
        )  # fmt: skip
    return reps


def _assignments(
    rng: np.random.Generator, members: list[_Member], reps: list[_Rep]
) -> list[tuple[str, str, date, date | None]]:
    """(member, representative, start, end) rows: 1:5, never two members for one representative."""
    used: set[str] = set()
    by_sector: dict[str, list[_Rep]] = {}
    by_place: dict[str, list[_Rep]] = {}
    for r in reps:
        by_sector.setdefault(r.sector, []).append(r)
        by_place.setdefault(r.place, []).append(r)

    def pick(member: _Member, on: date, own_sector: bool) -> _Rep:
        year = 2023 if on > UPDATE_2023 else 2022

        def free(group: list[_Rep]) -> list[_Rep]:
            return [r for r in group if r.rep_id not in used and r.added <= year and not r.dropped]

        if own_sector:
            candidates = free(by_sector[member.sector])
        else:
            candidates = free(by_place.get(member.place, []) if member.place != CITY_LEVEL else reps)
        candidates = candidates or free(reps)
        rep = candidates[rng.integers(len(candidates))]
        used.add(rep.rep_id)
        return rep

    # the 2023 update drops some representatives: mostly unassigned ones, a few assigned
    rows: list[list[Any]] = []
    for m in members:
        own = REPS_PER_MEMBER_FIXED if rng.random() < 0.6 else REPS_PER_MEMBER_FIXED - 1
        for k in range(REPS_PER_MEMBER_FIXED):
            rows.append([m, pick(m, m.start, k < own), m.start, m.end])
    continuing = [i for i, row in enumerate(rows) if row[0].start <= UPDATE_2023 and row[0].active(UPDATE_2023)]
    dropped_assigned = rng.choice(len(continuing), size=N_DROPPED_ASSIGNED_2023, replace=False)
    unassigned = [r for r in reps if r.rep_id not in used and r.added == 2022]
    for k in rng.choice(len(unassigned), size=N_DROPPED_UNASSIGNED_2023, replace=False):
        unassigned[k].dropped = True
    changes: list[tuple[int, date]] = [(continuing[k], UPDATE_2023) for k in dropped_assigned]
    for k in dropped_assigned:
        rows[continuing[k]][1].dropped = True
    # a few other reassignments (the representative moved away, changed job, ...)
    others = [i for i in range(len(rows)) if i not in {c for c, _ in changes}]
    for k in rng.choice(len(others), size=N_OTHER_REASSIGNMENTS, replace=False):
        m = rows[others[k]][0]
        last = m.end or date(2023, 11, 30)
        span = (last - m.start).days
        if span > 60:
            changes.append((others[k], m.start + timedelta(days=int(rng.integers(30, span - 20)))))
    for i, on in sorted(changes, key=lambda c: (c[1], c[0])):
        m, _, _, last = rows[i]
        rows[i][3] = on
        rows.append([m, pick(m, on + timedelta(days=1), True), on + timedelta(days=1), last])
    out = [(m.member_id, r.rep_id, first, last) for m, r, first, last in rows]
    return sorted(out, key=lambda row: (row[2], row[0], row[1]))


# ======================================================================================
# duty records
# ======================================================================================


def _in_range(cal: _Calendar, m: _Member, first: date, last: date, start: date, end: date) -> list[date]:
    lo = max(first, m.start, start)
    hi = min(last, m.end or end, end)
    return cal.between(lo, hi) if lo <= hi else []


def _liaison(
    rng: np.random.Generator, cal: _Calendar, members: list[_Member], assignments: list[tuple], start: date, end: date
) -> tuple[list[list[Any]], int]:
    by_member: dict[str, list[tuple]] = {}
    for row in assignments:
        by_member.setdefault(row[0], []).append(row)
    cases = []
    for m in members:
        u = rng.random()
        kind = "zero" if u < CASES_ZERO_SHARE else "active" if u > 1 - CASES_ACTIVE_SHARE else "normal"
        for year in range(start.year, end.year + 1):
            days = _in_range(cal, m, date(year, 1, 1), date(year, 12, 31), start, end)
            days = [d for d in days if m.end is None or d <= m.end - timedelta(days=90)]
            if not days or kind == "zero":
                continue
            n = int(rng.integers(10, 19)) if kind == "active" else int(rng.integers(1, 6))
            n = round(n * len(days) / 245) if len(days) < 200 else n
            for d in sorted(rng.choice(len(days), size=min(n, len(days)), replace=False)):
                first = days[d]
                current = [r for r in by_member[m.member_id] if r[2] <= first and (r[3] is None or first <= r[3])]
                rep = current[rng.integers(len(current))][1]
                cases.append((first, m.member_id, rep))
    cases.sort()
    rows: list[list[Any]] = []
    seq: dict[int, int] = {}
    for first, member_id, rep in cases:
        seq[first.year] = seq.get(first.year, 0) + 1
        case_id = f"LL{first.year}-{seq[first.year]:04d}"
        last_step = int(rng.integers(0, len(STEPS) - 1)) if rng.random() < STUCK_SHARE else len(STEPS) - 1
        issue = ISSUES[rng.integers(len(ISSUES))]
        unit = UNITS[rng.integers(len(UNITS))]
        reply = REPLIES[rng.integers(len(REPLIES))]
        rating = RATINGS[rng.choice(len(RATINGS), p=RATING_P)]
        d = first
        for k in range(last_step + 1):
            if k:
                d = cal.add(d, int(rng.integers(*STEP_DELAYS[k - 1])))
            if d > end:
                break
            rows.append([
                case_id, member_id, rep, STEPS[k], d, unit if k >= FIRST_UNIT_STEP else "",
                STEP_RESULTS[k].format(issue=issue, unit=unit, reply=reply), rating if STEPS[k] == "评议" else "",
            ])  # fmt: skip
    return rows, len(cases)


def _shifts(
    rng: np.random.Generator, cal: _Calendar, members: list[_Member], quarters: list[date], start: date, end: date
) -> list[dict[str, Any]]:
    records = []
    for m in members:
        u = rng.random()
        kind = "never" if u < SHIFT_NEVER_SHARE else "high" if u > 1 - SHIFT_HIGH_SHARE else "regular"
        if kind == "never":
            continue
        for q_end in quarters:
            days = _in_range(cal, m, date(q_end.year, q_end.month - 2, 1), q_end, start, end)
            if not days:
                continue
            regular = 0 if rng.random() < 0.2 else int(rng.integers(1, 4))
            n = int(rng.integers(4, 8)) if kind == "high" else regular
            n = min(n, len(days))
            for d in sorted(rng.choice(len(days), size=n, replace=False)):
                hours = float(SHIFT_HOURS[rng.choice(len(SHIFT_HOURS), p=SHIFT_HOURS_P)])
                calls = int(rng.poisson(hours * CALLS_PER_HOUR))
                records.append({"date": days[d], "member": m.member_id, "values": [hours, calls]})
    return records


def _opinions(
    rng: np.random.Generator, cal: _Calendar, members: list[_Member], quarters: list[date], start: date, end: date
) -> list[dict[str, Any]]:
    records = []
    for m in members:
        if rng.random() < OPINION_NEVER_SHARE:
            continue
        rate = float(rng.uniform(0.2, 1.6))
        for q_end in quarters:
            days = _in_range(cal, m, date(q_end.year, q_end.month - 2, 1), q_end, start, end)
            if not days:
                continue
            for _ in range(int(rng.poisson(rate))):
                d = days[rng.integers(len(days))]
                issue = ISSUES[rng.integers(len(ISSUES))]
                verb = PROPOSAL_VERBS[rng.integers(len(PROPOSAL_VERBS))]
                title = OPINION_TITLES[rng.integers(len(OPINION_TITLES))].format(issue=issue, verb=verb)
                adopted = rng.random() < OPINION_ADOPTED_SHARE
                endorsed = adopted and rng.random() < OPINION_ENDORSED_SHARE
                records.append({"date": d, "member": m.member_id, "values": [title, _yn(adopted), _yn(endorsed)]})
    return records


def _yn(flag: bool) -> str:
    return "是" if flag else "否"


def _plenary_days(cal: _Calendar, start: date, end: date) -> list[date]:
    days = [cal.on_or_after(date(year, 1, 10)) for year in range(start.year, end.year + 1)]
    return [d for d in days if start <= d <= end]


def _activities(
    rng: np.random.Generator, cal: _Calendar, members: list[_Member], quarters: list[date], start: date, end: date
) -> list[dict[str, Any]]:
    n = len(members)
    weight = rng.lognormal(0.0, 1.0, n)
    weight[rng.random(n) < INACTIVE_SHARE] = 0.02
    volunteer = rng.lognormal(0.0, 0.8, n)
    volunteer[rng.choice(n, size=VOLUNTEER_ENTHUSIASTS, replace=False)] = 40.0
    records: list[dict[str, Any]] = []

    def attend(kind: str) -> str:
        p = ATTENDANCE_P.get(kind, ATTENDANCE_P["other"])
        return ATTENDANCE[rng.choice(len(ATTENDANCE), p=p)]

    for k, d in enumerate(_plenary_days(cal, start, end), start=1):
        name = f"政协启东市{SESSION}委员会第{'一二三四五'[k - 1] if k <= 5 else k}次会议"
        for m in members:
            if m.active(d):
                records.append({"date": d, "member": m.member_id, "values": ["全体会议", name, attend("全体会议")]})
    standing_no = 0
    for q_end in quarters:
        q_start = date(q_end.year, q_end.month - 2, 1)
        d = cal.on_or_after(date(q_end.year, q_end.month - 1, int(rng.integers(5, 25))))
        if start <= d <= end:
            standing_no += 1
            name = f"政协启东市{SESSION}委员会常务委员会第{standing_no}次会议"
            for m in members:
                if m.standing and m.active(d):
                    records.append({"date": d, "member": m.member_id, "values": ["常委会议", name, attend("常委会议")]})
        for kind, count in EVENTS_PER_QUARTER.items():
            lo, hi = max(q_start, start), min(q_end, end)
            if lo > hi:
                continue
            if kind == "志愿服务":
                days = [lo + timedelta(days=i) for i in range((hi - lo).days + 1)]
            else:
                days = cal.between(lo, hi)
            w = volunteer if kind == "志愿服务" else weight
            for _ in range(count):
                d = days[rng.integers(len(days))]
                issue = ISSUES[rng.integers(len(ISSUES))]
                place = (*TOWNS, *PARKS)[rng.integers(len(TOWNS) + len(PARKS))]
                service = SERVICES[rng.integers(len(SERVICES))]
                name = EVENT_NAMES[kind].format(issue=issue, place=place, service=service)
                active = np.array([m.active(d) for m in members])
                p = np.where(active, w, 0.0)
                size = min(int(rng.integers(*EVENT_SIZE)), int(active.sum()))
                for i in sorted(rng.choice(n, size=size, replace=False, p=p / p.sum())):
                    records.append({"date": d, "member": members[i].member_id, "values": [kind, name, attend(kind)]})
    return records


def _proposals(
    rng: np.random.Generator, cal: _Calendar, members: list[_Member], start: date, end: date
) -> list[dict[str, Any]]:
    drafts = []
    for year in range(start.year, end.year + 1):
        plenary = [d for d in _plenary_days(cal, start, end) if d.year == year]
        year_days = cal.between(max(date(year, 1, 1), start), min(date(year, 12, 31), end))
        for m in members:
            n = int(rng.choice(len(PROPOSAL_COUNT_P), p=PROPOSAL_COUNT_P))
            for _ in range(n):
                if plenary and rng.random() < PROPOSAL_AT_SESSION_SHARE:
                    session = cal.between(max(start, plenary[0] - timedelta(days=14)), plenary[0])
                    d = session[rng.integers(len(session))]
                else:
                    d = year_days[rng.integers(len(year_days))]
                if not (m.active(d) and start <= d <= end):
                    continue
                drafts.append((d, m.member_id))
    drafts.sort()
    ids = [m.member_id for m in members]
    records = []
    seq: dict[int, int] = {}
    for d, member_id in drafts:
        seq[d.year] = seq.get(d.year, 0) + 1
        issue = ISSUES[rng.integers(len(ISSUES))]
        title = f"关于{PROPOSAL_VERBS[rng.integers(len(PROPOSAL_VERBS))]}{issue}的建议"
        joint = ""
        if rng.random() < JOINT_SHARE:
            others = [
                i for i in rng.choice(len(ids), size=int(rng.integers(1, 5)), replace=False) if ids[i] != member_id
            ]
            active = [ids[i] for i in sorted(others) if members[i].active(d)]
            joint = JOIN.join(active)
        filed = rng.random() < FILED_SHARE
        key = filed and rng.random() < KEY_SHARE
        result = RESULT_CODES[rng.choice(len(RESULT_CODES), p=RESULT_P)] if filed else ""
        adopted = filed and rng.random() < ADOPTED_P[result]
        rating = RATINGS[rng.choice(len(RATINGS), p=RATING_P)] if filed else ""
        handled = d + timedelta(days=int(rng.integers(60, 151)))
        records.append({
            "id": f"TA{d.year}-{seq[d.year]:03d}", "date": d, "member": member_id, "handled": handled,
            "values": [title, member_id, joint, d, _yn(filed), _yn(key)], "result": [_yn(adopted), result, rating],
        })  # fmt: skip
    return records


def _add_months(d: date, months: int) -> date:
    month = d.month - 1 + months
    year, month = d.year + month // 12, month % 12 + 1
    for day in (d.day, 30, 29, 28):
        try:
            return date(year, month, day)
        except ValueError:
            continue
    raise AssertionError(d)


def _supervision(
    rng: np.random.Generator, cal: _Calendar, proposals: list[dict[str, Any]], end: date, last_snapshot: date
) -> None:
    """Handling of filed proposals (立案, units, 交办, reply due and reply), and the key proposals."""
    from demodata.hotline_exports import _category_units, load_categories

    units = sorted(set(_category_units(load_categories())))
    for p in proposals:
        p["supervision"] = None
        if p["values"][4] != "是":
            continue
        filed = cal.add(p["date"], int(rng.integers(*FILING_WORKDAYS)))
        assigned = cal.add(filed, int(rng.integers(*ASSIGNING_WORKDAYS)))
        picked = rng.choice(len(units), size=1 + int(rng.choice(len(CO_UNITS_P), p=CO_UNITS_P)), replace=False)
        replied = max(
            assigned + timedelta(days=1), p["handled"] - timedelta(days=int(rng.integers(*REPLY_BEFORE_RATING_DAYS)))
        )
        p["supervision"] = {
            "filed": filed, "assigned": assigned, "due": _add_months(assigned, REPLY_MONTHS), "replied": replied,
            "lead": units[picked[0]], "co": JOIN.join(units[i] for i in picked[1:]),
        }  # fmt: skip
    # exactly N_KEY_PROPOSALS key proposals, chosen among those assigned within the period; a few
    # of them still unanswered past their reply deadline at the end
    eligible = [i for i, p in enumerate(proposals) if p["supervision"] and p["supervision"]["assigned"] <= end]
    late = [
        i for i in eligible
        if proposals[i]["handled"] > end and proposals[i]["supervision"]["due"] < last_snapshot
    ]  # fmt: skip
    chosen = set(rng.choice(late, size=min(N_KEY_OVERDUE, len(late)), replace=False).tolist()) if late else set()
    rest = [i for i in eligible if i not in chosen]
    chosen |= set(rng.choice(rest, size=min(N_KEY_PROPOSALS - len(chosen), len(rest)), replace=False).tolist())
    for i, p in enumerate(proposals):
        p["values"][5] = _yn(i in chosen)


def _supervision_cells(p: dict[str, Any], upto: date) -> list[Any]:
    """立案日期, 主办单位, 协办单位, 交办日期, 答复期限, 答复日期, 评价日期 as known on `upto`."""
    s = p["supervision"]
    if s is None:
        return [None, "", "", None, None, None, None]
    assigned = s["assigned"] <= upto
    handled = p["handled"] <= upto  # the reply is entered with the proposer's rating
    return [
        s["filed"] if s["filed"] <= upto else None,
        s["lead"],
        s["co"],
        s["assigned"] if assigned else None,
        s["due"] if assigned else None,
        s["replied"] if handled else None,
        p["handled"] if handled else None,
    ]


def _number(records: list[dict[str, Any]], prefix: str, width: int) -> None:
    """Ids in order of entry (known), then date: a late record gets a later id."""
    records.sort(key=lambda r: (r["known"], r["date"], r["member"], str(r["values"])))
    seq: dict[int, int] = {}
    for r in records:
        year = r["date"].year  # numbered within the year of the record
        seq[year] = seq.get(year, 0) + 1
        r["id"] = f"{prefix}{year}-{seq[year]:0{width}d}"


# ======================================================================================
# writing
# ======================================================================================


def _write(path: Path, sheet_name: str, rows: list[list[Any]]) -> None:
    headers = HEADERS[sheet_name]
    dates = DATE_COLUMNS.get(sheet_name, ())
    workbook = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "in_memory": True})
    workbook.set_properties({"created": XLSX_CREATED, "author": AUTHOR})
    sheet = workbook.add_worksheet(sheet_name)
    date_cell = workbook.add_format({"num_format": DATE_FORMAT})
    for j, name in enumerate(headers):
        sheet.set_column(j, j, 12 if name in dates else 16)
    sheet.write_row(0, 0, headers)
    write_string, write_number, write_datetime = sheet.write_string, sheet.write_number, sheet.write_datetime
    for i, row in enumerate(rows, start=1):
        for j, value in enumerate(row):
            if value is None or value == "":
                continue
            if isinstance(value, str):
                write_string(i, j, value)
            elif isinstance(value, date):
                write_datetime(i, j, value, date_cell)
            else:
                write_number(i, j, value)
    workbook.close()


def generate_member_records(
    folder: Path, *, seed: int = 12345, start: date = date(2022, 1, 1), end: date = date(2023, 12, 31)
) -> MemberRecordsSummary:
    """Write the committee office's cumulative quarterly snapshots of its member registers.

    `folder` is usually ``landing_dir / "members"``. Ten files per snapshot (quarter end + 10
    days), named ``<stem>_YYYYMMDD.xlsx`` with the sheet named after the stem; see `HEADERS`.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    cal = _Calendar(start - timedelta(days=60), end + timedelta(days=400))
    quarters = quarter_ends(start, end)
    snapshots = snapshot_dates(start, end)
    freezes = {quarter_label(q): cal.on_or_after(q + timedelta(days=FREEZE_LAG_DAYS)) for q in quarters}

    phones: set[str] = set()
    members = _members(np.random.default_rng([seed, 0xC01]), start, end, phones)
    reps = _representatives(np.random.default_rng([seed, 0xC02]), members, phones)
    assignments = _assignments(np.random.default_rng([seed, 0xC03]), members, reps)
    liaison, n_cases = _liaison(np.random.default_rng([seed, 0xC04]), cal, members, assignments, start, end)
    duty = {
        SHIFTS: _shifts(np.random.default_rng([seed, 0xC05]), cal, members, quarters, start, end),
        OPINIONS: _opinions(np.random.default_rng([seed, 0xC06]), cal, members, quarters, start, end),
        ACTIVITIES: _activities(np.random.default_rng([seed, 0xC07]), cal, members, quarters, start, end),
    }
    proposals = _proposals(np.random.default_rng([seed, 0xC08]), cal, members, start, end)
    _supervision(np.random.default_rng([seed, 0xC0A]), cal, proposals, end, snapshots[-1])

    # late records: dated in a quarter frozen before the last snapshot, entered after the freeze
    rng = np.random.default_rng([seed, 0xC09])
    last_snapshot = snapshots[-1]
    late = 0
    for stem, records in duty.items():
        for r in records:
            r["known"] = r["date"]
        candidates = [
            i for i, r in enumerate(records)
            if freezes[quarter_label(r["date"])] < last_snapshot - timedelta(days=7)
            and r["values"][0] not in ("全体会议", "常委会议")
        ]  # fmt: skip
        n_late = min(N_LATE[stem], len(candidates))
        for k in rng.choice(len(candidates), size=n_late, replace=False):
            r = records[candidates[k]]
            freeze = freezes[quarter_label(r["date"])]
            r["known"] = min(freeze + timedelta(days=int(rng.integers(1, 80))), last_snapshot)
            late += 1
    _number(duty[SHIFTS], "RX", 5)
    _number(duty[OPINIONS], "SQ", 4)
    _number(duty[ACTIVITIES], "HD", 5)

    sector_rows = []
    for code, name in SECTORS:
        subs = [s for s in SUB_SECTORS if s[0].startswith(code + "-")]
        sector_rows += [[code, name, sub, sub_name] for sub, sub_name in subs] or [[code, name, "", ""]]

    files: list[str] = []
    for snap in snapshots:
        tag = f"{snap:%Y%m%d}"
        upto = min(snap, end)
        tables: dict[str, list[list[Any]]] = {
            MEMBERS: [
                [m.member_id, m.name, m.gender, m.sector, m.sector_label, m.place, SESSION, _yn(m.standing), m.start,
                 m.end if m.end is not None and m.end <= snap else None, m.phone]
                for m in members if m.start <= snap
            ],
            SECTORS_FILE: sector_rows,
            REPRESENTATIVES: [
                [r.rep_id, r.name, r.phone, r.sector, r.identity, r.library_kind, r.library, r.place,
                 2023 if snap >= UPDATE_2023 and not r.dropped else 2022]
                for r in reps if r.added == 2022 or snap >= UPDATE_2023
            ],
            ASSIGNMENTS: [
                [mid, rid, first, last if last is not None and last <= snap else None]
                for mid, rid, first, last in assignments if first <= snap
            ],
            LIAISON: [row for row in liaison if row[4] <= snap],
            PROPOSALS: [
                [p["id"], *p["values"], *(p["result"] if p["handled"] <= upto else ["否", "", ""]),
                 *_supervision_cells(p, upto)]
                for p in proposals if p["date"] <= snap
            ],
            FREEZES: [[q, d] for q, d in freezes.items() if d <= snap],
        }  # fmt: skip
        for stem, records in duty.items():
            rows = [[r["id"], r["member"], r["date"], *r["values"]] for r in records if r["known"] <= snap]
            if stem == ACTIVITIES:  # 记录编号, 委员编号, 活动类型, 活动名称, 活动日期, 出席情况
                rows = [[i, m, kind, name, d, att] for i, m, d, kind, name, att in rows]
            elif stem == OPINIONS:  # 信息编号, 委员编号, 标题, 报送日期, 是否采用, 是否领导批示
                rows = [[i, m, title, d, a, e] for i, m, d, title, a, e in rows]
            tables[stem] = rows
        for stem in HEADERS:
            name = f"{stem}_{tag}.xlsx"
            _write(folder / name, stem, tables[stem])
            files.append(name)

    return MemberRecordsSummary(
        members=len(members),
        sectors=len(SECTORS),
        sub_sectors=len(SUB_SECTORS),
        representatives=len(reps),
        assignments=len(assignments),
        liaison_cases=n_cases,
        liaison_steps=len(liaison),
        hotline_shifts=len(duty[SHIFTS]),
        proposals=len(proposals),
        opinion_reports=len(duty[OPINIONS]),
        activities=len(duty[ACTIVITIES]),
        late_records=late,
        snapshots=len(snapshots),
        files=files,
        key_proposals=sum(p["values"][5] == "是" for p in proposals),
    )
