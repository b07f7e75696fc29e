"""The canonical work-order contract: the columns every hotline export is mapped onto.

One machine-readable definition, kept as dbt seeds so that the ingestion code, the dbt
models and the gate read the same files (`dbt_project/seeds/contract/`):
`work_order_contract.csv` (columns, types, vocabularies, meaning), `kpi_inputs.csv` (which
KPI needs which columns) and one seed per vocabulary. Human docs: docs/work_order_contract.md.
"""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass
from pathlib import Path

from core.settings import PROJECT_DIR

SEEDS_DIR = PROJECT_DIR / "dbt_project" / "seeds"
CONTRACT_DIR = SEEDS_DIR / "contract"
# vocabulary seed → its value column (satisfaction_levels lives beside the other reference seeds)
VOCABULARY_FILES = {
    "appeal_types": (CONTRACT_DIR / "appeal_types.csv", "appeal_type"),
    "work_order_statuses": (CONTRACT_DIR / "work_order_statuses.csv", "status"),
    "urgency_levels": (CONTRACT_DIR / "urgency_levels.csv", "urgency"),
    "channels": (CONTRACT_DIR / "channels.csv", "channel"),
    "satisfaction_levels": (SEEDS_DIR / "satisfaction_levels.csv", "satisfaction"),
}
# older exports write these; staging folds them into the vocabulary member
VOCABULARY_SYNONYMS = {"appeal_types": ("表扬", "感谢")}
# KPI inputs that are no column (kpi_inputs seed): what the source's profile allows, or its rows
# show (calendar_time_limits: China's time limits may set deadlines; dispatch_recorded: a dispatch
# time of its own, not the receipt time copied; send_back_recorded: a status that says 已退单);
# kpi_availability says what a source lacks from the same seed
NON_COLUMN_INPUTS = {
    row["input"]: row["description"]
    for row in csv.DictReader((CONTRACT_DIR / "kpi_non_column_inputs.csv").read_text(encoding="utf-8").splitlines())
}


@dataclass(frozen=True)
class ContractColumn:
    name: str
    type: str
    required: bool
    vocabulary: str | None
    label_zh: str
    description: str


@dataclass(frozen=True)
class Contract:
    table: str
    columns: dict[str, ContractColumn]
    vocabularies: dict[str, tuple[str, ...]]
    kpi_inputs: dict[str, list[tuple[str, ...]]]  # kpi → alternatives, each a tuple of columns
    kpi_labels: dict[str, str]

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(name for name, column in self.columns.items() if column.required)

    def vocabulary_of(self, column: str) -> tuple[str, ...] | None:
        vocabulary = self.columns[column].vocabulary
        if vocabulary is None:
            return None
        return self.vocabularies[vocabulary] + VOCABULARY_SYNONYMS.get(vocabulary, ())

    def kpis_supported(self, available: set[str]) -> dict[str, tuple[bool, str]]:
        """KPI → (supported, why) for an export whose non-empty columns are `available`."""
        verdicts = {}
        for kpi, alternatives in self.kpi_inputs.items():
            if any(set(needs) <= available for needs in alternatives):
                verdicts[kpi] = (True, "")
            else:
                missing = " or ".join("+".join(c for c in needs if c not in available) for needs in alternatives)
                verdicts[kpi] = (False, f"needs {missing}")
        return verdicts


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@functools.cache
def work_order_contract() -> Contract:
    columns = {
        row["column_name"]: ContractColumn(
            name=row["column_name"],
            type=row["data_type"],
            required=row["is_required"] == "true",
            vocabulary=row["vocabulary"] or None,
            label_zh=row["label_zh"],
            description=row["description"],
        )
        for row in _read_csv(CONTRACT_DIR / "work_order_contract.csv")
    }
    vocabularies = {
        name: tuple(row[column] for row in _read_csv(path)) for name, (path, column) in VOCABULARY_FILES.items()
    }
    kpi_inputs: dict[str, dict[str, list[str]]] = {}
    labels = {}
    for row in _read_csv(CONTRACT_DIR / "kpi_inputs.csv"):
        kpi_inputs.setdefault(row["kpi"], {}).setdefault(row["alternative"], []).append(row["column_name"])
        labels[row["kpi"]] = row["label_zh"]
    return Contract(
        table="hotline_work_orders",
        columns=columns,
        vocabularies=vocabularies,
        kpi_inputs={kpi: [tuple(needs) for needs in groups.values()] for kpi, groups in kpi_inputs.items()},
        kpi_labels=labels,
    )


def contract_for(table: str) -> Contract | None:
    """The contract a raw table follows, or None for tables whose profile alone defines them."""
    contract = work_order_contract()
    return contract if table == contract.table else None
