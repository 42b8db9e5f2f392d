"""Counts kept in the cache between the writes that change them.

A page whose counts scan 10^6 rows reads them here instead: `kept` returns what `work` gave at
most `max_age` ago (by the caller's clock, so a simulated clock that goes back works them out
again), or works them out now and keeps them. The jobs that change the rows call `keep` as they
finish, so a page rarely pays; a person's change drops them with `forget`. Keys of one family
share a generation: forgetting the family drops every key of it at once (a page with filters
keeps one entry per filter).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from django.core.cache import cache

T = TypeVar("T")


@dataclass(frozen=True)
class Kept(Generic[T]):
    as_of: datetime
    value: T


def _key(family: str, name: str) -> str:
    generation = cache.get(f"{family}:generation")
    if generation is None:
        generation = uuid.uuid4().hex
        cache.add(f"{family}:generation", generation, timeout=None)
        generation = cache.get(f"{family}:generation", generation)
    return f"{family}:{generation}:{name}"


def kept(
    family: str, name: str, now: datetime, max_age: timedelta, work: Callable[[], T]
) -> Kept[T]:
    """What `work` gave at most `max_age` before `now`, or its answer now (then kept)."""
    found = cache.get(_key(family, name))
    if isinstance(found, Kept) and found.as_of <= now <= found.as_of + max_age:
        return found
    return keep(family, name, now, max_age, work)


def keep(
    family: str, name: str, now: datetime, max_age: timedelta, work: Callable[[], T]
) -> Kept[T]:
    """Work the value out at `now` and keep it for `max_age`. The key is taken first: a write
    (and its forget) while `work` runs leaves the answer under the generation it belongs to."""
    key = _key(family, name)
    answer = Kept(now, work())
    cache.set(key, answer, timeout=int(max_age.total_seconds()))
    return answer


def forget(family: str) -> None:
    """Drop every kept value of the family: the next read works it out."""
    cache.set(f"{family}:generation", uuid.uuid4().hex, timeout=None)
