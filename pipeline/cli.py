"""`hotline`: one subcommand per pipeline step, for engineers who run or debug a step by hand.

The subcommands call the same functions as the Airflow tasks (pipeline.steps).
"""

from __future__ import annotations

import datetime as dt
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich import box
from rich.cells import cell_len
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from core import kpi_definitions
from core.errors import PipelineError
from core.settings import get_settings
from pipeline import steps

app = typer.Typer(help="12345 hotline warehouse: generate, ingest, build, check, publish.", no_args_is_help=True)
console = Console(soft_wrap=True)  # a one-line message stays one line, whatever the terminal width
T = TypeVar("T")


@contextmanager
def progress_bar(label: str) -> Iterator[Callable[[int, int, str], None]]:
    with Progress(
        TextColumn(f"[bold]{label}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as progress:
        task = progress.add_task("", total=None)

        def update(done: int, total: int, item: str) -> None:
            progress.update(task, completed=done, total=total, description=item)

        yield update


def run_step(step: Callable[[], T]) -> T:
    """Run a step; a problem the user can fix ends in one line, not a traceback."""
    try:
        return step()
    except PipelineError as error:
        console.print(f"[red]error:[/red] {error}", soft_wrap=True)
        raise typer.Exit(code=1) from None


@app.callback()
def main(verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log each step's details.")] = False) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )


@app.command()
def generate(
    scale: Annotated[float, typer.Option(help="1.0 = the city's 217,000 work orders over 2022-2023.")] = 1.0,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same files.")] = 12345,
    force: Annotated[bool, typer.Option(help="Write even if the landing folder already holds exports.")] = False,
) -> None:
    """Write the demo data set: daily 12345 exports for 2022-2023 (CSV in GB18030/UTF-8, XLSX)."""
    settings = get_settings()
    if not force and settings.landing_dir.is_dir() and any(settings.landing_dir.iterdir()):
        console.print(f"{settings.landing_dir} already holds exports; nothing generated (use --force to write anyway)")
        return
    with progress_bar("generate") as update:
        summary = run_step(lambda: steps.generate(settings, scale=scale, seed=seed, progress=update))
    console.print(
        f"{summary.files} export files, {summary.rows} rows, {summary.work_orders} work orders, "
        f"{summary.topics} committee topics and the office's registers → {settings.landing_dir}"
    )


@app.command()
def ingest(
    until: Annotated[str | None, typer.Option(help="Only exports dated up to this day (YYYY-MM-DD).")] = None,
    as_of: Annotated[
        str | None, typer.Option(help="Export date (YYYY-MM-DD) of files whose profile takes it from the command line.")
    ] = None,
    allow_rejected: Annotated[
        bool, typer.Option(help="Exit 0 even when files were rejected (they are in the ledger either way).")
    ] = False,
) -> None:
    """Load every landed export not yet in the ledger into the raw schema."""
    settings = get_settings()
    until_date = run_step(lambda: _parse_date(until, "--until")) if until else None
    as_of_date = run_step(lambda: _parse_date(as_of, "--as-of")) if as_of else None
    with progress_bar("ingest") as update:
        report = run_step(lambda: steps.ingest(settings, until=until_date, as_of=as_of_date, progress=update))
    _print_ingest(report)
    if report.rejected and not allow_rejected:
        console.print(
            f"[red]error:[/red] {len(report.rejected)} file(s) rejected (listed above); fix them and run again, "
            "or pass --allow-rejected",
            soft_wrap=True,
        )
        raise typer.Exit(code=1)


def _print_ingest(report) -> None:
    console.print(report.summary())
    if report.files_loaded:
        console.print(f"[dim]{report.time_spent()}[/dim]")
    for name, reason in report.rejected:
        console.print(f"[yellow]rejected[/yellow] {name}: {reason}", soft_wrap=True)


@app.command()
def reload(
    files: Annotated[
        list[str] | None, typer.Argument(help="Files to reload, as paths under the landing folder.")
    ] = None,
    profile: Annotated[str | None, typer.Option(help="Reload every file loaded through this profile.")] = None,
    as_of: Annotated[
        str | None, typer.Option(help="Export date (YYYY-MM-DD) of files whose profile takes it from the command line.")
    ] = None,
) -> None:
    """Read again files already loaded (after a profile was fixed) and retry their quarantined rows."""
    settings = get_settings()
    as_of_date = run_step(lambda: _parse_date(as_of, "--as-of")) if as_of else None
    with progress_bar("reload") as update:
        report = run_step(
            lambda: steps.reload(settings, profile_name=profile, names=files, as_of=as_of_date, progress=update)
        )
    _print_ingest(report)


@app.command()
def build(
    full_refresh: Annotated[
        bool, typer.Option("--full-refresh", help="Rebuild every model, not only what new exports changed.")
    ] = False,
) -> None:
    """Run dbt build (seeds, models, data tests, unit tests) on the warehouse."""
    results = run_step(lambda: steps.build(get_settings(), full_refresh=full_refresh))
    console.print(f"dbt build: {len(results)} nodes passed")


@app.command()
def check(
    check_all: Annotated[
        bool, typer.Option("--all", help="Run every check, reusing none from the last passing gate.")
    ] = False,
) -> None:
    """Run the quality gate (dbt test results + expectation suites); exit 1 when it fails."""
    from quality.results import warning_lines

    report = run_step(lambda: steps.check(get_settings(), check_all=check_all))
    found = warning_lines(report.checks)
    console.print(
        f"quality gate passed: {len(report.checks)} checks"
        + (f", {len(found)} warning(s)" if found else "")
        + f"; report {report.path}"
    )
    _print_warnings(found)


def _print_warnings(lines: list[str], limit: int = 10) -> None:
    for line in lines[:limit]:
        console.print(f"[yellow]warning[/yellow] {line}", soft_wrap=True)
    if len(lines) > limit:
        console.print(f"… and {len(lines) - limit} more warnings in the gate report")


@app.command()
def publish(
    target: Annotated[
        str,
        typer.Option(
            help="duckdb: the gated marts to data/published/; postgres: that publication into HOTLINE_PG_DSN."
        ),
    ] = "duckdb",
) -> None:
    """Publish the gated marts to data/published/ for BI tools (or, --target postgres, on to PostgreSQL)."""
    if target == "postgres":
        import psycopg

        try:
            report = run_step(lambda: steps.publish_postgres(get_settings()))
        except psycopg.OperationalError as error:  # server unreachable, login refused: one line, not a traceback
            console.print(f"[red]error:[/red] PostgreSQL (HOTLINE_PG_DSN): {' '.join(str(error).split())}")
            raise typer.Exit(code=1) from None
    elif target == "duckdb":
        report = run_step(lambda: steps.publish(get_settings()))
    else:
        console.print(f"[red]error:[/red] --target {target}: use duckdb or postgres")
        raise typer.Exit(code=1)
    console.print(report.summary())


PERIOD_LABELS = {
    "yearly": lambda start: start[:4],
    "quarterly": lambda start: f"{start[:4]}-Q{(int(start[5:7]) + 2) // 3}",
    "monthly": lambda start: start[:7],
}
# how `hotline kpis` shows a KPI of each unit (the unit is in the KPI definitions)
UNIT_FORMATS = {
    "count": "{:,}".format,
    "rate": "{:.2%}".format,
    "change": "{:+.1%}".format,
    "working_days": "{:.1f}".format,
}


def kpi_table_columns(grain: str) -> list[tuple[str, str, Callable]]:
    """(header, key, format) of each column of `hotline kpis`: the period, then the headline KPIs
    of the definitions under their Chinese labels."""
    return [
        ("期间", "period_start", PERIOD_LABELS[grain]),
        ("状态", "period_status", lambda status: kpi_definitions.PERIOD_STATUS_LABELS.get(status, status)),
        *((kpi.label_zh, kpi.name, UNIT_FORMATS[kpi.unit]) for kpi in kpi_definitions.published_kpis() if kpi.headline),
    ]


@app.command()
def kpis(grain: Annotated[str, typer.Option(help="yearly, quarterly or monthly")] = "yearly") -> None:
    """Show the published KPIs as a table."""
    if grain not in PERIOD_LABELS:
        console.print(f"[red]error:[/red] --grain {grain}: use yearly, quarterly or monthly")
        raise typer.Exit(code=1)
    settings = get_settings()
    document = run_step(lambda: steps.published_kpis(settings))
    columns = run_step(lambda: kpi_table_columns(grain))
    rows = [[fmt(row[key]) if row.get(key) is not None else "–" for _, key, fmt in columns] for row in document[grain]]
    # no figure is cut short: KPIs that do not fit beside the period go on to a table of their own,
    # under the same period and status
    widths = [
        2 + max(cell_len(text) for text in [header, *(row[j] for row in rows)])
        for j, (header, _, _) in enumerate(columns)
    ]
    groups: list[list[int]] = []
    for j in range(2, len(columns)):
        if not groups or sum(widths[k] for k in [0, 1, *groups[-1], j]) > console.width:
            groups.append([])
        groups[-1].append(j)
    for number, group in enumerate(groups):
        table = Table(
            title=f"12345 hotline KPIs, {grain} (data as of {document['data_as_of']})" if number == 0 else None,
            caption="及时签收: within the time_limits seed; 按时办结: by each order's deadline (the export's own "
            "or its limit, else the seed's; fct_cases.deadline_source)"
            if number == len(groups) - 1
            else None,
            box=box.SIMPLE_HEAD,
            pad_edge=False,
            collapse_padding=True,
        )
        for j in [0, 1, *group]:
            table.add_column(columns[j][0], justify="right", no_wrap=True)
        for row in rows:
            table.add_row(*(row[j] for j in [0, 1, *group]))
        console.print(table)
    console.print(f"published: {settings.published_dir / 'warehouse.duckdb'}")


@app.command()
def report() -> None:
    """What the last runs did: files loaded and rejected, the quality gate, the publication."""
    state = run_step(lambda: steps.status(get_settings()))
    console.print(
        f"loaded: {state['files_loaded']} files, {state['rows_read']:,} rows read = {state['rows_loaded']:,} loaded "
        f"+ {state['rows_quarantined']:,} quarantined (raw.quarantine); newest export {state['newest_export']}"
    )
    for name, reason in state["rejected"]:
        console.print(f"[yellow]rejected[/yellow] {name}: {reason}", soft_wrap=True)
    for name, warning in state["warnings"][:20]:
        console.print(f"[yellow]warning[/yellow] {name}: {warning}", soft_wrap=True)
    if len(state["warnings"]) > 20:
        console.print(f"… and {len(state['warnings']) - 20} more files with warnings (raw.load_ledger.warnings)")
    gate = state["gate"]
    if gate is None:
        console.print("quality gate: not run yet")
    else:
        from quality.results import warning_lines

        failed = [check for check in gate["checks"] if not check["passed"]]
        verdict = "[green]passed[/green]" if gate["passed"] else f"[red]failed[/red] ({len(failed)} checks)"
        console.print(
            f"quality gate {verdict}: {len(gate['checks'])} checks at {gate['checked_at']}; {state['gate_path']}"
        )
        _print_warnings(warning_lines(gate["checks"]))
    publication = state["publication"]
    if publication is None:
        console.print("publication: nothing published yet")
    else:
        console.print(
            f"published {publication['published_at']} (data as of {publication['data_as_of']}, "
            f"fingerprint {publication['fingerprint'][:12]}): {state['published_file']}"
        )
        for label, page in state["published_docs"].items():  # pages to open in a browser, offline
            console.print(f"{label}: {page}", soft_wrap=True)


@app.command(name="scoring-workbook")
def scoring_workbook(quarter: Annotated[str, typer.Option(help="The quarter, e.g. 2023Q4.")]) -> None:
    """Write the office's scoring workbook for a quarter from the published marts."""
    path, members = run_step(lambda: steps.scoring_workbook(get_settings(), quarter))
    console.print(f"{members} members scored for {quarter}: {path}")


@app.command()
def attention(units: Annotated[int, typer.Option(help="Show this many units with the most late items.")] = 10) -> None:
    """What is late as of the last publication, per kind and per unit (the workbook lists every item)."""
    summary = run_step(lambda: steps.attention(get_settings()))
    table = Table(title="需关注事项 attention items", box=box.SIMPLE_HEAD, pad_edge=False)
    for header in ("事项类型", "条数", "数据截至"):
        table.add_column(header, justify="right" if header == "条数" else "left")
    for label, count, as_of in summary["by_kind"]:
        table.add_row(label, str(count), str(as_of or ""))
    console.print(table)
    if summary["by_unit"]:
        console.print("责任单位 (units with the most late items):")
    for unit, count in summary["by_unit"][:units]:
        console.print(f"  {unit}: {count}")
    console.print(f"workbook: {summary['workbook']}")


@app.command(name="run")
def run_all(
    until: Annotated[str | None, typer.Option(help="Only exports dated up to this day (YYYY-MM-DD).")] = None,
) -> None:
    """Ingest, build, check and publish, in one go (what the daily DAG does; rejected files are reported)."""
    ingest(until=until, as_of=None, allow_rejected=True)
    build()
    check()
    publish()
    if get_settings().pg_dsn:
        publish(target="postgres")


profiles_app = typer.Typer(help="Source profiles: check exports against them, draft one for a new layout.")
app.add_typer(profiles_app, name="profiles")


# what staging makes of a value outside a column's vocabulary (stg_hotline__work_orders)
OUTSIDE_VOCABULARY_BECOMES = {
    "appeal_type": "become 其他",
    "channel": "become 其他",
    "status": "become 未知",
    "satisfaction": "count as not rated",
}


@profiles_app.command("check")
def profiles_check(
    files: Annotated[list[Path], typer.Argument(help="Export files to read through their profile.")],
    as_of: Annotated[str | None, typer.Option(help="Export date for profiles dated on the command line.")] = None,
) -> None:
    """Read files through their profile without loading anything, and say what would happen."""
    from ingestion.profile_check import check_file
    from ingestion.profiles import load_profiles

    settings = get_settings()
    profiles = run_step(lambda: load_profiles(settings.profiles_dirs))
    as_of_date = run_step(lambda: _parse_date(as_of, "--as-of")) if as_of else None
    failed = False
    for path in files:
        result = check_file(path, profiles, as_of=as_of_date)
        console.rule(str(path))
        if result.error:
            console.print(f"[red]rejected:[/red] {result.error}", soft_wrap=True)
            failed = True
            continue
        loadable = result.rows + result.malformed_rows - result.rows_quarantined
        console.print(
            f"profile {result.profile}: {result.rows + result.malformed_rows} rows → {loadable} would load, "
            f"{result.rows_quarantined} would be quarantined; export date "
            + (str(result.snapshot_date) if result.snapshot_date else f"[red]none[/red] ({result.snapshot_problem})"),
            soft_wrap=True,
        )
        failed |= result.snapshot_date is None
        if result.rows + result.malformed_rows and not loadable:
            console.print("[red]no row would load[/red]: fix the profile (the reasons are below)", soft_wrap=True)
            failed = True
        elif loadable < result.rows_quarantined:
            # a real export has few bad rows: most of them quarantined is a column the profile misreads
            console.print(
                "[red]most rows would be quarantined[/red]: the profile likely misreads a column; "
                "fix it (the reasons are below) or, if the export is this bad, correct it first",
                soft_wrap=True,
            )
            failed = True
        for note in result.notes:
            console.print(f"[yellow]{note}[/yellow]", soft_wrap=True)
        console.print(f"headers read: {', '.join(result.matched_headers) or '–'}", soft_wrap=True)
        if result.unused_headers:
            console.print(f"headers no column reads: {', '.join(result.unused_headers)}", soft_wrap=True)
        if result.missing_headers:
            console.print(
                f"[yellow]headers the profile names but the file lacks:[/yellow] {', '.join(result.missing_headers)}"
            )
        if result.empty_columns:
            console.print(f"[yellow]columns that come out empty:[/yellow] {', '.join(result.empty_columns)}")
        if result.working_days:  # `calendar: MA` is Morocco: said before it loads
            console.print(f"working days (calendar:): {result.working_days}", soft_wrap=True)
        if result.void_rows:
            console.print(
                f"void orders (已作废, by the status map or void_when): {result.void_rows}; they load and count "
                "in no KPI but 作废工单量 (voided_orders)",
                soft_wrap=True,
            )
        for column, counts in result.outside_vocabulary.items():
            shown = ", ".join(f"{value!r} ×{n}" for value, n in counts.most_common(8))
            fate = (
                "quarantined: not in `allowed:`"
                if column in result.allowed_columns
                else OUTSIDE_VOCABULARY_BECOMES.get(column, "become 其他/未知")
            )
            console.print(
                f"[yellow]{column} values outside the vocabulary[/yellow] ({fate}; map them): {shown}",
                soft_wrap=True,
            )
        for reason, n in result.quarantine_reasons.most_common(10):
            first = result.first_quarantined.get(reason)
            console.print(
                f"[yellow]quarantined[/yellow] ×{n}: {reason}" + (f" (first: {first})" if first else ""),
                soft_wrap=True,
            )
        if result.malformed_rows:
            console.print(f"[yellow]quarantined[/yellow] ×{result.malformed_rows}: lines that do not split into cells")
        for reason, n in result.out_of_order.most_common(4):
            fate = (
                "they load with the later time emptied (out_of_order_times: clear)"
                if result.out_of_order_policy == "clear"
                else "they load, and the gate's plausibility checks then stop the publication; correct the "
                "export, or set `out_of_order_times: quarantine` (or `clear`, to keep the row without that "
                "time) in the profile"
            )
            console.print(f"[yellow]times out of order[/yellow] ×{n}: {reason}: {fate}", soft_wrap=True)
        if result.kpis:
            table = Table("KPI", "supported", "why not", box=box.SIMPLE_HEAD, pad_edge=False)
            for kpi, (ok, why) in result.kpis.items():
                table.add_row(kpi, "yes" if ok else "[red]no[/red]", why)
            console.print(table)
    if failed:
        raise typer.Exit(code=1)


@profiles_app.command("draft")
def profiles_draft(
    file: Annotated[Path, typer.Argument(help="An export of the new layout.")],
    output: Annotated[Path | None, typer.Option(help="Write the profile here (default: print it).")] = None,
    name: Annotated[str | None, typer.Option(help="The profile's name (default: from the file name).")] = None,
) -> None:
    """Write a starting profile from a file's headers and values; then edit the lines marked TODO."""
    from ingestion.drafting import draft

    report = run_step(lambda: draft(file, name=name))
    if output is None:
        print(report.text)
    else:
        if output.exists():
            console.print(f"[red]error:[/red] {output} exists; choose another --output or remove it", soft_wrap=True)
            raise typer.Exit(code=1)
        output.write_text(report.text, encoding="utf-8")
        console.print(f"profile {report.name} → {output}; {len(report.todo_lines)} line(s) marked TODO to check")
    notes = Console(stderr=True)  # stdout stays the YAML alone, for `> profile.yaml`
    for todo in report.todos:
        notes.print(f"[yellow]TODO[/yellow] {todo}", soft_wrap=True)


@app.command(name="calendar-seed")
def calendar_seed() -> None:
    """Rewrite dbt_project/seeds/cn_calendar.csv from the installed chinesecalendar package."""
    from pipeline.calendar_seed import write_calendar_seed

    path = get_settings().dbt_project_dir / "seeds" / "cn_calendar.csv"
    console.print(f"{write_calendar_seed(path)} days written to {path}")


def _parse_date(text: str, option: str = "--until") -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise PipelineError(f"{option} {text}: not a date; write it as YYYY-MM-DD") from None


if __name__ == "__main__":
    sys.exit(app())
