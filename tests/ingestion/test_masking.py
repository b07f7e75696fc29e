"""Personal data: numbers typed into free text are masked; identifiers become keyed hashes."""

from __future__ import annotations

import pandas as pd
import pytest

from ingestion.masking import ID_MASK, PHONE_MASK, keyed_hash, mask_text
from tests.pii_corpus import INVALID_NUMBERS, NEVER_PERSONAL, POSITIVES


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


@pytest.mark.parametrize(("text", "numbers"), POSITIVES, ids=[text for text, _ in POSITIVES])
def test_every_way_of_writing_a_number_is_masked(text, numbers):
    [masked] = mask_text(pd.Series([text], dtype="string")).tolist()
    ids = [number for number in numbers if len(number) in (15, 18)]
    assert masked.count(ID_MASK) == len(ids)
    assert masked.count(PHONE_MASK) == len(numbers) - len(ids)
    assert not any(number[-4:] in masked for number in numbers)  # no part of a number is left behind


@pytest.mark.parametrize("text", NEVER_PERSONAL)
def test_ids_digests_timestamps_and_amounts_are_left_alone(text):
    assert mask_text(pd.Series([text], dtype="string")).tolist() == [text]


def test_an_id_number_that_fails_its_checksum_is_masked_when_typed_in_one_run():
    # as it always was: an ID number with a typo is still somebody's; grouped digits that make
    # no valid ID number are more often something else, and stay
    masked = mask_text(pd.Series(INVALID_NUMBERS, dtype="string")).tolist()
    for text, result in zip(INVALID_NUMBERS, masked, strict=True):
        assert result == (text if " " in text else ID_MASK), text


def test_masking_keeps_nulls_and_the_series_index():
    values = pd.Series(["电话13812345678", None, "无"], index=[7, 8, 9], dtype="string")
    masked = mask_text(values)
    assert masked.index.tolist() == [7, 8, 9]
    assert masked[7] == f"电话{PHONE_MASK}" and pd.isna(masked[8]) and masked[9] == "无"


def test_keyed_hash_is_stable_depends_on_the_key_and_keeps_empty_empty():
    values = pd.Series(["13812345678", " 13812345678 ", "", None], dtype="string")
    first = keyed_hash(values, b"key-one")
    assert first[0] == first[1]  # repeat callers stay countable
    assert len(first[0]) == 64 and "13812345678" not in first[0]
    assert first[2:].isna().all()
    assert keyed_hash(values, b"key-two")[0] != first[0]  # without the key, no one can rebuild it
