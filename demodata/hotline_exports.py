"""Deterministic generator of daily 12345 work-order exports (Qidong, 2022-2023).

The hotline system hands over one file per day. Each file is a *snapshot*: one row per
work order whose status changed that day, showing the order as it stood at the end of the
day. The generator plants the published KPIs (volume +12 % and complaints -6 % year on
year), realistic personal data that the loader must hash or mask, a few broken rows and two
files that a loader must reject.

It also plants the committee's consultation topics (`demodata.committee_topics`): after a
topic's consultation, a share of the appeals in its categories and towns goes to other
categories (same order, type, town and time), and the topic register and 三清单 are written
into the `committee` sub-folder. Moving orders between categories leaves the yearly volume
and complaint totals exactly as they are without topics.

Everything is vectorised over orders with numpy; only the per-day file writing loops.
Timestamps are handled as int64 seconds since 1970-01-01 (naive local time); "never
happened" is the sentinel ``_NEVER`` so that ``ts < cutoff`` is simply False for it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import chinese_calendar
import numpy as np
import pandas as pd
import xlsxwriter

if TYPE_CHECKING:  # committee_topics imports this module; at run time it is imported lazily
    from demodata.committee_topics import PlantedTopic

REPO_ROOT = Path(__file__).resolve().parents[1]
CATEGORY_CSV = REPO_ROOT / "dbt_project" / "seeds" / "appeal_categories.csv"

EXPORT_HEADERS: tuple[str, ...] = (
    "工单编号", "热线单号", "工单标题", "来电人", "来电号码", "性别", "证件号码", "详细地址",
    "是否保密", "诉求内容", "诉求类型", "诉求渠道", "一级分类", "二级分类", "三级分类",
    "紧急程度", "区县", "镇街", "社区", "承办单位", "协办单位", "来电时间", "派单时间",
    "签收时间", "办结时间", "回复时间", "回访时间", "办结期限", "是否延期", "工单状态",
    "办理结果", "回访结果", "满意度", "是否重复件", "标签",
)  # fmt: skip
TIMESTAMP_COLUMNS: tuple[str, ...] = (
    "来电时间", "派单时间", "签收时间", "办结时间", "回复时间", "回访时间", "办结期限",
)  # fmt: skip
XLSX_SHEET = "工单导出"
XLSX_DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
# xlsxwriter stamps "now" into docProps/core.xml unless told otherwise
XLSX_CREATED = datetime(2024, 1, 1, 8, 0, 0)
ENCODINGS = ("gb18030", "utf-8-sig")

# --- planted KPIs (DOMAIN.md §1) -------------------------------------------------------
TOTAL_ORDERS = 217_000
VOLUME_GROWTH = 1.12
COMPLAINT_GROWTH = 0.94
TYPES = ("咨询", "求助", "投诉", "举报", "建议", "表扬/感谢", "其他")
TYPE_SHARES = np.array([0.45, 0.18, 0.22, 0.05, 0.06, 0.02, 0.02])
CONSULT, COMPLAINT = 0, 2
COMPLAINT_GROUP = (1, 2, 3)  # 求助, 投诉, 举报 draw from the "problem" category mix

CHANNELS = ("电话", "微信", "网站", "APP/小程序", "省平台交办", "市长信箱", "其他")
CHANNEL_SHARES = (0.70, 0.10, 0.06, 0.07, 0.04, 0.02, 0.01)

# --- time -----------------------------------------------------------------------------
DAY = 86_400
HOUR = 3_600
_NEVER = np.int64(2**62)
_EPOCH = date(1970, 1, 1)
OLD_SYSTEM_UNTIL = date(2022, 7, 1)  # exports before this: GB18030 only, 3-level rating
MONTH_FACTOR = np.array([0.86, 0.80, 0.93, 0.96, 1.00, 1.08, 1.22, 1.25, 1.06, 0.96, 0.93, 0.90])
WEEKEND_FACTOR = 0.72
HOLIDAY_FACTOR = 0.55
HOUR_WEIGHTS = np.array([
    0.3, 0.15, 0.1, 0.08, 0.08, 0.15, 0.5, 1.5, 4.5, 7.5, 8.0, 7.5,
    5.5, 5.5, 7.0, 7.5, 7.5, 6.5, 5.0, 4.5, 4.0, 3.5, 2.0, 1.0,
])  # fmt: skip

# --- lifecycle (DOMAIN.md §3) ---------------------------------------------------------
STAGES = ("received", "dispatched", "sent_back", "redispatched", "signed", "in_progress",
          "completed", "followed_up")  # fmt: skip
STATUS_BY_STAGE = ("已受理", "已派单", "已退单", "已派单", "已签收", "办理中", "已办结", "已回访")
RECV, DISP, BACK, REDISP, SIGN, PROG, DONE, FOLLOW = range(8)
DIRECT_SHARE_CONSULT = 0.65
DIRECT_SHARE_OTHER = 0.10
LATE_SIGN_SHARE = 0.01
LATE_DONE_SHARE = 0.04
EXTENDED_SHARE = 0.02
EXTENSION_DAYS = 10
SENT_BACK_SHARE = 0.02
IN_PROGRESS_SHARE = 0.30
FOLLOW_UP_SHARE = 0.85
UNREACHABLE_SHARE = 0.08
URGENT_SHARE = 0.03
# working days from dispatch to completion when on time, by limit (3 or 5)
DONE_OFFSET_P = {3: [0.30, 0.35, 0.22, 0.13], 5: [0.10, 0.18, 0.22, 0.20, 0.16, 0.14]}
SATISFACTION = ("非常满意", "满意", "基本满意", "不满意", "非常不满意")
SATISFACTION_P = (0.45, 0.33, 0.12, 0.07, 0.03)
THREE_LEVEL = {"非常满意": "满意", "非常不满意": "不满意"}

# --- data quality -----------------------------------------------------------------------
BROKEN_ROW_SHARE = 0.003
BROKEN_KINDS = ("bad_timestamp", "missing_id", "unknown_type")
UNKNOWN_TYPES = ("咨询类", "未知", "投诉件")
PHONE_IN_TEXT_SHARE = 0.08
ID_IN_TEXT_SHARE = 0.02
REPEAT_SHARE = 0.08
REPEAT_WINDOW_DAYS = 30
REJECTED_XLSX = "12345_gongdan_20230615(1).xlsx"
REJECTED_STATS = "12345_tongji_202306.csv"
COMMITTEE_DIR = "committee"  # a sub-folder: the hotline loader reads only files directly in landing

# --- places (DOMAIN.md §5) --------------------------------------------------------------
TOWNS = ("汇龙镇", "北新镇", "惠萍镇", "东海镇", "南阳镇", "海复镇", "合作镇", "王鲍镇", "吕四港镇")
PARKS = ("经济开发区", "滨海工业园", "生命健康产业园", "吕四海洋经济开发区", "启隆生态科技产业园",
         "海工船舶工业园", "江海产业园", "圆陀角旅游度假区")  # fmt: skip
PLACE_WEIGHTS = np.array([0.24, 0.06, 0.06, 0.07, 0.08, 0.06, 0.06, 0.05, 0.12,
                          0.07, 0.025, 0.015, 0.02, 0.015, 0.01, 0.01, 0.01])  # fmt: skip
URBAN_ROADS = ("人民中路", "人民东路", "人民西路", "公园中路", "公园北路", "长江中路", "江海中路",
               "和平中路", "紫薇中路", "牡丹江路", "民胜路", "英雄路", "南苑中路", "黄海路",
               "世纪大道", "汇龙中路", "城河路", "东安路")  # fmt: skip
TOWN_ROADS = ("人民路", "中心路", "建设路", "新华路", "通港路", "幸福路", "东方路", "光明路")
STEM_HEADS = "东西南北新永兴和富民安丰光红胜建惠长海江"
STEM_TAILS = "兴华安丰民强胜河港洪阳明星园桥圩乐平盛隆"

# --- people -----------------------------------------------------------------------------
SURNAMES = ("施陆沈黄张王陈顾季倪龚袁茅樊朱徐杨刘李周吴赵孙郭何高蔡宋秦姜范邱曹"
            "俞钱杜汤丁沙瞿")  # fmt: skip
GIVEN_CHARS = ("建国华明丽红伟芳军勇静敏燕霞杰娟涛斌强磊洋艳秀英海峰志刚玉兰晓雪梅"
               "春林桂云凤琴新民平辉杰宇浩婷欣怡子涵雨轩佳琪梓萱博文宏宝忠")  # fmt: skip
PHONE_PREFIXES = ("130", "131", "132", "133", "135", "136", "137", "138", "139", "150",
                  "151", "152", "155", "157", "158", "159", "166", "173", "177", "180",
                  "181", "182", "183", "186", "187", "188", "189", "191", "198", "199")  # fmt: skip
ID_REGIONS = ("320681", "320681", "320681", "320681", "320681", "320681", "320681",
              "320682", "320684", "320602", "320623", "320685", "321281", "342401", "410522")  # fmt: skip
ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
ID_CHECK = np.array(list("10X98765432"))

# --- categories: (consult-mix weight, problem-mix weight) in % of the mix ----------------
HOT_CATEGORIES: dict[str, tuple[float, float]] = {
    "物业服务问题": (2.0, 8.0), "噪声污染": (0.5, 7.0), "拖欠、克扣工资": (1.0, 7.0),
    "道路设施": (1.0, 4.5), "水电气暖": (3.5, 4.5), "车乱停放": (0.5, 4.0),
    "市容环卫": (0.5, 4.0), "养老保险": (6.0, 0.8), "医疗保险": (5.5, 0.8),
    "公积金提取": (3.5, 0.3), "不动产登记": (3.0, 0.5), "社保卡": (2.5, 0.3),
    "身份证办理": (2.0, 0.2), "户口簿办理": (1.2, 0.1), "入户政策": (1.5, 0.1),
    "招生考试": (2.5, 0.6), "疫苗接种": (1.5, 0.3), "预约挂号": (1.5, 0.6),
    "公交线路": (1.2, 0.8), "电梯问题": (0.4, 2.0), "餐饮店卫生": (0.3, 2.0),
    "物价管理": (0.6, 1.8), "售后服务": (0.8, 2.5), "邻里纠纷": (0.3, 2.0),
    "小区公共设施": (0.6, 2.5), "车库车位管理": (0.6, 1.5), "房屋违建（破损）": (0.3, 2.0),
    "公共设施": (0.8, 2.0), "失业就业登记": (1.8, 0.2), "困难群体救助": (1.0, 1.0),
    "店外经营": (0.2, 1.5), "大气污染": (0.2, 1.5), "燃料燃气": (0.8, 1.0),
    "进度查询": (2.0, 0.5), "土地承包": (0.6, 1.0), "拆迁安置": (0.8, 1.2),
    "解除、终止劳动关系": (0.5, 1.5), "快递问题": (0.4, 1.5), "占道挪车": (0.2, 1.0),
}  # fmt: skip
# COVID calls were heavy in 2022 and faded after January 2023
COVID_CATEGORY = "新冠疫情"
COVID_WEIGHTS = {2022: (5.0, 3.0)}
COVID_WEIGHTS_LATER = (0.3, 0.1)

UNITS_BY_L1 = {
    "科教文体": ("启东市教育体育局", "启东市文化广电和旅游局"),
    "公卫医疗": ("启东市卫生健康委员会",),
    "城乡建设": ("启东市住房和城乡建设局", "启东市城市管理局"),
    "自然资源与环境保护": ("启东市生态环境局", "启东市自然资源和规划局", "启东市水务局"),
    "交通运输": ("启东市交通运输局", "启东市公安局"),
    "农林牧渔": ("启东市农业农村局",),
    "公共安全": ("启东市公安局", "启东市应急管理局"),
    "市场监管": ("启东市市场监督管理局",),
    "人力资源社会保障": ("启东市人力资源和社会保障局",),
    "民政社区": ("启东市民政局",),
    "经济财贸": ("启东市商务局", "启东市财政局", "国家税务总局启东市税务局"),
    "司法行政": ("启东市司法局",),
    "政风行风党风": ("启东市政务服务管理办公室",),
    "其他": ("启东市政务服务管理办公室",),
}
UNITS_BY_L2 = {
    "住房公积金": "南通市住房公积金管理中心启东管理部", "物业管理": "启东市住房和城乡建设局",
    "房屋管理": "启东市住房和城乡建设局", "市容市貌": "启东市城市管理局",
    "街面秩序": "启东市城市管理局", "城市设施管理": "启东市城市管理局",
    "道路管理": "启东市公安局", "车辆管理": "启东市公安局", "挪车服务": "启东市公安局",
    "户政管理": "启东市公安局", "出入境管理": "启东市公安局", "社会治安": "启东市公安局",
    "食品安全": "启东市市场监督管理局", "特种设备": "启东市市场监督管理局",
    "污染防治": "启东市生态环境局", "水利": "启东市水务局", "医疗服务": "启东市卫生健康委员会",
    "公共卫生": "启东市卫生健康委员会", "医药管理": "启东市市场监督管理局",
    "社保统筹服务": "启东市人力资源和社会保障局", "劳动纠纷": "启东市人力资源和社会保障局",
}  # fmt: skip
UNITS_BY_L3 = {"医疗保险": "启东市医疗保障局", "公费医疗": "启东市医疗保障局",
               "水电气暖": "启东市水务局", "燃料燃气": "启东市住房和城乡建设局"}  # fmt: skip
# level-1 areas where the town government often takes the order itself
LOCAL_L1 = ("城乡建设", "民政社区", "农林牧渔", "自然资源与环境保护")
ASSISTING_SHARE = 0.06

# --- texts ------------------------------------------------------------------------------
DETAILS: dict[str, tuple[str, ...]] = {
    "噪声污染": ("附近工地夜间施工噪音很大", "楼下商铺音响声音过大", "广场舞音响扰民到很晚",
                 "小区内空调外机噪音严重"),
    "物业服务问题": ("物业公司长期不打扫楼道", "小区门禁损坏物业迟迟不修", "物业人员服务态度差",
                     "楼道灯坏了很久无人维修"),
    "拖欠、克扣工资": ("所在公司拖欠两个月工资未发", "工地老板拖欠农民工工资",
                       "离职后公司克扣最后一个月工资"),
    "道路设施": ("路面出现大坑影响通行", "窨井盖破损存在安全隐患", "路灯不亮夜间出行不便"),
    "水电气暖": ("家中停水一天仍未恢复", "小区近期频繁停电", "自来水水质发黄", "燃气表读数异常"),
    "车乱停放": ("小区门口车辆乱停堵塞通道", "人行道上长期停放车辆", "消防通道被私家车占用"),
    "市容环卫": ("路边垃圾堆放多日无人清运", "垃圾桶满溢异味严重", "绿化带内杂物较多"),
    "养老保险": ("想了解养老保险补缴政策", "询问灵活就业人员养老保险缴费标准",
                 "询问退休后养老金领取手续"),
    "医疗保险": ("询问异地就医备案流程", "想了解城乡居民医保缴费时间", "询问门诊慢特病报销比例"),
}  # fmt: skip
QUESTION_DETAILS = ("养老保险", "医疗保险")
GENERIC_DETAILS: dict[str, tuple[str, ...]] = {
    "咨询": ("想了解相关政策和办理流程", "询问办理需要准备哪些材料", "询问具体办理地点和时间"),
    "求助": ("目前生活遇到困难", "多次联系相关单位未果", "问题长期得不到解决"),
    "投诉": ("问题已持续较长时间", "多次反映未得到解决", "严重影响周边居民正常生活"),
    "举报": ("存在违规经营行为", "疑似存在违法行为", "影响周边群众安全"),
    "建议": ("建议相关部门加强管理", "建议增设相关便民设施", "建议优化办事流程"),
    "表扬/感谢": ("工作人员办事热情高效", "问题得到了及时解决", "工作人员耐心细致"),
    "其他": ("情况较为复杂", "希望有关部门了解情况", "具体情况请相关部门核实"),
}  # fmt: skip
TITLE_WORD = {"表扬/感谢": "表扬", "其他": "诉求"}
DIRECT_RESULTS = ("已按政策口径向来电人答复。", "已告知来电人办理流程及所需材料。",
                  "已提供相关部门联系方式，来电人表示满意。")  # fmt: skip
UNIT_RESULTS = ("已安排工作人员现场处理，问题已解决", "已向来电人解释相关政策，来电人表示理解",
                "问题已整改到位", "已协调相关方面解决", "已告知来电人办理途径",
                "经现场核实情况属实，已责令整改")  # fmt: skip
HOTLINE_TAGS = ("有事好商量", "民生实事", "高频诉求")
ERROR_PAGE = (
    '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>500 Internal Server Error'
    "</title></head>\n<body><h1>导出失败</h1><p>服务器繁忙，请稍后重试。</p></body></html>\n"
)


@dataclass(frozen=True)
class ExportSummary:
    files: int  # data files written (excluding the planted bad files)
    rows: int  # data rows written over all files
    work_orders: int  # distinct work orders
    work_orders_by_year: dict[int, int]  # by year of 来电时间 (received)
    complaints_by_year: dict[int, int]  # 诉求类型 == 投诉
    broken_rows: dict[str, int]  # planted broken rows by kind
    rejected_files: list[str]  # names of planted files that must be rejected
    topics: int = 0  # consultation topics in the committee register (committee/议题登记_*.xlsx)
    topic_list_items: int = 0  # rows of the 三清单 (committee/三清单_*.xlsx)
    overdue_topic_items: int = 0  # 三清单 items past their time limit and not completed
    topic_orders_moved: int = 0  # orders moved out of a topic's categories after its consultation
    hard_cases: int = 0  # cases in the hard-case register (hard_cases/疑难件_*.xlsx, demodata.hard_cases)


# ======================================================================================
# small vectorised helpers
# ======================================================================================


def _zpad(values: np.ndarray, width: int) -> np.ndarray:
    """Zero-padded decimal strings of non-negative ints, built without a Python loop."""
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    digits = (np.asarray(values, dtype=np.int64)[:, None] // powers) % 10
    return (digits + ord("0")).astype(np.uint32).view(f"<U{width}").ravel()


def _cat(*parts: np.ndarray | str) -> np.ndarray:
    """Element-wise string concatenation into an object array."""
    out: np.ndarray | str = ""
    for part in parts:
        out = out + (part.astype(object) if isinstance(part, np.ndarray) else part)
    return np.asarray(out, dtype=object)


def _either(flag: np.ndarray, if_true: str, if_false: str) -> np.ndarray:
    """`if_true` where `flag`, else `if_false`: two shared string objects, not one per order (at
    scale 10 a column of 2 million separate strings takes 170 MB)."""
    return np.asarray((if_false, if_true), dtype=object)[np.asarray(flag, dtype=np.intp)]


# An order's own texts (ids, names, numbers, addresses, content) as numpy's variable-width
# strings: a third to a half of the memory of Python str objects, the same text when written.
_TEXT = np.dtypes.StringDType()


def _compact(values: np.ndarray) -> np.ndarray:
    return values.astype(_TEXT)


def _pick(
    rng: np.random.Generator,
    options: Sequence[str],
    n: int,
    p: Sequence[float] | None = None,
) -> np.ndarray:
    return np.asarray(options, dtype=object)[rng.choice(len(options), size=n, p=p)]


def _format_ts(ts: np.ndarray, shown: np.ndarray) -> np.ndarray:
    """`YYYY-MM-DD HH:MM:SS` for shown timestamps, "" otherwise."""
    safe = np.where(shown, ts, 0).astype("datetime64[s]")
    text = np.datetime_as_string(safe, unit="s").astype("<U19")
    chars = text.view(np.uint32).reshape(len(text), 19).copy()
    chars[:, 10] = ord(" ")  # ISO "T" -> space
    return np.where(shown, chars.view("<U19").ravel().astype(object), "")


def _day_index(d: date) -> int:
    return (d - _EPOCH).days


def _time_of_day(rng: np.random.Generator, n: int, lo_h: float, hi_h: float) -> np.ndarray:
    return rng.integers(int(lo_h * HOUR), int(hi_h * HOUR), size=n)


def _largest_remainder(total: int, weights: np.ndarray) -> np.ndarray:
    """Integer split of `total` proportional to `weights`, summing exactly to `total`."""
    raw = total * weights / weights.sum()
    base = np.floor(raw).astype(np.int64)
    order = np.argsort(-(raw - base), kind="stable")
    base[order[: total - base.sum()]] += 1
    return base


# ======================================================================================
# calendar
# ======================================================================================


@dataclass(frozen=True)
class _Calendar:
    """Day table from `first` (epoch-day index) with working-day arithmetic."""

    first: int
    workday: np.ndarray  # bool per day
    statutory: np.ndarray  # bool: official holiday (not a plain weekend)
    cum: np.ndarray  # running count of working days

    def add_workdays(self, day: np.ndarray, k: np.ndarray | int) -> np.ndarray:
        """The k-th working day strictly after `day` (k >= 1), as epoch-day index."""
        target = self.cum[day - self.first] + k
        pos = np.searchsorted(self.cum, target, side="left")
        return np.minimum(pos, len(self.cum) - 1) + self.first


def _build_calendar(first: date, last: date) -> _Calendar:
    n = (last - first).days + 1
    workday = np.zeros(n, dtype=bool)
    statutory = np.zeros(n, dtype=bool)
    for i in range(n):
        d = first + timedelta(days=i)
        try:
            on_holiday, name = chinese_calendar.get_holiday_detail(d)
            workday[i] = not on_holiday
            statutory[i] = on_holiday and name is not None
        except NotImplementedError:  # beyond the package's known years: plain weekdays
            workday[i] = d.weekday() < 5
    return _Calendar(_day_index(first), workday, statutory, np.cumsum(workday))


def _day_weights(cal: _Calendar, first: date, n_days: int) -> np.ndarray:
    offset = _day_index(first) - cal.first
    days = pd.date_range(first, periods=n_days, freq="D")
    workday = cal.workday[offset : offset + n_days]
    statutory = cal.statutory[offset : offset + n_days]
    weights = MONTH_FACTOR[days.month.to_numpy() - 1].copy()
    weights[~workday] *= WEEKEND_FACTOR
    weights[statutory] = MONTH_FACTOR[days.month.to_numpy()[statutory] - 1] * HOLIDAY_FACTOR
    return weights


# ======================================================================================
# volume, categories, people, places
# ======================================================================================


def _orders_per_day(total: int, start: date, end: date, cal: _Calendar) -> np.ndarray:
    """Orders per day: yearly totals carry the planted growth, days carry seasonality."""
    n_days = (end - start).days + 1
    weights = _day_weights(cal, start, n_days)
    years = pd.date_range(start, periods=n_days, freq="D").year.to_numpy()
    year_list = sorted(set(years.tolist()))
    year_weight = []
    for k, year in enumerate(year_list):
        full = _day_weights(cal, date(year, 1, 1), (date(year, 12, 31) - date(year, 1, 1)).days + 1)
        coverage = weights[years == year].sum() / full.sum()
        year_weight.append(coverage * VOLUME_GROWTH**k)
    per_year = _largest_remainder(total, np.array(year_weight))
    counts = np.zeros(n_days, dtype=np.int64)
    for year, n_year in zip(year_list, per_year, strict=True):
        mask = years == year
        expected = np.cumsum(n_year * weights[mask] / weights[mask].sum())
        counts[mask] = np.diff(np.concatenate([[0], np.round(expected).astype(np.int64)]))
    return counts


def _type_shares(k: int) -> np.ndarray:
    """Type mix in the k-th year: complaints fall so their count moves by 0.94 while volume
    grows by 1.12; the other types absorb the difference proportionally."""
    complaint = TYPE_SHARES[COMPLAINT] * (COMPLAINT_GROWTH / VOLUME_GROWTH) ** k
    shares = TYPE_SHARES * (1 - complaint) / (1 - TYPE_SHARES[COMPLAINT])
    shares[COMPLAINT] = complaint
    return shares


def _assign_types(rng: np.random.Generator, years: np.ndarray) -> np.ndarray:
    types = np.empty(len(years), dtype=np.int64)
    for k, year in enumerate(np.unique(years)):
        idx = np.flatnonzero(years == year)
        counts = _largest_remainder(len(idx), _type_shares(k))
        types[idx] = rng.permutation(np.repeat(np.arange(len(TYPES)), counts))
    return types


def load_categories(path: Path = CATEGORY_CSV) -> pd.DataFrame:
    cats = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = set(HOT_CATEGORIES) - set(cats["level_3_name"])
    if missing:
        raise ValueError(f"hot categories missing from {path}: {sorted(missing)}")
    return cats


def _category_weights(cats: pd.DataFrame, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Skewed mixes: the hot categories carry most volume, the rest a Zipf tail."""
    names = cats["level_3_name"].to_numpy()
    tail = rng.permutation(len(cats))
    zipf = 1.0 / (np.argsort(tail) + 5.0)
    mixes: dict[str, np.ndarray] = {}
    for col, label in ((0, "consult"), (1, "problem")):
        hot = np.array([HOT_CATEGORIES.get(n, (0.0, 0.0))[col] for n in names])
        rest = np.where(hot > 0, 0.0, zipf)
        rest *= max(100.0 - hot.sum(), 10.0) / rest.sum()
        mixes[label] = hot + rest
    return mixes


