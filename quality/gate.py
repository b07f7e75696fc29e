"""The gate: may this build publish? dbt's test results plus the expectation suites.

Writes `data/quality/gate_report.json` naming every check, and for each failing one the
rows it failed on, and stamps the report with the fingerprint of the marts it judged, so
publication can refuse marts that changed after the gate looked at them.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from core.settings import Settings
from core.warehouse import connect, marts_fingerprint
from ingestion.profiles import load_profiles
from quality.pii import (
    NAME_SCANNED_SCHEMAS,
    PRIVATE_NAME_HASHES,
    PUBLIC_NAMES,
    SCANNED_SCHEMAS,
    clear_name_checks,
    personal_data_checks,
)
from quality.plausibility import plausibility_checks
from quality.results import SAMPLE_ROWS, CheckResult
from quality.reuse import load as load_reuse
from quality.reuse import suite_inputs
from quality.suites import Suite, build_suites

log = logging.getLogger(__name__)
CHECK_META = "hotline_check"  # an expectation's meta key: the position of its check in the suite


@dataclass
class GateReport:
    passed: bool
    checks: list[CheckResult]
    marts_fingerprint: str | None
    dbt_invocation_id: str | None
    checked_at: str
    path: Path | None = None

    def failures(self) -> list[CheckResult]:
        return [check for check in self.checks if not check.passed]

    def first_failure(self) -> str:
        failures = self.failures()
        if not failures:
            return ""
        first = failures[0]
        rows = f" on {first.failing_rows} row(s), e.g. {first.sample[:3]}" if first.failing_rows else ""
        more = f" (+{len(failures) - 1} more failing check(s))" if len(failures) > 1 else ""
        return f"{first.table}: {first.check}{rows}{': ' + first.message if first.message else ''}{more}"

    def to_json(self) -> str:
        payload = asdict(self)
        payload.pop("path")
        return json.dumps(payload, ensure_ascii=False, indent=2, default=str)


def dbt_checks(run_results_path: Path) -> tuple[list[CheckResult], str | None]:
    """Every dbt data test and unit test of the last build, as gate checks."""
    if not run_results_path.exists():
        return [
            CheckResult("dbt", "dbt", "dbt build has run", False, message="no run_results.json; run `hotline build`")
        ], None
    run_results = json.loads(run_results_path.read_text())
    invocation = run_results["metadata"].get("invocation_id")
    checks = []
    skipped = [item for item in run_results["results"] if item["status"] == "skipped"]
    for item in run_results["results"]:
        kind = item["unique_id"].split(".")[0]
        if kind not in ("test", "unit_test", "model", "seed") or item["status"] == "skipped":
            continue
        # a warning does not block publication, but the report says what it found
        passed = item["status"] in ("pass", "success", "warn")
        name = item["unique_id"].split(".")[2]
        checks.append(
            CheckResult(
                "dbt",
                name if kind in ("model", "seed") else kind,
                item["unique_id"].split(".", 2)[2] if kind != "test" else name,
                passed,
                failing_rows=item.get("failures") or 0,
                message=_dbt_failure_message(item) if item["status"] in ("fail", "error", "warn") else "",
            )
        )
    if skipped:  # one line for what a failure upstream kept from running, not one per node
        checks.append(
            CheckResult(
                "dbt", "dbt", "nodes skipped", False, failing_rows=len(skipped),
                message=f"{len(skipped)} node(s) did not run because a node they depend on failed",
            )
        )  # fmt: skip
    if not any(check.table in ("test", "unit_test") for check in checks):
        checks.append(
            CheckResult(
                "dbt", "dbt", "dbt tests ran", False, message="the last dbt run had no tests; run `hotline build`"
            )
        )
    return checks, invocation


SUITE_ROWS = "suite rows"  # the GX data source every suite's rows are validated through


def _expectations_context():
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig
    from great_expectations.execution_engine import pandas_execution_engine

    logging.getLogger("great_expectations").setLevel(logging.WARNING)  # its INFO lines are for its developers
    # GX fingerprints each batch's dataframe (md5 over pandas' row hashes) for a batch marker that
    # nothing here reads; it does so only under this size, so 0 skips it as it does for big frames
    # (the fct_cases suite's 2.17 M rows at scale 10: 1.8 s of a day's gate)
    pandas_execution_engine.HASH_THRESHOLD = 0
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)  # one line per check is enough
    # one data source, asset and batch definition for every suite, each suite's rows passed as
    # the batch's dataframe: every add re-serialises the context's config (a data source per
    # suite: 0.6 s of a day's gate at scale 1)
    context.data_sources.add_pandas(SUITE_ROWS).add_dataframe_asset(name="rows").add_batch_definition_whole_dataframe(
        "all"
    )
    return context


def _dbt_failure_message(item: dict) -> str:
    message = (item.get("message") or item["status"]).strip().splitlines()[0]
    # dbt's "Got 3 results, configured to warn if != 0": the rows a test of severity warn found
    message = re.sub(r"^Got (\d+) results?, configured to warn if != 0$", r"\1 row(s)", message)
    if item.get("relation_name"):  # tests store their failing rows (store_failures)
        message += f"; failing rows in {item['relation_name']}"
    return message


def _validate(context, suite: Suite, frame: pd.DataFrame) -> list[CheckResult]:
    import great_expectations as gx

    batch = (
        context.data_sources.get(SUITE_ROWS)
        .get_asset("rows")
        .get_batch_definition("all")
        # nullable integers (pandas NA) break GX's comparisons: give it floats with NaN
        .get_batch(batch_parameters={"dataframe": _plain_dtypes(frame)})
    )
    # GX returns results in an order of its own (table-level checks first): each expectation
    # carries its check's position in its meta, and each result is paired by it, not by order
    expectations = gx.ExpectationSuite(
        name=suite.name,
        expectations=[
            getattr(gx.expectations, check.expectation)(**check.kwargs, meta={CHECK_META: position})
            for position, check in enumerate(suite.checks)
        ],
    )
    # a pass needs no rows: GX's COMPLETE results (the failing rows and values) cost as much again
    # as the checks (scale 1: 1.6 s of 3.2 s over every suite), so they are asked for only when
    # something failed, by validating that suite once more
    validation = batch.validate(expectations, result_format="BOOLEAN_ONLY")
    if not validation.success:
        validation = batch.validate(
            expectations,
            result_format={"result_format": "COMPLETE", "unexpected_index_column_names": list(suite.key)},
        )
    results = []
    for check, result in zip(suite.checks, _in_check_order(suite, validation.results), strict=True):
        described = ", ".join(f"{k}={v}" for k, v in check.kwargs.items() if k != "regex")
        unexpected = result.result.get("unexpected_index_list") or []
        if check.sensitive:  # name the rows, never show their values
            unexpected = [{key: row.get(key) for key in suite.key} for row in unexpected]
        results.append(
            CheckResult(
                "expectations",
                suite.name,
                f"{check.expectation}({described})",
                bool(result.success),
                failing_rows=int(result.result.get("unexpected_count") or (0 if result.success else 1)),
                sample=[{k: str(v) for k, v in row.items()} for row in unexpected[:SAMPLE_ROWS]],
                message="" if result.success else _observed(result.result) or _raised(result),
            )
        )
    return results


def _plain_dtypes(frame: pd.DataFrame) -> pd.DataFrame:
    nullable = [c for c in frame.columns if isinstance(frame[c].dtype, pd.api.extensions.ExtensionDtype)
                and frame[c].dtype.kind in "iuf"]  # fmt: skip
    return frame.astype({column: "float64" for column in nullable}) if nullable else frame


def _in_check_order(suite: Suite, results: list) -> list:
    """The validation results in the order of the suite's checks, paired by the meta each carries."""
    by_position = {}
    for result in results:
        position = (result.expectation_config.meta or {}).get(CHECK_META)
        if position in by_position or not isinstance(position, int) or not 0 <= position < len(suite.checks):
            raise RuntimeError(f"suite {suite.name}: a validation result names no check, or one twice: {position!r}")
        by_position[position] = result
    if len(by_position) != len(suite.checks):
        missing = [suite.checks[p].expectation for p in range(len(suite.checks)) if p not in by_position]
        raise RuntimeError(f"suite {suite.name}: no validation result for {', '.join(missing)}")
    return [by_position[position] for position in range(len(suite.checks))]


