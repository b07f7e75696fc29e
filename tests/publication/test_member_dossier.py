"""一人一档 pages: one self-contained page per member, every value escaped."""

from __future__ import annotations

import duckdb

from publication.member_dossier import points, write_member_dossiers
from tests.scoring_marts import create_scoring_marts


def test_a_member_page_escapes_what_the_registers_hold_and_loads_nothing_from_outside(tmp_path):
    published = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(published)) as connection:
        create_scoring_marts(connection, item_label="<script>alert(1)</script>", late_record_id='"><img src=x>')
    folder = tmp_path / "member_dossiers_2023"
    assert write_member_dossiers(published, "2023Q4", folder) == 1

    page = (folder / "M1.html").read_text(encoding="utf-8")
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img" not in page and "&#34;&gt;&lt;img src=x&gt;" in page
    assert "src=" not in page.replace("src=x", "") and "href=" not in page and "@import" not in page
    assert "李建国" in page and "年度等次" in page and "优秀" in page

    # written again, the folder is replaced whole: no page of a member no longer scored stays
    (folder / "OLD.html").write_text("stale", encoding="utf-8")
    write_member_dossiers(published, "2023Q4", folder)
    assert sorted(path.name for path in folder.iterdir()) == ["M1.html"]


def test_points_are_written_as_the_office_writes_them():
    assert [points(20.0), points(27.5), points(0.25), points(None), points(float("nan"))] == [
        "20",
        "27.5",
        "0.25",
        "",
        "",
    ]
