"""Capped counts and the pager that works with them, on real rows."""

import pytest

from leapdash.paging import (
    CappedPaginator,
    RowCount,
    capped,
    capped_count,
    capped_page,
    counts_by_value,
)
from links.models import Link

pytestmark = pytest.mark.django_db


def _links(n: int, **values) -> None:
    Link.objects.bulk_create(
        Link(org_name="acme", ref_id=f"pg-{i:03}", url=f"https://l.example/{i}", **values)
        for i in range(n)
    )


@pytest.mark.parametrize(
    ("n", "cap", "shown"), [(0, 5, "0"), (5, 5, "5"), (6, 5, "5+"), (1234, 2000, "1,234")]
)
def test_a_count_stops_at_its_cap(n, cap, shown):
    assert str(capped(n, cap)) == shown


def test_capped_counts_add_up_and_stay_capped():
    assert RowCount(2) + RowCount(3) == RowCount(5)
    assert RowCount(2) + RowCount(3, True) == RowCount(5, True)


def test_counts_by_value_counts_known_and_unknown_values_up_to_the_cap():
    _links(4, utility="email")
    Link.objects.create(org_name="acme", ref_id="pg-sms", url="https://l.example/s", utility="sms")
    Link.objects.create(org_name="acme", ref_id="pg-fax", url="https://l.example/f", utility="fax")
    counts = counts_by_value(Link.objects.all(), "utility", ["email", "sms", "none"], cap=3)
    assert counts == {
        "email": RowCount(3, True),
        "sms": RowCount(1),
        "none": RowCount(0),
        "fax": RowCount(1),
    }


def test_an_exact_total_pages_as_django_does():
    _links(25)
    pager = CappedPaginator(Link.objects.order_by("ref_id"), 10, RowCount(25))
    page = pager.get_page(3)
    assert [link.ref_id for link in page] == [f"pg-{i:03}" for i in range(20, 25)]
    assert pager.num_pages == 3


def test_a_capped_total_grows_to_what_a_page_proves_and_ends_on_the_last_page():
    _links(25)
    rows = Link.objects.order_by("ref_id")
    pager = CappedPaginator(rows, 10, RowCount(10, True))
    assert pager.get_page(1).has_next()
    assert pager.total == RowCount(10, True)
    pager = CappedPaginator(rows, 10, RowCount(10, True))
    last = pager.get_page(3)
    assert not last.has_next()
    assert pager.total == RowCount(25)
    assert len(last) == 5


def test_a_page_past_the_end_counts_once_and_shows_the_last_page():
    _links(12)
    pager = CappedPaginator(Link.objects.order_by("ref_id"), 5, RowCount(5, True))
    assert pager.get_page(9).number == 3
    assert pager.total == RowCount(12)


@pytest.mark.parametrize(
    ("n", "cap", "total"), [(0, 3, RowCount(0)), (3, 3, RowCount(3)), (4, 3, RowCount(3, True))]
)
def test_capped_count_reads_at_most_one_row_past_the_cap(n, cap, total):
    _links(n)
    assert capped_count(Link.objects.all(), cap) == total


def test_capped_page_of_a_long_list_knows_its_total_only_as_far_as_the_page(monkeypatch):
    monkeypatch.setattr("leapdash.paging.CAP", 4)
    _links(12)
    rows = Link.objects.order_by("ref_id", "pk")
    page, total = capped_page(rows, 5, 1)
    assert [link.ref_id for link in page] == [f"pg-{i:03}" for i in range(5)]
    assert total == RowCount(5, True)
    assert page.has_next()
    page, total = capped_page(rows, 5, 3)
    assert [link.ref_id for link in page] == ["pg-010", "pg-011"]
    assert total == RowCount(12)
    assert not page.has_next()


def test_capped_page_of_a_short_list_is_exact():
    _links(3)
    page, total = capped_page(Link.objects.order_by("pk"), 5, "x")
    assert total == RowCount(3)
    assert page.number == 1
    assert len(page) == 3
