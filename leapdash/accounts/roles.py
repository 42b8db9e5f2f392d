"""The two roles, the view decorators that enforce them, and their model permissions.

A role is a Django group. Program managers use the dashboard; Ops use it too and also the
admin and the ops-only actions (sync now, re-fetch). Superusers count as Ops.
"""

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any, TypeVar

from django.apps import apps
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, Group, Permission
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseBase

PROGRAM_MANAGERS = "Program managers"
OPS = "Ops"
ROLES = (PROGRAM_MANAGERS, OPS)

# Apps whose models the roles work with; Ops get every permission on them (admin included),
# program managers may view everything and change the partner-side records they own.
PRODUCT_APPS = ("links", "connections", "meters", "runs")
PROGRAM_MANAGER_PERMISSIONS = ("view_",)

# Actions that reach outside leapdash or change what the public pages do: Ops hold these
# permissions (with every other product permission) and may grant one to a named user.
# (app label, model, codename, name); created after every migrate, like the roles' grants.
ALLOWLIST_PERMISSION = "links.change_forward_allowlist"
SEND_FIX_PERMISSION = "meters.send_reference_fix"
RECONCILE_PERMISSION = "meters.run_reconciliation"
NAMED_PERMISSIONS = (
    ("links", "flow", "change_forward_allowlist", "Can change a flow's forward allow-list"),
    ("meters", "referencechange", "send_reference_fix", "Can send reference fixes to Leap"),
    ("meters", "reconciliationrun", "run_reconciliation", "Can start a reconciliation"),
)

V = TypeVar("V", bound=Callable[..., HttpResponseBase])


def user_roles(user: AbstractBaseUser | AnonymousUser) -> set[str]:
    """The role names a user holds; cached on the user object for the request."""
    if not user.is_authenticated:
        return set()
    cached: set[str] | None = getattr(user, "_leapdash_roles", None)
    if cached is None:
        cached = set(user.groups.filter(name__in=ROLES).values_list("name", flat=True))  # type: ignore[attr-defined]
        if getattr(user, "is_superuser", False):
            cached.add(OPS)
        user._leapdash_roles = cached  # type: ignore[attr-defined]
    return cached


def is_ops(user: AbstractBaseUser | AnonymousUser) -> bool:
    return OPS in user_roles(user)


def _require(roles: Iterable[str]) -> Callable[[V], V]:
    allowed = frozenset(roles)

    def decorator(view: V) -> V:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not user_roles(request.user) & allowed:
                raise PermissionDenied("Your account has no role that may open this page.")
            return view(request, *args, **kwargs)

        wrapped.leapdash_roles = allowed  # type: ignore[attr-defined]
        return login_required(wrapped)  # type: ignore[return-value]

    return decorator


def may(user: AbstractBaseUser | AnonymousUser, permission: str) -> bool:
    """Ops may do anything; others only what a named permission grants them."""
    return is_ops(user) or bool(getattr(user, "has_perm", lambda _: False)(permission))


def permission_view(permission: str) -> Callable[[V], V]:
    """A dashboard action for Ops, or for a user Ops granted `permission`."""

    def decorator(view: V) -> V:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not user_roles(request.user) or not may(request.user, permission):
                raise PermissionDenied("This action is for ops or holders of its permission.")
            return view(request, *args, **kwargs)

        wrapped.leapdash_roles = frozenset([OPS])  # type: ignore[attr-defined]
        return login_required(wrapped)  # type: ignore[return-value]

    return decorator


dashboard_view = _require(ROLES)
"""Any dashboard page: logged in, program manager or ops."""

ops_view = _require([OPS])
"""An ops-only action: logged in and ops."""


def role_context(request: HttpRequest) -> dict[str, object]:
    """Template context: which roles the current user holds (for showing, never for checks)."""
    roles = user_roles(request.user) if hasattr(request, "user") else set()
    return {"user_is_ops": OPS in roles}


def grant_role_permissions(**kwargs: object) -> None:
    """After every migrate: Ops hold all product permissions, program managers view ones.

    Runs on post_migrate so that models added later are covered without a new migration.
    """
    if not apps.is_installed("django.contrib.auth"):
        return
    from django.contrib.contenttypes.models import ContentType

    for app_label, model, codename, name in NAMED_PERMISSIONS:
        content_type = ContentType.objects.get_for_model(apps.get_model(app_label, model))
        Permission.objects.get_or_create(
            content_type=content_type, codename=codename, defaults={"name": name}
        )
    ops, _ = Group.objects.get_or_create(name=OPS)
    pms, _ = Group.objects.get_or_create(name=PROGRAM_MANAGERS)
    product = Permission.objects.filter(content_type__app_label__in=PRODUCT_APPS)
    ops.permissions.add(*product)
    pms.permissions.add(*[p for p in product if p.codename.startswith(PROGRAM_MANAGER_PERMISSIONS)])
