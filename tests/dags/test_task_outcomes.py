"""What the DAGs' task bodies do with their Airflow context, without a scheduler: which day a
run loads up to, which quarter it scores, and how an outcome reaches Airflow (skipped with a
reason, failed at once for a data problem, retried for anything else)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import duckdb
import pendulum
import pytest
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

from core.errors import PipelineError
from pipeline import steps
from pipeline.dag_parts import PUBLISHED_WAREHOUSE
from tests.scoring_marts import create_scoring_marts

SCHEDULED = "scheduled"


def task_callable(dagbag, dag_id: str, task_id: str):
    return dagbag.dags[dag_id].get_task(task_id).python_callable


def context(
    *,
    params: dict | None = None,
    interval_end: dt.datetime | None = None,
    run_type: str = SCHEDULED,
    run_after: dt.datetime | None = None,
    dag_id: str = "member_scoring_quarterly",
    events: list | None = None,
) -> dict:
    """The part of an Airflow task context the task bodies read."""
    return {
        "params": params or {},
        "data_interval_end": interval_end,
        "dag_run": SimpleNamespace(
            dag_id=dag_id, run_type=run_type, run_after=run_after or interval_end or pendulum.now("UTC")
        ),
        "triggering_asset_events": {PUBLISHED_WAREHOUSE: events} if events else {},
    }


def publication_event(source_dag_id: str = "hotline_daily", changed: bool = True) -> SimpleNamespace:
    return SimpleNamespace(source_dag_id=source_dag_id, source_run_id="scheduled__x", extra={"changed": changed})


@pytest.fixture
def published_2023q4(settings):
    """A published warehouse with the scores of one member for 2023Q4 only."""
    settings.published_dir.mkdir(parents=True)
    with duckdb.connect(str(settings.published_dir / "warehouse.duckdb")) as connection:
        create_scoring_marts(connection)
    return settings


def test_a_quarter_with_no_scores_ends_the_workbook_task_skipped_saying_why(dagbag, published_2023q4):
    scoring_workbook = task_callable(dagbag, "member_scoring_quarterly", "scoring_workbook")

    # the scheduled run on 15 April scores 2024Q1, which has nothing published yet
    with pytest.raises(AirflowSkipException) as skipped:
        scoring_workbook(**context(interval_end=pendulum.datetime(2024, 4, 15, tz="Asia/Shanghai")))

    assert str(skipped.value) == "quarter 2024Q1: no scores published; use one of 2023Q4"
    assert not list(published_2023q4.published_dir.glob("member_scores_*.xlsx"))


def test_the_quarter_param_picks_the_quarter_a_manual_run_scores(dagbag, published_2023q4):
    scoring_workbook = task_callable(dagbag, "member_scoring_quarterly", "scoring_workbook")
    # a manual run today: its own interval points at the current quarter, the param at 2023Q4
    path = scoring_workbook(**context(params={"quarter": "2023Q4"}, run_type="manual"))
    assert path == str(published_2023q4.published_dir / "member_scores_2023Q4.xlsx")

    with pytest.raises(AirflowSkipException, match="quarter 2022Q1: no scores published"):
        scoring_workbook(**context(params={"quarter": "2022Q1"}, run_type="manual"))


def test_nothing_published_at_all_fails_the_workbook_task_at_once(dagbag, settings):
    scoring_workbook = task_callable(dagbag, "member_scoring_quarterly", "scoring_workbook")
    with pytest.raises(AirflowFailException, match="nothing published yet"):
        scoring_workbook(**context(params={"quarter": "2023Q4"}))


def test_a_run_started_by_a_publication_reissues_only_a_workbook_already_issued(dagbag, published_2023q4):
    scoring_workbook = task_callable(dagbag, "member_scoring_quarterly", "scoring_workbook")
    after_publication = pendulum.datetime(2024, 2, 3, tz="Asia/Shanghai")  # the last quarter ended: 2023Q4

    def run(*events):
        return scoring_workbook(**context(run_type="asset_triggered", run_after=after_publication, events=list(events)))

    with pytest.raises(AirflowSkipException, match="has not been issued yet"):
        run(publication_event())
    workbook = published_2023q4.published_dir / "member_scores_2023Q4.xlsx"
    scoring_workbook(**context(params={"quarter": "2023Q4"}, run_type="manual"))
    issued = workbook.stat().st_mtime_ns

    with pytest.raises(AirflowSkipException, match="from member_scoring_quarterly itself"):
        run(publication_event("member_scoring_quarterly"))
    with pytest.raises(AirflowSkipException, match="changed nothing"):
        run(publication_event(changed=False))
    assert workbook.stat().st_mtime_ns == issued

    assert run(publication_event(changed=False), publication_event()) == str(workbook)


def test_a_run_started_by_a_publication_loads_nothing(dagbag, monkeypatch):
    monkeypatch.setattr(steps, "ingest", lambda *a, **k: pytest.fail("a publication-triggered run must not load"))
    ingest = task_callable(dagbag, "member_scoring_quarterly", "ingest")
    with pytest.raises(AirflowSkipException, match=r"follows a publication of the warehouse \(hotline_daily "):
        ingest(**context(run_type="asset_triggered", events=[publication_event()]))


@pytest.fixture
def ingest_calls(monkeypatch, settings) -> list:
    calls = []

    def ingest(settings, *, until=None, as_of=None, progress=None):
        calls.append(until)
        return SimpleNamespace(rejected=[], files_loaded=0, rows_loaded=0, rows_quarantined=0)

    monkeypatch.setattr(steps, "ingest", ingest)
    return calls


def test_the_daily_run_loads_up_to_the_last_day_of_its_interval_or_the_as_of_day(dagbag, ingest_calls):
    ingest = task_callable(dagbag, "hotline_daily", "ingest")
    interval_end = pendulum.datetime(2024, 1, 1, tz="Asia/Shanghai").in_timezone("UTC")

    ingest(**context(dag_id="hotline_daily", interval_end=interval_end))
    # a manual run triggered today, asked to stop at a past day
    result = ingest(**context(dag_id="hotline_daily", params={"as_of": "2023-06-30"}, run_type="manual"))
    # a manual run without a logical date has no interval: everything landed
    ingest(**context(dag_id="hotline_daily", run_type="manual"))

    assert ingest_calls == [dt.date(2023, 12, 31), dt.date(2023, 6, 30), None]
    assert result["until"] == "2023-06-30"


def test_without_an_interval_a_run_scores_the_quarter_before_it_was_due():
    from pipeline.airflow_tasks import scoring_quarter

    due = pendulum.datetime(2024, 7, 20, tz="Asia/Shanghai")
    assert scoring_quarter(context(run_type="asset_triggered", run_after=due)) == "2024Q2"
    assert scoring_quarter(context(interval_end=pendulum.datetime(2024, 1, 15, tz="Asia/Shanghai"))) == "2023Q4"


def test_a_data_problem_fails_at_once_and_anything_else_is_left_to_retries(dagbag, settings, monkeypatch):
    build = task_callable(dagbag, "hotline_daily", "build")

    def broken_build(settings):
        raise PipelineError("dbt build failed (1 failing): not_null_fct_cases_work_order_id")

    monkeypatch.setattr(steps, "build", broken_build)
    with pytest.raises(AirflowFailException, match="not_null_fct_cases_work_order_id"):
        build()

    def flaky_build(settings):
        raise OSError("disk full")

    monkeypatch.setattr(steps, "build", flaky_build)
    with pytest.raises(OSError, match="disk full"):
        build()


def test_publishing_records_whether_the_publication_changed_on_the_asset_event(dagbag, settings, monkeypatch):
    report = SimpleNamespace(changed=True, fingerprint="f" * 64, tables=14, summary=lambda: "published")
    monkeypatch.setattr(steps, "publish", lambda settings: report)
    outlet_events = {PUBLISHED_WAREHOUSE: SimpleNamespace(extra={})}

    result = task_callable(dagbag, "hotline_daily", "publish")(outlet_events=outlet_events)

    assert outlet_events[PUBLISHED_WAREHOUSE].extra == {"changed": True, "fingerprint": "f" * 64}
    assert result == {"changed": True, "fingerprint": "f" * 16, "tables": 14}


def test_the_postgres_publication_is_skipped_without_a_dsn_and_fails_at_once_with_nothing_to_copy(
    dagbag, settings, monkeypatch
):
    for dag_id in ("hotline_daily", "member_scoring_quarterly"):
        publish_postgres = task_callable(dagbag, dag_id, "publish_postgres")
        monkeypatch.delenv("HOTLINE_PG_DSN", raising=False)
        with pytest.raises(AirflowSkipException, match="HOTLINE_PG_DSN is not set"):
            publish_postgres()
        monkeypatch.setenv("HOTLINE_PG_DSN", "host=127.0.0.1 port=1 dbname=bi")
        with pytest.raises(AirflowFailException, match="nothing published yet; run `hotline publish` first"):
            publish_postgres()
