"""A published warehouse with one member's scores, as small as the workbook and dossiers read it."""

from __future__ import annotations


def create_scoring_marts(
    connection,
    *,
    item_label: str = "提案",
    town: str = "汇龙镇",
    grade: str = "优秀",
    late_record_id: str = "R1",
    points: float = 5.0,
) -> None:
    """Tables of one member, M1 in sector S1, scored `points` for 2023Q4 with one late record."""
    statements = [
        (
            """
            create table fct_member_score_items as select * from (values
                ('M1', '2023Q4', 'proposals', $label, $points, 1, 1.0, $points, $points, null::double)
            ) as t(member_id, quarter, item, item_label, points, item_order, records_counted, points_each,
                   points_before_cap, cap)
            """,
            {"label": item_label, "points": points},
        ),
        (
            """
            create table fct_member_quarterly_scores as select * from (values
                ('M1', '2023Q4', date '2023-10-01', 'S1', $points, 1, 1, false)
            ) as t(member_id, quarter, quarter_start, sector_code, total_points, rank_in_sector, rank_overall,
                   is_frozen)
            """,
            {"points": points},
        ),
        (
            """
            create table fct_member_score_records as select * from (values
                ('M1', '2023Q4', 1, 'proposals', $label, '提案', 'P1', date '2023-11-02', '2023Q4', false, 1.0,
                 $points, $points, null::double, $points)
            ) as t(member_id, quarter, item_order, item, item_label, source_register, record_id, record_date,
                   record_quarter, is_late, share, points_each, points_before_cap, cap, points)
            """,
            {"label": item_label, "points": points},
        ),
        (
            """
            create table fct_member_yearly_grades as select * from (values
                ('M1', 'S1', 2023, date '2023-01-01', date '2023-12-31', 365, 365, true, $points, 1, $points,
                 $points, 183.0, true, 0.0, $points, 0.0, null::double, '优秀≥0', $grade)
            ) as t(member_id, sector_code, score_year, service_start_date, service_end_date, service_days,
                   days_in_year, is_full_year, year_points, benchmark_members, median_points_full_year,
                   expected_points, min_service_days, is_graded, adjustment_points, graded_points,
                   band_min_points, next_band_min_points, band_thresholds, grade)
            """,
            {"points": points, "grade": grade},
        ),
        (
            """
            create table dim_member as select 'M1' as member_id, '李建国' as member_name, $town as town_committee,
                true as is_standing, 'S1' as sector_code, '经济界' as sector_name,
                date '2020-01-01' as started_date, null::date as ended_date
            """,
            {"town": town},
        ),
        ("create table dim_sector as select 'S1' as sector_code, '经济界' as sector_name", {}),
        (
            """
            create table fct_member_late_records as
            select 'M1' as member_id, 'proposals' as item, $record::varchar as record_id,
                date '2023-08-01' as record_date, '2023Q3' as record_quarter, date '2023-10-20' as frozen_date,
                date '2023-11-10' as first_seen_date, '2023Q4' as scored_quarter
            """,
            {"record": late_record_id},
        ),
    ]
    for statement, parameters in statements:
        connection.execute(statement, parameters)
