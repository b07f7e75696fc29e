"""Layers point one way: `core` at the bottom, the packages that do the work above it, the
orchestration (`pipeline`: steps, CLI, the Airflow adapter) on top, DAG files thinnest of all."""

from __future__ import annotations

import ast
from pathlib import Path

from core.settings import PROJECT_DIR

PACKAGES = ("core", "ingestion", "quality", "publication", "pipeline")
# what each package may import of the project (imports inside functions included)
ALLOWED = {
    "core": set(),
    "ingestion": {"core"},
    "quality": {"core", "ingestion"},
    "publication": {"core"},
    "pipeline": {"core", "ingestion", "quality", "publication", "demodata"},
}


def project_imports(package: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in (PROJECT_DIR / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top != package and (PROJECT_DIR / top / "__init__.py").exists():
                    found.setdefault(top, set()).add(str(Path(path).relative_to(PROJECT_DIR)))
    return found


def test_each_package_imports_only_the_layers_below_it():
    for package in PACKAGES:
        beyond = {top: files for top, files in project_imports(package).items() if top not in ALLOWED[package]}
        assert beyond == {}, f"{package} imports {sorted(beyond)} from {sorted(set().union(*beyond.values()))}"


def test_environment_variables_are_read_in_settings_only():
    readers = []
    for package in PACKAGES:
        for path in (PROJECT_DIR / package).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            if ("os.environ.get(" in text or "os.getenv(" in text) and path.name != "settings.py":
                readers.append(str(path.relative_to(PROJECT_DIR)))
    assert readers == []
