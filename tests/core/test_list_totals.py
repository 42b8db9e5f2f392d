"""Every long list counts its rows only up to the cap: past it the page says "n+", the pager
offers the next page and no last one, and the last page is exact again."""

import pytest

from links.models import Link
from meters.models import PartnerRecord

pytestmark = pytest.mark.django_db

# with 60 rows and a cap of 4, page 1 (50 rows and one more read) proves "50+"
LISTS = [
    ("/links/", "links", "{} links"),
    ("/connections/?view=unopened", "links", "{}</strong> links never opened"),
    ("/meters/partners/", "records", "Page 1 · {} rows"),
]


def _rows(kind: str, n: int) -> None:
    if kind == "links":
        Link.objects.bulk_create(
            Link(org_name="acme", ref_id=f"lt-{i:03}", url=f"https://l.example/{i}")
            for i in range(n)
        )
    else:
        PartnerRecord.objects.bulk_create(
            PartnerRecord(reference=f"lt-{i:03}", name=f"Customer {i}") for i in range(n)
        )


@pytest.mark.parametrize(("url", "kind", "shown"), LISTS)
def test_a_list_past_the_cap_shows_a_lower_bound_and_no_last_page(
    pm_client, monkeypatch, url, kind, shown
):
    monkeypatch.setattr("leapdash.paging.CAP", 4)
    _rows(kind, 60)
    response = pm_client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert shown.format("50+") in html
    assert "Next ›" in html
    assert "Last »" not in html
    last = pm_client.get(f"{url}{'&' if '?' in url else '?'}page=2").content.decode()
    # the exact count, and no lower bound in the heading or the pager (timestamps may hold "50+")
    assert "Page 2 of 2 · 60 rows" in last
    assert shown.format("50+") not in last
    assert "· 50+ rows" not in last
    assert "Next ›" not in last


@pytest.mark.parametrize(("url", "kind", "shown"), LISTS[:2])  # a single page has no pager
def test_a_list_under_the_cap_is_counted_exactly(pm_client, url, kind, shown):
    _rows(kind, 3)
    assert shown.format(3) in pm_client.get(url).content.decode()
