"""The admin is fit for ops: Leap's synced data and the records leapdash keeps of its own work
are read-only, every list can be filtered and searched, names read right, actions are queued."""

from __future__ import annotations

import re

import pytest
from django.contrib import admin
from django.test import RequestFactory

from connections.models import Connection, WebhookEvent
from leapdash.runs.models import SyncAlert, SyncRun
from meters.models import (
    Enrollment,
    Meter,
    ReconciliationResult,
    ReconciliationRun,
    ReferenceChange,
)

READ_ONLY = [
    Connection,
    WebhookEvent,
    Meter,
    Enrollment,
    SyncRun,
    SyncAlert,
    ReconciliationRun,
    ReconciliationResult,
    ReferenceChange,
]
PRODUCT = {"links", "connections", "meters", "runs"}
REGISTERED = [
    pytest.param(model, model_admin, id=model._meta.label)
    for model, model_admin in admin.site._registry.items()
    if model._meta.app_label in PRODUCT | {"sandbox"}
]
PRODUCT_REGISTERED = [
    pytest.param(model, model_admin, id=model._meta.label)
    for model, model_admin in admin.site._registry.items()
    if model._meta.app_label in PRODUCT  # not the sandbox's own tools
]


def _plural(name: str) -> str:
    if re.search(r"[^aeiou]y$", name):
        return name[:-1] + "ies"
    if re.search(r"(s|x|ch|sh)$", name):
        return name + "es"
    return name + "s"


@pytest.fixture
def ops_request(ops_user):
    request = RequestFactory().get("/admin/")
    request.user = ops_user
    return request


@pytest.mark.parametrize("model", READ_ONLY, ids=lambda m: m._meta.label)
def test_synced_data_and_audit_trails_cannot_be_added_changed_or_deleted(
    model, ops_request, ops_client
):
    model_admin = admin.site._registry[model]
    assert not model_admin.has_add_permission(ops_request)
    assert not model_admin.has_change_permission(ops_request)
    assert not model_admin.has_delete_permission(ops_request)
    assert model_admin.has_view_permission(ops_request)
    base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
    page = ops_client.get(base)
    assert page.status_code == 200
    assert f'href="{base}add/"' not in page.content.decode()
    assert ops_client.get(base + "add/").status_code == 403
    assert "delete_selected" not in model_admin.get_actions(ops_request)


@pytest.mark.parametrize(("model", "model_admin"), PRODUCT_REGISTERED)
def test_every_list_has_filters_search_and_columns(model, model_admin):
    assert model_admin.list_filter, "no list filter"
    assert model_admin.search_fields, "no search"
    assert len(model_admin.list_display) >= 2, "only the default column"


@pytest.mark.parametrize(("model", "model_admin"), REGISTERED)
def test_plural_names_read_right(model, model_admin):
    opts = model._meta
    if "verbose_name_plural" in opts.original_attrs:
        return  # chosen by hand ("chaos")
    assert opts.verbose_name_plural == _plural(str(opts.verbose_name))


def test_the_plural_rule_catches_the_old_mistakes():
    assert _plural("webhook delivery") == "webhook deliveries"
    assert _plural("link batch") == "link batches"
    assert _plural("sync run") == "sync runs"


@pytest.mark.parametrize(("model", "model_admin"), REGISTERED)
def test_every_action_says_what_it_does(model, model_admin, ops_request):
    for name, (_func, _name, description) in model_admin.get_actions(ops_request).items():
        if name == "delete_selected":
            continue
        assert re.match(r"(Queue|Delete|Mark|Send|Export) ", str(description)), description


def test_the_meters_refetch_is_queued_after_commit(ops_client, django_capture_on_commit_callbacks):
    from django.utils import timezone

    meter = Meter.objects.create(
        meter_id="m-1",
        transmission_region="CAISO",
        created_at=timezone.now(),
        fingerprint="x",
        first_synced_at=timezone.now(),
        synced_at=timezone.now(),
    )
    with django_capture_on_commit_callbacks() as callbacks:
        response = ops_client.post(
            "/admin/meters/meter/",
            {"action": "refetch_from_leap", "_selected_action": [meter.pk]},
            follow=True,
        )
    assert "Re-fetch of 1 meters queued." in response.content.decode()
    assert len(callbacks) == 1
