"""Leap Connect and Direct-to-Utility URLs, and the refId rules: pure functions, no I/O.

Leap's rules (LEAP_API.md §1): a refId is plain US-ASCII of at most 255 characters, ends up as
the meter's partner_reference (3–256 characters, none of / \\ ? [ ] { } ! # $ % ^ & * ( ) < > |),
and any character outside A-Z a-z 0-9 - . _ ~ is percent-encoded. additional_redirect_params is the
partner's own query string, URL-encoded as one value; Leap restores it, plus refId, on the final
redirect. Callers pass the base hosts (settings), so the demo points at the sandbox.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from leapdash.leap.records import (
    PARTNER_REFERENCE_FORBIDDEN,
    PARTNER_REFERENCE_MIN,
    REF_ID_MAX,
)
from leapdash.leap.utilities import DIRECT_UTILITIES, REGION_UTILITIES

URL_MAX = 2000  # links must stay under this many characters (browsers, mail clients, SMS)
RESERVED_PARAM = "refId"
NAME_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

PROHIBITED_RESOURCES_MESSAGE = (
    "Direct-to-Utility links are for residential customers only. California commercial "
    "customers must sign Leap's Prohibited Resources Attestation, which only a Leap Connect "
    "flow collects: build a Leap Connect link for this customer instead."
)

RedirectParams = Mapping[str, str] | str | None


@dataclass(frozen=True, slots=True)
class Problem:
    """One reason a link cannot be built, tied to the input field it concerns."""

    field: str  # ref_id | requested_utilities | utility | redirect_params | customer_type | url …
    message: str


class LinkError(ValueError):
    """The inputs cannot make a valid link; `problems` lists every reason found."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(p.message for p in self.problems))

    def messages(self, field: str) -> list[str]:
        return [p.message for p in self.problems if p.field == field]


def ref_id_problems(ref_id: str) -> list[str]:
    """Every rule the refId breaks, in words a program manager can act on (empty: valid)."""
    if not ref_id:
        return ["A refId is required: without it Leap's records cannot be matched to the customer."]
    problems = []
    if len(ref_id) > REF_ID_MAX:
        problems.append(
            f"The refId is {len(ref_id)} characters long; Leap accepts at most {REF_ID_MAX}."
        )
    if len(ref_id) < PARTNER_REFERENCE_MIN:
        problems.append(
            f"The refId must be at least {PARTNER_REFERENCE_MIN} characters long: Leap stores it "
            "as the meter's partner_reference, which needs 3 to 256 characters."
        )
    forbidden = sorted({c for c in ref_id if c in PARTNER_REFERENCE_FORBIDDEN})
    if forbidden:
        problems.append(
            f"The refId contains {' '.join(forbidden)}, which Leap does not allow in a meter's "
            "partner_reference (none of / \\ ? [ ] { } ! # $ % ^ & * ( ) < > |)."
        )
    outside_ascii = next(((i, c) for i, c in enumerate(ref_id, 1) if ord(c) > 127), None)
    if outside_ascii:
        # Leap's URL rules are US-ASCII: an accented letter or a look-alike (a non-breaking
        # space, a Cyrillic а) would reach Leap as a different refId than the partner typed.
        position, char = outside_ascii
        problems.append(
            f"The refId must be plain ASCII (Leap's URL rules); found {char!r} at position "
            f"{position}."
        )
    if any(ord(c) < 32 or ord(c) == 127 for c in ref_id):
        problems.append("The refId contains a control character (such as a tab or line break).")
    if ref_id != ref_id.strip():
        problems.append("The refId starts or ends with a space.")
    return problems


def check_ref_id(ref_id: str) -> None:
    """Raise LinkError if the refId could not be a valid Leap refId and partner_reference."""
    problems = ref_id_problems(ref_id)
    if problems:
        raise LinkError([Problem("ref_id", m) for m in problems])


def parse_redirect_params(value: RedirectParams) -> dict[str, str]:
    """The partner's redirect params from a dict or a query string, checked. Raises LinkError."""
    if value is None:
        return {}
    if isinstance(value, str):
        text = value.strip().lstrip("?")
        if not text:
            return {}
        pairs = parse_qsl(text, keep_blank_values=True)
        keys = [k for k, _ in pairs]
        repeated = sorted({k for k in keys if keys.count(k) > 1})
        if repeated:
            raise LinkError(
                [
                    Problem(
                        "redirect_params",
                        f"The redirect parameter {', '.join(repeated)} is given more than once.",
                    )
                ]
            )
        params = dict(pairs)
    else:
        params = {str(k): str(v) for k, v in value.items()}
    problems = []
    if any(not k.strip() for k in params):
        problems.append(Problem("redirect_params", "A redirect parameter has no name."))
    clash = sorted(k for k in params if k.lower() == RESERVED_PARAM.lower())
    if clash:
        problems.append(
            Problem(
                "redirect_params",
                f"The redirect parameter {clash[0]!r} clashes with refId, which Leap adds to "
                "the final redirect itself: rename it.",
            )
        )
    if problems:
        raise LinkError(problems)
    return params


