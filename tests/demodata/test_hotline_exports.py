"""What a user of the demo landing folder would check: formats, snapshots, planted KPIs."""

from __future__ import annotations

import hashlib
import re
import zipfile
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from demodata.hotline_exports import (
    EXPORT_HEADERS,
    TIMESTAMP_COLUMNS,
    TYPES,
    ExportSummary,
    generate_hotline_exports,
    write_export,
)
from tests.conftest import DEMO_SCALE

BOM = b"\xef\xbb\xbf"
STATUS_RANK = {"已受理": 0, "已派单": 1, "已签收": 2, "办理中": 3, "已办结": 4, "已回访": 5}
DAILY = re.compile(r"12345_gongdan_(\d{8})\.(csv|xlsx)$")


def _daily_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if DAILY.match(p.name))


def _read_export(path: Path) -> pd.DataFrame:
    if path.suffix == ".xlsx":
        frame = pd.read_excel(path, sheet_name="工单导出", engine="calamine", dtype=object)
        for col in TIMESTAMP_COLUMNS:  # real datetimes -> the CSV text form
            frame[col] = frame[col].map(lambda v: v.strftime("%Y-%m-%d %H:%M:%S") if isinstance(v, datetime) else v)
        return frame.astype(object).where(frame.notna(), "").astype(str)
    encoding = "utf-8-sig" if path.read_bytes()[:3] == BOM else "gb18030"
    return pd.read_csv(path, encoding=encoding, dtype=str, keep_default_na=False)


def _read_all(folder: Path) -> pd.DataFrame:
    frames = [_read_export(p).assign(file_date=DAILY.match(p.name)[1]) for p in _daily_files(folder)]
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ExportSummary]:
    folder = tmp_path_factory.mktemp("landing_small")
    calls: list[tuple[int, int]] = []
    summary = generate_hotline_exports(folder, scale=0.01, progress=lambda done, total: calls.append((done, total)))
    assert calls[-1] == (730, 730)
    return folder, summary


@pytest.fixture(scope="module")
def small_rows(small: tuple[Path, ExportSummary]) -> pd.DataFrame:
    return _read_all(small[0])


def test_one_file_per_day_and_summary_counts(small, small_rows) -> None:
    folder, summary = small
    files = _daily_files(folder)
    assert len(files) == summary.files == 730
    assert len(small_rows) == summary.rows
    assert summary.work_orders == sum(summary.work_orders_by_year.values()) == round(217_000 * 0.01)
    clean_ids = small_rows.loc[small_rows["工单编号"] != "", "工单编号"]
    assert clean_ids.nunique() == summary.work_orders  # every order ends in a clean row


def test_csv_header_decodes_in_gb18030(small) -> None:
    first = _daily_files(small[0])[0]
    assert first.name == "12345_gongdan_20220101.csv"
    header = first.read_bytes().decode("gb18030").splitlines()[0]
    assert tuple(header.split(",")) == EXPORT_HEADERS


def test_formats_mix(small) -> None:
    kinds: dict[str, list[Path]] = {"gb18030": [], "utf-8-sig": [], "xlsx": []}
    for path in _daily_files(small[0]):
        if path.suffix == ".xlsx":
            kinds["xlsx"].append(path)
        elif path.read_bytes()[:3] == BOM:
            kinds["utf-8-sig"].append(path)
        else:
            kinds["gb18030"].append(path)
    assert all(kinds.values()), {k: len(v) for k, v in kinds.items()}
    # the old system (2022-01..06) wrote GB18030 CSV only
    old = [p for p in kinds["utf-8-sig"] + kinds["xlsx"] if DAILY.match(p.name)[1] < "20220701"]
    assert not old
    text = kinds["utf-8-sig"][0].read_bytes().decode("utf-8-sig")
    assert tuple(text.splitlines()[0].split(",")) == EXPORT_HEADERS
    with pytest.raises(UnicodeDecodeError):
        kinds["gb18030"][0].read_bytes().decode("utf-8")

    workbook = openpyxl.load_workbook(kinds["xlsx"][0], read_only=True)
    sheet = workbook["工单导出"]
    header, first = list(sheet.iter_rows(min_row=1, max_row=2, values_only=True))
    assert tuple(header) == EXPORT_HEADERS
    assert isinstance(first[EXPORT_HEADERS.index("来电时间")], datetime)
    frame = pd.read_excel(kinds["xlsx"][0], sheet_name="工单导出", engine="openpyxl")
    assert pd.api.types.is_datetime64_any_dtype(frame["来电时间"])


