"""The CSV reader every import uses (header check, row problems by line, kept rows) and the
writer every export uses: formula cells neutralised, the header first, streamed."""

import csv
import io
from dataclasses import replace

import pytest
from django.http import StreamingHttpResponse

from leapdash.csvs import (
    FORMULA_STARTS,
    FileProblem,
    TableSpec,
    csv_lines,
    csv_response,
    neutralise,
    read_table,
)

SPEC = TableSpec(
    aliases={"refid": "ref_id", "customer_name": "name"},
    required=("ref_id", "name"),
    empty="The file is empty.",
    missing=lambda missing, found: f"Missing {', '.join(missing)} (found: {found}).",
    max_rows=3,
    too_many="More than 3 rows.",
    max_errors=2,
)


def read(data: bytes, spec: TableSpec = SPEC) -> list[tuple[int, dict[str, str]]]:
    return list(read_table(io.BytesIO(data), spec).rows())


@pytest.mark.parametrize(
    ("data", "rows"),
    [
        (b"ref_id,name\na-1,Ann\n", [(2, {"ref_id": "a-1", "name": "Ann"})]),
        (b"RefId,Customer Name\na-1,Ann\n", [(2, {"ref_id": "a-1", "name": "Ann"})]),
        (b" ref-id , NAME \na-1,Ann\n", [(2, {"ref_id": "a-1", "name": "Ann"})]),
        (b"\xef\xbb\xbfref_id,name\na-1,Ann\n", [(2, {"ref_id": "a-1", "name": "Ann"})]),
        (
            b"\n,,\nref_id,name\n\na-1,Ann\n , \nb-2,Bo\n",
            [
                (5, {"ref_id": "a-1", "name": "Ann"}),
                (7, {"ref_id": "b-2", "name": "Bo"}),
            ],
        ),
        (b"ref_id,name,note\na-1\n", [(2, {"ref_id": "a-1", "name": "", "note": ""})]),
        (
            b'ref_id,name\na-1," Ann\nLee"\nb-2,Bo\n',
            [
                (2, {"ref_id": "a-1", "name": " Ann\nLee"}),
                (4, {"ref_id": "b-2", "name": "Bo"}),
            ],
        ),
        ("ref_id,name\nä-1,Zoë\n".encode(), [(2, {"ref_id": "ä-1", "name": "Zoë"})]),
    ],
    ids=[
        "plain",
        "aliases",
        "spaces-dashes-case",
        "bom",
        "blank-lines",
        "short-row",
        "quoted-newline",
        "utf8",
    ],
)
def test_rows_come_by_canonical_column_with_their_first_line(data, rows):
    assert read(data) == rows


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b"\n , \n\n", "The file is empty."),
        (b"ref_id,email\n", "Missing name (found: ref_id, email)."),
        (b"id, email \n", "Missing ref_id, name (found: id, email)."),
        (b"ref_id,name,Name\n", "The column name appears more than once."),
        (b"refid,ref_id,name\n", "The column ref_id appears more than once."),
        (b"ref_id,name\na,1\nb,2\nc,3\nd,4\n", "More than 3 rows."),
        (b"ref_id,name\na-1,\xff\n", "(line 2 cannot be read as UTF-8)"),
        (b"ref_id,na\xe9me\n", "(line 1 cannot be read as UTF-8)"),
        (b"ref_id,name\na-1,A\x00n\n", "Line 2 contains a NUL byte"),
    ],
    ids=[
        "empty",
        "only-blank",
        "missing",
        "missing-two",
        "repeated",
        "repeated-alias",
        "too-many",
        "undecodable-row",
        "undecodable-header",
        "nul",
    ],
)
def test_a_file_that_cannot_be_read_is_one_problem(data, message):
    with pytest.raises(FileProblem, match=message.replace("(", r"\(").replace(")", r"\)")):
        read(data)


def test_empty_header_cells_may_repeat():
    assert read(b"ref_id,,name,\na-1,,Ann,\n") == [(2, {"ref_id": "a-1", "": "", "name": "Ann"})]


def test_a_spec_may_let_the_last_repeated_column_count_and_ignore_extra_cells():
    lax = replace(SPEC, unique_columns=False, strict_width=False)
    assert read(b"ref_id,name,name\na-1,Ann,Bo,extra\n", lax) == [
        (2, {"ref_id": "a-1", "name": "Bo"})
    ]


def test_row_problems_keep_their_line_while_the_valid_rows_are_kept():
    data = b"ref_id,name\na-1,Ann\n\nb-2,Bo,x\nc-3,\nd-4,Di,,\n"
    table = read_table(io.BytesIO(data), replace(SPEC, max_rows=10))
    for line, row in table.rows():
        if not row["name"]:
            table.error(line, "name", "No name.")
        else:
            table.keep(line, row["ref_id"], row)
    assert table.kept == [{"ref_id": "a-1", "name": "Ann"}, {"ref_id": "d-4", "name": "Di"}]
    assert table.errors == [
        {"line": 4, "column": "", "message": "The row has 3 fields; the header has 2."},
        {"line": 5, "column": "name", "message": "No name."},
    ]
    assert (table.total, table.error_count) == (4, 2)


def test_problems_past_the_limit_are_counted_not_kept():
    table = read_table(io.BytesIO(b"ref_id,name\n"), SPEC)
    for line in (2, 3, 4):
        table.error(line, "name", "No name.")
    assert [e["line"] for e in table.errors] == [2, 3]
    assert table.error_count == 3


def test_a_repeated_unique_value_names_the_line_it_was_kept_on():
    table = read_table(io.BytesIO(b"ref_id,name\n"), SPEC)
    assert table.keep(2, "a-1", {"ref_id": "a-1"}) is None
    assert table.keep(5, "a-1", {"ref_id": "a-1", "again": True}) == 2
    assert table.kept == [{"ref_id": "a-1"}]


def test_other_columns_are_the_named_ones_outside_the_known():
    table = read_table(io.BytesIO(b"ref_id,name, Utm Source ,,Name2\n"), SPEC)
    assert table.other_columns(["ref_id", "name"]) == [
        ("utm_source", "Utm Source"),
        ("name2", "Name2"),
    ]


def test_the_upload_stays_open_for_its_owner():
    binary = io.BytesIO(b"ref_id,name\na-1,Ann\n")
    assert len(list(read_table(binary, SPEC).rows())) == 1
    assert not binary.closed


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
    assert b"".join(response.streaming_content).decode() == "a\n1\n2\n"
