"""The meters pages in plain words: labels instead of Leap's values, the partner's customer
name first, dates in words, the current tab marked, and reconciliation opening on a tab with
something in it."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from connections.models import Connection
from links.models import Link
from meters.models import Enrollment, PartnerRecord
from meters.reconcile import reconcile

from .test_guarded_fixes import make_connection, make_link
from .test_views import make_meter

pytestmark = pytest.mark.django_db

RAW = re.compile(r"\b(RESIDENTIAL|COMMERCIAL|UTILITY_METER|PGE|CAISO_|WECC_SW|ACTIVE|PENDING)\b")
ISO_DATE = re.compile(r">\s*\d{4}-\d{2}-\d{2}")  # an ISO date as visible text


def _visible(page: str) -> str:
    """The page's text outside tags and attribute values."""
    return re.sub(r"<[^>]*>", " ", page)


@pytest.fixture
def labelled_meter():
    make_link("ref-1", "Ann Partner")
    meter = make_meter(
        1,
        customer_name="ANN LEAP",
        meter_type="UTILITY_METER",
        transmission_region="WECC_SW",
        global_enrollment_status="ACTIVE",
        required_action_codes=["AUTH_0002"],
        created_at=datetime(2024, 3, 5, 14, 30, tzinfo=UTC),
    )
    Enrollment.objects.create(
        meter_id=meter.meter_id,
        global_status="PENDING",
        programs=[
            {
                "program_identifier": "ELRP",
                "status": "ACTIVE",
                "starts_at": "2024-10-01T07:00:00+00:00",
                "ends_at": "2024-10-31T07:00:00+00:00",
            }
        ],
        partner_actions=[
            {
                "code": "AUTH_0002",
                "action_type": "IS_AUTHORIZED",
                "description": "Login <broken>",
                "deadline_at": "2024-11-01T07:00:00+00:00",
            }
        ],
        fingerprint="x",
        synced_at=timezone.now(),
    )
    return meter


def test_the_meters_table_speaks_in_labels_with_the_partners_name_first(pm_client, labelled_meter):
    make_meter(2, customer_name="Leap Only")  # no link of ours: Leap's name is all there is
    page = pm_client.get(reverse("meters:list")).content.decode()
    text = _visible(page)
    assert not RAW.search(text), RAW.search(text)
    assert not ISO_DATE.search(page)
    assert "Mar 5, 2024" in text
    assert "Pacific Gas &amp; Electric (PG&amp;E)" in page
    assert "Southwest (WECC)" in text
    assert "Residential" in text
    assert "Enrolled" in text
    assert "The customer&#x27;s utility login stopped working" in page
    cells = re.findall(r"<td data-customer>(.*?)<br>", page, re.S)
    assert 'Ann Partner<br><small class="muted">Leap: ANN LEAP</small>' in page
    assert "Leap Only" in cells


def test_the_meter_page_speaks_in_labels_and_links_its_connection_and_link(
    pm_client, labelled_meter
):
    connection = make_connection("ref-1")
    page = pm_client.get(reverse("meters:detail", args=[labelled_meter.meter_id])).content.decode()
    text = _visible(page)
    assert not RAW.search(text), RAW.search(text)
    assert not ISO_DATE.search(page)
    assert "Ann Partner" in page
    assert "Leap: ANN LEAP" in page
    assert "Utility meter" in text
    assert "Being checked" in text  # PENDING, the enrollment's overall status
    assert "Data-sharing authorization" in text
    assert "Oct 1, 2024" in text
    assert "Nov 1, 2024, 07:00 UTC" in text
    assert "Mar 5, 2024, 14:30 UTC" in text
    assert "Leap: Login &lt;broken&gt;" in page
    assert f'href="{reverse("connections:detail", args=[connection.pk])}"' in page
    assert 'data-meter-links><a href="/links/' in page


def test_a_link_page_lists_its_meters_in_the_same_words(pm_client, labelled_meter):
    link = Link.objects.get(ref_id="ref-1")
    page = pm_client.get(reverse("links:detail", args=[link.pk])).content.decode()
    assert "Pacific Gas &amp; Electric (PG&amp;E)" in page
    assert "Mar 5, 2024" in _visible(page)
    assert not ISO_DATE.search(page)


@pytest.mark.parametrize(
    ("name", "args", "current"),
    [
        ("meters:list", [], "Meters"),
        ("meters:reconciliation", [], "Reconciliation"),
        ("meters:overdue", [], "Overdue meters"),
        ("meters:partners", [], "Partner records"),
    ],
)
def test_the_meters_sub_nav_marks_the_current_page(pm_client, name, args, current):
    page = pm_client.get(reverse(name, args=args)).content.decode()
    nav = re.search(r'<div class="tabs subnav"[^>]*>(.*?)</div>', page, re.S)
    assert nav
    marked = re.findall(r'<a [^>]*class="active" aria-current="page"[^>]*>([^<]*)</a>', nav[1])
    assert marked == [current]


def _opened_tab(page: str) -> str:
    tabs = re.search(
        r'<div class="tabs" role="navigation" aria-label="Categories">(.*?)</div>', page, re.S
    )
    assert tabs
    return re.findall(r'aria-current="page"[^>]*>([^<]*)<span', tabs[1])[0].strip()


def test_reconciliation_opens_on_the_first_tab_with_something_in_it(pm_client):
    make_meter(1)  # no partner record: unknown to us
    PartnerRecord.objects.create(reference="ref-9")  # no meters, no link: re-engage
    reconcile(now=timezone.now(), overdue_after=timedelta(hours=24))
    page = pm_client.get(reverse("meters:reconciliation")).content.decode()
    assert _opened_tab(page) == "Unknown to us"
    assert "<h2>Unknown to us</h2>" in page
    asked = pm_client.get(reverse("meters:reconciliation"), {"category": "reengage"})
    assert _opened_tab(asked.content.decode()) == "No meters: re-engage"


def test_reconciliation_with_nothing_anywhere_opens_on_matched_by_connection(pm_client):
    page = pm_client.get(reverse("meters:reconciliation")).content.decode()
    assert _opened_tab(page) == "Matched by connection only"


def test_an_htmx_tab_switch_moves_the_current_mark(pm_client):
    make_meter(1)
    reconcile(now=timezone.now(), overdue_after=timedelta(hours=24))
    response = pm_client.get(
        reverse("meters:reconciliation"), {"category": "duplicate"}, headers={"HX-Request": "true"}
    )
    page = response.content.decode()
    assert "<html" not in page
    assert _opened_tab(page) == "Duplicate reference"


def test_the_reasons_name_leaps_status_in_words(pm_client):
    PartnerRecord.objects.create(reference="ref-5")
    make_connection("ref-5")
    Connection.objects.filter(ref_id="ref-5").update(status="NOT_STARTED")
    reconcile(now=timezone.now(), overdue_after=timedelta(hours=24))
    page = pm_client.get(reverse("meters:reconciliation"), {"category": "reengage"})
    assert "(Leap status: Not started)" in page.content.decode()