def encode_redirect_params(params: Mapping[str, str]) -> str:
    """The params as one URL-encoded value: {"state": "abc"} -> "state%3Dabc"."""
    return quote(urlencode(list(params.items()), quote_via=quote, safe=""), safe="")


def connect_url(
    base_url: str,
    org: str,
    title: str,
    ref_id: str,
    *,
    region: str,
    requested_utilities: Iterable[str] = (),
    redirect_params: RedirectParams = None,
    offered_utilities: Sequence[str] = (),
    customer_type: str = "",
    flow_customer_type: str = "",
) -> str:
    """A Leap Connect link for one customer of the flow <org>/<title> in `region`.

    `offered_utilities` are the flow's utilities (empty: all of the region's); a requested
    utility must be one of them, or the customer would be asked for one the flow cannot show.
    The customer's type must be the flow's (either left empty: not checked).
    """
    problems = name_problems("org", org) + name_problems("title", title)
    problems += [Problem("ref_id", m) for m in ref_id_problems(ref_id)]
    problems += customer_type_problems(customer_type, flow_customer_type, title)
    requested = list(dict.fromkeys(u.strip() for u in requested_utilities if u.strip()))
    problems += requested_utility_problems(region, requested, offered_utilities)
    params = _params_or_problem(redirect_params, problems)
    if problems:
        raise LinkError(problems)
    query = []
    if requested:
        # Leap documents the ids comma-separated; they are all unreserved characters.
        query.append("requestedUtilities=" + ",".join(requested))
    query.append("refId=" + quote(ref_id, safe=""))
    if params:
        query.append("additional_redirect_params=" + encode_redirect_params(params))
    path = f"{_segment(org)}/{_segment(title)}/"
    return _checked_length(f"{base_url.rstrip('/')}/{path}?{'&'.join(query)}")


def requested_utility_problems(
    region: str, requested: Sequence[str], offered_utilities: Sequence[str]
) -> list[Problem]:
    """Each requested utility must be one Leap Connect serves in the region and the flow offers."""
    supported = REGION_UTILITIES.get(region)
    if supported is None:
        return [Problem("region", f"Leap Connect does not serve the region {region!r}.")]
    problems = []
    wrong = [u for u in requested if u not in supported]
    if wrong:
        problems.append(
            Problem(
                "requested_utilities",
                f"{', '.join(wrong)} is not a {region} utility Leap Connect supports "
                f"(choose from {', '.join(supported)}).",
            )
        )
    offered = flow_utilities(region, offered_utilities)
    not_offered = [u for u in requested if u in supported and u not in offered]
    if not_offered:
        problems.append(
            Problem(
                "requested_utilities",
                f"The flow does not offer {', '.join(not_offered)} (it offers "
                f"{', '.join(offered) or 'no utility of its region'}): request only the "
                "flow's utilities, or ask Leap to add the utility to the flow.",
            )
        )
    return problems


def customer_type_problems(
    customer_type: str, flow_customer_type: str, title: str
) -> list[Problem]:
    """A Connect flow serves one customer type (Leap sets it per flow): the customer's must match.

    Leap's flow asks the questions of its own customer type (for a California commercial
    customer, the Prohibited Resources Attestation), so the other type would get the wrong ones.
    """
    if not customer_type or not flow_customer_type or customer_type == flow_customer_type:
        return []
    return [
        Problem(
            "customer_type",
            f"The flow {title} is for {flow_customer_type} customers and this customer is "
            f"{customer_type}: choose a {customer_type} flow, or correct the customer type.",
        )
    ]


def flow_utilities(region: str, utilities: Sequence[str]) -> tuple[str, ...]:
    """The utilities a flow offers: its own list within its region, or, empty, all of it."""
    supported = REGION_UTILITIES.get(region, ())
    if not utilities:
        return supported
    return tuple(u for u in supported if u in utilities)


