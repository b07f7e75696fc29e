"""What the Airflow tasks call: the pipeline steps, with small return values for XCom.

Each function takes the task's Airflow context (a mapping: `data_interval_end`, `params`,
`dag_run`, ...) and works out from it what the run is for. Errors are sorted for Airflow:
a problem the user must fix (a PipelineError: bad data or settings, a failed gate) fails the
task at once, without retries, with its one-line message; nothing to do (a quarter with no
scores) ends the task skipped, saying why; anything else is left to Airflow's retries.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from core.errors import PipelineError
from core.settings import get_settings
from pipeline import steps

log = logging.getLogger(__name__)
T = TypeVar("T")
LOG_EVERY = 50
EXPORT_TIME_ZONE = "Asia/Shanghai"
ASSET_TRIGGERED = "asset_triggered"


def _failing_fast(step: Callable[[], T], *, skip_on: tuple[type[PipelineError], ...] = ()) -> T:
    from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

    try:
        return step()
    except skip_on as nothing_to_do:
        raise AirflowSkipException(str(nothing_to_do)) from None
    except PipelineError as error:
        raise AirflowFailException(str(error)) from None


def _log_progress(done: int, total: int, item: str) -> None:
    if done == total or done % LOG_EVERY == 0:
        log.info("ingest: %d/%d files (%s)", done, total, item)


def _run_type(context: Mapping[str, Any]) -> str:
    run_type = context["dag_run"].run_type
    return getattr(run_type, "value", run_type)


def run_moment(context: Mapping[str, Any]) -> dt.datetime:
    """The moment a run stands for: the end of its data interval.

    A run without one (triggered without a logical date, or by an asset event) stands for the
    moment it was due to run.
    """
    end = context.get("data_interval_end")
    return end if end is not None else context["dag_run"].run_after


def last_export_date(data_interval_end: dt.datetime) -> dt.date:
    """Exports are dated by the day they cover: the run for [D, D+1) loads exports up to D.

    D is a day in the exports' own time zone; Airflow hands the interval over in UTC.
    """
    # date arithmetic on a plain date: pendulum's datetime arithmetic shifts across zones
    return data_interval_end.astimezone(ZoneInfo(EXPORT_TIME_ZONE)).date() - dt.timedelta(days=1)


def ingest_until(context: Mapping[str, Any]) -> dt.date | None:
    """The last export date a run loads: the `as_of` param, else the last day of its interval.

    A run with neither (triggered without a logical date) loads everything landed.
    """
    as_of = (context.get("params") or {}).get("as_of")
    if as_of:
        return as_of if isinstance(as_of, dt.date) else dt.date.fromisoformat(str(as_of))
    end = context.get("data_interval_end")
    return last_export_date(end) if end is not None else None


def _skip_when_following_a_publication(context: Mapping[str, Any]) -> None:
    """A run started by an update of the published warehouse does not load again: the publisher did."""
    if _run_type(context) != ASSET_TRIGGERED:
        return
    from airflow.sdk.exceptions import AirflowSkipException

    sources = sorted({f"{event.source_dag_id} {event.source_run_id}" for event in _triggering_events(context)})
    raise AirflowSkipException(
        f"this run follows a publication of the warehouse ({'; '.join(sources) or 'unknown source'}), "
        "which loaded, built and checked it already"
    )


def ingest(context: Mapping[str, Any]) -> dict:
    _skip_when_following_a_publication(context)
    until = ingest_until(context)
    log.info("ingest: exports dated up to %s", until or "any day (the run has no data interval)")
    report = _failing_fast(lambda: steps.ingest(get_settings(), until=until, progress=_log_progress))
    for name, reason in report.rejected:
        log.warning("rejected %s: %s", name, reason)
    return {
        "files_loaded": report.files_loaded,
        "rows_loaded": report.rows_loaded,
        "rows_quarantined": report.rows_quarantined,
        "files_rejected": len(report.rejected),
        "until": until.isoformat() if until else None,
    }


def build() -> int:
    return len(_failing_fast(lambda: steps.build(get_settings())))


def check() -> int:
    return len(_failing_fast(lambda: steps.check(get_settings())).checks)


def publish(context: Mapping[str, Any] | None = None) -> dict:
    report = _failing_fast(lambda: steps.publish(get_settings()))
    log.info("publish: %s", report.summary())
    outlet_events = (context or {}).get("outlet_events")
    if outlet_events is not None:
        from pipeline.dag_parts import PUBLISHED_WAREHOUSE

        # what a DAG scheduled on the asset reads to tell a new publication from the same one again
        outlet_events[PUBLISHED_WAREHOUSE].extra = {"changed": report.changed, "fingerprint": report.fingerprint}
    return {"changed": report.changed, "fingerprint": report.fingerprint[:16], "tables": report.tables}


def publish_postgres() -> dict:
    """The Postgres publication, when HOTLINE_PG_DSN is set; skipped, saying so, when it is not."""
    from airflow.sdk.exceptions import AirflowSkipException

    settings = get_settings()
    if settings.pg_dsn is None:
        raise AirflowSkipException("HOTLINE_PG_DSN is not set: BI tools read the published DuckDB file only")
    report = _failing_fast(lambda: steps.publish_postgres(settings))
    log.info("publish_postgres: %s", report.summary())
    return {"changed": report.changed, "schema": report.schema, "tables": report.tables}


def quarter_before(moment: dt.datetime) -> str:
    """The quarter that ended before the run: the run on 15 January scores the fourth quarter."""
    local = moment.astimezone(ZoneInfo(EXPORT_TIME_ZONE)).date()
    last_month = local.replace(day=1) - dt.timedelta(days=1)
    while last_month.month % 3:
        last_month = last_month.replace(day=1) - dt.timedelta(days=1)
    return f"{last_month.year}Q{last_month.month // 3}"


def scoring_quarter(context: Mapping[str, Any]) -> str:
    """The `quarter` param, else the quarter that ended before the run's moment."""
    return (context.get("params") or {}).get("quarter") or quarter_before(run_moment(context))


