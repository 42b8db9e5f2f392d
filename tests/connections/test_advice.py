"""Advice by customer type and by who acts on each error: one table row per rule."""

from __future__ import annotations

from datetime import timedelta

import pytest

from connections.actors import (
    ACTION_ACTORS,
    CUSTOMER_ACTIONS,
    ERROR_ACTORS,
    Actor,
    action_actor,
    error_actor,
)
from connections.choices import Action, ErrorCode
from connections.status import Customer, classify

from .builders import FRESH, NOW, PGE, SCE, SDGE, STALE, conn, util

A = Action
RES = Customer("residential")
RES_FOLLOW = Customer("residential", follow_up_other_utility=True)
COM = Customer("commercial")
UNKNOWN = Customer()

# (id, customer, record, expected kind, expected message key, a word the reason must hold)
CASES = [
    # commercial: every required utility must be CONNECTED; another connected one never parks
    (
        "commercial-required-bad-login-other-connected",
        COM,
        conn("PARTIAL", util(PGE, "ERROR", "BAD_LOGIN"), util(SCE, required=False)),
        A.TAILORED_MESSAGE,
        "error.BAD_LOGIN",
        "Wrong utility login",
    ),
    (
        "commercial-required-never-connected-other-connected",
        COM,
        conn("PARTIAL", util(PGE, "NOT_CONNECTED"), util(SCE, required=False)),
        A.CONNECT_REQUIRED_UTILITY,
        "connect_required_utility",
        "Required utilities not connected",
    ),
    (
        "commercial-one-required-nothing-connected",
        COM,
        conn("PARTIAL", util(PGE, "NOT_CONNECTED")),
        A.RESEND_LINK,
        "resend_link",
        "Not connected yet",
    ),
    (
        "commercial-error-before-not-connected",
        COM,
        conn("ERROR", util(PGE, "NOT_CONNECTED"), util(SCE, "ERROR", "ACCOUNT_LOCKED")),
        A.TAILORED_MESSAGE,
        "error.ACCOUNT_LOCKED",
        "also missing",
    ),
    (
        "commercial-manual-review-waits-behind-a-missing-utility",
        COM,
        conn("ERROR", util(PGE, "ERROR", "PENDING_MANUAL_REVIEW"), util(SCE, "NOT_CONNECTED")),
        A.CONNECT_REQUIRED_UTILITY,
        "connect_required_utility",
        SCE,
    ),
    (
        "commercial-all-required-connected-agreement-pending",
        COM,
        conn("PARTIAL", util(PGE), util(SCE), pra="PENDING"),
        A.SIGN_AGREEMENT,
        "sign_agreement",
        "Prohibited Resources Attestation",
    ),
    (
        "commercial-revoked-required-utility",
        COM,
        conn("ERROR", util(PGE), util(SCE, "ERROR", "AUTHORIZATION_REVOKED")),
        A.REAUTHORIZE,
        "error.AUTHORIZATION_REVOKED",
        "revoked",
    ),
    # residential: another utility connected parks the customer, unless the flow follows up
    (
        "residential-other-utility-parks",
        RES,
        conn("PARTIAL", util(PGE, "ERROR", "BAD_LOGIN"), util(SCE, required=False)),
        A.OTHER_UTILITY_CONNECTED,
        "other_utility_connected",
        "instead of",
    ),
    (
        "residential-follow-up-gets-the-tailored-message",
        RES_FOLLOW,
        conn("PARTIAL", util(PGE, "ERROR", "BAD_LOGIN"), util(SCE, required=False)),
        A.TAILORED_MESSAGE,
        "error.BAD_LOGIN",
        "Wrong utility login",
    ),
    (
        "residential-follow-up-not-connected-resends",
        RES_FOLLOW,
        conn("PARTIAL", util(PGE, "NOT_CONNECTED"), util(SCE, required=False)),
        A.RESEND_LINK,
        "resend_link",
        PGE,
    ),
    (
        "residential-bad-login",
        RES,
        conn("ERROR", util(PGE, "ERROR", "BAD_LOGIN")),
        A.TAILORED_MESSAGE,
        "error.BAD_LOGIN",
        "Wrong utility login",
    ),
    (
        "residential-two-required-one-missing-is-not-parked",
        RES,
        conn("PARTIAL", util(PGE), util(SCE, "NOT_CONNECTED")),
        A.RESEND_LINK,
        "resend_link",
        SCE,
    ),
    # unknown type: today's heuristic, saying the type is unknown
    (
        "unknown-type-one-required-other-connected-parks",
        UNKNOWN,
        conn("PARTIAL", util(PGE, "NOT_CONNECTED"), util(SCE, required=False)),
        A.OTHER_UTILITY_CONNECTED,
        "other_utility_connected",
        "customer type unknown",
    ),
    (
        "unknown-type-several-required-reads-as-commercial",
        UNKNOWN,
        conn("PARTIAL", util(PGE), util(SCE, "NOT_CONNECTED"), util(SDGE, "NOT_CONNECTED")),
        A.CONNECT_REQUIRED_UTILITY,
        "connect_required_utility",
        "customer type unknown",
    ),
    # who acts on each error
    (
        "manual-review-asks-nothing-of-the-customer",
        RES,
        conn("ERROR", util(PGE, "ERROR", "PENDING_MANUAL_REVIEW")),
        A.PROVIDER_REVIEW,
        "",
        "reviewing",
    ),
    (
        "manual-review-fresh-shows-at-once",
        RES,
        conn("ERROR", util(PGE, "ERROR", "PENDING_MANUAL_REVIEW", at=FRESH), last=FRESH),
        A.PROVIDER_REVIEW,
        "",
        "reviewing",
    ),
    (
        "manual-review-after-three-days-goes-to-ops",
        RES,
        conn("ERROR", util(PGE, "ERROR", "PENDING_MANUAL_REVIEW"), last=NOW - timedelta(days=3)),
        A.ASK_LEAP_SUPPORT,
        "",
        "ask Leap support",
    ),
    (
        "expired-authorization-asks-to-re-authorize",
        RES,
        conn("ERROR", util(PGE, "ERROR", "AUTHORIZATION_EXPIRED")),
        A.REAUTHORIZE,
        "error.AUTHORIZATION_EXPIRED",
        "expired",
    ),
    (
        "re-authorization-waits-out-the-quiet-hour",
        RES,
        conn("ERROR", util(PGE, "ERROR", "AUTHORIZATION_REVOKED", at=FRESH), last=FRESH),
        A.IN_PROGRESS,
        "error.AUTHORIZATION_REVOKED",
        "Active within the last hour",
    ),
    (
        "unknown-code-gets-the-generic-retry",
        COM,
        conn("ERROR", util(PGE, "ERROR", "SOLAR_FLARE")),
        A.TAILORED_MESSAGE,
        "error.generic",
        "SOLAR_FLARE",
    ),
    (
        "unknown-utility-status-goes-to-ops",
        COM,
        conn("PARTIAL", util(PGE, "THINKING")),
        A.REVIEW_UNKNOWN,
        "",
        "THINKING",
    ),
]


