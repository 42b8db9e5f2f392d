"""The one vendor question: the suite runs on PostgreSQL, and a SQLite-like connection is not."""

from types import SimpleNamespace

import pytest
from django.contrib.auth.models import User

from leapdash.db import distinct_values, is_postgresql


def test_the_suite_runs_on_postgresql():
    assert is_postgresql()


def test_another_connection_is_asked_about_itself():
    assert not is_postgresql(SimpleNamespace(vendor="sqlite"))
    assert is_postgresql(SimpleNamespace(vendor="postgresql"))


@pytest.mark.django_db
def test_distinct_values_lists_each_non_empty_value_once_in_order():
    for i, name in enumerate(["spring", "", "autumn", "spring", "winter", "autumn", ""]):
        User.objects.create(username=f"u{i}", first_name=name)
    assert distinct_values(User, "first_name") == ["autumn", "spring", "winter"]


@pytest.mark.django_db
def test_distinct_values_of_an_empty_column_is_empty():
    User.objects.create(username="u", first_name="")
    assert distinct_values(User, "first_name") == []
