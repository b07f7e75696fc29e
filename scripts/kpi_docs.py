"""Write the KPI columns of every KPI mart's YAML (models/marts/kpi_*.yml) from the KPI definitions.

The KPIs are defined once, in dbt_project.yml (`vars: kpi_definitions`). Each KPI mart has its
own YAML beside its SQL, like every model. That file is hand-written (the mart's description,
contract, its own columns: period, dimensions, a unit's score; its model-level tests and unit
tests) except for one block of its `columns:` list, between the lines

    # BEGIN KPI columns ...
    # END KPI columns ...

which this script writes from the definitions: each published KPI's description, contract type
and data tests, in full in every file (YAML anchors do not reach across files, and the
repetition is the script's, not a person's). The script replaces only what is between the two
markers and keeps the rest of each file as it is, comments and layout included. Run it after
adding, changing or removing a KPI:

    .venv/bin/python scripts/kpi_docs.py            rewrite the KPI block of each KPI mart's YAML
    .venv/bin/python scripts/kpi_docs.py --check    exit 1 when any of them is out of step

A test runs the same check over every file, so a definition never ships without its docs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

from core.kpi_definitions import UNIT_COMMENTS, load_kpis

PROJECT_DIR = Path(__file__).resolve().parent.parent / "dbt_project"
MARTS_DIR = Path("models") / "marts"
# the marts whose columns include every published KPI: each has models/marts/<name>.yml with
# one generated block; a new KPI mart is added here and gets the two marker lines in its YAML
KPI_MARTS = (
    "kpi_hotline_monthly",
    "kpi_hotline_quarterly",
    "kpi_hotline_yearly",
    "kpi_town_monthly",
    "kpi_unit_monthly",
    "kpi_category_monthly",
    "kpi_appeal_type_monthly",
)
BEGIN = "# BEGIN KPI columns: written by scripts/kpi_docs.py from vars: kpi_definitions, do not edit"
END = "# END KPI columns"


class _Dumper(yaml.SafeDumper):
    """Block style with nested lists indented under their key, as the hand-written YAML reads."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        return super().increase_indent(flow, False)


def kpi_columns_block(kpis) -> str:
    """The published KPIs as the entries of a `columns:` list, unindented."""
    labels = {kpi.name: kpi.label_zh for kpi in kpis}
    columns = []
    for kpi in kpis:
        if not kpi.published:
            continue
        # the Chinese label, unit and formula the database's column comment carries (macros/persist_docs.sql)
        meta = {"label_zh": kpi.label_zh, "unit": UNIT_COMMENTS[kpi.unit]}
        if formula := kpi.formula_zh(labels):
            meta["formula_zh"] = formula
        columns.append({**kpi.column_doc, "config": {"meta": meta}})
    return yaml.dump(columns, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


def spliced(path: Path, text: str, block: str) -> str:
    """`text` (a KPI mart's YAML) with `block` between its marker lines, indented as they are;
    every other line as it was."""
    lines = text.splitlines(keepends=True)
    begins = [i for i, line in enumerate(lines) if line.strip() == BEGIN]
    ends = [i for i, line in enumerate(lines) if line.strip() == END]
    if len(begins) != 1 or len(ends) != 1 or ends[0] < begins[0]:
        raise SystemExit(
            f"{path}: needs the line {BEGIN!r} and, below it, the line {END!r}, once each, "
            "in its columns list where the KPI columns go"
        )
    marker = lines[begins[0]]
    indent = marker[: len(marker) - len(marker.lstrip())]
    generated = [f"{indent}{line}" if line.strip() else line for line in block.splitlines(keepends=True)]
    return "".join([*lines[: begins[0] + 1], *generated, *lines[ends[0] :]])


def kpi_mart_files(project_dir: Path) -> dict[Path, str]:
    """Each KPI mart's YAML as it should read: its hand-written part kept, its KPI block from the definitions."""
    kpis = load_kpis(project_dir / "dbt_project.yml")
    published = [kpi.name for kpi in kpis if kpi.published]
    block = kpi_columns_block(kpis)
    wanted = {}
    for mart in KPI_MARTS:
        path = project_dir / MARTS_DIR / f"{mart}.yml"
        if not path.exists():
            raise SystemExit(f"{path}: missing; every KPI mart has its YAML beside its SQL")
        text = spliced(path, path.read_text(encoding="utf-8"), block)
        models = (yaml.safe_load(text) or {}).get("models") or []
        if [model.get("name") for model in models] != [mart]:
            raise SystemExit(f"{path}: must document {mart} and only it")
        names = [column["name"] for column in models[0].get("columns") or []]
        if doubled := sorted({name for name in published if names.count(name) > 1}):
            raise SystemExit(f"{path}: {', '.join(doubled)} written by hand too; the KPI block has them")
        wanted[path] = text
    strays = sorted(
        path
        for path in (project_dir / "models").rglob("*.yml")
        if path not in wanted and any(line.strip() == BEGIN for line in path.read_text(encoding="utf-8").splitlines())
    )
    if strays:
        raise SystemExit(f"{', '.join(map(str, strays))}: a KPI block in a model not in KPI_MARTS of {__file__}")
    return wanted


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when a KPI mart's YAML is out of step")
    parser.add_argument("--project-dir", type=Path, default=PROJECT_DIR, help="the dbt project (default: ours)")
    arguments = parser.parse_args(argv)
    stale = [
        (path, text)
        for path, text in kpi_mart_files(arguments.project_dir).items()
        if path.read_text(encoding="utf-8") != text
    ]
    if not stale:
        print(f"{len(KPI_MARTS)} KPI marts' YAML in step with the KPI definitions")
        return 0
    if arguments.check:
        for path, _ in stale:
            print(f"{path}: out of step with the KPI definitions; run python scripts/kpi_docs.py", file=sys.stderr)
        return 1
    for path, text in stale:
        path.write_text(text, encoding="utf-8")
        print(f"{path}: KPI columns written from the KPI definitions")
    return 0


if __name__ == "__main__":
    sys.exit(main())
