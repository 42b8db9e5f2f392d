"""Fixtures for the Leap client tests: a real LeapClient with a recording sleep, and
`responses` serving recorded payloads at the HTTP boundary."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import responses

from leapdash.leap.client import LeapClient

BASE = "https://api.leap.test/root"
SECRET = "sk_test_Zm9vYmFyYmF6-DO-NOT-LEAK"


@pytest.fixture
def sleeps() -> list[float]:
    """Every wait the client asked for, in order (nothing really sleeps)."""
    return []


@pytest.fixture
def client(sleeps: list[float]) -> Iterator[LeapClient]:
    with LeapClient(BASE, SECRET, max_retries=3, sleep=sleeps.append) as leap:
        yield leap


@pytest.fixture
def leap_http() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock
