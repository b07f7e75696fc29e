"""Loading landed files into the raw schema: once per file, every row loaded or quarantined."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from ingestion import ledger
from ingestion.masking import keyed_hash, mask_text
from ingestion.profiles import SourceProfile
from ingestion.readers import RawExport, read_export
from ingestion.validation import row_problems
from pipeline.errors import PipelineError

log = logging.getLogger(__name__)

Progress = Callable[[int, int, str], None]


@dataclass
class IngestReport:
    files_seen: int = 0
    files_loaded: int = 0
    files_already_loaded: int = 0
    files_not_due: int = 0
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (file name, reason)
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0

    def summary(self) -> str:
        return (
            f"{self.files_loaded} files loaded ({self.rows_read} rows read: {self.rows_loaded} loaded, "
            f"{self.rows_quarantined} quarantined), {self.files_already_loaded} already loaded, "
            f"{len(self.rejected)} rejected, {self.files_not_due} after the run's date"
        )


def match_profile(path: Path, headers: list[str], profiles: list[SourceProfile]) -> SourceProfile:
    for profile in profiles:
        if profile.matches(path.name, headers):
            return profile
    by_name = [profile for profile in profiles if profile.filename_pattern.search(path.name)]
    if by_name:
        missing = [header for header in by_name[0].headers_include if header not in headers]
        raise PipelineError(
            f"{path}: column {', '.join(missing)} missing for profile {by_name[0].name}; "
            "add it to the export or map it in a source profile"
        )
    raise PipelineError(
        f"{path}: no source profile matches this file name; add a profile under ingestion/profiles/ for this layout"
    )


def snapshot_date_of(path: Path, profiles: list[SourceProfile]) -> dt.date | None:
    for profile in profiles:
        if profile.filename_pattern.search(path.name):
            return profile.snapshot_date(path.name)
    return None


def _masked(mapped: pd.DataFrame, profile: SourceProfile, key: bytes) -> pd.DataFrame:
    masked = mapped.copy()
    for column in profile.columns:
        if column.personal == "hash":
            masked[column.name] = keyed_hash(mapped[column.name], key)
        elif column.personal == "mask_text":
            masked[column.name] = mask_text(mapped[column.name])
    return masked


def _mapped(export: RawExport, profile: SourceProfile) -> pd.DataFrame:
    """Canonical columns as text; a mapped header absent from this export gives empty cells."""
    frame = export.frame
    return pd.DataFrame(
        {
            column.name: (frame[column.header].fillna("") if column.header in frame else "")
            for column in profile.columns
        },
        index=frame.index,
    ).astype("string")


def load_file(
    connection: duckdb.DuckDBPyConnection,
    path: Path,
    file_id: str,
    profiles: list[SourceProfile],
    key: bytes,
    loaded_at: dt.datetime,
) -> ledger.LedgerEntry:
    """Load one file in one transaction. Raises PipelineError when the file cannot be read at all."""
    export = read_export(path)
    profile = match_profile(path, list(export.frame.columns), profiles)
    mapped = _masked(_mapped(export, profile), profile, key)
    typed, problems = row_problems(mapped, profile)

    good = problems.eq("")
    rows = typed[good].copy()
    rows["_file_id"] = file_id
    rows["_file_name"] = path.name
    rows["_row_number"] = pd.Series(export.row_numbers, index=typed.index)[good].astype("int32")
    rows["_snapshot_date"] = profile.snapshot_date(path.name)
    rows["_loaded_at"] = loaded_at

    headers = {column.name: column.header for column in profile.columns}
    quarantined = pd.DataFrame(
        {
            "file_id": file_id,
            "file_name": path.name,
            "source_profile": profile.name,
            "row_number": pd.Series(export.row_numbers, index=typed.index)[~good].astype("int32"),
            "reason": problems[~good],
            "raw_values": [
                json.dumps({headers[name]: value for name, value in row.items()}, ensure_ascii=False)
                for row in mapped[~good].to_dict("records")
            ],
            "quarantined_at": loaded_at,
        }
    )
    malformed = pd.DataFrame(
        {
            "file_id": file_id,
            "file_name": path.name,
            "source_profile": profile.name,
            "row_number": [number for number, _ in export.malformed_rows],
            "reason": [
                f"row has {line.count(',') + 1} cells, the header has {len(export.frame.columns)}"
                for _, line in export.malformed_rows
            ],
            # the cells cannot be told apart, so nothing of the line is kept; the file stays in landing
            "raw_values": None,
            "quarantined_at": loaded_at,
        }
    )
    quarantined = pd.concat([quarantined, malformed], ignore_index=True) if len(malformed) else quarantined

    entry = ledger.LedgerEntry(
        file_id=file_id,
        file_name=path.name,
        source_profile=profile.name,
        file_format=export.file_format,
        encoding=export.encoding,
        snapshot_date=profile.snapshot_date(path.name),
        status="loaded",
        rows_read=len(export.frame) + len(export.malformed_rows),
        rows_loaded=int(good.sum()),
        rows_quarantined=len(quarantined),
        error=None,
        loaded_at=loaded_at,
    )
    connection.execute("begin transaction")
    try:
        connection.register("landed_rows", rows)
        connection.execute(f"insert into raw.{profile.table} by name select * from landed_rows")
        connection.unregister("landed_rows")
        if len(quarantined):
            connection.register("quarantined_rows", quarantined)
            connection.execute("insert into raw.quarantine by name select * from quarantined_rows")
            connection.unregister("quarantined_rows")
        ledger.record(connection, entry)
        connection.execute("commit")
    except Exception:
        connection.execute("rollback")
        raise
    return entry


def ingest_landing(
    connection: duckdb.DuckDBPyConnection,
    landing_dir: Path,
    profiles: list[SourceProfile],
    key: bytes,
    *,
    until: dt.date | None = None,
    progress: Progress | None = None,
) -> IngestReport:
    """Load every landed file not yet in the ledger (with an export date up to `until`)."""
    if not landing_dir.is_dir():
        raise PipelineError(
            f"{landing_dir}: landing folder not found; set HOTLINE_LANDING_DIR or run `hotline generate`"
        )
    ledger.ensure_raw_schema(connection, profiles)
    already = ledger.loaded_file_ids(connection)
    report = IngestReport()
    files = sorted(
        (path for path in landing_dir.iterdir() if path.is_file() and not path.name.startswith(".")),
        key=lambda path: (snapshot_date_of(path, profiles) or dt.date.min, path.name),
    )
    loaded_at = dt.datetime.now().replace(microsecond=0)
    for done, path in enumerate(files, start=1):
        report.files_seen += 1
        snapshot = snapshot_date_of(path, profiles)
        if until is not None and snapshot is not None and snapshot > until:
            report.files_not_due += 1
        else:
            file_hash = ledger.file_id(path)
            if file_hash in already:
                report.files_already_loaded += 1
            else:
                try:
                    entry = load_file(connection, path, file_hash, profiles, key, loaded_at)
                except PipelineError as error:
                    reason = str(error)
                    report.rejected.append((path.name, reason))
                    ledger.record(
                        connection,
                        ledger.LedgerEntry(
                            file_hash,
                            path.name,
                            None,
                            path.suffix.lstrip(".").lower(),
                            None,
                            snapshot,
                            "rejected",
                            None,
                            None,
                            None,
                            reason,
                            loaded_at,
                        ),
                    )
                else:
                    already[file_hash] = path.name
                    report.files_loaded += 1
                    report.rows_read += entry.rows_read or 0
                    report.rows_loaded += entry.rows_loaded or 0
                    report.rows_quarantined += entry.rows_quarantined or 0
        if progress:
            progress(done, len(files), path.name)
    return report
