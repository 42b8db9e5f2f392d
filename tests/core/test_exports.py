"""COPY exports (leapdash.exports): each SQL column writes the bytes the Python path writes,
on values chosen to break CSV and spreadsheets, and each export URL answers the same bytes
from COPY as from its Python rows on the hostile dataset."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from django.db.models import F, Value
from django.db.models.functions import Coalesce, NullIf

from leapdash.csvs import FORMULA_STARTS, csv_lines
from leapdash.exports import Cell, IsoTime, JsonJoined, Lookup, YesNo, copy_chunks
from links.models import Link
from tests.bad_input.test_csv_exports import export_urls

pytestmark = pytest.mark.django_db

AWKWARD = [
    "plain",
    "",
    " lead and trail ",
    "comma, inside",
    'quote " inside',
    '"',
    "'",
    "new\nline",
    "carriage\rreturn",
    "crlf\r\nin",
    "\\.",
    "\\N",
    "NULL",
    "100%",
    "%s %(x)s",
    "é—漢字🙂",
    *(f"{start}cmd|' /C calc'!A0" for start in FORMULA_STARTS),
    "-5",
    "'already quoted",
]


def _copied(column) -> str:
    """The file COPY writes for every link's refId and `column` (real exports have several
    columns: a lone empty cell is the one case Python's writer quotes)."""
    rows = Link.objects.order_by("ref_id").values_list(Cell("ref_id"), column)
    return b"".join(copy_chunks(["ref", "h"], rows)).decode()


def _python(values) -> str:
    return "".join(csv_lines(["ref", "h"], (["r1", v] for v in values)))


@pytest.mark.parametrize("text", AWKWARD)
def test_a_cell_writes_what_the_python_neutraliser_writes(text):
    Link.objects.create(org_name="o", ref_id="r1", url="https://x", customer_name=text)
    written = _copied(Cell("customer_name"))
    assert written == _python([text])
    (_ref, cell), *_ = list(csv.reader(io.StringIO(written, newline="")))[1:]
    assert cell in (text, "'" + text)


def test_every_awkward_value_in_one_file_matches_row_for_row():
    for n, text in enumerate(AWKWARD):
        Link.objects.create(org_name="o", ref_id=f"r{n:02d}", url="https://x", customer_name=text)
    rows = Link.objects.order_by("ref_id").values_list(Cell("ref_id"), Cell("customer_name"))
    expected = "".join(csv_lines(["h"], ([f"r{n:02d}", t] for n, t in enumerate(AWKWARD))))
    assert b"".join(copy_chunks(["h"], rows)).decode() == expected


@pytest.mark.parametrize(
    "at",
    [
        datetime(2026, 12, 7, 10, 0, 0, tzinfo=UTC),
        datetime(2026, 12, 7, 10, 0, 0, 1, tzinfo=UTC),
        datetime(2026, 1, 2, 3, 4, 5, 120000, tzinfo=UTC),
        datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        None,
    ],
)
def test_a_time_reads_as_pythons_isoformat(at):
    Link.objects.create(org_name="o", ref_id="r1", url="https://x", sent_at=at)
    assert _copied(Cell(IsoTime("sent_at"))) == _python([at.isoformat() if at else ""])


@pytest.mark.parametrize(
    ("utility", "requested", "cell"),
    [("pge", ["sce"], "pge"), ("", ["sce", "pge"], "sce pge"), ("", [], ""), ("", ["=x"], "'=x")],
)
def test_arrays_join_with_a_space(utility, requested, cell):
    Link.objects.create(
        org_name="o", ref_id="r1", url="https://x", utility=utility, requested_utilities=requested
    )
    joined = Coalesce(NullIf(F("utility"), Value("")), JsonJoined("requested_utilities"))
    assert _copied(Cell(joined)) == _python([cell])
    words = Cell(JsonJoined(Value('["a", "=b"]')))
    assert _copied(words) == _python(["a =b"])


@pytest.mark.parametrize(("flag", "cell"), [(True, "yes"), (False, "no")])
def test_booleans_read_yes_or_no(flag, cell):
    Link.objects.create(org_name="o", ref_id="r1", url="https://x", do_not_contact=flag)
    assert _copied(Cell(YesNo("do_not_contact"))) == _python([cell])


@pytest.mark.parametrize(("kind", "cell"), [("connect", "Connect link"), ("odd", "other")])
def test_a_lookup_reads_its_python_table(kind, cell):
    Link.objects.create(org_name="o", ref_id="r1", url="https://x", kind=kind)
    assert _copied(Cell(Lookup("kind", {"connect": "Connect link"}, "other"))) == _python([cell])


def test_an_empty_queryset_is_the_header_alone():
    rows = Link.objects.none().values_list(Cell("ref_id"))
    assert b"".join(copy_chunks(["h"], rows)) == b"h\n"


def _body(client, url: str) -> bytes:
    response = client.get(url)
    assert response.status_code == 200, url
    return b"".join(response.streaming_content)


COPIED = ["links:export", "connections:export", "meters:export", "meters:reconciliation_export"]


def _csv_breaker(field: str) -> str:
    """Text that breaks naive CSV: a comma, quotes, line breaks of every kind, %, a backslash."""
    return f"{field}, \"quoted\" 'x'\r\nnext\rline 100% \\. é"


@pytest.fixture(params=["formulas", "csv"])
def hostile_data(request, db, midday):
    from django.test import Client

    from tests.bad_input.test_csv_exports import poison
    from tests.security import hostile

    chosen = poison if request.param == "formulas" else _csv_breaker
    return request.param, hostile.seed(chosen, anonymous=Client())


@pytest.mark.parametrize("name", COPIED)
def test_each_export_answers_the_same_bytes_from_copy_as_from_python(
    ops_client, hostile_data, settings, name
):
    kind, ids = hostile_data
    lines, written = 0, b""
    for url in export_urls(ids)[name]:
        settings.EXPORTS_BY_COPY = False
        slow = _body(ops_client, url)
        settings.EXPORTS_BY_COPY = True
        fast = _body(ops_client, url)
        assert fast == slow, url
        lines += fast.count(b"\n") - 1
        written += fast
    if kind == "csv":
        assert b'""quoted""' in written, f"{name}: no CSV-breaking cell was compared"
    assert lines, f"{name}: every export was empty, so nothing was compared"


def _setting(name: str) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SHOW {name}")
        return cursor.fetchone()[0]


@pytest.mark.parametrize("read_all", [True, False])
def test_the_statement_settings_are_reset_after_an_export_read_or_abandoned(read_all):
    for n in range(3):
        Link.objects.create(org_name="o", ref_id=f"r{n}", url="https://x")
    before = {name: _setting(name) for name in ("jit", "enable_sort")}
    chunks = copy_chunks(["h"], Link.objects.order_by("ref_id").values_list(Cell("ref_id")))
    next(chunks)  # the header
    assert next(chunks).startswith(b"r0")
    if read_all:
        list(chunks)
    else:
        chunks.close()  # a client that hung up
    assert {name: _setting(name) for name in before} == before
