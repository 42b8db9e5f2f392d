"""Message templates: the field rules, filling, SMS shortening, the seed, the editor page with its
preview, history and revert, and the stored texts reaching the queue, detail page and hook."""

from __future__ import annotations

import json

import pytest
import time_machine
from django.utils import timezone

from connections.messages import MESSAGES, first_name, message_values, render_message
from connections.models import Connection, MessageTemplate, OutgoingHook
from connections.tasks import post_due_touches_task
from connections.templates import (
    ELLIPSIS,
    SMS_LIMIT,
    fill,
    shorten_sms,
    template_errors,
    template_for,
)
from links.models import Link
from tests.sandbox.receiver import Receiver

from .builders import PGE, conn, util
from .queue_data import NOON, H, link, store

EDIT = "/connections/messages/error.BAD_LOGIN/1/email/"
NEW_SUBJECT = "Your {utility} password <b>needs</b> a look"
NEW_BODY = "Hello {first_name}, {utility} did not take your login. Try again: {link}"


# --- the rules, as tables -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("Hi {customer}", None),
        ("Braces {{ and }} are text; {link}", None),
        ("From {org} to {first_name}", None),
        ("No fields at all", None),
        ("{customer.name}", "attribute or index"),
        ("{customer[0]}", "attribute or index"),
        ("{0}", "attribute or index"),
        ("{customer!r}", "without ! or :"),
        ("{customer:>20}", "without ! or :"),
        ("{customer:{link}}", "without ! or :"),
        ("{}", "needs a name"),
        ("{email}", "{email} is not a variable"),
        ("Hi {customer", "braces do not match"),
        ("Hi }", "braces do not match"),
    ],
)
def test_templates_allow_bare_known_fields_only(text, problem):
    errors = template_errors(text)
    if problem is None:
        assert errors == []
    else:
        assert len(errors) == 1
        assert problem in errors[0]


def test_every_built_in_text_passes_the_rules():
    for message in MESSAGES.values():
        assert template_errors(message.subject) == template_errors(message.body) == []


@pytest.mark.parametrize(
    ("name", "first"),
    [("Ana Lima", "Ana"), ("  Bo  ", "Bo"), ("", ""), ("   ", ""), ("Zoë", "Zoë")],
)
def test_the_first_name_is_the_first_word_and_empty_safe(name, first):
    assert first_name(name) == first


def test_filling_inserts_values_without_reparsing_them():
    values = message_values(customer_name="{link} {0.__class__}", link_url="L", org="acme")
    assert fill("{customer}|{first_name}|{link}|{org}", values) == (
        "{link} {0.__class__}|{link}|L|acme"
    )
    assert fill("{{literal}} {customer}", {"customer": "x"}) == "{literal} x"
    assert message_values()["first_name"] == "there"


LINK = "https://connect.leap.energy/c/" + "x" * 60


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("Short: " + LINK, "Short: " + LINK),
        ("word " * 80 + LINK, None),
        ("word " * 80 + LINK + " (reply STOP to end)", None),
        ("no link here " * 40, None),
    ],
)
def test_a_long_sms_is_shortened_before_the_link_never_inside_it(body, expected):
    short = shorten_sms(body, LINK if LINK in body else "")
    if expected is not None:
        assert short == expected
        return
    assert len(short) <= SMS_LIMIT
    assert ELLIPSIS in short
    if LINK in body:
        assert LINK in short
        assert short.index(ELLIPSIS) < short.index(LINK)
        assert short.endswith(body[body.index(LINK) :])


def test_a_link_longer_than_an_sms_is_sent_whole():
    link_url = "https://l.example/" + "y" * 400
    assert shorten_sms("Hi " * 10 + link_url, link_url) == link_url


# --- the seed and the lookup ----------------------------------------------------------------------


@pytest.mark.django_db
def test_the_seed_stores_todays_text_for_each_key_touch_and_channel():
    assert MessageTemplate.objects.count() == len(MESSAGES) * 3 * 2
    row = MessageTemplate.objects.get(key="error.BAD_LOGIN", touch=2, channel="email")
    assert (row.subject, row.body, row.version) == (
        MESSAGES["error.BAD_LOGIN"].subject,
        MESSAGES["error.BAD_LOGIN"].body,
        1,
    )
    assert row.versions.get().note == "Today's text"
    assert MessageTemplate.objects.get(key="resend_link", touch=1, channel="sms").subject == ""


@pytest.mark.django_db
def test_without_a_stored_row_the_built_in_text_is_used():
    MessageTemplate.objects.all().delete()
    found = template_for("error.BAD_LOGIN", 1, "email")
    assert (found.subject, found.version) == (MESSAGES["error.BAD_LOGIN"].subject, 0)
    assert template_for("no-such-key", 9, "fax").body == MESSAGES["error.generic"].body


# --- the page, the editor, history and revert -------------------------------------------------


@pytest.fixture
def clock():
    with time_machine.travel(NOON, tick=False):
        yield


@pytest.fixture
def bad_login(clock):
    """A customer whose BAD_LOGIN touch 1 is due now (and the hook's receiver)."""
    link("b1", "Bea <Stone>")
    a = timezone.now() - 2 * H
    store(conn("ERROR", util(PGE, "ERROR", "BAD_LOGIN", at=a), ref_id="b1", last=a))
    return Connection.objects.get(ref_id="b1")


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


def _save(client, subject=NEW_SUBJECT, body=NEW_BODY, note="Friendlier"):
    return client.post(EDIT, {"subject": subject, "body": body, "note": note})


