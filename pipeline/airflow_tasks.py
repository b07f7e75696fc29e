"""What the Airflow tasks call: the pipeline steps, with small return values for XCom.

A problem the user must fix (bad settings, a failed gate) fails the task at once, without
retries, with its one-line message; anything else is left to Airflow's retries.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import TypeVar
from zoneinfo import ZoneInfo

from pipeline import steps
from pipeline.errors import PipelineError
from pipeline.settings import get_settings

log = logging.getLogger(__name__)
T = TypeVar("T")
LOG_EVERY = 50
EXPORT_TIME_ZONE = "Asia/Shanghai"


def _failing_fast(step: Callable[[], T]) -> T:
    from airflow.sdk.exceptions import AirflowFailException

    try:
        return step()
    except PipelineError as error:
        raise AirflowFailException(str(error)) from None


def _log_progress(done: int, total: int, item: str) -> None:
    if done == total or done % LOG_EVERY == 0:
        log.info("ingest: %d/%d files (%s)", done, total, item)


def last_export_date(data_interval_end: dt.datetime) -> dt.date:
    """Exports are dated by the day they cover: the run for [D, D+1) loads exports up to D.

    D is a day in the exports' own time zone; Airflow hands the interval over in UTC.
    """
    # date arithmetic on a plain date: pendulum's datetime arithmetic shifts across zones
    return data_interval_end.astimezone(ZoneInfo(EXPORT_TIME_ZONE)).date() - dt.timedelta(days=1)


def ingest_until(data_interval_end: dt.datetime | None) -> dict:
    until = last_export_date(data_interval_end) if data_interval_end is not None else None
    report = _failing_fast(lambda: steps.ingest(get_settings(), until=until, progress=_log_progress))
    for name, reason in report.rejected:
        log.warning("rejected %s: %s", name, reason)
    return {
        "files_loaded": report.files_loaded,
        "rows_loaded": report.rows_loaded,
        "rows_quarantined": report.rows_quarantined,
        "files_rejected": len(report.rejected),
    }


def build() -> int:
    return len(_failing_fast(lambda: steps.build(get_settings())))


def check() -> int:
    return len(_failing_fast(lambda: steps.check(get_settings())).checks)


def publish() -> dict:
    report = _failing_fast(lambda: steps.publish(get_settings()))
    log.info("publish: %s", report.summary())
    return {"changed": report.changed, "fingerprint": report.fingerprint[:16], "tables": report.tables}


def quarter_before(data_interval_end: dt.datetime) -> str:
    """The quarter that ended before the run: the run on 15 January scores the fourth quarter."""
    local = data_interval_end.astimezone(ZoneInfo(EXPORT_TIME_ZONE)).date()
    last_month = local.replace(day=1) - dt.timedelta(days=1)
    while last_month.month % 3:
        last_month = last_month.replace(day=1) - dt.timedelta(days=1)
    return f"{last_month.year}Q{last_month.month // 3}"


def scoring_workbook(data_interval_end: dt.datetime) -> str:
    path, members = _failing_fast(lambda: steps.scoring_workbook(get_settings(), quarter_before(data_interval_end)))
    log.info("scoring workbook: %d members → %s", members, path)
    return str(path)
