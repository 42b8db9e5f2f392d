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
from functools import partial
from typing import Any

from django.db import connection, models
from django.db.models.fields import AutoFieldMixin
from psycopg import sql

Row = Mapping[str, Any]

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

_CREATE_SCRATCH = (
    "CREATE TEMPORARY TABLE IF NOT EXISTS {scratch} ON COMMIT DELETE ROWS AS "
    "SELECT {names} FROM {table} WITH NO DATA"
)
_MOVE_SCRATCH = (
    "WITH moved AS (DELETE FROM {scratch} RETURNING {names}) "
    "INSERT INTO {table} ({names}) SELECT {names} FROM moved ORDER BY {key}{collate} "
    "ON CONFLICT ({key}) DO UPDATE SET {assignments} RETURNING {key}, {pk}"
)


class _Column:
    __slots__ = ("attname", "convert", "default", "name")

    def __init__(self, field: models.Field[Any, Any]) -> None:
        self.attname = field.attname
        self.name = field.column
        self.convert = _converter(field)
        self.default = field.get_default()


def _converter(field: models.Field[Any, Any]) -> Callable[[Any], Any] | None:
    if isinstance(field, models.JSONField):
        dumps = partial(json.dumps, cls=field.encoder)
        return lambda value: None if value is None else dumps(value)
    if isinstance(field, _AS_IS):
        return None
    return partial(field.get_db_prep_save, connection=connection)


def _field(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field), name
    return field


def _assignment(column: str) -> sql.Composable:
    return sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(column))


def columns(model: type[models.Model]) -> list[_Column]:
    """Every concrete column but an auto-generated primary key, in the model's order."""
    return [
        _Column(f)
        for f in model._meta.concrete_fields
        if not (f.primary_key and isinstance(f, AutoFieldMixin))
    ]


def _values(cols: Sequence[_Column], row: Row) -> list[Any]:
    values = []
    for col in cols:
        value = row.get(col.attname, col.default)
        values.append(value if col.convert is None else col.convert(value))
    return values


def _copy(cursor: Any, table: str, cols: Sequence[_Column], rows: Iterable[Row]) -> None:
    names = sql.SQL(", ").join(sql.Identifier(c.name) for c in cols)
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(sql.Identifier(table), names)
    with cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(_values(cols, row))


def insert(model: type[models.Model], rows: Iterable[Row]) -> None:
    """Insert rows straight into the model's table (no conflict handling): one COPY."""
    with connection.cursor() as cursor:
        _copy(cursor.cursor, model._meta.db_table, columns(model), rows)


def upsert(
    model: type[models.Model], rows: Iterable[Row], *, unique: str, update: Sequence[str]
) -> dict[Any, Any]:
    """Insert rows, or update the `update` fields of those whose `unique` field is taken.

    Three statements whatever the number of rows: create the temporary table if this session
    has none yet, COPY into it, move its rows into the table. Rows are written, and so locked,
    in the order of `unique` (byte order for text, as Python sorts str), so two writers cannot
    deadlock. Returns {unique value: primary key} of every row written.
    """
    meta = model._meta
    cols = columns(model)
    # Named after the columns: a session that outlives a migration gets a new table.
    digest = hashlib.blake2b(repr([c.name for c in cols]).encode(), digest_size=4).hexdigest()
    scratch = f"{meta.db_table}_copy_{digest}"
    key_field = _field(model, unique)
    parts = {
        "scratch": sql.Identifier(scratch),
        "table": sql.Identifier(meta.db_table),
        "names": sql.SQL(", ").join(sql.Identifier(c.name) for c in cols),
        "key": sql.Identifier(key_field.column),
        "collate": sql.SQL(' COLLATE "C"' if isinstance(key_field, _TEXT) else ""),
        "pk": sql.Identifier(meta.pk.column),
        "assignments": sql.SQL(", ").join(
            [_assignment(_field(model, name).column) for name in update]
        ),
    }
    with connection.cursor() as wrapper:
        cursor = wrapper.cursor
        # ON COMMIT DELETE ROWS empties it at commit; DELETE … RETURNING below empties it
        # within a transaction too (several pages in one outer transaction, as in tests).
        cursor.execute(sql.SQL(_CREATE_SCRATCH).format(**parts))
        _copy(cursor, scratch, cols, rows)
        cursor.execute(sql.SQL(_MOVE_SCRATCH).format(**parts))
        return dict(cursor.fetchall())
