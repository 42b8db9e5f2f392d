"""Template sets: a cadence variant may send a named set of message texts instead of the
standard ones. A set holds only the texts it changes (the rest read as the standard), is edited
and reverted on the messages page with ?set=, and its texts reach the queue, the detail page,
the JSON export and the hook, which names the set. The queue's group titles follow the stored
subjects."""

from __future__ import annotations

import json

import pytest
from django.utils import timezone

from connections.messages import Message
from connections.models import Connection, Experiment, MessageTemplate, OutgoingHook
from connections.tasks import post_due_touches_task
from connections.templates import builtin_for, set_name_errors, template_for
from links.models import Flow

from .builders import conn
from .queue_data import H, link, store
from .test_experiments_page import _post
from .test_templates import bad_login, clock, receiver  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db
KEY, SET = "error.BAD_LOGIN", "friendly"
EDIT = f"/connections/messages/{KEY}/1/email/"


def _standard(subject: str = "Standard {utility}") -> Message:
    return Message(subject, "Standard body {link}", 4)


def _named(subject: str = "Friendly {utility}") -> Message:
    return Message(subject, "Friendly body {link}", 2, SET)


@pytest.mark.parametrize(
    ("book", "asked", "expected"),
    [
        ({}, SET, "built-in"),  # nothing stored: the catalogue's text
        ({("", KEY, 1, "email"): _standard()}, SET, "standard"),  # the set lacks it
        ({("", KEY, 1, "email"): _standard(), (SET, KEY, 1, "email"): _named()}, SET, SET),
        ({("", KEY, 1, "email"): _standard(), (SET, KEY, 1, "email"): _named()}, "", "standard"),
        ({(SET, KEY, 1, "email"): _named()}, "other", "built-in"),  # another set's text
        ({(SET, KEY, 2, "email"): _named()}, SET, "built-in"),  # only touch 2 changed
    ],
)
def test_a_set_falls_back_to_the_standard_text_then_the_built_in_one(book, asked, expected):
    found = template_for(KEY, 1, "email", book, asked)
    wanted = {
        "built-in": builtin_for(KEY, "email"),
        "standard": _standard(),
        SET: _named(),
    }[expected]
    assert found == wanted


@pytest.mark.parametrize(
    ("name", "accepted"),
    [("", True), ("friendly", True), ("b2-fast", True), ("Friendly", False)]
    + [("a b", False), ("-x", False), ("x" * 51, False), ("<b>", False), ("a/b", False)],
)
def test_a_set_name_is_lowercase_letters_digits_and_dashes(name, accepted):
    assert (set_name_errors(name) == []) is accepted


def _in_a_variant_with(connection: Connection, template_set: str) -> None:
    flow = Flow.objects.create(org_name="acme", title="home")
    experiment = Experiment.objects.create(flow=flow, name="Texts", started_at=timezone.now())
    variant = experiment.variants.create(name="Friendly", share=100, template_set=template_set)
    Connection.objects.filter(pk=connection.pk).update(variant=variant)


