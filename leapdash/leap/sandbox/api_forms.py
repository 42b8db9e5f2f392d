"""POST /v2/forms/{form_uid}/test-submit: UtilityAPI's test authorization, against a flow.

It leaves the same records a customer clicking through the flow with UAPI_TEST_<scenario>
would: the connection (when a ref_id is given or generated), the utility's outcome, meters.
"""

from __future__ import annotations

import re

from django.db import transaction
from django.http import HttpRequest, JsonResponse

from leapdash.leap.utilities import REGION_UTILITIES

from .api import ApiError, api_view, json_object
from .models import Flow
from .scenarios import SCENARIOS, find_utility
from .state import new_referral, sandbox_now, submit_scenario

UAPI_SCENARIOS = sorted(s.name for s in SCENARIOS.values() if s.kind == "utilityapi")
REF_ID = re.compile(r"^[0-9A-Za-z\-._~]{3,255}$")


@api_view(["POST"], wrong_key_status=401)  # UtilityAPI: 401 for an invalid token
@transaction.atomic
def test_submit(request: HttpRequest, form_uid: str) -> JsonResponse:
    flow = Flow.objects.filter(form_uid=form_uid).first()
    if flow is None:
        raise ApiError(404, "Form not found", {"form_uid": form_uid})
    body = json_object(request)
    if not isinstance(body.get("utility"), str):
        raise ApiError(400, "Malformed body", {"error": 'expected {"utility", "scenario"}'})
    if not isinstance(body.get("scenario"), str):
        raise ApiError(400, "Malformed body", {"error": 'expected {"utility", "scenario"}'})
    utility = find_utility(body["utility"])
    allowed = (*REGION_UTILITIES[flow.region], "staging-test", "demo")
    if utility is None or utility.id not in allowed:
        raise ApiError(
            400,
            "Unknown utility",
            {"utility": body["utility"], "valid": [u for u in allowed]},
        )
    scenario = SCENARIOS.get(body["scenario"])
    if scenario is None or scenario.kind != "utilityapi":  # UtilityAPI's listed scenarios only
        raise ApiError(
            400, "Unknown scenario", {"scenario": body["scenario"], "valid": UAPI_SCENARIOS}
        )
    if scenario.only_utility and scenario.only_utility != utility.id:
        raise ApiError(
            400,
            "Scenario not available for this utility",
            {"scenario": scenario.name, "utility": scenario.only_utility},
        )
    referral = new_referral()
    ref_id = body.get("ref_id") or f"uapi-{referral}"
    if not isinstance(ref_id, str) or not REF_ID.match(ref_id):
        raise ApiError(
            400, "Invalid ref_id", {"ref_id": ref_id, "error": "3-255 of 0-9 A-Z a-z - . _ ~"}
        )
    if utility.id != "demo":  # the demo utility stores nothing and creates no Connect data
        connection = submit_scenario(
            flow=flow, ref_id=ref_id, utility_id=utility.id, scenario=scenario, now=sandbox_now()
        )
        connection.referral = referral
        connection.save(update_fields=["referral"])
    return JsonResponse({"referral": referral})
