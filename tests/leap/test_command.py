"""`manage.py leap`: ping, connections and meters for ops, through the real client."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from leapdash.leap.management.commands.leap import environment
from tests.leap.conftest import BASE, SECRET
from tests.leap.payloads import load_payload, payload_text


@pytest.fixture(autouse=True)
def _leap_settings(settings):
    settings.LEAP_API_BASE_URL = BASE
    settings.LEAP_API_KEY = SECRET


def _run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("leap", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_ping_names_the_base_url_and_confirms_the_key(leap_http):
    leap_http.post(f"{BASE}/v2/meters/search", json={"meters": []})

    out, _ = _run("ping")

    assert BASE in out
    assert "Key accepted" in out


def test_ping_with_a_refused_key_fails_with_the_environment_hint(leap_http):
    leap_http.post(f"{BASE}/v2/meters/search", status=403, body=payload_text("error_403.json"))

    with pytest.raises(CommandError, match="staging vs production") as caught:
        _run("ping")
    assert SECRET not in str(caught.value)


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("https://api.leap.energy", "production"),
        ("https://api.staging.leap.energy/", "staging"),
        ("http://127.0.0.1:8000/sandbox/api", "not Leap's own servers (the local sandbox?)"),
    ],
)
def test_ping_says_which_environment_the_base_url_is(url, name):
    assert environment(url) == name


def test_connections_prints_records_as_leap_sent_them(leap_http):
    leap_http.get(f"{BASE}/v1.1/connections", body=payload_text("connections_one_bad_record.json"))

    out, err = _run("connections", "--ref-id", "cust-good-1", "--ref-id", "cust-bad")

    printed = json.loads(out)
    assert [c["ref_id"] for c in printed] == ["cust-good-1", "cust-good-2"]
    assert printed[0] == load_payload("connections_one_bad_record.json")["connections"][0]
    assert (
        "unreadable record skipped: connection cust-bad: missing field 'connection_status'" in err
    )
    assert "ref-ids=cust-good-1%2Ccust-bad" in leap_http.calls[0].request.url


def test_connections_flags_unknown_values(leap_http):
    leap_http.get(f"{BASE}/v1.1/connections", body=payload_text("connections_unknown_values.json"))

    out, err = _run("connections", "--ref-id", "cust-new-enum")

    assert json.loads(out)[0]["connection_status"] == "HALTED"
    assert "connection_status=HALTED" in err


def test_meters_by_partner_reference(leap_http):
    leap_http.post(f"{BASE}/v2/meters/search", body=payload_text("meters_search.json"))
    leap_http.post(f"{BASE}/v2/meters/search", json={"meters": []})

    out, err = _run("meters", "--partner-reference", "unique-reference-id-12345")

    assert len(json.loads(out)) == 2
    sent = json.loads(leap_http.calls[0].request.body)
    assert sent["partner_references"] == ["unique-reference-id-12345"]
    assert "2 record(s)" in err


def test_meters_enrollments(leap_http):
    leap_http.post(
        f"{BASE}/v2/meters/enrollments/search",
        json={"meters": [load_payload("enrollment_multiple.json")]},
    )

    out, _ = _run("meters", "--partner-reference", "ref-id-0102", "--enrollments")

    assert json.loads(out)[0]["global_enrollment_status"] == "ACTIVE"


def test_a_refused_request_becomes_a_command_error(leap_http):
    leap_http.get(f"{BASE}/v1.1/connections", status=400, json={"title": "Bad ref-ids"})

    with pytest.raises(CommandError, match="Bad ref-ids"):
        _run("connections", "--ref-id", "x")
