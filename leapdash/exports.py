"""CSV exports at COPY speed: a queryset's rows written by PostgreSQL itself.

An export describes its columns as SQL expressions over the same filtered, ordered queryset
its page lists (Cell, IsoTime, JsonJoined, YesNo, Lookup); the query runs as `COPY (…) TO STDOUT
WITH (FORMAT csv)` through psycopg's copy and the response streams PostgreSQL's chunks. The
SQLite demo keeps each export's Python rows (leapdash.csvs). Both write the same bytes: cells
neutralised as leapdash.csvs.neutralise does, empty cells bare, \\n line ends, quotes only where
a cell needs them; the export tests compare the two on hostile values.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable, Mapping, Sequence
from typing import Any, cast

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import CharField, F, Func, QuerySet, Value
from django.http import HttpResponse

from .csvs import FORMULA_STARTS, csv_download, csv_lines, csv_response
from .db import is_postgresql

TEXT: CharField[str, str] = CharField()
STATEMENT_SETTINGS = ("jit", "enable_sort")


def _field(expression: Any) -> Any:
    """A field name as F(); an expression as it is."""
    return F(expression) if isinstance(expression, str) else expression


class _SQL(Func):
    """A PostgreSQL column built around its one compiled source, whose SQL may appear several
    times in the result (its parameters repeat with it)."""

    output_field = TEXT
    uses = 1

    def __init__(self, expression: Any) -> None:
        super().__init__(_field(expression))

    def wrap(self, inner: str) -> str:
        raise NotImplementedError

    def as_sql(  # type: ignore[override]
        self, compiler: Any, connection: Any, **extra: Any
    ) -> tuple[str, list[Any]]:
        inner, params = compiler.compile(self.get_source_expressions()[0])
        return self.wrap(f"({inner})"), list(params) * self.uses


def _class_member(char: str) -> str:
    """One character inside a regular expression's [...] class, escaped for it."""
    if not char.isprintable():
        return f"\\x{ord(char):02x}"
    return "\\" + char if char in "]\\^-" else char


class Cell(_SQL):
    """A column as neutralised text (leapdash.csvs.neutralise in SQL): prefixed with ' when a
    spreadsheet would read a formula, NULL when empty so that COPY writes it bare. The source
    appears once, so that a subquery column runs once per row."""

    def wrap(self, inner: str) -> str:
        starts = "".join(_class_member(s) for s in FORMULA_STARTS)
        pattern = f"^([{starts}])"
        return f"NULLIF(regexp_replace(COALESCE({inner}::text, ''), '{pattern}', '''\\1'), '')"


class IsoTime(_SQL):
    """A timestamp as Python's isoformat() writes a UTC one: 2026-12-07T10:00:00+00:00, with
    .ffffff only when its microseconds are not zero; NULL stays NULL."""

    uses = 3

    def wrap(self, inner: str) -> str:
        utc = f"({inner} AT TIME ZONE 'UTC')"
        return (
            f"to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || CASE WHEN "
            f"date_part('microseconds', {utc})::bigint %% 1000000 = 0 THEN '' "
            f"ELSE to_char({utc}, '.US') END || '+00:00'"
        )


class JsonJoined(_SQL):
    """A JSON array of strings as one cell, its items separated by a space (" ".join)."""

    def wrap(self, inner: str) -> str:
        return (
            "(SELECT string_agg(item, ' ' ORDER BY n) "
            f"FROM jsonb_array_elements_text({inner}::jsonb) WITH ORDINALITY AS a(item, n))"
        )


class YesNo(_SQL):
    """A boolean as "yes" or "no" (NULL reads "no")."""

    def wrap(self, inner: str) -> str:
        return f"CASE WHEN {inner} IS TRUE THEN 'yes' ELSE 'no' END"


class Lookup(Func):
    """A code mapped through a Python table (a label per code), `default` for the rest: the
    table stays in its owner module and SQL only reads it."""

    output_field = TEXT

    def __init__(self, expression: Any, table: Mapping[str, str], default: str) -> None:
        pairs = [Value(v) for item in table.items() for v in item]
        super().__init__(_field(expression), *pairs, Value(default))

    def as_sql(  # type: ignore[override]
        self, compiler: Any, connection: Any, **extra: Any
    ) -> tuple[str, list[Any]]:
        compiled = [compiler.compile(e) for e in self.get_source_expressions()]
        (code, params), rest = compiled[0], compiled[1:]
        whens, params = [], list(params)
        for (key, key_params), (label, label_params) in zip(rest[:-1:2], rest[1::2], strict=True):
            whens.append(f"WHEN {key} THEN {label}")
            params += [*key_params, *label_params]
        default, default_params = rest[-1]
        if not whens:  # an empty table: every code reads the default
            return default, list(default_params)
        return f"CASE ({code}) {' '.join(whens)} ELSE {default} END", [*params, *default_params]


# --- the response ------------------------------------------------------------------------------


def by_copy(using: str = "default") -> bool:
    """Whether exports stream from COPY: on PostgreSQL unless settings turn it off."""
    return is_postgresql(connections[using]) and getattr(settings, "EXPORTS_BY_COPY", True)


def copy_statement(rows: QuerySet[Any]) -> str:
    """The COPY statement of a values_list queryset, its parameters bound into the text (COPY
    takes no bind parameters; psycopg's client-side binding quotes them)."""
    import psycopg

    sql, params = rows.query.sql_with_params()
    db = connections[rows.db]
    db.ensure_connection()
    raw = cast(psycopg.Connection[Any], db.connection)
    query = psycopg.ClientCursor(raw).mogrify(sql, params)
    return f"COPY ({query}) TO STDOUT WITH (FORMAT csv)"


def copy_chunks(header: Sequence[str], rows: QuerySet[Any]) -> Generator[bytes]:
    """The header line, then the bytes PostgreSQL writes for `rows`, chunk by chunk."""
    yield next(csv_lines(header, [])).encode()
    try:
        statement = copy_statement(rows)
    except EmptyResultSet:  # a queryset known to be empty (an invalid filter): no rows
        return
    with connections[rows.db].cursor() as cursor:
        # For this statement only: JIT compiling the columns costs about a second before the
        # first row, more than it saves in one pass; and an index in the export's order beats
        # sorting every row first, so the download starts at once.
        for name in STATEMENT_SETTINGS:
            cursor.execute(f"SET {name} = off")
        try:
            with cursor.cursor.copy(statement) as copy:
                for chunk in copy:
                    yield bytes(chunk)
        finally:
            for name in STATEMENT_SETTINGS:
                cursor.execute(f"RESET {name}")


def export_response(
    filename: str,
    header: Sequence[str],
    rows: Iterable[Sequence[object]],
    columns: Callable[[], QuerySet[Any]],
) -> HttpResponse:
    """A CSV download: `columns()` (a values_list queryset of SQL columns) written by COPY
    where by_copy() says so, else the same cells from `rows`, a lazy iterable of Python rows,
    written by leapdash.csvs."""
    if by_copy():
        return csv_download(filename, copy_chunks(header, columns()))
    return csv_response(filename, header, rows)