def _assign_categories(
    rng: np.random.Generator, cats: pd.DataFrame, types: np.ndarray, years: np.ndarray
) -> tuple[np.ndarray, dict[tuple[int, bool], np.ndarray]]:
    """Category row per order, and the mix each was drawn from by (year, problem type)."""
    mixes = _category_weights(cats, rng)
    covid = np.flatnonzero(cats["level_3_name"].to_numpy() == COVID_CATEGORY)
    problem = np.isin(types, COMPLAINT_GROUP)
    out = np.empty(len(types), dtype=np.int64)
    used: dict[tuple[int, bool], np.ndarray] = {}
    for year in np.unique(years):
        covid_w = COVID_WEIGHTS.get(int(year), COVID_WEIGHTS_LATER)
        for col, (label, group) in enumerate((("consult", ~problem), ("problem", problem))):
            weights = mixes[label].copy()
            weights[covid] = covid_w[col]
            idx = np.flatnonzero((years == year) & group)
            out[idx] = rng.choice(len(weights), size=len(idx), p=weights / weights.sum())
            used[(int(year), bool(col))] = weights
    return out, used


def _plant_topic_effects(
    rng: np.random.Generator, cats: pd.DataFrame, category: np.ndarray, mixes: dict[tuple[int, bool], np.ndarray],
    topics: Sequence[PlantedTopic], town: np.ndarray, recv: np.ndarray, types: np.ndarray, years: np.ndarray,
) -> np.ndarray:  # fmt: skip
    """Categories after the topics' effects.

    An order in a topic's (category, town) pairs received after its consultation day goes,
    with probability -effect, to a category drawn from the same mix without any topic's
    categories. Type, town and time stay, so the yearly volume and complaint totals do not
    change; units and texts are derived from the new category later on.
    """
    names = cats["level_3_name"].to_numpy(dtype=object)
    places = set(TOWNS + PARKS)
    for topic in topics:
        unknown = set(topic.category_l3_names) - set(names)
        if unknown or not set(topic.towns) <= places or not -1.0 <= topic.effect <= 0.0:
            raise ValueError(f"topic {topic.topic_id}: unknown categories {sorted(unknown)}, towns {topic.towns} "
                             f"or effect {topic.effect} outside [-1, 0]")  # fmt: skip
    moved = np.zeros(len(category), dtype=bool)
    for topic in topics:
        if topic.effect == 0.0:
            continue
        after = (_day_index(topic.consulted_date) + 1) * DAY
        eligible = np.isin(names[category], topic.category_l3_names) & np.isin(town, topic.towns) & (recv >= after)
        idx = np.flatnonzero(eligible & ~moved)
        moved[idx[rng.random(len(idx)) < -topic.effect]] = True
    out = category.copy()
    planted = np.isin(names, [name for topic in topics for name in topic.category_l3_names])
    problem = np.isin(types, COMPLAINT_GROUP)
    for (year, is_problem), weights in mixes.items():
        idx = np.flatnonzero(moved & (years == year) & (problem == is_problem))
        rest = np.where(planted, 0.0, weights)
        out[idx] = rng.choice(len(rest), size=len(idx), p=rest / rest.sum())
    return out


