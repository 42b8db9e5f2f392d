"""Every task beat schedules is one a worker knows, under the name queued messages carry."""

from __future__ import annotations

import pytest
from django.conf import settings

from leapdash.celery import app


@pytest.fixture(scope="module")
def registered() -> set[str]:
    app.loader.import_default_modules()  # what a worker imports at start (autodiscovery)
    return set(app.tasks)


@pytest.mark.parametrize("entry", sorted(settings.CELERY_BEAT_SCHEDULE))
def test_each_scheduled_task_is_registered(entry, registered):
    assert settings.CELERY_BEAT_SCHEDULE[entry]["task"] in registered


def test_a_moved_task_keeps_the_name_already_queued_messages_carry(registered):
    assert "connections.hooks.post_due_touches_task" in registered
