"""The one vendor question: the suite runs on PostgreSQL, and a SQLite-like connection is not."""

from types import SimpleNamespace

from leapdash.db import is_postgresql


def test_the_suite_runs_on_postgresql():
    assert is_postgresql()


def test_another_connection_is_asked_about_itself():
    assert not is_postgresql(SimpleNamespace(vendor="sqlite"))
    assert is_postgresql(SimpleNamespace(vendor="postgresql"))
