"""The vocabulary of a Leap connection: Leap's status values (unchanged, with our labels) and
the partner's next actions. Plain choices, no rules: the engine (status.py) and the table of who
acts (actors.py) build on these."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache

from django.db import models


class ConnectionStatus(models.TextChoices):
    COMPLETED = "COMPLETED", "Completed"
    NOT_STARTED = "NOT_STARTED", "Not started"
    PARTIAL = "PARTIAL", "Partly connected"
    ERROR = "ERROR", "Error"


class UtilityStatus(models.TextChoices):
    CONNECTED = "CONNECTED", "Connected"
    NOT_CONNECTED = "NOT_CONNECTED", "Not connected"
    ERROR = "ERROR", "Error"


class AgreementStatus(models.TextChoices):
    NOT_REQUIRED = "NOT_REQUIRED", "Not required"
    PENDING = "PENDING", "Pending"
    SIGNED = "SIGNED", "Signed"
    DECLINED = "DECLINED", "Declined"


class ErrorCode(models.TextChoices):
    USER_CANCELED = "USER_CANCELED", "Customer cancelled"
    BAD_LOGIN = "BAD_LOGIN", "Wrong utility login"
    ACCOUNT_LOCKED = "ACCOUNT_LOCKED", "Utility account locked"
    MFA_UNSUPPORTED = "MFA_UNSUPPORTED", "Unsupported two-factor login"
    UTILITY_WEBSITE_DOWN = "UTILITY_WEBSITE_DOWN", "Utility website down"
    UTILITY_ERROR = "UTILITY_ERROR", "Utility error"
    UTILITY_RATE_LIMITED = "UTILITY_RATE_LIMITED", "Utility rate-limited"
    NO_METERS_FOUND = "NO_METERS_FOUND", "No meters found"
    PARTIAL_METERS = "PARTIAL_METERS", "Some meters missing"
    PENDING_MANUAL_REVIEW = "PENDING_MANUAL_REVIEW", "Pending manual review"
    AUTHORIZATION_REVOKED = "AUTHORIZATION_REVOKED", "Authorization revoked"
    AUTHORIZATION_EXPIRED = "AUTHORIZATION_EXPIRED", "Authorization expired"
    UNKNOWN_ERROR = "UNKNOWN_ERROR", "Unknown error"


class Agreement(models.TextChoices):
    """The two agreements Leap Connect can collect (keys of ConnectionRecord.agreements)."""

    PROHIBITED_RESOURCE_ATTESTATION = (
        "prohibited_resource_attestation",
        "Prohibited Resources Attestation",
    )
    DEMAND_RESPONSE_PARTICIPATION = (
        "demand_response_participation",
        "Demand Response Participation Agreement",
    )


class Action(models.TextChoices):
    """The partner's next step for one connection (stored in Connection.next_action)."""

    IN_PROGRESS = "IN_PROGRESS", "In progress"
    WAIT_FOR_METERS = "WAIT_FOR_METERS", "Wait for meters"
    METERS_ARRIVED = "METERS_ARRIVED", "Meters arrived"
    METERS_OVERDUE = "METERS_OVERDUE", "Meters overdue"
    RESEND_LINK = "RESEND_LINK", "Resend the link"
    TAILORED_MESSAGE = "TAILORED_MESSAGE", "Send a tailored message"
    CONNECT_REQUIRED_UTILITY = "CONNECT_REQUIRED_UTILITY", "Connect a required utility"
    SIGN_AGREEMENT = "SIGN_AGREEMENT", "Ask to sign an agreement"
    AGREEMENT_DECLINED = "AGREEMENT_DECLINED", "Agreement declined"
    OTHER_UTILITY_CONNECTED = "OTHER_UTILITY_CONNECTED", "Connected another utility"
    REVIEW_UNKNOWN = "REVIEW_UNKNOWN", "Review: unexpected data"
    REAUTHORIZE = "REAUTHORIZE", "Ask to re-authorize"
    PROVIDER_REVIEW = "PROVIDER_REVIEW", "Provider reviewing"
    ASK_LEAP_SUPPORT = "ASK_LEAP_SUPPORT", "Ask Leap support"


def is_known(choices: type[models.TextChoices], value: str | None) -> bool:
    return value is not None and value in _values(choices)


@cache
def _values(choices: type[models.TextChoices]) -> frozenset[str]:
    """A choices class's values, built once: Django rebuilds the list on every access, which
    the sync would pay several times per record."""
    return frozenset(choices.values)


def label_of(choices: type[models.TextChoices], value: str | None) -> str:
    """Our label for a Leap value; an unknown value is shown raw, never hidden."""
    if value is None or value == "":
        return "—"
    return _labels(choices).get(value, value)


@cache
def _labels(choices: type[models.TextChoices]) -> Mapping[str, str]:
    return dict(choices.choices)


class TemplateChannel(models.TextChoices):
    """The channels a message template is written for."""

    EMAIL = "email", "Email"
    SMS = "sms", "SMS"
