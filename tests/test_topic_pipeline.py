"""From appeals to consultation topics: candidates, the register, the three lists and impact.

Runs the pipeline steps (generate, ingest, build) on a mid-sized demo set whose generator
planted topics that worked (appeals fall after consultation) and topics that did not, and
checks the marts tell them apart as an analyst would read them.
"""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from core.settings import PROJECT_DIR, get_settings
from demodata.committee_topics import planted_topics
from demodata.hotline_exports import generate_hotline_exports, load_categories
from ingestion.masking import CLEAR_PERSONAL_NUMBER, ID_MASK, PHONE_MASK
from pipeline import steps
from quality.pii import find_personal_data, personal_data_checks
from tests.conftest import HASH_KEY

pytestmark = pytest.mark.slow
SCALE = 0.25
SEED = 12345


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setenv("HOTLINE_DATA_DIR", str(tmp_path_factory.mktemp("topics") / "data"))
    monkeypatch.setenv("HOTLINE_HASH_KEY", HASH_KEY)
    settings = get_settings()
    # the hotline's exports and the committee's topic files; the member registers (a fixed ~6 s
    # to write, whatever the scale) play no part in topics
    planted = generate_hotline_exports(settings.landing_dir, scale=SCALE, seed=SEED)
    steps.ingest(settings)
    steps.build(settings)
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as connection:
        yield connection, planted
    monkeypatch.undo()


def test_topics_that_worked_show_appeals_falling_and_the_others_do_not(warehouse):
    connection, _ = warehouse
    topics = planted_topics(load_categories(), SEED)
    strong = [topic.topic_id for topic in topics if topic.effect <= -0.4]
    none = [topic.topic_id for topic in topics if topic.effect == 0]
    impact = dict(connection.execute("select topic_id, change_against_control from marts.fct_topic_impact").fetchall())

    assert len(impact) == len(topics)
    strong_mean = sum(impact[t] for t in strong) / len(strong)
    none_mean = sum(impact[t] for t in none) / len(none)
    assert strong_mean < -0.3, impact
    assert none_mean > -0.1, impact
    trends = dict(connection.execute("select topic_id, appeals_trend from marts.fct_topic_impact").fetchall())
    assert sum(trends[t] == "fell" for t in strong) >= len(strong) - 1
    assert sum(trends[t] == "fell" for t in none) <= 1


def test_overdue_list_items_are_the_ones_planted(warehouse):
    connection, planted = warehouse
    [(overdue, items, topics)] = connection.execute(
        "select sum(items_overdue), sum(list_items), count(*) from marts.fct_consultation_topics"
    ).fetchall()
    assert (overdue, items, topics) == (planted.overdue_topic_items, planted.topic_list_items, planted.topics)


def test_each_month_ranks_candidates_with_evidence_an_analyst_can_use(warehouse):
    connection, _ = warehouse
    top = connection.execute(
        """
        select category_l3_name, town, appeals, candidate_score, top_terms, sample_work_order_ids
        from marts.fct_topic_candidates
        where period_start = date '2023-12-01'
        order by candidate_rank
        limit 10
        """
    ).fetchall()
    assert len(top) == 10
    scores = [score for _, _, _, score, _, _ in top]
    assert scores == sorted(scores, reverse=True)
    for category, town, appeals, _, terms, samples in top:
        assert category and town and appeals >= 5
        assert terms and "(" in terms  # words with their counts
        assert len(samples.split(", ")) == 3
    import re

    assert not any(re.search(CLEAR_PERSONAL_NUMBER, terms) for *_, terms, _ in top)
    months = connection.execute("select count(distinct period_start) from marts.fct_topic_candidates").fetchone()[0]
    assert months == 24


