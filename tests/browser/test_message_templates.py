"""Editing a message template in Chromium at desk and phone widths: the live preview follows the
typing, the queue and the connection page send the new text, and a revert brings today's back."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from connections.models import Connection
from connections.sync import write_page
from leapdash.runs.tracking import SyncCounts
from links.models import Link
from tests.connections.builders import PGE, conn, page_of, util

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TODAY = "Your PG&E login did not work"
NEW = "Your PG&E password <b>needs</b> a look"


def _seed() -> Connection:
    now = timezone.now()
    Link.objects.create(
        org_name="acme",
        ref_id="bl-1",
        customer_name="Bea Stone",
        customer_email="bea@example.com",
        url="https://l.example/bl-1",
    )
    last = now - timedelta(hours=2)
    write_page(
        page_of(
            [conn("ERROR", util(PGE, "ERROR", "BAD_LOGIN", at=last), ref_id="bl-1", last=last)]
        ),
        now=now,
        counts=SyncCounts(),
    )
    return Connection.objects.get(ref_id="bl-1")


def _message(page, base: str) -> str:
    page.goto(f"{base}/connections/queue/")
    return page.locator('article.due[data-ref-id="bl-1"] .message-text').inner_text()


@pytest.mark.parametrize(("width", "height"), [(1280, 900), (390, 844)])
def test_edit_with_preview_see_it_sent_and_revert(
    logged_in_page, live_server, midday, width, height
):
    c = _seed()
    page, base = logged_in_page, live_server.url
    page.set_viewport_size({"width": width, "height": height})
    assert TODAY in _message(page, base)

    page.get_by_role("button", name="Message templates").click()
    page.get_by_role("link", name="Edit error.BAD_LOGIN touch 1 email").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Utility error: Wrong utility login")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    expect(page.locator("[data-preview-subject]")).to_have_text(TODAY)

    page.get_by_label("Subject").fill("Your {utility} password <b>needs</b> a look")
    expect(page.locator("[data-preview-subject]")).to_have_text(NEW)  # live, escaped
    page.get_by_label("Body").fill("Hi {first_name}, {utility} refused it: {link} {oops}")
    expect(page.locator("[data-template-errors]")).to_contain_text("{oops} is not a variable")
    page.get_by_label("Body").fill("Hi {first_name}, {utility} refused it: {link}")
    expect(page.locator("[data-preview-body]")).to_have_text(
        "Hi Bea, PG&E refused it: https://l.example/bl-1"
    )
    page.get_by_label("What changed").fill("Shorter")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved as version 2.")).to_be_visible()
    expect(page.locator("tr[data-version]")).to_have_count(2)

    sent = _message(page, base)
    assert NEW in sent
    assert "Hi Bea, PG&E refused it: https://l.example/bl-1" in sent
    page.goto(f"{base}/connections/{c.pk}/")
    expect(page.locator(".message-preview")).to_contain_text(NEW)

    page.goto(f"{base}/connections/messages/error.BAD_LOGIN/1/email/")
    page.get_by_role("button", name="Revert to v1").click()
    expect(page.get_by_text("Reverted to version 1 (saved as version 3).")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert TODAY in _message(page, base)
