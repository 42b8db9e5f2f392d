"""A read answered 200 with a body that is not JSON (cut off by a proxy, a maintenance page)
is asked again like a 5xx; a write is never sent twice. `responses` stands in for Leap."""

from __future__ import annotations

import pytest
import responses

from leapdash.leap.client import LeapClient, LeapProtocolError

BASE = "https://api.leap.test"
CONNECTIONS = f"{BASE}/v1.1/connections"
GOOD: dict[str, object] = {"connections": [], "nextPageToken": None}


@pytest.fixture
def sleeps() -> list[float]:
    return []


def test_a_cut_off_page_is_fetched_again_and_the_retry_is_counted(sleeps):
    with responses.RequestsMock() as mock, LeapClient(BASE, "k", sleep=sleeps.append) as leap:
        mock.get(CONNECTIONS, body='{"connections": [{"id"', content_type="application/json")
        mock.get(CONNECTIONS, body="<html>maintenance</html>", content_type="text/html")
        mock.get(CONNECTIONS, json=GOOD)
        (page,) = leap.iter_connections()
        assert len(mock.calls) == 3
    assert page.retries == 2
    assert sleeps == [0.5, 1.0]


def test_a_read_that_never_answers_json_fails_after_the_retries(sleeps):
    with responses.RequestsMock() as mock:
        mock.get(CONNECTIONS, body="{cut", content_type="application/json")
        with LeapClient(BASE, "k", max_retries=2, sleep=sleeps.append) as leap:
            with pytest.raises(LeapProtocolError, match="not JSON") as caught:
                list(leap.iter_connections())
        assert len(mock.calls) == 3
    assert caught.value.retries == 2


def test_a_write_answered_with_a_cut_off_body_is_not_sent_again(sleeps):
    with responses.RequestsMock() as mock:
        mock.patch(f"{BASE}/v1.1/meters/m-1/partner_meter_ref", body="{cut")
        with LeapClient(BASE, "k", sleep=sleeps.append) as leap:
            with pytest.raises(LeapProtocolError, match="not JSON"):
                leap.update_partner_reference("m-1", "site-0042")
        assert len(mock.calls) == 1
    assert sleeps == []
