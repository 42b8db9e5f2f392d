"""The next-action engine: one table row per branch of Leap's processing steps."""

from __future__ import annotations

from datetime import timedelta

import pytest

from connections.actors import Actor, error_actor
from connections.badges import badge_class
from connections.choices import Action, ErrorCode, label_of
from connections.messages import MESSAGES, error_message_key, render_message, short_utility
from connections.status import Customer, classify

from .builders import CONED, FRESH, NOW, PGE, SCE, SDGE, conn, util

A = Action
PRA = "Prohibited Resources Attestation"
DRP = "Demand Response Participation Agreement"

# (id, record, expected kind, expected message key, expected subjects)
CASES = [
    # step 1
    ("completed", conn("COMPLETED", util()), A.WAIT_FOR_METERS, "", ()),
    ("completed-fresh", conn("COMPLETED", util(), last=FRESH), A.WAIT_FOR_METERS, "", ()),
    ("not-started", conn("NOT_STARTED"), A.RESEND_LINK, "resend_link", ()),
    ("not-started-fresh", conn("NOT_STARTED", last=FRESH), A.IN_PROGRESS, "resend_link", ()),
    ("unknown-connection-status", conn("HALTED", util()), A.REVIEW_UNKNOWN, "", ()),
    ("unknown-status-fresh", conn("HALTED", last=FRESH), A.REVIEW_UNKNOWN, "", ()),
    ("partial-no-utilities", conn("PARTIAL"), A.RESEND_LINK, "resend_link", ()),
    # step 2, one utility
    (
        "not-connected",
        conn("PARTIAL", util(SDGE, "NOT_CONNECTED")),
        A.RESEND_LINK,
        "resend_link",
        (SDGE,),
    ),
    (
        "error-user-canceled",
        conn("ERROR", util(SDGE, "ERROR", "USER_CANCELED")),
        A.TAILORED_MESSAGE,
        "error.USER_CANCELED",
        (SDGE,),
    ),
    (
        "error-bad-login",
        conn("ERROR", util(PGE, "ERROR", "BAD_LOGIN")),
        A.TAILORED_MESSAGE,
        "error.BAD_LOGIN",
        (PGE,),
    ),
    (
        "error-locked",
        conn("ERROR", util(SCE, "ERROR", "ACCOUNT_LOCKED")),
        A.TAILORED_MESSAGE,
        "error.ACCOUNT_LOCKED",
        (SCE,),
    ),
    (
        "error-no-meters",
        conn("ERROR", util(CONED, "ERROR", "NO_METERS_FOUND"), region="NYISO"),
        A.TAILORED_MESSAGE,
        "error.NO_METERS_FOUND",
        (CONED,),
    ),
    (
        "error-unknown-code",
        conn("ERROR", util(PGE, "ERROR", "SOLAR_FLARE")),
        A.TAILORED_MESSAGE,
        "error.generic",
        (PGE,),
    ),
    (
        "error-without-code",
        conn("ERROR", util(PGE, "ERROR", None)),
        A.TAILORED_MESSAGE,
        "error.generic",
        (PGE,),
    ),
    (
        "error-fresh-is-in-progress",
        conn("ERROR", util(PGE, "ERROR", "BAD_LOGIN", at=FRESH), last=FRESH),
        A.IN_PROGRESS,
        "error.BAD_LOGIN",
        (PGE,),
    ),
    (
        "unknown-utility-status",
        conn("PARTIAL", util(PGE, "THINKING")),
        A.REVIEW_UNKNOWN,
        "",
        (PGE,),
    ),
    (
        "unknown-utility-status-beside-an-error",
        conn("ERROR", util(PGE, "ERROR", "BAD_LOGIN"), util(SCE, "WEIRD")),
        A.REVIEW_UNKNOWN,
        "",
        (SCE,),
    ),
    # residential: another utility connected than the requested one
    (
        "other-utility-connected",
        conn("PARTIAL", util(SDGE, "NOT_CONNECTED"), util(SCE, required=False)),
        A.OTHER_UTILITY_CONNECTED,
        "other_utility_connected",
        (SDGE,),
    ),
    (
        "other-utility-connected-after-error",
        conn("PARTIAL", util(SDGE, "ERROR", "BAD_LOGIN"), util(PGE, required=False)),
        A.OTHER_UTILITY_CONNECTED,
        "other_utility_connected",
        (SDGE,),
    ),
    (
        # parking asks nothing of the customer: it shows at once, quiet hour or not
        "other-utility-connected-fresh-is-parked-at-once",
        conn("PARTIAL", util(SDGE, "NOT_CONNECTED"), util(SCE, required=False), last=FRESH),
        A.OTHER_UTILITY_CONNECTED,
        "other_utility_connected",
        (SDGE,),
    ),
    # no utility requested: any connected utility is enough
    (
        "unrequested-error-only",
        conn("ERROR", util(PGE, "ERROR", "UTILITY_ERROR", required=False)),
        A.TAILORED_MESSAGE,
        "error.UTILITY_ERROR",
        (PGE,),
    ),
    (
        "unrequested-not-connected",
        conn("PARTIAL", util(PGE, "NOT_CONNECTED", required=False)),
        A.RESEND_LINK,
        "resend_link",
        (PGE,),
    ),
    (
        "unrequested-error-then-connected-goes-to-agreements",
        conn(
            "PARTIAL",
            util(PGE, "ERROR", "BAD_LOGIN", required=False),
            util(SCE, required=False),
            pra="PENDING",
        ),
        A.SIGN_AGREEMENT,
        "sign_agreement",
        (PRA,),
    ),
    # commercial: several required utilities
    (
        "commercial-one-required-missing",
        conn("PARTIAL", util(PGE), util(SCE, "NOT_CONNECTED"), util(SDGE)),
        A.CONNECT_REQUIRED_UTILITY,
        "connect_required_utility",
        (SCE,),
    ),
    (
        "commercial-two-required-missing",
        conn("PARTIAL", util(PGE), util(SCE, "NOT_CONNECTED"), util(SDGE, "NOT_CONNECTED")),
        A.CONNECT_REQUIRED_UTILITY,
        "connect_required_utility",
        (SCE, SDGE),
    ),
    (
        "commercial-none-connected",
        conn("PARTIAL", util(PGE, "NOT_CONNECTED"), util(SCE, "NOT_CONNECTED")),
        A.CONNECT_REQUIRED_UTILITY,
        "connect_required_utility",
        (PGE, SCE),
    ),
    (
        "commercial-error-gets-its-tailored-message-first",
        conn(
            "ERROR", util(PGE), util(SCE, "NOT_CONNECTED"), util(SDGE, "ERROR", "MFA_UNSUPPORTED")
        ),
        A.TAILORED_MESSAGE,
        "error.MFA_UNSUPPORTED",
        (SDGE,),
    ),
    (
        "commercial-optional-failure-is-ignored",
        conn(
            "PARTIAL",
            util(PGE),
            util(SCE),
            util(SDGE, "ERROR", "BAD_LOGIN", required=False),
            pra="PENDING",
        ),
        A.SIGN_AGREEMENT,
        "sign_agreement",
        (PRA,),
    ),
    (
        "commercial-all-connected-attestation-pending",
        conn("PARTIAL", util(PGE), util(SCE), pra="PENDING", drp="SIGNED"),
        A.SIGN_AGREEMENT,
        "sign_agreement",
        (PRA,),
    ),
    (
        "commercial-fresh-missing-is-in-progress",
        conn("PARTIAL", util(PGE), util(SCE, "NOT_CONNECTED"), last=FRESH),
        A.IN_PROGRESS,
        "connect_required_utility",
        (SCE,),
    ),
    # step 3: agreements
    (
        "both-pending",
        conn("PARTIAL", util(PGE), pra="PENDING", drp="PENDING"),
        A.SIGN_AGREEMENT,
        "sign_agreement",
        (PRA, DRP),
    ),
    (
        "drp-pending",
        conn("PARTIAL", util(PGE), pra="SIGNED", drp="PENDING"),
        A.SIGN_AGREEMENT,
        "sign_agreement",
        (DRP,),
    ),
    (
        "declined-beats-pending",
        conn("PARTIAL", util(PGE), pra="PENDING", drp="DECLINED"),
        A.AGREEMENT_DECLINED,
        "agreement_declined",
        (DRP,),
    ),
    (
        "attestation-declined",
        conn("PARTIAL", util(PGE), pra="DECLINED"),
        A.AGREEMENT_DECLINED,
        "agreement_declined",
        (PRA,),
    ),
    (
        "unknown-agreement-status",
        conn("PARTIAL", util(PGE), pra="MAYBE"),
        A.REVIEW_UNKNOWN,
        "",
        (PRA,),
    ),
    (
        "partial-with-nothing-outstanding",
        conn("PARTIAL", util(PGE), pra="SIGNED", drp="NOT_REQUIRED"),
        A.REVIEW_UNKNOWN,
        "",
        (),
    ),
    (
        "agreement-pending-but-utility-not-connected-asks-for-the-utility",
        conn("PARTIAL", util(PGE, "NOT_CONNECTED"), pra="PENDING"),
        A.RESEND_LINK,
        "resend_link",
        (PGE,),
    ),
    (
        "fresh-agreement-pending-is-in-progress",
        conn("PARTIAL", util(PGE, at=FRESH), pra="PENDING", last=FRESH),
        A.IN_PROGRESS,
        "sign_agreement",
        (PRA,),
    ),
    (
        "unknown-error-code-and-unknown-agreement-routes-by-utility-first",
        conn("ERROR", util(PGE, "ERROR", "NEW_CODE"), pra="LATER"),
        A.TAILORED_MESSAGE,
        "error.generic",
        (PGE,),
    ),
]


