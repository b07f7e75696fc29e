"""The most frequent words of the appeal texts of each month's top topic candidates.

Python because SQL cannot segment Chinese text into words: rjieba (jieba's dictionary, in
Rust) does. Only the top candidates of each month are segmented (topic_rules seed), and
stop words come from the text_stopwords seed. Runs on DuckDB; on a warehouse without
Python models this is the one model to run elsewhere.

Incremental by month (docs/incremental.md): a month's rows depend only on the texts of its
top candidates, so each row keeps a digest of them (source_hash) and a build segments again
only the months whose digest changed; months that no longer have a top candidate are
deleted. A full refresh segments every month.
"""

from collections import Counter

TERMS_SHOWN = 8
SAMPLE_IDS = 3
COLUMNS = ["period_start", "category_l3_code", "town", "top_terms", "sample_work_order_ids", "source_hash"]


def model(dbt, session):
    dbt.config(
        materialized="incremental",
        incremental_strategy="delete+insert",
        unique_key="period_start",
        packages=["rjieba", "pandas", "pyarrow"],
    )
    import pandas as pd
    import pyarrow as pa
    import rjieba

    # each dbt.ref on a line of its own: dbt finds a Python model's refs by reading its source
    rules = dbt.ref("topic_rules").df()
    stopwords = dbt.ref("text_stopwords").df()
    top = dbt.ref("int_topic_candidates_scored")
    texts = dbt.ref("int_case_texts")

    rules = rules.set_index("rule")["value"]
    stopwords = set(stopwords["term"])
    top = top.filter(f"candidate_rank <= {int(rules['candidate_terms_top_n'])}")
    keys = ["period_start", "category_l3_code", "town"]
    # the texts of each month's top candidates, each row with a digest of its month's texts
    inputs = (
        texts.select(", ".join([*keys, "work_order_id", "received_at", "appeal_text"]))
        .join(top.select(", ".join(keys)), keys)
        .query(
            "texts",
            """
            select *,
                sum(hash(category_l3_code, town, work_order_id, received_at, appeal_text)::hugeint)
                    over (partition by period_start)::varchar
                || ':' || count(*) over (partition by period_start) as source_hash
            from texts
            """,
        )
    )
    months = "select distinct period_start, source_hash from texts"
    if dbt.is_incremental:
        # months whose digest is unchanged keep their rows; months gone from the input go
        current = [month for (month,) in inputs.query("texts", "select distinct period_start from texts").fetchall()]
        session.execute(f"delete from {dbt.this} where not list_contains(?::date[], period_start)", [current])
        months += f" except select distinct period_start, source_hash from {dbt.this}"
    texts = inputs.query(
        "texts", f"select * from texts where period_start in (select period_start from ({months}))"
    ).df()
    # a fixed order, so equal counts always list the same words (reruns give identical marts)
    texts = texts.sort_values("work_order_id")

    rows = []
    for (period_start, code, town), group in texts.groupby(["period_start", "category_l3_code", "town"]):
        counts = Counter(
            word
            for text in group["appeal_text"].dropna()
            for word in rjieba.cut(text)
            if len(word) > 1 and word not in stopwords and not word.isdigit() and word.isalnum()
        )
        recent = group.sort_values(["received_at", "work_order_id"], ascending=False)["work_order_id"]
        rows.append(
            {
                "period_start": pd.Timestamp(period_start).date(),
                "category_l3_code": code,
                "town": town,
                "top_terms": "、".join(
                    f"{word}({count})"
                    for word, count in sorted(counts.items(), key=lambda wc: (-wc[1], wc[0]))[:TERMS_SHOWN]
                ),
                "sample_work_order_ids": ", ".join(recent.head(SAMPLE_IDS)),
                "source_hash": group["source_hash"].iloc[0],
            }
        )
    # typed explicitly: a build in which no month changed has no rows, and an untyped empty
    # column would reach DuckDB as type NULL, which the delete+insert cannot compare with a date
    schema = pa.schema([("period_start", pa.date32()), *((column, pa.string()) for column in COLUMNS[1:])])
    return pa.Table.from_pylist(rows, schema=schema)
