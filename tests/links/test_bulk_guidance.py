"""Bulk import guidance: the flow's customer type per row, rows without an email kept with a
warning, and no empty "Create 0 links" on a re-upload (refused by the server too)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from links.bulk import NO_EMAIL_WARNING
from links.models import Flow, Link, LinkBatch

from .cases import TYPE_MISMATCHES, problems

HEADER = "ref_id,name,email,utility,customer_type\n"


def _batch(client, content: str, flow) -> LinkBatch:
    data = {
        "kind": "connect",
        "flow": flow.pk,
        "file": SimpleUploadedFile("c.csv", content.encode()),
    }
    response = client.post("/links/import/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    return LinkBatch.objects.get(pk=int(response["Location"].rstrip("/").split("/")[-1]))


@pytest.mark.parametrize(
    ("flow_type", "cell", "error"),
    [
        ("residential", "", None),  # empty: the flow's type
        ("residential", "residential", None),
        ("commercial", "", None),
        ("commercial", "Commercial", None),
        *TYPE_MISMATCHES,
    ],
)
def test_each_rows_customer_type_must_be_the_flows(pm_client, flow, flow_type, cell, error):
    Flow.objects.filter(pk=flow.pk).update(customer_type=flow_type)
    flow.refresh_from_db()
    batch = _batch(pm_client, HEADER + f"cust-1,Ada,ada@example.com,,{cell}\n", flow)
    if error is None:
        assert problems(batch.errors) == []
        assert batch.rows[0]["customer_type"] == flow_type
        return
    assert problems(batch.errors) == [{"line": 2, "column": "customer_type", "message": error}]
    assert batch.rows == []


def test_a_row_without_an_email_is_kept_with_a_warning_and_created(pm_client, flow):
    content = HEADER + "cust-1,Ada,ada@example.com,,\ncust-2,Bob,,,\n"
    batch = _batch(pm_client, content, flow)
    assert problems(batch.errors) == []
    assert [(r["ref_id"], r["warning"]) for r in batch.rows] == [
        ("cust-1", ""),
        ("cust-2", NO_EMAIL_WARNING),
    ]
    assert NO_EMAIL_WARNING == (
        "No email: no automated e-mail touch possible (the link is still created)."
    )
    page = pm_client.get(reverse("links:batch", args=[batch.pk]))
    assert page.context["pending"].warnings == 1
    assert [r["ref_id"] for r in page.context["warnings"]] == ["cust-2"]
    assert NO_EMAIL_WARNING in page.content.decode()
    assert "Create 2 links</button>" in page.content.decode()
    pm_client.post(reverse("links:batch_confirm", args=[batch.pk]))
    assert sorted(Link.objects.values_list("ref_id", "customer_email")) == [
        ("cust-1", "ada@example.com"),
        ("cust-2", ""),
    ]


def test_a_re_upload_with_nothing_new_offers_no_create_and_the_server_refuses_one(pm_client, flow):
    content = HEADER + "cust-1,Ada,ada@example.com,,\ncust-2,Bob,,,\n"
    first = _batch(pm_client, content, flow)
    pm_client.post(reverse("links:batch_confirm", args=[first.pk]))
    again = _batch(pm_client, content, flow)
    page = pm_client.get(reverse("links:batch", args=[again.pk]))
    html = page.content.decode()
    assert page.context["pending"].warnings == 0  # nothing is created, nothing to warn about
    assert (
        '<button type="submit" disabled aria-describedby="nothing-new">Create 0 links</button>'
        in html
    )
    assert "Nothing new to create: every valid row of this file was imported before." in html
    refused = pm_client.post(reverse("links:batch_confirm", args=[again.pk]), follow=True)
    assert "Nothing to create: every valid row was imported before." in refused.content.decode()
    again.refresh_from_db()
    assert (again.status, again.imported_at) == ("preview", None)
    assert Link.objects.count() == 2
