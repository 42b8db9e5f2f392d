"""Meters and enrollments search filters: checked against Leap's documented limits before
anything is sent, with long id lists split into several searches.

Reference: MeterFilterRequest in leap-meters-v2.yml / leap-enrollments-v2.yml.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from itertools import product
from typing import Any

from leapdash.leap.records import format_datetime

MAX_PAGE_SIZE = 500

# Meters/enrollments search lists, with Leap's documented maximum length. The first three are
# split into several searches when longer; the others are short enums and must fit.
SPLIT_LISTS = {"meter_ids": 1000, "partner_references": 1000, "connection_reference_ids": 100}
BOUNDED_LISTS = {
    "global_enrollment_statuses": 5,
    "meter_types": 20,
    "load_types": 20,
    "customer_groups": 20,
    "tags": 20,
    "action_type": 20,
}
SEARCH_STRINGS = ("transmission_region", "customer_classification")
SEARCH_BOOLS = ("partner_action_required", "exclude_archived")
SEARCH_TIMES = ("last_modified_date_time", "created_after_date_time", "created_before_date_time")
# friendlier keyword names accepted beside Leap's own
SEARCH_ALIASES = {
    "last_modified_since": "last_modified_date_time",
    "created_after": "created_after_date_time",
    "created_before": "created_before_date_time",
    "action_types": "action_type",
}


def check_page_size(page_size: int) -> None:
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ValueError(f"page_size must be 1–{MAX_PAGE_SIZE}, not {page_size}")


def search_bodies(page_size: int, filters: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Validate search filters against Leap's documented limits and split long id lists into
    several searches (their union is the answer). An empty id list matches nothing."""
    check_page_size(page_size)
    body: dict[str, Any] = {"page_size": page_size}
    splits: dict[str, list[list[str]]] = {}
    for given, value in filters.items():
        name = SEARCH_ALIASES.get(given, given)
        if value is None:
            continue
        if name in SPLIT_LISTS or name in BOUNDED_LISTS:
            items = _str_list(name, value)
            if name in SPLIT_LISTS:
                size = SPLIT_LISTS[name]
                splits[name] = [items[i : i + size] for i in range(0, len(items), size)]
            elif not 1 <= len(items) <= BOUNDED_LISTS[name]:
                raise ValueError(f"{name} takes 1–{BOUNDED_LISTS[name]} values, not {len(items)}")
            else:
                body[name] = items
        elif name in SEARCH_STRINGS:
            if not isinstance(value, str) or not value:
                raise ValueError(f"{name} must be a non-empty string")
            body[name] = value
        elif name in SEARCH_BOOLS:
            if not isinstance(value, bool):
                raise ValueError(f"{name} must be True or False")
            body[name] = value
        elif name in SEARCH_TIMES:
            if not isinstance(value, datetime):
                raise ValueError(f"{name} must be an aware datetime")
            body[name] = format_datetime(value)
        else:
            raise TypeError(f"unknown meters search filter {given!r}")
    if any(not chunks for chunks in splits.values()):
        return []  # filtering by an empty set of ids: nothing can match
    names = list(splits)
    return [
        {**body, **dict(zip(names, combo, strict=True))}
        for combo in product(*(splits[n] for n in names))
    ]


def _str_list(name: str, value: Any) -> list[str]:
    if isinstance(value, str) or not isinstance(value, Sequence | set | frozenset):
        raise ValueError(f"{name} must be a list of strings")
    items = list(dict.fromkeys(value))  # Leap wants unique items; keep the given order
    if not all(isinstance(item, str) and item for item in items):
        raise ValueError(f"{name} must be a list of non-empty strings")
    return items
