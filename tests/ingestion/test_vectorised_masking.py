"""The loader masks and hashes a whole batch at once (Arrow, DuckDB): over a batch, each helper
gives what the plain per-value rule gives value by value."""

from __future__ import annotations

import hmac
import random
import re
import unicodedata

import pandas as pd
import pytest

from ingestion.masking import NAME_MASK, keyed_hash, mask_names, mask_text
from tests.pii_corpus import INVALID_NUMBERS, NEVER_PERSONAL, POSITIVES

TEXTS = [text for text, _ in POSITIVES] + NEVER_PERSONAL + INVALID_NUMBERS


def _shuffled_batch(values: list, size: int = 400) -> list:
    rng = random.Random(12345)
    return [rng.choice(values) for _ in range(size)]


def test_mask_text_over_a_batch_equals_masking_each_text_alone():
    batch = _shuffled_batch([*TEXTS, None, "", "无号码"])
    index = pd.RangeIndex(100, 100 + len(batch))
    masked = mask_text(pd.Series(batch, index=index, dtype="string"))
    one_by_one = [None if text is None else mask_text(pd.Series([text], dtype="string"))[0] for text in batch]
    assert masked.index.equals(index)
    assert [None if pd.isna(value) else value for value in masked] == one_by_one


def test_mask_names_over_a_batch_equals_replacing_each_rows_own_name():
    rows = [
        ("王小明说王小明的电话是13812345678", "王小明"),
        ("王小明说", " 王小明 "),  # the name column's spaces do not stop the match
        ("李说了李子的事", "李"),  # a one-character name is left
        ("aaaa", "aa"),  # non-overlapping, left to right, as str.replace
        ("e\u0301e\u0301", "e\u0301"),  # two code points: a name of two characters for len()
        ("张三丰与张三", "张三"),
        ("无名", ""),
        ("无名", None),
        (None, "王小明"),
        ("", "王小明"),
        *[(text, "小明") for text in TEXTS],
    ]
    batch = _shuffled_batch(rows)
    texts = pd.Series([text for text, _ in batch], index=range(7, 7 + len(batch)), dtype="string")
    names = pd.Series([name for _, name in batch], index=texts.index, dtype="string")
    expected = [
        text.replace(name.strip(), NAME_MASK)
        if text is not None and name is not None and len(name.strip()) > 1
        else text
        for text, name in batch
    ]
    masked = mask_names(texts, names)
    assert masked.index.equals(texts.index) and masked.dtype == texts.dtype
    assert [None if pd.isna(value) else value for value in masked] == expected
    assert any(value and NAME_MASK in value for value in expected)  # the batch did exercise a replacement


def _reference_digest(value: str | None, key: bytes) -> str | None:
    """The documented rule, value by value: NFKC, no spaces or hyphens, no +86 before a mobile."""
    if value is None:
        return None
    cleaned = re.sub(r"[\t\n\f\r -]", "", unicodedata.normalize("NFKC", value))
    cleaned = re.sub(r"^\+?86(1[3-9][0-9]{9})$", r"\1", cleaned)
    return hmac.digest(key, cleaned.encode(), "sha256").hex() if cleaned else None


# keys shorter than SHA-256's block, of one block, and longer (hashed first, as HMAC says)
@pytest.mark.parametrize("key", [b"batch-key", b"k" * 64, b"long-key-" * 12], ids=["short", "one block", "long"])
def test_keyed_hash_over_batches_equals_hashing_each_value_alone(key):
    values = ["13812345678", "+86 138-1234-5678", "８６１３８１２３４５６７８", "320681199001011235", "启东市汇龙镇1号"]
    values += ["", "  ", None, "王小明", "王 小明"]
    cache = {}
    for seed in (1, 2):  # the second batch is hashed partly from the cache the first one filled
        batch = random.Random(seed).choices(values, k=300)
        series = pd.Series(batch, index=range(50, 350), dtype="string")
        hashed = keyed_hash(series, key, cache)
        assert hashed.index.equals(series.index)
        assert [None if pd.isna(value) else value for value in hashed] == [_reference_digest(v, key) for v in batch]
    assert keyed_hash(pd.Series([], dtype="string"), key).empty


def test_keyed_hash_cleaning_equals_pythons_rule_on_every_kind_of_space():
    """Arrow only picks the values to clean: the cleaning is still Python's `[\\s-]` and +86 rule."""
    from ingestion.masking import PYTHON_WHITESPACE, _cleaned

    assert not any(chr(code).isspace() for code in range(0x3001, 0x110000))  # the class misses none
    values = ["13812345678", "8613812345678", "+8613812345678", "86 138 1234 5678", "８６１３８１２３４５６７８"]
    values += [f"王{space}小明" for space in PYTHON_WHITESPACE] + ["王-小明", "王小明", "ＡＢＣ", "", "861"]

    def rule(value: str) -> str:
        cleaned = re.sub(r"[\s-]", "", unicodedata.normalize("NFKC", value))
        return re.sub(r"^\+?86(1[3-9][0-9]{9})$", r"\1", cleaned)

    assert _cleaned(values) == [rule(value) for value in values]
    assert _cleaned(["王\u3000小明"]) == ["王小明"] and _cleaned(["+86 138-1234-5678"]) == ["13812345678"]


def test_mask_text_with_a_cache_masks_as_without_it():
    batch = _shuffled_batch([*TEXTS, None, ""])
    cache: dict[str, str] = {}
    first = mask_text(pd.Series(batch, dtype="string"), cache)
    assert cache  # the texts with numbers were kept
    again = mask_text(pd.Series(batch, dtype="string"), cache)
    alone = mask_text(pd.Series(batch, dtype="string"))
    assert first.equals(alone) and again.equals(alone)
