"""Bulk writes of plain rows through PostgreSQL's COPY, for the syncs' set-based upserts.

Django's bulk_create sends a page as one INSERT whose values psycopg quotes into the SQL text
(Django binds client-side): for pages carrying Leap's raw JSON, that quoting was about half of a
sync's write time. COPY streams the same values in PostgreSQL's text format instead, escaped by
psycopg's C code. An upsert goes through a temporary table: COPY into it, then one
INSERT … SELECT … ON CONFLICT DO UPDATE into the real table.

Rows are mappings of field attnames (`link_id`, not `link`) to Python values. The column list
comes from the model, so a new field is carried as soon as the rows hold it; a field a row leaves
out gets the field's default. PostgreSQL only: callers keep bulk_create for other databases.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import nullcontext
from functools import cache, partial
from typing import Any, NamedTuple

from django.db import connection, models
from django.db.models import Value
from django.db.models.fields import NOT_PROVIDED, AutoFieldMixin

Row = Mapping[str, Any]


class JsonText(str):
    """A JSON document already serialised: a JSON column takes it as it is."""


# Fields whose Python values psycopg writes exactly as Django would store them.
_AS_IS = (
    models.CharField,
    models.TextField,
    models.BooleanField,
    models.IntegerField,
    models.DateTimeField,
    models.ForeignKey,
)
_TEXT = (models.CharField, models.TextField)


class _Column:
    __slots__ = ("attname", "convert", "default", "name")

    def __init__(self, field: models.Field[Any, Any]) -> None:
        self.attname = field.attname
        self.name = field.column
        self.convert = _converter(field)
        self.default = _default(field)


class ExpressionDefaultNotCopied:
    """Stands for a value left out whose default is computed by the database (COPY cannot
    ask for it per row): psycopg then refuses the row, naming this class."""


def _default(field: models.Field[Any, Any]) -> Any:
    if field.has_default() or field.db_default is NOT_PROVIDED:
        return field.get_default()
    value = field.db_default
    if isinstance(value, Value):
        value = value.value
    return ExpressionDefaultNotCopied() if hasattr(value, "resolve_expression") else value


def _converter(field: models.Field[Any, Any]) -> Callable[[Any], Any] | None:
    if isinstance(field, models.JSONField):
        dumps = partial(json.dumps, cls=field.encoder)

        def to_json(value: Any) -> Any:
            if isinstance(value, JsonText) or value is None:
                return value
            # most synced lists are empty: skip building an encoder for each of them
            return "[]" if isinstance(value, list) and not value else dumps(value)

        return to_json
    if isinstance(field, _AS_IS):
        return None
    return partial(field.get_db_prep_save, connection=connection)


def _field(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field), name
    return field


@cache
def columns(model: type[models.Model]) -> list[_Column]:
    """Every concrete column but an auto-generated primary key or a column the database
    computes (a GeneratedField), in the model's order."""
    return [
        _Column(f)
        for f in model._meta.concrete_fields
        if not (f.primary_key and isinstance(f, AutoFieldMixin)) and not f.generated
    ]


def _values(cols: Sequence[_Column], row: Row) -> list[Any]:
    return [
        row.get(c.attname, c.default)
        if c.convert is None
        else c.convert(row.get(c.attname, c.default))
        for c in cols
    ]


def _copy(
    cursor: Any,
    table: str,
    cols: Sequence[_Column],
    rows: Iterable[Row],
    pks: tuple[str, Sequence[Any]] | None = None,
) -> None:
    names = [_quote(c.name) for c in cols]
    if pks is not None:
        names.insert(0, _quote(pks[0]))
    statement = f"COPY {_quote(table)} ({', '.join(names)}) FROM STDIN"

    def run(sql: str, params: Any, many: bool, context: dict[str, Any]) -> None:
        with connection.wrap_database_errors, cursor.cursor.copy(sql) as copy:
            if pks is None:
                for row in rows:
                    copy.write_row(_values(cols, row))
            else:
                for pk, row in zip(pks[1], rows, strict=True):
                    copy.write_row([pk, *_values(cols, row)])

    # Seen like any query: by connection.execute_wrapper hooks, and logged when Django logs
    # queries (CaptureQueriesContext, DEBUG's connection.queries).
    executor: Callable[..., None] = run
    for wrapper in reversed(connection.execute_wrappers):
        executor = partial(wrapper, executor)
    debug_sql = getattr(cursor, "debug_sql", None)
    with debug_sql(statement) if debug_sql else nullcontext():
        executor(statement, None, False, {"connection": connection, "cursor": cursor})


