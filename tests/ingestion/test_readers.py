"""Every export format the hotline hands over reads to the same cells."""

from __future__ import annotations

import pytest

from core.errors import PipelineError
from ingestion.readers import read_export
from tests.conftest import export_row


@pytest.mark.parametrize(
    ("name", "encoding", "expected_format", "expected_encoding"),
    [
        ("12345_gongdan_20230103.csv", "gb18030", "csv", "gb18030"),
        ("12345_gongdan_20230103.csv", "utf-8-sig", "csv", "utf-8-sig"),
        ("12345_gongdan_20230103.xlsx", "gb18030", "xlsx", None),
    ],
)
def test_each_format_and_encoding_reads_the_same_cells(land, name, encoding, expected_format, expected_encoding):
    rows = [export_row(), export_row(工单编号="230103000000002-01", 诉求类型="咨询")]
    export = read_export(land(name, rows, encoding=encoding))

    assert export.file_format == expected_format
    assert export.encoding == expected_encoding
    assert list(export.frame["工单编号"]) == ["230103000000001-01", "230103000000002-01"]
    assert list(export.frame["诉求类型"]) == ["投诉", "咨询"]
    assert export.frame["来电时间"].iloc[0] == "2023-01-03 09:12:00"  # an Excel datetime cell reads as text
    assert export.frame["来电人"].iloc[0] == "张伟"
    assert export.row_numbers == [2, 3]


def test_plain_utf8_without_bom_is_read_as_utf8(settings):
    path = settings.landing_dir / "12345_gongdan_20230103.csv"
    path.write_text("工单编号,诉求类型\n230103000000001-01,投诉\n", encoding="utf-8")
    export = read_export(path)
    assert export.encoding == "utf-8"
    assert export.frame["诉求类型"].tolist() == ["投诉"]


def test_a_row_with_the_wrong_number_of_cells_is_kept_aside_with_its_line_number(settings):
    path = settings.landing_dir / "12345_gongdan_20230103.csv"
    text = (
        "工单编号,诉求类型\r\n230103000000001-01,投诉\r\n坏行\r\n"
        '"230103000000003-01",投诉,"多, 余"\r\n230103000000002-01,咨询\r\n'
    )
    path.write_bytes(text.encode("gb18030"))
    export = read_export(path)
    assert export.frame["工单编号"].tolist() == ["230103000000001-01", "230103000000002-01"]
    assert export.row_numbers == [2, 5]
    # the raw text of the line as it was in the file (its quotes and commas), not its cells re-joined
    assert export.malformed_rows == [(3, "坏行"), (4, '"230103000000003-01",投诉,"多, 余"')]
    assert export.malformed_reasons == {3: "row has 1 cells, the header has 2", 4: "row has 3 cells, the header has 2"}


def test_a_file_that_is_not_a_spreadsheet_gets_a_one_line_error_naming_it(settings):
    path = settings.landing_dir / "12345_gongdan_20230103.xlsx"
    path.write_text("<html>500 Internal Server Error</html>")
    with pytest.raises(PipelineError) as error:
        read_export(path)
    message = str(error.value)
    assert str(path) in message and "not a readable spreadsheet" in message and "\n" not in message
