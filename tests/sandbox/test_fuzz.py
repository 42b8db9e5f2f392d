"""The sandbox fuzzed against the API files it imitates (tests/contracts/): Leap's Meters v2,
Enrollments v2 and Webhooks v1.1, and leapdash's own Connect contract.

Every generated request, valid or schema-violating, must get no 5xx, a response the file
allows, and, when it breaks the schema, a refusal with the API's error body. The runs are
bounded (a few dozen examples per operation) so the whole fuzz stays well under a minute.
A well-formed page token the sandbox never issued is rightly refused, so page tokens are not
generated (their refusal has its own tests)."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import schemathesis
import yaml
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from leapdash.leap.sandbox.seeding import seed
from leapdash.leap.sandbox.state import advance_clock
from tests.sandbox.conftest import KEY

CONTRACTS = Path(__file__).resolve().parents[1] / "contracts"
MAX_EXAMPLES = 25
AUTH = {"Authorization": f"Bearer {KEY}"}


def _without_page_tokens(raw: dict[str, Any]) -> dict[str, Any]:
    raw = copy.deepcopy(raw)
    for item in raw["paths"].values():
        for operation in item.values():
            if isinstance(operation, dict) and "parameters" in operation:
                operation["parameters"] = [
                    p for p in operation["parameters"] if p.get("name") != "page-token"
                ]
    for schema in raw.get("components", {}).get("schemas", {}).values():
        if isinstance(schema, dict):
            schema.get("properties", {}).pop("page_token", None)
    return raw


def _iso(value: Any) -> str:
    return value.isoformat().replace("+00:00", "Z")


@cache
def load(name: str) -> Any:
    # YAML reads unquoted timestamps in the examples as datetimes; the files mean strings
    parsed = yaml.safe_load((CONTRACTS / name).read_text())
    raw = _without_page_tokens(json.loads(json.dumps(parsed, default=_iso)))
    raw["servers"] = [{"url": "http://localhost/sandbox/api"}]
    schema = schemathesis.openapi.from_dict(raw)
    schema.app = get_wsgi_application()
    schema.config.generation.update(
        modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE], max_examples=MAX_EXAMPLES
    )
    return schema


def refused_with_the_apis_error_body(ctx: Any, response: Any, case: Any) -> bool | None:
    """A 4xx carries the API's own error body: Leap's {title, status, details}, or the
    webhook API's {error, message}."""
    if not 400 <= response.status_code < 500 or response.status_code == 429:
        return None
    body = response.json()
    if case.path.startswith("/v1.1/webhooks"):
        assert set(body) == {"error", "message"}, body
    else:
        assert set(body) == {"title", "status", "details"}, body
        assert body["status"] == response.status_code
    return True


def documented_status(ctx: Any, response: Any, case: Any) -> bool | None:
    """The status is one the file lists. Leap's webhook file lists no 400, yet its API must
    refuse a body that breaks the schema somehow: there, a 400 with its error body is allowed."""
    if case.path.startswith("/v1.1/webhooks") and response.status_code == 400:
        return None
    return status_code_conformance(ctx, response, case)


CHECKS = [
    not_a_server_error,
    documented_status,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
    unsupported_method,
    refused_with_the_apis_error_body,
]


@pytest.fixture
def served(db) -> Iterator[None]:
    """Meters to find, and the database connection kept open across the WSGI requests (Django's
    test client does the same)."""
    seed(connections=8, seed=17)
    advance_clock(48)
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


# derandomized: the same cases every run, so the suite's verdict does not vary
FUZZ = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)


def _fuzz(case: Any) -> None:
    case.call_and_validate(headers=AUTH, checks=CHECKS)


@pytest.mark.usefixtures("served")
@load("leap-meters-v2.yml").parametrize()
@FUZZ
def test_meters_v2(case):
    _fuzz(case)


@pytest.mark.usefixtures("served")
@load("leap-enrollments-v2.yml").parametrize()
@FUZZ
def test_enrollments_v2(case):
    _fuzz(case)


@pytest.mark.usefixtures("served")
@load("leapdash-connect-v1.1.yml").parametrize()
@FUZZ
def test_connect_contract(case):
    _fuzz(case)


@pytest.mark.usefixtures("served")
@load("leap-webhooks-v1.1.yml").parametrize()
@FUZZ
def test_webhook_subscriptions(case):
    _fuzz(case)


FILES = (
    "leap-meters-v2.yml",
    "leap-enrollments-v2.yml",
    "leapdash-connect-v1.1.yml",
    "leap-webhooks-v1.1.yml",
)
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def _operations() -> dict[str, set[str]]:
    """Each path of the files (with a UUID for its parameter) and the methods they declare."""
    declared: dict[str, set[str]] = {}
    for name in FILES:
        for path, item in yaml.safe_load((CONTRACTS / name).read_text())["paths"].items():
            url = re.sub(r"\{[^}]+\}", "0b6f3c1e-1d9a-4b7e-8c55-3f3c2a1b0d9e", path)
            declared.setdefault(url, set()).update(m.upper() for m in item if m.upper() in METHODS)
    return declared


@pytest.mark.parametrize(("path", "allowed"), sorted(_operations().items()))
def test_every_undeclared_method_is_405_naming_the_allowed_ones(api, path, allowed):
    for method in sorted(set(METHODS) - allowed):
        response = api.client.generic(method, f"/sandbox/api{path}", "{}", "application/json")
        assert response.status_code == 405, (method, path)
        assert set(response["Allow"].split(", ")) == allowed, (method, path)
