"""Working the re-engagement queue in Chromium at desk and phone widths: copy a message, tick
several cards, mark them sent in one go, and watch the tiles and group counts follow."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from connections.models import Touchpoint
from connections.sync import write_page
from leapdash.runs.tracking import SyncCounts
from links.models import Link
from tests.connections.builders import PGE, conn, page_of, util

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _seed() -> None:
    now = timezone.now()
    for n in (1, 2, 3):
        Link.objects.create(
            org_name="acme",
            ref_id=f"q-{n}",
            customer_name=f"Customer {n}",
            customer_email=f"c{n}@example.com",
            url=f"https://l.example/{n}",
        )
    write_page(
        page_of(
            [
                conn("NOT_STARTED", ref_id="q-1", last=now - timedelta(hours=2)),
                conn("NOT_STARTED", ref_id="q-2", last=now - timedelta(hours=3)),
                conn("ERROR", util(PGE, "ERROR", "BAD_LOGIN"), ref_id="q-3", last=now - 2 * HOUR),
            ]
        ),
        now=now,
        counts=SyncCounts(),
    )


HOUR = timedelta(hours=1)


def _box(page, ref: str) -> dict:
    return page.locator(f'article.due[data-ref-id="{ref}"]').bounding_box()


@pytest.mark.parametrize(("width", "height"), [(1280, 900), (390, 844)])
def test_work_the_queue_with_a_bulk_mark_sent(logged_in_page, live_server, midday, width, height):
    _seed()
    page = logged_in_page
    page.set_viewport_size({"width": width, "height": height})
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto(f"{live_server.url}/connections/queue/")
    expect(page.locator("[data-due-count]")).to_have_text("3")
    expect(page.locator("#group-count-resend_link")).to_have_text("2")

    one, two = _box(page, "q-1"), _box(page, "q-2")
    if width == 1280:
        assert abs(one["y"] - two["y"]) < 2  # side by side: the width is used
    else:
        assert abs(one["x"] - two["x"]) < 2  # stacked, one card per row
        assert abs(one["y"] - two["y"]) >= one["height"]
        assert page.evaluate("document.documentElement.scrollWidth") <= width

    card = page.locator('article.due[data-ref-id="q-1"]')
    expect(card).to_contain_text("c1@example.com")
    href = card.locator("a[data-mailto]").get_attribute("href")
    assert href.startswith("mailto:c1@example.com?subject=Finish%20connecting")
    card.get_by_role("button", name="Copy message").click()
    expect(card.get_by_role("button", name="Copied")).to_be_visible()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith("Finish connecting your utility account\n\nHi Customer 1,")

    page.get_by_label("Select q-1").check()
    page.get_by_label("Select q-3").check()
    page.get_by_label("Channel for the selected").select_option("sms")
    page.get_by_role("button", name="Mark selected sent").click()
    expect(page.locator("[data-bulk-summary]")).to_have_text("2 marked sent by sms.")
    expect(card).to_contain_text("Touch 1 marked sent by sms")
    expect(page.locator('article.due[data-ref-id="q-3"]')).to_contain_text("marked sent by sms")
    expect(page.locator("[data-due-count]")).to_have_text("1")
    expect(page.locator('[data-touch-count="1"]')).to_have_text("1")
    expect(page.locator("#group-count-resend_link")).to_have_text("1")
    expect(page.locator("#group-count-error-BAD_LOGIN")).to_have_text("0")
    sent = Touchpoint.objects.filter(outcome="sent").order_by("connection__ref_id")
    assert [(t.connection.ref_id, t.channel) for t in sent] == [("q-1", "sms"), ("q-3", "sms")]

    # the card left is marked on its own; the tiles follow that too
    left = page.locator('article.due[data-ref-id="q-2"]')
    left.get_by_role("button", name="Mark sent").click()
    expect(left).to_contain_text("marked sent by email")
    expect(page.locator("[data-due-count]")).to_have_text("0")
    expect(page.locator("#group-count-resend_link")).to_have_text("0")
