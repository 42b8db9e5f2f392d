"""The connections table: every filter, chips, sorting, paging, CSV export, never-opened tab,
the detail page, and fixed query counts."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection as db
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from connections.models import Connection, Touchpoint, WebhookEvent
from connections.sync import write_page
from leapdash import paging
from leapdash.runs.tracking import SyncCounts
from links.models import Flow, Link

from .builders import CONED, PGE, SCE, conn, page_of, util

pytestmark = pytest.mark.django_db

NOW = timezone.now()
OLD = NOW - timedelta(hours=3)
RECENT = NOW - timedelta(minutes=10)


def _store(*records, now=NOW):
    write_page(page_of(list(records)), now=now, counts=SyncCounts())


@pytest.fixture
def dataset():
    """Five connections, one per interesting shape, two of them with links in two campaigns."""
    spring = Flow.objects.create(org_name="acme", title="battery", campaign="Spring")
    fall = Flow.objects.create(org_name="acme", title="ev", campaign="Fall")
    Link.objects.create(flow=spring, org_name="acme", ref_id="a-err", customer_name="Ada Lovelace")
    Link.objects.create(flow=fall, org_name="acme", ref_id="b-done", customer_name="Bob <b>")
    Link.objects.create(flow=fall, org_name="acme", ref_id="z-never", customer_name="Zed Unopened")
    _store(
        conn(
            "ERROR",
            util(PGE, "ERROR", "BAD_LOGIN", at=OLD - timedelta(days=2)),
            ref_id="a-err",
            last=OLD - timedelta(days=2),
        ),
        conn("COMPLETED", util(PGE, at=OLD), ref_id="b-done", last=OLD),
        conn(
            "PARTIAL",
            util(CONED, "NOT_CONNECTED", at=OLD),
            util(SCE, required=False, at=OLD),
            ref_id="c-ny",
            region="NYISO",
            last=OLD,
        ),
        conn("NOT_STARTED", ref_id="d-fresh", last=RECENT),
        conn(
            "PARTIAL",
            util(PGE, at=OLD),
            util(SCE, "ERROR", "ACCOUNT_LOCKED", at=OLD),
            ref_id="e-commercial",
            last=OLD,
        ),
    )
    return {"spring": spring, "fall": fall}


def _refs(client, query: str) -> set[str]:
    response = client.get(f"/connections/{query}", headers={"HX-Request": "true"})
    assert response.status_code == 200
    body = response.content.decode()
    return {ref for ref in ("a-err", "b-done", "c-ny", "d-fresh", "e-commercial") if ref in body}


ALL = {"a-err", "b-done", "c-ny", "d-fresh", "e-commercial"}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ALL),
        ("?status=ERROR", {"a-err"}),
        ("?status=PARTIAL&status=COMPLETED", {"b-done", "c-ny", "e-commercial"}),
        ("?next_action=WAIT_FOR_METERS", {"b-done"}),
        ("?next_action=IN_PROGRESS", {"d-fresh"}),
        ("?utility=pge", {"a-err", "b-done", "e-commercial"}),
        ("?utility=sce", {"c-ny", "e-commercial"}),
        ("?utility_status=ERROR", {"a-err", "e-commercial"}),
        ("?utility=pge&utility_status=ERROR", {"a-err"}),  # the same utility row
        ("?utility=pge&error_code=ACCOUNT_LOCKED", set()),
        ("?error_code=ACCOUNT_LOCKED", {"e-commercial"}),
        ("?required_missing=yes", {"a-err", "c-ny", "e-commercial"}),
        ("?required_missing=no", {"b-done", "d-fresh"}),
        ("?region=NYISO", {"c-ny"}),
        ("?q=lovelace", {"a-err"}),
        ("?q=C-NY", {"c-ny"}),
        ("?q=o", {"a-err", "b-done", "e-commercial"}),  # two customers and a refId
        ("?stale=no", {"d-fresh"}),
        ("?stale=yes", ALL - {"d-fresh"}),
        (f"?active_from={(NOW - timedelta(days=1)).date()}", ALL - {"a-err"}),
        (f"?active_until={(NOW - timedelta(days=2)).date()}", {"a-err"}),
    ],
)
def test_each_filter_returns_exactly_the_matching_rows(pm_client, dataset, query, expected):
    assert _refs(pm_client, query) == expected


def test_flow_and_campaign_filters_follow_the_link(pm_client, dataset):
    assert _refs(pm_client, f"?flow={dataset['spring'].pk}") == {"a-err"}
    assert _refs(pm_client, "?campaign=Fall") == {"b-done"}


def test_chips_count_every_status_under_the_other_filters(pm_client, dataset):
    response = pm_client.get(
        "/connections/?region=CAISO&status=ERROR", headers={"HX-Request": "true"}
    )
    body = response.content.decode()
    assert 'hx-swap-oob="true"' in body  # the chips are swapped along with the table
    assert 'data-count="PARTIAL">1<' in body  # e-commercial; c-ny is NYISO
    assert 'data-count="ERROR">1<' in body
    assert 'data-count="COMPLETED">1<' in body
    assert 'value="ERROR" checked' in body
    assert "data-total>1<" in body


def test_the_full_page_renders_the_chips_once_inside_the_form(pm_client, dataset):
    body = pm_client.get("/connections/?status=ERROR").content.decode()
    assert body.count('id="status-chips"') == 1
    assert "hx-swap-oob" not in body
    assert "<html" in body


def test_customer_names_are_escaped(pm_client, dataset):
    body = pm_client.get("/connections/").content.decode()
    assert "Bob &lt;b&gt;" in body
    assert "Bob <b>" not in body


@pytest.mark.parametrize(
    ("sort", "first"),
    [("ref_id", "a-err"), ("-ref_id", "e-commercial"), ("last", "a-err"), ("-last", "d-fresh")],
)
def test_sorting_by_a_column(pm_client, dataset, sort, first):
    body = pm_client.get(f"/connections/?sort={sort}", headers={"HX-Request": "true"}).content
    positions = {ref: body.decode().find(f'data-ref-id="{ref}"') for ref in ALL}
    assert min(positions, key=lambda ref: positions[ref]) == first


@pytest.mark.parametrize(
    "sort", ["customer", "region", "status", "agreements", "next_action", "touches"]
)
def test_every_sortable_column_sorts(pm_client, dataset, sort):
    for value in (sort, f"-{sort}"):
        assert _refs(pm_client, f"?sort={value}") == ALL


def _bulk(n: int, prefix: str = "bulk") -> None:
    records = [
        conn(
            "ERROR",
            util(PGE, "ERROR", "BAD_LOGIN"),
            util(SCE, required=False),
            ref_id=f"{prefix}{i}",
        )
        for i in range(n)
    ]
    for start in range(0, n, 500):
        _store(*records[start : start + 500])


def test_pages_hold_fifty_rows_and_keep_the_filters(pm_client):
    _bulk(120)
    body = pm_client.get("/connections/?status=ERROR&page=2").content.decode()
    assert body.count("data-ref-id=") == 50
    assert "Page 2 of 3" in body
    assert "120 rows" in body
    assert "status=ERROR&amp;page=3" in body or "page=3&amp;status=ERROR" in body


def _count_queries(client, url: str) -> int:
    with CaptureQueriesContext(db) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    "url",
    [
        "/connections/",
        "/connections/?status=ERROR&utility=pge&sort=-touches&page=2",
        "/connections/?view=unopened",
    ],
)
def test_the_table_runs_the_same_queries_for_ten_and_a_thousand_rows(pm_client, url):
    _bulk(60, prefix="few")
    pm_client.get("/connections/")  # warm the session and role caches
    few = _count_queries(pm_client, url)
    _bulk(1000)
    assert _count_queries(pm_client, url) == few
    assert few <= 10


def test_no_count_star_runs_for_the_connections_pager(pm_client):
    _bulk(60)
    with CaptureQueriesContext(db) as ctx:
        pm_client.get("/connections/?page=2")
    sql = [q["sql"] for q in ctx.captured_queries]
    assert not any('COUNT(*) AS "__count"' in s for s in sql)
    assert sum(s.startswith("SELECT 'COMPLETED', COUNT(*) FROM (") for s in sql) == 1  # chips


@pytest.fixture
def cap(monkeypatch):
    """Counts stop at 30 rows (10,000 in production), so 120 rows are 'more than 30'."""
    monkeypatch.setattr(paging, "CAP", 30)


def test_capped_counts_say_so_and_page_with_next_links(pm_client, cap):
    _bulk(120)
    body = pm_client.get("/connections/").content.decode()
    assert 'data-count="ERROR">30+<' in body
    assert 'title="Counted up to 30; there are more"' in body
    assert 'data-count="COMPLETED">0<' in body
    assert "Page 1 · 50+ rows" in body  # what this page proves, no more
    assert "Next ›" in body
    assert "Last »" not in body
    body = pm_client.get("/connections/?status=ERROR&page=2").content.decode()
    assert body.count("data-ref-id=") == 50
    assert "Page 2 · 100+ rows" in body
    assert "status=ERROR&amp;page=3" in body or "page=3&amp;status=ERROR" in body
    # the last page knows the total again
    body = pm_client.get("/connections/?status=ERROR&page=3").content.decode()
    assert body.count("data-ref-id=") == 20
    assert "Page 3 of 3" in body
    assert "120 rows" in body
    assert "data-total>120<" in body


def test_a_capped_list_shows_every_row_once_across_its_pages(pm_client, cap):
    _bulk(120)
    seen: list[str] = []
    for number in (1, 2, 3):
        body = pm_client.get(f"/connections/?page={number}").content.decode()
        seen += [part.split('"')[0] for part in body.split('data-ref-id="')[1:]]
    assert sorted(seen) == sorted(f"bulk{i}" for i in range(120))


def test_a_page_past_the_end_of_a_capped_list_shows_the_last_page(pm_client, cap):
    _bulk(120)
    body = pm_client.get("/connections/?page=9").content.decode()
    assert "Page 3 of 3" in body
    assert body.count("data-ref-id=") == 20


def test_capped_pages_run_as_many_queries_as_exact_ones(pm_client, monkeypatch):
    _bulk(60)
    url = "/connections/?status=ERROR&utility=pge&page=2"
    pm_client.get(url)
    exact = _count_queries(pm_client, url)
    monkeypatch.setattr(paging, "CAP", 30)
    assert _count_queries(pm_client, url) == exact


def test_a_status_this_version_does_not_know_gets_its_own_chip(pm_client, dataset):
    _store(conn("PAUSED", ref_id="p-new"))
    body = pm_client.get("/connections/", headers={"HX-Request": "true"}).content.decode()
    assert 'data-count="PAUSED">1<' in body
    assert "data-total>6<" in body


def _csv(response) -> list[dict[str, str]]:
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def test_csv_export_is_exactly_the_filtered_set_across_pages(pm_client, dataset):
    _bulk(130)
    response = pm_client.get("/connections/export.csv?status=ERROR&utility=pge&page=2")
    assert response.streaming
    rows = _csv(response)
    assert {r["refId"] for r in rows} == {"a-err", *(f"bulk{i}" for i in range(130))}
    ada = next(r for r in rows if r["refId"] == "a-err")
    assert ada["customer"] == "Ada Lovelace"
    assert ada["utilities"] == "pge:ERROR(BAD_LOGIN)*"


def test_csv_export_neutralises_formulas(pm_client):
    Link.objects.create(org_name="acme", ref_id="f1", customer_name="=HYPERLINK(1)")
    _store(conn("NOT_STARTED", ref_id="f1", last=OLD))
    rows = _csv(pm_client.get("/connections/export.csv"))
    assert rows[0]["customer"] == "'=HYPERLINK(1)"


def test_the_never_opened_tab_lists_links_without_a_connection(pm_client, dataset):
    body = pm_client.get("/connections/?view=unopened").content.decode()
    assert 'data-ref-id="z-never"' in body
    assert 'data-ref-id="a-err"' not in body
    assert (
        _csv(pm_client.get("/connections/export.csv?view=unopened&campaign=Fall"))[0]["refId"]
        == "z-never"
    )
    partial = pm_client.get("/connections/?view=unopened&q=nobody", headers={"HX-Request": "true"})
    assert "<html" not in partial.content.decode()
    assert "z-never" not in partial.content.decode()


def test_detail_shows_timeline_message_and_raw_record_for_ops(pm_client, ops_client, dataset):
    c = Connection.objects.get(ref_id="a-err")
    WebhookEvent.objects.create(
        webhook_event_id="w1",
        event_type="connect_session.authorization_updated",
        ref_id="a-err",
        payload={"payload": {"status": "FAILED"}},
        received_at=NOW,
    )
    Touchpoint.objects.create(connection=c, touch=1, at=NOW)
    pm_page = pm_client.get(f"/connections/{c.pk}/").content.decode()
    assert "Your PG&amp;E login did not work" in pm_page
    assert "Hi Ada Lovelace" in pm_page
    assert "Connect authorization updated" in pm_page
    assert "Touch 1 sent" in pm_page
    assert "Link created" in pm_page
    assert "raw record" not in pm_page
    ops_page = ops_client.get(f"/connections/{c.pk}/").content.decode()
    assert "raw record" in ops_page
    assert "&quot;ref_id&quot;: &quot;a-err&quot;" in ops_page


@pytest.mark.parametrize("extra", [1, 30])
def test_detail_runs_a_fixed_number_of_queries(
    pm_client, dataset, django_assert_num_queries, extra
):
    c = Connection.objects.get(ref_id="a-err")
    for i in range(extra):
        Touchpoint.objects.create(connection=c, touch=1, at=NOW - timedelta(minutes=i))
        WebhookEvent.objects.create(
            webhook_event_id=f"w{i}",
            event_type="connect_session.updated",
            ref_id="a-err",
            payload={},
            received_at=NOW,
        )
    pm_client.get(f"/connections/{c.pk}/")
    # session, user, roles, connection + link + flow, utilities, touchpoints, visits,
    # webhooks, meters, the message template
    with django_assert_num_queries(10):
        assert pm_client.get(f"/connections/{c.pk}/").status_code == 200


def test_an_unknown_connection_is_a_404(pm_client):
    assert pm_client.get("/connections/999999/").status_code == 404
