"""Link pages: building one link, the live preview, the table, export, roles and CSRF."""

import csv
import io
from datetime import timedelta
from xml.etree import ElementTree

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from links.builder import PROHIBITED_RESOURCES_MESSAGE
from links.models import Flow, Link

from .cases import connect_form

NEW = "/links/new/"
PREVIEW = "/links/new/preview/"


def _connect_data(flow, **overrides):
    fields = {"requested_utilities": ["pge"], "redirect_params": "campaign=spring&state=abc"}
    return connect_form(flow, **{**fields, **overrides})


# --- building one link ---------------------------------------------------------------------------


def test_a_program_manager_builds_and_saves_a_connect_link(pm_client, pm_user, flow):
    response = pm_client.post(NEW, _connect_data(flow))
    link = Link.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("links:detail", args=[link.pk])
    assert link.url == (
        "http://testserver/sandbox/connect/test-energy/spring-2025/?requestedUtilities=pge"
        "&refId=cust-0001&additional_redirect_params=campaign%3Dspring%26state%3Dabc"
    )
    assert (link.kind, link.flow, link.org_name, link.created_by) == (
        "connect",
        flow,
        "test-energy",
        pm_user,
    )
    assert link.redirect_params == {"campaign": "spring", "state": "abc"}
    detail = pm_client.get(response["Location"])
    assert link.url.replace("&", "&amp;") in detail.content.decode()
    assert b"data:image/svg+xml" in detail.content


def test_a_direct_link_uses_the_org_name_from_settings(pm_client, settings):
    settings.LEAP_ORG_NAME = "test-energy"
    data = {
        "kind": "direct",
        "utility": "sdge",
        "customer_type": "residential",
        "ref_id": "home-42",
        "customer_email": "h@example.com",
    }
    assert pm_client.post(NEW, data).status_code == 302
    link = Link.objects.get()
    assert link.flow is None
    assert (
        link.url
        == "http://testserver/sandbox/direct/test-energy/sdge/getting-started?refId=home-42"
    )


def test_the_preview_shows_the_url_copy_button_and_qr_without_saving(pm_client, flow):
    response = pm_client.post(PREVIEW, _connect_data(flow))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="link-url"' in html
    assert "refId=cust-0001" in html
    assert 'data-copy="link-url"' in html
    assert 'src="data:image/svg+xml' in html
    assert "<html" not in html  # a fragment
    assert not Link.objects.exists()


def test_the_preview_explains_each_broken_rule(pm_client, flow):
    data = _connect_data(flow, ref_id="a#", requested_utilities=["cecony-utilityapi"])
    html = pm_client.post(PREVIEW, data).content.decode()
    assert "The refId must be at least 3 characters long" in html
    assert "The refId contains #, which Leap does not allow" in html
    assert "cecony-utilityapi is not a CAISO utility Leap Connect supports" in html
    assert 'id="link-url"' not in html


@pytest.mark.parametrize(
    ("flow_utilities", "requested", "error"),
    [
        (["pge"], ["sce"], "The flow does not offer sce (it offers pge)"),
        (["pge", "sdge"], ["sce", "sdge"], "The flow does not offer sce (it offers pge, sdge)"),
        (["pge", "sce"], ["pge", "sce"], None),
        ([], ["sdge"], None),  # no list: every CAISO utility
    ],
)
def test_the_link_form_takes_only_utilities_the_flow_offers(
    pm_client, flow, flow_utilities, requested, error
):
    Flow.objects.filter(pk=flow.pk).update(utilities=flow_utilities)
    data = _connect_data(flow, requested_utilities=requested)
    preview = pm_client.post(PREVIEW, data).content.decode()
    response = pm_client.post(NEW, data)
    if error is None:
        assert 'id="link-url"' in preview
        assert response.status_code == 302
        assert Link.objects.get().requested_utilities == requested
        return
    assert error in preview
    assert 'id="link-url"' not in preview
    assert response.status_code == 200
    assert error in response.content.decode()
    assert not Link.objects.exists()


@pytest.mark.parametrize(
    ("kind", "ref_id", "error"),
    [
        ("connect", "josé-001", "found &#x27;é&#x27; at position 4"),
        ("direct", "cust\u00a0001", "found &#x27;\\xa0&#x27; at position 5"),
    ],
)
def test_the_link_form_refuses_a_ref_id_outside_ascii(
    pm_client, settings, flow, kind, ref_id, error
):
    settings.LEAP_ORG_NAME = "test-energy"
    data = _connect_data(flow, ref_id=ref_id)
    if kind == "direct":
        data.update(kind="direct", utility="pge", requested_utilities=[])
    html = pm_client.post(NEW, data).content.decode()
    assert f"The refId must be plain ASCII (Leap&#x27;s URL rules); {error}." in html
    assert not Link.objects.exists()


