"""The most frequent words of the appeal texts of each month's top topic candidates.

Python because SQL cannot segment Chinese text into words: rjieba (jieba's dictionary, in
Rust) does. Only the top candidates of each month are segmented (topic_rules seed), and
stop words come from the text_stopwords seed. Runs on DuckDB; on a warehouse without
Python models this is the one model to run elsewhere.
"""

from collections import Counter

TERMS_SHOWN = 8
SAMPLE_IDS = 3


def model(dbt, session):
    dbt.config(materialized="table", packages=["rjieba", "pandas"])
    import pandas as pd
    import rjieba

    # each dbt.ref on a line of its own: dbt finds a Python model's refs by reading its source
    rules = dbt.ref("topic_rules").df()
    stopwords = dbt.ref("text_stopwords").df()
    top = dbt.ref("int_topic_candidates_scored")
    texts = dbt.ref("int_case_texts")

    rules = rules.set_index("rule")["value"]
    stopwords = set(stopwords["term"])
    keys = "period_start, category_l3_code, town"
    top = top.filter(f"candidate_rank <= {int(rules['candidate_terms_top_n'])}").project(keys)
    # joined in DuckDB: only the top candidates' texts come into pandas, not every order's (GBs at scale);
    # a fixed order, so equal counts always list the same words (reruns give identical marts)
    texts = texts.join(top, keys).df().sort_values("work_order_id")

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
                "period_start": period_start,
                "category_l3_code": code,
                "town": town,
                "top_terms": "、".join(
                    f"{word}({count})" for word, count in sorted(counts.items(), key=lambda wc: (-wc[1], wc[0]))[:TERMS_SHOWN]
                ),
                "sample_work_order_ids": ", ".join(recent.head(SAMPLE_IDS)),
            }
        )
    columns = ["period_start", "category_l3_code", "town", "top_terms", "sample_work_order_ids"]
    frame = pd.DataFrame(rows, columns=columns)
    frame["period_start"] = pd.to_datetime(frame["period_start"]).dt.date
    return frame.astype({column: "string" for column in columns[1:]})
