"""`hotline`: one subcommand per pipeline step, for engineers who run or debug a step by hand.

The subcommands call the same functions as the Airflow tasks (pipeline.steps).
"""

from __future__ import annotations

import datetime as dt
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, TypeVar

import typer
from rich import box
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from pipeline import steps
from pipeline.errors import PipelineError
from pipeline.settings import get_settings

app = typer.Typer(help="12345 hotline warehouse: generate, ingest, build, check, publish.", no_args_is_help=True)
console = Console()
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
) -> None:
    """Load every landed export not yet in the ledger into the raw schema."""
    settings = get_settings()
    until_date = run_step(lambda: _parse_date(until)) if until else None
    with progress_bar("ingest") as update:
        report = run_step(lambda: steps.ingest(settings, until=until_date, progress=update))
    console.print(report.summary())
    for name, reason in report.rejected:
        console.print(f"[yellow]rejected[/yellow] {name}: {reason}", soft_wrap=True)


@app.command()
def build() -> None:
    """Run dbt build (seeds, models, data tests, unit tests) on the warehouse."""
    results = run_step(lambda: steps.build(get_settings()))
    console.print(f"dbt build: {len(results)} nodes passed")


@app.command()
def check() -> None:
    """Run the quality gate (dbt test results + expectation suites); exit 1 when it fails."""
    report = run_step(lambda: steps.check(get_settings()))
    console.print(f"quality gate passed: {len(report.checks)} checks; report {report.path}")


@app.command()
def publish() -> None:
    """Publish the gated marts to data/published/ for BI tools."""
    report = run_step(lambda: steps.publish(get_settings()))
    console.print(report.summary())


PERIOD_LABELS = {
    "yearly": lambda start: start[:4],
    "quarterly": lambda start: f"{start[:4]}-Q{(int(start[5:7]) + 2) // 3}",
    "monthly": lambda start: start[:7],
}


@app.command()
def kpis(grain: Annotated[str, typer.Option(help="yearly, quarterly or monthly")] = "yearly") -> None:
    """Show the published KPIs as a table."""
    if grain not in PERIOD_LABELS:
        console.print(f"[red]error:[/red] --grain {grain}: use yearly, quarterly or monthly")
        raise typer.Exit(code=1)
    settings = get_settings()
    document = run_step(lambda: steps.published_kpis(settings))
    table = Table(
        title=f"12345 hotline KPIs, {grain} (data as of {document['data_as_of']})",
        caption="signed / completed: on time, within the limits of the time_limits seed",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        collapse_padding=True,
    )
    columns = [
        ("period", "period_start", PERIOD_LABELS[grain]),
        ("orders", "work_orders", "{:,}".format),
        ("YoY", "work_orders_yoy", "{:+.1%}".format),
        ("complaints", "complaints", "{:,}".format),
        ("YoY", "complaints_yoy", "{:+.1%}".format),
        ("signed", "signed_on_time_rate", "{:.2%}".format),
        ("completed", "completed_on_time_rate", "{:.2%}".format),
        ("satisfied", "satisfaction_rate", "{:.2%}".format),
    ]
    for header, _, _ in columns:
        table.add_column(header, justify="right", no_wrap=True)
    for row in document[grain]:
        table.add_row(*(fmt(row[key]) if row[key] is not None else "–" for _, key, fmt in columns))
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
    gate = state["gate"]
    if gate is None:
        console.print("quality gate: not run yet")
    else:
        failed = [check for check in gate["checks"] if not check["passed"]]
        verdict = "[green]passed[/green]" if gate["passed"] else f"[red]failed[/red] ({len(failed)} checks)"
        console.print(
            f"quality gate {verdict}: {len(gate['checks'])} checks at {gate['checked_at']}; {state['gate_path']}"
        )
    publication = state["publication"]
    if publication is None:
        console.print("publication: nothing published yet")
    else:
        console.print(
            f"published {publication['published_at']} (data as of {publication['data_as_of']}, "
            f"fingerprint {publication['fingerprint'][:12]}): {state['published_file']}"
        )


@app.command(name="scoring-workbook")
def scoring_workbook(quarter: Annotated[str, typer.Option(help="The quarter, e.g. 2023Q4.")]) -> None:
    """Write the office's scoring workbook for a quarter from the published marts."""
    path, members = run_step(lambda: steps.scoring_workbook(get_settings(), quarter))
    console.print(f"{members} members scored for {quarter}: {path}")


@app.command(name="run")
def run_all(
    until: Annotated[str | None, typer.Option(help="Only exports dated up to this day (YYYY-MM-DD).")] = None,
) -> None:
    """Ingest, build, check and publish, in one go (what the daily DAG does)."""
    ingest(until=until)
    build()
    check()
    publish()


@app.command(name="calendar-seed")
def calendar_seed() -> None:
    """Rewrite dbt_project/seeds/cn_calendar.csv from the installed chinesecalendar package."""
    from pipeline.calendar_seed import write_calendar_seed

    path = get_settings().dbt_project_dir / "seeds" / "cn_calendar.csv"
    console.print(f"{write_calendar_seed(path)} days written to {path}")


def _parse_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise PipelineError(f"--until {text}: not a date; write it as YYYY-MM-DD") from None


if __name__ == "__main__":
    sys.exit(app())