def test_kpis_by_town_unit_and_category_add_up_to_the_city(warehouse):
    connection, _ = warehouse
    city = dict(connection.execute("select period_start, work_orders from marts.kpi_hotline_monthly").fetchall())
    for mart, where in [
        ("kpi_town_monthly", "true"),
        ("kpi_unit_monthly", "true"),
        ("kpi_category_l1_monthly", "true"),
        ("kpi_category_l2_monthly", "true"),
        ("kpi_category_l3_monthly", "true"),
    ]:
        parts = dict(
            connection.execute(
                f"select period_start, sum(work_orders) from marts.{mart} where {where} group by 1"
            ).fetchall()
        )
        assert parts == city, mart
    ranking = connection.execute(
        """
        select unit_rank, unit_score from marts.kpi_unit_monthly
        where unit_rank is not null and period_start = (
            -- the latest ranked month: a provisional month (December at the data cut) is not ranked
            select max(period_start) from marts.kpi_unit_monthly where unit_rank is not null
        )
        order by unit_rank
        """
    ).fetchall()
    assert ranking and ranking[0][0] == 1 and len(ranking) > 5
    assert connection.execute(
        "select bool_and(is_final), max(period_start) >= date '2023-06-01' from marts.kpi_unit_monthly "
        "where period_start = (select max(period_start) from marts.kpi_unit_monthly where unit_rank is not null)"
    ).fetchone() == (True, True)
    assert [score for _, score in ranking] == sorted((score for _, score in ranking), reverse=True)


# --- candidates → topics: the office's register, persistence, links, samples --------------

TOPIC_RULES = PROJECT_DIR / "dbt_project" / "seeds" / "topic_rules.csv"
CATEGORIES = PROJECT_DIR / "dbt_project" / "seeds" / "appeal_categories.csv"


@pytest.fixture(scope="module")
def committee_files(warehouse):
    """The office's files as landed: the candidate register and the topic register, read with
    pandas, not through the warehouse."""
    folder = get_settings().landing_dir / "committee"
    [register] = folder.glob("候选议题台账_*.xlsx")
    [topics] = folder.glob("议题登记_*.xlsx")
    decisions = pd.read_excel(register, engine="calamine", dtype=str)
    decisions["决定日期"] = pd.to_datetime(decisions["决定日期"]).dt.date
    decisions["key"] = decisions["分类编码"] + "|" + decisions["镇街"]
    return decisions, pd.read_excel(topics, engine="calamine", dtype=str)


def rule(name: str) -> int:
    rules = pd.read_csv(TOPIC_RULES).set_index("rule")["value"]
    return int(rules[name])


def test_every_top_candidate_of_a_month_has_masked_sample_appeals(warehouse):
    connection, _ = warehouse
    top = connection.execute(
        "select period_start, candidate_key from marts.fct_topic_candidates where candidate_rank <= 10"
    ).fetchall()
    samples = connection.execute(
        """
        select s.period_start, s.candidate_key, s.work_order_id, s.appeal_title, s.appeal_text,
               c.category_l3_code, coalesce(c.town, '(未填)'), cast(date_trunc('month', c.received_date) as date)
        from marts.fct_topic_candidate_samples as s
        left join marts.fct_cases as c using (work_order_id)
        """
    ).fetchall()
    shown: dict[tuple, list] = {}
    for month, key, order, title, text, code, town, received_month in samples:
        assert key == f"{code}|{town}" and received_month == month, order  # the sample is the candidate's own
        shown.setdefault((month, key), []).append((title, text))
    months = connection.execute("select count(distinct period_start) from marts.fct_topic_candidates").fetchone()[0]
    assert len({month for month, _ in top}) == months
    for month, key in top:
        assert 3 <= len(shown.get((month, key), [])) <= 5, (month, key)
    # masked as the rest of the warehouse: the gate's detector finds no number, yet numbers were typed
    texts = [value for rows in shown.values() for pair in rows for value in pair if value]
    assert not [text for text in texts if find_personal_data(text)]
    assert any(PHONE_MASK in text or ID_MASK in text for text in texts)
    checks = personal_data_checks(connection, schemas=("marts",))
    assert all(check.passed for check in checks), [check.message for check in checks]


