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
