"""The real LeapClient against the sandbox over real HTTP (live_server): paging with opaque
tokens, ref_id batches, searches, auth, and the sandbox's fault injection."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from django.core.management import call_command

from leapdash.leap.client import (
    LeapAuthError,
    LeapClient,
    LeapNotFound,
    LeapProtocolError,
)
from leapdash.leap.sandbox import models as sandbox
from leapdash.leap.sandbox.seeding import seed

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def api_root(live_server) -> str:
    return live_server.url + "/sandbox/api"


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def leap(api_root, settings, sleeps) -> Iterator[LeapClient]:
    # closed at the end so live_server's keep-alive threads (and their database
    # connections) end before the test database is dropped
    with LeapClient(
        api_root, settings.LEAP_SANDBOX_API_KEY, timeout=10, sleep=sleeps.append
    ) as client:
        yield client


def _seeded_ref_ids() -> set[str]:
    return set(sandbox.Connection.objects.values_list("ref_id", flat=True))


def test_connections_page_through_the_sandboxs_opaque_tokens(leap):
    seed(connections=25, meters=10, seed=11)

    pages = list(leap.iter_connections(page_size=10))

    assert len(pages) >= 3
    tokens = [p.next_token for p in pages[:-1]]
    assert all(t and "+" in t and "/" in t and t.endswith("=") for t in tokens)
    assert pages[-1].next_token is None
    got = [r.ref_id for p in pages for r in p.records]
    assert len(got) == len(set(got))
    assert set(got) == _seeded_ref_ids()
    assert all(not p.errors for p in pages)


def test_a_listing_resumes_from_a_saved_token(leap):
    seed(connections=12, meters=0, seed=12)
    first = next(iter(leap.iter_connections(page_size=5)))

    rest = list(leap.iter_connections(page_size=5, page_token=first.next_token))

    got = [r.ref_id for r in first.records] + [r.ref_id for p in rest for r in p.records]
    assert sorted(got) == sorted(_seeded_ref_ids())


def test_ref_ids_over_100_are_batched_and_all_found(leap):
    seed(connections=130, meters=0, seed=13)
    wanted = sorted(_seeded_ref_ids())[:120] + ["never-opened-link"]

    got = [r.ref_id for p in leap.iter_connections(ref_ids=wanted) for r in p.records]

    assert sorted(got) == sorted(wanted[:-1])


def test_meters_and_enrollments_page_and_match_one_lookup(leap):
    seed(connections=20, meters=30, seed=14)

    meters = [m for p in leap.iter_meters(page_size=7) for m in p.records]
    enrollments = [e for p in leap.iter_enrollments(page_size=7) for e in p.records]

    assert len(meters) == sandbox.Meter.objects.count() > 7
    assert {m.meter_id for m in meters} == {e.meter_id for e in enrollments}
    one = meters[0]
    assert leap.get_meter(one.meter_id) == one
    assert leap.get_enrollments(one.meter_id).meter_id == one.meter_id
    refs = sorted({m.partner_reference for m in meters if m.partner_reference})[:3]
    found = [m for p in leap.iter_meters(partner_references=refs) for m in p.records]
    assert {m.partner_reference for m in found} == set(refs)


def test_a_wrong_key_is_refused_without_retrying(api_root, sleeps):
    with (
        LeapClient(api_root, "a-production-key-on-staging", sleep=sleeps.append) as wrong,
        pytest.raises(LeapAuthError, match="staging vs production"),
    ):
        wrong.ping()
    assert sleeps == []


def test_server_errors_and_rate_limits_are_ridden_out(leap, settings, sleeps):
    seed(connections=30, meters=0, seed=15)
    sandbox.Chaos.objects.create(
        api_key=settings.LEAP_SANDBOX_API_KEY,
        seed=3,
        rate_limit_every=4,
        retry_after_seconds=1,
        error_rate=0.3,
        error_statuses="500,502,503,504",
        error_bodies="html,json,empty",
    )

    pages = list(leap.iter_connections(page_size=5))

    got = {r.ref_id for p in pages for r in p.records}
    assert got == _seeded_ref_ids()
    assert sum(p.retries for p in pages) == len(sleeps) > 0
    assert 1.0 in sleeps  # the 429s' Retry-After


def test_a_truncated_page_is_a_protocol_error(leap, settings):
    seed(connections=3, meters=0, seed=16)
    sandbox.Chaos.objects.create(api_key=settings.LEAP_SANDBOX_API_KEY, truncate_rate=1.0)

    with pytest.raises(LeapProtocolError):
        list(leap.iter_connections())


def test_unknown_values_from_the_sandbox_are_kept_and_flagged(leap, settings):
    seed(connections=4, meters=0, seed=17)
    sandbox.Chaos.objects.create(api_key=settings.LEAP_SANDBOX_API_KEY, unknown_values=True)

    (page,) = leap.iter_connections()

    odd = [r for r in page.records if r.unknown_values]
    assert odd
    assert "connection_status=ON_HOLD" in odd[0].unknown_values
    assert not page.errors


def test_leap_ping_command_against_the_sandbox(api_root, settings):
    settings.LEAP_API_BASE_URL = api_root
    settings.LEAP_API_KEY = settings.LEAP_SANDBOX_API_KEY
    out = io.StringIO()

    call_command("leap", "ping", stdout=out)

    assert api_root in out.getvalue()
    assert "Key accepted" in out.getvalue()


def test_partner_reference_updates_share_references(leap):
    """Meters of one site share its refId: a reference another meter holds is accepted."""
    seed(connections=6, meters=4, seed=18)
    first, second, *rest = [m for p in leap.iter_meters() for m in p.records]

    answer = leap.update_partner_reference(first.meter_id, "site-renamed-001")
    shared = leap.update_partner_reference(second.meter_id, "site-renamed-001")
    result = leap.bulk_update_partner_references(
        [(second.meter_id, "site-renamed-002"), (rest[0].meter_id, "site-renamed-002")]
    )

    assert answer == {"meter_id": first.meter_id, "partner_reference": "site-renamed-001"}
    assert shared == {"meter_id": second.meter_id, "partner_reference": "site-renamed-001"}
    assert result.updated == (second.meter_id, rest[0].meter_id)
    assert result.errors == ()
    assert leap.get_meter(second.meter_id).partner_reference == "site-renamed-002"
    assert leap.get_meter(rest[0].meter_id).partner_reference == "site-renamed-002"


def test_webhook_subscriptions_against_the_sandbox(leap, live_server):
    receiver = live_server.url + "/nowhere/"
    hook = leap.create_webhook(receiver, ["connect_session.updated"], {"X-Secret": "s3cret"})

    (listed,) = leap.list_webhooks()
    leap.delete_webhook(hook)

    assert listed.webhook_id == hook
    assert listed.receiver_url == receiver
    assert listed.header_names == ("X-Secret",)
    assert leap.list_webhooks() == []
    with pytest.raises(LeapNotFound):
        leap.delete_webhook(hook)
