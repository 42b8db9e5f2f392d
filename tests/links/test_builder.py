"""links.builder: every refId/utility/params rule with its message, and hypothesis round trips."""

import string
from urllib.parse import urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leapdash.leap.records import PARTNER_REFERENCE_FORBIDDEN
from links.builder import (
    PROHIBITED_RESOURCES_MESSAGE,
    LinkError,
    clean_landing,
    connect_url,
    direct_url,
    encode_redirect_params,
    parse_link,
    parse_redirect_params,
    ref_id_problems,
)

CONNECT = "https://onboarding.leap.energy"
DIRECT = "https://www.addleap.com"


def _connect(ref_id="cust-001", **kwargs):
    kwargs.setdefault("region", "CAISO")
    return connect_url(CONNECT, "ElectricSpaceships", "spring-2025", ref_id, **kwargs)


def _messages(excinfo, field):
    return excinfo.value.messages(field)


# --- URLs as Leap documents them --------------------------------------------------------------


def test_connect_url_follows_leaps_structure():
    url = _connect("cust-001", requested_utilities=["pge", "sce"])
    assert url == (
        "https://onboarding.leap.energy/ElectricSpaceships/spring-2025/"
        "?requestedUtilities=pge,sce&refId=cust-001"
    )


def test_connect_url_without_requested_utilities_leaves_the_parameter_out():
    assert _connect("cust-001") == (
        "https://onboarding.leap.energy/ElectricSpaceships/spring-2025/?refId=cust-001"
    )


def test_direct_url_matches_leaps_published_example():
    url = direct_url(
        DIRECT,
        "ElectricSpaceships",
        "sce",
        "123",
        redirect_params="state=abcdef123&test_parameter=value",
    )
    assert url == (
        "https://www.addleap.com/ElectricSpaceships/sce/getting-started?refId=123"
        "&additional_redirect_params=state%3Dabcdef123%26test_parameter%3Dvalue"
    )


def test_base_url_trailing_slash_and_sandbox_hosts_work():
    url = connect_url("http://testserver/sandbox/connect/", "demo", "flow", "abc", region="NYISO")
    assert url == "http://testserver/sandbox/connect/demo/flow/?refId=abc"


def test_requested_utilities_are_deduplicated_in_order():
    url = _connect(requested_utilities=["sdge", "pge", "sdge", " "])
    assert parse_link(url).requested_utilities == ("sdge", "pge")


def test_unsafe_ref_id_characters_are_percent_encoded():
    url = _connect("Cust 7 +=@;,'\"")
    assert "refId=Cust%207%20%2B%3D%40%3B%2C%27%22" in url
    assert parse_link(url).ref_id == "Cust 7 +=@;,'\""


def test_tilde_dot_underscore_and_dash_stay_as_they_are():
    assert _connect("a-b.c_d~e").endswith("refId=a-b.c_d~e")


# --- refId rules and their messages ------------------------------------------------------------


def test_ref_id_is_required():
    with pytest.raises(LinkError) as excinfo:
        _connect("")
    assert _messages(excinfo, "ref_id") == [
        "A refId is required: without it Leap's records cannot be matched to the customer."
    ]


def test_ref_id_of_255_characters_is_accepted_and_256_is_not():
    assert parse_link(_connect("a" * 255)).ref_id == "a" * 255
    with pytest.raises(LinkError) as excinfo:
        _connect("a" * 256)
    assert _messages(excinfo, "ref_id") == [
        "The refId is 256 characters long; Leap accepts at most 255."
    ]


@pytest.mark.parametrize("ref_id", ["a", "ab"])
def test_ref_id_shorter_than_a_partner_reference_is_rejected(ref_id):
    with pytest.raises(LinkError) as excinfo:
        _connect(ref_id)
    assert _messages(excinfo, "ref_id") == [
        "The refId must be at least 3 characters long: Leap stores it as the meter's "
        "partner_reference, which needs 3 to 256 characters."
    ]


@pytest.mark.parametrize("char", sorted(PARTNER_REFERENCE_FORBIDDEN))
def test_each_character_forbidden_in_a_partner_reference_is_rejected(char):
    with pytest.raises(LinkError) as excinfo:
        _connect(f"cust{char}1")
    assert _messages(excinfo, "ref_id") == [
        f"The refId contains {char}, which Leap does not allow in a meter's partner_reference "
        "(none of / \\ ? [ ] { } ! # $ % ^ & * ( ) < > |)."
    ]