def test_the_registers_decisions_appear_on_the_candidate_keys(warehouse, committee_files):
    connection, _ = warehouse
    decisions, _ = committee_files
    latest = decisions.sort_values(["决定日期", "记录编号"]).groupby("key").tail(1).set_index("key")
    keys = (
        connection.execute(
            "select candidate_key, candidate_status, status_date, status_topic_id, decisions "
            "from marts.fct_topic_candidate_keys"
        )
        .df()
        .set_index("candidate_key")
    )
    assert keys.index.is_unique
    assert set(latest.index) <= set(keys.index)
    decided = keys.loc[latest.index]
    assert (decided["candidate_status"] == latest["决定"]).all()
    assert (decided["status_date"].dt.date == latest["决定日期"]).all()
    assert (decided["status_topic_id"].fillna("") == latest["议题编号"].fillna("")).all()
    assert (decided["decisions"] == decisions["key"].value_counts().loc[latest.index]).all()
    undecided = keys.drop(index=latest.index)
    assert (undecided["candidate_status"] == "未决定").all() and (undecided["decisions"] == 0).all()
    assert set(decisions["决定"]) == {"关注", "选定", "不采纳"}  # the demo register uses every decision


def test_topics_link_back_to_the_candidates_they_came_from(warehouse, committee_files):
    connection, _ = warehouse
    decisions, register = committee_files
    categories = pd.read_csv(CATEGORIES, dtype=str, keep_default_na=False)
    code = dict(zip(categories["level_3_name"].where(categories["level_3_name"] != "", categories["level_2_name"]),
                    categories["level_3_code"], strict=True))  # fmt: skip
    in_scope = {
        (row["议题编号"], f"{code[category]}|{town}")
        for _, row in register.iterrows()
        for category in row["关联分类"].split("；")
        for town in row["关联镇街"].split("；")
    }
    chosen = decisions[decisions["决定"] == "选定"]
    selected = set(zip(chosen["议题编号"], chosen["key"], strict=True))
    links = connection.execute(
        "select topic_id, candidate_key, is_in_topic_scope, is_selected_in_register "
        "from marts.fct_topic_candidate_links"
    ).fetchall()
    assert {(t, k) for t, k, *_ in links} == in_scope | selected
    assert {(t, k) for t, k, scope, _ in links if scope} == in_scope
    assert {(t, k) for t, k, _, chosen in links if chosen} == selected
    assert {t for t, *_ in links} == set(register["议题编号"])  # every topic points back
    linked = dict(
        connection.execute("select candidate_key, linked_topics from marts.fct_topic_candidate_keys").fetchall()
    )
    per_key = pd.Series([k for _, k in in_scope | selected]).value_counts()
    assert all(linked[key] == count for key, count in per_key.items())


def test_a_lasting_problem_appears_once_with_its_persistence(warehouse):
    connection, _ = warehouse
    top_n = rule("candidate_persistence_top_n")
    monthly = connection.execute(
        "select candidate_key, period_start, candidate_rank from marts.fct_topic_candidates"
    ).df()
    keys = connection.execute("select * from marts.fct_topic_candidate_keys").df().set_index("candidate_key")
    assert (keys["months_observed"] == monthly["period_start"].nunique()).all()
    for key, rows in monthly.groupby("candidate_key"):
        months = sorted(rows.loc[rows["candidate_rank"] <= top_n, "period_start"].dt.date)
        row = keys.loc[key]
        assert row["months_ranked"] == len(rows) and row["months_in_top_n"] == len(months), key
        numbers = [month.year * 12 + month.month for month in months]
        runs, longest = 0, 0
        for k, number in enumerate(numbers):
            runs = runs + 1 if k and number - numbers[k - 1] == 1 else 1
            longest = max(longest, runs)
        assert row["longest_top_run_months"] == longest, key
        if months:
            assert (row["first_top_month_date"].date(), row["last_top_month_date"].date()) == (months[0], months[-1])
    # the most persistent key is one row, where the monthly mart has one row per month
    most = keys["months_in_top_n"].idxmax()
    assert keys.loc[most, "months_in_top_n"] >= 12
    assert (monthly["candidate_key"] == most).sum() >= keys.loc[most, "months_in_top_n"]
