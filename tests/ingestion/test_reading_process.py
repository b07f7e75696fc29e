"""The process that reads exports ahead of the loader (ingestion.loader.read_files) never
outlives it: a kill -9 of `hotline ingest` takes its reader with it (Linux parent-death signal),
and the next run removes the cells it had handed over."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from ingestion import loader
from tests.ingestion.golden_ingest import PROFILES_DIR, land_fixtures

# `hotline ingest`, with the reading process started for any amount of files, and a loader that
# says when it starts loading a batch and then takes its time: the reader, done, waits for work
INGEST = """
import sys, time
from ingestion import loader
loader.READ_AHEAD_BYTES = 1
loader.BATCH_ROWS = 1  # a batch per file, loaded while the reader is alive

def slow_load(*args, **kwargs):
    print("loading", flush=True)
    time.sleep(60)

loader.prepare_batch = slow_load
from pipeline.cli import app
sys.argv = ["hotline", "ingest", "--allow-rejected", "--as-of", "2024-01-01"]
if __name__ == "__main__":
    app()
"""


def children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (started by any of its threads)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # it ended meanwhile
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parent-death signal is Linux-only")
def test_a_kill_9_of_ingest_leaves_no_reading_process(tmp_path, monkeypatch):
    data = tmp_path / "data"
    temporary = tmp_path / "tmp"  # where the reader hands the cells over (TMPDIR)
    temporary.mkdir()
    land_fixtures(data / "landing")
    script = tmp_path / "ingest.py"
    script.write_text(INGEST)
    environment = {
        **os.environ,
        "HOTLINE_DATA_DIR": str(data),
        "HOTLINE_PROFILES_DIR": str(PROFILES_DIR),
        "TMPDIR": str(temporary),
    }
    environment.pop("HOTLINE_LANDING_DIR", None)
    ingest = subprocess.Popen(
        [sys.executable, str(script)],
        env=environment,
        cwd=Path(__file__).parents[2],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        for line in ingest.stdout:  # the first batch is loading: the reader waits for the next file
            if line.strip() == "loading":
                break
        readers = [
            child for child in children(ingest.pid) if "spawn_main" in Path(f"/proc/{child}/cmdline").read_text()
        ]
        assert readers, "no reading process"
        ingest.kill()
        ingest.wait()
        deadline = time.monotonic() + 10
        while any(map(alive, readers)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(map(alive, readers))
        # the killed run's hand-over folder stays until the next run, which removes it
        killed = list(temporary.glob(f"{loader.HANDOVER_PREFIX}{ingest.pid}-*"))
        assert killed, list(temporary.iterdir())
        monkeypatch.setattr(tempfile, "tempdir", str(temporary))
        fresh = loader._handover_folder()
        assert list(temporary.iterdir()) == [fresh]
    finally:
        if ingest.poll() is None:
            ingest.kill()
