"""Error reports that never show the Leap API key or the webhook secret.

Django's filter hides settings named like secrets, but not the same values held by local
variables: the Authorization header in urllib3's frames, the secret header a command sends to
Leap. This filter replaces any frame variable whose text contains either value, in DEBUG too.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.views.debug import SafeExceptionReporterFilter


class SecretsFilter(SafeExceptionReporterFilter):
    def get_traceback_frame_variables(self, request: HttpRequest | None, tb_frame: Any) -> Any:
        variables = super().get_traceback_frame_variables(request, tb_frame)
        secrets = [s for s in (settings.LEAP_API_KEY, settings.LEAP_WEBHOOK_SECRET) if s]
        if not secrets:
            return variables
        return [
            (name, self.cleansed_substitute if _mentions(value, secrets) else value)
            for name, value in variables
        ]


def _mentions(value: object, secrets: list[str]) -> bool:
    try:
        text = repr(value)
    except Exception:  # a broken __repr__: hide the value rather than fail the report
        return True
    return any(secret in text for secret in secrets)