@pytest.mark.parametrize(
    ("customer", "record", "kind", "message_key", "word"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_advice_follows_the_customer_type_and_who_acts(customer, record, kind, message_key, word):
    action = classify(record, NOW, customer)
    assert (action.kind, action.message_key) == (kind, message_key)
    assert word in action.reason


@pytest.mark.parametrize("code", ErrorCode.values)
@pytest.mark.parametrize("customer", [RES, COM, UNKNOWN], ids=["res", "com", "unknown"])
def test_every_error_code_on_the_one_utility_is_routed_by_the_actor_table(code, customer):
    action = classify(conn("ERROR", util(PGE, "ERROR", code)), NOW, customer)
    expected = {
        Actor.CUSTOMER: A.TAILORED_MESSAGE,
        Actor.CUSTOMER_REAUTHORIZE: A.REAUTHORIZE,
        Actor.NOBODY_YET: A.PROVIDER_REVIEW,
    }[error_actor(code)]
    assert action.kind == expected


ACTOR_CASES = [
    ("BAD_LOGIN", Actor.CUSTOMER),
    ("USER_CANCELED", Actor.CUSTOMER),
    ("UNKNOWN_ERROR", Actor.CUSTOMER),
    ("PENDING_MANUAL_REVIEW", Actor.NOBODY_YET),
    ("AUTHORIZATION_REVOKED", Actor.CUSTOMER_REAUTHORIZE),
    ("AUTHORIZATION_EXPIRED", Actor.CUSTOMER_REAUTHORIZE),
    ("SOLAR_FLARE", Actor.CUSTOMER),  # unknown code: the generic retry (LEAP_API.md §3)
    (None, Actor.CUSTOMER),
]


@pytest.mark.parametrize(("code", "actor"), ACTOR_CASES)
def test_who_acts_on_each_error_code(code, actor):
    assert error_actor(code) == actor


def test_the_actor_table_covers_every_error_code_and_every_action():
    assert set(ERROR_ACTORS) == set(ErrorCode.values)
    assert set(ACTION_ACTORS) == set(Action.values)
    assert action_actor("SOMETHING_NEW") == Actor.OPS


@pytest.mark.parametrize(
    ("action", "in_queue"),
    [
        (A.RESEND_LINK, True),
        (A.TAILORED_MESSAGE, True),
        (A.REAUTHORIZE, True),
        (A.SIGN_AGREEMENT, True),
        (A.PROVIDER_REVIEW, False),
        (A.ASK_LEAP_SUPPORT, False),
        (A.OTHER_UTILITY_CONNECTED, False),
        (A.METERS_OVERDUE, False),
        (A.IN_PROGRESS, False),
    ],
)
def test_only_actions_of_the_customer_reach_the_re_engagement_queue(action, in_queue):
    assert (action in CUSTOMER_ACTIONS) is in_queue


def test_a_manual_review_escalates_exactly_three_days_after_the_last_interaction():
    record = conn("ERROR", util(PGE, "ERROR", "PENDING_MANUAL_REVIEW"), last=STALE)
    waiting = classify(record, NOW, RES)
    assert waiting.actionable_at == STALE + timedelta(days=3)
    assert classify(record, STALE + timedelta(days=3) - timedelta(seconds=1)).kind == (
        A.PROVIDER_REVIEW
    )
    assert classify(record, STALE + timedelta(days=3)).kind == A.ASK_LEAP_SUPPORT
