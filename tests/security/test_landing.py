"""The public landing page: never an open redirect, and a forged visit changes no connection."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from django.test import Client

from connections.models import Connection, Touchpoint, UtilityConnection
from links.models import Flow, LandingVisit, Link
from tests.security import hostile

TARGETS = [
    "https://evil.example/",
    "//evil.example/",
    "/\\evil.example",
    "\\\\evil.example",
    "https:evil.example",
    "javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "https://partner.example/welcome.evil.example",
    "https://partner.example/welcome@evil.example",
    "https://partner.example/welcome/../../evil",
    " https://partner.example/welcome",
    "https://PARTNER.example/welcome",
    "https://partner.example/welcome\r\nLocation: https://evil.example/",
    "/admin/",
]


@pytest.fixture
def flow(db):
    return Flow.objects.create(
        org_name="test-energy",
        title="spring",
        region="CAISO",
        forward_allowlist=["https://partner.example/welcome"],
    )


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("flow_param", ["spring", "", "unknown"])
def test_no_target_outside_the_flows_allow_list_is_followed(client, flow, target, flow_param):
    response = client.get(f"/links/done/?refId=abc-1&flow={flow_param}&next={quote(target)}")
    assert response.status_code == 200
    assert "Location" not in response
    assert b"evil.example" not in response.content


def test_repeated_next_parameters_cannot_sneak_a_target_past_the_check(client, flow):
    url = "/links/done/?flow=spring&next=https://partner.example/welcome&next=https://evil.example/"
    response = client.get(url)
    assert response.status_code in (200, 302)
    assert response.get("Location", "https://partner.example/welcome") == (
        "https://partner.example/welcome"
    )


def test_only_the_exact_allow_listed_target_is_followed(client, flow):
    response = client.get("/links/done/?flow=spring&next=https://partner.example/welcome")
    assert response.status_code == 302
    assert response["Location"] == "https://partner.example/welcome"


def _state():
    return (
        list(Connection.objects.order_by("pk").values()),
        list(UtilityConnection.objects.order_by("pk").values()),
        list(Touchpoint.objects.values()),
        # every column of every link: the landing may not even mark one opened
        list(Link.objects.order_by("pk").values()),
    )


FORGED = [
    "refId={ref}",
    "refId={ref}&status=COMPLETED&connection_status=COMPLETED",
    "refId={ref}&flow=hostile&utility=pge&state=done",
    "refId={ref}&refId=other&next=/connections/",
    "refId=%3Cscript%3E&status=COMPLETED",
]


@pytest.mark.parametrize("query", FORGED)
def test_forged_landing_requests_change_no_connection(db, query):
    anonymous = Client()
    hostile.seed(lambda field: f"plain-{field}", anonymous=anonymous)
    before = _state()
    visits = LandingVisit.objects.count()
    for method in ("get", "post", "put", "delete"):
        response = getattr(anonymous, method)(
            "/links/done/?" + query.format(ref=hostile.LINKED_REF)
        )
        assert response.status_code in (200, 405)
    assert _state() == before
    assert LandingVisit.objects.count() == visits + 1  # the GET is noted, unverified


def test_the_landing_page_names_nothing_about_the_connection(db):
    anonymous = Client()
    hostile.seed(lambda field: f"plain-{field}", anonymous=anonymous)
    known = anonymous.get(f"/links/done/?refId={hostile.LINKED_REF}").content.decode()
    unknown = anonymous.get("/links/done/?refId=nobody-123").content.decode()

    def same(html: str) -> str:  # the CSRF token is masked afresh on every page
        return re.sub(r'"X-CSRFToken": "[^"]+"', "", html)

    assert same(known) == same(unknown)
    assert "plain-customer_name" not in known


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example"])
def test_the_login_and_logout_next_parameters_stay_on_this_site(pm_user, target):
    from tests.factories import PASSWORD

    client = Client()
    login = client.post(
        f"/accounts/login/?next={quote(target)}",
        {"username": pm_user.username, "password": PASSWORD, "next": target},
    )
    assert login.status_code == 302
    assert login["Location"] == "/"
    logout = client.post(f"/accounts/logout/?next={quote(target)}", {"next": target})
    assert logout.status_code == 302
    assert logout["Location"] == "/accounts/login/"
