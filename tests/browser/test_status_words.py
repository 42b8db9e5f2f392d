"""One truthful status, read in Chromium at desk and phone widths: links not yet sent, or sent
within the overdue margin, wait under reconciliation instead of being re-engaged, and the
messages name a utility by its short name ("SCE", never "the SCE: Southern California Edison
website")."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from connections.models import Connection
from connections.sync import write_page
from leapdash.runs.tracking import SyncCounts
from links.models import Link
from meters.models import PartnerRecord
from meters.reconcile import reconcile
from tests.connections.builders import SCE, conn, page_of, util

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
VIEWPORTS = [(1280, 900), (390, 844)]
OVERDUE = timedelta(hours=24)
CATEGORIES = "[aria-label='Categories']"


def _fits(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def _partner_customers(now) -> None:
    """Three partner records without meters: a link never sent, one sent an hour ago, one sent
    two days ago (past the overdue margin)."""
    for ref_id, sent in (
        ("wait-unsent", None),
        ("wait-recent", now - timedelta(hours=1)),
        ("late-sent", now - timedelta(hours=48)),
    ):
        Link.objects.create(org_name="acme", ref_id=ref_id, url="https://x.test/", sent_at=sent)
        PartnerRecord.objects.create(reference=ref_id)
    reconcile(now=now, overdue_after=OVERDUE)


def _tab(page, label: str):
    return page.locator(f"{CATEGORIES} a", has_text=label)


@pytest.mark.parametrize(("width", "height"), VIEWPORTS)
def test_unsent_and_recently_sent_links_wait_instead_of_reengage(
    logged_in_page, live_server, width, height
):
    _partner_customers(timezone.now())
    page = logged_in_page
    page.set_viewport_size({"width": width, "height": height})
    page.goto(f"{live_server.url}/meters/reconciliation/")
    expect(_tab(page, "No meters yet: waiting").locator(".badge")).to_have_text("2 partner records")
    expect(_tab(page, "No meters: re-engage").locator(".badge")).to_have_text("1 partner record")

    _tab(page, "No meters yet: waiting").click()
    for ref_id in ("wait-unsent", "wait-recent"):
        row = page.locator(f"tr[data-reference='{ref_id}']")
        expect(row).to_be_visible()
        expect(row).to_contain_text("The link is not sent yet, or was sent under")
    expect(page.locator("tr[data-reference='late-sent']")).to_have_count(0)
    _fits(page, width)

    _tab(page, "No meters: re-engage").click()
    expect(page.locator("tr[data-reference='late-sent']")).to_be_visible()
    expect(page.locator("tr[data-reference^='wait-']")).to_have_count(0)
    _fits(page, width)


def _sce_error(midday_now) -> None:
    Link.objects.create(
        org_name="acme",
        ref_id="sce-1",
        customer_name="Sam Customer",
        customer_email="sam@example.com",
        url="https://l.example/sce",
    )
    write_page(
        page_of(
            [
                conn(
                    "ERROR",
                    util(SCE, "ERROR", "BAD_LOGIN"),
                    ref_id="sce-1",
                    last=midday_now - timedelta(hours=2),
                )
            ]
        ),
        now=midday_now,
        counts=SyncCounts(),
    )


def _reads_naturally(text: str) -> None:
    assert "SCE" in text
    assert "Southern California Edison" not in text
    assert "SCE:" not in text
    assert "the SCE " not in text


@pytest.mark.parametrize(("width", "height"), VIEWPORTS)
def test_messages_name_the_utility_by_its_short_name(
    logged_in_page, live_server, midday, width, height
):
    _sce_error(timezone.now())
    page = logged_in_page
    page.set_viewport_size({"width": width, "height": height})
    page.goto(f"{live_server.url}/connections/queue/")
    card = page.locator('article.due[data-ref-id="sce-1"]')
    expect(card).to_contain_text("Sam")
    _reads_naturally(card.inner_text())
    href = card.locator("a[data-mailto]").get_attribute("href") or ""
    assert "Southern" not in href
    _fits(page, width)

    pk = Connection.objects.get(ref_id="sce-1").pk
    page.goto(f"{live_server.url}/connections/{pk}/")
    message = page.locator(".message-preview")
    expect(message).to_contain_text("Sam")
    _reads_naturally(message.inner_text())
    _fits(page, width)
