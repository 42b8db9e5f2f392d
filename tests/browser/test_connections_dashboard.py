"""The connections dashboard in Chromium: status chips, history, detail, queue, sync progress."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from connections.models import Touchpoint
from connections.sync import write_page
from leapdash.runs.models import SyncRun
from leapdash.runs.tracking import SyncCounts
from links.models import Link
from tests.connections.builders import CONED, PGE, conn, page_of, util

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _seed() -> None:
    now = timezone.now()
    Link.objects.create(
        org_name="acme", ref_id="err-1", customer_name="Ada Error", url="https://l.example/1"
    )
    write_page(
        page_of(
            [
                conn(
                    "ERROR",
                    util(PGE, "ERROR", "BAD_LOGIN"),
                    ref_id="err-1",
                    last=now - timedelta(hours=2),  # past Leap's quiet hour: touch 1 is due
                ),
                conn(
                    "ERROR", util(CONED, "ERROR", "ACCOUNT_LOCKED"), ref_id="err-ny", region="NYISO"
                ),
                conn("COMPLETED", util(PGE), ref_id="done-1"),
                conn("PARTIAL", util(PGE, "NOT_CONNECTED"), ref_id="part-1"),
            ]
        ),
        now=now,
        counts=SyncCounts(),
    )


def _rows(page) -> set[str]:
    return set(
        page.locator("#table tbody tr").evaluate_all("rows => rows.map(r => r.dataset.refId)")
    )


def test_status_chips_filter_update_and_follow_the_back_button(logged_in_page, live_server):
    _seed()
    page = logged_in_page
    page.goto(f"{live_server.url}/connections/")
    assert _rows(page) == {"err-1", "err-ny", "done-1", "part-1"}

    page.locator("label.chip", has_text="Error").locator("input").check()
    page.wait_for_url(re.compile(r"/connections/\?status=ERROR$"))  # empty fields left out
    expect(page.locator("#table [data-total]")).to_have_text("2")
    assert _rows(page) == {"err-1", "err-ny"}

    # another filter: the chip counts follow it (the partial swaps them out of band)
    page.locator("select[name=region]").select_option("NYISO")
    page.wait_for_url(re.compile(r"status=ERROR&region=NYISO$"))
    expect(page.locator('[data-count="ERROR"]')).to_have_text("1")
    expect(page.locator('[data-count="COMPLETED"]')).to_have_text("0")
    assert _rows(page) == {"err-ny"}

    page.go_back()
    page.wait_for_url(re.compile(r"/connections/\?status=ERROR$"))
    expect(page.locator("#table [data-total]")).to_have_text("2")
    assert _rows(page) == {"err-1", "err-ny"}
    expect(page.locator('label.chip:has-text("Error") input')).to_be_checked()
    expect(page.locator('[data-count="COMPLETED"]')).to_have_text("1")


def test_open_a_detail_from_the_table(logged_in_page, live_server):
    _seed()
    page = logged_in_page
    page.goto(f"{live_server.url}/connections/")
    page.get_by_role("link", name="err-1").click()
    expect(page.locator("h1")).to_contain_text("err-1")
    expect(page.locator(".next-action")).to_contain_text("Hi Ada Error")
    expect(page.locator(".timeline")).to_contain_text("Link created")


def test_mark_a_touchpoint_sent_from_the_queue(logged_in_page, live_server, midday):
    _seed()
    page = logged_in_page
    page.goto(f"{live_server.url}/connections/queue/")
    card = page.locator('article.due[data-ref-id="err-1"]')
    expect(card).to_contain_text("Hi Ada Error")
    card.locator("select[name=channel]").select_option("sms")
    card.get_by_role("button", name="Mark sent").click()
    expect(page.locator('article.due[data-ref-id="err-1"]')).to_contain_text("marked sent by sms")
    touch = Touchpoint.objects.get(connection__ref_id="err-1")
    assert (touch.touch, touch.channel, touch.outcome) == (1, "sms", "sent")


def test_a_running_sync_shows_progress_until_done(logged_in_page, live_server):
    run = SyncRun.objects.create(
        kind="connections",
        status="running",
        started_at=timezone.now(),
        pages_done=1,
        fetched=500,
    )
    page = logged_in_page
    page.goto(f"{live_server.url}/sync/")
    card = page.locator(f"#run-{run.pk}")
    expect(card).to_have_attribute("data-status", "running")
    expect(card).to_contain_text("1 page so far")

    SyncRun.objects.filter(pk=run.pk).update(pages_done=3, fetched=1500)
    expect(page.locator(f"#run-{run.pk}")).to_contain_text("3 pages so far", timeout=6000)

    SyncRun.objects.filter(pk=run.pk).update(
        status="succeeded", finished_at=timezone.now(), pages_done=4, fetched=2000
    )
    done = page.locator(f"#run-{run.pk}")
    expect(done).to_have_attribute("data-status", "succeeded", timeout=6000)
    expect(done.locator("progress")).to_have_attribute("value", "100")
    expect(done).to_contain_text("2000 read")
    expect(done).not_to_have_attribute("hx-trigger", re.compile("every"))