@pytest.mark.parametrize(
    ("ref_id", "saved"), [("cust-é01", False), ("cust#001", False), ("cust-002", True)]
)
def test_the_admin_applies_the_ref_id_rules_too(ops_client, flow, make_link, ref_id, saved):
    link = make_link(flow, ref_id="cust-001")
    data = {
        "flow": flow.pk,
        "kind": "connect",
        "org_name": link.org_name,
        "ref_id": ref_id,
        "customer_name": link.customer_name,
        "customer_email": link.customer_email,
        "customer_type": "residential",
        "requested_utilities": "[]",
        "redirect_params": "{}",
    }
    response = ops_client.post(f"/admin/links/link/{link.pk}/change/", data)
    link.refresh_from_db()
    if saved:
        assert response.status_code == 302
        assert link.ref_id == ref_id
    else:
        assert response.status_code == 200
        assert response.context["adminform"].form.errors["ref_id"]
        assert link.ref_id == "cust-001"


def test_a_commercial_direct_link_is_refused_with_an_offer_to_build_a_connect_link(pm_client):
    data = {
        "kind": "direct",
        "utility": "pge",
        "customer_type": "commercial",
        "ref_id": "shop-1",
        "customer_name": "Corner Shop",
    }
    response = pm_client.post(PREVIEW, data)
    html = response.content.decode()
    assert "Prohibited Resources Attestation" in html
    assert PROHIBITED_RESOURCES_MESSAGE.replace("'", "&#x27;") in html
    assert "Build a Leap Connect link instead" in html
    assert "kind=connect" in html
    assert "ref_id=shop-1" in html
    assert pm_client.post(NEW, data).status_code == 200
    assert not Link.objects.exists()


def test_a_connect_link_needs_a_flow(pm_client):
    html = pm_client.post(PREVIEW, {"kind": "connect", "customer_type": "residential"}).content
    assert b"Choose the Leap Connect flow for this link." in html


def test_a_ref_id_of_another_customer_is_refused_even_when_resending(pm_client, flow, make_link):
    make_link(flow, ref_id="cust-0001", customer_name="Bob", customer_email="bob@example.com")
    data = _connect_data(flow, resend="on")
    response = pm_client.post(NEW, data)
    assert response.status_code == 200
    assert (
        "The refId cust-0001 is already used by another customer (Bob). Each customer needs "
        "their own refId." in response.content.decode()
    )
    assert Link.objects.count() == 1


def test_resending_the_same_customers_link_needs_confirmation(pm_client, flow, make_link):
    old = make_link(
        flow, ref_id="cust-0001", customer_email="ADA@example.com", sent_at=timezone.now()
    )
    refused = pm_client.post(NEW, _connect_data(flow))
    assert "This customer already has a link with refId cust-0001" in refused.content.decode()
    assert "re-send it, or choose another refId." in refused.content.decode()
    assert pm_client.post(NEW, _connect_data(flow, resend="on")).status_code == 302
    old.refresh_from_db()
    assert Link.objects.count() == 1
    assert "requestedUtilities=pge" in old.url
    assert old.sent_at is None  # to be marked sent again when it goes out


def test_the_same_ref_id_may_be_used_by_another_organization(pm_client, flow, make_link):
    make_link(None, ref_id="cust-0001", org_name="other-org", customer_email="x@example.com")
    assert pm_client.post(NEW, _connect_data(flow)).status_code == 302
    assert Link.objects.filter(ref_id="cust-0001").count() == 2


def test_mark_as_sent_records_the_time(pm_client, make_link):
    link = make_link()
    response = pm_client.post(reverse("links:mark_sent", args=[link.pk]))
    assert response.status_code == 302
    link.refresh_from_db()
    assert link.sent_at is not None


def test_the_qr_download_is_an_svg_of_the_link(pm_client, make_link):
    link = make_link()
    response = pm_client.get(reverse("links:qr", args=[link.pk]))
    assert response["Content-Type"] == "image/svg+xml"
    assert response.content.startswith(b"<svg")
    # a standalone SVG file: well-formed XML in the SVG namespace, sized, titled with the refId
    root = ElementTree.fromstring(response.content)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert int(root.get("width", "0")) > 0
    assert root.findtext("{http://www.w3.org/2000/svg}title") == link.ref_id


# --- flows ---------------------------------------------------------------------------------------


