"""Ingest speed against the engine's own readers, and the whole pipeline's time and memory.

    make bench                       # scale 1: the city's 217,000 work orders, 731 daily exports
    make bench SCALE=10              # 2.17 M work orders
    .venv/bin/python benchmarks/bench.py --scale 0.1 --with-test-suite

A benchmark, not a test: it prints figures and writes them to $HOTLINE_DATA_DIR/bench/results.json,
and never fails on a number. Each ratio is measured in the same run as its reference, on the same
files (the hotline's daily exports, 12345_gongdan_*):

- engine limit: the bytes read by the engines themselves, with no validation: iconv turns GB18030
  into UTF-8, DuckDB's read_csv reads every CSV in one call with all columns as text, calamine
  reads the workbooks;
- naive pandas: pandas.read_csv (all columns text) per file, inserted into DuckDB, no checks.

The pipeline figures run each step as its own `hotline` process, as each Airflow task runs, so
a step's peak memory (process tree, children included) is its own.

The generated exports are kept under $HOTLINE_DATA_DIR/bench/scale-<S>/ and reused; each
measurement runs in a fresh folder beside them (hard links to the exports), removed afterwards.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import psutil

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR))
HOTLINE_EXPORTS = "12345_gongdan_*"


class PeakRss:
    """Samples the resident memory of this process and all its children (dbt, iconv) until stopped;
    with `children_only`, of the children alone: a step run as its own process is measured
    without the bench, which holds what its references left (650 MB after the naive pandas
    loader at scale 10)."""

    def __init__(self, interval: float = 0.05, *, children_only: bool = False) -> None:
        self.interval, self.peak, self._stop = interval, 0, threading.Event()
        self.children_only = children_only
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            total = 0
            for process in [*([] if self.children_only else [me]), *me.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):  # a child that just ended
                    total += process.memory_info().rss
            self.peak = max(self.peak, total)
            self._stop.wait(self.interval)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


LOADING_SECONDS: dict[str, float] = {}  # hotline ingest's loading process, by part (IngestReport.seconds)
CPU_SECONDS: dict[str, float] = {}  # label → CPU time (user + system, children included) of the last timed step


def _cpu() -> float:
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def timed(label: str, step: Callable[[], object]) -> tuple[float, object]:
    """Wall time of a step; its CPU time goes to CPU_SECONDS (on a shared machine wall time
    follows the other users' load; CPU time much less so)."""
    start, cpu = time.perf_counter(), _cpu()
    value = step()
    seconds = time.perf_counter() - start
    CPU_SECONDS[label] = _cpu() - cpu
    print(f"  {label:<38} {seconds:8.2f} s wall {CPU_SECONDS[label]:8.2f} s CPU  {str(value)[:60]}", flush=True)
    return seconds, value


def exports_at(scale: float, bench_dir: Path) -> Path:
    """The demo exports at this scale, generated once and kept (generation is not what is measured)."""
    data_dir = bench_dir / f"scale-{scale:g}"
    done = data_dir / "generated.json"
    if not done.exists():
        shutil.rmtree(data_dir, ignore_errors=True)
        from core.settings import Settings
        from pipeline import steps

        os.environ.pop("HOTLINE_LANDING_DIR", None)
        print(f"generating the demo exports at scale {scale:g} (once; kept in {data_dir})", flush=True)
        with PeakRss() as peak:
            seconds, summary = timed("generate", lambda: steps.generate(Settings(data_dir=data_dir), scale=scale))
        done.write_text(
            json.dumps(
                {
                    "seconds": round(seconds, 2),
                    "peak_rss_mb": round(peak.peak / 2**20),
                    "work_orders": summary.work_orders,
                    "rows": summary.rows,
                    "files": summary.files,
                }
            )
        )
    return data_dir / "landing"


def linked_copy(files: list[Path], landing: Path, into: Path) -> Path:
    """A landing folder holding the same files (hard links: no bytes copied)."""
    for path in files:
        target = into / path.relative_to(landing)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.link(path, target)
    return into


# --- the references --------------------------------------------------------------------


def engine_limit_read(files: list[Path], work: Path) -> int:
    """Rows read by iconv (GB18030 → UTF-8), one DuckDB read_csv over all CSVs (all text) and
    calamine (workbooks): what the engines alone take to read these bytes."""
    import duckdb
    from python_calamine import CalamineWorkbook

    utf8_dir = work / "utf8"
    utf8_dir.mkdir()
    csvs = []
    for path in files:
        if path.suffix.lower() != ".csv":
            continue
        try:
            path.read_bytes().decode("utf-8")
            csvs.append(path)
        except UnicodeDecodeError:
            target = utf8_dir / path.name
            with target.open("wb") as out:
                subprocess.run(["iconv", "-f", "GB18030", "-t", "UTF-8", str(path)], stdout=out, check=True)
            csvs.append(target)
    rows = 0
    with duckdb.connect() as connection:
        if csvs:
            rows += connection.execute(
                "select count(*) from read_csv(?, all_varchar = true, header = true)",
                [[str(path) for path in csvs]],
            ).fetchone()[0]
    for path in files:
        if path.suffix.lower() == ".xlsx":
            try:
                with CalamineWorkbook.from_path(str(path)) as book:
                    rows += max(len(book.get_sheet_by_index(0).to_python()) - 1, 0)
            except Exception:  # noqa: BLE001, S112 - a damaged demo workbook: the loader rejects it too
                continue
    return rows


def naive_pandas_load(files: list[Path], work: Path) -> int:
    """pandas.read_csv / read_excel per file, all columns text, appended to a DuckDB table: no checks."""
    import duckdb
    import pandas as pd

    rows = 0
    with duckdb.connect(str(work / "naive.duckdb")) as connection:
        for number, path in enumerate(files):
            try:
                if path.suffix.lower() == ".xlsx":
                    frame = pd.read_excel(path, dtype=str, engine="calamine")
                else:
                    try:
                        frame = pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=False)
                    except UnicodeDecodeError:
                        frame = pd.read_csv(path, dtype=str, encoding="gb18030", keep_default_na=False)
            except Exception:  # noqa: BLE001, S112 - the damaged workbook
                continue
            frame.columns = [f"c{i}" for i in range(len(frame.columns))]
            connection.register("frame", frame)
            if number == 0:
                connection.execute("create table landed as select * from frame")
            else:
                connection.execute("insert into landed by name select * from frame")
            connection.unregister("frame")
            rows += len(frame)
    return rows


