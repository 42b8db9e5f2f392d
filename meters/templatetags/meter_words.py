"""Filters for the meters pages: Leap's values in our words (meters/labels.py) and Leap's
timestamps kept as text in JSON columns turned back into datetimes for the |date filter."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils.dateparse import parse_datetime

from meters import labels

register = template.Library()


@register.filter
def label(value: str | None, kind: str) -> str:
    """{{ meter.meter_type|label:"meter_type" }} → "Utility meter"."""
    return labels.label(kind, value)


@register.filter
def utility_label(value: str | None) -> str:
    """{{ meter.utility_name|utility_label }} → "Pacific Gas & Electric (PG&E)"."""
    return labels.utility_label(value)


@register.filter
def action_meaning(code: str | None) -> str:
    """{{ "AUTH_0001"|action_meaning }} → what the code asks for ("" if unknown)."""
    return labels.action_meaning(code)


@register.filter
def as_datetime(value: object) -> datetime | None:
    """An ISO-8601 string (as the enrollment JSON keeps them) as a datetime; None otherwise."""
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not value:
        return None
    try:
        return parse_datetime(value)
    except ValueError:
        return None
