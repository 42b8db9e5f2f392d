from django.urls import path

from . import views

# No trailing slash: these are the paths balancers and Prometheus are configured with.
urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("metrics", views.metrics, name="metrics"),
]
