"""Every URL under hostile input answers below 500: all the URL patterns (dashboard, public
pages, the product's admin pages, the sandbox), GET and POST, anonymous and as each role.

Hostile values go into the path's arguments, query parameter names and values, and form fields
(the names every form and filter of the product reads, plus the ones views read by hand): NUL,
a lone surrogate (as the bytes a client would send), 10 KB strings, non-ASCII digits, numbers
past any integer column, and broken percent-escapes. The sandbox API also gets them in JSON.
The database holds a link, flow, batches, connections, a meter and a run (the escaping test's
dataset), and the sample paths point at them, so the views run past their lookups.
"""

from __future__ import annotations

import json
import re
from urllib.parse import quote

import django_filters
import pytest
from django import forms
from django.db import transaction
from django.test import Client

from tests.factories import UserFactory
from tests.security import hostile
from tests.security.test_escaping import PK_OF
from tests.security.urls import all_urls

# value as it goes into a URL (already percent-encoded), and as it goes into a form or JSON
HOSTILE = {
    "nul": ("a%00b", "a\x00b"),
    "surrogate": ("%ED%A0%80x", "\ud800x"),
    "long": (quote("ü" + "x" * 10238), "ü" + "x" * 10238),  # 10 KB
    "digits": (quote("١٢٣٤٥٦٧٨٩"), "١٢٣٤٥٦٧٨٩"),  # Arabic-Indic digits pass str.isdigit()
    "huge": ("9" * 40, "9" * 40),  # past every integer column
    "percent": ("%zz%%41%E2%82", "%zz%%41%E2%82"),
}
# what views read by hand (request.GET/POST.get), beside their forms' and filters' fields
READ_BY_HAND = (
    "action additional_redirect_params case category channel choice confirm customer_type fix "
    "flow full kind meter next page q refId reference requestedUtilities send_now sort touch "
    "username password view ref-ids start-date last-interaction-date page-size page-token "
    "old_password new_password1 new_password2 scenario utility ref_id"
).split()


def _field_names() -> list[str]:
    import connections.filters  # noqa: F401  (defines the FilterSets)
    import links.forms  # noqa: F401
    import meters.filters  # noqa: F401

    names = set(READ_BY_HAND)
    for filterset in django_filters.FilterSet.__subclasses__():
        names.update(filterset.base_filters)
    for form in (*forms.Form.__subclasses__(), *forms.ModelForm.__subclasses__()):
        if form.__module__.split(".")[0] in ("links", "connections", "meters", "leapdash"):
            names.update(form.base_fields)  # type: ignore[attr-defined]
    return sorted(names)


FIELDS = _field_names()
ARGUMENT = re.compile(r"<(?:(\w+):)?\w+>")
SAMPLES = {"int": "1", "uuid": "00000000-0000-0000-0000-000000000001"}


def _route(name: str) -> str:
    from django.urls import get_resolver

    from tests.test_access import _walk

    return next(r for n, r, _ in _walk(get_resolver().url_patterns) if n == name)


def _hostile_path(route: str, raw: str) -> str:
    def arg(match: re.Match[str]) -> str:
        kind = match.group(1) or "str"
        if kind == "int":
            return raw if raw.isdigit() else "1"
        return SAMPLES.get(kind, raw)

    return "/" + ARGUMENT.sub(arg, route).lstrip("^").rstrip("$")


def _requests(name: str, path: str, raw: str, value: str):
    """(method, path with query, body kwargs) for one URL and one hostile value."""
    # the query string doubles as the form body, so the bytes are the same in both
    query = "&".join(f"{quote(f)}={raw}" for f in FIELDS) + f"&{raw}=1"
    form = {"data": query, "content_type": "application/x-www-form-urlencoded"}
    paths = [f"{path}?{query}"]
    hostile_path = _hostile_path(_route(name), raw)
    if hostile_path != path:
        paths.append(hostile_path)
    for url in paths:
        yield "get", url, {}
    if path.startswith("/sandbox/api/"):
        fields = {**dict.fromkeys(FIELDS, value), "meters": [{"partner_reference": value}]}
        yield "post", path, {"data": json.dumps(fields), "content_type": "application/json"}
    else:
        yield "post", path, form
    if len(paths) > 1:
        yield "post", hostile_path, {}


# URLs whose requests may end the session: the user logs in again before each one
LOGS_OUT = {"logout", "password_change"}
URLS = [pytest.param(name, path, id=name) for name, path in all_urls()]


def test_there_are_urls_and_fields_to_fuzz():
    assert len(URLS) >= 60
    assert {"q", "ref_id", "forward_allowlist", "status", "page"} <= set(FIELDS)


def _with_stored_ids(name: str, path: str, ids: dict) -> str:
    """The sample path pointed at stored rows, so the views get past their lookups."""
    if name in PK_OF:
        return re.sub(r"/1/", f"/{ids[PK_OF[name]]}/", path, count=1)
    if name in ("connections:detail", "connections:touch"):
        return re.sub(r"/1/", f"/{ids['connections'][0]}/", path, count=1)
    if name == "meters:detail":
        return f"/meters/{ids['meter']}/"
    return path


@pytest.mark.parametrize(("name", "path"), URLS)
def test_no_url_answers_5xx_to_hostile_input(name, path, pm_user, ops_user):
    ids = hostile.seed(lambda field: f"stored {field}", anonymous=Client())
    path = _with_stored_ids(name, path, ids)
    users = {"anonymous": None, "no role": UserFactory(username="nora-fuzz"), "pm": pm_user}
    users["ops"] = ops_user
    failures = []
    for role, user in users.items():
        client = Client(raise_request_exception=False, HTTP_AUTHORIZATION="Bearer sandbox-test-key")
        if user is not None:
            client.force_login(user)
        for label, (raw, value) in HOSTILE.items():
            for method, url, kwargs in _requests(name, path, raw, value):
                if user is not None and name in LOGS_OUT:
                    client.force_login(user)
                with transaction.atomic():  # a failed query must not break the next request
                    response = getattr(client, method)(url, **kwargs)
                    transaction.set_rollback(True)
                if response.status_code >= 500:
                    failures.append(f"{role} {method} {label} {url[:100]}: {response.status_code}")
    assert not failures, "\n".join(failures)
