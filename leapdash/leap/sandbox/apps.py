from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def grant_ops_sandbox_permissions(**kwargs: Any) -> None:
    """Ops configure the sandbox (flows, chaos) in the admin: give them its model permissions.

    On post_migrate, like the product apps' role permissions, so new models are covered.
    """
    from django.contrib.auth.models import Group, Permission

    from leapdash.accounts.roles import OPS

    ops, _ = Group.objects.get_or_create(name=OPS)
    ops.permissions.add(*Permission.objects.filter(content_type__app_label="sandbox"))


class SandboxConfig(AppConfig):
    name = "leapdash.leap.sandbox"
    label = "sandbox"
    verbose_name = "Leap sandbox"

    def ready(self) -> None:
        post_migrate.connect(
            grant_ops_sandbox_permissions, sender=self, dispatch_uid="leapdash-sandbox-ops"
        )
