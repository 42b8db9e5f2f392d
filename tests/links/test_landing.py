"""The public final-redirect landing: untrusted input, no open redirect, no existence leak."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from links.models import LandingVisit, Link

DONE = "/links/done/"
SCRIPT = "<script>alert(1)</script>"


def _without_csrf(response):
    # the masked CSRF token differs on every response; everything else must be identical
    return re.sub(rb'"X-CSRFToken": "[^"]+"', b"", response.content)


def test_the_landing_is_public_and_thanks_the_customer(client, db):
    response = client.get(DONE)
    assert response.status_code == 200
    assert b"Thank you!" in response.content
    assert "no-cache" in response["Cache-Control"]


def test_a_visit_is_recorded_with_ref_id_params_and_user_agent(client, flow, make_link):
    link = make_link(flow, ref_id="cust-0001")
    client.get(
        DONE,
        {"flow": "spring-2025", "refId": "cust-0001", "campaign": "spring", "state": "abc"},
        headers={"User-Agent": "PartnerApp/2.1"},
    )
    visit = LandingVisit.objects.get()
    assert (visit.ref_id, visit.flow_title, visit.user_agent) == (
        "cust-0001",
        "spring-2025",
        "PartnerApp/2.1",
    )
    assert visit.params == {"campaign": "spring", "state": "abc"}
    link.refresh_from_db()
    # neither "opened" nor "connected": anyone can forge this request, both come from Leap
    assert link.first_opened_at is None


def test_visits_never_move_the_opened_time_leap_gave(client, make_link):
    seen_by_leap = timezone.now() - timedelta(days=2)
    link = make_link(ref_id="cust-0002", first_opened_at=seen_by_leap)
    client.get(DONE, {"refId": "cust-0002"})
    client.get(DONE, {"refId": "cust-0002"})
    link.refresh_from_db()
    assert link.first_opened_at == seen_by_leap
    assert LandingVisit.objects.filter(ref_id="cust-0002").count() == 2


def test_the_link_page_keeps_the_landing_visit_apart_from_leaps_opened(
    client, pm_client, make_link
):
    link = make_link(ref_id="cust-0004")
    client.get(DONE, {"refId": "cust-0004", "state": "abc"})
    html = pm_client.get(reverse("links:detail", args=[link.pk])).content.decode()
    opened_row = re.search(r"<th>Opened \(seen by Leap\)</th><td>([^<]*)</td>", html)
    assert opened_row is not None
    assert opened_row.group(1).startswith("not yet")
    visits = html.split("Reached the thank-you page (unverified)</h2>", 1)[1]
    assert "<code>state=abc</code>" in visits.split("</section>", 1)[0]


def test_known_and_unknown_ref_ids_get_the_same_page(client, make_link):
    make_link(ref_id="known-1")
    known = client.get(DONE, {"refId": "known-1"})
    unknown = client.get(DONE, {"refId": "nobody-1"})
    assert known.status_code == unknown.status_code == 200
    assert _without_csrf(known) == _without_csrf(unknown)
    assert LandingVisit.objects.filter(ref_id="nobody-1").exists()


def test_a_script_ref_id_is_escaped_and_opens_nothing(client, pm_client, make_link):
    link = make_link(ref_id="cust-0003")
    response = client.get(DONE, {"refId": SCRIPT, "note": SCRIPT})
    assert SCRIPT.encode() not in response.content
    assert LandingVisit.objects.get().ref_id == SCRIPT  # stored as text, shown escaped
    LandingVisit.objects.filter(ref_id=SCRIPT).update(ref_id="cust-0003")
    detail = pm_client.get(reverse("links:detail", args=[link.pk])).content.decode()
    assert SCRIPT not in detail
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in detail
    link.refresh_from_db()
    assert link.first_opened_at is None


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/phish",
        "//evil.example",
        "https://partner.example/welcome.evil.example",
        "https://partner.example/welcome/../../evil",
        "javascript:alert(1)",
        "/admin/",
    ],
)
def test_the_landing_never_forwards_outside_the_flows_allow_list(client, flow, target):
    response = client.get(DONE, {"flow": "spring-2025", "refId": "cust-1", "next": target})
    assert response.status_code == 200
    assert not response.has_header("Location")


def test_an_allow_listed_target_of_the_named_flow_is_forwarded_to(client, flow):
    target = "https://partner.example/welcome"
    response = client.get(DONE, {"flow": "spring-2025", "refId": "anything", "next": target})
    assert response.status_code == 302
    assert response["Location"] == target
    without_flow = client.get(DONE, {"refId": "anything", "next": target})
    assert without_flow.status_code == 200


def test_untrusted_values_are_cut_to_size(client, db):
    params = {f"p{i}": "v" * 2000 for i in range(50)}
    client.get(DONE, {"refId": "r" * 5000, **params}, headers={"User-Agent": "U" * 5000})
    visit = LandingVisit.objects.get()
    assert len(visit.ref_id) == 255
    assert len(visit.user_agent) == 500
    assert len(visit.params) == 20
    assert {len(v) for v in visit.params.values()} == {500}


def test_the_landing_changes_no_link_not_even_its_opened_time(client, flow, make_link):
    link = make_link(flow, ref_id="cust-0009")
    fields = [f.attname for f in Link._meta.concrete_fields]
    before = {name: getattr(link, name) for name in fields}
    client.get(
        DONE,
        {"flow": "spring-2025", "refId": "cust-0009", "status": "COMPLETED", "connected": "true"},
    )
    link.refresh_from_db()
    changed = {name for name in fields if getattr(link, name) != before[name]}
    assert changed == set()


def test_the_landing_only_answers_get(client, db):
    assert client.post(DONE, {"refId": "x"}).status_code == 405
    assert not LandingVisit.objects.exists()