def test_a_set_is_edited_apart_from_the_standard_texts(pm_client, pm_user):
    page = pm_client.get(f"/connections/messages/?set={SET}").content.decode()
    assert f"{EDIT}?set={SET}" in page
    assert ">standard<" in page  # every text of a new set reads as the standard one
    response = pm_client.post(
        f"{EDIT}?set={SET}", {"subject": "Hi {first_name}", "body": "Again: {link}"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"{EDIT}?set={SET}"
    row = MessageTemplate.objects.get(template_set=SET, key=KEY, touch=1, channel="email")
    assert (row.subject, row.version, row.updated_by) == ("Hi {first_name}", 2, pm_user)
    standard = MessageTemplate.objects.get(template_set="", key=KEY, touch=1, channel="email")
    assert standard.version == 1  # untouched
    assert row.versions.get(version=1).body == standard.body  # the set started from it
    listed = pm_client.get("/connections/messages/").content.decode()
    assert f"?set={SET}" in listed  # the set is offered as a tab


def test_a_revert_in_a_set_stays_in_the_set(pm_client):
    pm_client.post(f"{EDIT}?set={SET}", {"subject": "One", "body": "First {link}"})
    pm_client.post(f"{EDIT}?set={SET}", {"subject": "Two", "body": "Second {link}"})
    response = pm_client.post(
        f"/connections/messages/{KEY}/1/email/revert/?set={SET}", {"version": "2"}
    )
    assert response["Location"] == f"{EDIT}?set={SET}"
    row = MessageTemplate.objects.get(template_set=SET, key=KEY, touch=1, channel="email")
    assert (row.subject, row.version) == ("One", 4)
    assert (
        MessageTemplate.objects.get(template_set="", key=KEY, touch=1, channel="email").version == 1
    )


def test_a_malformed_set_name_is_explained_on_the_list_and_unknown_on_the_editor(pm_client):
    listed = pm_client.get("/connections/messages/?set=Bad%20Name%3Cb%3E")
    assert listed.status_code == 200
    html = listed.content.decode()
    assert "lowercase letters, digits and dashes" in html
    assert 'value="bad name&lt;b&gt;"' in html  # shown back, escaped
    assert 'aria-current="page">Standard texts' in html  # and the standard texts listed
    assert pm_client.get(f"{EDIT}?set=Bad%20Name").status_code == 404
    assert pm_client.post(f"{EDIT}?set=a/b", {"body": "x"}).status_code == 404


def test_a_variants_customers_get_its_set_everywhere_and_the_hook_names_it(
    pm_client,
    bad_login,  # noqa: F811
    receiver,  # noqa: F811
):
    pm_client.post(
        f"{EDIT}?set={SET}",
        {"subject": "Friendly {utility} retry", "body": "Hey {first_name}: {link}"},
    )
    _in_a_variant_with(bad_login, SET)
    queue = pm_client.get("/connections/queue/").content.decode()
    assert "Hey Bea: https://l.example/b1" in queue
    assert "Utility error: " in queue  # error groups keep the error's name
    detail = pm_client.get(f"/connections/{bad_login.pk}/").content.decode()
    assert "Friendly PG&amp;E retry" in detail
    items = json.loads(b"".join(pm_client.get("/connections/queue/export.json").streaming_content))
    assert (items[0]["subject"], items[0]["template_set"]) == ("Friendly PG&E retry", SET)
    OutgoingHook.objects.create(pk=1, url=receiver.url, enabled=True)
    post_due_touches_task.apply()
    body = receiver.requests[0]["body"]
    assert (body["body"], body["template_set"], body["template_version"]) == (
        "Hey Bea: https://l.example/b1",
        SET,
        2,
    )


def test_a_variant_whose_set_lacks_a_text_sends_the_standard_one(pm_client, bad_login):  # noqa: F811
    _in_a_variant_with(bad_login, "empty-set")
    items = json.loads(b"".join(pm_client.get("/connections/queue/export.json").streaming_content))
    standard = MessageTemplate.objects.get(template_set="", key=KEY, touch=1, channel="email")
    assert items[0]["template_set"] == ""
    assert items[0]["template_version"] == standard.version


def test_an_experiment_variant_takes_a_set_and_refuses_a_malformed_one(pm_client):
    flow = Flow.objects.create(org_name="acme", title="home")
    refused = _post(pm_client, flow, **{"variants-1-template_set": "No Good"})
    assert refused.status_code == 200
    assert "lowercase letters, digits and dashes" in refused.content.decode()
    assert not Experiment.objects.exists()
    started = _post(pm_client, flow, **{"variants-1-template_set": SET})
    assert started.status_code == 302
    sets = list(Experiment.objects.get().variants.values_list("name", "template_set"))
    assert sets == [("Fast", ""), ("Slow", SET), ("Holdout", "")]
    page = pm_client.get("/connections/experiments/").content.decode()
    assert f"/connections/messages/?set={SET}" in page
    assert SET in pm_client.get("/connections/messages/").content.decode()  # offered as a tab


def test_the_queue_group_title_follows_the_stored_subject(pm_client, clock):  # noqa: F811
    link("r1", "Ray")
    store(conn("NOT_STARTED", ref_id="r1", last=timezone.now() - 2 * H))
    key = Connection.objects.get(ref_id="r1").message_key
    MessageTemplate.objects.filter(key=key, touch=1, channel="email", template_set="").update(
        subject="pick up where you left off, {first_name}", version=2
    )
    queue = pm_client.get("/connections/queue/").content.decode()
    heading = queue.split(f'data-message="{key}">', 1)[1].split("<span", 1)[0]
    assert "Pick up where you left off" in heading  # in generic words, as a sentence
    assert "Ray" not in heading
