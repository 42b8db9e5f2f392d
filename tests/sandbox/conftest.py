"""Sandbox fixtures: an API client holding the sandbox key, flows, and helpers."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from leapdash.leap.sandbox.models import Flow

KEY = "sandbox-test-key"


class Api:
    """Django's test client speaking JSON with the sandbox's Bearer key."""

    def __init__(self, key: str | None = KEY) -> None:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        self.client = Client(headers=headers)

    def get(self, path: str, params: dict[str, Any] | None = None):
        return self.client.get(f"/sandbox/api{path}", params or {})

    def send(self, method: str, path: str, body: Any = None):
        call = getattr(self.client, method.lower())
        data = body if isinstance(body, str | bytes) else json.dumps(body)
        return call(f"/sandbox/api{path}", data, content_type="application/json")

    def post(self, path: str, body: Any = None):
        return self.send("POST", path, body)

    def patch(self, path: str, body: Any = None):
        return self.send("PATCH", path, body)


@pytest.fixture
def api(db) -> Api:
    return Api()


@pytest.fixture
def flow(db) -> Flow:
    return Flow.objects.create(
        org_name="acme-energy",
        title="home-battery",
        region="CAISO",
        thank_you_url="https://partner.example.com/thanks?source=leap",
        form_uid="form-ca",
    )


@pytest.fixture
def ny_flow(db) -> Flow:
    return Flow.objects.create(
        org_name="acme-energy",
        title="ny-dr",
        region="NYISO",
        thank_you_url="https://partner.example.com/ny",
        form_uid="form-ny",
    )


@pytest.fixture
def commercial_flow(db) -> Flow:
    return Flow.objects.create(
        org_name="acme-energy",
        title="commercial-solar",
        region="CAISO",
        customer_type="COMMERCIAL",
        dr_agreement=True,
        thank_you_url="https://partner.example.com/thanks",
        form_uid="form-commercial",
    )


def submit(api: Api, form: str, utility: str, scenario: str, ref_id: str | None = None):
    body = {"utility": utility, "scenario": scenario}
    if ref_id:
        body["ref_id"] = ref_id
    return api.post(f"/v2/forms/{form}/test-submit", body)
