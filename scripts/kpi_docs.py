"""Write the KPI columns of every KPI mart in models/marts/kpi_marts.yml from the KPI definitions.

The KPIs are defined once, in dbt_project.yml (`vars: kpi_definitions`). Each KPI mart's
entry in kpi_marts.yml lists the mart's own columns (period, dimensions, a unit's score)
by hand and the KPI columns as written here: description, contract type and data tests.
Run it after adding, changing or removing a KPI:

    .venv/bin/python scripts/kpi_docs.py            rewrite kpi_marts.yml
    .venv/bin/python scripts/kpi_docs.py --check    exit 1 when the file is out of step

A test runs --check, so a definition never ships without its docs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

from core.kpi_definitions import load_kpis

PROJECT_DIR = Path(__file__).resolve().parent.parent / "dbt_project"
MARTS_FILE = Path("models") / "marts" / "kpi_marts.yml"
HEADER = """version: 2

# The KPI columns of each mart below (work_orders … avg_handling_working_days) are written by
# scripts/kpi_docs.py from the KPI definitions in dbt_project.yml (vars: kpi_definitions): edit
# those and run the script, not these columns. The rest of each mart's entry is edited here.
"""


class _Dumper(yaml.SafeDumper):
    """Writes a KPI column in full under the first mart, as an anchor named after the column,
    and as an alias (`- *work_orders`) under the others: the same column everywhere."""

    def generate_anchor(self, node: yaml.Node) -> str:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.value == "name":
                    return value.value
        return super().generate_anchor(node)


def kpi_marts_yaml(project_dir: Path) -> str:
    """kpi_marts.yml as it should read: each mart's own columns kept, its KPI columns from the definitions."""
    kpis = load_kpis(project_dir / "dbt_project.yml")
    columns = [kpi.column_doc for kpi in kpis if kpi.published]
    names = {kpi.name for kpi in kpis}
    models = yaml.safe_load((project_dir / MARTS_FILE).read_text(encoding="utf-8"))["models"]
    for model in models:
        existing = model["columns"]
        positions = [i for i, column in enumerate(existing) if column["name"] in names]
        if not positions:
            raise SystemExit(f"{MARTS_FILE}: {model['name']} has no KPI column to tell where they go")
        # the mart's own columns before and after the KPIs; a column between them whose KPI
        # is no longer defined goes
        before = existing[: positions[0]]
        after = [column for column in existing[positions[-1] + 1 :] if column["name"] not in names]
        model["columns"] = [*before, *columns, *after]
    return HEADER + yaml.dump({"models": models}, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=120)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when kpi_marts.yml is out of step")
    parser.add_argument("--project-dir", type=Path, default=PROJECT_DIR, help="the dbt project (default: ours)")
    arguments = parser.parse_args(argv)
    path = arguments.project_dir / MARTS_FILE
    wanted = kpi_marts_yaml(arguments.project_dir)
    if path.read_text(encoding="utf-8") == wanted:
        print(f"{path}: in step with the KPI definitions")
        return 0
    if arguments.check:
        print(f"{path}: out of step with the KPI definitions; run python scripts/kpi_docs.py", file=sys.stderr)
        return 1
    path.write_text(wanted, encoding="utf-8")
    print(f"{path}: KPI columns written from the KPI definitions")
    return 0


if __name__ == "__main__":
    sys.exit(main())
