"""Every page fits a phone (390 px) and a laptop (1280 px): the document is never wider than the
window, whatever scrolls does so inside its own box (tables, tabs), and the nav collapses into a
menu on the phone.

The pages come from the URLconf (the walk of tests/test_access.py): a URL with parameters is
visited with the rows named in SAMPLES, and anything that is not a page is in EXCLUDED with its
reason, so a new page is checked the day it is added. The data is the demo's (`make demo`: the
sandbox's seeded customers, synced over HTTP), plus an import of each kind awaiting confirmation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.urls import get_resolver, reverse
from playwright.sync_api import expect

from connections.models import Connection
from leapdash.leap.sandbox.models import Flow as SandboxFlow
from leapdash.leap.sandbox.models import JourneySession
from leapdash.leap.utilities import DIRECT_UTILITIES
from leapdash.runs.models import SyncRun
from links.models import Flow, Link, LinkBatch
from meters.models import Category, Meter, PartnerImport
from tests.factories import PASSWORD
from tests.test_access import _walk

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE, LAPTOP = 390, 1280
HEIGHT = 860

# Not pages: named here with the reason, so that leaving a URL out is a decision.
EXCLUDED = {
    "logout": "POST only",
    "links:export": "CSV download",
    "links:preview": "POST only (the New-link page's live preview, checked there)",
    "links:mark_sent": "POST only",
    "links:do_not_contact": "POST only",
    "links:qr": "SVG download",
    "links:batch_confirm": "POST only",
    "links:batch_discard": "POST only",
    "links:batch_result": "CSV download",
    "connections:export": "CSV download",
    "connections:queue_csv": "CSV download",
    "connections:queue_json": "JSON download",
    "connections:touch": "POST only",
    "connections:touch_bulk": "POST only",
    "connections:alias": "POST only",
    "connections:funnel_csv": "CSV download",
    "connections:funnel_variants_csv": "CSV download",
    "connections:sync_now": "POST only",
    "connections:message_preview": "POST only (the template editor's live preview, checked there)",
    "connections:message_revert": "POST only",
    "connections:experiment_end": "POST only",
    "meters:export": "CSV download",
    "meters:fix": "POST only",
    "meters:sync_now": "POST only",
    "meters:reconciliation_export": "CSV download",
    "meters:reconciliation_run": "POST only",
    "meters:partner_upload": "POST only",
    "meters:partner_import_confirm": "POST only",
    "meters:partner_from_links": "POST only",
    "runs:progress": "htmx fragment polled inside Sync health and the list pages",
    "runs:refresh": "htmx fragment polled inside the list pages' freshness line",
    "leap_webhook": "Leap's webhook deliveries, POST only",
    "healthz": "health probe (JSON)",
    "readyz": "readiness probe (JSON)",
    "metrics": "Prometheus scrape (text)",
    "sandbox:finish": "redirects to the flow's thank-you page (links:done is checked)",
}
EXCLUDED_PREFIXES = {
    "admin:": "Django's admin, styled by Django",
    "sandbox:api-": "the sandbox's JSON API",
}


def _first(queryset: Any) -> Any:
    row = queryset.first()
    assert row is not None, f"the layout data has no {queryset.model.__name__}"
    return row


def _journey() -> JourneySession:
    flow = _first(SandboxFlow.objects.filter(title="commercial-solar"))
    return JourneySession.objects.create(flow=flow, ref_id="demo-biz-layout", requested=["pge"])


# Arguments for the URLs with parameters: the richest rows of the demo (long names, several
# utilities, a timeline, meters).
SAMPLES: dict[str, Callable[[], dict[str, Any]]] = {
    "links:detail": lambda: {
        "pk": _first(
            Link.objects.filter(ref_id__in=Meter.objects.values("partner_reference")).order_by("pk")
        ).pk
    },
    "links:flow_edit": lambda: {"pk": _first(Flow.objects.order_by("pk")).pk},
    "links:batch": lambda: {"pk": _first(LinkBatch.objects.all()).pk},
    "connections:detail": lambda: {
        "pk": _first(Connection.objects.filter(status="ERROR").order_by("pk")).pk
    },
    "connections:message_edit": lambda: {"key": "error.BAD_LOGIN", "touch": 1, "channel": "sms"},
    "meters:partner_import": lambda: {"pk": _first(PartnerImport.objects.all()).pk},
    "meters:detail": lambda: {"meter_id": _first(Meter.objects.order_by("pk")).meter_id},
    "sandbox:connect": lambda: {"org": "demo-energy", "title": "commercial-solar"},
    "sandbox:direct": lambda: {"org": "demo-energy", "utility": DIRECT_UTILITIES[0]},
    "sandbox:agreements": lambda: {"sid": _journey().pk},
    "sandbox:utilities": lambda: {"sid": _journey().pk},
    "sandbox:utility-login": lambda: {"sid": _journey().pk, "utility": "pge"},
    "sandbox:error": lambda: {"sid": _journey().pk, "utility": "pge", "code": "BAD_LOGIN"},
}

# Pages that show another table under the same URL: each view is checked too.
VIEWS = {
    "connections:list": ["", "?view=unopened"],
    "meters:reconciliation": ["", *(f"?category={c}" for c in Category.values)],
}


def _excluded(name: str) -> bool:
    return name in EXCLUDED or name.startswith(tuple(EXCLUDED_PREFIXES))


def _has_parameters(route: str) -> bool:
    return "<" in route or "(?P" in route


def pages() -> Iterator[tuple[str, frozenset[str] | None]]:
    """(URL name, roles that may see it) for every page of the URLconf."""
    for name, _route, view in _walk(get_resolver().url_patterns):
        if not _excluded(name):
            yield name, getattr(view, "leapdash_roles", None)


def test_every_url_is_a_checked_page_or_excluded_with_its_reason():
    """A URL with parameters needs its sample; one without is visited as it is, so a new
    POST-only or download URL fails the visit below (HTTP 405, or no page) until excluded."""
    unsampled = [
        name
        for name, route, _view in _walk(get_resolver().url_patterns)
        if _has_parameters(route) and not _excluded(name) and name not in SAMPLES
    ]
    assert unsampled == [], "give these URLs a SAMPLES entry, or an EXCLUDED reason"
    names = {name for name, _route, _view in _walk(get_resolver().url_patterns)}
    assert set(SAMPLES) | set(EXCLUDED) <= names, "SAMPLES or EXCLUDED name a URL that is gone"
    assert not set(SAMPLES) & set(EXCLUDED), "a URL is either checked or excluded"
    assert len(list(pages())) >= 25


@pytest.fixture
def layout_data(live_server, settings, midday, pm_user, ops_user):
    """The demo as `make demo` fills it, plus an import of each kind awaiting confirmation."""
    settings.LEAP_API_BASE_URL = live_server.url + "/sandbox/api"
    settings.LEAP_API_KEY = settings.LEAP_SANDBOX_API_KEY
    settings.LEAP_CONNECT_BASE_URL = live_server.url + "/sandbox/connect"
    call_command("demo_setup", stdout=StringIO())
    call_command("demo_sync", wait=10, stdout=StringIO())
    flow = _first(Flow.objects.filter(title="commercial-solar"))
    LinkBatch.objects.create(
        org_name=flow.org_name,
        flow=flow,
        filename="spring-campaign-customers-with-a-long-file-name.csv",
        rows=[
            {
                "line": 2,
                "ref_id": "demo-biz-import-0002",
                "name": "Kemi Haddad-Brooks",
                "email": "kemi.haddad-brooks@a-rather-long-domain-name.example.com",
                "external_id": "CRM-000123456789",
                "customer_type": "commercial",
                "utility": "pge",
                "requested": ["pge", "sce"],
                "params": {"utm_campaign": "spring-solar-for-business-2025"},
                "url": f"{live_server.url}/sandbox/connect/demo-energy/commercial-solar/"
                "?refId=demo-biz-import-0002&requestedUtilities=pge,sce",
            }
        ],
        errors=[{"line": 3, "column": "email", "message": "Enter a valid email address."}],
        error_count=1,
        total_rows=2,
    )
    PartnerImport.objects.create(
        filename="partner-sites-export-with-a-long-file-name.csv",
        rows=[
            {
                "reference": "demo-biz-0001",
                "name": "Kemi Haddad-Brooks",
                "address": "1234 Long Street Name Boulevard, San Francisco, CA 94110",
                "program": "Solar for business",
            }
        ],
        errors=[{"line": 3, "column": "reference", "message": "This reference is repeated."}],
        total_rows=2,
    )
    assert SyncRun.objects.filter(status=SyncRun.Status.SUCCEEDED).exists()
    return {"Program managers": pm_user, "Ops": ops_user}


def _log_in(context: Any, base: str, user: Any) -> Any:
    page = context.new_page()
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/")
    return page


def _visitor(roles: frozenset[str] | None) -> str | None:
    """Who opens the page: a program manager where they may, ops otherwise, else anonymous."""
    if not roles:
        return None
    return "Program managers" if "Program managers" in roles else "Ops"


def _overflow(page: Any) -> tuple[int, int]:
    return tuple(page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]"))


@pytest.mark.parametrize("width", [PHONE, LAPTOP])
def test_no_page_is_wider_than_the_window(browser, live_server, layout_data, width):
    base = live_server.url
    viewport = {"width": width, "height": HEIGHT}
    contexts = {None: browser.new_context(viewport=viewport)}
    tabs: dict[str | None, Any] = {None: contexts[None].new_page()}
    for role, user in layout_data.items():
        contexts[role] = browser.new_context(viewport=viewport)
        tabs[role] = _log_in(contexts[role], base, user)
    problems = []
    for name, roles in pages():
        path = reverse(name, kwargs=SAMPLES[name]()) if name in SAMPLES else reverse(name)
        page = tabs[_visitor(roles)]
        for query in VIEWS.get(name, [""]):
            response = page.goto(base + path + query)
            page.wait_for_load_state("networkidle")
            if response is None or not response.ok:
                problems.append(f"{name} {path}{query}: HTTP {response and response.status}")
                continue
            document, window = _overflow(page)
            if document > window:
                problems.append(
                    f"{name} {path}{query} at {width} px: the document is {document} px wide"
                )
    for context in contexts.values():
        context.close()
    assert problems == [], "\n".join(problems)


def test_the_check_sees_a_page_wider_than_the_window(page, live_server):
    """The check above can fail: one element wider than the phone widens the document."""
    page.set_viewport_size({"width": PHONE, "height": HEIGHT})
    page.goto(f"{live_server.url}/accounts/login/")
    assert _overflow(page) == (PHONE, PHONE)
    page.evaluate("document.querySelector('main').append(document.createElement('hr'))")
    page.locator("main hr").evaluate("hr => { hr.style.width = '600px' }")
    document, window = _overflow(page)
    assert document > window == PHONE


def test_the_connections_table_shows_every_column_at_1280(browser, live_server, layout_data):
    page = _log_in(
        browser.new_context(viewport={"width": LAPTOP, "height": HEIGHT}),
        live_server.url,
        layout_data["Program managers"],
    )
    page.goto(f"{live_server.url}/connections/")
    table = page.locator("table.conn-table")
    table_width, box_width = table.evaluate("t => [t.scrollWidth, t.parentElement.clientWidth]")
    assert table_width <= box_width, "the table scrolls: a column is hidden at 1280 px"
    last = page.get_by_role("columnheader", name="Touches").bounding_box()
    assert last is not None
    assert last["x"] + last["width"] <= LAPTOP


@pytest.mark.parametrize("path", ["/connections/", "/connections/attention/"])
def test_the_connection_tables_are_cards_at_390(browser, live_server, layout_data, path):
    """Every field of a row, the alias buttons included, is on screen without scrolling."""
    page = _log_in(
        browser.new_context(viewport={"width": PHONE, "height": HEIGHT}),
        live_server.url,
        layout_data["Program managers"],
    )
    page.goto(live_server.url + path)
    expect(page.locator(".phone-cards thead")).to_be_hidden()
    row = page.locator(".phone-cards tbody tr").first
    for cell in row.locator("td").all():
        box = cell.bounding_box()
        assert box is not None
        assert 0 <= box["x"] <= box["x"] + box["width"] <= PHONE, cell.get_attribute("data-label")
        label, position = cell.evaluate(
            "td => [getComputedStyle(td, '::before').content, getComputedStyle(td).position]"
        )
        assert label.strip('"') == cell.get_attribute("data-label")
        assert position == "relative"  # its label sits beside it, not at the top of the page


def test_the_nav_is_a_menu_at_390_that_opens_from_the_keyboard(logged_in_page, live_server):
    page = logged_in_page
    page.set_viewport_size({"width": PHONE, "height": HEIGHT})
    page.goto(f"{live_server.url}/")
    nav = page.get_by_role("navigation", name="Main")
    menu = nav.locator("summary", has_text="Menu")
    connections = nav.get_by_role("link", name="Connections", exact=True)
    expect(menu).to_be_visible()
    expect(connections).to_be_hidden()
    assert _overflow(page)[0] <= PHONE
    menu.focus()
    page.keyboard.press("Enter")
    expect(connections).to_be_visible()
    expect(nav.get_by_role("button", name="Log out")).to_be_visible()
    connections.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/connections/")
    expect(page.get_by_role("heading", name="Connections", exact=True)).to_be_visible()


def test_the_whole_nav_shows_at_1280_without_a_menu(logged_in_page, live_server):
    page = logged_in_page
    page.set_viewport_size({"width": LAPTOP, "height": HEIGHT})
    page.goto(f"{live_server.url}/")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.locator("summary", has_text="Menu")).to_be_hidden()
    for section in ("Links", "Connections", "Meters", "Sync health", "Password"):
        expect(nav.get_by_role("link", name=section, exact=True)).to_be_visible()
    expect(nav.get_by_role("button", name="Log out")).to_be_visible()


def test_tabs_scroll_in_their_own_row_at_390_with_the_current_one_in_view(
    logged_in_page, live_server
):
    page = logged_in_page
    page.set_viewport_size({"width": PHONE, "height": HEIGHT})
    page.goto(f"{live_server.url}/connections/queue/")
    tabs = page.locator(".tabs")
    scroll_width, client_width = tabs.evaluate("t => [t.scrollWidth, t.clientWidth]")
    assert scroll_width > client_width  # more tabs than the screen holds: the row scrolls
    assert _overflow(page)[0] <= PHONE  # and the page does not
    row = tabs.bounding_box()
    current = tabs.get_by_role("link", name="Re-engagement queue").bounding_box()
    assert row is not None
    assert current is not None
    assert row["x"] <= current["x"]
    assert current["x"] + current["width"] <= row["x"] + row["width"]
    tabs.get_by_role("link", name="Funnel").scroll_into_view_if_needed()
    tabs.get_by_role("link", name="Funnel").click()
    page.wait_for_url(f"{live_server.url}/connections/funnel/")
