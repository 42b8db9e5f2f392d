"""The CSV writer every export uses: formula cells neutralised, the header first, streamed."""

import csv
import io

import pytest
from django.http import StreamingHttpResponse

from leapdash.csvs import FORMULA_STARTS, csv_lines, csv_response, neutralise


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+33 1 23", "'+33 1 23"),
        ("-5", "'-5"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("plain", "plain"),
        ("a=b", "a=b"),
        (None, ""),
        (42, "42"),
        ("", ""),
    ],
)
def test_a_cell_a_spreadsheet_would_run_is_prefixed(value, cell):
    assert neutralise(value) == cell


def test_every_formula_start_is_covered():
    assert all(neutralise(start + "x").startswith("'") for start in FORMULA_STARTS)


def test_lines_read_back_as_the_rows_with_the_header_first():
    rows: list[list[object]] = [["pm-1", "a,b", 'say "hi"'], ["pm-2", "=cmd", None]]
    text = "".join(csv_lines(["ref", "note", "quote"], rows))
    assert list(csv.reader(io.StringIO(text))) == [
        ["ref", "note", "quote"],
        ["pm-1", "a,b", 'say "hi"'],
        ["pm-2", "'=cmd", ""],
    ]


def test_the_response_streams_an_attachment():
    response = csv_response("out.csv", ["a"], iter([[1], [2]]))
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv"
    assert response["Content-Disposition"] == 'attachment; filename="out.csv"'
    assert b"".join(response.streaming_content).decode() == "a\r\n1\r\n2\r\n"
