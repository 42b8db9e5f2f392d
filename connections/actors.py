"""Who acts next: the one table of who must do something about each utility error code and
each next action. The engine, the re-engagement queue and hook, the exports, the funnel and the
detail pages all read it from here.

Leap and UtilityAPI (LEAP_API.md §2): most error codes need the customer, who gets a message
tailored to the code; PENDING_MANUAL_REVIEW is resolved by the data provider "without need for
any action on your part", so nobody acts until it has lasted days, when ops ask Leap support;
a revoked or expired authorization needs the customer to authorize again. An error code this
version does not know gets the generic "please retry" message (LEAP_API.md §3) and is listed in
the connection's unknown values; statuses and agreement values it does not know go to ops.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import models

from .choices import Action, ErrorCode


class Actor(models.TextChoices):
    CUSTOMER = "customer", "The customer"
    CUSTOMER_REAUTHORIZE = "customer_reauthorize", "The customer, by re-authorizing"
    NOBODY_YET = "nobody_yet", "Nobody yet: wait"
    OPS = "ops", "Ops"
    NOBODY = "nobody", "Nobody"


E = ErrorCode
# Every code of LEAP_API.md §3's working set. UNKNOWN_ERROR is Leap's own catch-all code: the
# customer gets the generic "please retry" message, like a code missing here.
ERROR_ACTORS: dict[str, Actor] = {
    E.USER_CANCELED: Actor.CUSTOMER,
    E.BAD_LOGIN: Actor.CUSTOMER,
    E.ACCOUNT_LOCKED: Actor.CUSTOMER,
    E.MFA_UNSUPPORTED: Actor.CUSTOMER,
    E.UTILITY_WEBSITE_DOWN: Actor.CUSTOMER,
    E.UTILITY_ERROR: Actor.CUSTOMER,
    E.UTILITY_RATE_LIMITED: Actor.CUSTOMER,
    E.NO_METERS_FOUND: Actor.CUSTOMER,
    E.PARTIAL_METERS: Actor.CUSTOMER,
    E.UNKNOWN_ERROR: Actor.CUSTOMER,
    E.PENDING_MANUAL_REVIEW: Actor.NOBODY_YET,
    E.AUTHORIZATION_REVOKED: Actor.CUSTOMER_REAUTHORIZE,
    E.AUTHORIZATION_EXPIRED: Actor.CUSTOMER_REAUTHORIZE,
}

# How long a manual review may last before ops ask Leap support about it.
MANUAL_REVIEW_PATIENCE = timedelta(days=3)

A = Action
ACTION_ACTORS: dict[str, Actor] = {
    A.IN_PROGRESS: Actor.NOBODY_YET,  # the customer may still be mid-flow
    A.WAIT_FOR_METERS: Actor.NOBODY_YET,
    A.METERS_ARRIVED: Actor.NOBODY,
    A.METERS_OVERDUE: Actor.OPS,
    A.RESEND_LINK: Actor.CUSTOMER,
    A.TAILORED_MESSAGE: Actor.CUSTOMER,
    A.CONNECT_REQUIRED_UTILITY: Actor.CUSTOMER,
    A.SIGN_AGREEMENT: Actor.CUSTOMER,
    A.AGREEMENT_DECLINED: Actor.CUSTOMER,
    A.REAUTHORIZE: Actor.CUSTOMER_REAUTHORIZE,
    A.PROVIDER_REVIEW: Actor.NOBODY_YET,
    A.ASK_LEAP_SUPPORT: Actor.OPS,
    A.OTHER_UTILITY_CONNECTED: Actor.NOBODY,  # parked: Leap suggests no follow-up
    A.REVIEW_UNKNOWN: Actor.OPS,
}

# Actions that mean contacting the customer: the re-engagement queue and hook work on these.
CUSTOMER_ACTIONS = frozenset(
    action
    for action, actor in ACTION_ACTORS.items()
    if actor in (Actor.CUSTOMER, Actor.CUSTOMER_REAUTHORIZE)
)


def error_actor(error_code: str | None) -> Actor:
    """Who acts on a utility error; a code this version does not know: the customer retries."""
    return ERROR_ACTORS.get(error_code or "", Actor.CUSTOMER)


def action_actor(action: str) -> Actor:
    """Who acts on a next action; an action this version does not know goes to ops."""
    return ACTION_ACTORS.get(action, Actor.OPS)