def test_order_status_moves_forward_across_files(small_rows) -> None:
    rows = small_rows[small_rows["工单编号"] != ""]
    sent_back = set(rows.loc[rows["工单状态"] == "已退单", "工单编号"])
    counts = rows.groupby("工单编号")["file_date"].nunique()
    candidates = [oid for oid in counts[counts >= 4].index if oid not in sent_back]
    assert candidates
    for oid in candidates[:50]:
        history = rows[rows["工单编号"] == oid].sort_values("file_date")
        ranks = history["工单状态"].map(STATUS_RANK).tolist()
        assert ranks == sorted(ranks) and ranks[0] < ranks[-1], (oid, ranks)
        assert history["file_date"].is_unique  # same-day changes collapse into one row
    # a sent-back order is dispatched again later
    if sent_back:
        history = rows[rows["工单编号"] == sorted(sent_back)[0]].sort_values("file_date")
        statuses = history["工单状态"].tolist()
        assert statuses.index("已退单") < len(statuses) - 1


def test_timestamps_follow_the_lifecycle(small_rows) -> None:
    received = pd.to_datetime(small_rows["来电时间"], format="%Y-%m-%d %H:%M:%S", errors="coerce")
    rows = small_rows[received.notna()]
    stamps = {c: pd.to_datetime(rows[c].replace("", None), errors="raise") for c in TIMESTAMP_COLUMNS}
    order = ["来电时间", "派单时间", "签收时间", "办结时间", "回复时间", "回访时间"]
    for earlier, later in zip(order, order[1:], strict=False):
        both = stamps[earlier].notna() & stamps[later].notna()
        assert (stamps[earlier][both] <= stamps[later][both]).all(), (earlier, later)
    # a snapshot never shows something that happened after its file date
    file_end = pd.to_datetime(rows["file_date"]) + pd.Timedelta(days=1)
    for col in order:
        assert (stamps[col].dropna() < file_end[stamps[col].notna()]).all(), col
    dispatched = stamps["派单时间"].notna()
    assert (stamps["办结期限"].notna() == dispatched).all()
    assert rows.loc[~dispatched, "工单状态"].isin(["已受理", "已办结", "已回访"]).all()


def test_controlled_values_and_personal_data(small_rows) -> None:
    rows = small_rows[small_rows["工单编号"] != ""]
    assert rows["工单编号"].str.fullmatch(r"\d{15}-01").all()
    assert rows["热线单号"].str.fullmatch(r"RX\d{13}").all()
    assert (rows["区县"] == "启东市").all()
    assert rows["来电号码"].str.fullmatch(r"1[3-9]\d{9}").all()
    assert rows["证件号码"].str.fullmatch(r"\d{17}[\dX]").all()
    for flag in ("是否保密", "是否延期", "是否重复件"):
        assert set(rows[flag]) <= {"是", "否"}
    assert set(rows["紧急程度"]) == {"一般", "紧急"}
    assert set(rows.loc[rows["诉求类型"].isin(TYPES), "诉求类型"]) == set(TYPES)
    assert rows["镇街"].value_counts().index[0] == "汇龙镇"
    assert (rows["三级分类"] == "").any()  # level-2-only categories
    orders = rows.drop_duplicates("工单编号")
    texts = orders["诉求内容"]
    with_phone = texts.str.contains(r"1[3-9]\d{9}").mean()
    assert 0.03 < with_phone < 0.15
    assert texts.str.contains(r"\d{17}[\dX]").any()
    assert 0.03 < (orders["是否重复件"] == "是").mean() < 0.13
    late = rows[rows["file_date"] >= "20220701"]
    assert {"非常满意", "非常不满意"} <= set(late["满意度"])
    early = rows[rows["file_date"] < "20220701"]
    assert set(early["满意度"]) <= {"", "满意", "基本满意", "不满意"}


def test_broken_rows_are_planted_and_counted(small, small_rows) -> None:
    summary = small[1]
    assert set(summary.broken_rows) == {"bad_timestamp", "missing_id", "unknown_type"}
    assert all(n > 0 for n in summary.broken_rows.values())
    ts_ok = small_rows["来电时间"].map(lambda s: pd.to_datetime(s, errors="coerce")).notna()
    assert (~ts_ok).sum() == summary.broken_rows["bad_timestamp"]
    assert (small_rows["工单编号"] == "").sum() == summary.broken_rows["missing_id"]
    assert (~small_rows["诉求类型"].isin(TYPES)).sum() == summary.broken_rows["unknown_type"]
    assert sum(summary.broken_rows.values()) / summary.rows == pytest.approx(0.003, abs=0.001)


def test_rejected_files_are_planted(small) -> None:
    folder, summary = small
    assert summary.rejected_files == ["12345_gongdan_20230615(1).xlsx", "12345_tongji_202306.csv"]
    bad_xlsx = folder / summary.rejected_files[0]
    assert not zipfile.is_zipfile(bad_xlsx)
    with pytest.raises(Exception):  # noqa: B017 - any reader error is the point
        openpyxl.load_workbook(bad_xlsx)
    stats = pd.read_csv(folder / summary.rejected_files[1], encoding="gb18030", dtype=str)
    assert list(stats.columns) == ["镇街", "工单量", "办结率"]
    assert summary.files == len(_daily_files(folder))


