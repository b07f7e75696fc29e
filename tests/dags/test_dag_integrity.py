"""Every DAG file imports cleanly, and the DAGs have the shape the operators rely on: the
order of the tasks, the one-writer pool, the schedules, the trigger-form params and the asset."""

from __future__ import annotations

import copy

from airflow.sdk.exceptions import ParamValidationError

from pipeline.dag_parts import PUBLISHED_WAREHOUSE


def test_every_dag_file_imports_without_errors(dagbag):
    assert dagbag.import_errors == {}
    assert len(dagbag.dags) >= 1


def test_daily_dag_runs_ingest_build_gate_publish_in_order_one_writer_at_a_time(dagbag):
    dag = dagbag.dags["hotline_daily"]
    assert [task.task_id for task in dag.topological_sort()] == [
        "ingest",
        "build",
        "quality_gate",
        "publish",
        "publish_postgres",
    ]
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
    order = [task.task_id for task in dag.topological_sort()]
    assert order[:4] == ["ingest", "build", "quality_gate", "publish"]
    assert set(order[4:]) == {"scoring_workbook", "publish_postgres"}
    assert dag.get_task("publish_postgres").upstream_task_ids == {"publish"}
    assert {task.pool for task in dag.tasks} == {"warehouse_writes"}
    assert dag.max_active_runs == 1


def test_the_run_after_a_quarter_scores_that_quarter():
    import pendulum

    from pipeline.airflow_tasks import quarter_before

    assert quarter_before(pendulum.datetime(2024, 1, 14, 22, tz="UTC")) == "2023Q4"  # 15 Jan, Shanghai
    assert quarter_before(pendulum.datetime(2023, 7, 15, tz="Asia/Shanghai")) == "2023Q2"
    assert quarter_before(pendulum.datetime(2023, 12, 31, tz="Asia/Shanghai")) == "2023Q3"


def accepts(dag, name: str, value) -> bool:
    try:
        copy.copy(dag.params.get_param(name)).resolve(value)  # resolve keeps the value: use a copy
    except ParamValidationError:
        return False
    return True


def test_the_daily_trigger_form_takes_an_optional_as_of_date(dagbag):
    dag = dagbag.dags["hotline_daily"]
    assert dag.params.dump() == {"as_of": None}
    assert accepts(dag, "as_of", "2023-06-30")
    assert not any(accepts(dag, "as_of", value) for value in ("20230630", "2023-13-01", "yesterday", ""))


def test_the_quarterly_trigger_form_takes_an_optional_quarter_written_like_2023Q4(dagbag):
    dag = dagbag.dags["member_scoring_quarterly"]
    assert dag.params.dump() == {"quarter": None}
    assert accepts(dag, "quarter", "2023Q4")
    assert not any(accepts(dag, "quarter", value) for value in ("23Q4", "2023Q5", "2023q4", "2023-Q4", ""))


def test_every_publish_task_records_an_event_on_the_published_warehouse(dagbag):
    for dag_id in ("hotline_daily", "member_scoring_quarterly"):
        assert dagbag.dags[dag_id].get_task("publish").outlets == [PUBLISHED_WAREHOUSE]
    assert PUBLISHED_WAREHOUSE.uri == "hotline://published/warehouse"


def test_quarterly_scoring_runs_on_the_15th_after_a_quarter_and_after_each_publication(dagbag):
    from airflow.sdk import AssetOrTimeSchedule

    dag = dagbag.dags["member_scoring_quarterly"]
    assert isinstance(dag.timetable, AssetOrTimeSchedule)
    assert dag.timetable.asset_condition == PUBLISHED_WAREHOUSE
    cron = dag.timetable.timetable
    assert (cron.expression, str(cron.timezone)) == ("0 0 15 1,4,7,10 *", "Asia/Shanghai")
    assert dag.catchup is False
    # a run started by a publication skips the load tasks; the workbook task still runs after them
    assert dag.get_task("scoring_workbook").trigger_rule == "none_failed"
    assert {task.trigger_rule for task in dag.tasks if task.task_id != "scoring_workbook"} == {"all_success"}


def test_the_dags_survive_serialization_as_the_scheduler_reads_them(dagbag):
    from airflow.serialization.serialized_objects import DagSerialization

    for dag_id in ("hotline_daily", "member_scoring_quarterly"):
        serialized = DagSerialization.from_dict(DagSerialization.to_dict(dagbag.dags[dag_id]))
        assert serialized.get_task("publish").outlets
        assert set(serialized.params) == set(dagbag.dags[dag_id].params)
    quarterly = DagSerialization.from_dict(DagSerialization.to_dict(dagbag.dags["member_scoring_quarterly"]))
    assert quarterly.timetable.summary == "Asset or 0 0 15 1,4,7,10 *"
