"""The gate's own personal-number detector, and the check that scans every text column with it."""

from __future__ import annotations

import json
import random
import re
import unicodedata
from dataclasses import asdict
from functools import cache

import duckdb
import pandas as pd
import pytest

from ingestion import masking
from ingestion.masking import mask_text
from quality import pii
from quality.pii import (
    PYTHON_PREFILTER,
    SQL_PREFILTER,
    find_in_series,
    find_names,
    find_personal_data,
    find_personal_numbers,
    mask_number,
    personal_data_checks,
    valid_id18,
)
from tests.pii_corpus import ID_X, INVALID_NUMBERS, MOBILE, NEVER_PERSONAL, POSITIVES

# --- the detector --------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "numbers"), POSITIVES, ids=[text for text, _ in POSITIVES])
def test_the_detector_finds_every_number_the_masker_is_given_and_none_it_gives_back(text, numbers):
    assert find_personal_numbers(text) == numbers
    [masked] = mask_text(pd.Series([text], dtype="string")).tolist()
    assert find_personal_numbers(masked) == []


@pytest.mark.parametrize("text", NEVER_PERSONAL + INVALID_NUMBERS)
def test_ids_digests_timestamps_decimals_and_invalid_id_numbers_are_no_findings(text):
    assert find_personal_data(text) == []


def test_id_numbers_are_validated_by_checksum_birth_date_and_province():
    assert valid_id18(ID_X) and valid_id18("11010519491231002X")
    assert not valid_id18(ID_X[:-1] + "1")  # wrong check character
    assert not valid_id18("320681" + "20991231" + "0011")  # born in the future (and checksum aside)
    assert not valid_id18("000681199001011235")  # no such province


def test_findings_say_what_they_are_and_show_only_a_masked_number():
    [mobile, id_card, landline] = find_personal_data("电话138 1234 5678，证件320681-19870522-877X，座机(0513)8312-3456")
    assert (mobile.kind, mobile.value, mobile.masked) == ("mobile", MOBILE, "138****5678")
    assert (id_card.kind, id_card.value, id_card.masked) == ("id_card", ID_X, "320***********877X")
    assert (landline.kind, landline.masked) == ("landline", "051*****3456")
    assert mask_number("13987654321") == "139****4321"
    assert pii.redact("请回电13812345678") == "请回电138****5678"


def test_a_series_is_scanned_at_once_and_only_rows_with_findings_come_back():
    values = pd.Series(
        ["无", None, "电话 138.1234.5678", "工单230103000000001-01", "１３９８７６５４３２１"], index=list("abcde")
    )
    found = find_in_series(values)
    assert found.to_dict() == {"c": [MOBILE], "e": ["13987654321"]}
    assert find_in_series(pd.Series([], dtype="string")).empty


def test_names_are_found_only_where_the_loader_still_knows_them():
    names = {"张伟", "李", "欧阳娜娜"}  # one character is no name: a surname alone matches too much
    assert find_names("来电人张伟反映，邻居欧阳娜娜和李先生", names) == ["张伟", "欧阳娜娜"]
    assert find_names("无", names) == [] and find_names(None, names) == [] and find_names("张伟", []) == []


# --- the masker and the detector agree, and the first passes let through all they should -------