def test_a_flow_is_added_with_its_forward_allow_list(ops_client):
    data = {
        "org_name": "test-energy",
        "title": "ny-commercial",
        "region": "NYISO",
        "utilities": ["cecony-utilityapi"],
        "customer_type": "commercial",
        "campaign": "autumn",
        "thank_you_url": "https://partner.example/thanks",
        "forward_allowlist": "https://partner.example/a\n\nhttps://partner.example/b\n",
        "follow_up_other_utility": "on",
        "first_touch_delay_minutes": "30",
    }
    response = ops_client.post(reverse("links:flow_new"), data)  # the allow-list is ops'
    assert response.status_code == 302
    flow = Flow.objects.get()
    assert flow.forward_allowlist == ["https://partner.example/a", "https://partner.example/b"]
    assert flow.utilities == ["cecony-utilityapi"]
    assert (flow.follow_up_other_utility, flow.first_touch_delay_minutes) == (True, 30)
    assert b"test-energy/ny-commercial" in ops_client.get(reverse("links:flows")).content


def test_a_flow_refuses_other_regions_utilities_and_relative_forward_urls(ops_client):
    data = {
        "org_name": "test-energy",
        "title": "ny",
        "region": "NYISO",
        "utilities": ["pge"],
        "customer_type": "residential",
        "forward_allowlist": "/relative\njavascript:alert(1)",
    }
    html = ops_client.post(reverse("links:flow_new"), data).content.decode()
    assert (
        "pge is not a NYISO utility (the region&#x27;s utilities are cecony-utilityapi, "
        "oru-utilityapi, psegli-utilityapi)." in html
    )
    assert "/relative is not an absolute http(s) URL." in html
    assert not Flow.objects.exists()


def _flow_data(**overrides):
    data = {
        "org_name": "test-energy",
        "title": "spring",
        "region": "CAISO",
        "customer_type": "residential",
        "first_touch_delay_minutes": "15",
    }
    return {**data, **overrides}


@pytest.mark.parametrize(
    ("delay", "error"),
    [
        ("4", "Ensure this value is greater than or equal to 5."),
        ("61", "Ensure this value is less than or equal to 60."),
        ("5", None),
        ("60", None),
        ("", "This field is required."),
    ],
)
def test_the_first_touch_delay_stays_within_leaps_5_to_60_minutes(pm_client, delay, error):
    response = pm_client.post(
        reverse("links:flow_new"), _flow_data(first_touch_delay_minutes=delay)
    )
    if error is None:
        assert response.status_code == 302
        assert Flow.objects.get().first_touch_delay_minutes == int(delay)
    else:
        assert response.status_code == 200
        assert response.context["form"].errors["first_touch_delay_minutes"] == [error]
        assert not Flow.objects.exists()


def test_a_new_flow_follows_leaps_defaults(pm_client):
    form = pm_client.get(reverse("links:flow_new")).content.decode()
    assert "Follow up a customer who connected another utility" in form
    assert "First touch delay (minutes)" in form
    assert pm_client.post(reverse("links:flow_new"), _flow_data()).status_code == 302
    flow = Flow.objects.get()
    assert (flow.follow_up_other_utility, flow.first_touch_delay_minutes) == (False, 15)


def test_ops_edit_flows_in_the_admin_under_the_same_rules(ops_client):
    add = "/admin/links/flow/add/"
    assert b"First touch delay (minutes)" in ops_client.get(add).content
    refused = ops_client.post(add, _flow_data(utilities=["cecony-utilityapi"]))
    assert refused.status_code == 200
    assert refused.context["adminform"].form.errors["utilities"] == [
        "cecony-utilityapi is not a CAISO utility (the region's utilities are pge, sce, sdge)."
    ]
    data = _flow_data(utilities=["pge"], follow_up_other_utility="on")
    data["first_touch_delay_minutes"] = "45"
    assert ops_client.post(add, data).status_code == 302
    flow = Flow.objects.get()
    assert (flow.utilities, flow.follow_up_other_utility, flow.first_touch_delay_minutes) == (
        ["pge"],
        True,
        45,
    )


# --- the table -----------------------------------------------------------------------------------


def test_the_list_is_one_url_for_page_and_partial(pm_client, make_link, flow):
    make_link(flow, ref_id="alpha-1")
    page = pm_client.get("/links/")
    partial = pm_client.get("/links/", headers={"HX-Request": "true"})
    assert b"<html" in page.content
    assert b"<html" not in partial.content
    assert b"alpha-1" in partial.content
    assert "HX-Request" in partial["Vary"]