@pytest.mark.django_db
def test_the_page_lists_every_key_with_its_touches_and_channels(pm_client):
    page = pm_client.get("/connections/messages/").content.decode()
    for key in MESSAGES:
        assert f'data-message="{key}"' in page
        assert f"/connections/messages/{key}/3/sms/" in page
    assert "/connections/messages/" in pm_client.get("/connections/queue/").content.decode()


@pytest.mark.django_db
def test_the_preview_renders_for_a_real_connection_and_escapes(pm_client, bad_login):
    response = pm_client.post(f"{EDIT}preview/", {"subject": NEW_SUBJECT, "body": NEW_BODY})
    html = response.content.decode()
    assert "Your PG&amp;E password &lt;b&gt;needs&lt;/b&gt; a look" in html
    assert "Hello Bea, PG&amp;E did not take your login. Try again: https://l.example/b1" in html
    assert "b1" in html


@pytest.mark.django_db
def test_unknown_variables_and_format_tricks_are_refused_with_a_message(pm_client):
    html = pm_client.post(f"{EDIT}preview/", {"subject": "x", "body": "{email} {link.x}"})
    assert "{email} is not a variable" in html.content.decode()
    assert "attribute or index access" in html.content.decode()
    response = _save(pm_client, body="Hi {customer!r}")
    assert response.status_code == 422
    assert MessageTemplate.objects.get(key="error.BAD_LOGIN", touch=1, channel="email").version == 1


@pytest.mark.django_db
def test_the_sms_editor_counts_with_the_longest_link_of_the_flow(pm_client, bad_login):
    long = link("b2", "Long")
    Link.objects.filter(pk=long.pk).update(url="https://l.example/" + "z" * 300)
    html = pm_client.post(
        "/connections/messages/error.BAD_LOGIN/1/sms/preview/", {"body": "Retry: {link}"}
    ).content.decode()
    assert f"325 / {SMS_LIMIT} characters" in html
    assert "shortened before the link" in html


@pytest.mark.django_db
def test_an_edit_reaches_the_queue_the_detail_page_the_exports_and_the_hook(
    pm_client, pm_user, bad_login, receiver
):
    assert _save(pm_client).status_code == 302
    row = MessageTemplate.objects.get(key="error.BAD_LOGIN", touch=1, channel="email")
    assert (row.version, row.updated_by) == (2, pm_user)
    queue = pm_client.get("/connections/queue/").content.decode()
    assert "Hello Bea, PG&amp;E did not take your login" in queue
    detail = pm_client.get(f"/connections/{bad_login.pk}/").content.decode()
    assert "Your PG&amp;E password &lt;b&gt;needs&lt;/b&gt; a look" in detail
    items = json.loads(b"".join(pm_client.get("/connections/queue/export.json").streaming_content))
    assert (items[0]["subject"], items[0]["template_version"]) == (
        "Your PG&E password <b>needs</b> a look",
        2,
    )
    OutgoingHook.objects.create(pk=1, url=receiver.url, enabled=True)
    post_due_touches_task.apply()
    body = receiver.requests[0]["body"]
    assert body["body"].startswith("Hello Bea, PG&E did not take your login")
    assert body["template_version"] == 2


@pytest.mark.django_db
def test_an_sms_hook_gets_the_sms_template(bad_login, receiver):
    MessageTemplate.objects.filter(key="error.BAD_LOGIN", touch=1, channel="sms").update(
        body="SMS {first_name}: {link}", version=7
    )
    OutgoingHook.objects.create(pk=1, url=receiver.url, enabled=True, channel="sms")
    post_due_touches_task.apply()
    body = receiver.requests[0]["body"]
    assert (body["subject"], body["body"], body["template_version"]) == (
        "",
        "SMS Bea: https://l.example/b1",
        7,
    )


@pytest.mark.django_db
def test_the_history_shows_who_and_what_changed_and_revert_restores(pm_client, pm_user, clock):
    _save(pm_client)
    _save(pm_client, body=NEW_BODY + " Thanks!", note="")
    page = pm_client.get(EDIT).content.decode()
    assert page.count("data-version=") == 3
    assert pm_user.get_username() in page
    assert "subject and body changed" in page
    assert "body changed" in page
    response = pm_client.post(f"{EDIT}revert/", {"version": "1"})
    assert response.status_code == 302
    row = MessageTemplate.objects.get(key="error.BAD_LOGIN", touch=1, channel="email")
    assert (row.subject, row.body, row.version) == (
        MESSAGES["error.BAD_LOGIN"].subject,
        MESSAGES["error.BAD_LOGIN"].body,
        4,
    )
    latest = row.versions.first()
    assert latest is not None
    assert latest.note == "Reverted to version 1"
    assert pm_client.post(f"{EDIT}revert/", {"version": "99"}).status_code == 404


@pytest.mark.django_db
def test_an_unknown_template_is_a_404(pm_client):
    assert pm_client.get("/connections/messages/nope/1/email/").status_code == 404
    assert pm_client.get("/connections/messages/resend_link/4/email/").status_code == 404
    assert pm_client.post("/connections/messages/resend_link/1/fax/preview/").status_code == 404


@pytest.mark.django_db
def test_editing_a_template_whose_row_is_gone_starts_from_the_built_in_text(pm_client):
    MessageTemplate.objects.all().delete()
    assert _save(pm_client).status_code == 302
    row = MessageTemplate.objects.get(key="error.BAD_LOGIN", touch=1, channel="email")
    assert [v.version for v in row.versions.all()] == [2, 1]
    assert render_message("error.BAD_LOGIN", template=template_for("error.BAD_LOGIN", 1, "email"))
