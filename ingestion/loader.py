"""Loading landed files into the raw schema: once per file, every row loaded or quarantined."""

from __future__ import annotations

import datetime as dt
import json
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

Progress = Callable[[int, int, str], None]
BATCH_ROWS = 50_000  # rows validated and loaded together, in one transaction


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


def check_export_date(path: Path, profiles: list[SourceProfile], today: dt.date) -> None:
    """A file's name must carry a real date, not in the future: it becomes the data's "as of"."""
    for profile in profiles:
        if profile.filename_pattern.search(path.name):
            snapshot = profile.snapshot_date(path.name)
            if snapshot is None:
                raise PipelineError(f"{path}: no valid export date (YYYYMMDD) in the file name; rename the file")
            if snapshot > today:
                raise PipelineError(
                    f"{path}: export date {snapshot} in the file name is in the future; rename the file"
                )
            return


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


@dataclass
class MappedFile:
    """One export, read and mapped to canonical columns (as text), waiting to be validated and loaded."""

    path: Path
    file_id: str
    profile: SourceProfile
    export: RawExport
    mapped: pd.DataFrame  # canonical columns as text, plus _file_id and _row_number


def read_mapped(path: Path, file_id: str, profiles: list[SourceProfile]) -> MappedFile:
    """Read one file and map its headers. Raises PipelineError when the file cannot be read at all."""
    export = read_export(path)
    profile = match_profile(path, list(export.frame.columns), profiles)
    frame = export.frame
    mapped = pd.DataFrame(
        {
            # a mapped header absent from this export gives empty cells; spaces around a value never count
            column.name: (frame[column.header].fillna("").str.strip() if column.header in frame else "")
            for column in profile.columns
        },
        index=frame.index,
    ).astype("string")
    mapped["_file_id"] = file_id
    mapped["_row_number"] = pd.Series(export.row_numbers, index=frame.index, dtype="int32")
    return MappedFile(path, file_id, profile, export, mapped)


def _malformed_rows(file: MappedFile, loaded_at: dt.datetime) -> pd.DataFrame:
    header_cells = len(file.export.frame.columns)
    return pd.DataFrame(
        {
            "file_id": file.file_id,
            "file_name": file.path.name,
            "source_profile": file.profile.name,
            "row_number": [number for number, _ in file.export.malformed_rows],
            "reason": [
                f"row has {line.count(',') + 1} cells, the header has {header_cells}"
                for _, line in file.export.malformed_rows
            ],
            # the cells cannot be told apart, so nothing of the line is kept; the file stays in landing
            "raw_values": None,
            "quarantined_at": loaded_at,
        }
    )


