"""demo_sync waits for the demo server by asking the Leap client, and gives up clearly."""

from __future__ import annotations

import socket

import pytest
from django.core.management import CommandError, call_command


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_demo_sync_names_the_address_that_never_answered(settings):
    settings.LEAP_API_BASE_URL = f"http://127.0.0.1:{closed_port()}/sandbox/api"
    with pytest.raises(CommandError, match=f"did not answer at {settings.LEAP_API_BASE_URL}"):
        call_command("demo_sync", wait=0)
