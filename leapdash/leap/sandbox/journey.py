"""The customer's pages as Leap's staging shows them: Leap Connect, Direct-to-Utility, the
utility logins, the terms, the final redirect.

Leap's journey is utility login → optional terms → thank-you page; the customer type comes
from the flow (Leap sets a flow up per customer type). As in Leap's staging, the California
utilities' own login pages cannot be reached: PG&E, SCE and SDG&E (and Direct-to-Utility
links, which go straight to them) lead to the staging error page. The NY utilities, which Leap
serves through UtilityAPI, accept only UtilityAPI's test usernames `UAPI_TEST_<scenario>`;
anything else leads to the same page. The Staging Test Utility (CAISO) offers the Connect and
Meters test cases, and the demo utility accepts anyone and stores nothing.

A JourneySession plays Leap's session (refId, requested utilities, additional_redirect_params,
customer type, agreements), so a browser can run several journeys at once. Opening a link
creates the Connect entry only when it carries a refId. These are ordinary forms with CSRF.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from csp.decorators import csp_update
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from leapdash.leap.utilities import DIRECT_UTILITIES, REGION_UTILITIES

from .models import Connection, Flow, JourneySession
from .scenarios import (
    SCENARIO_LIST,
    SCENARIOS,
    UTILITIES,
    Scenario,
)
from .state import (
    agreements_answered,
    open_connection,
    record_attempt,
    sandbox_now,
    utility_started,
)

# The final redirect goes to the partner's own site, which may be on another origin.
leaves_for_partner = csp_update({"form-action": ["'self'", "http:", "https:"]})

ERROR_MESSAGES = {
    "USER_CANCELED": "You cancelled the authorization at your utility.",
    "BAD_LOGIN": "Your utility username or password was not accepted.",
    "ACCOUNT_LOCKED": "Your utility account is locked. Unlock it with your utility, then retry.",
    "MFA_UNSUPPORTED": "Your utility account uses a sign-in method we cannot support yet.",
    "UTILITY_WEBSITE_DOWN": "Your utility's website is down. Please try again later.",
    "UTILITY_ERROR": "Your utility reported an error. Please try again later.",
    "UTILITY_RATE_LIMITED": "Your utility is busy. Please try again in a few minutes.",
    "NO_METERS_FOUND": "We found no electricity meters on this utility account.",
    "PARTIAL_METERS": "We could only load some of your meters.",
    "PENDING_MANUAL_REVIEW": "Your authorization needs a manual review by our team.",
}


def not_found(request: HttpRequest, message: str, valid: list[str] | None = None) -> HttpResponse:
    return render(
        request, "sandbox/not_found.html", {"message": message, "valid": valid or []}, status=404
    )


def _requested(raw: str, region: str) -> list[str]:
    ids = [u.strip() for u in raw.split(",") if u.strip()]
    return [u for u in ids if u in REGION_UTILITIES.get(region, ())]


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """What the sandbox offers: its flows, example links and the scenario table."""
    flows = Flow.objects.order_by("org_name", "title")
    return render(request, "sandbox/index.html", {"flows": flows, "scenarios": SCENARIO_LIST})


@require_GET
def connect_start(request: HttpRequest, org: str, title: str) -> HttpResponse:
    flow = Flow.objects.filter(org_name=org, title=title).first()
    if flow is None:
        return not_found(request, f"There is no Leap Connect flow {org}/{title}.")
    requested = _requested(request.GET.get("requestedUtilities", ""), flow.region)
    session = _begin(request, flow, requested or list(flow.default_requested))
    return redirect("sandbox:utilities", sid=session.id)


@require_GET
def direct_start(request: HttpRequest, org: str, utility: str) -> HttpResponse:
    if utility not in DIRECT_UTILITIES:
        return not_found(
            request,
            f"Direct to Utility is not available for '{utility}'.",
            valid=list(DIRECT_UTILITIES),
        )
    flow = Flow.objects.filter(org_name=org, region="CAISO").order_by("pk").first()
    if flow is None:
        return not_found(request, f"There is no organization '{org}' with a California flow.")
    session = _begin(request, flow, [utility], direct_utility=utility)
    return redirect("sandbox:utility-login", sid=session.id, utility=utility)  # unreachable


@transaction.atomic
def _begin(
    request: HttpRequest, flow: Flow, requested: list[str], direct_utility: str = ""
) -> JourneySession:
    ref_id = request.GET.get("refId", "")[:255]
    if ref_id:
        open_connection(ref_id=ref_id, flow=flow, now=sandbox_now())
    return JourneySession.objects.create(
        flow=flow,
        ref_id=ref_id,
        requested=requested,
        redirect_params=request.GET.get("additional_redirect_params", ""),
        direct_utility=direct_utility,
        # Direct to Utility is for residential customers only
        customer_type="RESIDENTIAL" if direct_utility else flow.customer_type,
    )


def _session(sid: str) -> JourneySession:
    return get_object_or_404(JourneySession.objects.select_related("flow"), pk=sid)


def _connection(session: JourneySession) -> Connection | None:
    if not session.ref_id:
        return None
    return Connection.objects.filter(ref_id=session.ref_id).first()


def _ask_terms(session: JourneySession) -> None:
    """Picking a utility makes the flow's terms count: they read PENDING until answered."""
    needs_pra = session.customer_type == "COMMERCIAL" and session.flow.region == "CAISO"
    if needs_pra and session.pra_status == "NOT_REQUIRED":
        session.pra_status = "PENDING"
    if session.flow.dr_agreement and session.dr_status == "NOT_REQUIRED":
        session.dr_status = "PENDING"
    session.save(update_fields=["pra_status", "dr_status"])


