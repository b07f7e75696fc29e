"""Personal data: numbers typed into free text are masked; identifiers become keyed hashes."""

from __future__ import annotations

import pandas as pd

from ingestion.masking import ID_MASK, PHONE_MASK, keyed_hash, mask_text


def test_phone_and_id_numbers_in_appeal_text_are_masked():
    texts = pd.Series(
        [
            "联系电话13812345678，请回电",
            "身份证号32068119900101123X，要求补办",
            "座机0513-83123456或051383123456",
            "工单230103000000001-01已办结，编号RX2301030000001",
        ],
        dtype="string",
    )
    masked = mask_text(texts).tolist()
    assert masked[0] == f"联系电话{PHONE_MASK}，请回电"
    assert masked[1] == f"身份证号{ID_MASK}，要求补办"
    assert masked[2] == f"座机{PHONE_MASK}或{PHONE_MASK}"
    assert masked[3] == texts[3]  # work-order ids and platform ids are not personal data


def test_keyed_hash_is_stable_depends_on_the_key_and_keeps_empty_empty():
    values = pd.Series(["13812345678", " 13812345678 ", "", None], dtype="string")
    first = keyed_hash(values, b"key-one")
    assert first[0] == first[1]  # repeat callers stay countable
    assert len(first[0]) == 64 and "13812345678" not in first[0]
    assert first[2:].isna().all()
    assert keyed_hash(values, b"key-two")[0] != first[0]  # without the key, no one can rebuild it
