"""Working the queue: contacts, copy and mailto, several cards marked sent in one POST, and the
tiles and group counts that every action swaps out of band."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine

from connections.due import DueTouch, due_for
from connections.models import Touchpoint
from links.models import Link

from .queue_data import NOON, due_refs, make_due

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOON, tick=False):
        yield


@pytest.fixture
def due():
    data = make_due()
    Link.objects.filter(ref_id="t1").update(customer_email="ana+q@example.com")
    return data


def _due_now(c) -> DueTouch:
    found = due_for(c, NOON)
    assert found is not None
    return found


def _card(page: str, ref: str) -> str:
    start = page.index(f'data-ref-id="{ref}"')
    return page[start : page.index("</article>", start)]


def _oob(html: str, element_id: str, until: str = "</") -> str:
    match = re.search(rf'<[^>]*id="{re.escape(element_id)}"[^>]*hx-swap-oob="true"[^>]*>', html)
    assert match, f"no out-of-band #{element_id}"
    return html[match.end() : html.index(until, match.end())]


def test_each_card_shows_the_contact_a_copy_button_and_an_encoded_mailto(pm_client, due):
    page = pm_client.get("/connections/queue/").content.decode()
    t1 = _card(page, "t1")
    assert ">ana+q@example.com</a>" in t1
    assert "Copy message" in t1
    assert 'data-subject="Finish connecting your utility account"' in t1
    found = re.search(r'href="(mailto:[^"]+)" role="button"', t1)
    assert found
    href = found.group(1).replace("&amp;", "&")
    parts = urlsplit(href)
    assert parts.path == "ana%2Bq@example.com"
    query = parse_qs(parts.query)
    assert query["subject"] == ["Finish connecting your utility account"]
    assert query["body"][0].startswith("Hi Ana <i>, you started connecting")
    assert "https://l.example/t1" in query["body"][0]
    assert " " not in parts.query
    assert "+" not in parts.query  # %20, never "+"
    assert "No email on the link" in _card(page, "t2")
    assert '<script src="/static/js/queue.js"' in page  # no inline script: the CSP forbids it


def test_bulk_mark_sent_records_each_touch_as_the_single_action_does(pm_client, pm_user, due):
    picked = [f"{due[r].pk}:{n}" for r, n in (("t1", 1), ("t2", 2), ("t3", 3))]
    expected = {r: _due_now(due[r]) for r in ("t1", "t2", "t3")}
    response = pm_client.post(
        "/connections/queue/mark-sent/", {"due": picked, "channel": "sms"}, headers=HX
    )
    html = response.content.decode()
    assert "3 marked sent by sms." in html
    sent = Touchpoint.objects.filter(outcome="sent", by=pm_user).order_by("touch")
    assert [(t.connection.ref_id, t.touch, t.channel) for t in sent] == [
        ("t1", 1, "sms"),
        ("t2", 2, "sms"),
        ("t3", 3, "sms"),
    ]
    for t in sent:
        d = expected[t.connection.ref_id]
        assert (t.key, t.abandoned_at, t.message_key) == (
            d.key,
            d.touch.abandoned_at,
            d.message_key,
        )
        assert (t.at, t.snoozed_until, t.automated) == (NOON, None, False)
    assert due_refs(pm_client.get("/connections/queue/").content.decode()) == set()
    for ref in ("t1", "t2", "t3"):
        assert "marked sent by sms" in _oob(html, f"due-{due[ref].pk}", "</article>")


def test_bulk_uses_the_same_key_as_the_single_action_and_the_hook(pm_client, due):
    """A touch marked on its card is "already handled" for a bulk action sent from an older
    page, and never recorded twice."""
    c = due["t1"]
    key = _due_now(c).key
    pm_client.post(f"/connections/{c.pk}/touch/", {"action": "sent", "touch": "1"})
    assert Touchpoint.objects.get(connection=c).key == key
    response = pm_client.post(
        "/connections/queue/mark-sent/", {"due": [f"{c.pk}:1", f"{due['t2'].pk}:2"]}, headers=HX
    )
    html = response.content.decode()
    assert "1 marked sent by email. 1 no longer due, not recorded." in html
    assert "No longer due" in _oob(html, f"due-{c.pk}", "</article>")
    assert Touchpoint.objects.filter(connection=c).count() == 1


def test_a_key_taken_meanwhile_is_reported_as_already_handled(pm_client, due):
    c = due["t2"]
    found = _due_now(c)
    # the key is taken by a row the cadence does not read (the hook's, in the same instant)
    Touchpoint.objects.create(
        connection=c, touch=2, at=NOON - timedelta(days=30), abandoned_at=NOON, key=found.key
    )
    before = Touchpoint.objects.filter(connection=c).count()
    response = pm_client.post("/connections/queue/mark-sent/", {"due": [f"{c.pk}:2"]}, headers=HX)
    assert "0 marked sent by email. 1 already handled." in response.content.decode()
    assert Touchpoint.objects.filter(connection=c).count() == before


def test_touches_no_longer_due_are_reported_not_recorded(pm_client, pm_user, due):
    response = pm_client.post(
        "/connections/queue/mark-sent/",
        {"due": [f"{due['t1'].pk}:2", f"{due['done'].pk}:1", "x:1", "7"]},
        headers=HX,
    )
    assert "0 marked sent by email. 2 no longer due, not recorded." in response.content.decode()
    assert not Touchpoint.objects.filter(by=pm_user).exists()


def test_bulk_without_htmx_redirects_with_the_summary(pm_client, due):
    response = pm_client.post("/connections/queue/mark-sent/", {"due": [f"{due['t1'].pk}:1"]})
    assert response.status_code == 302
    page = pm_client.get(response["Location"]).content.decode()
    assert "1 marked sent by email." in page


def test_bulk_needs_a_role_and_csrf(client, no_role_client, pm_user, due):
    assert no_role_client.post("/connections/queue/mark-sent/", {}).status_code == 403
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(pm_user)
    refused = strict.post("/connections/queue/mark-sent/", {"due": [f"{due['t1'].pk}:1"]})
    assert refused.status_code == 403
    assert not Touchpoint.objects.filter(by=pm_user).exists()
    assert strict.get("/connections/queue/mark-sent/").status_code == 405


def test_the_single_action_updates_the_tiles_and_its_group_count(pm_client, due):
    page = pm_client.get("/connections/queue/").content.decode()
    assert re.search(r"data-due-count>3<", page)
    response = pm_client.post(
        f"/connections/{due['t2'].pk}/touch/", {"action": "sent", "touch": "2"}, headers=HX
    )
    html = response.content.decode()
    assert 'id="due-' + str(due["t2"].pk) + '"' in html
    tiles = html[html.index('id="queue-tiles"') :]
    assert re.search(r"data-due-count>2<", tiles)
    assert re.search(r'data-touch-count="2">0<', tiles)
    assert re.search(r'data-touch-count="1">1<', tiles)
    assert _oob(html, "group-count-error-BAD_LOGIN") == "0"  # the group it emptied
    assert _oob(html, "group-count-resend_link") == "2"


def test_the_bulk_action_updates_the_tiles_and_group_counts(pm_client, due):
    response = pm_client.post(
        "/connections/queue/mark-sent/",
        {"due": [f"{due['t1'].pk}:1", f"{due['t3'].pk}:3"]},
        headers=HX,
    )
    html = response.content.decode()
    assert re.search(r'id="queue-tiles" hx-swap-oob="true"', html)
    assert re.search(r"data-due-count>1<", html)
    assert _oob(html, "group-count-resend_link") == "0"
    assert _oob(html, "group-count-error-BAD_LOGIN") == "1"
