"""Uploads past UPLOAD_MAX_BYTES are refused while they stream in: the handlers that store a
file (in memory, then on disk) never receive it whole, and the answer is a 413 saying why."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.test import override_settings

from leapdash.uploads import SizeLimitUploadHandler, UploadTooLarge

LIMIT = 1024 * 1024
RECEIVED: list[int] = []


class Recorder(FileUploadHandler):
    """Stands where the storing handlers stand and counts the bytes that reach them."""

    def receive_data_chunk(self, raw_data, start):
        RECEIVED.append(len(raw_data))
        return raw_data

    def file_complete(self, file_size):
        return None


HANDLERS = [
    "leapdash.uploads.SizeLimitUploadHandler",
    "tests.bad_input.test_upload_limit.Recorder",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]


@pytest.fixture
def recorded():
    RECEIVED.clear()
    with override_settings(UPLOAD_MAX_BYTES=LIMIT, FILE_UPLOAD_HANDLERS=HANDLERS):
        yield RECEIVED


@pytest.mark.parametrize("path", ["/links/import/", "/meters/partners/upload/"])
def test_an_upload_past_the_limit_is_refused_before_it_is_stored(pm_client, recorded, path):
    big = SimpleUploadedFile("big.csv", b"ref_id\n" + b"x" * (3 * LIMIT), "text/csv")
    response = pm_client.post(path, {"file": big, "kind": "direct"})
    assert response.status_code == 413
    assert "larger than 1 MB" in response.content.decode()
    assert sum(recorded) < LIMIT  # nothing near the whole file reached the storing handlers


def test_an_upload_under_the_limit_goes_through(pm_client, recorded):
    small = SimpleUploadedFile("ok.csv", b"reference\nref-1\n", "text/csv")
    response = pm_client.post("/meters/partners/upload/", {"file": small})
    assert response.status_code == 302
    assert sum(recorded) == len(b"reference\nref-1\n")


@override_settings(UPLOAD_MAX_BYTES=LIMIT)
def test_a_body_longer_than_it_said_is_stopped_at_the_limit():
    """A client may declare a small length and keep sending: the chunks are counted."""
    handler = SizeLimitUploadHandler()
    handler.handle_raw_input(None, {}, 100, "boundary")
    chunk = b"x" * (64 * 1024)
    for n in range(LIMIT // len(chunk)):  # up to the limit exactly: passed on
        assert handler.receive_data_chunk(chunk, n * len(chunk)) == chunk
    with pytest.raises(UploadTooLarge):
        handler.receive_data_chunk(chunk, LIMIT)


def test_the_default_limit_leaves_room_for_the_largest_import():
    from django.conf import settings

    from meters.views.partners import MAX_UPLOAD_BYTES

    assert MAX_UPLOAD_BYTES < settings.UPLOAD_MAX_BYTES <= MAX_UPLOAD_BYTES + 2 * 1024 * 1024
