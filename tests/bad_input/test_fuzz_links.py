"""The link builder, the refId rules, the landing's cleaning and the link form under arbitrary
input: a URL or a LinkError, never another exception; the form page never answers 500."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leapdash.leap.records import PARTNER_REFERENCE_FORBIDDEN, REF_ID_MAX
from leapdash.leap.utilities import DIRECT_UTILITIES
from links import builder
from links.models import Flow, Link

FUZZ = settings(max_examples=200, deadline=None)
any_text = st.text(max_size=80)
regions = st.sampled_from(["CAISO", "NYISO"]) | any_text
params = st.none() | any_text | st.dictionaries(any_text, any_text, max_size=4)


@FUZZ
@given(
    org=any_text,
    title=any_text,
    ref_id=st.text(max_size=300),
    region=regions,
    utilities=st.lists(any_text, max_size=4),
    redirect=params,
)
def test_connect_url_builds_or_raises_link_error(org, title, ref_id, region, utilities, redirect):
    try:
        url = builder.connect_url(
            "https://onboarding.leap.test",
            org,
            title,
            ref_id,
            region=region,
            requested_utilities=utilities,
            redirect_params=redirect,
        )
    except builder.LinkError as err:
        problems = err.problems
        url = ""
    if not url:
        assert problems
        return
    assert builder.parse_link(url).ref_id == ref_id
    assert len(url) < builder.URL_MAX
    assert url.startswith("https://onboarding.leap.test/")


@FUZZ
@given(
    org=any_text,
    utility=any_text | st.sampled_from(DIRECT_UTILITIES),
    ref_id=st.text(max_size=300),
    customer_type=any_text | st.just("residential"),
    redirect=params,
)
def test_direct_url_builds_or_raises_link_error(org, utility, ref_id, customer_type, redirect):
    try:
        url = builder.direct_url(
            "https://www.addleap.test",
            org,
            utility,
            ref_id,
            customer_type=customer_type,
            redirect_params=redirect,
        )
    except builder.LinkError:
        return
    assert customer_type == "residential"
    assert builder.parse_link(url).ref_id == ref_id
    assert url.startswith("https://www.addleap.test/")


@FUZZ
@given(ref_id=st.text(max_size=400))
def test_the_ref_id_validator_gives_reasons_or_accepts_and_never_crashes(ref_id):
    problems = builder.ref_id_problems(ref_id)
    assert all(isinstance(p, str) and p for p in problems)
    if not problems:
        assert 3 <= len(ref_id) <= REF_ID_MAX
        assert not set(ref_id) & set(PARTNER_REFERENCE_FORBIDDEN)
        assert all(ord(c) >= 32 and ord(c) != 127 for c in ref_id)
        assert ref_id.isascii()


@FUZZ
@given(pairs=st.lists(st.tuples(st.text(max_size=100), st.text(max_size=900)), max_size=40))
def test_the_landing_keeps_untrusted_values_bounded(pairs):
    data = builder.clean_landing(pairs, ignore=("flow", "next"))
    assert len(data.ref_id) <= builder.LANDING_REF_ID_MAX
    assert len(data.params) <= builder.LANDING_PARAMS_MAX
    for key, value in data.params.items():
        assert len(key) <= builder.LANDING_PARAM_NAME_MAX
        assert len(value) <= builder.LANDING_PARAM_VALUE_MAX
        assert key not in ("flow", "next", "refId")


raw_form_fields: st.SearchStrategy[dict[str, object]] = st.fixed_dictionaries(
    {
        "kind": st.sampled_from(["connect", "direct"]) | any_text,
        "flow": st.sampled_from(["", "1", "999999", "x"]) | any_text,
        "utility": st.sampled_from(["pge", "sce", ""]) | any_text,
        "customer_type": st.sampled_from(["residential", "commercial"]) | any_text,
        "ref_id": st.text(max_size=300),
        "customer_name": any_text,
        "customer_email": any_text,
        "redirect_params": any_text,
        "requested_utilities": st.lists(any_text | st.just("pge"), max_size=3),
    }
)


# what a browser can send in a form field (WSGI never hands over surrogates or NUL)
def _browser_sendable(value: object) -> object:
    if isinstance(value, list):
        return [x.replace("\x00", "") for x in value]
    return str(value).replace("\x00", "")


form_fields = raw_form_fields.map(lambda d: {k: _browser_sendable(v) for k, v in d.items()})


@pytest.mark.django_db
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=form_fields)
def test_the_link_form_never_fails_on_any_input(pm_client, data):
    Flow.objects.get_or_create(
        pk=1,
        defaults={"org_name": "test-energy", "title": "fuzz", "region": "CAISO"},
    )
    before = Link.objects.count()
    preview = pm_client.post("/links/new/preview/", data)
    assert preview.status_code == 200
    created = pm_client.post("/links/new/", data)
    assert created.status_code in (200, 302)
    assert Link.objects.count() - before == (1 if created.status_code == 302 else 0)
