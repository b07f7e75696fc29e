"""What people would rather look at than a table: a KPI workbook and a trend chart."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from xlsxwriter.utility import xl_col_to_name

from core.kpi_definitions import PERIOD_STATUS_LABELS, published_kpis

SHEETS = {"yearly": "按年 yearly", "quarterly": "按季 quarterly", "monthly": "按月 monthly"}
# headers of the columns that are not KPIs; a KPI's header is its label in the KPI definitions
PERIOD_HEADERS = {
    "period_start": "期间起始日",
    "period_end": "下期起始日",
    "is_complete_period": "期间已结束",
    "period_status": "数据状态",
    "is_final": "是否最终",
    "final_from_date": "预计最终日期",
}
PERIOD_NOTES = {
    "period_status": "最终: every order of the period is settled (completed and followed up, or past its deadline "
    "plus the follow-up window); 暂定: its rates can still move, and units are not ranked for it.",
    "final_from_date": "The first data cut at which the period is final if its open orders stay as they are; "
    "empty while it cannot be known.",
}
# cell format of a KPI column, by its unit in the definitions
UNIT_FORMATS = {"count": "#,##0", "rate": "0.00%", "change": "+0.0%;-0.0%", "working_days": "0.0"}
# text beginning with these is a formula to Excel and LibreOffice (=HYPERLINK(...), +cmd|...)
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` whose text cells and column names cannot run as formulas in a spreadsheet.

    As OWASP advises against CSV/formula injection, text beginning with =, +, -, @, tab or
    carriage return gets a leading single quote. Only text: numbers, negative ones included,
    stay numbers. Use it on every frame written to an XLSX or CSV file.
    """
    neutralised = frame.copy()
    for position in range(neutralised.shape[1]):
        column = neutralised.iloc[:, position]
        if pd.api.types.is_object_dtype(column) or isinstance(column.dtype, pd.StringDtype | pd.CategoricalDtype):
            neutralised.isetitem(position, column.map(_neutralise_text))  # changes text only
    neutralised.columns = [_neutralise_text(name) for name in neutralised.columns]
    return neutralised


def _neutralise_text(value):
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def write_workbook(kpis: dict, path: Path) -> None:
    """kpis.xlsx: one sheet per grain, each KPI under its Chinese label and in the format of its
    unit (rates as percentages), the warehouse column and its meaning in the header's note,
    header frozen; a provisional period says 暂定 and is greyed. Labels, units and meanings come
    from the KPI definitions."""
    definitions = {kpi.name: kpi for kpi in published_kpis()}
    with pd.ExcelWriter(path, engine="xlsxwriter") as writer:
        formats = {unit: writer.book.add_format({"num_format": code}) for unit, code in UNIT_FORMATS.items()}
        provisional = writer.book.add_format({"font_color": "#808080", "italic": True})
        for grain, sheet_name in SHEETS.items():
            frame = pd.DataFrame(kpis[grain])
            columns = list(frame.columns)
            if "period_status" in frame:
                frame["period_status"] = frame["period_status"].map(PERIOD_STATUS_LABELS)
            frame.columns = [
                definitions[column].label_zh if column in definitions else PERIOD_HEADERS.get(column, column)
                for column in columns
            ]
            frame = neutralise_formulas(frame)
            frame.to_excel(writer, sheet_name=sheet_name, index=False)
            sheet = writer.sheets[sheet_name]
            sheet.freeze_panes(1, 1)
            for position, (column, header) in enumerate(zip(columns, frame.columns, strict=True)):
                kpi = definitions.get(column)
                sheet.set_column(position, position, max(12, _width(header) + 2), formats[kpi.unit] if kpi else None)
                if kpi:
                    sheet.write_comment(0, position, f"{column}: {kpi.description}", {"x_scale": 2})
                elif column in PERIOD_NOTES:
                    sheet.write_comment(0, position, f"{column}: {PERIOD_NOTES[column]}", {"x_scale": 2})
            if "period_status" in columns and len(frame):  # grey the rows of provisional periods
                status = xl_col_to_name(columns.index("period_status"))
                rule = f'=${status}2="{PERIOD_STATUS_LABELS["provisional"]}"'
                sheet.conditional_format(
                    1, 0, len(frame), len(columns) - 1, {"type": "formula", "criteria": rule, "format": provisional}
                )


def _width(text: str) -> int:
    """Columns the text takes in a spreadsheet: Chinese characters take two."""
    return sum(2 if ord(character) >= 0x2E80 else 1 for character in text)


def write_trend_chart(kpis: dict, path: Path) -> None:
    """kpi_trends.png: monthly volume and complaints, and the three rates, over the whole history."""
    import matplotlib

    matplotlib.use("Agg")  # no screen needed
    import matplotlib.pyplot as plt

    monthly = pd.DataFrame(kpis["monthly"])
    monthly["period_start"] = pd.to_datetime(monthly["period_start"])
    figure, (volume, rates) = plt.subplots(2, 1, figsize=(11, 7), sharex=True)
    if "period_status" in monthly:  # provisional months shaded: their rates can still move
        for start in monthly.loc[monthly["period_status"] == "provisional", "period_start"]:
            for axes in (volume, rates):
                axes.axvspan(start, start + pd.offsets.MonthBegin(1), color="0.9", zorder=0)
        rates.text(0.99, 0.02, "shaded: provisional", transform=rates.transAxes, ha="right", fontsize=8)
    volume.plot(monthly["period_start"], monthly["work_orders"], marker="o", label="work orders")
    volume.plot(monthly["period_start"], monthly["complaints"], marker="o", label="complaints")
    volume.set_ylabel("per month")
    volume.set_title(f"12345 hotline, data as of {kpis['data_as_of']}")
    volume.legend()
    volume.grid(alpha=0.3)
    for column, label in (
        ("signed_on_time_rate", "signed on time"),
        ("completed_on_time_rate", "completed on time"),
        ("satisfaction_rate", "satisfied"),
    ):
        rates.plot(monthly["period_start"], monthly[column] * 100, marker=".", label=label)
    rates.set_ylabel("%")
    rates.legend()
    rates.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=110, metadata={"Software": None})
    plt.close(figure)
