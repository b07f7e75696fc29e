"""Stand-ins for dbt's Jinja context, so sqlfluff's jinja templater renders every model.

sqlfluff loads this package as its `library_path` (dbt_project/.sqlfluff): each public name
here, and each submodule (`dbt` for the cross-database macros), becomes a global of the
templates. The project's own macros (dbt_project/macros/) are loaded as they are, so a model
renders to SQL of the same shape dbt compiles. Nothing here runs in dbt; ref, source, config,
is_incremental, this and return come from sqlfluff's dbt builtins.
"""

from functools import cache
from pathlib import Path

import yaml
from jinja2 import pass_context

from . import dbt

__all__ = ["adapter", "dbt", "exceptions", "execute", "invocation_id", "run_query", "var"]

DBT_PROJECT_YML = Path(__file__).resolve().parents[2] / "dbt_project.yml"

# dbt's parse phase renders with execute false; its run phase, which we mimic, with true
execute = True

# the id of the dbt run (the incremental models stamp the rows each run redoes)
invocation_id = "00000000-0000-0000-0000-000000000000"


@cache
def _project_vars() -> dict:
    with DBT_PROJECT_YML.open(encoding="utf-8") as project_file:
        return yaml.safe_load(project_file).get("vars") or {}


_NO_DEFAULT = object()


def var(name: str, default=_NO_DEFAULT):
    """dbt's var(): the project's value from dbt_project.yml (the real KPI list, so
    hotline_kpis renders every column), else the default, else a placeholder literal."""
    if name in _project_vars():
        return _project_vars()[name]
    if default is not _NO_DEFAULT:
        return default
    return f"'{name}'"


class _Column:
    def __init__(self, values: tuple) -> None:
        self._values = values

    def values(self) -> tuple:
        return self._values


class _Table:
    """The agate table run_query returns, as far as models read it: columns[i].values()."""

    def __init__(self, values: tuple) -> None:
        self.columns = [_Column(values)]
        self.rows = [(value,) for value in values]


def run_query(sql: str) -> _Table:
    """Nothing is queried: two placeholder values, so a loop over the result renders twice."""
    return _Table(("run_query_value_1", "run_query_value_2"))


class _Adapter:
    @staticmethod
    @pass_context
    def dispatch(context, macro_name: str, macro_namespace: str | None = None):
        """adapter.dispatch(): the duckdb__ implementation if the project has one, else the
        default__ one, as dbt-duckdb resolves it."""
        for prefix in ("duckdb__", "default__"):
            macro = context.get(prefix + macro_name)
            if macro is not None:
                return macro
        raise KeyError(f"adapter.dispatch: no duckdb__ or default__ {macro_name} macro")


    @staticmethod
    def get_relation(database: str, schema: str, identifier: str) -> None:
        """adapter.get_relation(): nothing exists when linting (the model's fallback is linted)."""
        return None


adapter = _Adapter()


class _Exceptions:
    @staticmethod
    def raise_compiler_error(message: str):
        raise RuntimeError(message)

    @staticmethod
    def warn(message: str) -> str:
        return ""


exceptions = _Exceptions()
