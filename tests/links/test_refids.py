"""The refId nearness rule: look-alike keys, the bounded distance, and the ranking."""

from __future__ import annotations

import pytest

from links.models import Link
from links.refids import EDIT, LOOKALIKE, Suggestion, cost, lookalike_key, nearest


@pytest.mark.parametrize(
    ("ref_id", "key"),
    [
        ("pm-bulk-002", "pm-8u1k-002"),
        ("PM-BULK-0O2", "pm-8u1k-002"),
        ("demo_new_0O2", "dem0-new-002"),
        ("IlI|1", "11111"),
        ("S5sZ2zB8", "55522288"),
        ("abc-123", "a8c-123"),
        ("", ""),
    ],
)
def test_the_lookalike_key_folds_each_group_of_lookalikes(ref_id, key):
    assert lookalike_key(ref_id) == key


@pytest.mark.parametrize(
    ("typed", "existing", "expected"),
    [
        ("pm-bulk-002", "pm-bulk-002", 0),
        ("pm-bulk-0O2", "pm-bulk-002", LOOKALIKE),  # O for 0
        ("demo-new-0O2", "demo-new-002", LOOKALIKE),
        ("acct-l1", "acct-11", LOOKALIKE),  # l for 1
        ("acct-I1", "acct-11", LOOKALIKE),  # I for 1
        ("acct-S5", "acct-55", LOOKALIKE),
        ("acct-B8", "acct-88", LOOKALIKE),
        ("ACCT-7", "acct-7", 4 * LOOKALIKE),  # case only
        ("pm-bulk-003", "pm-bulk-002", EDIT),  # a wrong digit
        ("pm-bulk-02", "pm-bulk-002", EDIT),  # one missing
        ("pm-bulk-0002", "pm-bulk-002", EDIT),  # one extra
        ("pm-blk-0O2", "pm-bulk-002", EDIT + LOOKALIKE),
        ("pm-bulk-912", "pm-bulk-002", 2 * EDIT),
        ("pm-bulk-987", "pm-bulk-002", None),  # three edits: too far
        ("short", "a-much-longer-refid", None),  # the lengths alone are too far apart
        ("", "abc", None),
    ],
)
def test_the_distance_counts_lookalikes_as_almost_nothing(typed, existing, expected):
    assert cost(typed, existing) == expected


def test_the_distance_is_bounded_by_the_edits_allowed():
    assert cost("abcd", "wxyd", max_edits=3) == 3 * EDIT
    assert cost("abcd", "wxyd", max_edits=2) is None


def test_nearest_ranks_lookalikes_before_real_slips_and_drops_far_ones():
    found = nearest("pm-bulk-0O2", ["pm-bulk-003", "pm-bulk-002", "zz-other-999", "pm-bulk-002"])
    assert found == [Suggestion("pm-bulk-002", LOOKALIKE), Suggestion("pm-bulk-003", EDIT + 1)]
    assert [s.reason for s in found] == ["look-alike characters", "1 character apart"]


def test_nearest_keeps_at_most_the_limit_ties_by_refid():
    found = nearest("ref-5", ["ref-9", "ref-7", "ref-8", "ref-6"], limit=2)
    assert [s.ref_id for s in found] == ["ref-6", "ref-7"]


@pytest.mark.django_db
@pytest.mark.parametrize("ref_id", ["pm-bulk-0O2", "Demo_New_ZIS", "a|b", "plain-123"])
def test_the_database_computes_the_same_key_both_ways(ref_id):
    link = Link.objects.create(org_name="acme", ref_id=ref_id, url="https://l.example/x")
    stored = Link.objects.values_list("ref_key", "ref_key_reversed").get(pk=link.pk)
    assert stored == (lookalike_key(ref_id), lookalike_key(ref_id)[::-1])
