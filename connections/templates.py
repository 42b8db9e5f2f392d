"""Message templates: the rules for the texts program managers edit (connections:messages).

A template is plain text with bare {name} fields. It is parsed with string.Formatter().parse and
refused when a field is unknown or uses attribute or index access, a conversion or a format
spec; rendering fills a fixed mapping of plain values, field by field, and never calls
str.format, so neither a template nor a customer's name can reach Python's formatting. Pages
auto-escape the result. template_for is the one lookup: the row of the connection's template
set (its cadence variant's), else the standard stored row, else the built-in text.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Mapping

from .messages import GENERIC_ERROR_KEY, MESSAGES, Message

FIELDS: dict[str, str] = {
    "customer": "the customer's name (\u201cthere\u201d when the link has none)",
    "first_name": "the first word of the customer's name (\u201cthere\u201d when empty)",
    "utility": "the utility or utilities concerned (\u201cyour utility\u201d when unknown)",
    "utilities": "the utilities still to connect",
    "agreements": "the agreements to complete",
    "link": "the customer's Connect link",
    "org": "the Leap org name of the link",
}
TOUCHES = (1, 2, 3)
EMAIL, SMS = "email", "sms"
CHANNELS = (EMAIL, SMS)
SMS_LIMIT = 320  # characters: two concatenated SMS segments at most
ELLIPSIS = "\u2026"
STANDARD = ""  # the template set every message falls back to
SET_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,49}")


def set_name_errors(name: str) -> list[str]:
    """Why a template set's name is refused (empty is the standard set, always accepted)."""
    if name == STANDARD or SET_NAME.fullmatch(name):
        return []
    return ["A template set's name is up to 50 lowercase letters, digits and dashes."]


def template_errors(text: str) -> list[str]:
    """Why a template text is refused; an empty list when it is acceptable."""
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError:
        return ["The braces do not match: write {name} for a field, {{ or }} for a brace."]
    errors: list[str] = []
    for _literal, field, spec, conversion in parsed:
        if field is None:
            continue
        shown = "{" + field + "}"
        if conversion or spec:
            errors.append(f"{shown}: write fields bare, without ! or : after the name.")
        elif not field:
            errors.append("{}: a field needs a name, for example {customer}.")
        elif not field.isidentifier():
            errors.append(f"{shown}: fields are bare names, without attribute or index access.")
        elif field not in FIELDS:
            errors.append(f"{shown} is not a variable; use {_known()}.")
    return errors


def _known() -> str:
    return ", ".join("{" + name + "}" for name in FIELDS)


def fill(text: str, values: Mapping[str, str]) -> str:
    """A checked template with each field replaced by its plain value ("" when missing)."""
    out: list[str] = []
    for literal, field, _spec, _conversion in string.Formatter().parse(text):
        out.append(literal)
        if field is not None:
            out.append(values.get(field, ""))
    return "".join(out)


def fill_safely(text: str, values: Mapping[str, str]) -> str:
    """fill() for stored text, which was checked when saved; built-in text is also checked
    by the tests. A text that fails the check anyway is shown as it is, unfilled."""
    return text if template_errors(text) else fill(text, values)


def shorten_sms(body: str, link: str, limit: int = SMS_LIMIT) -> str:
    """An SMS body of at most `limit` characters, cut in the text before the link (at a word,
    with an ellipsis), never inside the link. A link longer than the limit is sent alone."""
    if len(body) <= limit:
        return body
    at = body.rfind(link) if link else -1
    if at < 0:
        return _cut(body, limit - 1) + ELLIPSIS
    head, after = body[:at], body[at + len(link) :]
    if len(link) + len(after) + 2 > limit:
        after = ""
    room = limit - len(link) - len(after) - 2  # "… " before the link
    if room < 1:
        return link
    return _cut(head, room) + ELLIPSIS + " " + link + after


def _cut(text: str, room: int) -> str:
    part = text[:room]
    if len(text) > room and " " in part:
        part = part[: part.rfind(" ")]
    return part.rstrip()


def builtin(key: str) -> Message:
    """Today's text for a key (the generic retry for unknown keys), as the seed stored it."""
    message = MESSAGES.get(key, MESSAGES[GENERIC_ERROR_KEY])
    return Message(message.subject, message.body)


def builtin_for(key: str, channel: str) -> Message:
    message = builtin(key)
    return Message("", message.body) if channel == SMS else message


Slot = tuple[str, str, int, str]  # (template set, key, touch, channel)
Book = Mapping[Slot, Message]


def template_book(keys: Iterable[str] | None = None) -> dict[Slot, Message]:
    """The stored templates of every set in one query, by (set, key, touch, channel)."""
    from .models import MessageTemplate

    rows = MessageTemplate.objects.all()
    if keys is not None:
        rows = rows.filter(key__in=list(keys))
    fields = ("template_set", "key", "touch", "channel", "subject", "body", "version")
    return {
        (r.template_set, r.key, r.touch, r.channel): Message(
            r.subject, r.body, r.version, r.template_set
        )
        for r in rows.only(*fields)
    }


def template_for(
    key: str, touch: int, channel: str, book: Book | None = None, template_set: str = STANDARD
) -> Message:
    """The template to send: the row of `template_set`, else the standard row (from `book`
    when given, which holds every row), else the built-in text, so a set only holds the texts
    it changes and a missing row never stops a message."""
    if key not in MESSAGES:
        key = GENERIC_ERROR_KEY
    touch = touch if touch in TOUCHES else 1
    channel = channel if channel in CHANNELS else EMAIL
    if book is None:
        book = template_book([key])
    if template_set != STANDARD and (found := book.get((template_set, key, touch, channel))):
        return found
    return book.get((STANDARD, key, touch, channel)) or builtin_for(key, channel)


def template_sets() -> list[str]:
    """The named template sets: those holding a text and those a variant asks for."""
    from .models import MessageTemplate, Variant

    held = MessageTemplate.objects.exclude(template_set=STANDARD).values_list("template_set")
    asked = Variant.objects.exclude(template_set=STANDARD).values_list("template_set")
    return sorted({name for (name,) in held.union(asked)})
