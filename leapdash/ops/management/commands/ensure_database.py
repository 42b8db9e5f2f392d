"""Create the PostgreSQL database named by DATABASE_URL when it does not exist yet.

For `make up` and `make setup` on a fresh machine: the server must be running and the user
allowed to create databases. Does nothing on SQLite (the file is created on first use).
"""

from __future__ import annotations

from typing import Any

import psycopg
from django.core.management import BaseCommand, CommandError
from django.db import connections
from psycopg import sql


class Command(BaseCommand):
    help = "Create DATABASE_URL's PostgreSQL database if it is missing."

    def handle(self, *args: Any, **options: Any) -> None:
        db = connections["default"].settings_dict
        if db["ENGINE"] != "django.db.backends.postgresql":
            return
        # the maintenance database every server has; autocommit because CREATE DATABASE
        # cannot run inside a transaction
        conninfo = psycopg.conninfo.make_conninfo(
            host=db.get("HOST") or None,
            port=db.get("PORT") or None,
            user=db.get("USER") or None,
            password=db.get("PASSWORD") or None,
            dbname="postgres",
            connect_timeout=10,
        )
        try:
            with psycopg.connect(conninfo, autocommit=True) as conn:
                exists = conn.execute(
                    "SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]]
                ).fetchone()
                if exists:
                    return
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db["NAME"])))
        except psycopg.Error as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise CommandError(f"Could not create database {db['NAME']!r}: {first}") from exc
        self.stdout.write(f"Created database {db['NAME']!r}.")