def test_several_forbidden_characters_are_listed_once_each_in_order():
    assert ref_id_problems("a/b/c?d") == [
        "The refId contains / ?, which Leap does not allow in a meter's partner_reference "
        "(none of / \\ ? [ ] { } ! # $ % ^ & * ( ) < > |)."
    ]


def test_control_characters_and_surrounding_spaces_are_rejected():
    assert ref_id_problems("abc\tdef") == [
        "The refId contains a control character (such as a tab or line break)."
    ]
    assert ref_id_problems(" abc") == ["The refId starts or ends with a space."]


@pytest.mark.parametrize(
    ("ref_id", "message"),
    [
        ("café-001", "found 'é' at position 4"),
        ("ÉLAN-2", "found 'É' at position 1"),
        ("cust\u00a0001", "found '\\xa0' at position 5"),  # a non-breaking space, shown escaped
        ("cust-\u0430001", "found 'а' at position 6"),  # a Cyrillic а that looks like a Latin a
        ("cust-\u200b1", "found '\\u200b' at position 6"),  # a zero-width space
        ("home-🔋-1", "found '🔋' at position 6"),
        ("naïve-é", "found 'ï' at position 3"),  # the first one is named
    ],
)
def test_ref_ids_outside_us_ascii_are_refused_naming_the_character(ref_id, message):
    expected = f"The refId must be plain ASCII (Leap's URL rules); {message}."
    assert expected in ref_id_problems(ref_id)
    with pytest.raises(LinkError) as excinfo:
        _connect(ref_id)
    assert expected in _messages(excinfo, "ref_id")
    with pytest.raises(LinkError) as excinfo:
        direct_url(DIRECT, "org", "pge", ref_id)
    assert expected in _messages(excinfo, "ref_id")


@pytest.mark.parametrize("ref_id", ["cust-001", "A~b_c.d-e", "x" * 255, "Cust 7 +=@;,'"])
def test_printable_ascii_ref_ids_pass_the_ascii_rule(ref_id):
    assert not any("ASCII" in p for p in ref_id_problems(ref_id))


def test_every_problem_is_reported_at_once():
    with pytest.raises(LinkError) as excinfo:
        _connect("a#", requested_utilities=["oru-utilityapi"], redirect_params="refId=x")
    fields = [p.field for p in excinfo.value.problems]
    assert fields == ["ref_id", "ref_id", "requested_utilities", "redirect_params"]


# --- utilities ----------------------------------------------------------------------------------


def test_requested_utilities_must_belong_to_the_flows_region():
    with pytest.raises(LinkError) as excinfo:
        _connect(requested_utilities=["pge", "cecony-utilityapi"])
    assert _messages(excinfo, "requested_utilities") == [
        "cecony-utilityapi is not a CAISO utility Leap Connect supports "
        "(choose from pge, sce, sdge)."
    ]


def test_nyiso_flows_take_nyiso_utilities_only():
    url = _connect(region="NYISO", requested_utilities=["oru-utilityapi", "psegli-utilityapi"])
    assert "requestedUtilities=oru-utilityapi,psegli-utilityapi" in url
    with pytest.raises(LinkError) as excinfo:
        _connect(region="NYISO", requested_utilities=["pge"])
    assert _messages(excinfo, "requested_utilities") == [
        "pge is not a NYISO utility Leap Connect supports "
        "(choose from cecony-utilityapi, oru-utilityapi, psegli-utilityapi)."
    ]


