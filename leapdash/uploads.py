"""Uploads refused while they stream in, before a body past the limit reaches the disk."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadhandler import FileUploadHandler


class UploadTooLarge(RequestDataTooBig):
    """A request body past UPLOAD_MAX_BYTES (a 400 wherever it is not caught)."""


def _too_large() -> UploadTooLarge:
    megabytes = settings.UPLOAD_MAX_BYTES / 1024 / 1024
    return UploadTooLarge(f"The upload is larger than {megabytes:g} MB: split the file.")


class SizeLimitUploadHandler(FileUploadHandler):
    """First in FILE_UPLOAD_HANDLERS: refuses a multipart body whose declared length is past
    the limit before reading it, and stops counting files' bytes as they arrive (a client
    may send no length or lie about it). The handlers after it store what it passes on."""

    def __init__(self, request: Any = None) -> None:
        super().__init__(request)
        self.received = 0

    def handle_raw_input(
        self,
        input_data: Any,
        META: dict[str, Any],
        content_length: int,
        boundary: str,
        encoding: str | None = None,
    ) -> None:
        if content_length > settings.UPLOAD_MAX_BYTES:
            raise _too_large()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > settings.UPLOAD_MAX_BYTES:
            raise _too_large()
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None
