"""Which database leapdash runs on, asked in one place.

Production and the suite run on PostgreSQL; the demo runs on SQLite. Code that needs a
PostgreSQL-only statement (COPY, TRUNCATE, `SET LOCAL`, `= ANY(ARRAY(...))`) asks here instead
of comparing vendor strings, so every such branch can be found with one search."""

from typing import Any

from django.db import connection as default_connection


def is_postgresql(connection: Any = None) -> bool:
    """True on PostgreSQL; `connection` is the default database unless given (a schema
    editor's or a compiler's connection, say)."""
    return (connection or default_connection).vendor == "postgresql"


def distinct_values(model: Any, field: str) -> list[str]:
    """The non-empty values of an indexed text column, in order, read as a loose index scan:
    one index probe per value found, so a filter's choices cost the same at 10^3 rows and at
    10^6 (SELECT DISTINCT reads every row's entry). Works on PostgreSQL and SQLite alike."""
    quote = default_connection.ops.quote_name
    table, column = quote(model._meta.db_table), quote(model._meta.get_field(field).column)
    query = (
        f"WITH RECURSIVE found(v) AS ("
        f" SELECT MIN({column}) FROM {table} WHERE {column} > ''"
        f" UNION ALL"
        f" SELECT (SELECT MIN({column}) FROM {table} WHERE {column} > found.v)"
        f" FROM found WHERE found.v IS NOT NULL"
        f") SELECT v FROM found WHERE v IS NOT NULL"
    )
    with default_connection.cursor() as cursor:
        cursor.execute(query)
        return [value for (value,) in cursor.fetchall()]
