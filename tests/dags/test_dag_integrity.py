"""Every DAG file imports cleanly, and the daily DAG has the shape the operators rely on."""

from __future__ import annotations

import pytest

from pipeline.settings import PROJECT_DIR


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(PROJECT_DIR / "dags"))


def test_every_dag_file_imports_without_errors(dagbag):
    assert dagbag.import_errors == {}
    assert len(dagbag.dags) >= 1


def test_daily_dag_runs_ingest_build_gate_publish_in_order_one_writer_at_a_time(dagbag):
    dag = dagbag.dags["hotline_daily"]
    assert [task.task_id for task in dag.topological_sort()] == ["ingest", "build", "quality_gate", "publish"]
    assert {task.pool for task in dag.tasks} == {"warehouse_writes"}
    assert dag.max_active_runs == 1
    assert dag.catchup is False
    assert (dag.timetable.expression, str(dag.timetable.timezone)) == ("0 0 * * *", "Asia/Shanghai")


def test_the_run_for_a_day_loads_exports_up_to_that_day_in_local_time():
    import pendulum

    from pipeline.airflow_tasks import last_export_date

    # Airflow's interval [2023-12-31, 2024-01-01) Asia/Shanghai, as it hands it over: in UTC
    interval_end = pendulum.datetime(2023, 12, 31, 16, tz="UTC")
    assert str(last_export_date(interval_end)) == "2023-12-31"


def test_quarterly_scoring_dag_publishes_then_writes_the_workbook(dagbag):
    dag = dagbag.dags["member_scoring_quarterly"]
    assert [task.task_id for task in dag.topological_sort()] == [
        "ingest",
        "build",
        "quality_gate",
        "publish",
        "scoring_workbook",
    ]
    assert {task.pool for task in dag.tasks} == {"warehouse_writes"}
    assert dag.max_active_runs == 1


def test_the_run_after_a_quarter_scores_that_quarter():
    import pendulum

    from pipeline.airflow_tasks import quarter_before

    assert quarter_before(pendulum.datetime(2024, 1, 14, 22, tz="UTC")) == "2023Q4"  # 15 Jan, Shanghai
    assert quarter_before(pendulum.datetime(2023, 7, 15, tz="Asia/Shanghai")) == "2023Q2"
    assert quarter_before(pendulum.datetime(2023, 12, 31, tz="Asia/Shanghai")) == "2023Q3"
