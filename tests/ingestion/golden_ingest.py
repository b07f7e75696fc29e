"""What `hotline ingest` lands from a fixed set of exports, dumped for comparison with a golden file.

The set: every malformed export of the reliability case table, the four foreign exports with
their profiles, and a few Qidong exports in GB18030, UTF-8 with a BOM and XLSX with bad rows.
`python -m tests.ingestion.golden_ingest` rewrites tests/fixtures/golden/ingest.json; only do
that when a change to what lands is meant (and say so in the commit).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import sys
import tempfile
from pathlib import Path

import duckdb

GOLDEN = Path(__file__).resolve().parents[1] / "fixtures" / "golden" / "ingest.json"
PROFILES_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "profiles"
# when a row landed differs run to run; everything else must not
VOLATILE = {"_loaded_at", "loaded_at", "quarantined_at", "replaced_at", "created_at"}


def land_fixtures(landing: Path) -> None:
    import openpyxl

    from demodata.hotline_exports import EXPORT_HEADERS
    from tests.conftest import export_row
    from tests.fixtures.foreign_exports import write_all
    from tests.reliability.cases import CASES, write_case

    reliability = landing / "reliability"
    reliability.mkdir(parents=True)
    for case in CASES:
        write_case(case, reliability)
    write_all(landing / "foreign")
    qidong = landing / "qidong"
    qidong.mkdir()
    rows = [
        export_row(),
        export_row(工单编号="230103000000002-01", 来电时间="2023-02-30 10:00:00", 诉求内容="请回电13812345678"),
        export_row(工单编号="", 来电人="王小明", 诉求内容="王小明身份证320681198705268771"),
        export_row(工单编号="230103000000004-01", 诉求类型="咨询类", 来电号码="+86 138-1234-5678"),
        export_row(工单编号="230103000000005-01", 是否延期="也许", 来电时间="2023/01/03 09:15"),
        export_row(工单编号="230103000000006-01", 派单时间="", 办结时间="2023-01-05 10:00"),
        export_row(工单编号="230103000000006-01", 派单时间="", 办结时间="2023-01-05 10:00"),
        export_row(工单编号="230103000000007-01", 标签="  ", 满意度=" 满意 "),
        export_row(工单编号="230103000000007-01", 标签="x"),
    ]
    header = ",".join(EXPORT_HEADERS)

    def lines(body: list[dict[str, str]]) -> str:
        return "".join(",".join(row.get(h, "") for h in EXPORT_HEADERS) + "\r\n" for row in body)

    (qidong / "12345_gongdan_20230103.csv").write_bytes((header + "\r\n" + lines(rows)).encode("gb18030"))
    (qidong / "12345_gongdan_20230104.csv").write_bytes(
        b"\xef\xbb\xbf" + (header + "\n" + lines(rows[:5]) + "只有,三个,单元格\n\n" + lines(rows[5:])).encode()
    )
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(list(EXPORT_HEADERS))
    for row in rows:
        sheet.append([row.get(h, "") for h in EXPORT_HEADERS])
    book.save(qidong / "12345_gongdan_20230105.xlsx")


def dump(warehouse: Path, data_dir: Path) -> dict:
    """Every raw table, all rows and columns but the load times, as sorted text (the data
    folder, named in reasons, as DATA)."""
    tables = {}
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        # a workbook's bytes (so its file id) change with the moment it was written: ids by name
        ids = dict(connection.execute("select file_id, 'id of ' || file_name from raw.load_ledger").fetchall())
        names = [
            name
            for (name,) in connection.execute(
                "select table_name from information_schema.tables where table_schema = 'raw' order by 1"
            ).fetchall()
            # not landed rows: the countries' days off, as many years as today's date says
            # (tests/ingestion/test_country_calendars.py)
            if name != "country_days_off"
        ]
        for name in names:
            cursor = connection.execute(f"select * from raw.{name}")
            columns = [column[0] for column in cursor.description]
            keep = [i for i, column in enumerate(columns) if column not in VOLATILE]
            texts = (
                [None if row[i] is None else ids.get(str(row[i]), str(row[i])) for i in keep]
                for row in cursor.fetchall()
            )
            rows = sorted(json.dumps(text, ensure_ascii=False).replace(str(data_dir), "DATA") for text in texts)
            tables[name] = {"columns": [columns[i] for i in keep], "rows": rows}
    return tables


def _short(value: str | None) -> str | None:
    """A long value (a cell of a million characters) by its hash, to keep the golden file small."""
    if value is None or len(value) <= 400:
        return value
    return f"{len(value)} chars, sha256 {hashlib.sha256(value.encode()).hexdigest()}"


def digest(tables: dict) -> dict:
    """The golden file's form: row counts and one SHA-256 per table; quarantine and ledger in full."""
    out = {}
    for name, table in tables.items():
        entry = {"columns": table["columns"], "row_count": len(table["rows"])}
        entry["sha256"] = hashlib.sha256("\n".join(table["rows"]).encode()).hexdigest()
        if name in ("quarantine", "load_ledger"):
            entry["rows"] = [[_short(value) for value in json.loads(row)] for row in table["rows"]]
        out[name] = entry
    return out


def ingest_fixtures(data_dir: Path) -> dict:
    """Land the fixtures under data_dir, ingest them (at a fixed date), return the digest."""
    os.environ["HOTLINE_DATA_DIR"] = str(data_dir)
    os.environ["HOTLINE_HASH_KEY"] = "golden-test-key"
    os.environ["HOTLINE_PROFILES_DIR"] = str(PROFILES_DIR)
    for name in ("HOTLINE_LANDING_DIR", "HOTLINE_MAX_FIELD_CHARS"):
        os.environ.pop(name, None)
    from core.settings import get_settings
    from pipeline import steps

    settings = get_settings()
    land_fixtures(settings.landing_dir)
    steps.ingest(settings, as_of=dt.date(2024, 1, 1))
    return digest(dump(settings.warehouse_path, data_dir))


if __name__ == "__main__":
    result = ingest_fixtures(Path(tempfile.mkdtemp(prefix="golden-ingest-")) / "data")
    GOLDEN.parent.mkdir(parents=True, exist_ok=True)
    GOLDEN.write_text(json.dumps(result, ensure_ascii=False, indent=1, sort_keys=True) + "\n")
    print(f"wrote {GOLDEN} ({GOLDEN.stat().st_size} bytes)", file=sys.stderr)
