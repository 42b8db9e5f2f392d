"""The customer message catalogue: one subject and body per next action and utility error code
(the built-in texts, seeded as the first version of each stored template, connections/
templates.py), filled with plain text values by render_message (pages escape the result)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Message:
    subject: str
    body: str
    version: int = 0  # the stored template's version; 0 for the built-in text
    template_set: str = ""  # the named set the texts came from; "" for the standard texts


GENERIC_ERROR_KEY = "error.generic"
# Touch 1 of an abandonment seen by webhook: the error code comes later, with the Connect data.
FINISH_CONNECTING_KEY = "finish_connecting"
_RETRY = "Please open your link again and retry: {link}"

MESSAGES: dict[str, Message] = {
    "resend_link": Message(
        "Finish connecting your utility account",
        "Hi {customer}, you started connecting your utility account but did not log in yet. "
        "It takes about two minutes: {link}",
    ),
    FINISH_CONNECTING_KEY: Message(
        "Finish connecting your utility account",
        "Hi {customer}, you did not finish connecting your utility account. It only takes a "
        "couple of minutes to pick up where you left off: {link}",
    ),
    "reauthorize": Message(
        "Please renew your data sharing",
        "Hi {customer}, {utility} needs you to authorize data sharing again to keep your "
        "enrollment. It takes a minute: {link}",
    ),
    "connect_required_utility": Message(
        "One more utility to connect",
        "Hi {customer}, to finish your enrollment please also connect {utilities}. "
        "Use your link: {link}",
    ),
    "sign_agreement": Message(
        "One last step: your agreement",
        "Hi {customer}, your utility is connected. Please complete the {agreements} "
        "to finish: {link}",
    ),
    "agreement_declined": Message(
        "About the agreement you declined",
        "Hi {customer}, the {agreements} was declined, so we cannot enroll you yet. "
        "If that was a mistake, you can complete it here: {link}",
    ),
    "other_utility_connected": Message(
        "You connected a different utility",
        "Hi {customer}, you connected an account with a different utility than the one we "
        "asked for ({utilities}). If you also have an account there, connect it here: {link}",
    ),
    GENERIC_ERROR_KEY: Message(
        "Something went wrong connecting {utility}",
        "Hi {customer}, connecting your {utility} account did not complete. " + _RETRY,
    ),
    "error.USER_CANCELED": Message(
        "You left before finishing",
        "Hi {customer}, it looks like you stopped before your {utility} account was "
        "connected. It only takes a couple of minutes to finish: {link}",
    ),
    "error.BAD_LOGIN": Message(
        "Your {utility} login did not work",
        "Hi {customer}, the username or password for {utility} was not accepted. Check them "
        "on {utility}'s website (you can reset your password there), then retry: {link}",
    ),
    "error.ACCOUNT_LOCKED": Message(
        "Your {utility} account is locked",
        "Hi {customer}, {utility} has locked your online account. Unlock it on {utility}'s "
        "website or by calling them, then retry: {link}",
    ),
    "error.MFA_UNSUPPORTED": Message(
        "Two-factor login at {utility}",
        "Hi {customer}, your {utility} account uses a two-factor method we cannot complete. "
        "Switch it to text or email codes in your {utility} settings, then retry: {link}",
    ),
    "error.UTILITY_WEBSITE_DOWN": Message(
        "{utility}'s website was down",
        "Hi {customer}, {utility}'s website was unavailable when you tried. It is usually "
        "back within a few hours. " + _RETRY,
    ),
    "error.UTILITY_ERROR": Message(
        "{utility} had a problem",
        "Hi {customer}, {utility} returned an error while connecting your account. "
        "This is on their side. " + _RETRY,
    ),
    "error.UTILITY_RATE_LIMITED": Message(
        "{utility} asked us to wait",
        "Hi {customer}, {utility} limited the number of logins for a while. Please wait an "
        "hour, then retry: {link}",
    ),
    "error.NO_METERS_FOUND": Message(
        "No meters found at {utility}",
        "Hi {customer}, we could not find any electricity meters on the account you connected "
        "at {utility}. If you have another account (for example the account holder's), connect "
        "it here: {link}",
    ),
    "error.PARTIAL_METERS": Message(
        "Some meters are missing",
        "Hi {customer}, only some of your meters came through from {utility}. If another "
        "account holds the rest, connect it here: {link}",
    ),
    "error.AUTHORIZATION_REVOKED": Message(
        "Data sharing was turned off",
        "Hi {customer}, data sharing with {utility} was revoked. To stay enrolled, please "
        "authorize it again: {link}",
    ),
    "error.AUTHORIZATION_EXPIRED": Message(
        "Your authorization expired",
        "Hi {customer}, your {utility} data-sharing authorization has expired. Please renew "
        "it here: {link}",
    ),
    "error.UNKNOWN_ERROR": Message(
        "Something went wrong connecting {utility}",
        "Hi {customer}, connecting your {utility} account did not complete. " + _RETRY,
    ),
}


def error_message_key(error_code: str | None) -> str:
    """The catalogue key for a utility error; unknown or missing codes get the generic retry."""
    key = f"error.{error_code}"
    return key if error_code and key in MESSAGES else GENERIC_ERROR_KEY


class _Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


def join_names(names: Iterable[str]) -> str:
    items = [n for n in names if n]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


# Leap's display names read "CODE: Long name" ("SCE: Southern California Edison"); customers
# know the code. Names without such a prefix ("Demo Utility") are kept whole.
_CODE_PREFIX = re.compile(r"^(?P<code>[^\s:]{2,12}):\s+\S")


def short_utility(name: str) -> str:
    """ "SCE: Southern California Edison" → "SCE"; any other name unchanged."""
    match = _CODE_PREFIX.match(name)
    return match.group("code") if match else name


def _sentence(text: str) -> str:
    # a subject may open with a blank ("{utility} had a problem" → "your utility had …")
    return text[:1].upper() + text[1:]


def first_name(customer_name: str) -> str:
    words = customer_name.split()
    return words[0] if words else ""


def message_values(
    *, customer_name: str = "", link_url: str = "", subjects: Sequence[str] = (), org: str = ""
) -> dict[str, str]:
    """The fixed mapping every message is filled from (templates.FIELDS lists its names)."""
    names = join_names(short_utility(s) for s in subjects)
    return {
        "customer": customer_name or "there",
        "first_name": first_name(customer_name) or "there",
        "link": link_url,
        "utility": names or "your utility",
        "utilities": names or "the remaining utilities",
        "agreements": names or "agreement",
        "org": org,
    }


def render_message(
    message_key: str,
    *,
    customer_name: str = "",
    link_url: str = "",
    subjects: Sequence[str] = (),
    org: str = "",
    template: Message | None = None,
) -> Message:
    """Fill a message with plain text values (the template layer escapes them): `template`
    (templates.template_for's answer), else the catalogue's text for the key.

    Unknown keys render the generic retry message. Values are inserted, never re-parsed, so a
    name containing braces cannot reach the template syntax.
    """
    from .templates import fill_safely  # templates.py reads this catalogue

    if template is None:
        template = MESSAGES.get(message_key, MESSAGES[GENERIC_ERROR_KEY])
    values = message_values(
        customer_name=customer_name, link_url=link_url, subjects=subjects, org=org
    )
    subject = _sentence(fill_safely(template.subject, values))
    body = fill_safely(template.body, values)
    return Message(subject, body, template.version, template.template_set)


def message_title(message_key: str, subject: str | None = None) -> str:
    """A subject (the stored touch-1 email's when given, else the catalogue's) with generic
    words for its blanks: a heading for a group of messages to different customers (the queue
    groups by message)."""
    if subject is None:
        subject = MESSAGES.get(message_key, MESSAGES[GENERIC_ERROR_KEY]).subject
    from .templates import fill_safely  # templates.py reads this catalogue

    generic = _Blank(utility="the utility", utilities="utilities", agreements="agreement")
    return _sentence(fill_safely(subject, generic))
