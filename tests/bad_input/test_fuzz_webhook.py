"""The webhook receiver under arbitrary bodies and headers: 2xx, 400 or 401, never a 500, and
nothing stored unless the body is a valid event sent with the secret."""

from __future__ import annotations

import json

import pytest
from django.conf import settings as django_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connections.models import WebhookEvent
from connections.webhooks import SECRET_HEADER

URL = "/webhooks/leap/"
FUZZ = settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
# WSGI hands header values over as latin-1 text
header_text = st.text(st.characters(min_codepoint=32, max_codepoint=255), max_size=60)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=10), c, max_size=3),
    max_leaves=10,
)
events = st.fixed_dictionaries(
    {
        "webhook_event_id": st.text(max_size=120) | json_values,
        "payload": st.fixed_dictionaries(
            {
                "webhook_event_type": st.sampled_from(
                    ["connect.session.updated", "meter.created", ""]
                )
                | st.text(max_size=120)
                | json_values,
                "partner_reference": st.text(max_size=300) | json_values,
            }
        )
        | json_values,
    }
)
bodies = (
    st.binary(max_size=300)
    | json_values.map(lambda v: json.dumps(v).encode())
    | events.map(lambda v: json.dumps(v).encode())
    | events.map(lambda v: json.dumps(v, ensure_ascii=False).encode("utf-8", "surrogatepass"))
)


def _is_valid_event(body: bytes) -> bool:
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return False
    if not isinstance(data, dict) or not isinstance(data.get("payload"), dict):
        return False
    event_id, kind = data.get("webhook_event_id"), data["payload"].get("webhook_event_type")
    return (
        isinstance(event_id, str)
        and 0 < len(event_id) <= 100
        and isinstance(kind, str)
        and 0 < len(kind) <= 100
    )


@pytest.mark.django_db
@FUZZ
@given(body=bodies, secret=header_text, content_type=header_text)
def test_without_the_secret_nothing_is_stored_and_the_answer_is_401(
    client, body, secret, content_type
):
    if secret == django_settings.LEAP_WEBHOOK_SECRET:
        return
    before = WebhookEvent.objects.count()
    response = client.post(
        URL, body, content_type=content_type or "application/json", headers={SECRET_HEADER: secret}
    )
    assert response.status_code == 401
    assert WebhookEvent.objects.count() == before


@pytest.mark.django_db
@FUZZ
@given(body=bodies)
def test_with_the_secret_any_body_gets_2xx_or_400_and_only_valid_events_are_stored(client, body):
    before = WebhookEvent.objects.count()
    response = client.post(
        URL,
        body,
        content_type="application/json",
        headers={SECRET_HEADER: django_settings.LEAP_WEBHOOK_SECRET},
    )
    assert response.status_code in (200, 202, 400), response.content[:200]
    stored = WebhookEvent.objects.count() - before
    if response.status_code == 400:
        assert stored == 0
    if stored:
        assert _is_valid_event(body)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [
        b"[" * 100_000 + b"]" * 100_000,  # nesting deeper than the JSON decoder's recursion
        json.dumps(
            {"webhook_event_id": "nul\x00", "payload": {"webhook_event_type": "x"}}
        ).encode(),
        json.dumps({"webhook_event_id": "e1", "payload": {"webhook_event_type": "t\x00"}}).encode(),
        json.dumps(
            {"webhook_event_id": "e2", "payload": {"webhook_event_type": "x", "note": "\x00"}}
        ).encode(),
        b'{"webhook_event_id": "e3", "payload": {"webhook_event_type": "x"}, "n": 1e999999}',
        b'{"webhook_event_id": "e4", "payload": {"webhook_event_type": "x"}, "n": NaN}',
        b"\xff\xfe{}",
    ],
    ids=["deep", "nul-id", "nul-type", "nul-anywhere", "huge-number", "nan", "bad-utf8"],
)
def test_bodies_that_would_break_decoding_or_storage_are_a_400(client, body):
    response = client.post(
        URL,
        body,
        content_type="application/json",
        headers={SECRET_HEADER: django_settings.LEAP_WEBHOOK_SECRET},
    )
    assert response.status_code == 400
    assert not WebhookEvent.objects.exists()


@pytest.mark.django_db
def test_a_body_over_the_upload_limit_is_refused_without_storing(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    body = json.dumps(
        {"webhook_event_id": "big", "payload": {"webhook_event_type": "x", "pad": "p" * 2000}}
    ).encode()
    response = client.post(
        URL,
        body,
        content_type="application/json",
        headers={SECRET_HEADER: django_settings.LEAP_WEBHOOK_SECRET},
    )
    assert response.status_code == 400
    assert not WebhookEvent.objects.exists()
