"""The New-link form guides: per-kind fields, a real prompt, the flow's customer type, the
duplicate refId's link and re-send, and the Connect offer that keeps the chosen utility."""

from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from links.models import Flow, Link

from .cases import TYPE_MISMATCHES, connect_form

NEW = "/links/new/"
PREVIEW = "/links/new/preview/"


class _KindOfInputs(HTMLParser):
    """Each named input's nearest enclosing kind-* wrapper ("" when shown for both kinds)."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.kinds: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        name = values.get("name")
        if tag in ("input", "select", "textarea") and name:
            wrappers = [c for c in self.stack if c.startswith("kind-")]
            self.kinds.setdefault(name, wrappers[-1] if wrappers else "")
        if tag == "div":
            self.stack.append(values.get("class") or "")

    def handle_endtag(self, tag):
        if tag == "div" and self.stack:
            self.stack.pop()


def _kinds(html: str) -> dict[str, str]:
    parser = _KindOfInputs()
    parser.feed(html)
    return parser.kinds


def _connect(flow, **overrides):
    return connect_form(flow, **overrides)


def test_each_field_is_shown_for_its_kind_only(pm_client, flow):
    kinds = _kinds(pm_client.get(NEW).content.decode())
    assert kinds["flow"] == "kind-connect"
    assert kinds["requested_utilities"] == "kind-connect"
    assert kinds["utility"] == "kind-direct"
    shared = ("kind", "customer_type", "ref_id", "customer_name", "customer_email")
    assert {name: kinds[name] for name in shared} == dict.fromkeys(shared, "")
    upload = _kinds(pm_client.get("/links/import/").content.decode())
    assert (upload["flow"], upload["file"]) == ("kind-connect", "")


def test_the_flow_list_starts_with_a_prompt_and_names_each_flows_customer_type(pm_client, flow):
    html = pm_client.get(NEW).content.decode()
    assert '<option value="" selected>Choose a flow</option>' in html
    assert '<option value="" selected>Choose a utility</option>' in html
    assert "---------" not in html
    assert "test-energy/spring-2025 · Residential</option>" in html


@pytest.mark.parametrize(
    ("data", "url"),
    [
        # the other kind's fields, still in the page, are ignored when saving
        (
            {"kind": "direct", "utility": "pge", "requested_utilities": ["sce"]},
            "http://testserver/sandbox/direct/test-energy/pge/getting-started?refId=cust-0001",
        ),
        (
            {"kind": "connect", "utility": "sdge"},
            "http://testserver/sandbox/connect/test-energy/spring-2025/?refId=cust-0001",
        ),
    ],
)
def test_the_server_checks_and_saves_only_the_chosen_kinds_fields(
    pm_client, settings, flow, data, url
):
    settings.LEAP_ORG_NAME = "test-energy"
    response = pm_client.post(NEW, _connect(flow, **data))
    assert response.status_code == 302
    link = Link.objects.get()
    assert link.url == url
    assert (link.flow, link.utility, link.requested_utilities) == (
        (None, "pge", []) if data["kind"] == "direct" else (flow, "", [])
    )


@pytest.mark.parametrize(
    ("flow_type", "customer_type", "error"),
    [
        ("residential", "residential", None),
        ("commercial", "commercial", None),
        *TYPE_MISMATCHES,
    ],
)
def test_the_customer_type_must_match_the_flows(pm_client, flow, flow_type, customer_type, error):
    Flow.objects.filter(pk=flow.pk).update(customer_type=flow_type)
    data = _connect(flow, customer_type=customer_type)
    preview = pm_client.post(PREVIEW, data).content.decode()
    response = pm_client.post(NEW, data)
    if error is None:
        assert response.status_code == 302
        assert Link.objects.get().customer_type == customer_type
        return
    assert response.status_code == 200
    assert response.context["form"].errors["customer_type"] == [error]
    assert error in preview
    assert "Build a Leap Connect link instead" not in preview  # it is one already
    assert not Link.objects.exists()


def test_a_duplicate_ref_id_links_to_the_existing_link_and_offers_its_resend(
    pm_client, flow, make_link
):
    old = make_link(flow, ref_id="cust-0001", customer_email="ada@example.com")
    html = pm_client.post(PREVIEW, _connect(flow)).content.decode()
    assert "This customer already has a link with refId cust-0001" in html
    assert f'<a href="{reverse("links:detail", args=[old.pk])}">Open the existing link' in html
    assert (
        '<button type="submit" name="resend" value="on" form="link-form" class="secondary">'
        "Re-send the existing link</button>" in html
    )
    # the button submits the form with resend=on: the existing link is re-sent, not copied
    response = pm_client.post(NEW, _connect(flow, resend="on"))
    assert response["Location"] == reverse("links:detail", args=[old.pk])
    assert Link.objects.count() == 1


def test_another_customers_ref_id_links_to_their_link_without_a_resend(pm_client, flow, make_link):
    other = make_link(flow, ref_id="cust-0001", customer_name="Bob", customer_email="b@x.example")
    html = pm_client.post(PREVIEW, _connect(flow)).content.decode()
    assert "The refId cust-0001 is already used by another customer (Bob)." in html
    assert f'<a href="{reverse("links:detail", args=[other.pk])}">Open the existing link' in html
    assert "Re-send the existing link" not in html


def _connect_offer(pm_client, utility):
    data = {
        "kind": "direct",
        "utility": utility,
        "customer_type": "commercial",
        "ref_id": "shop-1",
        "customer_name": "Corner Shop",
        "redirect_params": "state=x",
    }
    response = pm_client.post(PREVIEW, data)
    offer = response.context["connect_offer"]
    return offer, {k: v for k, v in parse_qs(urlsplit(offer).query).items()}


@pytest.mark.parametrize(
    ("commercial_flows", "flow_chosen"),
    [
        ([["pge", "sce"]], True),  # the one commercial flow offering pge is filled in
        ([["sce"]], False),  # it does not offer pge: the person chooses
        ([[], ["pge"]], False),  # two offer it: the person chooses
        ([], False),
    ],
)
def test_build_a_connect_link_instead_keeps_the_chosen_utility(
    pm_client, flow, commercial_flows, flow_chosen
):
    made = [
        Flow.objects.create(
            org_name="test-energy", title=f"shops-{n}", customer_type="commercial", utilities=u
        )
        for n, u in enumerate(commercial_flows)
    ]
    offer, query = _connect_offer(pm_client, "pge")
    assert query["kind"] == ["connect"]
    assert query["customer_type"] == ["commercial"]
    assert query["requested_utilities"] == ["pge"]
    assert query["redirect_params"] == ["state=x"]
    assert query.get("flow") == ([str(made[0].pk)] if flow_chosen else None)
    form = pm_client.get(offer).context["form"]
    assert form["requested_utilities"].value() == ["pge"]
    assert (form["kind"].value(), form["customer_type"].value()) == ("connect", "commercial")
    assert form["ref_id"].value() == "shop-1"


def test_the_offered_connect_link_builds_with_the_utility_requested(pm_client, flow):
    shops = Flow.objects.create(
        org_name="test-energy", title="shops", customer_type="commercial", utilities=["pge"]
    )
    _offer, query = _connect_offer(pm_client, "pge")
    data = {k: v[0] for k, v in query.items()} | {"requested_utilities": ["pge"]}
    assert pm_client.post(NEW, data).status_code == 302
    link = Link.objects.get()
    assert (link.flow, link.requested_utilities, link.customer_type) == (
        shops,
        ["pge"],
        "commercial",
    )
    assert "requestedUtilities=pge&refId=shop-1" in link.url