def _terms_pending(session: JourneySession) -> bool:
    return "PENDING" in (session.pra_status, session.dr_status)


@require_http_methods(["GET", "POST"])
def agreements(request: HttpRequest, sid: str) -> HttpResponse:
    """The optional terms, shown after a utility login."""
    session = _session(sid)
    choice = {"sign": "SIGNED", "later": "PENDING", "decline": "DECLINED"}
    if request.method == "POST" and request.POST.get("choice") in choice:
        status = choice[request.POST["choice"]]
        if session.pra_status != "NOT_REQUIRED":
            session.pra_status = status
        if session.dr_status != "NOT_REQUIRED":
            session.dr_status = status
        session.save(update_fields=["pra_status", "dr_status"])
        connection = _connection(session)
        if connection is not None:
            agreements_answered(
                connection,
                pra_status=session.pra_status,
                dr_status=session.dr_status,
                now=sandbox_now(),
            )
        return _next_after_terms(session, connection)
    return render(request, "sandbox/agreements.html", {"session": session})


def _next_after_terms(session: JourneySession, connection: Connection | None) -> HttpResponse:
    """The thank-you page, or back to the selector while a required utility is missing."""
    missing = connection is not None and any(
        u["utility_is_required"] and u["status"] != "CONNECTED" for u in connection.utilities
    )
    if missing and not session.direct_utility:
        return redirect("sandbox:utilities", sid=session.id)
    return redirect("sandbox:finish", sid=session.id)


def _offered(session: JourneySession) -> list[str]:
    flow = session.flow
    ids = list(flow.utilities or REGION_UTILITIES[flow.region])
    if flow.staging_test_utility and flow.region == "CAISO":
        ids.append("staging-test")
    if flow.demo_utility:
        ids.append("demo")
    return ids


@require_GET
def utilities(request: HttpRequest, sid: str) -> HttpResponse:
    session = _session(sid)
    connection = _connection(session)
    statuses = {
        u["utility_name"]: u["status"] for u in (connection.utilities if connection else [])
    }
    commercial = session.customer_type == "COMMERCIAL"
    rows = [
        {
            "id": uid,
            "name": UTILITIES[uid].name,
            "required": commercial and uid in session.requested,
            "status": statuses.get(UTILITIES[uid].name, ""),
        }
        for uid in _offered(session)
    ]
    return render(
        request,
        "sandbox/utilities.html",
        {
            "session": session,
            "rows": rows,
            "can_finish": "CONNECTED" in statuses.values(),
        },
    )


# Leap's staging cannot reach the California utilities' own login pages
UNREACHABLE = frozenset(DIRECT_UTILITIES)
NY_UTILITIES = frozenset(REGION_UTILITIES["NYISO"])


@leaves_for_partner  # type: ignore[arg-type]
@require_http_methods(["GET", "POST"])
def utility_login(request: HttpRequest, sid: str, utility: str) -> HttpResponse:
    session = _session(sid)
    allowed = [session.direct_utility] if session.direct_utility else _offered(session)
    if utility not in allowed:
        return not_found(request, f"'{utility}' is not offered in this flow.", valid=allowed)
    if utility in UNREACHABLE:
        return _staging_error(request, session, utility)
    connection = _connection(session)
    if connection is not None and utility != "demo":
        _ask_terms(session)
        utility_started(
            connection,
            utility,
            session.requested,
            sandbox_now(),
            pra_status=session.pra_status,
            dr_status=session.dr_status,
        )
    context: dict[str, Any] = {"session": session, "utility": UTILITIES[utility]}
    if utility == "staging-test":
        context["connect_cases"] = [s for s in SCENARIO_LIST if s.in_staging_menu and not s.meters]
        context["meter_cases"] = [s for s in SCENARIO_LIST if s.in_staging_menu and s.meters]
    if request.method == "GET":
        return render(request, _login_template(utility), context)
    if utility == "demo":
        return redirect("sandbox:finish", sid=session.id)  # accepts anything, stores nothing
    scenario, problem = _chosen_scenario(request, utility)
    if scenario is None and utility in NY_UTILITIES and not problem:
        return _staging_error(request, session, utility)
    if scenario is None:
        context["problem"] = problem
        return render(request, _login_template(utility), context, status=400)
    return _after_login(session, connection, utility, scenario)