def insert(model: type[models.Model], rows: Iterable[Row]) -> None:
    """Insert rows straight into the model's table (no conflict handling): one COPY."""
    with connection.cursor() as cursor:
        _copy(cursor, model._meta.db_table, columns(model), rows)


def insert_new(model: type[models.Model], rows: Sequence[Row]) -> list[Any]:
    """Insert rows expected to be new straight into the model's table, with primary keys
    drawn from its sequence: two statements, and no scratch table or conflict check. Returns
    the keys in the order of `rows`; a unique constraint violated raises IntegrityError."""
    table, pk = model._meta.db_table, model._meta.pk.column
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [_quote(table), pk, len(rows)],
        )
        pks = [value for (value,) in cursor.fetchall()]
        _copy(cursor, table, columns(model), rows, (pk, pks))
    return pks


def delete_in(model: type[models.Model], field: str, values: Sequence[Any]) -> None:
    """Delete the rows whose `field` is one of `values`: one statement, even for no values."""
    target = _field(model, field)
    table, column = _quote(model._meta.db_table), _quote(target.column)
    # typed like the column: psycopg sends small ints as smallint[], which no index matches
    array = f"%s::{target.db_type(connection)}[]"
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE {column} = ANY({array})", [list(values)])


def upsert(
    model: type[models.Model], rows: Iterable[Row], *, unique: str, update: Sequence[str]
) -> dict[Any, Any]:
    """Insert rows, or update the `update` fields of those whose `unique` field is taken.

    Three statements whatever the number of rows: create the temporary table if this session
    has none yet (and empty it), COPY into it, move its rows into the table. Rows are written,
    and so locked, in the order of `unique` (byte order for text, as Python sorts str), so two
    writers cannot deadlock. Returns {unique value: primary key} of every row written.
    """
    plan = _upsert_plan(model, unique, tuple(update))
    with connection.cursor() as cursor:
        cursor.execute(plan.prepare)
        _copy(cursor, plan.scratch, plan.columns, rows)
        cursor.execute(plan.move)
        return dict(cursor.fetchall())


class _UpsertPlan(NamedTuple):
    columns: list[_Column]
    scratch: str
    prepare: str
    move: str


@cache
def _upsert_plan(model: type[models.Model], unique: str, update: tuple[str, ...]) -> _UpsertPlan:
    meta = model._meta
    cols = columns(model)
    names = ", ".join(_quote(c.name) for c in cols)
    # Named after the columns: a session that outlives a migration gets a new table.
    digest = hashlib.blake2b(names.encode(), digest_size=4).hexdigest()
    scratch = f"{meta.db_table}_copy_{digest}"
    table, key_field = _quote(meta.db_table), _field(model, unique)
    key = _quote(key_field.column)
    collate = ' COLLATE "C"' if isinstance(key_field, _TEXT) else ""
    assignments = ", ".join(
        f"{column} = EXCLUDED.{column}"
        for column in (_quote(_field(model, n).column) for n in update)
    )
    # ON COMMIT DELETE ROWS empties it at each commit; the DELETE empties it when several
    # upserts share one transaction (usually it deletes nothing).
    prepare = (
        f"CREATE TEMPORARY TABLE IF NOT EXISTS {_quote(scratch)} ON COMMIT DELETE ROWS AS "
        f"SELECT {names} FROM {table} WITH NO DATA; DELETE FROM {_quote(scratch)}"
    )
    move = (
        f"INSERT INTO {table} ({names}) SELECT {names} FROM {_quote(scratch)} "
        f"ORDER BY {key}{collate} ON CONFLICT ({key}) DO UPDATE SET {assignments} "
        f"RETURNING {key}, {_quote(meta.pk.column)}"
    )
    return _UpsertPlan(cols, scratch, prepare, move)


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)