@pytest.mark.parametrize(
    ("record", "kind", "message_key", "subjects"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_classify_follows_leaps_steps(record, kind, message_key, subjects):
    action = classify(record, NOW)
    assert action.kind == kind
    assert action.message_key == message_key
    assert action.subjects == subjects
    assert action.reason
    assert message_key == "" or message_key in MESSAGES


def test_the_table_covers_at_least_thirty_cases():
    assert len(CASES) >= 30
    assert len({case[0] for case in CASES}) == len(CASES)


def test_customer_actions_become_actionable_one_hour_after_the_last_interaction():
    record = conn("NOT_STARTED", last=NOW - timedelta(minutes=59))
    assert classify(record, NOW).kind == Action.IN_PROGRESS
    assert classify(record, NOW).actionable_at == NOW + timedelta(minutes=1)
    assert classify(record, NOW + timedelta(minutes=1)).kind == Action.RESEND_LINK
    assert classify(record, NOW + timedelta(minutes=1)).actionable_at == NOW + timedelta(minutes=1)


def test_in_progress_says_what_comes_next():
    action = classify(conn("ERROR", util(PGE, "ERROR", "BAD_LOGIN"), last=FRESH), NOW)
    assert "Active within the last hour" in action.reason
    assert "Wrong utility login" in action.reason


def test_unknown_codes_are_named_raw_in_the_reason():
    action = classify(conn("ERROR", util(PGE, "ERROR", "SOLAR_FLARE")), NOW)
    assert "SOLAR_FLARE" in action.reason
    assert "HALTED" in classify(conn("HALTED"), NOW).reason


def test_a_partner_may_choose_to_follow_up_another_utility_connection():
    record = conn("PARTIAL", util(SDGE, "ERROR", "BAD_LOGIN"), util(SCE, required=False))
    follow_up = Customer("residential", follow_up_other_utility=True)
    action = classify(record, NOW, follow_up)
    assert (action.kind, action.message_key) == (Action.TAILORED_MESSAGE, "error.BAD_LOGIN")
    plain = conn("PARTIAL", util(SDGE, "NOT_CONNECTED"), util(SCE, required=False))
    assert classify(plain, NOW, follow_up).kind == Action.RESEND_LINK


def test_commercial_error_reason_names_the_other_missing_utilities():
    record = conn("ERROR", util(PGE, "NOT_CONNECTED"), util(SCE, "ERROR", "BAD_LOGIN"))
    assert "also missing: " + PGE in classify(record, NOW).reason


@pytest.mark.parametrize(
    "code", [c for c in ErrorCode.values if error_actor(c) != Actor.NOBODY_YET]
)
def test_every_error_code_the_customer_acts_on_has_its_own_message(code):
    assert error_message_key(code) == f"error.{code}"
    assert error_message_key("NOT_A_CODE") == "error.generic"


def test_messages_render_with_the_customer_link_and_subject():
    message = render_message(
        "error.BAD_LOGIN", customer_name="Ana", link_url="https://x.test/l", subjects=[PGE]
    )
    assert message.subject == "Your PG&E login did not work"  # the short name customers know
    assert "Check them on PG&E's website" in message.body
    assert "Hi Ana" in message.body
    assert "https://x.test/l" in message.body
    two = render_message("connect_required_utility", subjects=[PGE, SCE, SDGE])
    assert "please also connect PG&E, SCE and SDG&E." in two.body
    assert "Hi there" in two.body


@pytest.mark.parametrize(
    ("name", "short"),
    [
        ("SCE: Southern California Edison", "SCE"),
        ("PG&E: Pacific Gas & Electric", "PG&E"),
        ("ConEd: Consolidated Edison", "ConEd"),
        ("O&RU: Orange and Rockland Utilities", "O&RU"),
        ("PSEG-LI: PSEG Long Island", "PSEG-LI"),
        ("Staging Test Utility (CAISO)", "Staging Test Utility (CAISO)"),
        ("Demo Utility", "Demo Utility"),
        ("A utility: with a sentence", "A utility: with a sentence"),
        ("", ""),
    ],
)
def test_utility_names_shorten_to_the_code_before_the_colon(name, short):
    assert short_utility(name) == short


ABOUT_UTILITIES = sorted(k for k, m in MESSAGES.items() if "{agreements}" not in m.body)


@pytest.mark.parametrize("key", ABOUT_UTILITIES)
def test_messages_name_the_utility_by_its_short_name_and_read_naturally(key):
    message = render_message(key, customer_name="Bo", link_url="L", subjects=[SCE])
    text = f"{message.subject} {message.body}"
    assert "Southern California Edison" not in text
    assert "SCE:" not in text
    assert "the SCE " not in text  # "on SCE's website", never "the SCE website"
    assert message.subject[:1].isupper()
    blank = render_message(key, customer_name="Bo", link_url="L")
    assert "the your " not in blank.body
    assert blank.subject[:1].isupper()  # "Your utility had a problem"


def test_rendering_inserts_values_without_interpreting_them():
    message = render_message("resend_link", customer_name="{link} {0} {customer!r}")
    assert "{link} {0} {customer!r}" in message.body
    assert render_message("no-such-key").subject == render_message("error.generic").subject


@pytest.mark.parametrize("key", sorted(MESSAGES))
def test_every_catalogue_message_renders(key):
    message = render_message(key, customer_name="Bo", link_url="L", subjects=["X"])
    assert "{" not in message.subject + message.body


def test_badges_and_labels_handle_unknown_values():
    assert badge_class("COMPLETED") == "badge-ok"
    assert badge_class("ERROR") == "badge-bad"
    assert badge_class("HALTED") == "badge-unknown"
    assert badge_class(None) == "badge-unknown"
    assert label_of(ErrorCode, "BAD_LOGIN") == "Wrong utility login"
    assert label_of(ErrorCode, "SOLAR_FLARE") == "SOLAR_FLARE"
    assert label_of(ErrorCode, None) == "—"