def _people(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    surname = np.array(list(SURNAMES), dtype=object)[rng.integers(0, len(SURNAMES), n)]
    given = np.array(list(GIVEN_CHARS), dtype=object)
    g1 = given[rng.integers(0, len(given), n)]
    g2 = np.where(rng.random(n) < 0.7, given[rng.integers(0, len(given), n)], "")
    phone = _cat(_pick(rng, PHONE_PREFIXES, n), _zpad(rng.integers(0, 10**8, n), 8))
    birth = rng.integers(_day_index(date(1945, 1, 1)), _day_index(date(2005, 12, 31)), n)
    birth_text = np.datetime_as_string(birth.astype("datetime64[D]")).astype("<U10")
    birth_chars = birth_text.view(np.uint32).reshape(n, 10)[:, [0, 1, 2, 3, 5, 6, 8, 9]].copy()
    birth_digits = birth_chars.view("<U8").ravel()
    body = _cat(_pick(rng, ID_REGIONS, n), birth_digits, _zpad(rng.integers(0, 1000, n), 3))
    digits = body.astype("<U17").view(np.uint32).reshape(n, 17).astype(np.int64) - ord("0")
    check = ID_CHECK[(digits * ID_WEIGHTS).sum(axis=1) % 11]
    return {
        "name": _compact(_cat(surname, g1, g2)),
        "phone": _compact(phone),
        "id_number": _compact(_cat(body, check)),
        "gender": _either(digits[:, 16] % 2 == 1, "男", "女"),
    }


def _community_names(rng: np.random.Generator) -> list[np.ndarray]:
    """Per place a list of communities; 汇龙 and the development zone are mostly urban."""
    stems = [h + t for h in STEM_HEADS for t in STEM_TAILS if h != t]
    stems = list(np.asarray(stems)[rng.permutation(len(stems))])
    out: list[np.ndarray] = []
    for place in TOWNS + PARKS:
        if place == "汇龙镇":
            n_urban, n_rural = 14, 4
        elif place == "经济开发区":
            n_urban, n_rural = 6, 4
        elif place in TOWNS:
            n_urban, n_rural = 3, 10
        else:
            n_urban, n_rural = 1, 3
        names = [stems.pop() + "社区" for _ in range(n_urban)]
        names += [stems.pop() + "村" for _ in range(n_rural)]
        out.append(np.asarray(names, dtype=object))
    return out


def _places(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    place_names = np.asarray(TOWNS + PARKS, dtype=object)
    place = rng.choice(len(place_names), size=n, p=PLACE_WEIGHTS / PLACE_WEIGHTS.sum())
    communities = _community_names(rng)
    community = np.empty(n, dtype=object)
    for i, names in enumerate(communities):
        idx = np.flatnonzero(place == i)
        community[idx] = names[rng.integers(0, len(names), len(idx))]
    town = place_names[place]
    urban_place = np.isin(town, ["汇龙镇", "经济开发区"])
    road = np.where(urban_place, _pick(rng, URBAN_ROADS, n), _pick(rng, TOWN_ROADS, n)).astype(object)
    numerals = np.arange(300).astype(str).astype(object)  # shared, not a string per order
    number = numerals[rng.integers(1, 300, n)]
    building = numerals[rng.integers(1, 30, n)]
    group = numerals[rng.integers(1, 25, n)]
    village = np.char.endswith(community.astype(str), "村")
    street = ~village
    address = np.empty(n, dtype=_TEXT)
    address[street] = _cat("启东市", town[street], road[street], number[street], "号", building[street], "幢")
    address[village] = _cat("启东市", town[village], community[village], group[village], "组", number[village], "号")
    return {"place": place, "town": town, "community": community, "address": address}


def _local_government(town: np.ndarray) -> np.ndarray:
    # per distinct town, then spread: one string object per government, not one per order
    towns, each = np.unique(town, return_inverse=True)
    is_town = np.isin(towns, TOWNS)
    zone = np.where(towns == "经济开发区", "启东经济开发区", towns)
    return np.where(is_town, _cat(towns, "人民政府"), _cat(zone, "管理委员会")).astype(object)[each]


def _category_units(cats: pd.DataFrame) -> np.ndarray:
    """The bureau in charge of each category row (level-3 beats level-2 beats level-1)."""
    units = []
    for i, row in enumerate(cats.itertuples(index=False)):
        unit = UNITS_BY_L3.get(row.level_3_name) or UNITS_BY_L2.get(row.level_2_name)
        if unit is None:
            options = UNITS_BY_L1[row.level_1_name]
            unit = options[i % len(options)]
        units.append(unit)
    return np.asarray(units, dtype=object)


# ======================================================================================
# the order table
# ======================================================================================


@dataclass
class _Orders:
    n: int
    static: dict[str, np.ndarray]  # columns that never change after receipt
    stage_ts: np.ndarray  # (8, n) int64 seconds, _NEVER when the stage does not happen
    unit_first: np.ndarray
    unit_final: np.ndarray
    assisting: np.ndarray
    deadline_first: np.ndarray
    deadline_final: np.ndarray
    deadline_extended: np.ndarray
    extended: np.ndarray
    reply_ts: np.ndarray
    result: np.ndarray
    follow_result: np.ndarray
    satisfaction: np.ndarray
    type_code: np.ndarray
    year: np.ndarray
    moved_by_topics: int = 0


def _received_times(rng: np.random.Generator, per_day: np.ndarray, start: date) -> np.ndarray:
    day = np.repeat(_day_index(start) + np.arange(len(per_day)), per_day)
    hour = rng.choice(24, size=len(day), p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum())
    ts = day * DAY + hour * HOUR + rng.integers(0, HOUR, len(day))
    return np.sort(ts)


def _repeat_sources(rng: np.random.Generator, recv: np.ndarray) -> np.ndarray:
    """For each order the earlier order it repeats (same caller and category), else -1."""
    n = len(recv)
    lag = rng.uniform(0.5, REPEAT_WINDOW_DAYS, n) * DAY
    src = np.searchsorted(recv, recv - lag, side="left")
    is_repeat = (rng.random(n) < REPEAT_SHARE) & (src < np.arange(n))
    src = np.where(is_repeat, src, -1)
    # chains: copy from the first order of the chain so all repeats share one caller
    root = np.where(is_repeat, src, np.arange(n))
    while True:
        nxt = root[root]
        if np.array_equal(nxt, root):
            break
        root = nxt
    return np.where(is_repeat, root, -1)


def _ids(rng: np.random.Generator, recv: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """工单编号 yymmdd + 9-digit sequence + '-01'; 热线单号 RX + yymmdd + 7 digits."""
    day = recv // DAY
    iso = np.datetime_as_string(day.astype("datetime64[D]")).astype("<U10")
    chars = iso.view(np.uint32).reshape(len(iso), 10)[:, [2, 3, 5, 6, 8, 9]].copy()
    yymmdd = chars.view("<U6").ravel()
    first_of_day = np.searchsorted(day, day, side="left")
    rank = np.arange(len(day)) - first_of_day
    steps = np.cumsum(rng.integers(1, 4, len(day)))
    seq = 20_000 + steps - steps[first_of_day]
    order_id = _cat(yymmdd, _zpad(seq, 9), "-01")
    hotline_id = _cat("RX", yymmdd, _zpad(1_000 + rank, 7))
    return order_id, hotline_id


def _texts(
    rng: np.random.Generator, type_code: np.ndarray, topic: np.ndarray, l3: np.ndarray,
    community: np.ndarray, phone: np.ndarray, id_number: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    n = len(type_code)
    detail = np.empty(n, dtype=object)
    for t, name in enumerate(TYPES):
        idx = np.flatnonzero(type_code == t)
        detail[idx] = _pick(rng, GENERIC_DETAILS[name], len(idx))
    for category, options in DETAILS.items():
        # questions only fit consultations; problem descriptions fit all but 建议/表扬
        fits = (type_code == CONSULT) if category in QUESTION_DETAILS else ~np.isin(type_code, (4, 5))
        idx = np.flatnonzero((l3 == category) & fits)
        detail[idx] = _pick(rng, options, len(idx))
    issue = np.where(np.char.endswith(topic.astype(str), "问题"), topic, _cat(topic, "问题"))
    templates = {
        "咨询": ("来电人咨询", topic, "相关问题，", detail, "，请相关部门予以答复。"),
        "求助": ("来电人称", community, detail, "，涉及", topic, "，希望相关部门帮助解决。"),
        "投诉": ("来电人反映", community, issue, "：", detail, "，要求相关部门尽快处理。"),
        "举报": ("来电人举报", community, "附近", topic, "方面", detail, "，请相关部门核实查处。"),
        "建议": ("来电人就", topic, "提出建议：", detail, "。"),
        "表扬/感谢": ("来电人对", topic, "相关工作表示感谢，", detail, "。"),
        "其他": ("来电人反映", topic, "相关情况，", detail, "。"),
    }  # fmt: skip
    content = np.empty(n, dtype=_TEXT)  # compact as each type's texts are made
    for t, name in enumerate(TYPES):
        idx = type_code == t
        parts = [p[idx] if isinstance(p, np.ndarray) else p for p in templates[name]]
        content[idx] = _cat(*parts)
    # operators type contact numbers into the text; the loader must mask them
    with_phone = rng.random(n) < PHONE_IN_TEXT_SHARE
    content[with_phone] = _cat(content[with_phone], "联系电话", phone[with_phone], "。")
    with_id = rng.random(n) < ID_IN_TEXT_SHARE
    content[with_id] = _cat(content[with_id], "来电人身份证号", id_number[with_id], "。")
    word = np.array([TITLE_WORD.get(t, t) for t in TYPES], dtype=object)[type_code]
    consult = type_code == CONSULT
    title = np.empty(n, dtype=_TEXT)
    title[consult] = _cat("咨询", topic[consult])
    title[~consult] = _cat("关于", community[~consult], topic[~consult], "的", word[~consult])
    return title, content


def _deadline(cal: _Calendar, day: np.ndarray, k: np.ndarray) -> np.ndarray:
    """办结期限: the end (23:59:59) of the k-th working day after `day`."""
    return cal.add_workdays(day, k) * DAY + DAY - 1


def _office_hours(rng: np.random.Generator, ts: np.ndarray) -> np.ndarray:
    """Units do not work at night: move 22:00-07:00 to the next morning 07:30-09:30."""
    second = ts % DAY
    morning = (ts // DAY) * DAY + _time_of_day(rng, len(ts), 7.5, 9.5)
    shifted = np.where(second >= 22 * HOUR, morning + DAY, morning)
    return np.where((second >= 22 * HOUR) | (second < 7 * HOUR), np.maximum(shifted, ts), ts)


def _yes_no(flag: np.ndarray) -> np.ndarray:
    return _either(flag, "是", "否")


def _lifecycle(
    rng: np.random.Generator, cal: _Calendar, recv: np.ndarray, type_code: np.ndarray,
    urgent: np.ndarray,
) -> dict[str, np.ndarray]:  # fmt: skip
    n = len(recv)
    never = np.full(n, _NEVER)
    recv_day = recv // DAY
    direct = rng.random(n) < np.where(type_code == CONSULT, DIRECT_SHARE_CONSULT, DIRECT_SHARE_OTHER)

    # dispatch, optional send-back and re-dispatch
    dispatch_delay = np.clip(rng.gamma(1.2, 2.5 * HOUR, n), 0.2 * HOUR, 20 * HOUR)
    dispatch_delay = np.where(urgent, np.minimum(dispatch_delay, 1.5 * HOUR), dispatch_delay)
    dispatch = recv + dispatch_delay.astype(np.int64)
    dispatch = np.where(urgent, dispatch, _office_hours(rng, dispatch))
    sent_back = ~direct & (rng.random(n) < SENT_BACK_SHARE)
    back = dispatch + rng.integers(HOUR // 2, 20 * HOUR, n)
    redispatch = back + rng.integers(HOUR // 2, 24 * HOUR, n)
    effective = np.where(sent_back, redispatch, dispatch)
    eff_day = effective // DAY

    # sign-off: within 1 working day (urgent: 2 hours) except a few late ones
    sign_delay = np.minimum(rng.exponential(2.5 * HOUR, n), 20 * HOUR)
    sign_delay = np.where(urgent, np.minimum(sign_delay, 1.8 * HOUR), sign_delay)
    late_sign = rng.random(n) < LATE_SIGN_SHARE
    late_sign_ts = cal.add_workdays(eff_day, rng.integers(2, 4, n)) * DAY + _time_of_day(rng, n, 9, 17)
    sign = effective + 60 + sign_delay.astype(np.int64)
    sign = np.where(late_sign, late_sign_ts, np.where(urgent, sign, _office_hours(rng, sign)))
    sign_day = sign // DAY

    # completion: working days after dispatch, within the limit for most
    limit = np.where(type_code == CONSULT, 3, 5)
    offset = np.empty(n, dtype=np.int64)
    for lim, p in DONE_OFFSET_P.items():
        idx = np.flatnonzero(limit == lim)
        offset[idx] = rng.choice(len(p), size=len(idx), p=p)
    late_done = rng.random(n) < LATE_DONE_SHARE
    offset = np.where(late_done, limit + rng.integers(1, 9, n), offset)
    extended = ~direct & (rng.random(n) < EXTENDED_SHARE)
    ext_offset = limit + np.where(
        rng.random(n) < 0.9, rng.integers(1, EXTENSION_DAYS + 1, n), EXTENSION_DAYS + rng.integers(1, 6, n)
    )  # fmt: skip
    offset = np.where(extended, ext_offset, offset)
    done_day = np.where(offset == 0, eff_day, cal.add_workdays(eff_day, np.maximum(offset, 1)))
    done = np.maximum(done_day * DAY + _time_of_day(rng, n, 8.5, 18.5), sign + rng.integers(900, 3 * HOUR, n))

    deadline_first = _deadline(cal, dispatch // DAY, limit)
    deadline_final = _deadline(cal, eff_day, limit)
    deadline_extended = _deadline(cal, eff_day, limit + EXTENSION_DAYS)

    # 办理中: optional; extension approvals always show up as one
    ext_ts = np.minimum(cal.add_workdays(sign_day, 1) * DAY + _time_of_day(rng, n, 9, 17), done - 600)
    progress_ts = sign + ((done - sign) * rng.uniform(0.2, 0.8, n)).astype(np.int64)
    progress_ts = np.where(extended, np.maximum(ext_ts, sign + 60), progress_ts)
    has_progress = ~direct & (extended | (rng.random(n) < IN_PROGRESS_SHARE))

    # direct answers: closed by the hotline minutes after the call, same day
    direct_done = np.minimum(recv + rng.integers(180, 2_400, n), recv_day * DAY + DAY - 1)
    done = np.where(direct, direct_done, done)
    done_day = done // DAY
    reply = np.minimum(done + rng.integers(0, 1_800, n), done_day * DAY + DAY - 1)
    reply = np.where(rng.random(n) < 0.5, done, reply)

    followed = rng.random(n) < FOLLOW_UP_SHARE
    follow = cal.add_workdays(done_day, 1) * DAY + _time_of_day(rng, n, 9, 17.5)

    stage_ts = np.stack([
        recv,
        np.where(direct, never, dispatch),
        np.where(sent_back, back, never),
        np.where(sent_back, redispatch, never),
        np.where(direct, never, sign),
        np.where(has_progress, progress_ts, never),
        done,
        np.where(followed, follow, never),
    ])  # fmt: skip
    return {
        "stage_ts": stage_ts, "direct": direct, "sent_back": sent_back, "extended": extended,
        "deadline_first": deadline_first, "deadline_final": deadline_final,
        "deadline_extended": deadline_extended, "reply": reply,
    }  # fmt: skip


def _build_orders(
    rng: np.random.Generator, cats: pd.DataFrame, cal: _Calendar, start: date, end: date,
    total: int, topics: Sequence[PlantedTopic] = (), topic_seed: int = 0,
) -> _Orders:  # fmt: skip
    per_day = _orders_per_day(total, start, end, cal)
    recv = _received_times(rng, per_day, start)
    n = len(recv)
    year = (recv // DAY).astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
    type_code = _assign_types(rng, year)
    category, mixes = _assign_categories(rng, cats, type_code, year)
    people = _people(rng, n)
    places = _places(rng, n)
    secret = rng.random(n) < 0.04
    drawn = category
    if topics:  # a stream of its own: `rng` draws exactly what it drew without topics up to here
        topic_rng = np.random.default_rng([topic_seed, 0x7A3])
        category = _plant_topic_effects(topic_rng, cats, category, mixes, topics, places["town"], recv, type_code,
                                        year)  # fmt: skip

    # repeat callers: same person, address and level-3 category as an order <= 30 days ago
    src = _repeat_sources(rng, recv)
    rep = np.flatnonzero(src >= 0)
    for arr in (*people.values(), places["place"], places["town"], places["community"],
                places["address"], category, secret):  # fmt: skip
        arr[rep] = arr[src[rep]]
    repeat = src >= 0
    if topics:  # orders whose category the topics changed (repeats follow the order they repeat)
        drawn[rep] = drawn[src[rep]]
    moved = int((category != drawn).sum())

    l1 = cats["level_1_name"].to_numpy(dtype=object)[category]
    l2 = cats["level_2_name"].to_numpy(dtype=object)[category]
    l3 = cats["level_3_name"].to_numpy(dtype=object)[category]
    topic = np.where(l3 == "", l2, l3).astype(object)
    urgent = rng.random(n) < URGENT_SHARE
    life = _lifecycle(rng, cal, recv, type_code, urgent)

    # handling unit: the bureau for the category, or the town's own government
    bureau = _category_units(cats)[category]
    town_share = np.where(np.isin(l1, LOCAL_L1), 0.45, 0.15)
    local = _local_government(places["town"])
    unit_first = np.where(rng.random(n) < town_share, local, bureau).astype(object)
    reassigned = life["sent_back"] & (rng.random(n) < 0.5)
    swap = np.where(unit_first == local, bureau, local)
    unit_final = np.where(reassigned, swap, unit_first).astype(object)
    all_bureaus = np.unique(_category_units(cats))
    assisting = np.where(rng.random(n) < ASSISTING_SHARE, _pick(rng, list(all_bureaus), n), "").astype(object)
    assisting = np.where(assisting == unit_final, local, assisting).astype(object)

    order_id, hotline_id = (_compact(ids) for ids in _ids(rng, recv))
    title, content = _texts(rng, type_code, topic, l3, places["community"], people["phone"],
                            people["id_number"])  # fmt: skip
    result = _compact(np.where(
        life["direct"], _pick(rng, DIRECT_RESULTS, n),
        _cat("经", unit_final, "核实，", _pick(rng, UNIT_RESULTS, n), "。"),
    ).astype(object))  # fmt: skip
    unreachable = rng.random(n) < UNREACHABLE_SHARE
    follow_result = _either(unreachable, "无法联系", "已回访")
    satisfaction = np.where(unreachable, "", _pick(rng, SATISFACTION, n, p=SATISFACTION_P))

    tags = np.where(repeat, "重复件", "").astype(object)
    extra = np.where(rng.random(n) < 0.04, _pick(rng, HOTLINE_TAGS, n), "")
    extra = np.where(l3 == COVID_CATEGORY, "疫情防控", extra)
    tags = np.where((tags != "") & (extra != ""), _cat(tags, ";", extra), tags + extra)

    static = {
        "工单编号": order_id, "热线单号": hotline_id, "工单标题": title,
        "来电人": people["name"], "来电号码": people["phone"], "性别": people["gender"],
        "证件号码": people["id_number"], "详细地址": places["address"],
        "是否保密": _yes_no(secret), "诉求内容": content,
        "诉求类型": np.asarray(TYPES, dtype=object)[type_code],
        "诉求渠道": _pick(rng, CHANNELS, n, p=CHANNEL_SHARES),
        "一级分类": l1, "二级分类": l2, "三级分类": l3,
        "紧急程度": _either(urgent, "紧急", "一般"),
        "区县": _either(np.ones(n, dtype=bool), "启东市", ""), "镇街": places["town"],
        "社区": places["community"], "是否重复件": _yes_no(repeat), "标签": tags,
    }  # fmt: skip
    return _Orders(
        n=n, static=static, stage_ts=life["stage_ts"], unit_first=unit_first,
        unit_final=unit_final, assisting=assisting, deadline_first=life["deadline_first"],
        deadline_final=life["deadline_final"], deadline_extended=life["deadline_extended"],
        extended=life["extended"], reply_ts=life["reply"], result=result,
        follow_result=follow_result, satisfaction=satisfaction.astype(object),
        type_code=type_code, year=year, moved_by_topics=moved,
    )  # fmt: skip


# ======================================================================================
# snapshots
# ======================================================================================


def _snapshot_rows(orders: _Orders, first_day: int, last_day: int) -> tuple[np.ndarray, np.ndarray]:
    """(day, order) pairs: one per order and day with at least one status change."""
    ts = orders.stage_ts
    order = np.broadcast_to(np.arange(orders.n), ts.shape)
    happened = ts != _NEVER
    day = ts[happened] // DAY
    keep = (day >= first_day) & (day <= last_day)
    key = np.unique((day[keep] - first_day) * orders.n + order[happened][keep])
    return key // orders.n + first_day, key % orders.n


def _plan_broken_rows(
    rng: np.random.Generator, row_day: np.ndarray, row_order: np.ndarray, n_orders: int
) -> np.ndarray:
    """Kind per row (-1 = clean). Only rows that are not an order's last snapshot are
    corrupted, so every order still ends in a clean row."""
    last_day = np.full(n_orders, -1, dtype=np.int64)
    np.maximum.at(last_day, row_order, row_day)
    candidates = np.flatnonzero(row_day != last_day[row_order])
    n_broken = min(round(BROKEN_ROW_SHARE * len(row_day)), len(candidates))
    kinds = np.full(len(row_day), -1, dtype=np.int64)
    chosen = rng.choice(candidates, size=n_broken, replace=False)
    kinds[chosen] = rng.permutation(np.arange(n_broken) % len(BROKEN_KINDS))
    return kinds


def _day_frame(orders: _Orders, day: int, row_order: np.ndarray) -> dict[str, np.ndarray]:
    """Columns of one day's snapshot file (all strings)."""
    o = row_order
    ts = orders.stage_ts[:, o]
    seen = ts < (day + 1) * DAY  # which stages had happened by the end of the day
    status = np.zeros(len(o), dtype=np.int64)
    for stage in range(1, len(STAGES)):
        status = np.where(seen[stage], stage, status)
    dispatched = seen[DISP]
    redispatched = seen[REDISP]
    extended = orders.extended[o] & seen[PROG]
    dispatch_ts = np.where(redispatched, ts[REDISP], ts[DISP])
    deadline = np.where(
        extended, orders.deadline_extended[o],
        np.where(redispatched, orders.deadline_final[o], orders.deadline_first[o]),
    )  # fmt: skip
    unit = np.where(redispatched, orders.unit_final[o], orders.unit_first[o])
    done = seen[DONE]
    followed = seen[FOLLOW]
    cols = {name: values[o].astype(object) for name, values in orders.static.items()}
    cols.update({
        "承办单位": np.where(dispatched, unit, ""),
        "协办单位": np.where(dispatched, orders.assisting[o], ""),
        "来电时间": _format_ts(ts[RECV], np.ones(len(o), dtype=bool)),
        "派单时间": _format_ts(dispatch_ts, dispatched),
        "签收时间": _format_ts(ts[SIGN], seen[SIGN]),
        "办结时间": _format_ts(ts[DONE], done),
        "回复时间": _format_ts(orders.reply_ts[o], done),
        "回访时间": _format_ts(ts[FOLLOW], followed),
        "办结期限": _format_ts(deadline, dispatched),
        "是否延期": np.where(extended, "是", "否"),
        "工单状态": np.asarray(STATUS_BY_STAGE, dtype=object)[status],
        "办理结果": np.where(done, orders.result[o].astype(object), ""),
        "回访结果": np.where(followed, orders.follow_result[o], ""),
        "满意度": np.where(followed, orders.satisfaction[o], ""),
    })  # fmt: skip
    return {name: np.asarray(cols[name], dtype=object) for name in EXPORT_HEADERS}


def _corrupt(cols: dict[str, np.ndarray], kinds: np.ndarray, rng: np.random.Generator) -> None:
    for k, kind in enumerate(BROKEN_KINDS):
        idx = np.flatnonzero(kinds == k)
        if not len(idx):
            continue
        if kind == "bad_timestamp":
            received = cols["来电时间"][idx].astype(str)
            impossible = np.array([f"{s[:4]}-02-30 {s[11:]}" for s in received], dtype=object)
            cols["来电时间"][idx] = np.where(rng.random(len(idx)) < 0.6, impossible, "待补录")
        elif kind == "missing_id":
            cols["工单编号"][idx] = ""
        else:
            cols["诉求类型"][idx] = _pick(rng, UNKNOWN_TYPES, len(idx))


# ======================================================================================
# writing
# ======================================================================================


def write_export(frame: pd.DataFrame, path: Path, *, encoding: str = "gb18030") -> None:
    """Write one export: `.xlsx` by suffix, else CSV in `encoding` (gb18030 / utf-8-sig).

    Timestamp columns may hold text or datetimes; in XLSX they become real datetime cells,
    text that does not parse (a broken row) stays text.
    """
    columns = []
    for name in frame.columns:
        series = frame[name]
        if pd.api.types.is_datetime64_any_dtype(series):
            series = series.dt.strftime("%Y-%m-%d %H:%M:%S")
        text = series.astype(object).where(series.notna(), "").astype(str)
        columns.append(text.to_numpy(dtype=object))
    _write_table(list(frame.columns), columns, Path(path), encoding=encoding)


def _write_table(headers: Sequence[str], columns: Sequence[np.ndarray], path: Path, *, encoding: str) -> None:
    if path.suffix.lower() == ".xlsx":
        _write_xlsx(headers, columns, path)
        return
    if encoding not in ENCODINGS:
        raise ValueError(f"encoding must be one of {ENCODINGS}, got {encoding!r}")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows(zip(*columns, strict=True))
    path.write_bytes(buffer.getvalue().encode(encoding))


def _excel_serials(text: np.ndarray) -> np.ndarray:
    """Excel day numbers (1900 system) for parseable timestamps, NaN otherwise."""
    parsed = pd.to_datetime(pd.Series(text, dtype=object), format="%Y-%m-%d %H:%M:%S",
                            errors="coerce")  # fmt: skip
    delta = parsed - pd.Timestamp("1899-12-30")
    return (delta.dt.total_seconds() / DAY).to_numpy(dtype=float)


def _write_xlsx(headers: Sequence[str], columns: Sequence[np.ndarray], path: Path) -> None:
    workbook = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False})
    workbook.set_properties({"created": XLSX_CREATED, "author": "12345"})
    sheet = workbook.add_worksheet(XLSX_SHEET)
    stamp = workbook.add_format({"num_format": XLSX_DATETIME_FORMAT})
    sheet.write_row(0, 0, headers)
    for j, (name, values) in enumerate(zip(headers, columns, strict=True)):
        if name in TIMESTAMP_COLUMNS:
            sheet.set_column(j, j, 20)
            serials = _excel_serials(values)
            for i, (text, serial) in enumerate(zip(values, serials, strict=True), start=1):
                if not np.isnan(serial):
                    sheet.write_number(i, j, serial, stamp)
                elif text:
                    sheet.write_string(i, j, text)
        else:
            for i, text in enumerate(values, start=1):
                if text:
                    sheet.write_string(i, j, text)
    workbook.close()


def _day_formats(rng: np.random.Generator, days: Sequence[date]) -> list[tuple[str, str]]:
    """(suffix, encoding) per day: the old system only wrote GB18030 CSV."""
    draws = rng.random(len(days))
    out = []
    for d, u in zip(days, draws, strict=True):
        if d < OLD_SYSTEM_UNTIL or u < 0.60:
            out.append((".csv", "gb18030"))
        elif u < 0.85:
            out.append((".csv", "utf-8-sig"))
        else:
            out.append((".xlsx", ""))
    return out


def _write_rejected(landing: Path, orders: _Orders, start: date, end: date) -> list[str]:
    """Plant an HTML error page saved as .xlsx and a monthly statistics file."""
    month_first, month_last = date(2023, 6, 1), date(2023, 6, 30)
    if end < month_first or start > month_last:
        return []
    (landing / REJECTED_XLSX).write_bytes(ERROR_PAGE.encode("utf-8"))
    recv = orders.stage_ts[RECV]
    cutoff = (_day_index(min(month_last, end)) + 1) * DAY
    in_month = (recv >= _day_index(month_first) * DAY) & (recv < cutoff)
    frame = pd.DataFrame({
        "镇街": orders.static["镇街"][in_month],
        "done": orders.stage_ts[DONE][in_month] < cutoff,
    })  # fmt: skip
    stats = frame.groupby("镇街", sort=False)["done"].agg(["size", "mean"])
    stats = stats.sort_values("size", ascending=False, kind="stable")
    lines = ["镇街,工单量,办结率"]
    lines += [f"{town},{int(row['size'])},{row['mean']:.2%}" for town, row in stats.iterrows()]
    lines.append(f"合计,{int(frame.shape[0])},{frame['done'].mean():.2%}")
    (landing / REJECTED_STATS).write_bytes(("\r\n".join(lines) + "\r\n").encode("gb18030"))
    return [REJECTED_XLSX, REJECTED_STATS]


def generate_hotline_exports(
    landing_dir: Path,
    *,
    scale: float = 1.0,
    seed: int = 12345,
    start: date = date(2022, 1, 1),
    end: date = date(2023, 12, 31),
    progress: Callable[[int, int], None] | None = None,
    topics: Sequence[PlantedTopic] | None = None,
) -> ExportSummary:
    """Write one snapshot export per day from `start` to `end` into `landing_dir`, and the
    committee's topic register and 三清单 as of `end` into `landing_dir / "committee"`.

    `topics=None` (the default, what `make run` gets) plants `planted_topics(categories, seed)`;
    `topics=[]` plants none and gives the exports exactly as they were before topics existed.
    Either way the yearly work-order and complaint totals are the same for a seed and scale.
    """
    from demodata.committee_topics import (
        candidate_groups,
        planted_topics,
        write_candidate_register,
        write_committee_topics,
    )

    if end < start:
        raise ValueError("end must not be before start")
    landing = Path(landing_dir)
    landing.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    cats = load_categories()
    topics = planted_topics(cats, seed) if topics is None else list(topics)
    # whole years for the seasonal weights; deadlines and follow-ups run past `end`
    # (20 working days fit easily in 120 calendar days)
    cal = _build_calendar(date(start.year, 1, 1), max(date(end.year, 12, 31), end + timedelta(days=120)))
    orders = _build_orders(rng, cats, cal, start, end, round(TOTAL_ORDERS * scale), topics, seed)

    first_day, last_day = _day_index(start), _day_index(end)
    row_day, row_order = _snapshot_rows(orders, first_day, last_day)
    kinds = _plan_broken_rows(rng, row_day, row_order, orders.n)
    days = [start + timedelta(days=i) for i in range(last_day - first_day + 1)]
    formats = _day_formats(rng, days)
    bounds = np.searchsorted(row_day, np.arange(first_day, last_day + 2))

    for i, d in enumerate(days):
        rows = slice(bounds[i], bounds[i + 1])
        cols = _day_frame(orders, first_day + i, row_order[rows])
        _corrupt(cols, kinds[rows], rng)
        if d < OLD_SYSTEM_UNTIL:
            cols["满意度"] = np.array([THREE_LEVEL.get(s, s) for s in cols["满意度"]], dtype=object)
        suffix, encoding = formats[i]
        path = landing / f"12345_gongdan_{d:%Y%m%d}{suffix}"
        _write_table(EXPORT_HEADERS, [cols[h] for h in EXPORT_HEADERS], path, encoding=encoding)
        if progress is not None:
            progress(i + 1, len(days))

    rejected = _write_rejected(landing, orders, start, end)
    committee = write_committee_topics(landing / COMMITTEE_DIR, topics, seed=seed, as_of=end)
    static = orders.static
    category = np.where(static["三级分类"] == "", static["二级分类"], static["三级分类"])
    groups = candidate_groups((orders.stage_ts[RECV] // DAY).astype("datetime64[D]"), category, static["镇街"])
    write_candidate_register(landing / COMMITTEE_DIR, topics, groups, seed=seed, as_of=end)
    from demodata.hard_cases import FOLDER, write_hard_cases

    hard_cases = write_hard_cases(landing / FOLDER, orders, seed=seed, start=start, end=end)
    years, counts = np.unique(orders.year, return_counts=True)
    complaints = orders.year[orders.type_code == COMPLAINT]
    broken = np.bincount(kinds[kinds >= 0], minlength=len(BROKEN_KINDS))
    return ExportSummary(
        files=len(days),
        rows=len(row_day),
        work_orders=orders.n,
        work_orders_by_year={int(y): int(c) for y, c in zip(years, counts, strict=True)},
        complaints_by_year={int(y): int((complaints == y).sum()) for y in years},
        broken_rows={kind: int(c) for kind, c in zip(BROKEN_KINDS, broken, strict=True)},
        rejected_files=rejected,
        topics=committee["topics"],
        topic_list_items=committee["list_items"],
        overdue_topic_items=committee["overdue_items"],
        topic_orders_moved=orders.moved_by_topics,
        hard_cases=hard_cases["cases"],
    )
