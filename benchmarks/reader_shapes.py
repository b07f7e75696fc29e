"""How long reading one export takes, by its shape: the CPU seconds of `read_matched` (read, find
the header row, choose the profile, append the sheets that continue it) on the same rows written
as systems write them.

    .venv/bin/python benchmarks/reader_shapes.py                        # 20,000 rows a file
    .venv/bin/python benchmarks/reader_shapes.py --rows 100000 --only csv  # the CSV shapes

A benchmark, not a test: it prints a table and writes it to $HOTLINE_DATA_DIR/bench/reader_shapes.json.
Each shape is read --repeat times (the best is kept); "x plain" is against the plain CSV (with
--only, the first shape measured). The rows are the demo's (`hotline generate`), GB18030 for
the CSVs. Writing the workbooks takes most of the run (xlsxwriter, about 0.6 s a 1,000 rows).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from core.settings import PROJECT_DIR, get_settings
from demodata.hotline_exports import generate_hotline_exports
from ingestion.loader import read_matched
from ingestion.profiles import load_profiles
from ingestion.readers import decode_csv

TITLE = ["启东市12345政务服务便民热线工单明细表"], ["导出时间：2023-01-03 08:00:00"]


def demo_rows(rows: int, folder: Path) -> pd.DataFrame:
    """`rows` rows of the demo's exports (its CSVs, as text), repeated if it has fewer."""
    generate_hotline_exports(folder, scale=max(0.01, rows / 600_000))
    frames = [
        pd.read_csv(io.StringIO(decode_csv(path.read_bytes(), path)[0]), dtype=str, keep_default_na=False)
        for path in sorted(folder.glob("12345_gongdan_*.csv"))
    ]
    frame = pd.concat(frames, ignore_index=True)
    while len(frame) < rows:
        frame = pd.concat([frame, frame], ignore_index=True)
    return frame.iloc[:rows]


def csv_bytes(
    frame: pd.DataFrame, *, title: bool = False, quoting: int = csv.QUOTE_MINIMAL, row_end: str = ""
) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=quoting, lineterminator=f"{row_end}\r\n")
    if title:
        writer.writerows(TITLE)
    csv.writer(buffer, quoting=quoting, lineterminator="\r\n").writerow(frame.columns)  # the header: no row_end
    writer.writerows(frame.itertuples(index=False))
    return buffer.getvalue().encode("gb18030")


def write_xlsx(frame: pd.DataFrame, path: Path, *, title: bool = False, sheets: int = 1) -> None:
    with pd.ExcelWriter(path, engine="xlsxwriter") as book:
        size = -(-len(frame) // sheets)
        for number in range(sheets):
            part = frame.iloc[number * size : (number + 1) * size]
            name = f"工单{number + 1}"
            part.to_excel(book, sheet_name=name, index=False, startrow=len(TITLE) if title else 0)
            if title:
                for row, cells in enumerate(TITLE):
                    book.sheets[name].write(row, 0, cells[0])


SHAPES: dict[str, Callable[[pd.DataFrame, Path], None]] = {
    "csv": lambda frame, path: path.write_bytes(csv_bytes(frame)),
    "csv, a title above the header": lambda frame, path: path.write_bytes(csv_bytes(frame, title=True)),
    "csv, every cell quoted": lambda frame, path: path.write_bytes(csv_bytes(frame, quoting=csv.QUOTE_ALL)),
    "csv, a separator ending each row": lambda frame, path: path.write_bytes(csv_bytes(frame, row_end=",")),
    "xlsx": lambda frame, path: write_xlsx(frame, path),
    "xlsx, a title above the header": lambda frame, path: write_xlsx(frame, path, title=True),
    "xlsx, split over two sheets": lambda frame, path: write_xlsx(frame, path, sheets=2),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", default="", help="the shapes whose name starts with this (csv, xlsx)")
    args = parser.parse_args()
    profiles = load_profiles(PROJECT_DIR / "ingestion" / "profiles")
    results = {}
    with tempfile.TemporaryDirectory(prefix="reader-shapes-") as scratch:
        folder = Path(scratch)
        frame = demo_rows(args.rows, folder / "demo")
        for number, (shape, write) in enumerate(SHAPES.items(), start=1):
            if not shape.startswith(args.only):
                continue
            suffix = shape.split(",")[0]
            path = folder / f"12345_gongdan_202301{number:02d}.{suffix}"
            write(frame, path)
            seconds = []
            for _ in range(args.repeat):
                started = time.process_time()
                export, _ = read_matched(path, profiles)
                seconds.append(time.process_time() - started)
            assert export.rows == args.rows, (shape, export.rows)
            results[shape] = {
                "rows": args.rows,
                "cpu_seconds": round(min(seconds), 3),
                "megabytes": round(path.stat().st_size / 1e6, 1),
            }
    plain = results.get("csv", next(iter(results.values())))["cpu_seconds"]
    print(f"{'shape':34} {'MB':>6} {'CPU s':>7} {'x plain':>8}")
    for shape, figures in results.items():
        seconds = figures["cpu_seconds"]
        print(f"{shape:34} {figures['megabytes']:6.1f} {seconds:7.2f} {seconds / plain:8.2f}")
    target = get_settings().data_dir / "bench" / "reader_shapes.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"written to {target}")


if __name__ == "__main__":
    main()