def _random_texts(seed: int, count: int) -> list[str]:
    """Digit soups: mobiles, ID numbers, landlines and random digits, split into groups by every
    kind of separator, in both widths, after +86, among letters, marks, dashes and Chinese."""
    rng = random.Random(seed)
    separators = [" ", "-", ".", "/", "_", "·", "－", "．", "\u3000", "(", ")", "（", "）", " - ", "‥", "…"]
    separators += [":", "、", "，", "", "", "x", "X", "a", "电", "+", "①", "²", "\n"]

    def number() -> str:
        kind = rng.random()
        if kind < 0.25:
            digits = "1" + rng.choice("3456789") + "".join(rng.choices("0123456789", k=9))
        elif kind < 0.4:
            born = f"{rng.randint(1950, 2010)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
            body = f"320681{born}{rng.randint(0, 999):03d}"
            digits = body + pii.ID_CHECK_CHARS[sum(int(d) * w for d, w in zip(body, pii.ID_WEIGHTS, strict=True)) % 11]
        elif kind < 0.5:
            digits = "0513" + "".join(rng.choices("0123456789", k=rng.choice([7, 8])))
        else:
            digits = "".join(rng.choices("0123456789", k=rng.randint(1, 12)))
        text, position = "", 0
        while position < len(digits):
            step = rng.randint(1, 6)
            text += digits[position : position + step]
            position += step
            if position < len(digits) and rng.random() < 0.5:
                text += rng.choice(separators)
        if rng.random() < 0.2:
            text = text.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
        return (rng.choice(["+86", "(+86)", "0086 ", "86"]) if rng.random() < 0.1 else "") + text

    fillers = separators + ["号码", "abc", "RX", "-01", ".5", "2023-01-05 10:02:00"]
    return [
        "".join(number() if rng.random() < 0.6 else rng.choice(fillers) for _ in range(rng.randint(1, 6)))
        for _ in range(count)
    ]


def test_on_random_digit_soups_the_masker_leaves_nothing_the_detector_finds():
    texts = _random_texts(seed=12345, count=4000)
    masked = mask_text(pd.Series(texts, dtype="string")).tolist()
    found = [text for text in texts if pii._detect(text)]  # (without the first pass, tested below)
    assert len(found) > 500  # the soups do hold numbers
    left = [(text, out) for text, out in zip(texts, masked, strict=True) if pii._detect(out)]
    assert left == []
    clear = re.compile(masking.CLEAR_PERSONAL_NUMBER)  # the regex other tests look for leaks with
    assert [out for out in masked if clear.search(out)] == []


def test_the_first_passes_in_python_and_in_duckdb_miss_no_finding():
    texts = [text for text, _ in POSITIVES] + _random_texts(seed=54321, count=4000)
    with_findings = [n for n, text in enumerate(texts) if pii._detect(text)]
    assert all(PYTHON_PREFILTER.search(texts[n]) for n in with_findings)
    connection = duckdb.connect()
    connection.execute("create table texts (n integer, text varchar)")
    connection.executemany("insert into texts values (?, ?)", list(enumerate(texts)))
    passed = {
        n
        for (n,) in connection.execute(f"select n from texts where regexp_matches(text, '{SQL_PREFILTER}')").fetchall()
    }
    assert set(with_findings) <= passed
    # whole values left out in the database hold no number
    assert not find_personal_data("a17f140f44c2915ec3df6211358bb58d804996c2ab2add4a9c67b4d750a4d6d4")
    assert not find_personal_data("320681900101123-01")


@cache
def _nfkc_table() -> dict[str, str]:
    return {chr(c): unicodedata.normalize("NFKC", chr(c)) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF}


def test_the_character_tables_match_unicode():
    table = _nfkc_table()
    # digits in any width become ASCII digits; anything else holding a digit is a mark (², ①, ㎡)
    digit_forms = {c for c in table if re.fullmatch(f"[{pii.DIGIT_FORMS}]", c)}
    assert all(len(table[c]) == 1 and table[c] in "0123456789" for c in digit_forms)
    marks = {c for c, n in table.items() if c not in digit_forms and any(ch in "0123456789" for ch in n)}
    assert marks == set(re.findall(f"[{pii.NUMBER_MARKS}]", "".join(table)))
    separators = {c for c, n in table.items() if n and re.fullmatch(f"[{pii.SEPARATORS}]+", n)}
    in_ranges = {chr(c) for lo, hi in pii.SEPARATOR_FORMS for c in range(lo, hi + 1)}
    assert separators == in_ranges
    # the masker (code of its own) groups digits by exactly the same characters
    assert separators == {c for c in table if re.fullmatch(f"[{masking._SEP_CHARS}]", c)}