def direct_url(
    base_url: str,
    org: str,
    utility_id: str,
    ref_id: str,
    *,
    customer_type: str = "residential",
    redirect_params: RedirectParams = None,
) -> str:
    """A Direct-to-Utility (ShareMyData) link: California residential customers only."""
    problems = name_problems("org", org)
    problems += [Problem("ref_id", m) for m in ref_id_problems(ref_id)]
    if customer_type != "residential":
        problems.append(Problem("customer_type", PROHIBITED_RESOURCES_MESSAGE))
    if utility_id not in DIRECT_UTILITIES:
        problems.append(
            Problem(
                "utility",
                f"Direct-to-Utility links exist only for {', '.join(DIRECT_UTILITIES)} "
                f"(California); {utility_id or 'no utility'} is not one of them. Use a Leap "
                "Connect link for other utilities.",
            )
        )
    params = _params_or_problem(redirect_params, problems)
    if problems:
        raise LinkError(problems)
    query = "refId=" + quote(ref_id, safe="")
    if params:
        query += "&additional_redirect_params=" + encode_redirect_params(params)
    path = f"{_segment(org)}/{_segment(utility_id)}/getting-started"
    return _checked_length(f"{base_url.rstrip('/')}/{path}?{query}")


def same_customer(email: str, name: str, new_email: str, new_name: str) -> bool:
    """Whether a refId's holder (email, name) is the customer now given: by email if either has
    one, else by name. Another customer must get their own refId (Leap: DUPLICATE_REF_ID)."""
    if email or new_email:
        return email.casefold() == new_email.casefold()
    return name.strip().casefold() == new_name.strip().casefold()


@dataclass(frozen=True, slots=True)
class ParsedLink:
    """What Leap reads back from a link, decoding it once as Leap does."""

    path: str
    ref_id: str | None
    requested_utilities: tuple[str, ...]
    redirect_params: dict[str, str]


def parse_link(url: str) -> ParsedLink:
    """Decode a built link the way Leap does: one level for the query, one for the params."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    utilities = query.get("requestedUtilities", "")
    return ParsedLink(
        path=parts.path,
        ref_id=query.get("refId"),
        requested_utilities=tuple(u for u in utilities.split(",") if u),
        redirect_params=dict(
            parse_qsl(query.get("additional_redirect_params", ""), keep_blank_values=True)
        ),
    )


# --- final-redirect landing -------------------------------------------------------------------

LANDING_REF_ID_MAX = REF_ID_MAX
LANDING_PARAM_NAME_MAX = 64
LANDING_PARAM_VALUE_MAX = 500
LANDING_PARAMS_MAX = 20
LANDING_USER_AGENT_MAX = 500


@dataclass(frozen=True, slots=True)
class LandingData:
    """The untrusted parts of a final redirect, cut to size (nothing here is verified)."""

    ref_id: str
    params: dict[str, str]
    valid_ref_id: bool


def clean_landing(items: Iterable[tuple[str, str]], *, ignore: Iterable[str] = ()) -> LandingData:
    """Bound the refId and params of a final redirect so that a forged one cannot flood storage."""
    skipped = set(ignore) | {RESERVED_PARAM}
    ref_id = ""
    params: dict[str, str] = {}
    for key, value in items:
        if key == RESERVED_PARAM:
            ref_id = ref_id or value[:LANDING_REF_ID_MAX]
        elif key not in skipped and len(params) < LANDING_PARAMS_MAX and key not in params:
            params[key[:LANDING_PARAM_NAME_MAX]] = value[:LANDING_PARAM_VALUE_MAX]
    return LandingData(ref_id=ref_id, params=params, valid_ref_id=not ref_id_problems(ref_id))


def _segment(name: str) -> str:
    return quote(name, safe="")


def name_problems(field: str, value: str) -> list[Problem]:
    label = {"org": "The Leap org name", "title": "The flow's URL-friendly title"}[field]
    if not value:
        return [Problem(field, f"{label} is required.")]
    if not set(value) <= NAME_SAFE:
        return [Problem(field, f"{label} may use only letters, digits and - . _ ~")]
    return []


def _params_or_problem(value: RedirectParams, problems: list[Problem]) -> dict[str, str]:
    try:
        return parse_redirect_params(value)
    except LinkError as err:
        problems.extend(err.problems)
        return {}


def _checked_length(url: str) -> str:
    if len(url) >= URL_MAX:
        raise LinkError(
            [
                Problem(
                    "url",
                    f"The link would be {len(url):,} characters long; it must stay under "
                    f"{URL_MAX:,}. Shorten the refId or the redirect parameters.",
                )
            ]
        )
    return url
