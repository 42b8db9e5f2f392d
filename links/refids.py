"""How near one refId is to another, for suggesting the link a mistyped refId was meant for.

A refId copied by hand goes wrong in two ways: characters that look alike (O and 0, l, 1 and I,
S and 5, B and 8, Z and 2, upper and lower case) and ordinary slips (a character missing, extra
or wrong). The look-alike key folds each group of look-alikes onto one character, so refIds that
differ only by look-alikes share a key; the distance is an edit distance in which a look-alike
swap costs next to nothing. Pure: plain strings in, numbers out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

# Each character and the one its look-alike group folds onto (after lower-casing). The database
# computes the same key (links.models.Link.ref_key) from this table.
LOOKALIKES: dict[str, str] = {
    "o": "0",
    "i": "1",
    "l": "1",
    "|": "1",
    "s": "5",
    "b": "8",
    "z": "2",
    "_": "-",
}

EDIT = 10  # a character missing, extra or replaced by one that does not look alike
LOOKALIKE = 1  # a character replaced by a look-alike (or the other case)
MAX_EDITS = 2  # farther than this and the refId is not suggested
SUGGESTIONS = 3


def lookalike_key(ref_id: str) -> str:
    """The refId with every look-alike character folded: equal keys look the same."""
    text = ref_id.lower()
    for char, folded in LOOKALIKES.items():
        text = text.replace(char, folded)
    return text


def _fold(char: str) -> str:
    lower = char.lower()
    return LOOKALIKES.get(lower, lower)


def cost(typed: str, existing: str, max_edits: int = MAX_EDITS) -> int | None:
    """Edit distance from `typed` to `existing` in EDIT / LOOKALIKE units, or None when more
    than `max_edits` edits apart. Bounded: stops as soon as every path is over the bound."""
    bound = max_edits * EDIT
    if abs(len(typed) - len(existing)) * EDIT > bound:
        return None
    previous = [j * EDIT for j in range(len(existing) + 1)]
    folded = [_fold(c) for c in existing]
    for i, a in enumerate(typed, start=1):
        fa = _fold(a)
        current = [i * EDIT]
        for j, b in enumerate(existing, start=1):
            swap = 0 if a == b else (LOOKALIKE if fa == folded[j - 1] else EDIT)
            current.append(min(previous[j] + EDIT, current[j - 1] + EDIT, previous[j - 1] + swap))
        if min(current) > bound:
            return None
        previous = current
    return previous[-1] if previous[-1] <= bound else None


@dataclass(frozen=True)
class Suggestion:
    """An existing refId near a typed one, and how near."""

    ref_id: str
    cost: int

    @property
    def reason(self) -> str:
        if self.cost == 0:
            return "same refId"
        if self.cost < EDIT:
            return "look-alike characters"
        edits = round(self.cost / EDIT)
        return f"{edits} character{'s' if edits != 1 else ''} apart"


def nearest(typed: str, existing: Iterable[str], limit: int = SUGGESTIONS) -> list[Suggestion]:
    """The existing refIds nearest to `typed`, nearest first (ties by refId), at most `limit`."""
    found = {}
    for ref_id in existing:
        if ref_id not in found:
            n = cost(typed, ref_id)
            if n is not None:
                found[ref_id] = Suggestion(ref_id, n)
    return sorted(found.values(), key=lambda s: (s.cost, s.ref_id))[:limit]
