"""Guarded reference fixes: a move to another customer's refId names both customers and is
sent only with its confirmation (the POST handler refuses it otherwise); an invalid or
unchanged reference shows the meter's form again with the error beside the field."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import responses
from django.urls import reverse
from django.utils import timezone

from connections.models import Connection
from leapdash.leap.client import LeapClient
from links.models import Link
from meters import fixes
from meters.models import Meter, ReferenceChange

from .test_views import make_meter

pytestmark = pytest.mark.django_db

PATCH_URL = re.compile(r".*/v1\.1/meters/[^/]+/partner_meter_ref$")


def make_link(ref_id: str, customer_name: str) -> Link:
    return Link.objects.create(
        org_name="test-energy", ref_id=ref_id, customer_name=customer_name, url="https://x.test/"
    )


def make_connection(ref_id: str, link: Link | None = None) -> Connection:
    now = timezone.now()
    return Connection.objects.create(
        ref_id=ref_id,
        leap_id=ref_id,
        link=link,
        transmission_region="CAISO",
        last_interaction_at=now,
        status="COMPLETED",
        prohibited_resource_attestation="NOT_REQUIRED",
        demand_response_participation="NOT_REQUIRED",
        next_action="METERS_ARRIVED",
        fingerprint="x",
        first_synced_at=now,
        last_synced_at=now,
    )


@pytest.fixture
def two_customers() -> Meter:
    """Ann's meter (ref-1, her link) and Bob's link and connection for ref-2."""
    make_link("ref-1", "Ann Partner")
    make_connection("ref-2", make_link("ref-2", "Bob Partner"))
    return make_meter(1, customer_name="ANN LEAP")


def _post(client, meter: Meter, reference: str, **extra):
    data = {"fix": f"{meter.pk}:{reference}", "confirm": "1", **extra}
    return client.post(reverse("meters:fix"), data)


def test_a_move_to_another_customers_link_is_not_ready_and_names_both(pm_client, two_customers):
    response = pm_client.post(
        reverse("meters:fix"), {"meter": two_customers.pk, "reference": "ref-2"}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Ready" not in page
    assert "Another customer's reference." in page
    assert "data-current-customer>Ann Partner<" in page
    assert "data-target-customer>Bob Partner<" in page
    assert f'name="move" value="{two_customers.pk}"' in page


def test_the_preview_finds_the_holder_through_a_connection_and_its_meters_leap_name(db):
    meter = make_meter(1, customer_name="Ann Leap")
    make_connection("ref-9")  # no link of ours: Leap's name on its meters names the customer
    make_meter(9, customer_name="Zed Leap")
    [fix] = fixes.preview([(meter, "ref-9")])
    assert (fix.status, fix.target_kind) == ("confirm", "connection")
    assert fix.target is not None
    assert (fix.current.spoken, fix.target.spoken) == ("Ann Leap", "Zed Leap")
    assert fix.message == "ref-9 is Zed Leap's connection; this meter is Ann Leap's."


@pytest.mark.parametrize(
    ("reference", "status"),
    [
        ("ref-own", "ready"),  # one of the meter's own connections: its customer's refId
        ("ref-free", "ready"),  # nobody's
        ("ref-2", "confirm"),
    ],
)
def test_only_another_customers_refid_needs_confirmation(two_customers, reference, status):
    two_customers.connection_references = ["ref-1", "ref-own"]
    make_connection("ref-own", make_link("ref-own", "Ann Partner"))
    [fix] = fixes.preview([(two_customers, reference)])
    assert fix.status == status


def test_the_server_refuses_an_unconfirmed_move_and_sends_nothing(ops_client, two_customers):
    with responses.RequestsMock() as leap:  # any request to Leap would fail the test
        response = _post(ops_client, two_customers, "ref-2")
        assert not leap.calls
    page = response.content.decode()
    assert response.status_code == 400
    assert "Nothing was sent" in page
    assert 'data-field-error="move"' in page
    assert "Bob Partner" in page
    assert "Ann Partner" in page
    assert not ReferenceChange.objects.exists()
    assert Meter.objects.get(pk=two_customers.pk).partner_reference == "ref-1"


def test_a_confirmed_move_is_sent_to_leap(ops_client, two_customers):
    with responses.RequestsMock() as leap:
        leap.patch(PATCH_URL, json={"meter_id": two_customers.meter_id, "partner_reference": "x"})
        response = _post(ops_client, two_customers, "ref-2", move=str(two_customers.pk))
        assert len(leap.calls) == 1
    assert response.status_code == 200
    assert "Leap applied the new reference." in response.content.decode()
    assert ReferenceChange.objects.get().status == "applied"
    assert Meter.objects.get(pk=two_customers.pk).partner_reference == "ref-2"


def test_apply_itself_skips_an_unconfirmed_move(two_customers):
    with responses.RequestsMock() as leap, LeapClient("https://leap.test", "k") as client:
        [fix] = fixes.apply(
            client=client,
            pairs=[(two_customers, "ref-2")],
            user_id=None,
            now=timezone.now(),
            overdue_after=timedelta(hours=24),
        )
        assert not leap.calls
    assert fix.status == "unconfirmed"
    assert fix.message.startswith("Not sent: ref-2 is Bob Partner's link")
    assert not ReferenceChange.objects.exists()


@pytest.mark.parametrize(
    ("typed", "error"),
    [
        ("no/slash here", "which Leap does not allow in a meter&#x27;s partner_reference"),
        ("ab", "at least 3 characters"),
        ("", "A refId is required"),
        ("ref-1", "The meter already has this reference."),
    ],
)
def test_an_unusable_reference_shows_the_form_again_with_the_error_beside_it(
    pm_client, two_customers, typed, error
):
    response = pm_client.post(
        reverse("meters:fix"), {"meter": two_customers.pk, "reference": typed}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "<h2>Change the partner reference</h2>" in page
    field = re.search(r'<input id="new-reference"[^>]*>\s*<small [^>]*>([^<]*)</small>', page)
    assert field, "the error sits right after the field"
    assert f'value="{typed}"' in field.group(0)
    assert 'aria-invalid="true"' in field.group(0)
    assert error in field.group(1)
    assert "Preview reference changes" not in page
    assert not ReferenceChange.objects.exists()