def test_filters_by_flow_kind_campaign_opened_and_created_range(pm_client, make_link, flow):
    other = Flow.objects.create(org_name="test-energy", title="other", campaign="autumn")
    opened = make_link(flow, ref_id="opened-1", first_opened_at=timezone.now())
    make_link(flow, ref_id="never-1")
    make_link(other, ref_id="autumn-1")
    make_link(None, ref_id="direct-1", utility="pge")
    old = make_link(flow, ref_id="old-1")
    Link.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=40))

    def refs(query):
        response = pm_client.get("/links/?" + query, headers={"HX-Request": "true"})
        return {link.ref_id for link in response.context["page"].object_list}

    assert refs(f"flow={flow.pk}") == {"opened-1", "never-1", "old-1"}
    assert refs("kind=direct") == {"direct-1"}
    assert refs("campaign=autumn") == {"autumn-1"}
    assert refs("opened=yes") == {opened.ref_id}
    assert refs(f"opened=no&flow={flow.pk}") == {"never-1", "old-1"}
    since = (timezone.now() - timedelta(days=7)).date().isoformat()
    assert "old-1" not in refs(f"created_after={since}")
    assert refs(f"created_before={since}") == {"old-1"}
    assert refs("q=AUTUMN") == {"autumn-1"}


def test_sorting_and_pages_of_fifty(pm_client, make_link):
    for i in range(51):
        make_link(ref_id=f"r{i:03d}")
    first = pm_client.get("/links/?sort=ref_id").context["page"]
    assert [link.ref_id for link in first.object_list][:2] == ["r000", "r001"]
    assert len(first.object_list) == 50
    last = pm_client.get("/links/?sort=-ref_id&page=2").context["page"]
    assert [link.ref_id for link in last.object_list] == ["r000"]
    html = pm_client.get("/links/?sort=ref_id").content.decode()
    assert "?sort=ref_id&amp;page=2" in html  # the pager keeps the sort


@pytest.mark.parametrize("rows", [1, 30])
def test_the_list_query_count_does_not_grow_with_rows(
    pm_client, make_link, flow, rows, django_assert_num_queries
):
    for _ in range(rows):
        make_link(flow)
    pm_client.get("/links/")  # warm the session and role caches of the test client
    # session, user, roles, count, rows
    with django_assert_num_queries(5):
        response = pm_client.get("/links/", headers={"HX-Request": "true"})
    assert len(response.context["page"].object_list) == rows


def test_export_streams_the_filtered_list_with_formulas_neutralised(pm_client, make_link, flow):
    make_link(flow, ref_id="keep-1", customer_name='=HYPERLINK("http://evil")')
    make_link(flow, ref_id="keep-2", customer_name="+1", customer_email="@x.example")
    make_link(None, ref_id="direct-1")
    response = pm_client.get(f"/links/export.csv?flow={flow.pk}&sort=ref_id")
    assert response.streaming
    assert response["Content-Type"] == "text/csv"
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [r["ref_id"] for r in rows] == ["keep-1", "keep-2"]
    assert rows[0]["customer_name"] == '\'=HYPERLINK("http://evil")'
    assert rows[1]["customer_name"] == "'+1"
    assert rows[1]["customer_email"] == "'@x.example"
    assert rows[0]["campaign"] == "spring"


# --- roles and CSRF ------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/links/", "/links/new/", "/links/flows/", "/links/import/"])
def test_pages_need_a_role(no_role_client, client, url):
    assert no_role_client.get(url).status_code == 403
    assert client.get(url).status_code == 302


def test_a_user_without_a_role_cannot_build_links(no_role_client, flow):
    assert no_role_client.post(NEW, _connect_data(flow)).status_code == 403
    assert not Link.objects.exists()


@pytest.mark.parametrize("url", [NEW, PREVIEW, "/links/flows/new/", "/links/import/"])
def test_posts_without_a_csrf_token_are_refused(pm_user, flow, url):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(pm_user)
    assert strict.post(url, _connect_data(flow)).status_code == 403
    assert not Link.objects.exists()


def test_posts_with_the_csrf_token_are_accepted(pm_user, flow):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(pm_user)
    strict.get(NEW)
    token = strict.cookies["csrftoken"].value
    response = strict.post(NEW, _connect_data(flow), headers={"X-CSRFToken": token})
    assert response.status_code == 302


def test_ops_see_links_and_unverified_visits_in_the_admin(ops_client, make_link, flow):
    make_link(flow, ref_id="admin-1")
    assert b"admin-1" in ops_client.get("/admin/links/link/").content
    assert ops_client.get("/admin/links/landingvisit/").status_code == 200
    assert ops_client.get("/admin/links/landingvisit/add/").status_code == 403