def test_no_rejected_files_outside_june_2023(tmp_path: Path) -> None:
    summary = generate_hotline_exports(tmp_path, scale=0.01, start=date(2022, 1, 1), end=date(2022, 1, 31))
    assert summary.files == 31 and summary.rejected_files == []
    assert list(summary.work_orders_by_year) == [2022] and summary.work_orders == 2170


def test_planted_year_on_year_kpis(tmp_path: Path) -> None:
    summary = generate_hotline_exports(tmp_path, scale=DEMO_SCALE)  # the smallest that shows them
    by_year, complaints = summary.work_orders_by_year, summary.complaints_by_year
    assert by_year[2023] / by_year[2022] == pytest.approx(1.12, rel=0.005)
    assert complaints[2023] / complaints[2022] == pytest.approx(0.94, rel=0.01)
    # the same numbers as a loader would find them: distinct orders by year of 来电时间
    rows = _read_all(tmp_path)
    rows = rows[(rows["工单编号"] != "") & rows["诉求类型"].isin(TYPES)]
    rows = rows[rows["来电时间"].str.match(r"^20\d\d-\d\d-\d\d ")]
    orders = rows.drop_duplicates("工单编号").assign(year=lambda f: f["来电时间"].str[:4])
    volume = orders["year"].value_counts()
    assert volume["2023"] / volume["2022"] == pytest.approx(1.12, rel=0.005)
    assert len(orders) == summary.work_orders
    complaint = orders[orders["诉求类型"] == "投诉"]["year"].value_counts()
    assert complaint["2023"] / complaint["2022"] == pytest.approx(0.94, rel=0.01)
    share = complaint["2022"] / volume["2022"]
    assert share == pytest.approx(0.22, abs=0.01)


def _digests(folder: Path) -> dict[str, str]:
    """Every file, the committee sub-folder's too, by its path below `folder`."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_same_seed_gives_identical_bytes(small, tmp_path: Path) -> None:
    again = generate_hotline_exports(tmp_path / "again", scale=0.01)
    assert again == small[1]
    assert _digests(tmp_path / "again") == _digests(small[0])
    other = generate_hotline_exports(tmp_path / "other", scale=0.01, seed=7, end=date(2022, 1, 10))
    assert other.files == 10
    first = "12345_gongdan_20220101.csv"
    assert (tmp_path / "other" / first).read_bytes() != (small[0] / first).read_bytes()


def _fixture_frame() -> pd.DataFrame:
    row = dict.fromkeys(EXPORT_HEADERS, "")
    row.update({"工单编号": "230105000020109-01", "诉求类型": "投诉", "区县": "启东市",
                "来电时间": "2023-01-05 09:30:00", "派单时间": "2023-02-30 10:00:00"})  # fmt: skip
    frame = pd.DataFrame([row, {**row, "工单编号": "230105000020110-01", "来电时间": "待补录"}])
    frame["签收时间"] = pd.to_datetime(["2023-01-05 10:00:00", None])
    return frame


@pytest.mark.parametrize("encoding", ["gb18030", "utf-8-sig"])
def test_write_export_csv(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "12345_gongdan_20230105.csv"
    write_export(_fixture_frame(), path, encoding=encoding)
    assert path.read_bytes().startswith(BOM) == (encoding == "utf-8-sig")
    back = pd.read_csv(path, encoding=encoding, dtype=str, keep_default_na=False)
    assert tuple(back.columns) == EXPORT_HEADERS
    assert back["签收时间"].tolist() == ["2023-01-05 10:00:00", ""]
    assert back["来电时间"].tolist() == ["2023-01-05 09:30:00", "待补录"]


def test_write_export_xlsx_is_reproducible(tmp_path: Path) -> None:
    first, second = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    write_export(_fixture_frame(), first)
    write_export(_fixture_frame(), second)
    assert first.read_bytes() == second.read_bytes()
    sheet = openpyxl.load_workbook(first)["工单导出"]
    received = sheet.cell(row=2, column=EXPORT_HEADERS.index("来电时间") + 1)
    assert received.value == datetime(2023, 1, 5, 9, 30) and received.is_date
    assert received.number_format == "yyyy-mm-dd hh:mm:ss"
    broken = sheet.cell(row=3, column=EXPORT_HEADERS.index("来电时间") + 1)
    assert broken.value == "待补录"
    impossible = sheet.cell(row=2, column=EXPORT_HEADERS.index("派单时间") + 1)
    assert impossible.value == "2023-02-30 10:00:00"
    with pytest.raises(ValueError):
        write_export(_fixture_frame(), tmp_path / "x.csv", encoding="latin-1")