# --- the runs ----------------------------------------------------------------------------


def hotline_ingest(data_dir: Path, landing: Path) -> dict:
    from core.settings import Settings
    from pipeline import steps

    os.environ["HOTLINE_LANDING_DIR"] = str(landing)
    try:
        report = steps.ingest(Settings(data_dir=data_dir))
    finally:
        os.environ.pop("HOTLINE_LANDING_DIR", None)
    # the loading process's time: waiting for files (the reading process), checking and masking,
    # waiting for writes; the largest says what bounds the ingest
    LOADING_SECONDS.update({part: round(seconds, 2) for part, seconds in report.seconds.items()})
    return {"read": report.rows_read, "loaded": report.rows_loaded, "quarantined": report.rows_quarantined}


def ingest_ratios(landing: Path, work: Path) -> dict:
    files = sorted(landing.glob(HOTLINE_EXPORTS))
    hotline = linked_copy(files, landing, work / "hotline-landing")
    files = sorted(hotline.iterdir())
    print(f"ingest against its references, on the {len(files)} hotline exports", flush=True)
    (work / "engine").mkdir()
    limit = "engine limit (iconv, DuckDB, calamine)"
    limit_s, limit_rows = timed(limit, lambda: engine_limit_read(files, work / "engine"))
    (work / "naive").mkdir()
    naive_s, naive_rows = timed("naive pandas loader", lambda: naive_pandas_load(files, work / "naive"))
    with PeakRss() as peak:
        ingest_s, counts = timed("hotline ingest", lambda: hotline_ingest(work / "ingest", hotline))
    spent = ", ".join(f"{part} {seconds:.1f} s" for part, seconds in LOADING_SECONDS.items())
    print(f"  {'':<38} its loading process: {spent}")
    cpu = {name: CPU_SECONDS[label] for name, label in (("limit", limit), ("naive", "naive pandas loader"))}
    cpu["ingest"] = CPU_SECONDS["hotline ingest"]
    ratios = {
        "to_engine_limit": round(ingest_s / limit_s, 2),
        "to_naive_pandas": round(ingest_s / naive_s, 2),
        "cpu_to_engine_limit": round(cpu["ingest"] / cpu["limit"], 2),
        "cpu_to_naive_pandas": round(cpu["ingest"] / cpu["naive"], 2),
    }
    print(
        f"  ingest ÷ engine limit {ratios['to_engine_limit']:.2f} wall, {ratios['cpu_to_engine_limit']:.2f} CPU; "
        f"÷ naive pandas {ratios['to_naive_pandas']:.2f} wall, {ratios['cpu_to_naive_pandas']:.2f} CPU"
    )
    return {
        "files": len(files),
        "ingest_seconds": round(ingest_s, 2),
        "ingest_peak_rss_mb": round(peak.peak / 2**20),
        "ingest_rows": counts,
        "ingest_loading_process_seconds": dict(LOADING_SECONDS),
        "engine_limit_seconds": round(limit_s, 2),
        "engine_limit_rows": limit_rows,
        "naive_pandas_seconds": round(naive_s, 2),
        "naive_pandas_rows": naive_rows,
        "cpu_seconds": {name: round(value, 2) for name, value in cpu.items()},
        "ratio": ratios,
    }