# --- the gate check --------------------------------------------------------------------------

HEX = "a17f140f44c2915ec3df6211358bb58d804996c2ab2add4a9c67b4d750a4d6d4"


def _warehouse(path, *, planted: bool):
    connection = duckdb.connect(str(path))
    connection.execute("create schema raw; create schema staging; create schema marts; create schema reference")
    connection.execute(
        """
        create table raw.hotline_work_orders (
            work_order_id varchar, caller_phone_hash varchar, appeal_text varchar, town varchar,
            received_at timestamp, _file_id varchar, _file_name varchar, _row_number integer
        )
        """
    )
    connection.executemany(
        "insert into raw.hotline_work_orders values (?, ?, ?, ?, timestamp '2023-01-05 10:02:00', ?, ?, ?)",
        [
            ("230103000000001-01", HEX, "联系电话[电话已隐去]，金额12345678.90元", "汇龙镇", HEX, "a.csv", 2),
            ("230103000000002-01", "1381234567890123456789012345678901234567890123456789abcdef012345",
             "2023-01-05 10:02:00 来电，工单230103000000001-01", "汇龙镇", HEX, "a.csv", 3),
        ],
    )  # fmt: skip
    connection.execute(
        "create table raw.quarantine (file_name varchar, sheet varchar, row_number integer, raw_values json)"
    )
    connection.execute(
        "insert into raw.quarantine values ('a.xlsx', '续表', 4, ?)",  # a workbook read from two sheets
        [json.dumps({"诉求内容": "回电 +86 139 8765 4321" if planted else "回电[电话已隐去]"}, ensure_ascii=False)],
    )
    connection.execute(
        "create view staging.stg_hotline__work_orders as select work_order_id, appeal_text from raw.hotline_work_orders"
    )
    connection.execute(
        "create table marts.fct_topic_candidates (category_l3_code varchar, town varchar, top_terms varchar, "
        "sample_work_order_ids varchar, candidate_score double)"
    )
    connection.executemany(
        "insert into marts.fct_topic_candidates "
        "values (?, '汇龙镇', ?, '230103000000001-01, 230103000000002-01', 80.5)",
        [("0101", "道路设施(7)、大坑(4)"), ("0102", "噪音(3)、138.1234.5678(1)" if planted else "噪音(3)、夜间(1)")],
    )
    connection.execute(
        "create table marts.fct_topic_list_items (topic_id varchar, list_type varchar, feedback varchar)"
    )
    connection.execute(
        "insert into marts.fct_topic_list_items values ('T01', '问题清单', ?)",
        ["经核实，联系人身份证 320681 1987 0522 877X" if planted else "经核实，已办结"],
    )
    connection.execute(
        f"create view marts.v_notes as select '备注：请联系１３９８７６５４３２１' as note where {planted}"
    )
    connection.execute("create table reference.channels (channel varchar, note varchar)")  # not scanned
    connection.execute("insert into reference.channels values ('电话', '热线 13812345678')")
    connection.close()
    return duckdb.connect(str(path), read_only=True)


def test_a_phone_number_in_a_published_mart_fails_the_gate_without_being_shown(tmp_path):
    with _warehouse(tmp_path / "hotline.duckdb", planted=True) as connection:
        checks = personal_data_checks(connection)

    failing = {check.check.rsplit(" ", 1)[-1]: check for check in checks if not check.passed}
    assert set(failing) == {
        "marts.fct_topic_candidates.top_terms",
        "marts.fct_topic_list_items.feedback",
        "marts.v_notes.note",
        "raw.quarantine.raw_values",
    }
    assert all(check.source == "personal_data" and check.failing_rows == 1 for check in failing.values())
    assert failing["marts.fct_topic_candidates.top_terms"].table == "marts.fct_topic_candidates"
    assert failing["marts.fct_topic_candidates.top_terms"].sample == [{"rowid": "1", "found": "mobile 138****5678"}]
    assert failing["marts.fct_topic_list_items.feedback"].sample == [
        {"topic_id": "T01", "found": "id_card 320***********877X"}
    ]
    assert failing["raw.quarantine.raw_values"].sample == [
        {"file_name": "a.xlsx", "sheet": "续表", "row_number": "4", "found": "mobile 139****4321"}
    ]
    assert failing["marts.v_notes.note"].sample == [{"row": "1", "found": "mobile 139****4321"}]
    report = json.dumps([asdict(check) for check in checks], ensure_ascii=False)
    digits = re.sub(r"[^0-9X]", "", unicodedata.normalize("NFKC", report))
    for clear in ("13812345678", "13987654321", "32068119870522877X", "1234567", "8765432", "1987052"):
        assert clear not in digits


