"""From appeals to consultation topics: candidates, the register, the three lists and impact.

Runs the pipeline steps (generate, ingest, build) on a mid-sized demo set whose generator
planted topics that worked (appeals fall after consultation) and topics that did not, and
checks the marts tell them apart as an analyst would read them.
"""

from __future__ import annotations

import duckdb
import pytest

from core.settings import get_settings
from demodata.committee_topics import planted_topics
from demodata.hotline_exports import load_categories
from ingestion.masking import CLEAR_PERSONAL_NUMBER
from pipeline import steps
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
    planted = steps.generate(settings, scale=SCALE, seed=SEED)
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
        ("kpi_category_monthly", "category_level = '1'"),
        ("kpi_category_monthly", "category_level = '2'"),
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
        where period_start = date '2023-12-01' and unit_rank is not null
        order by unit_rank
        """
    ).fetchall()
    assert ranking[0][0] == 1 and len(ranking) > 5
    assert [score for _, score in ranking] == sorted((score for _, score in ranking), reverse=True)