STEPS = (  # (key, label, CLI arguments): each step its own process, as each Airflow task is
    ("ingest", "ingest", ("ingest", "--allow-rejected")),
    ("build", "build (dbt build)", ("build",)),
    ("check", "check (quality gate)", ("check",)),
    ("publish", "publish", ("publish",)),
)


def hotline_step(data_dir: Path, *arguments: str) -> str:
    """One `hotline` command on this data folder, in its own process (as a DAG task runs it):
    what it holds in memory ends with it, as in a deployment."""
    environment = {**os.environ, "HOTLINE_DATA_DIR": str(data_dir)}
    environment.pop("HOTLINE_LANDING_DIR", None)
    done = subprocess.run(
        [str(Path(sys.executable).parent / "hotline"), *arguments], env=environment, capture_output=True, text=True
    )
    if done.returncode:
        raise SystemExit(f"hotline {' '.join(arguments)} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def pipeline_steps(data_dir: Path, suffix: str = "") -> dict:
    """ingest → build → check → publish, each timed with its peak memory (process tree)."""
    seconds, peaks = {}, {}
    start = time.perf_counter()
    for key, label, arguments in STEPS:
        with PeakRss(children_only=True) as peak:  # the step's process tree, not the bench
            seconds[key], _ = timed(label + suffix, lambda arguments=arguments: hotline_step(data_dir, *arguments))
        peaks[key] = round(peak.peak / 2**20)
        print(f"  {'':<38} peak RSS {peaks[key]} MB", flush=True)
    wall = time.perf_counter() - start
    return {
        "wall_seconds": round(wall, 2),
        "peak_rss_mb": max(peaks.values()),
        "steps_seconds": {k: round(v, 2) for k, v in seconds.items()},
        "steps_peak_rss_mb": peaks,
    }


def full_pipeline(landing: Path, work: Path) -> dict:
    """ingest → build → check → publish on every landed export, as the daily run does."""
    data_dir = work / "pipeline"
    linked_copy(sorted(p for p in landing.rglob("*") if p.is_file()), landing, data_dir / "landing")
    print("full pipeline (ingest → build → check → publish, each its own process)", flush=True)
    figures = pipeline_steps(data_dir)
    wall, peak = figures["wall_seconds"], figures["peak_rss_mb"]
    print(f"  pipeline wall time {wall:.1f} s, peak RSS {peak} MB (the largest step's process tree)")
    return figures


def _export_day(path: Path) -> str | None:
    """The day a hotline export is of (12345_gongdan_YYYYMMDD...), None for other files."""
    stem = path.name.removeprefix(HOTLINE_EXPORTS[:-1])
    return stem[:8] if path.name.startswith(HOTLINE_EXPORTS[:-1]) and stem[:8].isdigit() else None


def one_day_pipeline(landing: Path, work: Path, full: dict) -> dict:
    """The daily run: the pipeline on every export but the last day's (not timed), then that
    day's export landed and ingest → build → check → publish timed, ÷ the full pipeline's."""
    files = sorted(p for p in landing.rglob("*") if p.is_file())
    last_day = max(day for day in map(_export_day, files) if day)
    data_dir = work / "one-day"
    linked_copy([p for p in files if _export_day(p) != last_day], landing, data_dir / "landing")
    print(f"one day's run: the pipeline on every export before {last_day} (not timed), then that day's", flush=True)
    setup_start = time.perf_counter()
    for _, _, arguments in STEPS:
        hotline_step(data_dir, *arguments)
    print(f"  history built and published in {time.perf_counter() - setup_start:.1f} s", flush=True)
    linked_copy([p for p in files if _export_day(p) == last_day], landing, data_dir / "landing")
    day = pipeline_steps(data_dir, " (one day)")
    wall, steps_s = day["wall_seconds"], day["steps_seconds"]
    ratio = round(wall / full["wall_seconds"], 3)
    per_step = {
        k: round(v / full["steps_seconds"][k], 3) if full["steps_seconds"][k] else None for k, v in steps_s.items()
    }
    print(f"  one day's run {wall:.1f} s = {ratio:.3f} × the full pipeline; per step {per_step}")
    return {
        "day": last_day,
        **day,
        "ratio_to_full": ratio,
        "steps_ratio_to_full": per_step,
    }


def test_suite() -> dict:
    print("make test (the whole suite; long)", flush=True)
    start = time.perf_counter()
    done = subprocess.run(["make", "test"], cwd=PROJECT_DIR, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    print(f"  make test {seconds:.0f} s (exit {done.returncode})")
    return {"wall_seconds": round(seconds, 1), "exit_code": done.returncode}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1 = 217,000 work orders; 10 = 2.17 M")
    parser.add_argument("--skip-pipeline", action="store_true", help="only the ingest ratios")
    parser.add_argument("--with-test-suite", action="store_true", help="also time `make test` (long)")
    arguments = parser.parse_args()

    os.environ.setdefault("HOTLINE_HASH_KEY", "benchmark-key")
    data_root = Path(os.environ.get("HOTLINE_DATA_DIR", PROJECT_DIR / "data")).resolve()
    bench_dir = data_root / "bench"
    bench_dir.mkdir(parents=True, exist_ok=True)
    landing = exports_at(arguments.scale, bench_dir)
    generated = json.loads((landing.parent / "generated.json").read_text())
    results = {
        "measured_at": dt.datetime.now().isoformat(timespec="seconds"),
        "scale": arguments.scale,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "load_1min": os.getloadavg()[0]},
        "generated": generated,
    }
    work = Path(tempfile.mkdtemp(prefix="run-", dir=bench_dir))
    try:
        results["ingest"] = ingest_ratios(landing, work)
        if not arguments.skip_pipeline:
            # both pipelines run in this process: Great Expectations (seconds to import) is imported
            # before either, so neither gate pays it and the one-day ratio compares like with like
            from quality.gate import _expectations_context

            _expectations_context()
            results["pipeline"] = full_pipeline(landing, work)
            shutil.rmtree(work / "pipeline", ignore_errors=True)  # disk: the one-day run needs its own
            results["one_day"] = one_day_pipeline(landing, work, results["pipeline"])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if arguments.with_test_suite:
        results["test_suite"] = test_suite()
    out = bench_dir / "results.json"
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(
        f"\nscale {arguments.scale:g}: {generated['work_orders']} work orders, {generated['rows']} rows, "
        f"{generated['files']} files; figures in {out}"
    )


if __name__ == "__main__":
    main()
