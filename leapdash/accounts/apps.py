from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "leapdash.accounts"
    label = "accounts"
    verbose_name = "Accounts and roles"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from leapdash.idle import stamp_login

        from .roles import grant_role_permissions

        post_migrate.connect(grant_role_permissions, dispatch_uid="leapdash-grant-roles")
        user_logged_in.connect(stamp_login, dispatch_uid="leapdash-session-clocks")