def test_a_clean_warehouse_passes_with_one_line_saying_what_was_scanned(tmp_path):
    with _warehouse(tmp_path / "hotline.duckdb", planted=False) as connection:
        checks = personal_data_checks(connection)

    assert [(check.passed, check.check) for check in checks] == [(True, "no clear phone or ID numbers in text columns")]
    # raw: work orders (6 text columns) and quarantine (2); staging: a view (2); marts: 2 tables and a view (8);
    # less their columns of order ids (3); reference is not scanned (it is not built from exports)
    assert checks[0].message.startswith("no clear phone or ID numbers in 16 text columns of 6 tables")


def test_dbt_invocation_ids_are_no_phone_numbers_but_a_landline_beside_them_is(tmp_path):
    # now and then a random UUID's digits fall as a phone number does: one failed a gate
    uuid = "5f0c1a2b-3c4d-4e5f-8a6b-081234569113"
    with duckdb.connect(str(tmp_path / "hotline.duckdb")) as connection:
        connection.execute("create schema staging")
        connection.execute(
            "create table staging.stg_hotline__work_orders (work_order_id varchar, built_by_invocation_id varchar)"
        )
        connection.execute("insert into staging.stg_hotline__work_orders values ('A1', ?), ('A2', ?)", [uuid, uuid])
        assert [check.passed for check in personal_data_checks(connection, ("staging",))] == [True]

        connection.execute("insert into staging.stg_hotline__work_orders values ('A3', ?)", ["回电 081234569113"])
        [failing] = personal_data_checks(connection, ("staging",))
    assert failing.sample == [{"work_order_id": "A3", "found": "landline 081*****9113"}]


def test_a_table_that_cannot_be_read_is_no_clean_table(tmp_path):
    path = tmp_path / "hotline.duckdb"
    with duckdb.connect(str(path)) as connection:
        connection.execute("create schema marts; create table marts.t (note varchar)")
        connection.execute("create view marts.broken as select note from marts.t")
        connection.execute("alter table marts.t rename column note to remark")
    with duckdb.connect(str(path), read_only=True) as connection:
        checks = personal_data_checks(connection)
    [broken] = [check for check in checks if not check.passed]
    assert broken.table == "marts.broken" and broken.message.startswith("could not be scanned")


