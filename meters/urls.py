from django.urls import path

from . import reconcile_views, views

app_name = "meters"
urlpatterns = [
    path("", views.meter_list, name="list"),
    path("export.csv", views.meter_export, name="export"),
    path("overdue/", views.overdue_list, name="overdue"),
    path("fix/", views.fix_references, name="fix"),
    path("sync/", views.sync_now, name="sync_now"),
    path("reconciliation/", reconcile_views.reconciliation, name="reconciliation"),
    path(
        "reconciliation/export.csv",
        reconcile_views.reconciliation_export,
        name="reconciliation_export",
    ),
    path("reconciliation/run/", reconcile_views.reconciliation_run, name="reconciliation_run"),
    path("partners/", reconcile_views.partner_list, name="partners"),
    path("partners/upload/", reconcile_views.partner_upload, name="partner_upload"),
    path("partners/imports/<int:pk>/", reconcile_views.partner_import, name="partner_import"),
    path(
        "partners/imports/<int:pk>/confirm/",
        reconcile_views.partner_import_confirm,
        name="partner_import_confirm",
    ),
    path("partners/from-links/", reconcile_views.partner_from_links, name="partner_from_links"),
    path("<str:meter_id>/", views.meter_detail, name="detail"),
]
