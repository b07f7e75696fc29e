"""The committee office's register of hard cases (疑难件), as quarterly dated snapshots.

DOMAIN.md §1 and §4: in Qidong 37 appeals that the ordinary 12345 loop could not solve were
taken into consultation (有事好商量), measures agreed with the units and followed to an
outcome. The register links each case to real work orders of the demo exports (an order and
the later orders in the same level-3 category and town), or only to a category and town; the
responsible member is a real member id of the demo roster. Some cases are still open at the
end, a few of them past their deadline, and some closed after it.

Snapshots follow the member registers (quarter end + 10 days, cumulative): a case appears
once taken up, and its consultation, measures, deadline, closure and result once they happen.
Everything is deterministic for a seed.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import xlsxwriter

from demodata.committee_members import _Calendar, _members, snapshot_dates
from demodata.hotline_exports import _NEVER, DAY, XLSX_CREATED, _local_government

if TYPE_CHECKING:
    from demodata.hotline_exports import _Orders

FOLDER = "hard_cases"  # a landing sub-folder of its own
SHEET = "疑难件"
HEADERS: tuple[str, ...] = (
    "疑难件编号", "标题", "关联工单", "关联分类", "关联镇街", "牵头单位", "责任委员", "立项日期", "协商日期",
    "商定措施", "办理期限", "状态", "办结日期", "办理结果",
)  # fmt: skip
DATE_COLUMNS = ("立项日期", "协商日期", "办理期限", "办结日期")
DATE_FORMAT = "yyyy-mm-dd"
JOIN = "；"
N_CASES = 37  # DOMAIN.md §1
ROSTER_PERIOD = (date(2022, 1, 1), date(2023, 12, 31))  # generate_member_records' default start and end
STATUSES = ("待协商", "已协商", "办理中", "已办结")
UNLINKED_SHARE = 0.15  # cases registered by category and town only, without work-order ids
SCOPE_WRITTEN_SHARE = 0.5  # of the linked cases, those whose row also names category and town
MAX_LINKED = 5
LOOKBACK_DAYS = 180  # orders linked to a case: received within this many days before it was taken up
OPEN_SHARE = 0.25  # cases not closed by the end of the demo period
CONSULT_DAYS = (10, 41)
MEASURES_DAYS = (3, 15)  # 办理中 this long after the consultation
DEADLINE_DAYS = (30, 121)
CLOSE_DAYS = (20, 151)
MEASURES = (
    "由{unit}牵头，会同属地镇街制定整改方案，明确时间节点",
    "建立{issue}联席处置机制，每月通报办理进展",
    "对反映集中的点位开展现场踏勘，逐一整改销号",
    "委员跟踪督办，组织群众代表参与结果评议",
)
RESULTS = (
    "问题已解决，来电人表示满意",
    "已完成整改，长效管理措施已落实",
    "已协调相关单位处理到位，群众反映较好",
    "部分问题已解决，其余纳入年度计划",
)


def _write(path: Path, rows: list[list[Any]]) -> None:
    workbook = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "in_memory": True})
    workbook.set_properties({"created": XLSX_CREATED, "author": "政协启东市委员会办公室"})
    sheet = workbook.add_worksheet(SHEET)
    date_cell = workbook.add_format({"num_format": DATE_FORMAT})
    for j, name in enumerate(HEADERS):
        sheet.set_column(j, j, 12 if name in DATE_COLUMNS else 16)
    sheet.write_row(0, 0, HEADERS)
    for i, row in enumerate(rows, start=1):
        for j, value in enumerate(row):
            if value is None or value == "":
                continue
            if isinstance(value, date):
                sheet.write_datetime(i, j, value, date_cell)
            else:
                sheet.write_string(i, j, str(value))
    workbook.close()


def _plan(rng: np.random.Generator, orders: _Orders, seed: int, start: date, end: date) -> list[dict[str, Any]]:
    cal = _Calendar(start - timedelta(days=10), end + timedelta(days=400))
    # the roster steps.generate writes (generate_member_records over its default period), drawn alike
    members = _members(np.random.default_rng([seed, 0xC01]), *ROSTER_PERIOD, set())
    static = orders.static
    received = orders.stage_ts[0] // DAY  # day index
    dispatched = orders.stage_ts[1] != _NEVER  # the unit loop ran: an order the 12345 loop handled
    l3 = static["三级分类"]
    towns = static["镇街"]
    epoch = date(1970, 1, 1)
    span = max((end - start).days, 1)
    # cases taken up evenly over the period, leaving room for the consultation before the end
    first, last = min(30, span), max(min(30, span), span - 60)
    opened_offsets = np.sort(rng.integers(first, last + 1, size=N_CASES))
    plans = []
    for k, offset in enumerate(opened_offsets):
        opened = cal.on_or_after(start + timedelta(days=int(offset)))
        day = (opened - epoch).days
        pool = np.flatnonzero(dispatched & (l3 != "") & (received < day) & (received >= day - LOOKBACK_DAYS))
        linked: list[int] = []
        if len(pool) and rng.random() >= UNLINKED_SHARE:
            anchor = int(pool[rng.integers(len(pool))])
            same = pool[(l3[pool] == l3[anchor]) & (towns[pool] == towns[anchor]) & (pool != anchor)]
            extra = int(rng.integers(0, MAX_LINKED))
            linked = sorted([anchor, *(int(i) for i in rng.permutation(same)[:extra])], key=lambda i: received[i])
            category, town, unit = str(l3[anchor]), str(towns[anchor]), str(orders.unit_final[anchor])
        else:
            source = int(pool[rng.integers(len(pool))]) if len(pool) else int(rng.integers(orders.n))
            category, town = str(l3[source]) or str(static["二级分类"][source]), str(towns[source])
            unit = str(_local_government(np.array([town], dtype=object))[0])
        write_scope = not linked or rng.random() < SCOPE_WRITTEN_SHARE
        active = [m.member_id for m in members if m.active(opened)] or [m.member_id for m in members]
        consulted = cal.on_or_after(opened + timedelta(days=int(rng.integers(*CONSULT_DAYS))))
        closes = rng.random() >= OPEN_SHARE
        plans.append({
            "id": f"YNJ{opened.year}-{k + 1:03d}",
            "title": f"{town}{category.removesuffix('问题')}问题反复投诉",
            "orders": [str(static["工单编号"][i]) for i in linked],
            "category": category if write_scope else "",
            "town": town if write_scope else "",
            "unit": unit,
            "member": active[rng.integers(len(active))],
            "opened": opened,
            "consulted": consulted,
            "measures_from": consulted + timedelta(days=int(rng.integers(*MEASURES_DAYS))),
            "measures": MEASURES[rng.integers(len(MEASURES))].format(unit=unit, issue=category),
            "deadline": consulted + timedelta(days=int(rng.integers(*DEADLINE_DAYS))),
            "closed": consulted + timedelta(days=int(rng.integers(*CLOSE_DAYS))) if closes else None,
            "result": RESULTS[rng.integers(len(RESULTS))],
        })  # fmt: skip
    return plans


def _row(plan: dict[str, Any], as_of: date) -> list[Any]:
    consulted = plan["consulted"] <= as_of
    closed = plan["closed"] is not None and plan["closed"] <= as_of
    if closed:
        status = "已办结"
    elif plan["measures_from"] <= as_of:
        status = "办理中"
    elif consulted:
        status = "已协商"
    else:
        status = "待协商"
    return [
        plan["id"], plan["title"], JOIN.join(plan["orders"]), plan["category"], plan["town"], plan["unit"],
        plan["member"], plan["opened"], plan["consulted"] if consulted else None,
        plan["measures"] if consulted else "", plan["deadline"] if consulted else None, status,
        plan["closed"] if closed else None, plan["result"] if closed else "",
    ]  # fmt: skip


def write_hard_cases(folder: Path, orders: _Orders, *, seed: int, start: date, end: date) -> dict[str, Any]:
    """Write the hard-case register's quarterly snapshots (``疑难件_YYYYMMDD.xlsx``) into `folder`."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    plans = _plan(np.random.default_rng([seed, 0xD37]), orders, seed, start, end)
    names = []
    for snap in snapshot_dates(start, end):
        as_of = min(snap, end)
        rows = [_row(plan, as_of) for plan in plans if plan["opened"] <= as_of]
        name = f"{SHEET}_{snap:%Y%m%d}.xlsx"
        _write(folder / name, rows)
        names.append(name)
    return {"cases": len(plans), "files": names}
