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
