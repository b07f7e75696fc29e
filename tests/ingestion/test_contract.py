"""The canonical work-order contract: one definition, and its documentation in step with it."""

from __future__ import annotations

from core.settings import PROJECT_DIR
from ingestion.contract import NON_COLUMN_INPUTS, work_order_contract

DOC = (PROJECT_DIR / "docs" / "work_order_contract.md").read_text(encoding="utf-8")


def test_only_an_id_and_a_received_time_are_required():
    assert work_order_contract().required == ("work_order_id", "received_at")


def test_every_contract_column_and_kpi_is_documented_with_its_inputs():
    contract = work_order_contract()
    for name, column in contract.columns.items():
        assert f"| `{name}`" in DOC and column.label_zh in DOC, name
    for kpi, alternatives in contract.kpi_inputs.items():
        assert f"| `{kpi}` | {contract.kpi_labels[kpi]} | {' or '.join('+'.join(a) for a in alternatives)} |" in DOC


def test_every_vocabulary_has_a_member_for_what_the_export_does_not_say():
    contract = work_order_contract()
    for name, values in contract.vocabularies.items():
        catch_all = {"其他", "未知", "一般"} if name == "urgency_levels" else {"其他", "未知"}
        if name == "satisfaction_levels":  # an unrated order simply has no level
            continue
        assert catch_all & set(values), name
        assert f"**{name}**: {', '.join(values)}" in DOC


def test_every_kpi_input_is_a_contract_column_or_what_a_profile_allows():
    contract = work_order_contract()
    for alternatives in contract.kpi_inputs.values():
        for needs in alternatives:
            assert set(needs) <= {*contract.columns, *NON_COLUMN_INPUTS}


def test_an_export_only_source_supports_no_rate_that_only_chinas_time_limits_could_time():
    contract = work_order_contract()
    columns = {"work_order_id", "received_at", "dispatched_at", "signed_at", "completed_at"}
    export_only = contract.kpis_supported(columns)
    with_calendar = contract.kpis_supported(columns | {"calendar_time_limits"})
    for kpi in ("signed_on_time_rate", "completed_on_time_rate", "overdue_rate"):
        assert export_only[kpi][0] is False and with_calendar[kpi] == (True, ""), kpi
    assert contract.kpis_supported(columns | {"time_limit_working_days"})["completed_on_time_rate"] == (True, "")


def test_support_is_decided_by_any_complete_input_set():
    contract = work_order_contract()
    verdicts = contract.kpis_supported({"work_order_id", "received_at", "dispatched_at", "completed_at", "due_at"})
    assert verdicts["completed_on_time_rate"] == (True, "")
    assert verdicts["signed_on_time_rate"][0] is False and "signed_at" in verdicts["signed_on_time_rate"][1]
    assert verdicts["work_orders"] == (True, "")
