"""The sandbox's anonymous customer pages are limited per client address (each opening can
create a connection and a journey session); its API, which needs the key, is not."""

from __future__ import annotations

import time_machine
from django.test import Client, override_settings
from django.utils import timezone

from leapdash.leap.sandbox.models import Connection, JourneySession

OPEN = "/sandbox/connect/acme-energy/home-battery/?refId=cust-{}"


@override_settings(LEAP_SANDBOX_JOURNEY_PER_MINUTE=5)
def test_one_address_gets_429_past_the_limit_and_stores_nothing_more(flow):
    client = Client(REMOTE_ADDR="203.0.113.9")
    with time_machine.travel(timezone.now(), tick=False) as clock:
        clock.move_to(timezone.now().replace(second=1))  # one whole minute window
        codes = [client.get(OPEN.format(n)).status_code for n in range(8)]
        assert codes == [302] * 5 + [429] * 3
        refused = client.get(OPEN.format(99))
        assert 0 < int(refused["Retry-After"]) <= 60
        assert Connection.objects.count() == 5
        assert JourneySession.objects.count() == 5
        other = Client(REMOTE_ADDR="198.51.100.7")  # another visitor is not affected
        assert other.get(OPEN.format(100)).status_code == 302
        clock.shift(61)
        assert client.get(OPEN.format(101)).status_code == 302


@override_settings(LEAP_SANDBOX_JOURNEY_PER_MINUTE=2)
def test_the_api_is_not_limited_by_it(db):
    client = Client(HTTP_AUTHORIZATION="Bearer sandbox-test-key")
    codes = {client.get("/sandbox/api/v1.1/connections").status_code for _ in range(6)}
    assert codes == {200}


def test_the_profiles_raise_the_limit_for_tests_and_the_demo():
    from django.conf import settings

    assert settings.LEAP_SANDBOX_JOURNEY_PER_MINUTE >= 1000  # the suite walks many journeys