def load_batch(
    connection: duckdb.DuckDBPyConnection, files: list[MappedFile], key: bytes, loaded_at: dt.datetime
) -> list[ledger.LedgerEntry]:
    """Validate, mask and load files of one profile together, in one transaction with their ledger rows.

    Batching keeps pandas' per-column cost per batch rather than per file; the transaction
    keeps each file all-or-nothing (a crash loads none of the batch, and a rerun loads it).
    """
    profile = files[0].profile
    names = {file.file_id: file.path.name for file in files}
    snapshot_dates = {file.file_id: profile.snapshot_date(file.path.name) for file in files}
    mapped = pd.concat([file.mapped for file in files], ignore_index=True)
    masked = _masked(mapped, profile, key)
    typed, problems = row_problems(masked, profile)
    good = problems.eq("")

    rows = typed[good].copy()
    rows["_file_id"] = mapped["_file_id"][good]
    rows["_file_name"] = rows["_file_id"].map(names)
    rows["_row_number"] = mapped["_row_number"][good]
    rows["_snapshot_date"] = rows["_file_id"].map(snapshot_dates)
    rows["_loaded_at"] = loaded_at

    headers = {column.name: column.header for column in profile.columns}
    bad = masked[~good]
    quarantined = pd.DataFrame(
        {
            "file_id": bad["_file_id"],
            "file_name": bad["_file_id"].map(names),
            "source_profile": profile.name,
            "row_number": bad["_row_number"],
            "record_key": bad[profile.required[0]].where(bad[profile.required[0]].ne(""), None)
            if profile.required
            else None,
            # a bad value quoted in a reason, or a number typed into the wrong column, is masked too
            "reason": mask_text(problems[~good]),
            "raw_values": mask_text(
                pd.Series(
                    [
                        json.dumps({headers[name]: row[name] for name in headers}, ensure_ascii=False)
                        for row in bad.to_dict("records")
                    ],
                    index=bad.index,
                    dtype="string",
                )
            ),
            "quarantined_at": loaded_at,
        }
    )
    malformed = [_malformed_rows(file, loaded_at) for file in files if file.export.malformed_rows]
    if malformed:
        quarantined = pd.concat([quarantined, *malformed], ignore_index=True)

    loaded_counts = rows["_file_id"].value_counts()
    quarantined_counts = quarantined["file_id"].value_counts()
    entries = [
        ledger.LedgerEntry(
            file_id=file.file_id,
            file_name=file.path.name,
            source_profile=profile.name,
            file_format=file.export.file_format,
            encoding=file.export.encoding,
            snapshot_date=snapshot_dates[file.file_id],
            status="loaded",
            rows_read=len(file.export.frame) + len(file.export.malformed_rows),
            rows_loaded=int(loaded_counts.get(file.file_id, 0)),
            rows_quarantined=int(quarantined_counts.get(file.file_id, 0)),
            error=None,
            loaded_at=loaded_at,
        )
        for file in files
    ]
    connection.execute("begin transaction")
    try:
        connection.register("landed_rows", rows)
        connection.execute(f"insert into raw.{profile.table} by name select * from landed_rows")
        connection.unregister("landed_rows")
        if len(quarantined):
            connection.register("quarantined_rows", quarantined)
            connection.execute("insert into raw.quarantine by name select * from quarantined_rows")
            connection.unregister("quarantined_rows")
        for entry in entries:
            ledger.record(connection, entry)
        connection.execute("commit")
    except Exception:
        connection.execute("rollback")
        raise
    return entries


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
        (
            path
            for path in landing_dir.rglob("*")
            if path.is_file() and not any(part.startswith(".") for part in path.relative_to(landing_dir).parts)
        ),
        key=lambda path: (snapshot_date_of(path, profiles) or dt.date.min, path.name),
    )
    loaded_at = dt.datetime.now().replace(microsecond=0)
    today = loaded_at.date()
    pending: dict[str, list[MappedFile]] = {}

    def flush(profile_name: str) -> None:
        for entry in load_batch(connection, pending.pop(profile_name), key, loaded_at):
            already[entry.file_id] = entry.file_name
            report.files_loaded += 1
            report.rows_read += entry.rows_read or 0
            report.rows_loaded += entry.rows_loaded or 0
            report.rows_quarantined += entry.rows_quarantined or 0

    for done, path in enumerate(files, start=1):
        report.files_seen += 1
        snapshot = snapshot_date_of(path, profiles)
        if until is not None and snapshot is not None and today >= snapshot > until:
            report.files_not_due += 1
        elif (file_hash := ledger.file_id(path)) in already or any(
            file.file_id == file_hash for batch in pending.values() for file in batch
        ):
            report.files_already_loaded += 1
        else:
            try:
                check_export_date(path, profiles, today)
                mapped = read_mapped(path, file_hash, profiles)
            except PipelineError as error:
                report.rejected.append((path.name, str(error)))
                ledger.record(
                    connection,
                    ledger.LedgerEntry(
                        file_hash, path.name, None, path.suffix.lstrip(".").lower(), None, snapshot,
                        "rejected", None, None, None, str(error), loaded_at,
                    ),
                )  # fmt: skip
            else:
                batch = pending.setdefault(mapped.profile.name, [])
                batch.append(mapped)
                if sum(len(file.mapped) for file in batch) >= BATCH_ROWS:
                    flush(mapped.profile.name)
        if progress:
            progress(done, len(files), path.name)
    for profile_name in list(pending):
        flush(profile_name)
    return report
