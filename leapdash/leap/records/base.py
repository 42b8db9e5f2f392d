"""What every Leap record parser shares: RecordError and small typed field readers.

Readers are plain functions over plain dicts (no validation library): a page of 500 records
must parse in a few milliseconds. Each reader names the record and the field in its error, so
the sync layer can count a bad record and carry on with the rest of the page.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any


class RecordError(ValueError):
    """A record from Leap that cannot be read: names the record and the offending field."""

    def __init__(
        self, kind: str, record_id: str, field: str, problem: str = "missing field"
    ) -> None:
        self.kind = kind
        self.record_id = record_id
        self.field = field
        self.problem = problem
        super().__init__(f"{kind} {record_id}: {problem} '{field}'")

    def __reduce__(self) -> tuple[Any, ...]:
        # Keeps the error picklable (Celery results, multiprocessing) despite the custom init.
        return (type(self), (self.kind, self.record_id, self.field, self.problem))


ENUM_MAX = 32  # the shortest column an enum string is kept in (statuses, regions)


def holds_unstorable(obj: object) -> bool:
    """True if the JSON document holds what PostgreSQL text and jsonb refuse: U+0000 in any
    string (key or value), or NaN/Infinity (Python's json module reads them)."""
    stack = [obj]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, float):
            if not math.isfinite(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


class Reader:
    """Reads fields of one JSON object, raising RecordError that names the record."""

    __slots__ = ("kind", "obj", "record_id", "unknown")

    def __init__(self, kind: str, obj: object, id_fields: tuple[str, ...]) -> None:
        self.kind = kind
        self.unknown: list[str] = []
        if not isinstance(obj, dict):
            self.obj: dict[str, Any] = {}
            self.record_id = "?"
            raise RecordError(kind, "?", "(record)", f"not a JSON object ({type(obj).__name__})")
        self.obj = obj
        self.record_id = "?"
        for name in id_fields:
            value = obj.get(name)
            if isinstance(value, str) and value:
                self.record_id = value.replace("\x00", "\\x00")
                break
        if holds_unstorable(obj):
            # one such record would fail its whole page's write: skip it instead
            raise self.error("(record)", "a NUL character or NaN/Infinity (unstorable) in")

    def check_lengths(self, record: object, limits: Mapping[str, int]) -> None:
        """Refuse a record whose text would not fit leapdash's columns (a longer value fails
        the whole page's write): `limits` maps record attributes, strings or tuples of them."""
        for name, limit in limits.items():
            value = getattr(record, name)
            for item in value if isinstance(value, tuple) else (value,):
                if isinstance(item, str) and len(item) > limit:
                    raise self.error(name, f"longer than {limit} characters (stored limit) in")

    def error(self, field: str, problem: str = "missing field") -> RecordError:
        return RecordError(self.kind, self.record_id, field, problem)

    def req_str(self, field: str, obj: Mapping[str, Any] | None = None, path: str = "") -> str:
        value = (self.obj if obj is None else obj).get(field)
        if isinstance(value, str) and value:
            return value
        if value is None or value == "":
            raise self.error(path + field)
        raise self.error(path + field, f"not a string ({type(value).__name__}) in field")

    def opt_str(
        self, field: str, obj: Mapping[str, Any] | None = None, path: str = ""
    ) -> str | None:
        """A string, or None when absent, null or empty (Leap sends "" for unset fields)."""
        value = (self.obj if obj is None else obj).get(field)
        if value is None or value == "":
            return None
        if isinstance(value, str):
            return value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)  # account numbers sometimes arrive as numbers
        raise self.error(path + field, f"not a string ({type(value).__name__}) in field")

    def req_bool(self, field: str) -> bool:
        value = self.obj.get(field)
        if isinstance(value, bool):
            return value
        if value is None:
            raise self.error(field)
        raise self.error(field, f"not a boolean ({type(value).__name__}) in field")

    def opt_bool(self, field: str, default: bool, obj: Mapping[str, Any] | None = None) -> bool:
        value = (self.obj if obj is None else obj).get(field)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        raise self.error(field, f"not a boolean ({type(value).__name__}) in field")

    def req_dt(self, field: str, obj: Mapping[str, Any] | None = None, path: str = "") -> datetime:
        value = (self.obj if obj is None else obj).get(field)
        if value is None or value == "":
            raise self.error(path + field)
        return self._dt(value, path + field)

    def opt_dt(
        self, field: str, obj: Mapping[str, Any] | None = None, path: str = ""
    ) -> datetime | None:
        value = (self.obj if obj is None else obj).get(field)
        if value is None or value == "":
            return None
        return self._dt(value, path + field)

    def _dt(self, value: object, field: str) -> datetime:
        parsed = parse_datetime(value)
        if parsed is None:
            raise self.error(field, "not an ISO-8601 timestamp in field")
        return parsed

    def obj_field(self, field: str, *, required: bool = False) -> dict[str, Any]:
        value = self.obj.get(field)
        if isinstance(value, dict):
            return value
        if value is None:
            if required:
                raise self.error(field)
            return {}
        raise self.error(field, f"not an object ({type(value).__name__}) in field")

    def list_field(
        self, field: str, obj: Mapping[str, Any] | None = None, path: str = ""
    ) -> list[Any]:
        """A JSON array; absent or null reads as empty (Leap omits empty lists)."""
        value = (self.obj if obj is None else obj).get(field)
        if value is None:
            return []
        if isinstance(value, list):
            return value
        raise self.error(path + field, f"not a list ({type(value).__name__}) in field")

    def str_tuple(self, field: str) -> tuple[str, ...]:
        """Strings of an array, repeats dropped in order (Leap's own examples repeat entries)."""
        items = self.list_field(field)
        for item in items:
            if not isinstance(item, str):
                raise self.error(field, "not a list of strings in field")
        return tuple(dict.fromkeys(items))

    def enum(self, value: str, known: frozenset[str], field: str) -> str:
        """Keep an enum string as sent; flag one this version of leapdash does not know."""
        if value not in known:
            if len(value) > ENUM_MAX:
                # stored raw in a 32-character column: a longer one would fail its whole page
                raise self.error(field, f"unknown value longer than {ENUM_MAX} characters in")
            self.unknown.append(f"{field}={value}")
        return value


def parse_datetime(value: object) -> datetime | None:
    """Leap timestamp → aware UTC datetime; None if unreadable.

    Leap sends `Z` or `+00:00`, 0–9 fractional digits (Python keeps microseconds) and, for
    fields named *_utc, sometimes no offset at all: those are read as UTC.
    """
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    tz = parsed.tzinfo
    if tz is UTC:  # the common case (`Z`, `+00:00`): no conversion needed
        return parsed
    if tz is None:
        return parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # e.g. year 1 at +01:00: before the first instant Python can hold
        return None


def format_datetime(value: datetime) -> str:
    """Aware datetime → the ISO-8601 UTC form Leap's query filters take."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value!r}: Leap filters need an aware UTC time")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


_SLUG = re.compile(r"[^a-z0-9]+")


def slugify(text: str) -> str:
    return _SLUG.sub("-", text.lower()).strip("-")
