"""Deployment checks for the sandbox: it must never answer on a production deployment."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register


@register(deploy=True)
def sandbox_off_in_production(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """`check --deploy` fails while the sandbox is asked for, or mounted, with DEBUG off."""
    if not settings.LEAP_SANDBOX or settings.DEBUG:
        return []
    if not settings.LEAP_SANDBOX_WITHOUT_DEBUG:
        return [
            Error(
                "LEAP_SANDBOX is on while DEBUG is off: the sandbox is not mounted.",
                hint="Unset LEAP_SANDBOX in production. A test deployment that really wants "
                "the sandbox without DEBUG also sets LEAP_SANDBOX_WITHOUT_DEBUG=1.",
                id="leapdash.E001",
            )
        ]
    return [
        Warning(
            "The Leap sandbox is mounted with DEBUG off: anonymous visitors can create "
            "sandbox connections and journeys.",
            hint="Only for test deployments; unset LEAP_SANDBOX in production.",
            id="leapdash.W001",
        )
    ]
