"""Counts that stop at a cap, and the pager that works with them.

At 10^6 connections an exact count per status costs seconds on every page. Each count here reads
at most CAP + 1 rows (index-only on PostgreSQL), so it costs the same at any size and shows
"1,000+" once it stops. The pager then asks for one row more than a page to know whether a
next page exists, and shows no last page while the total is not known.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

CAP = 1_000


@dataclass(frozen=True)
class RowCount:
    """A row count: exact, or (capped) only known to be more than `n`."""

    n: int
    capped: bool = False

    def __str__(self) -> str:
        return f"{self.n:,}+" if self.capped else f"{self.n:,}"

    def __add__(self, other: RowCount) -> RowCount:
        return RowCount(self.n + other.n, self.capped or other.capped)


def capped(n: int, cap: int) -> RowCount:
    return RowCount(cap, True) if n > cap else RowCount(n)


def counts_by_value(
    rows: QuerySet[Any], field: str, values: list[str], cap: int | None = None
) -> dict[str, RowCount]:
    """Capped count of `rows` per value of `field`: the known `values` and any other, one query.

    Each value is counted in its own LIMIT cap + 1 subquery (an index range per value). The
    other values (ones this version does not know) are listed from a partial index that holds
    only them, and each is counted the same way.
    """
    cap = CAP if cap is None else cap
    rows = rows.order_by()
    parts: list[str] = []
    params: list[Any] = []
    for value in values:
        sql, sub = rows.filter(**{field: value}).values(field)[: cap + 1].query.sql_with_params()
        parts.append(f"SELECT %s, COUNT(*) FROM ({sql}) AS s{len(parts)}")
        params += [value, *sub]
    others = rows.model._default_manager.exclude(**{f"{field}__in": values}).order_by()
    others_sql, others_params = others.values(field).distinct().query.sql_with_params()
    each = rows.filter(**{field: RawSQL(f"u.{field}", ())}).values(field)[: cap + 1]
    each_sql, each_params = each.query.sql_with_params()
    parts.append(
        f"SELECT u.{field}, (SELECT COUNT(*) FROM ({each_sql}) AS s) FROM ({others_sql}) AS u"
    )
    params += [*each_params, *others_params]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        return {value: capped(n, cap) for value, n in cursor.fetchall()}


def capped_count(rows: QuerySet[Any], cap: int | None = None) -> RowCount:
    """How many `rows`, reading at most cap + 1 of their primary keys."""
    cap = CAP if cap is None else cap
    return capped(rows.order_by().values("pk")[: cap + 1].count(), cap)


def capped_page(rows: QuerySet[Any], per_page: int, number: Any) -> tuple[Page, RowCount]:
    """Page `number` of `rows` and their total as far as it is known: a list of any length
    costs what its first CAP rows cost, and a page far down reads its ids before its rows."""
    paginator = CappedPaginator(rows, per_page, capped_count(rows))
    page = paginator.get_page(number)
    return page, paginator.total


class CappedPaginator(Paginator):
    """A paginator told its total, which may be a lower bound (a capped count).

    With an exact total it is Django's paginator without the COUNT(*). With a lower bound, the
    page is read with one row more, which tells whether a next page exists; the total shown
    grows to what the page read proves.
    """

    def __init__(self, rows: QuerySet[Any], per_page: int, total: RowCount) -> None:
        super().__init__(rows, per_page)
        self.rows: QuerySet[Any] = rows  # object_list, typed as the queryset it is
        self.total = total

    @property
    def count(self) -> int:
        return self.total.n + self.total.capped  # "more than n": n + 1 rows at least

    def page(self, number: Any) -> Page:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        return Page(self._rows(bottom, bottom + self.per_page), number, self)

    def _rows(self, bottom: int, top: int) -> list[Any]:
        """Rows bottom..top: their ids first (index-only where the indexes carry the filters),
        then those rows alone, rather than reading every skipped row in full."""
        return list(self.rows.filter(pk__in=self.rows.values("pk")[bottom:top]))

    def get_page(self, number: Any) -> Page:
        if not self.total.capped:
            return super().get_page(number)
        try:
            number = max(int(number), 1)
        except (TypeError, ValueError):
            number = 1
        bottom = (number - 1) * self.per_page
        rows = self._rows(bottom, bottom + self.per_page + 1)
        if not rows and number > 1:
            # Past the end of a long list (an old link): count it all once, show the last page.
            self.total = RowCount(self.rows.count())
            self.__dict__.pop("num_pages", None)
            return super().get_page(number)
        if len(rows) > self.per_page:
            self.total = RowCount(max(self.total.n, bottom + self.per_page), True)
        else:
            self.total = RowCount(bottom + len(rows))  # the last page: the total is known
        return Page(rows[: self.per_page], number, self)