@pytest.mark.parametrize(
    ("region", "offered", "requested", "problem"),
    [
        # an empty list means every utility of the flow's region
        ("CAISO", [], ["pge", "sce", "sdge"], None),
        ("CAISO", ["pge", "sce"], ["pge"], None),
        ("CAISO", ["pge", "sce"], ["pge", "sce"], None),
        ("CAISO", ["pge", "sce"], [], None),
        ("CAISO", ["pge"], ["sdge"], "sdge (it offers pge)"),
        ("CAISO", ["pge"], ["sce", "pge", "sdge"], "sce, sdge (it offers pge)"),
        ("NYISO", ["oru-utilityapi"], ["cecony-utilityapi"], "cecony-utilityapi (it offers oru-"),
        # a flow list that strays outside its region offers only its region's part
        ("CAISO", ["pge", "cecony-utilityapi"], ["pge"], None),
    ],
)
def test_requested_utilities_must_be_ones_the_flow_offers(region, offered, requested, problem):
    def build():
        return connect_url(
            CONNECT,
            "org",
            "flow",
            "cust-001",
            region=region,
            requested_utilities=requested,
            offered_utilities=offered,
        )

    if problem is None:
        assert parse_link(build()).requested_utilities == tuple(requested)
        return
    with pytest.raises(LinkError) as excinfo:
        build()
    (message,) = _messages(excinfo, "requested_utilities")
    assert message.startswith("The flow does not offer " + problem)
    assert message.endswith(
        "request only the flow's utilities, or ask Leap to add the utility to the flow."
    )


def test_a_utility_of_another_region_gets_the_region_message_not_the_flow_one():
    with pytest.raises(LinkError) as excinfo:
        _connect(requested_utilities=["cecony-utilityapi"], offered_utilities=["pge"])
    (message,) = _messages(excinfo, "requested_utilities")
    assert message.startswith("cecony-utilityapi is not a CAISO utility")


def test_an_unknown_region_is_refused():
    with pytest.raises(LinkError) as excinfo:
        _connect(region="ERCOT")
    assert _messages(excinfo, "region") == ["Leap Connect does not serve the region 'ERCOT'."]


@pytest.mark.parametrize("utility", ["cecony-utilityapi", "staging-test", ""])
def test_direct_links_exist_only_for_the_california_utilities(utility):
    with pytest.raises(LinkError) as excinfo:
        direct_url(DIRECT, "org", utility, "cust-1")
    assert _messages(excinfo, "utility") == [
        "Direct-to-Utility links exist only for pge, sce, sdge (California); "
        f"{utility or 'no utility'} is not one of them. Use a Leap Connect link for other "
        "utilities."
    ]


def test_direct_links_refuse_commercial_customers_and_explain_the_attestation():
    with pytest.raises(LinkError) as excinfo:
        direct_url(DIRECT, "org", "pge", "cust-1", customer_type="commercial")
    assert _messages(excinfo, "customer_type") == [PROHIBITED_RESOURCES_MESSAGE]
    assert "Prohibited Resources Attestation" in PROHIBITED_RESOURCES_MESSAGE
    assert "Leap Connect link" in PROHIBITED_RESOURCES_MESSAGE


def test_org_and_title_must_be_url_friendly():
    with pytest.raises(LinkError) as excinfo:
        connect_url(CONNECT, "my org", "", "cust-1", region="CAISO")
    assert _messages(excinfo, "org") == [
        "The Leap org name may use only letters, digits and - . _ ~"
    ]
    assert _messages(excinfo, "title") == ["The flow's URL-friendly title is required."]


# --- redirect params ----------------------------------------------------------------------------


def test_redirect_params_from_a_dict_and_from_a_query_string_encode_the_same():
    from_dict = _connect(redirect_params={"state": "abc", "campaign": "x"})
    from_text = _connect(redirect_params="?state=abc&campaign=x")
    assert from_dict == from_text
    assert from_dict.endswith("&additional_redirect_params=state%3Dabc%26campaign%3Dx")


def test_redirect_params_are_one_value_in_the_link():
    url = _connect(redirect_params={"a": "1&refId=evil", "b": "x y"})
    query = urlsplit(url).query
    assert query.count("&") == 1  # refId + additional_redirect_params, nothing else leaks out
    assert parse_link(url).redirect_params == {"a": "1&refId=evil", "b": "x y"}
    assert parse_link(url).ref_id == "cust-001"


def test_empty_redirect_params_leave_the_parameter_out():
    assert "additional_redirect_params" not in _connect(redirect_params="")
    assert "additional_redirect_params" not in _connect(redirect_params={})


@pytest.mark.parametrize("key", ["refId", "refid", "REFID"])
def test_a_redirect_param_may_not_clash_with_ref_id(key):
    with pytest.raises(LinkError) as excinfo:
        parse_redirect_params({key: "x"})
    assert _messages(excinfo, "redirect_params") == [
        f"The redirect parameter {key!r} clashes with refId, which Leap adds to the final "
        "redirect itself: rename it."
    ]


