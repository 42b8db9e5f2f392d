"""Meters tests: the real LeapClient against the sandbox served by live_server."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.utils import timezone

from connections.sync import sync_connections
from leapdash.leap.client import LeapClient
from leapdash.leap.sandbox import models as sandbox
from leapdash.leap.sandbox.scenarios import SCENARIOS
from leapdash.leap.sandbox.state import sandbox_now, submit_scenario

OVERDUE = timedelta(hours=24)


@pytest.fixture
def leap(live_server, settings) -> LeapClient:
    """A client of the sandbox over real HTTP; the tasks' client reads the same settings."""
    settings.LEAP_API_BASE_URL = live_server.url + "/sandbox/api"
    settings.LEAP_API_KEY = settings.LEAP_SANDBOX_API_KEY
    return LeapClient(settings.LEAP_API_BASE_URL, settings.LEAP_API_KEY, max_retries=0)


@pytest.fixture
def flow(db) -> sandbox.Flow:
    return sandbox.Flow.objects.create(
        org_name="test-energy", title="meters", region="CAISO", thank_you_url="https://x.test/"
    )


@pytest.fixture
def customer(flow) -> Callable[..., sandbox.Connection]:
    """A customer going through a sandbox scenario now (on the sandbox clock)."""

    def make(ref_id: str, scenario: str = "residential", utility: str = "pge"):
        return submit_scenario(
            flow=flow,
            ref_id=ref_id,
            utility_id=utility,
            scenario=SCENARIOS[scenario],
            now=sandbox_now(),
        )

    return make


def sync_connections_now(client: LeapClient) -> None:
    sync_connections(client=client, since=None, now=timezone.now())


def set_sandbox_reference(meter_id: str, reference: str) -> None:
    """Leap's side of a wrong or shared reference, written to the sandbox's record directly
    (without a change to its update time, as a meter created that way would have)."""
    meter = sandbox.Meter.objects.get(meter_id=meter_id)
    for document in (meter.document, meter.enrollment):
        document["partner_reference"] = reference
    meter.partner_reference = reference
    meter.save()