def _staging_error(request: HttpRequest, session: JourneySession, utility: str) -> HttpResponse:
    """Leap's staging error page for a utility login it cannot reach."""
    back = None if session.direct_utility else reverse("sandbox:utilities", args=[session.id])
    context = {"session": session, "utility": UTILITIES[utility], "back": back}
    return render(request, "sandbox/staging_error.html", context)


def _login_template(utility: str) -> str:
    if utility == "staging-test":
        return "sandbox/staging_test.html"
    return "sandbox/demo_login.html" if utility == "demo" else "sandbox/utility_login.html"


def _chosen_scenario(request: HttpRequest, utility: str) -> tuple[Scenario | None, str]:
    """The test case picked; (None, "") for a login only a real utility would accept."""
    if utility == "staging-test":
        scenario = SCENARIOS.get(request.POST.get("case", ""))
        if scenario is None or not scenario.in_staging_menu:
            return None, "Choose a test case, then Send."
        return scenario, ""
    username = request.POST.get("username", "").strip()
    if not username:
        return None, "Enter your utility username."
    scenario = SCENARIOS.get(username.removeprefix("UAPI_TEST_"))
    if not username.startswith("UAPI_TEST_") or scenario is None or scenario.kind != "utilityapi":
        return None, ""  # UtilityAPI's test usernames only: anything else is a real login
    if scenario.only_utility and scenario.only_utility != utility:
        return None, f"{username} works with {UTILITIES[scenario.only_utility].name} only."
    return scenario, ""


def _after_login(
    session: JourneySession, connection: Connection | None, utility: str, scenario: Scenario
) -> HttpResponse:
    status = scenario.connection_status
    if connection is not None:
        record_attempt(
            connection,
            utility_id=utility,
            scenario=scenario,
            requested=session.requested,
            customer_type=session.customer_type or scenario.classification,
            pra_status=session.pra_status,
            dr_status=session.dr_status,
            now=sandbox_now(),
        )
        status = connection.status
    if scenario.utility_status != "CONNECTED":
        code = scenario.error_code or "UNKNOWN_ERROR"
        return redirect("sandbox:error", sid=session.id, utility=utility, code=code)
    if connection is not None and _terms_pending(session):
        return redirect("sandbox:agreements", sid=session.id)  # the terms come after the login
    if status == "COMPLETED" or session.direct_utility or connection is None:
        return redirect("sandbox:finish", sid=session.id)
    return redirect("sandbox:utilities", sid=session.id)  # more to do: back to Connect


@require_GET
def error(request: HttpRequest, sid: str, utility: str, code: str) -> HttpResponse:
    session = _session(sid)
    if session.direct_utility:
        back = reverse("sandbox:utility-login", args=[session.id, session.direct_utility])
    else:
        back = reverse("sandbox:utilities", args=[session.id])
    message = ERROR_MESSAGES.get(code, "The authorization was not successful. Please retry.")
    context = {"session": session, "code": code, "message": message, "back": back}
    context["utility"] = UTILITIES.get(utility)
    return render(request, "sandbox/error.html", context)


def thank_you_url(session: JourneySession) -> str:
    """The flow's thank-you URL plus refId and each additional_redirect_params pair, each value
    URL-encoded exactly once."""
    parts = urlsplit(session.flow.thank_you_url)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    if session.ref_id:
        pairs.append(("refId", session.ref_id))
    pairs += parse_qsl(session.redirect_params, keep_blank_values=True)
    return urlunsplit(parts._replace(query=urlencode(pairs)))


@require_GET
def finish(request: HttpRequest, sid: str) -> HttpResponse:
    # the URL comes from the flow's configuration, never from the request
    return HttpResponseRedirect(thank_you_url(_session(sid)))


@require_GET
def thanks(request: HttpRequest) -> HttpResponse:
    """A stand-in thank-you page that shows the parameters it received."""
    params = [(k, v) for k in request.GET for v in request.GET.getlist(k)]
    return render(request, "sandbox/thanks.html", {"params": params})
