from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import HttpRequest
from django.urls import include, path

from leapdash.accounts.roles import dashboard_view, is_ops

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # keeps this session, ends the user's others (Django's session hash)
    path(
        "accounts/password/",
        dashboard_view(
            auth_views.PasswordChangeView.as_view(template_name="registration/change_password.html")
        ),
        name="password_change",
    ),
    path(
        "accounts/password/done/",
        dashboard_view(
            auth_views.PasswordChangeDoneView.as_view(
                template_name="registration/change_password_done.html"
            )
        ),
        name="password_change_done",
    ),
    path("admin/", admin.site.urls),
    path("links/", include("links.urls")),
    path("connections/", include("connections.urls")),
    path("meters/", include("meters.urls")),
    path("sync/", include("leapdash.runs.urls")),
    path("webhooks/", include("connections.webhook_urls")),
    path("", include("leapdash.ops.urls")),  # /healthz, /readyz, /metrics
]

# with DEBUG off, only when LEAP_SANDBOX_WITHOUT_DEBUG says so too (see leapdash.leap.checks)
if settings.SANDBOX_MOUNTED:
    urlpatterns.append(path("sandbox/", include("leapdash.leap.sandbox.urls")))


def _admin_for_ops(request: HttpRequest) -> bool:
    """The admin is for ops: staff status alone does not open it."""
    return bool(request.user.is_active and request.user.is_staff and is_ops(request.user))


admin.site.has_permission = _admin_for_ops  # type: ignore[method-assign]
admin.site.site_header = "leapdash admin"
admin.site.site_title = "leapdash admin"
