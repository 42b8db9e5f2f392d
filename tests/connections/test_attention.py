"""The "Needs attention" page: connections whose refId matches no link, the suggested links,
and the alias that attaches a connection to the link it was meant for, now and at every sync."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from connections.attention import suggestions_for
from connections.choices import Action
from connections.models import Connection
from connections.sync import write_page
from leapdash.runs.tracking import SyncCounts
from links.models import Link, RefIdAlias

from .builders import NOW, PGE, SCE, conn, page_of, util

pytestmark = pytest.mark.django_db
URL = "/connections/attention/"


def _parked(ref_id: str):
    return conn(
        "PARTIAL", util(PGE, "ERROR", "BAD_LOGIN"), util(SCE, required=False), ref_id=ref_id
    )


def _link(ref_id: str, customer_type: str = "residential", **extra) -> Link:
    return Link.objects.create(
        org_name="acme",
        ref_id=ref_id,
        url=f"https://l.example/{ref_id}",
        customer_name=f"Customer {ref_id}",
        customer_type=customer_type,
        **extra,
    )


def _store(*records) -> None:
    write_page(page_of(list(records)), now=NOW, counts=SyncCounts())


def _typo_case() -> tuple[Connection, Link]:
    link = _link("pm-bulk-002", customer_type="commercial")
    _link("pm-bulk-003")
    _store(_parked("pm-bulk-0O2"))
    return Connection.objects.get(ref_id="pm-bulk-0O2"), link


def test_the_page_lists_only_connections_matching_no_link_with_suggestions(pm_client):
    c, link = _typo_case()
    _store(conn("PARTIAL", util(PGE), ref_id="pm-bulk-003"))  # matched: not listed
    page = pm_client.get(URL).content.decode()
    assert 'data-ref-id="pm-bulk-0O2"' in page
    assert 'data-ref-id="pm-bulk-003"' not in page
    assert page.index("This is <code") < page.index("pm-bulk-003</code>")  # nearest first
    assert '<code class="refid" translate="no">pm-bulk-002</code>' in page
    assert "look-alike characters" in page
    assert f'name="link" value="{link.pk}"' in page


def test_an_empty_list_says_every_connection_matches(pm_client):
    _link("ok-1")
    _store(conn("PARTIAL", util(PGE), ref_id="ok-1"))
    page = pm_client.get(URL).content.decode()
    assert "Every connection matches a link." in page
    assert "<table" not in page


@pytest.mark.parametrize(("client_name", "status"), [("pm_client", 200), ("ops_client", 200)])
def test_both_roles_see_the_page(request, client_name, status):
    assert request.getfixturevalue(client_name).get(URL).status_code == status


def test_no_role_and_anonymous_are_refused(no_role_client, client):
    c, link = _typo_case()
    assert no_role_client.get(URL).status_code == 403
    assert no_role_client.post(f"/connections/{c.pk}/alias/", {"link": link.pk}).status_code == 403
    assert client.get(URL).status_code == 302  # to the login page
    assert not RefIdAlias.objects.exists()


def test_the_alias_post_needs_the_csrf_token(pm_user):
    c, link = _typo_case()
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(pm_user)
    assert strict.post(f"/connections/{c.pk}/alias/", {"link": link.pk}).status_code == 403
    assert not RefIdAlias.objects.exists()


def test_this_is_records_the_alias_and_attaches_the_connection(pm_client, pm_user):
    c, link = _typo_case()
    assert c.next_action == Action.OTHER_UTILITY_CONNECTED  # no link: customer type unknown
    response = pm_client.post(f"/connections/{c.pk}/alias/", {"link": link.pk}, follow=True)
    assert "pm-bulk-0O2 is now matched to pm-bulk-002." in response.content.decode()
    alias = RefIdAlias.objects.get()
    assert (alias.ref_id, alias.link, alias.created_by) == ("pm-bulk-0O2", link, pm_user)
    c.refresh_from_db()
    assert c.link == link
    assert c.next_action == Action.TAILORED_MESSAGE  # classified with the link's customer
    link.refresh_from_db()
    assert link.first_opened_at == c.started_at
    assert 'data-ref-id="pm-bulk-0O2"' not in pm_client.get(URL).content.decode()


def test_a_refid_typed_by_hand_works_too(pm_client):
    c, link = _typo_case()
    pm_client.post(f"/connections/{c.pk}/alias/", {"ref_id": " pm-bulk-002 "})
    c.refresh_from_db()
    assert c.link == link


@pytest.mark.parametrize(
    "data",
    [{}, {"link": "abc"}, {"link": "999999"}, {"ref_id": "no-such-ref"}, {"link": "-1"}],
)
def test_a_bad_choice_is_a_clear_400(pm_client, data):
    c, _ = _typo_case()
    response = pm_client.post(f"/connections/{c.pk}/alias/", data)
    assert response.status_code == 400
    assert "Choose one of the suggested links, or type an existing refId." in (
        response.content.decode()
    )
    assert not RefIdAlias.objects.exists()


def test_an_unknown_connection_is_a_404_and_a_matched_one_a_400(pm_client):
    link = _link("m-1")
    _store(conn("PARTIAL", util(PGE), ref_id="m-1"))
    matched = Connection.objects.get()
    assert pm_client.post("/connections/999999/alias/", {"link": link.pk}).status_code == 404
    response = pm_client.post(f"/connections/{matched.pk}/alias/", {"link": link.pk})
    assert response.status_code == 400
    assert "m-1 is already matched to a link." in response.content.decode()


def test_a_get_on_the_alias_url_is_refused(pm_client):
    c, _ = _typo_case()
    assert pm_client.get(f"/connections/{c.pk}/alias/").status_code == 405


def test_the_next_sync_keeps_the_match(pm_client):
    c, link = _typo_case()
    pm_client.post(f"/connections/{c.pk}/alias/", {"link": link.pk})
    later = conn("PARTIAL", util(PGE, "ERROR", "BAD_LOGIN"), ref_id="pm-bulk-0O2", last=NOW)
    write_page(page_of([later]), now=NOW + timedelta(hours=2), counts=SyncCounts())
    c.refresh_from_db()
    assert c.link == link


def test_a_direct_link_wins_over_an_alias():
    other = _link("other-1")
    RefIdAlias.objects.create(ref_id="both-1", link=other)
    direct = _link("both-1")
    _store(conn("PARTIAL", util(PGE), ref_id="both-1"))
    assert Connection.objects.get().link == direct


def test_the_home_page_counts_them_and_links_to_the_list(pm_client):
    _typo_case()
    page = pm_client.get("/").content.decode()
    assert '<span class="count" data-attention-count>1</span>' in page
    assert 'href="/connections/attention/"' in page


def test_suggestions_find_slips_early_and_late_among_many_similar_refids():
    for i in range(300):
        _link(f"pm-bulk-{i:04d}")
    found = suggestions_for(["pm-bu1k-0O42", "pn-bulk-0042", "pm-bulk-0043x", "zzz"])
    assert found["pm-bu1k-0O42"][0].ref_id == "pm-bulk-0042"
    assert found["pn-bulk-0042"][0].ref_id == "pm-bulk-0042"
    assert found["pm-bulk-0043x"][0].ref_id == "pm-bulk-0043"
    assert found["zzz"] == []


@pytest.mark.parametrize("rows", [1, 30])
def test_the_page_runs_a_fixed_number_of_queries(pm_client, django_assert_num_queries, rows):
    for i in range(rows):
        _link(f"q-{i:03d}")
        _store(conn("PARTIAL", util(PGE), ref_id=f"q-{i:03d}x"))
    pm_client.get(URL)
    # session, user, roles, count, page ids + rows, candidates, suggested links
    with django_assert_num_queries(7):
        page = pm_client.get(URL)
    assert page.content.decode().count("This is <code") >= rows


def test_ops_deleting_a_wrong_alias_in_the_admin_detaches_the_connection(
    pm_client, ops_client, monkeypatch, django_capture_on_commit_callbacks
):
    from connections.tasks import reclassify_connections_task

    monkeypatch.setitem(reclassify_connections_task.app.conf, "task_always_eager", True)
    c, link = _typo_case()
    pm_client.post(f"/connections/{c.pk}/alias/", {"link": link.pk})
    alias = RefIdAlias.objects.get()
    assert ops_client.get(f"/admin/links/refidalias/{alias.pk}/change/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = ops_client.post(f"/admin/links/refidalias/{alias.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    c.refresh_from_db()
    assert c.link is None
    assert 'data-ref-id="pm-bulk-0O2"' in pm_client.get(URL).content.decode()


def test_the_table_and_the_detail_page_point_an_unmatched_refid_to_needs_attention(pm_client):
    c, _ = _typo_case()
    table = pm_client.get("/connections/").content.decode()
    assert 'href="/connections/attention/" class="badge badge-warn" data-no-link>' in table
    detail = pm_client.get(f"/connections/{c.pk}/").content.decode()
    assert "This refId matches none of your links." in detail