def _raised(result) -> str:
    """A check that could not be evaluated says why, instead of "failed on 1 row"."""
    info = result.exception_info or {}
    if isinstance(info, dict) and info.get("raised_exception"):
        return f"could not be evaluated: {str(info.get('exception_message', '')).splitlines()[0][:300]}"
    return ""


def _observed(result: dict) -> str:
    if "observed_value" in result:
        return f"observed {result['observed_value']}"
    return ""


def verdict_agreement(connection) -> list[CheckResult]:
    """How often an export's own on-time verdict agrees with the computed one: reported, never
    blocking (a city may count by date, or pause the clock), but a low figure warns anyone who
    would compare the published on-time rate with the city's own."""
    rows = connection.execute(
        "select source_profile, compared, agreeing, agreement_rate from marts.fct_source_timeliness_agreement "
        "where compared > 0 order by source_profile"
    ).fetchall()
    return [
        CheckResult(
            "report",
            "fct_source_timeliness_agreement",
            f"export's own on-time verdict agrees with the computed one ({profile})",
            True,
            message=f"{rate:.1%} of {compared} orders agree ({compared - agreeing} differ)",
        )
        for profile, compared, agreeing, rate in rows
    ]


def run_gate(settings: Settings, *, check_all: bool = False) -> GateReport:
    checks, invocation = dbt_checks(settings.dbt_target_dir / "run_results.json")
    raw_tables = sorted({profile.table for profile in load_profiles(settings.profiles_dirs)})
    suites = build_suites(raw_tables)
    # Great Expectations takes seconds to import, a fixed cost of every gate: it is imported in a
    # thread while DuckDB (which releases the GIL) scans the tables for personal data
    with (
        ThreadPoolExecutor(max_workers=1) as pool,
        connect(settings.warehouse_path, read_only=True, settings=settings) as connection,
    ):
        context = pool.submit(_expectations_context)
        # checks over tables unchanged since the last passing gate are reused (quality/reuse.py)
        reuse = load_reuse(settings, connection, suites, SCANNED_SCHEMAS, check_all=check_all)
        scanned = {table for table in reuse.fingerprints if table.split(".")[0] in SCANNED_SCHEMAS}
        rescan = {table for table in scanned if not reuse.reusable(f"pii:{table}", {table})}
        # the names looked for come from staging: when those moved, every mart is scanned again
        sources = {f"{schema}.{table}" for schema, table, *_ in (*PRIVATE_NAME_HASHES, PUBLIC_NAMES)}
        sources &= set(reuse.fingerprints)
        named = {table for table in scanned if table.split(".")[0] in NAME_SCANNED_SCHEMAS}
        rename = {table for table in named if not reuse.reusable(f"names:{table}", {table, *sources})}
        # of a table with a file column (the raw tables, the staged orders' last_file_id), only
        # the rows of new or changed files
        new_rows = {table: reuse.changed_sources(f"pii:{table}", table) for table in rescan}
        new_rows = {table: rows for table, rows in new_rows.items() if rows is not None}
        scans = [
            # clear phone and ID numbers, every text column
            *(personal_data_checks(connection, only=rescan, sources=new_rows) if rescan else []),
            *reuse.reused_scan("personal_data", "no clear phone or ID number", "pii", scanned - rescan),
            # callers' and representatives' names
            *(clear_name_checks(connection, settings.hash_key(), only=rename) if rename else []),
            *reuse.reused_scan(
                "personal_data", "no caller's or representative's name in clear", "names", named - rename
            ),
        ]
        for suite in suites:
            inputs = suite_inputs(suite)
            # a suite over one table is reused when that table is unchanged; one tying several
            # (a reconciliation: the towns add up to the city) always runs
            if len(inputs) == 1 and reuse.reusable(f"suite:{suite.name}", inputs):
                checks.extend(reuse.reused_suite(suite))
                continue
            reuse.checked_at[f"suite:{suite.name}"] = reuse.now
            frame = connection.execute(suite.query).df()
            checks.extend(_validate(context.result(), suite, frame))
        checks.extend(verdict_agreement(connection))
        checks.extend(scans)
        checks.extend(plausibility_checks(connection))  # rules from the plausibility_rules seed
        # the marts as hashed for reuse at the start, on this connection (a build cannot write meanwhile)
        marts = {
            name.split(".", 1)[1]: print_ for name, print_ in reuse.fingerprints.items() if name.startswith("marts.")
        }
        fingerprint = marts_fingerprint(connection, contents=marts)
    checked_at = dt.datetime.now().isoformat(timespec="seconds")
    report = _write(settings, GateReport(all(c.passed for c in checks), checks, fingerprint, invocation, checked_at))
    if report.passed:
        reuse.save(settings)
    return report


def record_failed_build(settings: Settings) -> GateReport:
    """A build whose dbt tests failed never reaches the expectations: say so in the gate report."""
    checks, invocation = dbt_checks(settings.dbt_target_dir / "run_results.json")
    return _write(
        settings, GateReport(False, checks, None, invocation, dt.datetime.now().isoformat(timespec="seconds"))
    )


def _write(settings: Settings, report: GateReport) -> GateReport:
    report.path = settings.quality_dir / "gate_report.json"
    settings.quality_dir.mkdir(parents=True, exist_ok=True)
    report.path.write_text(report.to_json(), encoding="utf-8")
    for failure in report.failures():
        log.error(
            "gate: %s: %s failed on %d row(s) %s", failure.table, failure.check, failure.failing_rows, failure.sample
        )
    return report