def test_a_repeated_or_nameless_redirect_param_is_refused():
    with pytest.raises(LinkError) as excinfo:
        parse_redirect_params("a=1&b=2&a=3")
    assert _messages(excinfo, "redirect_params") == [
        "The redirect parameter a is given more than once."
    ]
    with pytest.raises(LinkError) as excinfo:
        parse_redirect_params("=1")
    assert _messages(excinfo, "redirect_params") == ["A redirect parameter has no name."]


def test_encode_redirect_params_double_encodes_values_once_per_level():
    assert encode_redirect_params({"q": "a b&c"}) == "q%3Da%2520b%2526c"


def test_links_of_2000_characters_or_more_are_refused_with_the_length():
    params = {"note": "x" * 1900}
    with pytest.raises(LinkError) as excinfo:
        _connect(redirect_params=params)
    [message] = _messages(excinfo, "url")
    assert message.startswith("The link would be 2,0")
    assert message.endswith(
        "it must stay under 2,000. Shorten the refId or the redirect parameters."
    )


def test_a_link_just_under_the_limit_is_built():
    base = _connect(redirect_params={"n": ""})
    room = 1999 - len(base)
    url = _connect(redirect_params={"n": "x" * room})
    assert len(url) == 1999


# --- landing -------------------------------------------------------------------------------------


def test_clean_landing_bounds_every_untrusted_value():
    items = [("refId", "r" * 400), ("k" * 100, "v" * 900)] + [(f"p{i}", "x") for i in range(40)]
    data = clean_landing(items)
    assert len(data.ref_id) == 255
    assert len(data.params) == 20
    assert ("k" * 64, "v" * 500) in data.params.items()


def test_clean_landing_keeps_the_first_ref_id_and_skips_ignored_keys():
    data = clean_landing(
        [("refId", "abc"), ("refId", "zzz"), ("flow", "f"), ("a", "1")], ignore=["flow"]
    )
    assert data.ref_id == "abc"
    assert data.params == {"a": "1"}
    assert data.valid_ref_id
    assert not clean_landing([("refId", "<script>")]).valid_ref_id


# --- property tests -------------------------------------------------------------------------------

valid_ref_ids = st.text(
    alphabet=st.characters(
        min_codepoint=32,  # printable US-ASCII only: anything else is refused
        max_codepoint=126,
        blacklist_characters="".join(PARTNER_REFERENCE_FORBIDDEN),
    ),
    min_size=3,
    max_size=200,
).filter(lambda s: s == s.strip())
param_keys = st.text(min_size=1, max_size=20).filter(lambda k: k.strip() and k.lower() != "refid")
params = st.dictionaries(param_keys, st.text(max_size=40), max_size=5)
# What may appear raw in a built URL's query: unreserved, the percent escapes, and the
# delimiters the builder itself writes.
QUERY_ALLOWED = set(string.ascii_letters + string.digits + "-._~%=&,")


@given(ref_id=valid_ref_ids, redirect=params)
def test_connect_links_round_trip_through_one_level_of_decoding(ref_id, redirect):
    url = _connect(ref_id, requested_utilities=["pge"], redirect_params=redirect)
    parsed = parse_link(url)
    assert parsed.ref_id == ref_id
    assert parsed.redirect_params == redirect
    assert parsed.requested_utilities == ("pge",)
    assert set(urlsplit(url).query) <= QUERY_ALLOWED


@given(ref_id=valid_ref_ids, redirect=params)
def test_direct_links_round_trip_and_contain_no_raw_unsafe_character(ref_id, redirect):
    url = direct_url(DIRECT, "org", "sdge", ref_id, redirect_params=redirect)
    parsed = parse_link(url)
    assert (parsed.ref_id, parsed.redirect_params) == (ref_id, redirect)
    assert parsed.path == "/org/sdge/getting-started"
    assert set(urlsplit(url).query) <= QUERY_ALLOWED


@given(st.text(max_size=300))
def test_any_ref_id_is_either_built_or_refused_with_a_reason(ref_id):
    problems = ref_id_problems(ref_id)
    if problems:
        with pytest.raises(LinkError) as excinfo:
            _connect(ref_id)
        assert excinfo.value.messages("ref_id") == problems
    else:
        assert parse_link(_connect(ref_id)).ref_id == ref_id
