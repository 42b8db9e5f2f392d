"""The do-not-contact opt-out: set on the link form, switched on the link page, shown in lists."""

import pytest
from django.test import Client
from django.urls import reverse

from links.models import Link


def _switch(client, link, value, **kwargs):
    return client.post(
        reverse("links:do_not_contact", args=[link.pk]), {"do_not_contact": value}, **kwargs
    )


def test_a_program_manager_marks_a_customer_do_not_contact_and_back(pm_client, make_link):
    link = make_link(ref_id="cust-opt")
    page = pm_client.get(reverse("links:detail", args=[link.pk])).content.decode()
    assert "Mark as do not contact" in page
    assert 'id="do-not-contact-badge"' not in page

    response = _switch(pm_client, link, "on")
    assert response.status_code == 302
    assert response["Location"] == reverse("links:detail", args=[link.pk])
    link.refresh_from_db()
    assert link.do_not_contact is True
    page = pm_client.get(reverse("links:detail", args=[link.pk])).content.decode()
    assert 'id="do-not-contact-badge"' in page
    assert "Yes: the customer opted out." in page
    assert "Allow contact again" in page
    assert "cust-opt is marked do not contact: no more touches." in page

    assert _switch(pm_client, link, "off").status_code == 302
    link.refresh_from_db()
    assert link.do_not_contact is False


def test_ops_may_switch_it_too(ops_client, make_link):
    link = make_link()
    assert _switch(ops_client, link, "on").status_code == 302
    link.refresh_from_db()
    assert link.do_not_contact is True


@pytest.mark.parametrize("value", ["", "yes", "1", "ON"])
def test_anything_but_on_or_off_is_a_bad_request(pm_client, make_link, value):
    link = make_link(do_not_contact=True)
    assert _switch(pm_client, link, value).status_code == 400
    link.refresh_from_db()
    assert link.do_not_contact is True


def test_the_switch_answers_post_only(pm_client, make_link):
    link = make_link()
    url = reverse("links:do_not_contact", args=[link.pk])
    assert pm_client.get(url, {"do_not_contact": "on"}).status_code == 405
    link.refresh_from_db()
    assert link.do_not_contact is False


def test_a_user_without_a_role_gets_403_and_anonymous_is_sent_to_log_in(
    no_role_client, client, make_link
):
    link = make_link()
    assert _switch(no_role_client, link, "on").status_code == 403
    anonymous = _switch(client, link, "on")
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("login"))
    link.refresh_from_db()
    assert link.do_not_contact is False


def test_the_switch_needs_the_csrf_token(pm_user, make_link):
    link = make_link()
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(pm_user)
    assert _switch(strict, link, "on").status_code == 403
    link.refresh_from_db()
    assert link.do_not_contact is False
    page = strict.get(reverse("links:detail", args=[link.pk]))
    token = page.context["csrf_token"]
    assert _switch(strict, link, "on", headers={"X-CSRFToken": str(token)}).status_code == 302
    link.refresh_from_db()
    assert link.do_not_contact is True


def test_the_link_page_form_carries_its_csrf_token(pm_client, make_link):
    link = make_link()
    html = pm_client.get(reverse("links:detail", args=[link.pk])).content.decode()
    action = f'action="{reverse("links:do_not_contact", args=[link.pk])}"'
    form = html.split(action, 1)[1].split("</form>", 1)[0]
    assert 'name="csrfmiddlewaretoken"' in form
    assert 'name="do_not_contact" value="on"' in form


def _new_link_data(flow, **overrides):
    data = {
        "kind": "connect",
        "flow": flow.pk,
        "customer_type": "residential",
        "ref_id": "cust-dnc",
        "customer_name": "Ada Lovelace",
        "customer_email": "ada@example.com",
    }
    return {**data, **overrides}


@pytest.mark.parametrize(("ticked", "expected"), [({"do_not_contact": "on"}, True), ({}, False)])
def test_the_link_form_sets_the_opt_out(pm_client, flow, ticked, expected):
    assert pm_client.post("/links/new/", _new_link_data(flow, **ticked)).status_code == 302
    assert Link.objects.get().do_not_contact is expected


def test_re_sending_a_link_never_lifts_an_opt_out(pm_client, flow, make_link):
    link = make_link(flow, ref_id="cust-dnc", customer_email="ada@example.com", do_not_contact=True)
    response = pm_client.post("/links/new/", _new_link_data(flow, resend="on"))
    assert response.status_code == 302
    link.refresh_from_db()
    assert link.do_not_contact is True


def test_the_link_list_and_export_show_the_opt_out(pm_client, flow, make_link):
    make_link(flow, ref_id="quiet-1", do_not_contact=True)
    make_link(flow, ref_id="chatty-1")
    rows = pm_client.get("/links/", headers={"HX-Request": "true"}).content.decode()
    quiet, chatty = rows.split("quiet-1", 1)[1], rows.split("chatty-1", 1)[1]
    assert quiet.split("</td>", 1)[0].count("Do not contact") == 1
    assert "Do not contact" not in chatty.split("</td>", 1)[0]
    export = b"".join(pm_client.get("/links/export.csv").streaming_content).decode()
    header, *lines = export.splitlines()
    assert header.endswith(",first_opened_at,do_not_contact")
    by_ref = {line.split(",", 1)[0]: line.rsplit(",", 1)[1] for line in lines}
    assert by_ref == {"quiet-1": "yes", "chatty-1": "no"}


def test_ops_filter_and_switch_the_opt_out_in_the_admin(ops_client, flow, make_link):
    quiet = make_link(flow, ref_id="quiet-1", do_not_contact=True)
    make_link(flow, ref_id="chatty-1")
    listing = ops_client.get("/admin/links/link/", {"do_not_contact__exact": "1"}).content
    assert b"quiet-1" in listing
    assert b"chatty-1" not in listing
    change = ops_client.get(f"/admin/links/link/{quiet.pk}/change/").content.decode()
    assert 'name="do_not_contact"' in change
    assert 'name="first_opened_at' not in change  # Leap's word, read-only here