def test_members_names_may_be_published_but_a_callers_or_representatives_name_fails_the_gate(tmp_path):
    key = b"test-key"

    def hashed(name: str) -> str:  # as the loader hashes a name
        return masking.keyed_hash(pd.Series([name]), key)[0]

    path = tmp_path / "hotline.duckdb"
    with duckdb.connect(str(path)) as connection:
        connection.execute("create schema staging; create schema marts")
        connection.execute("create table staging.stg_members__roster (member_id varchar, member_name varchar)")
        connection.execute("insert into staging.stg_members__roster values ('WY0001', '李建国')")
        connection.execute(
            "create table staging.stg_members__representatives (representative_id varchar, name_hash varchar)"
        )
        connection.execute("insert into staging.stg_members__representatives values ('QZ1', ?)", [hashed("王 小明")])
        connection.execute(
            "create table staging.stg_hotline__work_orders (work_order_id varchar, caller_name_hash varchar)"
        )
        connection.execute("insert into staging.stg_hotline__work_orders values ('1', ?)", [hashed("张三丰")])
        # 匿名 typed as the caller of many orders is a placeholder, no person
        connection.execute(
            "insert into staging.stg_hotline__work_orders select 'A' || range, ? from range(25)", [hashed("匿名")]
        )
        # a member's name in clear is allowed; a representative's and a caller's are not
        connection.execute("create table marts.dim_member as select 'WY0001' as member_id, '李建国' as member_name")
        connection.execute(
            "create table marts.fct_liaison_cases as select * from (values ('L1', '王小明'), ('L2', '匿名'))"
            " as t(case_id, contact)"
        )
        connection.execute("create table marts.notes as select '张三丰' as note, '来电人张三丰反映' as text")
        # raw and staging keep exports' own columns; only what is published is scanned
        connection.execute("create table staging.stg_extra as select '王小明' as contact")
    with duckdb.connect(str(path), read_only=True) as connection:
        checks = pii.clear_name_checks(connection, key)

    failing = {check.check.rsplit(" ", 1)[-1]: check for check in checks if not check.passed}
    assert set(failing) == {"marts.fct_liaison_cases.contact", "marts.notes.note"}
    assert failing["marts.fct_liaison_cases.contact"].sample == [{"case_id": "L1"}]
    assert failing["marts.notes.note"].failing_rows == 1
    report = json.dumps([asdict(check) for check in checks], ensure_ascii=False)
    assert "王小明" not in report and "张三丰" not in report
    # with the wrong key nothing matches: names are found by their keyed hash only
    with duckdb.connect(str(path), read_only=True) as connection:
        assert all(check.passed for check in pii.clear_name_checks(connection, b"another-key"))


def test_order_ids_built_as_id_numbers_are_ids_but_such_a_number_elsewhere_is_not(tmp_path):
    # a system whose ids are an area code, a date and a serial: each reads as a 15-digit ID number
    ids = ["320681230615001", "320681230615002"]
    with duckdb.connect(str(tmp_path / "hotline.duckdb")) as connection:
        for schema in ("raw", "marts"):
            connection.execute(f"create schema {schema}")
        connection.execute(
            "create table raw.hotline_work_orders "
            "(work_order_id varchar, hotline_order_id varchar, appeal_text varchar)"
        )
        connection.execute("insert into raw.hotline_work_orders values (?, ?, '路灯不亮')", [ids[0], ids[0]])
        connection.execute(
            "create table raw.quarantine (file_name varchar, row_number integer, record_key varchar, raw_values json)"
        )
        connection.execute(  # a quarantined row keeps its cells, its own id among them
            "insert into raw.quarantine values ('a.csv', 3, ?, ?)",
            [ids[1], json.dumps({"工单编号": ids[1], "来电时间": "2023-06-15 25:00"}, ensure_ascii=False)],
        )
        connection.execute(
            "create table marts.fct_cases (work_order_id varchar, repeat_of_work_order_id varchar, note varchar)"
        )
        connection.execute("insert into marts.fct_cases values (?, ?, '重复件')", [ids[1], ids[0]])
        connection.execute("create table marts.fct_topic_candidates (topic varchar, sample_work_order_ids varchar)")
        connection.execute("insert into marts.fct_topic_candidates values ('路灯', ?)", [", ".join(ids)])
        assert [check.passed for check in personal_data_checks(connection)] == [True]

        # another such number in a row is no id of that row: it may be a person's
        connection.execute("update marts.fct_cases set note = '身份证 320681230615003'")
        connection.execute("update raw.hotline_work_orders set appeal_text = '来电人身份证' || ?", [ids[1]])
        failing = {check.check.rsplit(" ", 1)[-1] for check in personal_data_checks(connection) if not check.passed}
    assert failing == {"marts.fct_cases.note", "raw.hotline_work_orders.appeal_text"}
