"""The quality gate's results as one HTML page people can read (质量检查结果), published with each
version beside the dbt docs site: every check of data/quality/gate_report.json (dbt tests and
unit tests, the expectation suites, personal-data and plausibility checks), failing ones first.

One file with its style inline and no script or link: it opens offline, from a mail or a share.
"""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd

SOURCES_ZH = {
    "dbt": "dbt 测试",
    "expectations": "数据期望（Great Expectations）",
    "personal_data": "个人信息检查",
    "plausibility": "合理性检查",
    "report": "口径一致性",
}
HEADERS = {
    "result": "结果",
    "source": "检查来源",
    "table": "表",
    "check": "检查项",
    "failing_rows": "不通过行数",
    "message": "说明",
    "sample": "不通过行示例（仅键值）",
}
STYLE = """
body { font-family: "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f2f2f2; position: sticky; top: 0; }
tr.failed td { background: #fde8e8; }
.passed { color: #17692b; } .failed-verdict { color: #b00020; }
"""


def gate_page(gate: dict, *, title: str = "质量检查结果") -> str:
    """The page for a gate report (the JSON quality.gate writes), as HTML text."""
    checks = gate.get("checks") or []
    frame = pd.DataFrame(
        [
            {
                "result": "通过" if check["passed"] else "不通过",
                "source": SOURCES_ZH.get(check["source"], check["source"]),
                "table": check["table"],
                "check": check["check"],
                "failing_rows": check.get("failing_rows") or 0,
                "message": check.get("message") or "",
                "sample": ", ".join(map(str, check.get("sample") or [])),
            }
            for check in sorted(checks, key=lambda check: check["passed"])  # failing first, else as run
        ],
        columns=list(HEADERS),
    )
    failed = int((frame["result"] == "不通过").sum()) if len(frame) else 0
    by_source = frame.groupby("source").size().to_dict() if len(frame) else {}
    table = frame.rename(columns=HEADERS).to_html(index=False, escape=True, border=0)
    # mark the failing rows; to_html writes each row as "<tr>" followed by its first cell
    table = table.replace("<tr>\n      <td>不通过</td>", '<tr class="failed">\n      <td>不通过</td>')
    verdict = '<span class="passed">通过</span>' if gate.get("passed") else '<span class="failed-verdict">不通过</span>'
    facts = [
        ("结论", verdict),
        ("检查时间", html.escape(str(gate.get("checked_at") or ""))),
        ("检查项", f"{len(frame)}（不通过 {failed}）"),
        ("按来源", html.escape("，".join(f"{source} {count}" for source, count in by_source.items()))),
        ("数据指纹", html.escape(str(gate.get("marts_fingerprint") or "")[:16])),
        ("dbt 运行编号", html.escape(str(gate.get("dbt_invocation_id") or ""))),
    ]
    summary = "".join(f"<tr><th>{name}</th><td>{value}</td></tr>" for name, value in facts)
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
        f'<h1>{html.escape(title)}</h1>\n<table style="width:auto">{summary}</table>\n'
        f"<h2>各项检查</h2>\n{table}\n</body>\n</html>\n"
    )


def write_gate_page(gate: dict, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(gate_page(gate), encoding="utf-8")
    return path