def _triggering_events(context: Mapping[str, Any]) -> list:
    accessor = context.get("triggering_asset_events") or {}
    return [event for asset in accessor for event in accessor[asset]]


def reissue_skip_reason(context: Mapping[str, Any], workbook_exists: bool) -> str | None:
    """Why a run started by a publication leaves the workbook alone, or None to re-issue it.

    Re-issued: a workbook already issued, after a publication by another DAG that changed
    something. Never a first issue: that is the run on the 15th (or a manual run), after the
    office's export, not a publication early in the quarter.
    """
    if _run_type(context) != ASSET_TRIGGERED:
        return None
    own = context["dag_run"].dag_id
    others = [event for event in _triggering_events(context) if event.source_dag_id != own]
    if not others:
        return f"the publication came from {own} itself, whose run wrote the workbook already"
    if not any((event.extra or {}).get("changed", True) for event in others):
        return "the publication changed nothing since the last one"
    if not workbook_exists:
        return (
            "the workbook for this quarter has not been issued yet; the run on the 15th issues it, "
            "or trigger a run with the quarter"
        )
    return None


def scoring_workbook(context: Mapping[str, Any]) -> str:
    from airflow.sdk.exceptions import AirflowSkipException

    from publication.scoring_workbook import NoScoresForQuarter

    settings = get_settings()
    quarter = scoring_quarter(context)
    reason = reissue_skip_reason(context, (settings.published_dir / f"member_scores_{quarter}.xlsx").exists())
    if reason:
        raise AirflowSkipException(f"quarter {quarter}: {reason}")
    path, _ = _failing_fast(lambda: steps.scoring_workbook(settings, quarter), skip_on=(NoScoresForQuarter,))
    return str(path)
